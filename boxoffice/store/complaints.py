"""Complaints written down at this terminal: add, close, list with filters, and those in an alert's window."""

from __future__ import annotations

import sqlite3
from typing import Any

from boxoffice.store.db import one, rows

COLUMNS = ("id", "category", "event_id", "order_id", "order_code", "ticket_id", "note", "at", "operator_id")


def add(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Insert one complaint; the same id again (a replay) is left as it is."""
    conn.execute(f"INSERT INTO complaints ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)})"
                 " ON CONFLICT(id) DO NOTHING", {c: row.get(c) for c in COLUMNS})


def close(conn: sqlite3.Connection, complaint_id: str, at: str, by: str | None, note: str) -> bool:
    """Close an open complaint; False when it was closed already."""
    cur = conn.execute("UPDATE complaints SET closed_at = ?, closed_by = ?, close_note = ? WHERE id = ?"
                       " AND closed_at IS NULL", (at, by, note, complaint_id))
    return cur.rowcount == 1


def get(conn: sqlite3.Connection, complaint_id: str) -> dict | None:
    return one(conn, _SELECT + " WHERE c.id = ?", (complaint_id,))


def ids_ending(conn: sqlite3.Connection, tail: str) -> list[str]:
    """Ids ending with ``tail`` (hex digits and hyphens only: the caller checks), the whole id included."""
    return [r["id"] for r in rows(conn, "SELECT id FROM complaints WHERE id LIKE ? ORDER BY at", ("%" + tail,))]


_SELECT = ("SELECT c.*, o.name AS operator, k.name AS closed_by_name FROM complaints c"
           " LEFT JOIN operators o ON o.id = c.operator_id LEFT JOIN operators k ON k.id = c.closed_by")


def listed(conn: sqlite3.Connection, *, status: str | None = None, category: str | None = None,
           event_id: str | None = None, since: str | None = None, until: str | None = None) -> list[dict]:
    """Complaints, oldest first, with the names of who wrote and closed them; ``status`` is open or closed."""
    where, params = [], []
    if status == "open":
        where.append("c.closed_at IS NULL")
    elif status == "closed":
        where.append("c.closed_at IS NOT NULL")
    for column, value in (("c.category", category), ("c.event_id", event_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        where.append("c.at >= ?")
        params.append(since)
    if until is not None:
        where.append("c.at < ?")
        params.append(until)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.at, c.id"
    return rows(conn, sql, tuple(params))


def in_window(conn: sqlite3.Connection, after: str, upto: str) -> list[tuple[str | None, str]]:
    """(event id, category) of each complaint made after ``after`` and up to ``upto`` inclusive."""
    return [(r[0], r[1]) for r in conn.execute("SELECT event_id, category FROM complaints WHERE at > ? AND at <= ?",
                                               (after, upto))]
