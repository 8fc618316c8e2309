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


def after(db: CentralDB, terminal_id: str, seq: int, limit: int, columns: Sequence[str],
          budget: int | None = None) -> list[dict[str, Any]]:
    """A terminal's entries after ``seq``, oldest first, with ``columns``; with ``budget``, no more than the entries
    whose payloads reach ``budget`` bytes (always the first one: ``CentralDB.all_within``), so a page of megabyte
    payloads is never read into memory whole."""
    sql = f"SELECT {', '.join(columns)} FROM journal WHERE terminal_id = ? AND seq > ? ORDER BY seq LIMIT ?"
    if budget is None:
        return db.all(sql, (terminal_id, seq, limit))
    return db.all_within(sql, (terminal_id, seq, limit), measure="payload", order="seq", budget=budget)[0]


def known_between(db: CentralDB, terminal_id: str, first: int, last: int) -> dict[int, dict[str, Any]]:
    """A terminal's entries here with ``first <= seq <= last``, by seq: ``id``, ``seq``, ``at``, ``hash`` and
    ``prev_hash`` (an entry pushed ahead of its predecessor is checked against it when that arrives)."""
    return {r["seq"]: r for r in db.all("SELECT id, seq, at, hash, prev_hash FROM journal WHERE terminal_id = ?"
                                        " AND seq >= ? AND seq <= ?", (terminal_id, first, last))}


def insert_new(db: CentralDB, rows: Sequence[Sequence[Any]]) -> set[str]:
    """Insert entries (in ``COLUMNS`` order), skipping ids already here; the ids that were new."""
    return set(db.insert_returning("journal", COLUMNS, rows, "id", "id")) if rows else set()


def highest_below(db: CentralDB, terminal_id: str, seq: int) -> int:
    """The highest sequence number of a terminal's entries here below ``seq`` (0 when none)."""
    return int(db.scalar("SELECT MAX(seq) AS seq FROM journal WHERE terminal_id = ? AND seq < ?",
                         (terminal_id, seq)) or 0)
