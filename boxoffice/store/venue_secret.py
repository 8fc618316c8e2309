"""The SQL of the venue secret (schema_0015_venue_secret.sql): read it, store one made here or the central one."""

from __future__ import annotations

import sqlite3

from boxoffice.store.db import one


def get(conn: sqlite3.Connection) -> dict | None:
    """{secret (hex), source, set_at}, or None before one was made or received."""
    return one(conn, "SELECT secret, source, set_at FROM venue_secret WHERE id = 1")


def put(conn: sqlite3.Connection, secret_hex: str, source: str, at: str) -> None:
    """Store the secret (replacing a local one by the central one: the caller decides when that may happen)."""
    conn.execute("INSERT INTO venue_secret (id, secret, source, set_at) VALUES (1, ?, ?, ?) "
                 "ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, source = excluded.source, "
                 "set_at = excluded.set_at", (secret_hex, source, at))
