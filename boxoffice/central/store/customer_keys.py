"""Queries of ``customer_keys`` (central schema 12): the places each customer key holds of an event. Keys are keyed
hashes (boxoffice/domain/customer_ids.py); no phone, e-mail or ID number is stored here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice.central.store.db import CentralDB

COLUMNS = ("order_id", "event_id", "key_hash", "places", "terminal_id", "entry_id", "at")

# An order counts the smaller of its key's places and its tickets still valid: a refund gives the places back
# (exact for a phone or e-mail, which covers the whole order; never too few for a real-name holder).
_COUNTED = ("CASE WHEN k.places < (SELECT count(*) FROM tickets t WHERE t.order_id = k.order_id AND t.status = 'valid')"
            " THEN k.places ELSE (SELECT count(*) FROM tickets t WHERE t.order_id = k.order_id"
            " AND t.status = 'valid') END")


def add(db: CentralDB, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows of ``COLUMNS``, once per order and key (a repeated push adds nothing)."""
    db.insert_rows("customer_keys", COLUMNS, rows, skip_existing=True)


def bought(db: CentralDB, event_id: str, keys: Sequence[str]) -> dict[str, int]:
    """Places each key holds of the event (refunded tickets not counted); 0 for a key never seen."""
    out = dict.fromkeys(keys, 0)
    if not keys:
        return out
    marks = ", ".join("?" * len(keys))
    for r in db.all(f"SELECT k.key_hash, sum({_COUNTED}) AS n FROM customer_keys k"
                    f" WHERE k.event_id = ? AND k.key_hash IN ({marks}) GROUP BY k.key_hash", (event_id, *keys)):
        out[r["key_hash"]] = int(r["n"] or 0)
    return out


def first_other(db: CentralDB, event_id: str, key: str, order_id: str) -> dict[str, Any] | None:
    """The earliest other order holding ``key`` for the event: who sold it (terminal, or 'web'), its entry and when."""
    return db.one("SELECT order_id, terminal_id, entry_id, at FROM customer_keys WHERE event_id = ? AND key_hash = ?"
                  " AND order_id <> ? ORDER BY at, order_id LIMIT 1", (event_id, key, order_id))
