"""Changing a real-name ticket's holder (改签 of the name) at the counter: a supervisor's action (docs/real-name.md).

The holder is bound to the ticket by a signature over its token (tickets/holder_binding.py), so a new holder means
a new ticket: the old one is marked ``exchanged`` and its token revoked (the door refuses it everywhere once that
syncs), a new ticket with a new id and token takes the same place, its holder bound to it, and it is printed. No
money moves. One transaction writes all of it with a ``holder_change`` journal entry shaped like an exchange's
(``order``, ``tickets``, ``old_tickets``), so the central service revokes the old ticket and learns the new one as
it does for an exchange, and ``audit verify`` reads it the same way. The event's ``holder_changes_max`` caps how
often one place's holder may change (``holder_changes_exhausted``); the count travels with the new holder row.
"""

from __future__ import annotations

from typing import Any, TypedDict

from boxoffice.domain.holders import HolderInput
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services import holders
from boxoffice.services.context import Ctx
from boxoffice.services.events import get_event
from boxoffice.store import holders as holder_store
from boxoffice.store import orders as order_store
from boxoffice.store.db import write


class HolderChange(TypedDict):
    """A holder changed (:func:`change_holder`): the old ticket revoked, the new one issued and queued to print."""

    order_code: str
    old_ticket_id: str
    ticket: dict[str, Any]
    old_holder: holders.HolderShown
    holder: holders.HolderShown
    changes: int
    changes_left: int | None
    jobs: list[str]
    approved_by: str


def find_ticket(ctx: Ctx, text: str) -> dict[str, Any]:
    """The ticket a scanned token or a ticket id names, on this terminal."""
    from boxoffice.services.orders import order_for
    from boxoffice.tickets.token import looks_like_token

    tid: str | None = text.strip().lower()
    if looks_like_token(text):
        _order, tid = order_for(ctx, text)
    ticket = order_store.ticket_by_id(ctx.conn, tid) if tid else None
    if ticket is None:
        raise BoxOfficeError("not_found", _("no such ticket on this terminal: give the ticket id or scan the "
                                            "ticket"))
    return ticket


def _approver(ctx: Ctx, supervisor: tuple[str, str] | None) -> dict[str, Any]:
    """The logged-in operator if they may change holders, else the supervisor named (with their PIN)."""
    from boxoffice.domain.permissions import allowed

    op = ctx.require("sell")
    if allowed(op["role"], "change_holder"):
        return op
    if supervisor is None:
        raise BoxOfficeError("permission_denied", _("{name} ({role}) may not change a ticket's holder: a supervisor "
                                                    "must approve (--supervisor NAME, PIN asked)").format(
            name=op["name"], role=op["role"]))
    from boxoffice.services.operators import approve

    return dict(approve(ctx, supervisor[0], supervisor[1], "change_holder"))


def check(ctx: Ctx, text: str, supervisor_name: str | None = None) -> dict[str, Any]:
    """Everything that would refuse the change before a supervisor is asked for a PIN; the ticket and its holder."""
    op = ctx.require("sell")
    from boxoffice.domain.permissions import allowed

    if not allowed(op["role"], "change_holder"):
        if supervisor_name is None:
            raise BoxOfficeError("permission_denied", _("{name} ({role}) may not change a ticket's holder: a "
                                                        "supervisor must approve (--supervisor NAME)").format(
                name=op["name"], role=op["role"]))
        from boxoffice.services.operators import check_approver

        check_approver(ctx, supervisor_name, "change_holder")
    ticket = find_ticket(ctx, text)
    ev = get_event(ctx, ticket["event_id"])
    if not holders.is_real_name(ev):
        raise BoxOfficeError("bad_input", _("{event} is not a real-name event: its tickets have no holder").format(
            event=ev["name"]))
    if ticket["status"] != "valid" or order_store.is_revoked(ctx.conn, ticket["id"]):
        raise BoxOfficeError("revoked", _("this ticket was refunded or re-issued: change the holder of the current "
                                          "ticket"))
    order = order_store.order_by_id(ctx.conn, ticket["order_id"])
    assert order is not None
    if order["channel"] != "box_office" or order["terminal_id"] != ctx.terminal["id"]:
        raise BoxOfficeError("conflict", _("order {code} was sold elsewhere: change its holders where it was sold "
                                           "(the revocation must come from the ticket's owner)").format(
            code=order["code"]))
    row = holder_store.for_ticket(ctx.conn, ticket["id"])
    if row is None:
        raise BoxOfficeError("holder_required", _("this ticket has no holder recorded here: sync first"))
    cap = ev["holder_changes_max"]
    if cap is not None and row["changes"] >= cap:
        raise BoxOfficeError("holder_changes_exhausted", _("this ticket's holder was changed {changes} time(s), as "
                                                           "often as {event} allows ({cap})").format(
            changes=row["changes"], event=ev["name"], cap=cap),
                             changes=row["changes"], cap=cap)
    return {"ticket": ticket, "order": order, "event": ev, "holder": row}


