"""Paying an unpaid web order at the will-call desk, so it can be handed out there and then.

A web shop may send an order that is not paid yet (pay at the box office). The pickup desk refuses to hand such an
order out (services/pickup.py, ``unpaid``); this is where its money is taken. The payment is the same as a sale's:
the same tenders (cash with change, card by its last four, split), the same payment rows booked to the operator's
open shift (so the drawer count expects the cash), one ``order.paid`` journal entry in the same transaction as the
rows and the order's new status. The status changes with a conditional UPDATE, so two desks paying one order at
once take the money once and the second is told ``already_paid``. Sync pushes the entry like any other; the
central service marks its copy of the order paid and tells the other terminals (central/services/effects.py).

Taking money needs the ``sell`` permission as well as ``pickup``: a pickup volunteer without a till sends the
customer to a seller.
"""

from __future__ import annotations

from typing import Any, TypedDict

from boxoffice.domain.codes import normalise_lookup
from boxoffice.domain.money import format_money
from boxoffice.domain.tenders import Tender, apply_tenders
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.services.shifts import cash_outside_shift
from boxoffice.store import orders as order_store
from boxoffice.store import pickup as pickup_store
from boxoffice.store.db import write

JOURNAL_KIND = "order.paid"


class AmountDue(TypedDict):
    """What an unpaid order costs (:func:`amount_due`): the order, its total and currency, and the total as text."""

    order_id: str
    code: str
    name: str | None
    event_id: str
    total: int
    currency: str
    total_text: str


class DeskPayment(TypedDict):
    """A web order paid at the desk (:func:`pay_order`): the payment rows, the change due and print jobs."""

    order: str
    order_id: str
    name: str | None
    total: int
    currency: str
    total_text: str
    change: int
    change_text: str
    payments: list[dict[str, Any]]
    jobs: list[str]
    outside_shift: bool  # cash taken with no shift, at a terminal that keeps shifts (services/shifts.py)


def tenders(cash: str | None, cards: list[str], currency: str) -> list[Tender]:
    """The tenders typed at the desk, as `sell` reads them: cards ('4242' for the rest, '4242:20' for 20.00),
    then cash handed over (its change worked out)."""
    from boxoffice.domain.money import parse_amount
    from boxoffice.domain.tenders import parse_card

    out = [parse_card(c, currency) for c in cards]
    if cash is not None:
        out.append(Tender("cash", parse_amount(cash, currency)))
    return out


def amount_due(ctx: Ctx, code: str) -> AmountDue:
    """The unpaid order named by ``code`` and what it costs, refusing what cannot be paid here.

    Refuses: permission_denied (the operator may not take money or hand out), not_found, already_paid (a paid web
    order, or an order sold at the window), already_refunded, revoked (its tickets cancelled elsewhere),
    sales_paused; like a sale, shift_required when the
    terminal requires an open shift and there is none.
    """
    from boxoffice.services import pauses
    from boxoffice.services.recovery_state import require_ready
    from boxoffice.services.shifts import shift_for_money

    ctx.require("pickup")
    ctx.require("sell")
    require_ready(ctx)
    order = pickup_store.summary_by_code(ctx.conn, normalise_lookup(code))
    if order is None:
        raise BoxOfficeError("not_found", _("no order {code} here: check the code, or find it by name (boxoffice "
                                            "pickup find NAME)").format(code=normalise_lookup(code)))
    if order["status"] == "refunded":
        raise BoxOfficeError("already_refunded", _("order {code} was refunded: there is nothing to pay").format(
            code=order["code"]))
    if order["status"] != "unpaid":
        raise BoxOfficeError("already_paid", _("order {code} is paid already: nothing to take; hand it out "
                                               "(boxoffice pickup {code})").format(code=order["code"]))
    if order["revoked"] or not order["tickets"]:
        # Cancelled by the shop (or the central admin) since it was sent: its tickets would not admit anyone.
        raise BoxOfficeError("revoked", _("order {code} has tickets that were cancelled or re-issued elsewhere: "
                                          "take no money; sync, or ask a supervisor").format(code=order["code"]))
    pauses.check(ctx, "sales", order["event_id"], order["channel"])
    shift_for_money(ctx)
    cur = order["currency"]
    return {"order_id": order["id"], "code": order["code"], "name": order["customer_name"],
            "event_id": order["event_id"], "total": order["total"], "currency": cur,
            "total_text": format_money(order["total"], cur)}


def pay_order(ctx: Ctx, code: str, tenders: list[Tender], *, print_receipt: bool = True) -> DeskPayment:
    """Take payment for an unpaid web order: payment rows, the order marked paid and a journal entry, together.

    Tenders are a sale's (domain/tenders.py): cash (change worked out), card (last four, an amount or the rest),
    split; a comp is refused (a web order owed money is not given away at the desk). A receipt is queued (and the
    drawer opened for cash) after the commit; printing is the caller's (services/printing.run_jobs).
    """
    due = amount_due(ctx, code)
    if any(t.tender == "comp" for t in tenders):
        raise BoxOfficeError("bad_input", _("a web order owed money is paid by cash or card here, not comped"))
    if not tenders:
        raise BoxOfficeError("insufficient_payment", _("order {code} owes {total} {currency}: give --cash or "
                                                       "--card").format(code=due["code"], total=due["total_text"],
                                                                        currency=due["currency"]))
    payments = apply_tenders(due["total"], tenders, due["currency"])
    from boxoffice.services.sales import payment_row

    now = ctx.now_iso()
    with write(ctx.conn):
        # Built under the write lock, as a sale's are: the shift they are booked to is read here, so a drawer closed
        # from another window since the check is not handed cash it will never count.
        rows = [payment_row(p, due["order_id"], None, now, ctx) for p in payments]
        if not pickup_store.mark_paid(ctx.conn, due["order_id"]):
            # Another desk took the money between the check and now.
            raise BoxOfficeError("already_paid", _("order {code} was paid a moment ago: nothing was taken").format(
                code=due["code"]))
        order_store.insert_payments(ctx.conn, rows)
        ctx.journal(JOURNAL_KIND, {"order": due["order_id"], "code": due["code"], "total": due["total"],
                                   "currency": due["currency"], "at": now, "payments": rows})
        from boxoffice.services.printing import queue_order

        jobs = queue_order(ctx, due["order_id"], receipt=print_receipt, ticket_ids=[],
                           drawer=any(p.tender == "cash" for p in payments)) if print_receipt else []
    change = sum(p.change or 0 for p in payments)
    return {"order": due["code"], "order_id": due["order_id"], "name": due["name"], "total": due["total"],
            "currency": due["currency"], "total_text": due["total_text"], "change": change,
            "change_text": format_money(change, due["currency"]), "payments": rows, "jobs": jobs,
            "outside_shift": cash_outside_shift(ctx, rows)}
