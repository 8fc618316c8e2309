"""Pauses of sales and the incident log."""

from __future__ import annotations

import sqlite3
from typing import Any

from boxoffice.store.db import one, rows


def add_pause(conn: sqlite3.Connection, pause: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO pauses (id, scope, target, what, reason, source, paused_at, paused_by)"
        " VALUES (:id, :scope, :target, :what, :reason, :source, :paused_at, :paused_by)"
        " ON CONFLICT(id) DO NOTHING",
        pause,
    )


def active_pauses(conn: sqlite3.Connection, what: str | None = None) -> list[dict]:
    if what:
        return rows(conn, "SELECT * FROM pauses WHERE resumed_at IS NULL AND what = ? ORDER BY paused_at", (what,))
    return rows(conn, "SELECT * FROM pauses WHERE resumed_at IS NULL ORDER BY paused_at")


def resume(conn: sqlite3.Connection, pause_id: str, at: str, by: str | None) -> bool:
    cur = conn.execute("UPDATE pauses SET resumed_at = ?, resumed_by = ? WHERE id = ? AND resumed_at IS NULL",
                       (at, by, pause_id))
    return cur.rowcount == 1


def add_incident(conn: sqlite3.Connection, inc: dict[str, Any]) -> None:
    conn.execute("INSERT INTO incidents (id, title, severity, opened_at, opened_by)"
                 " VALUES (:id, :title, :severity, :opened_at, :opened_by)", inc)


def incident(conn: sqlite3.Connection, incident_id: str) -> dict | None:
    return one(conn, "SELECT * FROM incidents WHERE id = ?", (incident_id,))


def incidents(conn: sqlite3.Connection, open_only: bool = False) -> list[dict]:
    where = " WHERE closed_at IS NULL" if open_only else ""
    return rows(conn, f"SELECT * FROM incidents{where} ORDER BY opened_at")


def add_note(conn: sqlite3.Connection, note: dict[str, Any]) -> None:
    conn.execute("INSERT INTO incident_notes (id, incident_id, at, operator_id, text)"
                 " VALUES (:id, :incident_id, :at, :operator_id, :text)", note)


def notes(conn: sqlite3.Connection, incident_id: str) -> list[dict]:
    return rows(conn, "SELECT n.*, o.name AS operator FROM incident_notes n LEFT JOIN operators o"
                      " ON o.id = n.operator_id WHERE n.incident_id = ? ORDER BY n.at, n.rowid", (incident_id,))


def close_incident(conn: sqlite3.Connection, incident_id: str, at: str, by: str | None, resolution: str) -> bool:
    cur = conn.execute("UPDATE incidents SET closed_at = ?, closed_by = ?, resolution = ? WHERE id = ?"
                       " AND closed_at IS NULL", (at, by, resolution, incident_id))
    return cur.rowcount == 1


def journal_between(conn: sqlite3.Connection, since: str, until: str | None) -> list[dict]:
    """Journal entries in a time window, with the operator's name, for an incident's timeline."""
    sql = ("SELECT j.seq, j.kind, j.at, j.payload, o.name AS operator FROM journal j LEFT JOIN operators o"
           " ON o.id = j.operator_id WHERE j.at >= ?")
    params: list[Any] = [since]
    if until:
        sql += " AND j.at <= ?"
        params.append(until)
    return rows(conn, sql + " ORDER BY j.seq", tuple(params))


def journal_of_incident(conn: sqlite3.Connection, incident_id: str) -> list[dict] | None:
    """Journal entries after the incident's open entry and before its close entry (to the end while it is open),
    with the operator's name; None when this journal has no open entry for it."""
    bounds = conn.execute(
        "SELECT (SELECT seq FROM journal WHERE kind = 'incident.open' AND json_extract(payload, '$.id') = :id),"
        " (SELECT seq FROM journal WHERE kind = 'incident.close' AND json_extract(payload, '$.id') = :id)",
        {"id": incident_id}).fetchone()
    first, last = bounds[0], bounds[1]
    if first is None:
        return None
    sql = ("SELECT j.seq, j.kind, j.at, j.payload, o.name AS operator FROM journal j LEFT JOIN operators o"
           " ON o.id = j.operator_id WHERE j.seq > ?")
    params: list[Any] = [first]
    if last is not None:
        sql += " AND j.seq < ?"
        params.append(last)
    return rows(conn, sql + " ORDER BY j.seq", tuple(params))
