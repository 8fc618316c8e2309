"""Queries of ``journal``: every entry each terminal pushed, kept as it came, once by id."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB

COLUMNS = ("id", "terminal_id", "seq", "kind", "at", "operator_id", "payload", "prev_hash", "hash", "received_at")


def entries_of_kind_after(db: CentralDB, terminal_id: str, kind: str, after: int) -> list[dict[str, Any]]:
    """A terminal's entries of one kind after sequence number ``after``: ``id``, ``seq``, ``at``, ``payload``."""
    return db.all("SELECT id, seq, at, payload FROM journal WHERE terminal_id = ? AND kind = ? AND seq > ?"
                  " ORDER BY seq", (terminal_id, kind, after))
