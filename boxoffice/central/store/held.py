"""Queries of held foreign refunds: the ``foreign_refund_held`` conflicts and their releases (``held_releases``)."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB

HELD = "foreign_refund_held"


def conflict_of(db: CentralDB, entry_id: str) -> dict[str, Any] | None:
    """The conflict that held the entry ``entry_id`` (its sender is ``second_terminal``), or None."""
    return db.one("SELECT * FROM conflicts WHERE kind = ? AND second_entry = ? ORDER BY at LIMIT 1", (HELD, entry_id))


def entry(db: CentralDB, entry_id: str) -> dict[str, Any] | None:
    """The journal entry as its terminal pushed it."""
    return db.one("SELECT id, terminal_id, seq, kind, at, operator_id, payload, prev_hash, hash FROM journal"
                  " WHERE id = ?", (entry_id,))


def release_of(db: CentralDB, entry_id: str) -> dict[str, Any] | None:
    """When the entry was released, if it was."""
    return db.one("SELECT * FROM held_releases WHERE entry_id = ?", (entry_id,))


def record_release(db: CentralDB, entry_id: str, conflict_id: str, at: str, tickets: int) -> bool:
    """Keep the release; False if another release of the entry came first (it is applied once)."""
    return db.execute("INSERT INTO held_releases (entry_id, conflict_id, released_at, tickets) VALUES (?, ?, ?, ?)"
                      " ON CONFLICT (entry_id) DO NOTHING", (entry_id, conflict_id, at, tickets)) == 1

