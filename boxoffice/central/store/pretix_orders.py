"""SQL of the bridge's step `sales` (central/pretix/orders_up.py): which terminal sales still have to go up to pretix,
what they need there (links, vouchers), and what pretix answered (``pretix_orders``, ``pretix_tickets``).

States of an order that goes up (``pretix_orders.direction = 'up'``):
``waiting`` (not sent: its terminal has no voucher for a place yet; tried again next round), ``sent`` (pretix holds
it as a paid order, ``pretix_code``), ``failed`` (pretix refused it; ``error`` has pretix's reason), ``void``
(every ticket was refunded before it went up: nothing to send), ``canceled`` (refunded whole after it went up).
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB

TICKET_COLUMNS = ("ticket_id", "order_id", "pretix_event", "position_id", "secret")
# The flag of another terminal's refund applied under a supervisor's override (central/services/ownership.py)
OVERRIDE_APPLIED = "foreign_refund_override"


def _marks(values: list[Any] | tuple[Any, ...]) -> str:
    return ", ".join("?" * len(values))


def due(db: CentralDB, pretix_events: tuple[str, ...], after: tuple[str, str], limit: int) -> list[dict[str, Any]]:
    """The next ``limit`` terminal sales of the bridged events that pretix has not got yet (never tried, or waiting
    for a voucher), oldest first, after the (created_at, id) ``after``. A web order (which came from a shop) and an
    unpaid order never go up."""
    return db.all(
        "SELECT o.id, o.code, o.event_id, o.terminal_id, o.customer_name, o.email, o.currency, o.created_at,"
        " l.pretix_event, p.state FROM orders o"
        " JOIN pretix_links l ON l.kind = 'event' AND l.local_id = o.event_id"
        " LEFT JOIN pretix_orders p ON p.order_id = o.id"
        " WHERE o.channel <> 'web' AND o.terminal_id IS NOT NULL AND o.status <> 'unpaid'"
        " AND (p.order_id IS NULL OR p.state = 'waiting')"
        f" AND l.pretix_event IN ({_marks(pretix_events)})"
        " AND (o.created_at > ? OR (o.created_at = ? AND o.id > ?))"
        " ORDER BY o.created_at, o.id LIMIT ?",
        (*pretix_events, after[0], after[0], after[1], limit))


def tickets_of(db: CentralDB, order_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The still valid tickets of these orders, by order id, in the order they were sold, each with its real-name
    holder's name (``holder_name``) when the event has them."""
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in order_ids}
    if not order_ids:
        return out
    for t in db.all("SELECT t.id, t.order_id, t.event_id, t.section_id, t.row_label, t.seat, t.ticket_type_id,"
                    " t.price, h.name AS holder_name FROM tickets t LEFT JOIN ticket_holders h ON h.ticket_id = t.id"
                    f" WHERE t.order_id IN ({_marks(order_ids)}) AND t.status = 'valid' ORDER BY t.order_id, t.id",
                    order_ids):
        out[t["order_id"]].append(t)
    return out


def links(db: CentralDB, kind: str, local_ids: list[str]) -> dict[str, dict[str, Any]]:
    """pretix's ids of these boxoffice things (``pretix_links``, written by the catalogue step): by local id."""
    if not local_ids:
        return {}
    return {r["local_id"]: r for r in db.all(
        "SELECT local_id, pretix_event, pretix_id, data FROM pretix_links"
        f" WHERE kind = ? AND local_id IN ({_marks(local_ids)})", (kind, *local_ids))}


def voucher_codes(db: CentralDB, terminal_ids: list[str]) -> dict[tuple[str, str, str, str], str]:
    """Each terminal's voucher codes (written by the stock step): by (terminal, event, section, seat or '')."""
    if not terminal_ids:
        return {}
    return {(r["terminal_id"], r["event_id"], r["section_id"], r["seat"]): r["code"] for r in db.all(
        "SELECT terminal_id, event_id, section_id, seat, code FROM pretix_vouchers"
        f" WHERE terminal_id IN ({_marks(terminal_ids)})", terminal_ids)}


def set_state(db: CentralDB, order_id: str, pretix_event: str, state: str, error: str | None, now: str,
              code: str | None = None) -> None:
    """Record where an order going up stands (the code stays once known)."""
    db.execute("INSERT INTO pretix_orders (order_id, direction, pretix_event, pretix_code, state, error, updated_at)"
               " VALUES (?, 'up', ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET pretix_event ="
               " excluded.pretix_event, pretix_code = COALESCE(excluded.pretix_code, pretix_orders.pretix_code),"
               " state = excluded.state, error = excluded.error, updated_at = excluded.updated_at",
               (order_id, pretix_event, code, state, error, now))


