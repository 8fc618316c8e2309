"""Queries of what was sold: ``orders``, ``tickets``, the once-only ``claims`` (a seat, a pickup, a refund, a
check-in) and ``revocations``."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB


def highest_box_office_code(db: CentralDB, terminal_id: str) -> str | None:
    """The highest order code among a terminal's box-office orders, or None."""
    return db.scalar("SELECT MAX(code) AS code FROM orders WHERE terminal_id = ? AND channel = 'box_office'",
                     (terminal_id,))


def web_tickets_valid(db: CentralDB, event_id: str, section_id: str) -> int:
    """Valid tickets the web shop sold in a section."""
    return int(db.scalar(
        "SELECT COUNT(*) AS n FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.channel = 'web'"
        " AND t.event_id = ? AND t.section_id = ? AND t.status = 'valid'", (event_id, section_id)) or 0)


def seat_claims_of(db: CentralDB, terminal_id: str, prefix: str) -> list[str]:
    """The seat claims of one holder whose subject starts with ``prefix`` (event/section/)."""
    like = prefix.replace("%", "\\%").replace("_", "\\_") + "%"
    return [r["subject"] for r in db.all(
        "SELECT subject FROM claims WHERE action = 'seat' AND terminal_id = ? AND subject LIKE ?", (terminal_id, like))]


