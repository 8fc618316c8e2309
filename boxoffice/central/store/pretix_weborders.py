"""Queries of the bridge step ``web_orders`` (central/pretix/orders_down.py): which pretix orders came down as web
orders (``pretix_orders`` direction 'down'), their tickets' pretix positions and secrets (``pretix_tickets``), which
orders the bridge itself sent up (never to come back down), and the web order rows a pretix change updates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice.central.store.db import CentralDB

DOWN = "down"
UP = "up"


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def orders_by_code(db: CentralDB, pretix_event: str, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The pretix_orders rows (either direction) of these order codes of one event, by code."""
    if not codes:
        return {}
    rows = db.all(f"SELECT order_id, direction, pretix_code, state, error FROM pretix_orders WHERE pretix_event = ?"
                  f" AND pretix_code IN ({_marks(len(codes))})", (pretix_event, *codes))
    return {r["pretix_code"]: r for r in rows}


def voucher_ids(db: CentralDB, pretix_event: str) -> set[int]:
    """The ids of the terminals' quota-blocking vouchers of one event: an order that redeems one is a counter sale."""
    return {int(r["voucher_id"]) for r in db.all("SELECT voucher_id FROM pretix_vouchers WHERE pretix_event = ?",
                                                 (pretix_event,))}


def record_order(db: CentralDB, order_id: str, pretix_event: str, code: str, state: str, error: str | None,
                 now: str) -> None:
    """Record (or update) the pretix order ``code`` as come down: ``order_id`` is the web order's id, or
    ``pretix:EVENT/CODE`` while it could not be imported (``state`` 'error' with the reason)."""
    db.execute("INSERT INTO pretix_orders (order_id, direction, pretix_event, pretix_code, state, error, updated_at)"
               " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pretix_event, pretix_code) DO UPDATE SET"
               " order_id = excluded.order_id, state = excluded.state, error = excluded.error,"
               " updated_at = excluded.updated_at WHERE pretix_orders.direction = 'down'",
               (order_id, DOWN, pretix_event, code, state, error, now))


def errored_codes(db: CentralDB, pretix_event: str, limit: int) -> list[str]:
    """Codes of orders that could not be imported yet (tried again each round), oldest attempt first."""
    return [r["pretix_code"] for r in db.all(
        "SELECT pretix_code FROM pretix_orders WHERE pretix_event = ? AND direction = 'down' AND state = 'error'"
        " ORDER BY updated_at, pretix_code LIMIT ?", (pretix_event, limit))]


def record_tickets(db: CentralDB, rows: Sequence[tuple[str, str, str, int, str]]) -> None:
    """Tickets as (ticket id, order id, pretix event, position id, secret); a known ticket gets the new secret."""
    db.many("INSERT INTO pretix_tickets (ticket_id, order_id, pretix_event, position_id, secret)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO UPDATE SET secret = excluded.secret", rows)


def tickets_of(db: CentralDB, order_id: str) -> list[dict[str, Any]]:
    """An order's tickets with their pretix position and secret, and whether the ticket is still valid here."""
    return db.all("SELECT p.ticket_id, p.position_id, p.secret, t.status FROM pretix_tickets p"
                  " LEFT JOIN tickets t ON t.id = p.ticket_id WHERE p.order_id = ? ORDER BY p.position_id",
                  (order_id,))


def web_order(db: CentralDB, order_id: str) -> dict[str, Any] | None:
    """The web order row: ``id``, ``event_id``, ``status``, ``customer_name``, ``email``, ``phone``."""
    return db.one("SELECT id, event_id, status, customer_name, email, phone FROM orders WHERE id = ?", (order_id,))


def update_customer(db: CentralDB, order_id: str, name: str | None, email: str | None, phone: str | None) -> None:
    db.execute("UPDATE orders SET customer_name = ?, email = ?, phone = ? WHERE id = ?",
               (name, email, phone, order_id))


def settle_status(db: CentralDB, order_id: str) -> None:
    """After tickets were revoked as refunded: the order is 'refunded' with no valid ticket left, else
    'part_refunded' (as a terminal's refund leaves it)."""
    db.execute("UPDATE orders SET status = CASE WHEN (SELECT count(*) FROM tickets t WHERE t.order_id = orders.id"
               " AND t.status = 'valid') = 0 THEN 'refunded' ELSE 'part_refunded' END WHERE id = ?", (order_id,))


def links(db: CentralDB, pretix_event: str) -> list[dict[str, Any]]:
    """The catalogue step's links of one pretix event that a web order needs: the event, ticket types, seats."""
    return db.all("SELECT kind, local_id, pretix_id, data FROM pretix_links WHERE pretix_event = ?"
                  " AND kind IN ('event', 'ticket_type', 'seat') ORDER BY kind, local_id", (pretix_event,))


def web_order_by_ref(db: CentralDB, ref: str) -> dict[str, Any] | None:
    """The web order imported under ``ref``: ``id``, ``code`` and its ``tickets`` ids in the order they were made."""
    order = db.one("SELECT id, code FROM orders WHERE ref = ?", (ref,))
    if order is None:
        return None
    tickets = [r["id"] for r in db.all("SELECT id FROM tickets WHERE order_id = ? ORDER BY id", (order["id"],))]
    return {**order, "ref": ref, "tickets": tickets}