def change_holder(ctx: Ctx, text: str, holder: HolderInput, supervisor: tuple[str, str] | None = None,
                  receipt: bool = False) -> HolderChange:
    """Give a real-name ticket a new holder: old ticket revoked, new one issued, bound, journaled and printed."""
    from boxoffice.services.printing import queue_order
    from boxoffice.services.sales import journal_ticket
    from boxoffice.services.signing import key_id_bytes, private_key
    from boxoffice.tickets.token import TicketClaims, sign_token

    found = check(ctx, text, supervisor[0] if supervisor else None)
    approver = _approver(ctx, supervisor)
    old, order, ev, old_row = found["ticket"], found["order"], found["event"], found["holder"]
    prepared = holders.prepare(ctx, ev, [holder], 1)
    limits = _new_holder_within_cap(ctx, ev, old_row, prepared[0])
    changes = old_row["changes"] + 1
    now = ctx.now_iso()
    with write(ctx.conn):
        again = check(ctx, text, supervisor[0] if supervisor else None)  # nothing changed since, inside the lock
        if again["ticket"]["id"] != old["id"]:
            raise BoxOfficeError("conflict", _("the ticket changed a moment ago: nothing was changed"))
        from boxoffice.store import refunds as refund_store

        if refund_store.retire_tickets(ctx.conn, [old["id"]], "exchanged") != 1:
            raise BoxOfficeError("conflict", _("the ticket was refunded or exchanged a moment ago: nothing "
                                               "changed"))
        order_store.revoke(ctx.conn, old["id"], now, "exchanged")
        tid = uuid7()
        token = sign_token(TicketClaims(tid, old["event_id"], old["section_id"], old["row"], old["seat"]),
                           private_key(ctx), key_id_bytes(ctx))
        new = {k: old[k] for k in ("order_id", "event_id", "section_id", "row", "seat", "ticket_type_id", "price",
                                   "tax")} | {"id": tid, "token": token}
        order_store.insert_tickets(ctx.conn, [new])
        holder_store.move_seat(ctx.conn, old["id"], tid)
        holder_store.record_change(ctx.conn, old["id"], tid, order["id"], now, approver["id"])
        bound = holders.bind(ctx, [new], prepared, changes)
        journal_order = {k: order[k] for k in ("id", "code", "event_id", "channel", "terminal_id", "status",
                                               "customer_name", "email", "phone", "notes", "total", "tax", "currency",
                                               "created_at")}
        entry = ctx.journal("holder_change", {
            "holder_change": {"ticket_id": old["id"], "new_ticket_id": tid, "order_id": order["id"],
                              "changes": changes, "approved_by": approver["id"], "at": now},
            "order": journal_order, "tickets": [journal_ticket(new)], "old_tickets": [old["id"]], "holders": bound,
            **limits.journal_fields()})
        if limits.keys:
            from boxoffice.store import customer_keys

            customer_keys.move_place(ctx.conn, order["id"], old_row["id_hash"], limits.keys[0][0], ev["id"],
                                     entry["seq"])
        jobs = queue_order(ctx, order["id"], receipt=receipt, ticket_ids=[tid])
    cap = ev["holder_changes_max"]
    return {"order_code": order["code"], "old_ticket_id": old["id"], "ticket": new,
            "old_holder": holders.shown_holder(old_row), "holder": holders.shown_holder(bound[0]),
            "changes": changes, "changes_left": None if cap is None else cap - changes, "jobs": jobs,
            "approved_by": approver["name"]}


def _new_holder_within_cap(ctx: Ctx, ev: Any, old_row: dict[str, Any], new: dict[str, Any]) -> Any:
    """A new holder is a customer like any buyer: under an event's limit per customer the change is refused
    (``customer_limit``) when it would take the new holder past the cap, as a sale to them would. The same person
    again (a corrected name) moves no place."""
    from boxoffice.services import customer_limits

    if new["id_hash"] == old_row["id_hash"]:
        return customer_limits.Limits()
    return customer_limits.enforce(ctx, ev, [(new["id_hash"], 1)])