def record_sent(db: CentralDB, order_id: str, pretix_event: str, code: str, tickets: list[tuple[str, int, str]],
                now: str) -> None:
    """An order pretix holds now: its code, and each ticket's position id and secret ((ticket, position, secret))."""
    set_state(db, order_id, pretix_event, "sent", None, now, code)
    db.insert_rows("pretix_tickets", TICKET_COLUMNS,
                   [(t, order_id, pretix_event, pos, secret) for t, pos, secret in tickets], skip_existing=True)


def cancels_due(db: CentralDB, after: str, limit: int) -> list[dict[str, Any]]:
    """Tickets that went up and have since been refunded, exchanged or revoked at a terminal, and whose pretix
    position is not canceled yet: the orders after ``after`` (by id), up to ``limit`` orders' worth."""
    orders = [r["order_id"] for r in db.all(
        "SELECT DISTINCT t.order_id FROM revocations r JOIN pretix_tickets t ON t.ticket_id = r.ticket_id"
        " JOIN pretix_orders o ON o.order_id = t.order_id AND o.direction = 'up' AND o.state = 'sent'"
        " WHERE t.canceled_at IS NULL AND t.order_id > ? ORDER BY t.order_id LIMIT ?", (after, limit))]
    if not orders:
        return []
    return db.all(
        "SELECT t.order_id, t.ticket_id, t.position_id, t.pretix_event, o.pretix_code,"
        " CASE WHEN r.ticket_id IS NULL THEN 0 ELSE 1 END AS revoked"
        " FROM pretix_tickets t JOIN pretix_orders o ON o.order_id = t.order_id"
        " LEFT JOIN revocations r ON r.ticket_id = t.ticket_id"
        f" WHERE t.order_id IN ({_marks(orders)}) AND t.canceled_at IS NULL ORDER BY t.order_id, t.ticket_id",
        orders)


def refund_entries(db: CentralDB, order_id: str) -> list[dict[str, Any]]:
    """The refund journal entries the central service applied to ``order_id``'s tickets, oldest first: ``id``,
    ``payload`` (as the terminal pushed it) and ``tickets``, the ids of this order's tickets it refunded.

    Found by exact reference, never by matching text in payloads: an applied refund takes the ``('refund', ticket)``
    claim with its entry id, and a refused one (another terminal's ticket without an override, a missing role, held
    past the hourly cap) takes none. Of those, only entries from the order's own terminal, or from another under a
    supervisor's override the service accepted (flagged for review) or the admin released, are money paid back for
    this order: anything a terminal merely said is not booked."""
    rows = db.all(
        "SELECT j.id, j.payload, c.subject AS ticket_id FROM tickets t"
        " JOIN orders o ON o.id = t.order_id"
        " JOIN claims c ON c.action = 'refund' AND c.subject = t.id"
        " JOIN journal j ON j.id = c.entry_id AND j.terminal_id = c.terminal_id"
        " WHERE t.order_id = ? AND j.kind = 'refund' AND (j.terminal_id = o.terminal_id"
        " OR EXISTS (SELECT 1 FROM conflicts f WHERE f.kind = ? AND f.second_entry = j.id)"
        " OR EXISTS (SELECT 1 FROM held_releases h WHERE h.entry_id = j.id))"
        " ORDER BY j.at, j.id, c.subject", (order_id, OVERRIDE_APPLIED))
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out.setdefault(r["id"], {"id": r["id"], "payload": r["payload"], "tickets": set()})["tickets"].add(
            r["ticket_id"])
    return list(out.values())


def paid_of(db: CentralDB, order_id: str) -> tuple[int, str] | None:
    """What a central order was paid (its total, minor units) and in which currency; None for no such order."""
    row = db.one("SELECT total, currency FROM orders WHERE id = ?", (order_id,))
    return None if row is None else (int(row["total"]), str(row["currency"]))


def mark_canceled(db: CentralDB, ticket_ids: list[str], now: str) -> None:
    """These tickets' pretix positions are canceled."""
    if ticket_ids:
        db.execute(f"UPDATE pretix_tickets SET canceled_at = ? WHERE ticket_id IN ({_marks(ticket_ids)})"
                   " AND canceled_at IS NULL", (now, *ticket_ids))


def listing(db: CentralDB, state: str | None, limit: int) -> list[dict[str, Any]]:
    """Orders that went up (those in ``state`` only, when given), newest change first, with their boxoffice code."""
    where = "p.direction = 'up'" + (" AND p.state = ?" if state else "")
    return db.all(
        "SELECT p.order_id, o.code, o.terminal_id, p.pretix_event, p.pretix_code, p.state, p.error, p.updated_at"
        f" FROM pretix_orders p LEFT JOIN orders o ON o.id = p.order_id WHERE {where}"
        " ORDER BY p.updated_at DESC, p.order_id LIMIT ?", ((state,) if state else ()) + (limit,))


def counts(db: CentralDB) -> dict[str, int]:
    """How many orders that go up are in each state."""
    return {r["state"]: int(r["n"]) for r in db.all(
        "SELECT state, COUNT(*) AS n FROM pretix_orders WHERE direction = 'up' GROUP BY state ORDER BY state")}
