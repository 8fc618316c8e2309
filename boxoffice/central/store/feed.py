"""Queries of the change feed (``changes``) and the ``counters`` that number it and other series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice.central.store.db import CentralDB


def advance(db: CentralDB, counter: str, n: int) -> int | None:
    """Advance a counter by ``n`` under its row lock; its new value, or None when the counter is missing."""
    row = db.one("UPDATE counters SET value = value + ? WHERE name = ? RETURNING value", (n, counter))
    return None if row is None else int(row["value"])


def counter(db: CentralDB, name: str) -> int:
    return int(db.scalar("SELECT value FROM counters WHERE name = ?", (name,)) or 0)


def insert(db: CentralDB, rows: Sequence[tuple[Any, ...]]) -> None:
    """Changes as (pos, kind, body JSON text, origin, audience, at)."""
    db.insert_rows("changes", ("pos", "kind", "body", "origin", "audience", "at"), rows)


def for_terminal(db: CentralDB, terminal_id: str, after: int, top: int, limit: int) -> list[dict[str, Any]]:
    """The changes a terminal receives after ``after`` up to ``top``: meant for all but their origin, or for it."""
    return db.all("SELECT pos, kind, body, origin, at FROM changes WHERE pos > ? AND pos <= ?"
                  " AND ((audience IS NULL AND (origin IS NULL OR origin <> ?)) OR audience = ?)"
                  " ORDER BY pos LIMIT ?", (after, top, terminal_id, terminal_id, limit))


def of_kind(db: CentralDB, kind: str) -> list[dict[str, Any]]:
    """Every change of one kind, oldest first: ``body`` (JSON text) and ``audience``."""
    return db.all("SELECT body, audience FROM changes WHERE kind = ? ORDER BY pos", (kind,))
