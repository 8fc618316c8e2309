"""Queries that walk stored feed changes to sign those stored before signed feeds (central schema 6)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice.central.store.db import CentralDB


def of_kinds(db: CentralDB, kinds: Sequence[str], after: int, limit: int) -> list[dict[str, Any]]:
    """Changes of ``kinds`` after position ``after``, oldest first (keyset paging: a large feed in flat memory)."""
    marks = ", ".join("?" for _ in kinds)
    return db.all(f"SELECT pos, kind, body, audience FROM changes WHERE kind IN ({marks}) AND pos > ?"
                  " ORDER BY pos LIMIT ?", (*kinds, after, limit))


def count_of_kinds(db: CentralDB, kinds: Sequence[str]) -> int:
    marks = ", ".join("?" for _ in kinds)
    return int(db.scalar(f"SELECT count(*) AS n FROM changes WHERE kind IN ({marks})", tuple(kinds)) or 0)


def set_body(db: CentralDB, pos: int, body: str) -> None:
    db.execute("UPDATE changes SET body = ? WHERE pos = ?", (body, pos))
