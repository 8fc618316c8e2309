"""The SQL of privacy purges and subject access exports: which tables hold customers' personal data, erasing it
for one event, and gathering one customer's rows.

``PERSONAL`` is the registry a purge walks: one line per table. A table that is not in this database (a feature
another release adds, such as ``ticket_holders`` for real-name tickets) is skipped, so adding one is one line here.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from boxoffice.store.db import one, rows

_EVENT_ORDERS = "order_id IN (SELECT id FROM orders WHERE event_id = :event)"
_EVENT_TICKETS = "ticket_id IN (SELECT id FROM tickets WHERE event_id = :event)"


@dataclass(frozen=True)
class Personal:
    """A table's personal data: columns emptied outright, JSON columns whose personal keys are erased
    (domain.privacy.erase), and the condition that picks one event's rows (``:event`` is its id)."""

    table: str
    columns: tuple[str, ...]
    where: str
    json_columns: tuple[str, ...] = ()


PERSONAL: tuple[Personal, ...] = (
    Personal("orders", ("customer_name", "email", "phone", "phone_digits", "notes"), "event_id = :event"),
    Personal("ticket_holders", ("name", "id_hash", "id_last4", "binding"), _EVENT_TICKETS),
    Personal("print_jobs", (), _EVENT_ORDERS, ("document",)),
    Personal("sync_parked", (), "kind IN ('order', 'web_order') AND body LIKE '%' || :event || '%'", ("body",)),
)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, bool]:
    """Column name -> NOT NULL, of one table."""
    return {r[1]: bool(r[3]) for r in conn.execute(f"PRAGMA table_info({table})")}


def _holding(p: Personal, cols: list[str]) -> str:
    return (f"SELECT rowid AS _rowid, {', '.join(cols)} FROM {p.table} WHERE ({p.where})"
            f" AND ({' OR '.join(f'{c} IS NOT NULL' for c in cols)})")


def erase_event(conn: sqlite3.Connection, event_id: str, *, dry_run: bool) -> dict[str, int]:
    """Empty the personal columns of one event's rows in every registered table that exists here; rows per table
    that held something. Inside the caller's transaction; ``dry_run`` only counts."""
    from boxoffice.domain.privacy import carries_personal, erase

    here = _tables(conn)
    counts: dict[str, int] = {}
    for p in PERSONAL:
        if p.table not in here:
            continue
        known = _columns(conn, p.table)
        plain = [c for c in p.columns if c in known]
        jsons = [c for c in p.json_columns if c in known]
        if not plain and not jsons:
            continue
        found = rows(conn, _holding(p, plain + jsons), {"event": event_id})
        touched = 0
        for r in found:
            sets: dict[str, Any] = {}
            for c in plain:
                if r[c] not in (None, ""):
                    sets[c] = "" if known[c] else None  # a NOT NULL column keeps an empty text
            for c in jsons:
                try:
                    doc = json.loads(r[c])
                except (TypeError, ValueError):
                    continue
                if carries_personal(doc):
                    sets[c] = json.dumps(erase(doc), separators=(",", ":"), ensure_ascii=False)
            if not sets:
                continue
            touched += 1
            if not dry_run:
                assigns = ", ".join(f"{c} = ?" for c in sets)
                conn.execute(f"UPDATE {p.table} SET {assigns} WHERE rowid = ?", (*sets.values(), r["_rowid"]))
        if touched:
            counts[p.table] = touched
    if "customer_keys" in here:  # keyed hashes a limit per customer counted by: a past event needs none
        n = conn.execute("SELECT count(*) FROM customer_keys WHERE event_id = ?", (event_id,)).fetchone()[0]
        if n:
            counts["customer_keys"] = n
            if not dry_run:
                conn.execute("DELETE FROM customer_keys WHERE event_id = ?", (event_id,))
    if not dry_run and "orders" in counts:
        _blank_search(conn, event_id)
    return counts


def _blank_search(conn: sqlite3.Connection, event_id: str) -> None:
    """Keep the event's orders in the pickup index (its bookkeeping counts rowids) with nothing to find them by,
    then merge the index so the erased words leave its segments too."""
    conn.execute("UPDATE order_search SET name = '', email = '', phone_rev = ''"
                 " WHERE rowid IN (SELECT rowid FROM orders WHERE event_id = ?)", (event_id,))
    conn.execute("INSERT INTO order_search (order_search) VALUES ('optimize')")


