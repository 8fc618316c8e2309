"""The terminal's side of allocations: grants applied once by id, and what it holds per section."""

from __future__ import annotations

import json
import sqlite3
from typing import Any


def applied(conn: sqlite3.Connection, grant_id: str) -> bool:
    return conn.execute("SELECT 1 FROM allocation_grants WHERE id = ?", (grant_id,)).fetchone() is not None


def last_pos(conn: sqlite3.Connection) -> int:
    """The position of the newest grant applied here: the next pull asks for what comes after it."""
    return int(conn.execute("SELECT COALESCE(MAX(pos), 0) FROM allocation_grants").fetchone()[0])


def event_known(conn: sqlite3.Connection, event_id: str) -> bool:
    return conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is not None


def governed(conn: sqlite3.Connection, event_id: str) -> bool:
    return conn.execute("SELECT 1 FROM allocation_events WHERE event_id = ?", (event_id,)).fetchone() is not None


def take_over(conn: sqlite3.Connection, event_id: str, at: str) -> None:
    """From the first grant on, the event's places here are what was sold here plus what is granted: the rest
    belongs to the central service. This terminal no longer owns any event's inventory outright."""
    conn.execute("UPDATE sections SET allocated = sold WHERE event_id = ?", (event_id,))
    conn.execute("UPDATE seats SET allocated = 0 WHERE event_id = ? AND status = 'free'", (event_id,))
    conn.execute("INSERT INTO allocation_events (event_id, since) VALUES (?, ?)", (event_id, at))
    conn.execute("UPDATE terminal SET owns_inventory = 0")


def record_grant(conn: sqlite3.Connection, grant: dict[str, Any], at: str) -> None:
    conn.execute("INSERT INTO allocation_grants (id, pos, event_id, section_id, count, seats, applied_at)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)", (grant["id"], grant["pos"], grant["event_id"], grant["section_id"],
                                                   grant["count"], json.dumps(grant["seats"]), at))


def add_general(conn: sqlite3.Connection, event_id: str, section_id: str, n: int) -> bool:
    cur = conn.execute("UPDATE sections SET allocated = allocated + ? WHERE event_id = ? AND id = ?"
                       " AND kind = 'general'", (n, event_id, section_id))
    return cur.rowcount == 1


def add_seats(conn: sqlite3.Connection, event_id: str, section_id: str, labels: list[str]) -> int:
    cur = conn.executemany("UPDATE seats SET allocated = 1 WHERE event_id = ? AND section_id = ? AND label = ?",
                           [(event_id, section_id, s) for s in labels])
    return cur.rowcount


def section_row(conn: sqlite3.Connection, event_id: str, section_id: str) -> dict[str, Any] | None:
    r = conn.execute("SELECT kind, capacity, allocated, sold FROM sections WHERE event_id = ? AND id = ?",
                     (event_id, section_id)).fetchone()
    return None if r is None else {"kind": r[0], "capacity": r[1], "allocated": r[2], "sold": r[3]}


def release_general(conn: sqlite3.Connection, event_id: str, section_id: str, n: int) -> bool:
    """Take ``n`` unsold places out of the allocation; False (nothing changed) when fewer are unsold."""
    cur = conn.execute("UPDATE sections SET allocated = allocated - ? WHERE event_id = ? AND id = ?"
                       " AND kind = 'general' AND allocated - sold >= ?", (n, event_id, section_id, n))
    return cur.rowcount == 1


def releasable_seats(conn: sqlite3.Connection, event_id: str, section_id: str, labels: list[str]) -> list[str]:
    """Of ``labels``, the seats held here and still free (a sold or held seat stays)."""
    marks = ", ".join("?" * len(labels))
    return [r[0] for r in conn.execute(
        f"SELECT label FROM seats WHERE event_id = ? AND section_id = ? AND label IN ({marks})"
        " AND allocated = 1 AND status = 'free'", (event_id, section_id, *labels))]


def release_seats(conn: sqlite3.Connection, event_id: str, section_id: str, labels: list[str]) -> None:
    conn.executemany("UPDATE seats SET allocated = 0 WHERE event_id = ? AND section_id = ? AND label = ?",
                     [(event_id, section_id, s) for s in labels])


def holdings(conn: sqlite3.Connection, event_id: str | None = None) -> list[dict[str, Any]]:
    """Per section: what this terminal holds and how much of it is sold (reserved: seats held and sold)."""
    rows = conn.execute(
        "SELECT s.event_id, s.id, s.name, s.kind, s.capacity,"
        " CASE s.kind WHEN 'general' THEN s.allocated ELSE (SELECT COUNT(*) FROM seats x WHERE x.event_id ="
        " s.event_id AND x.section_id = s.id AND x.allocated = 1) END AS held,"
        " CASE s.kind WHEN 'general' THEN s.sold ELSE (SELECT COUNT(*) FROM seats x WHERE x.event_id = s.event_id"
        " AND x.section_id = s.id AND x.allocated = 1 AND x.status = 'sold') END AS sold,"
        " EXISTS (SELECT 1 FROM allocation_events a WHERE a.event_id = s.event_id) AS central"
        " FROM sections s WHERE (? IS NULL OR s.event_id = ?) ORDER BY s.event_id, s.position",
        (event_id, event_id)).fetchall()
    return [{"event_id": r[0], "section_id": r[1], "name": r[2], "kind": r[3], "capacity": r[4], "held": r[5],
             "sold": r[6], "left": r[5] - r[6], "granted_by_central": bool(r[7])} for r in rows]
