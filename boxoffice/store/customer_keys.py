"""Queries of ``customer_keys`` (migration 0019): which customer (a keyed hash) holds how many places of an event,
as far as this terminal knows. Hashes only: the phone, e-mail or ID number they came from is never stored here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence


def add(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, str, int, str, int | None]]) -> None:
    """(order_id, event_id, key_hash, places, source, journal_seq) rows, once per order and key."""
    conn.executemany("INSERT OR IGNORE INTO customer_keys (order_id, event_id, key_hash, places, source, journal_seq)"
                     " VALUES (?, ?, ?, ?, ?, ?)", list(rows))


def bought(conn: sqlite3.Connection, event_id: str, keys: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per key: ``known`` places of valid tickets this terminal knows of (its own sales and pulled orders), and
    ``unpushed`` the part of its own sales whose journal entry the central service has not received yet.

    An order's refunded or exchanged tickets stop counting: an order counts the smaller of its key's places and its
    tickets still valid (exact for a phone or e-mail, which covers the whole order; never too few for a holder)."""
    if not keys:
        return {}
    marks = ",".join("?" * len(keys))
    rows = conn.execute(
        f"""SELECT k.key_hash,
                   min(k.places, (SELECT count(*) FROM tickets t WHERE t.order_id = k.order_id
                                  AND t.status = 'valid')) AS n,
                   k.source = 'own' AND EXISTS (
                       SELECT 1 FROM journal j WHERE j.seq = k.journal_seq AND j.pushed_at IS NULL) AS unpushed
            FROM customer_keys k WHERE k.event_id = ? AND k.key_hash IN ({marks})""",
        (event_id, *keys)).fetchall()
    out = {k: {"known": 0, "unpushed": 0} for k in keys}
    for key, n, unpushed in rows:
        out[key]["known"] += n
        if unpushed:
            out[key]["unpushed"] += n
    return out


def move_place(conn: sqlite3.Connection, order_id: str, old_key: str, new_key: str, event_id: str,
               journal_seq: int | None) -> None:
    """A real-name holder change: one place of ``order_id`` goes from ``old_key`` to ``new_key`` (a key left with
    no place is dropped)."""
    conn.execute("DELETE FROM customer_keys WHERE order_id = ? AND key_hash = ? AND places <= 1", (order_id, old_key))
    conn.execute("UPDATE customer_keys SET places = places - 1 WHERE order_id = ? AND key_hash = ?",
                 (order_id, old_key))
    changed = conn.execute("UPDATE customer_keys SET places = places + 1, journal_seq = ? WHERE order_id = ?"
                           " AND key_hash = ?", (journal_seq, order_id, new_key)).rowcount
    if not changed:
        add(conn, [(order_id, event_id, new_key, 1, "own", journal_seq)])
