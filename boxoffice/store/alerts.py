"""Counts over time windows for the alert checks."""

from __future__ import annotations

import sqlite3


def _count(conn: sqlite3.Connection, sql: str, params: tuple) -> int:
    return int(conn.execute(sql, params).fetchone()[0] or 0)


def tickets_sold_between(conn: sqlite3.Connection, since: str, until: str) -> int:
    return _count(conn, "SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id"
                        " WHERE o.channel = 'box_office' AND o.created_at >= ? AND o.created_at < ?", (since, until))


def first_sale_at(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT min(created_at) FROM orders WHERE channel = 'box_office'").fetchone()
    return row[0] if row else None


def refunds_between(conn: sqlite3.Connection, since: str, until: str) -> int:
    return _count(conn, "SELECT count(*) FROM refund_items i JOIN refunds r ON r.id = i.refund_id"
                        " WHERE r.at >= ? AND r.at < ?", (since, until))


def scans_between(conn: sqlite3.Connection, since: str, until: str) -> tuple[int, int]:
    """(all scans, refused scans) in the window."""
    row = conn.execute("SELECT count(*), coalesce(sum(result <> 'admitted'), 0) FROM checkins"
                       " WHERE at >= ? AND at < ?", (since, until)).fetchone()
    return int(row[0]), int(row[1])


def failed_prints_since(conn: sqlite3.Connection, since: str) -> int:
    return _count(conn, "SELECT count(*) FROM print_jobs WHERE status = 'failed' AND created_at >= ?", (since,))


def section_stock(conn: sqlite3.Connection, since_start: str) -> list[dict]:
    """Per section of events not yet over: places this terminal may still sell and has sold."""
    return [dict(r) for r in conn.execute("""
        SELECT s.event_id, s.id AS section_id, s.name, s.kind,
          CASE s.kind WHEN 'general' THEN s.allocated - s.sold
            ELSE (SELECT count(*) FROM seats x WHERE x.event_id = s.event_id AND x.section_id = s.id
                  AND x.status = 'free' AND x.allocated = 1) END AS left_here,
          CASE s.kind WHEN 'general' THEN s.allocated
            ELSE (SELECT count(*) FROM seats x WHERE x.event_id = s.event_id AND x.section_id = s.id
                  AND x.allocated = 1 AND x.status <> 'held') END AS held_here
        FROM sections s JOIN events e ON e.id = s.event_id
        WHERE e.starts_at >= ? ORDER BY s.event_id, s.position""", (since_start,))]


def raised(conn: sqlite3.Connection) -> dict[str, dict]:
    """Alerts this terminal has told the journal are in force: key -> the payload of its last ``alert.raised``.

    An ``alert.cleared`` after it takes the key out. Few entries: one per alert raised or cleared.
    """
    import json

    out: dict[str, dict] = {}
    for kind, payload in conn.execute("SELECT kind, payload FROM journal WHERE kind IN ('alert.raised',"
                                      " 'alert.cleared') ORDER BY seq"):
        body = json.loads(payload)
        if kind == "alert.raised":
            out[body["key"]] = body
        else:
            out.pop(body["key"], None)
    return out
