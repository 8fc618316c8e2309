"""Queries of ``journal``: every entry each terminal pushed, kept as it came, once by id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice.central.store.db import CentralDB

COLUMNS = ("id", "terminal_id", "seq", "kind", "at", "operator_id", "payload", "prev_hash", "hash", "received_at")


def entries_of_kind_after(db: CentralDB, terminal_id: str, kind: str, after: int) -> list[dict[str, Any]]:
    """A terminal's entries of one kind after sequence number ``after``: ``id``, ``seq``, ``at``, ``payload``."""
    return db.all("SELECT id, seq, at, payload FROM journal WHERE terminal_id = ? AND kind = ? AND seq > ?"
                  " ORDER BY seq", (terminal_id, kind, after))


def newest(db: CentralDB, terminal_id: str) -> dict[str, Any] | None:
    """A terminal's newest entry here: ``seq`` and ``hash``."""
    return db.one("SELECT seq, hash FROM journal WHERE terminal_id = ? ORDER BY seq DESC LIMIT 1", (terminal_id,))


def after(db: CentralDB, terminal_id: str, seq: int, limit: int, columns: Sequence[str]) -> list[dict[str, Any]]:
    """A terminal's entries after ``seq``, oldest first, with ``columns``."""
    return db.all(f"SELECT {', '.join(columns)} FROM journal WHERE terminal_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                  (terminal_id, seq, limit))
