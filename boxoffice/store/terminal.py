"""The terminal's own row, keys and order-code sequence."""

from __future__ import annotations

import sqlite3

from boxoffice.store.db import one


def get(conn: sqlite3.Connection) -> dict | None:
    """This terminal's row, or None before ``init``."""
    return one(conn, "SELECT * FROM terminal LIMIT 1")


def create(conn: sqlite3.Connection, row: dict) -> None:
    conn.execute(
        "INSERT INTO terminal (id, name, tag, key_id, public_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (row["id"], row["name"], row["tag"], row["key_id"], row["public_key"], row["created_at"]),
    )


def next_order_seq(conn: sqlite3.Connection) -> int:
    """Take the next order number (inside the sale's transaction, so a rolled-back sale gives it back)."""
    return conn.execute("UPDATE terminal SET next_order_seq = next_order_seq + 1"
                        " RETURNING next_order_seq - 1").fetchall()[0][0]  # one statement, run to its end


def retag(conn: sqlite3.Connection, old: str, new: str) -> bool:
    """Give this terminal a new order-code tag, only while it has handed out no order code under the old one."""
    return conn.execute("UPDATE terminal SET tag = ? WHERE tag = ? AND next_order_seq = 1", (new, old)).rowcount == 1


def add_key(conn: sqlite3.Connection, key_id: str, public_key: str, owner: str, at: str) -> None:
    """Record a public key that signs tickets this terminal should accept."""
    conn.execute(
        "INSERT INTO keys (key_id, public_key, owner, added_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(key_id) DO UPDATE SET public_key=excluded.public_key, owner=excluded.owner",
        (key_id, public_key, owner, at),
    )


def revoke_terminal_key(conn: sqlite3.Connection, key_id: str, at: str) -> None:
    """Note when the terminal owning ``key_id`` was revoked (the earliest time told wins)."""
    conn.execute("UPDATE keys SET terminal_revoked_at = ? WHERE key_id = ?"
                 " AND (terminal_revoked_at IS NULL OR terminal_revoked_at > ?)", (at, key_id, at))


def key_revocation(conn: sqlite3.Connection, key_id: str) -> dict | None:
    """When the terminal owning ``key_id`` was revoked, with that terminal's name where known; None if it was not.

    The keys table is the record; a revocation pulled before the key itself arrived is still found in sync_peers.
    """
    return one(conn, "SELECT r.at, (SELECT p.name FROM sync_peers p WHERE p.key_id = :k AND p.name IS NOT NULL"
                     " LIMIT 1) AS name FROM (SELECT coalesce((SELECT terminal_revoked_at FROM keys WHERE key_id = :k),"
                     " (SELECT min(revoked_at) FROM sync_peers WHERE key_id = :k)) AS at) r WHERE r.at IS NOT NULL",
               {"k": key_id})


def public_key(conn: sqlite3.Connection, key_id: str) -> dict | None:
    return one(conn, "SELECT * FROM keys WHERE key_id = ?", (key_id,))


def list_keys(conn: sqlite3.Connection) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM keys ORDER BY added_at")]


def creation_entry(conn: sqlite3.Connection) -> dict | None:
    """The journal entry that made this terminal (its first ``terminal.init``), or None."""
    row = conn.execute("SELECT * FROM journal WHERE kind = 'terminal.init' ORDER BY seq LIMIT 1").fetchone()
    return dict(row) if row is not None else None
