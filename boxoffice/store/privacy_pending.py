"""The SQL of purges the central service ordered (schema_0021_central_purges.sql), waiting to be carried out."""

from __future__ import annotations

import sqlite3

from boxoffice.store.db import rows


def order(conn: sqlite3.Connection, event_id: str, ordered_at: str, cursor: int) -> None:
    conn.execute("INSERT INTO privacy_pending (event_id, ordered_at, cursor) VALUES (?, ?, ?)"
                 " ON CONFLICT (event_id) DO UPDATE SET ordered_at = excluded.ordered_at, cursor = excluded.cursor",
                 (event_id, ordered_at, cursor))


def waiting(conn: sqlite3.Connection) -> list[dict]:
    return rows(conn, "SELECT event_id, ordered_at, cursor, last_error FROM privacy_pending ORDER BY cursor")


def done(conn: sqlite3.Connection, event_id: str) -> None:
    conn.execute("DELETE FROM privacy_pending WHERE event_id = ?", (event_id,))


def failed(conn: sqlite3.Connection, event_id: str, error: str) -> None:
    conn.execute("UPDATE privacy_pending SET last_error = ? WHERE event_id = ?", (error[:500], event_id))
