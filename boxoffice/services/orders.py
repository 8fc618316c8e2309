"""Looking up an order by its code, and reprinting it as a COPY (counted, same tokens)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, cast

from boxoffice.domain.clock import when_text
from boxoffice.domain.codes import normalise_lookup
from boxoffice.domain.masking import masked
from boxoffice.domain.money import format_money
from boxoffice.domain.permissions import allowed
from boxoffice.domain.ticket_state import order_state, ticket_state
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx, viewer_role
from boxoffice.store import catalog as catalog_store
from boxoffice.store import orders as store
from boxoffice.store.db import write

if TYPE_CHECKING:
    from boxoffice.services.printing import PrintResult


class Order(TypedDict):
    """An order as stored: money in minor units, times in UTC; ``phone_digits`` is what a phone search matches."""

    id: str
    code: str
    event_id: str
    channel: str
    terminal_id: str | None
    status: str
    customer_name: str | None
    email: str | None
    phone: str | None
    notes: str | None
    total: int
    tax: int
    currency: str
    created_at: str
    operator_id: str | None
    phone_digits: str | None


class OrderDetail(Order):
    """An order as ``order show`` tells it (:func:`order_details`): the event's name, the time in the venue's zone,
    money as text, and its tickets and payments."""

    event_name: str
    created_local: str
    total_text: str
    tickets: list[dict[str, Any]]
    payments: list[dict[str, Any]]


class ReprintCheck(TypedDict):
    """What a reprint would print (:func:`check_reprint`): the order, the ids of the tickets chosen, and whether a
    supervisor must approve."""

    order: Order
    tickets: list[str]
    needs_supervisor: bool


class Reprint(TypedDict):
    """A reprint done (:func:`reprint`): the order's code, the tickets reprinted and the print outcomes."""

    order: str
    tickets: list[str]
    results: list[PrintResult]


def find_order(ctx: Ctx, code: str) -> Order:
    """An order by its code (forgiving case, spaces and hyphens; a mistyped check character is named as such) or
    by a scanned ticket of it (see :func:`order_for`)."""
    return cast(Order, order_for(ctx, code)[0])


def order_for(ctx: Ctx, text: str) -> tuple[dict[str, Any], str | None]:
    """The order that an order code or a scanned ticket names, and the scanned ticket's id (None for a code).

    A ticket must be genuine (a trusted key, a good signature) and be the current token of a ticket on this
    terminal; a refunded or exchanged one still names its order, so that the refusal that follows says what
    happened to it. Raises what ``ticket verify`` would for a forged or damaged ticket.
    """
    from boxoffice.tickets.token import looks_like_token

    if not looks_like_token(text):
        normal = normalise_lookup(text)
        order = store.order_by_code(ctx.conn, normal)
        if order is None:
            raise BoxOfficeError("not_found", _("no order {code} on this terminal: check the code, or sync").format(
                code=normal))
        return order, None
    from boxoffice.services.signing import public_key_for
    from boxoffice.tickets.token import verify_token

    decoded = verify_token(text, public_key_for(ctx))
    ticket = store.ticket_by_id(ctx.conn, decoded.ticket_id)
    if ticket is None:
        raise BoxOfficeError("not_found", _("ticket {ticket} is genuine but its order is not on this terminal: "
                                            "sync, or import the web orders").format(ticket=decoded.ticket_id))
    if ticket["token"] != decoded.text:
        raise BoxOfficeError("revoked", _("this ticket was re-issued: the token is not the current one; use the "
                                          "order code instead"), ticket_id=ticket["id"])
    order = store.order_by_id(ctx.conn, ticket["order_id"])
    assert order is not None  # a ticket's order is a foreign key
    return order, ticket["id"]


