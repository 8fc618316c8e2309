"""The SQL of applying what other terminals and the central service did: their orders, pickups and revocations.

Every write is idempotent (INSERT OR IGNORE, conditional UPDATEs), so a page applied twice after a crash between
apply and commit cannot happen to matter. Orders from elsewhere never touch this terminal's stock: their places
were never in its allocation (see services/web_orders.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

ORDER_COLUMNS = ("id", "code", "event_id", "channel", "terminal_id", "status", "customer_name", "email", "phone",
                 "phone_digits", "notes", "total", "tax", "currency", "created_at", "shop_ref")
TICKET_COLUMNS = ("id", "order_id", "event_id", "section_id", "row", "seat", "ticket_type_id", "price", "tax", "token",
                  "external_secret")


def known_events(conn: sqlite3.Connection, event_ids: Iterable[str]) -> set[str]:
    ids = list(set(event_ids))
    if not ids:
        return set()
    return {r[0] for r in conn.execute(f"SELECT id FROM events WHERE id IN ({','.join('?' * len(ids))})", ids)}


def codes_taken(conn: sqlite3.Connection, pairs: list[tuple[str, str]]) -> set[str]:
    """Of (order id, code) pairs, the codes held here by a different order (which must not be overwritten)."""
    taken: set[str] = set()
    for i in range(0, len(pairs), 400):
        part = pairs[i:i + 400]
        found = dict(conn.execute(f"SELECT code, id FROM orders WHERE code IN ({','.join('?' * len(part))})",
                                  [c for _, c in part]).fetchall())
        taken |= {c for oid, c in part if c in found and found[c] != oid}
    return taken


def insert_orders(conn: sqlite3.Connection, orders: list[dict[str, Any]], tickets: list[dict[str, Any]]) -> int:
    """Insert orders and their tickets, skipping any already here; return how many orders were new."""
    before = conn.total_changes
    conn.executemany(f"INSERT OR IGNORE INTO orders ({', '.join(ORDER_COLUMNS)})"
                     f" VALUES ({', '.join('?' * len(ORDER_COLUMNS))})",
                     [tuple(o.get(c) for c in ORDER_COLUMNS) for o in orders])
    new = conn.total_changes - before
    conn.executemany(f"INSERT OR IGNORE INTO tickets ({', '.join(TICKET_COLUMNS)})"
                     f" VALUES ({', '.join('?' * len(TICKET_COLUMNS))})",
                     [tuple(t.get(c) for c in TICKET_COLUMNS) for t in tickets])
    # A pretix ticket whose secret pretix changed comes again with the new one (the old is revoked by the feed).
    conn.executemany("UPDATE tickets SET external_secret = ? WHERE id = ? AND external_secret IS NOT ?",
                     [(t["external_secret"], t["id"], t["external_secret"]) for t in tickets
                      if t.get("external_secret")])
    return new


def revoke_external_secret(conn: sqlite3.Connection, event_id: str, secret: str, at: str) -> bool:
    """A pretix secret that no longer admits (pretix's revoked secrets); True when it is new here."""
    cur = conn.execute("INSERT OR IGNORE INTO revoked_external_secrets (secret, event_id, at) VALUES (?, ?, ?)",
                       (secret, event_id, at))
    return cur.rowcount == 1


def tickets_here(conn: sqlite3.Connection, ticket_ids: list[str]) -> dict[str, dict]:
    if not ticket_ids:
        return {}
    return {r["id"]: dict(r) for r in conn.execute(
        f"SELECT id, order_id, status, picked_up_at FROM tickets WHERE id IN ({','.join('?' * len(ticket_ids))})",
        ticket_ids)}


def order_exists(conn: sqlite3.Connection, order_id: str) -> bool:
    return conn.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone() is not None


def add_remote_pickups(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    """Pickups made on another terminal: a pickups row each (kept beside any made here, so a clash is visible),
    and the ticket marked handed out if it was not, so this desk refuses to hand it out again."""
    conn.executemany("INSERT OR IGNORE INTO pickups (id, order_id, ticket_id, at, operator_id, terminal_id)"
                     " VALUES (:id, :order_id, :ticket_id, :at, :operator_id, :terminal_id)", rows)
    conn.executemany("UPDATE tickets SET picked_up_at = :at, picked_up_by = :operator_id WHERE id = :ticket_id"
                     " AND picked_up_at IS NULL", rows)


def retire_ticket(conn: sqlite3.Connection, ticket_id: str, reason: str, at: str) -> None:
    """A ticket refunded, exchanged or revoked elsewhere: on the revocation list, and its status and order's
    status follow where the ticket is known here."""
    conn.execute("INSERT OR IGNORE INTO revocations (ticket_id, revoked_at, reason) VALUES (?, ?, ?)",
                 (ticket_id, at, reason))
    if reason not in ("refunded", "exchanged"):
        return
    cur = conn.execute("UPDATE tickets SET status = ? WHERE id = ? AND status = 'valid'", (reason, ticket_id))
    if cur.rowcount and reason == "refunded":
        conn.execute(
            "UPDATE orders SET status = CASE WHEN (SELECT count(*) FROM tickets t WHERE t.order_id = orders.id"
            " AND t.status = 'valid') = 0 THEN 'refunded' ELSE 'part_refunded' END"
            " WHERE id = (SELECT order_id FROM tickets WHERE id = ?) AND status IN ('paid', 'part_refunded')",
            (ticket_id,))


def mark_paid(conn: sqlite3.Connection, order_id: str) -> None:
    """An unpaid order another terminal's desk was paid for; an order paid (or refunded) here stays as it is."""
    conn.execute("UPDATE orders SET status = 'paid' WHERE id = ? AND status = 'unpaid'", (order_id,))
