"""Which journal entry stored each order a terminal pushed, kept as a ``('sale', ORDER_ID)`` row of ``claims``.

Selling an order is a once-only thing like the others ``claims`` holds (the first to do it holds it, and the
ownership rules refuse a second sale of the id), so its row there says who sold it, in which entry and when: a
flag about the order (``order_code_reused``) names that entry by a primary-key lookup. Never by matching the
terminal's sale payloads with LIKE: that reads every payload it ever pushed, and a terminal that pushed much junk
made each clash cost seconds of database work. Orders stored before these rows were kept, and web orders, have
none: the flag then names the order itself, as it does whenever no entry is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice.central.store.db import CentralDB

ACTION = "sale"


def record(db: CentralDB, rows: Sequence[tuple[str, str, str, str]]) -> None:
    """Note (order id, terminal id, entry id, at) of orders just stored; an order noted already keeps its row."""
    db.insert_rows("claims", ("action", "subject", "terminal_id", "entry_id", "at"),
                   [(ACTION, *r) for r in rows], skip_existing=True)


def of_order(db: CentralDB, order_id: str) -> dict[str, Any] | None:
    """The entry that stored the order: ``terminal_id``, ``entry_id``, ``at``; None when none was noted."""
    return db.one("SELECT terminal_id, entry_id, at FROM claims WHERE action = ? AND subject = ?", (ACTION, order_id))