def order_details(ctx: Ctx, code: str) -> OrderDetail:
    """An order with its tickets and payments, money formatted, times in the venue's zone.

    A ticket's signed token is what gets its holder in, so it is shown only to a role that may reprint tickets (a
    supervisor): to anyone else, or with nobody logged in, it would be an unmarked, uncounted reprint of every
    ticket of the order (``token`` is then None). The customer's data is masked by role as everywhere.
    """
    role = viewer_role(ctx)
    show_tokens = role is not None and allowed(role, "reprint")
    order = find_order(ctx, code)
    cur = order["currency"]
    ev = catalog_store.get_event(ctx.conn, order["event_id"])
    tz = ev["timezone"] if ev else "UTC"
    tickets = store.tickets_of(ctx.conn, order["id"])
    payments = store.payments_of(ctx.conn, order["id"])
    valid = [t for t in tickets if t["status"] == "valid"]
    return cast(OrderDetail, {
        **masked(viewer_role(ctx), order),
        "status": order_state(order["status"], len(valid), sum(1 for t in valid if t["revoked"])),
        "event_name": ev["name"] if ev else order["event_id"],
        "created_local": when_text(order["created_at"], tz, year=True),
        "total_text": format_money(order["total"], cur),
        "tickets": [{"id": t["id"], "section": t["section_id"], "section_name": t["section_name"] or t["section_id"],
                     "row": t["row"], "seat": t["seat"],
                     "type": t["ticket_type_id"], "price": format_money(t["price"], cur),
                     "status": ticket_state(t["status"], t["revoked"]),
                     "picked_up_at": t["picked_up_at"], "copies": t["copies"],
                     "token": t["token"] if show_tokens else None}
                    for t in tickets],
        "payments": [{"kind": p["kind"], "tender": p["tender"], "amount": format_money(p["amount"], cur),
                      "card_last4": p["card_last4"], "change": format_money(p["change"], cur) if p["change"] else None,
                      "at": p["created_at"]} for p in payments],
    })


def check_reprint(ctx: Ctx, code: str, supervisor: str | None = None,
                  ticket_ids: list[str] | None = None) -> ReprintCheck:
    """Everything a reprint would refuse, refused before a supervisor is asked for a PIN: the permission, whether a
    supervisor must approve and whether the one named (``supervisor``) may, the order and its valid tickets.
    Returns {"order", "tickets" (the ids to reprint), "needs_supervisor"}."""
    from boxoffice.domain.permissions import allowed
    from boxoffice.services.operators import check_approver

    op = ctx.require("print")
    needs_supervisor = not allowed(op["role"], "reprint")
    if needs_supervisor:
        if supervisor is None:
            raise BoxOfficeError("permission_denied", _("{name} ({role}) may not reprint: a supervisor must approve "
                                                        "(--supervisor NAME, PIN asked)").format(
                name=op["name"], role=op["role"]))
        check_approver(ctx, supervisor, "reprint")
    order = find_order(ctx, code)
    valid = [t["id"] for t in store.tickets_of(ctx.conn, order["id"]) if t["status"] == "valid"]
    chosen = [t for t in (ticket_ids or valid) if t in valid]
    if not chosen:
        raise BoxOfficeError("conflict", _("order {code} has no valid tickets to reprint").format(
            code=order["code"]))
    return {"order": order, "tickets": chosen, "needs_supervisor": needs_supervisor}


def reprint(ctx: Ctx, code: str, supervisor: tuple[str, str] | None = None,
            ticket_ids: list[str] | None = None) -> Reprint:
    """Queue and print a COPY of an order's valid tickets (same tokens), counted on each ticket and journalled.

    A supervisor (or admin) may reprint; anyone else needs a supervisor's PIN for it.
    """
    from boxoffice.services.operators import approve
    from boxoffice.services.printing import queue_order, run_jobs

    plan = check_reprint(ctx, code, supervisor[0] if supervisor else None, ticket_ids)
    order, chosen = plan["order"], plan["tickets"]
    approver: Mapping[str, Any] | None = ctx.operator
    assert approver is not None  # check_reprint required a login
    if plan["needs_supervisor"]:
        assert supervisor is not None  # check_reprint refused otherwise
        approver = approve(ctx, supervisor[0], supervisor[1], "reprint")
    with write(ctx.conn):
        store.count_copy(ctx.conn, chosen)
        jobs = queue_order(ctx, order["id"], receipt=False, copy=True, ticket_ids=chosen)
        ctx.journal("reprint", {"order": order["id"], "tickets": chosen, "approved_by": approver["id"]})
    return {"order": order["code"], "tickets": chosen, "results": run_jobs(ctx, jobs)}