def event_order_ids(conn: sqlite3.Connection, event_id: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT id FROM orders WHERE event_id = ?", (event_id,))]


def journal_naming(conn: sqlite3.Connection, event_id: str, order_ids: list[str]) -> list[dict[str, Any]]:
    """Journal entries whose payload names the event or one of its orders (sales, exchanges, pickups...)."""
    wanted = {event_id, *order_ids}
    out = []
    for r in conn.execute("SELECT seq, id, terminal_id, kind, operator_id, at, payload, prev_hash, hash, pushed_at"
                          " FROM journal WHERE kind <> 'privacy.purge' ORDER BY seq"):
        text = r["payload"]
        if any(f'"{w}"' in text for w in wanted):
            out.append(dict(r))
    return out


def rewrite_payload(conn: sqlite3.Connection, seq: int, payload: str) -> None:
    conn.execute("UPDATE journal SET payload = ? WHERE seq = ?", (payload, seq))


def record_purge(conn: sqlite3.Connection, event_id: str, at: str, entry_id: str, operator_id: str | None,
                 origin: str, counts: dict[str, Any]) -> None:
    conn.execute("INSERT INTO privacy_purges (event_id, purged_at, entry_id, operator_id, origin, counts)"
                 " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO UPDATE SET purged_at = excluded.purged_at,"
                 " entry_id = excluded.entry_id, operator_id = excluded.operator_id, origin = excluded.origin,"
                 " counts = excluded.counts", (event_id, at, entry_id, operator_id, origin, json.dumps(counts)))


def last_purge(conn: sqlite3.Connection, event_id: str) -> dict[str, Any] | None:
    return one(conn, "SELECT * FROM privacy_purges WHERE event_id = ?", (event_id,))


def secure_delete(conn: sqlite3.Connection, on: bool) -> None:
    """With it on, SQLite overwrites with zeros what an UPDATE or DELETE frees, so erased text does not linger in
    free space of the file."""
    conn.execute(f"PRAGMA secure_delete = {'ON' if on else 'OFF'}")


def scrub_file(conn: sqlite3.Connection) -> None:
    """After the purge committed: copy the write-ahead log into the database file and empty it, so the erased
    text is in neither (a VACUUM is not needed: secure_delete zeroed what the purge freed)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- one customer's data ------------------------------------------------------------------------------------


def orders_of_customer(conn: sqlite3.Connection, *, email: str | None = None, phone_digits: str | None = None,
                       code: str | None = None) -> list[dict[str, Any]]:
    """Orders of one customer, by e-mail (any case), phone digits (exact), or an order code's customer."""
    base = ("SELECT id, code, event_id, channel, status, customer_name, email, phone, notes, total, tax, currency,"
            " created_at FROM orders")
    if code is not None:
        first = one(conn, "SELECT email, phone_digits, customer_name, id FROM orders WHERE code = ?", (code,))
        if first is None:
            return []
        if first["email"]:
            return orders_of_customer(conn, email=first["email"])
        if first["phone_digits"]:
            return orders_of_customer(conn, phone_digits=first["phone_digits"])
        return rows(conn, base + " WHERE id = ?", (first["id"],))
    if email is not None:
        return rows(conn, base + " WHERE email = ? COLLATE NOCASE ORDER BY created_at", (email,))
    return rows(conn, base + " WHERE phone_digits = ? ORDER BY created_at", (phone_digits,))


def order_children(conn: sqlite3.Connection, order_id: str) -> dict[str, list[dict[str, Any]]]:
    """An order's tickets, payments, pickups, and what other registered tables hold of it (holders,
    complaints) when those tables exist here."""
    here = _tables(conn)
    out = {
        "tickets": rows(conn, "SELECT id, event_id, section_id, row, seat, ticket_type_id, price, tax, status,"
                              " picked_up_at FROM tickets WHERE order_id = ?", (order_id,)),
        "payments": rows(conn, "SELECT id, kind, tender, amount, card_last4, created_at FROM payments"
                               " WHERE order_id = ?", (order_id,)),
        "pickups": rows(conn, "SELECT ticket_id, at, terminal_id FROM pickups WHERE order_id = ?", (order_id,)),
    }
    if "ticket_holders" in here:
        out["holders"] = rows(conn, "SELECT * FROM ticket_holders WHERE ticket_id IN"
                                    " (SELECT id FROM tickets WHERE order_id = ?)", (order_id,))
    if "complaints" in here and "order_id" in _columns(conn, "complaints"):
        out["complaints"] = rows(conn, "SELECT * FROM complaints WHERE order_id = ?", (order_id,))
    return out
