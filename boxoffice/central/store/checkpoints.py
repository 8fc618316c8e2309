"""Queries of ``terminal_checkpoints`` (each terminal's last signed checkpoint) and of the journal span it covers."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB


def held(db: CentralDB, terminal_id: str) -> dict[str, Any] | None:
    """The checkpoint the service holds for a terminal: {seq, hash}, or None."""
    return db.one("SELECT seq, hash FROM terminal_checkpoints WHERE terminal_id = ?", (terminal_id,))


def span(db: CentralDB, terminal_id: str, first: int, last: int) -> list[dict[str, Any]]:
    """The terminal's entries numbered first to last, as pushed, in order (what a checkpoint walk reads): the
    links of the chain, and the payload only of a ``restore`` entry, the one kind that may declare a gap (a walk
    over a night's entries would otherwise hold all their payloads at once)."""
    return db.all("SELECT seq, kind, CASE WHEN kind = 'restore' THEN payload END AS payload, prev_hash, hash"
                  " FROM journal WHERE terminal_id = ? AND seq >= ? AND seq <= ? ORDER BY seq",
                  (terminal_id, first, last))


def keep(db: CentralDB, terminal_id: str, cp: dict[str, Any], now: str) -> None:
    """Hold ``cp`` as the terminal's last checkpoint (never one older than that held)."""
    db.execute("INSERT INTO terminal_checkpoints (terminal_id, seq, hash, signature, signed_at, received_at)"
               " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (terminal_id) DO UPDATE SET seq = excluded.seq,"
               " hash = excluded.hash, signature = excluded.signature, signed_at = excluded.signed_at,"
               " received_at = excluded.received_at WHERE terminal_checkpoints.seq <= excluded.seq",
               (terminal_id, cp["seq"], cp["hash"], cp["signature"], cp["at"], now))


def flagged(db: CentralDB, subject: str) -> bool:
    """Whether a rewrite past this checkpoint was flagged already."""
    return db.one("SELECT id FROM conflicts WHERE kind = 'journal_rewritten' AND subject = ?", (subject,)) is not None