def terminal_tickets_valid(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> list[dict[str, Any]]:
    """The valid tickets central has from a terminal (not the web) in a section: ``row_label`` and ``seat``."""
    return db.all("SELECT t.row_label, t.seat FROM tickets t JOIN orders o ON o.id = t.order_id"
                  " WHERE o.terminal_id = ? AND o.channel <> 'web' AND t.event_id = ? AND t.section_id = ?"
                  " AND t.status = 'valid'", (terminal_id, event_id, section_id))


def terminal_tickets_valid_count(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> int:
    return int(db.scalar("SELECT count(*) AS n FROM tickets t JOIN orders o ON o.id = t.order_id"
                         " WHERE o.terminal_id = ? AND o.event_id = ? AND o.channel <> 'web' AND t.section_id = ?"
                         " AND t.status = 'valid'", (terminal_id, event_id, section_id)) or 0)


def event_tickets_valid(db: CentralDB, event_id: str) -> list[dict[str, Any]]:
    """Valid tickets of an event with the terminal (or web shop) whose order they are, oldest order first."""
    return db.all("SELECT t.section_id, t.row_label, t.seat, o.terminal_id, o.channel FROM tickets t"
                  " JOIN orders o ON o.id = t.order_id WHERE t.event_id = ? AND t.status = 'valid'"
                  " ORDER BY o.created_at, t.id", (event_id,))


def refs_known(db: CentralDB, refs: list[str]) -> set[str]:
    """Which of the web shop's order references are imported already."""
    return {r["ref"] for r in db.all_in("SELECT ref FROM orders WHERE ref", refs)}


def seats_claimed(db: CentralDB, subjects: list[str]) -> list[str]:
    """Which of these seat subjects (event/section/label) someone has sold already."""
    return [r["subject"] for r in db.all_in("SELECT subject FROM claims WHERE action = 'seat' AND subject", subjects)]


def insert_web_orders(db: CentralDB, orders: list[tuple[dict[str, Any], str]],
                      tickets: list[tuple[str, str, dict[str, Any]]], claims: list[tuple[Any, ...]],
                      skip_claimed: bool = False) -> None:
    """Web orders (each with the shop's reference), their tickets (order id, event id, ticket) and seat claims
    (``skip_claimed``: a seat claimed already keeps its first holder)."""
    db.insert_rows("orders", ("id", "code", "ref", "event_id", "channel", "terminal_id", "status",
                              "customer_name", "email", "phone", "notes", "total", "tax", "currency", "created_at"),
                   [(o["id"], o["code"], ref, o["event_id"], o["channel"], None, o["status"],
                     o["customer_name"], o["email"], o["phone"], o["notes"], o["total"], o["tax"], o["currency"],
                     o["created_at"]) for o, ref in orders])
    db.insert_rows("tickets", ("id", "order_id", "event_id", "section_id", "row_label", "seat", "ticket_type_id",
                               "price", "tax", "token"),
                   [(t["id"], oid, eid, t["section_id"], t["row"], t["seat"], t["ticket_type_id"], t["price"],
                     t["tax"], t["token"]) for oid, eid, t in tickets])
    db.insert_rows("claims", ("action", "subject", "terminal_id", "entry_id", "at"), claims,
                   skip_existing=skip_claimed)


ORDER_COLUMNS = ("id", "code", "event_id", "channel", "terminal_id", "status", "customer_name", "email", "phone",
                 "notes", "total", "tax", "currency", "created_at")
TICKET_COLUMNS = ("id", "order_id", "event_id", "section_id", "row_label", "seat", "ticket_type_id", "price", "tax",
                  "token")
CLAIM_COLUMNS = ("action", "subject", "terminal_id", "entry_id", "at")


def insert_orders(db: CentralDB, orders: list[dict[str, Any]]) -> None:
    """Orders pushed by terminals (keys as ``ORDER_COLUMNS``), skipping ids already here."""
    db.insert_rows("orders", ORDER_COLUMNS, [tuple(o[k] for k in ORDER_COLUMNS) for o in orders],
                   skip_existing=True)


def insert_tickets(db: CentralDB, rows: list[tuple[Any, ...]]) -> None:
    """Tickets as ``TICKET_COLUMNS`` tuples, skipping ids already here."""
    db.insert_rows("tickets", TICKET_COLUMNS, rows, skip_existing=True)


def orders_with_codes(db: CentralDB, codes: list[str]) -> list[dict[str, Any]]:
    """The orders holding any of these codes: ``id``, ``code``, ``terminal_id``, ``created_at``."""
    return db.all_in("SELECT id, code, terminal_id, created_at FROM orders WHERE code", codes)


def claim(db: CentralDB, rows: list[tuple[Any, ...]]) -> set[str]:
    """Insert claims (``CLAIM_COLUMNS``) that nobody holds yet; the subjects that were new."""
    return set(db.insert_returning("claims", CLAIM_COLUMNS, rows, "action, subject", "subject"))


def claim_holder(db: CentralDB, action: str, subject: str) -> dict[str, Any] | None:
    """Who holds a claim: ``terminal_id``, ``entry_id``, ``at``."""
    return db.one("SELECT terminal_id, entry_id, at FROM claims WHERE action = ? AND subject = ?", (action, subject))


def release_claim(db: CentralDB, action: str, subject: str) -> bool:
    """Give back whatever claim ``action`` has on ``subject``; True when there was one."""
    return db.execute("DELETE FROM claims WHERE action = ? AND subject = ?", (action, subject)) > 0


def revoke(db: CentralDB, ticket_id: str, at: str, reason: str, origin: str) -> bool:
    """Record a ticket's revocation once and mark the ticket; True when it was not revoked before."""
    new = db.insert_returning("revocations", ("ticket_id", "revoked_at", "reason", "origin"),
                              [(ticket_id, at, reason, origin)], "ticket_id", "ticket_id")
    db.execute("UPDATE tickets SET status = ? WHERE id = ?", (reason, ticket_id))
    return bool(new)


def ticket_place(db: CentralDB, ticket_id: str) -> dict[str, Any] | None:
    """A ticket's ``event_id``, ``section_id``, ``row_label``, ``seat`` and ``order_id``."""
    return db.one("SELECT event_id, section_id, row_label, seat, order_id FROM tickets WHERE id = ?", (ticket_id,))


def other_valid_on_seat(db: CentralDB, ticket_id: str, place: dict[str, Any]) -> bool:
    """Whether a valid ticket other than ``ticket_id`` sits on ``place``'s seat (a sale flagged as selling it twice,
    a web order pretix sold it to while central's claim was still another's)."""
    return db.one("SELECT 1 AS found FROM tickets WHERE event_id = ? AND section_id = ? AND row_label = ? AND seat = ?"
                  " AND id <> ? AND status = 'valid' LIMIT 1",
                  (place["event_id"], place["section_id"], place["row_label"], place["seat"], ticket_id)) is not None


def ticket_known(db: CentralDB, ticket_id: str) -> bool:
    return db.one("SELECT id FROM tickets WHERE id = ?", (ticket_id,)) is not None


def revoke_by_hand(db: CentralDB, ticket_id: str, now: str, reason: str) -> bool:
    """An admin's revocation, once: recorded without an origin terminal, the ticket marked 'revoked' when new."""
    new = db.insert_returning("revocations", ("ticket_id", "revoked_at", "reason", "origin"),
                              [(ticket_id, now, reason, None)], "ticket_id", "ticket_id")
    if new:
        db.execute("UPDATE tickets SET status = 'revoked' WHERE id = ?", (ticket_id,))
    return bool(new)


HOLDER_COLUMNS = ("ticket_id", "order_id", "event_id", "terminal_id", "name", "id_kind", "id_hash", "id_last4",
                  "changes", "binding_key", "binding", "created_at", "replaces")


def insert_holders(db: CentralDB, rows: list[tuple[Any, ...]]) -> None:
    """Real-name holders as ``HOLDER_COLUMNS`` tuples, skipping tickets that have one here already."""
    db.insert_rows("ticket_holders", HOLDER_COLUMNS, rows, skip_existing=True)


def holders_of_order(db: CentralDB, order_id: str) -> list[dict[str, Any]]:
    """An order's holders (hash and last four, never a number), for reports and tests."""
    return db.all("SELECT * FROM ticket_holders WHERE order_id = ? ORDER BY created_at, ticket_id", (order_id,))


def mark_paid(db: CentralDB, order_id: str) -> None:
    """An unpaid order paid at a terminal's desk (journal kind ``order.paid``); a paid order stays as it is."""
    db.execute("UPDATE orders SET status = 'paid' WHERE id = ? AND status = 'unpaid'", (order_id,))
