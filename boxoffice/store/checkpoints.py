"""The checkpoints table: signed heads of the journal (domain/checkpoints.py), kept in order of signing."""

from __future__ import annotations

import sqlite3
from typing import Any


def add(conn: sqlite3.Connection, *, seq: int, hash: str, key_id: str, signature: str, at: str,
        why: str) -> dict[str, Any]:
    """Store one checkpoint (inside the caller's transaction)."""
    cur = conn.execute("INSERT INTO checkpoints (seq, hash, key_id, signature, at, why) VALUES (?, ?, ?, ?, ?, ?)",
                       (seq, hash, key_id, signature, at, why))
    return {"id": cur.lastrowid, "seq": seq, "hash": hash, "key_id": key_id, "signature": signature, "at": at,
            "why": why}


def latest(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The checkpoint signed last."""
    row = conn.execute("SELECT * FROM checkpoints ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row) if row else None


def all_(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every checkpoint, oldest first."""
    return [dict(r) for r in conn.execute("SELECT * FROM checkpoints ORDER BY id")]


def mark_pushed(conn: sqlite3.Connection, checkpoint_id: int, at: str) -> None:
    conn.execute("UPDATE checkpoints SET pushed_at = ? WHERE id = ?", (at, checkpoint_id))


def head(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """(seq, hash) of the journal's last entry."""
    row = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    return (row["seq"], row["hash"]) if row else None


def entry(conn: sqlite3.Connection, seq: int) -> tuple[int, str] | None:
    """(seq, hash) of the journal's entry ``seq``."""
    row = conn.execute("SELECT seq, hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    return (row["seq"], row["hash"]) if row else None


def delete_from(conn: sqlite3.Connection, seq: int) -> None:
    """Remove the checkpoints of entries ``seq`` onwards."""
    conn.execute("DELETE FROM checkpoints WHERE seq >= ?", (seq,))
