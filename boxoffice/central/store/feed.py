"""Queries of the change feed (``changes``) and the ``counters`` that number it and other series.

Customer data is kept apart (schema version 7): a change that carries a customer's name, e-mail, phone or notes is
stored with ``body`` emptied of them and ``private_body`` holding the whole body. Both are JSON text a page copies
as it is, so choosing which one a terminal gets costs no parsing; ``private_body`` is NULL for every change that
carries no customer data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from boxoffice.central.store.db import CentralDB

CUSTOMER_KINDS = ("order", "web_order")  # the kinds whose body holds {"order": {...}, "tickets": [...]}
CUSTOMER_FIELDS = ("customer_name", "email", "phone", "notes")
SPLIT_BATCH = 1000


def without_customer(kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """``body`` with its order's customer fields set to null (the wire schema keeps them, nullable), or None when
    it carries no customer data and may go to every terminal as it is."""
    order = body.get("order") if kind in CUSTOMER_KINDS else None
    if not isinstance(order, dict) or all(order.get(f) is None for f in CUSTOMER_FIELDS):
        return None
    return {**body, "order": {**order, **dict.fromkeys(CUSTOMER_FIELDS)}}


def advance(db: CentralDB, counter: str, n: int) -> int | None:
    """Advance a counter by ``n`` under its row lock; its new value, or None when the counter is missing."""
    row = db.one("UPDATE counters SET value = value + ? WHERE name = ? RETURNING value", (n, counter))
    return None if row is None else int(row["value"])


def counter(db: CentralDB, name: str) -> int:
    return int(db.scalar("SELECT value FROM counters WHERE name = ?", (name,)) or 0)


def insert(db: CentralDB, rows: Sequence[tuple[Any, ...]]) -> None:
    """Changes as (pos, kind, body JSON text, origin, audience, at, private body JSON text or None). A batch with
    no private body leaves that column out (NULL): the statement is the one every release before version 7 ran."""
    columns = ("pos", "kind", "body", "origin", "audience", "at", "private_body")
    if all(r[6] is None for r in rows):
        columns, rows = columns[:6], [r[:6] for r in rows]
    db.insert_rows("changes", columns, rows)


def for_terminal(db: CentralDB, terminal_id: str, after: int, top: int, limit: int, *, budget: int,
                 customers: bool = False, holders: bool = False) -> tuple[list[dict[str, Any]], bool]:
    """The changes a terminal receives after ``after`` up to ``top``: meant for all but their origin, or for it.
    ``body`` is the whole body only with ``customers``; otherwise the one without customer data. ``holders``
    changes (real-name ticket holders) only with ``holders``. No more than ``limit`` changes, nor more than those
    whose bodies reach ``budget`` bytes (always the first: ``CentralDB.all_within``), so a page of large bodies is
    never read into memory whole; with them, whether the page stopped at the budget (later changes may wait)."""
    body = "COALESCE(private_body, body) AS body" if customers else "body"
    skip = "" if holders else " AND kind <> 'holders'"
    sql = (f"SELECT pos, kind, {body}, origin, at FROM changes WHERE pos > ? AND pos <= ?{skip}"
           " AND ((audience IS NULL AND (origin IS NULL OR origin <> ?)) OR audience = ?) ORDER BY pos LIMIT ?")
    return db.all_within(sql, (after, top, terminal_id, terminal_id, limit), measure="body", order="pos",
                         budget=budget)


def split_stored(db: CentralDB) -> int:
    """Schema version 7's step after its SQL: move the customer data of changes written before it into
    ``private_body``, leaving ``body`` without it. Returns how many changes were split. Runs in the migration's
    transaction, a batch of rows at a time so a long feed is never read whole into memory."""
    split, after = 0, -1
    kinds = ", ".join(f"'{k}'" for k in CUSTOMER_KINDS)
    while True:
        batch = db.all(f"SELECT pos, kind, body FROM changes WHERE kind IN ({kinds}) AND private_body IS NULL"
                       " AND pos > ? ORDER BY pos LIMIT ?", (after, SPLIT_BATCH))
        if not batch:
            return split
        for r in batch:
            public = without_customer(r["kind"], json.loads(r["body"]))
            if public is not None:
                db.execute("UPDATE changes SET body = ?, private_body = ? WHERE pos = ?",
                           (json.dumps(public, separators=(",", ":"), ensure_ascii=False), r["body"], r["pos"]))
                split += 1
        after = int(batch[-1]["pos"])


def of_kind(db: CentralDB, kind: str) -> list[dict[str, Any]]:
    """Every change of one kind, oldest first: ``body`` (JSON text) and ``audience``."""
    return db.all("SELECT body, audience FROM changes WHERE kind = ? ORDER BY pos", (kind,))
