"""Exchanges: tickets moved to another event, section or seats in one transaction.

The old tickets are credited at the full price paid (no refund fee: the customer stays) while their event has not
started; after the start an exchange is an override. The new tickets are a new order (an order belongs to one
event) made by the same code as a sale (services.sales.place_tickets), with the customer's details carried over.
The difference is settled at once: more expensive, the customer pays it with the usual tenders; cheaper, it goes
back by the old order's tenders exactly as a refund would (services.refund_payback.refund_plan), under the same refund
limit. Old tickets are marked ``exchanged`` and revoked, and their places return to stock before the new places
are taken, so "same seats, different ticket type" works. Everything, journal entry included, commits together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from boxoffice.domain.card_numbers import refuse_card_number
from boxoffice.domain.clock import parse_iso, when_text
from boxoffice.domain.codes import make_order_code
from boxoffice.domain.ids import uuid7
from boxoffice.domain.money import format_money, tax_share
from boxoffice.domain.tenders import TENDER_LABELS, Tender, apply_tenders
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services import customer_limits, pauses
from boxoffice.services import refund_payback as payback
from boxoffice.services import refunds as rf
from boxoffice.services.context import Ctx
from boxoffice.services.events import get_event
from boxoffice.services.moved_terms import stricter_night_before
from boxoffice.services.orders import order_for
from boxoffice.services.sales import SaleRequest, journal_ticket, payment_row, place_tickets, quote
from boxoffice.services.shifts import cash_outside_shift
from boxoffice.store import catalog as catalog_store
from boxoffice.store import orders as order_store
from boxoffice.store import refunds as store
from boxoffice.store import terminal as terminal_store
from boxoffice.store.db import write


@dataclass
class ExchangeRequest:
    """Which tickets to move, where to, and how any difference is paid."""

    code: str                                 # the order code, or a scanned ticket (then that ticket by default)
    tickets: list[str] | None = None          # as for a refund; None: every valid ticket
    event_id: str | None = None               # default: the same event
    section_id: str | None = None             # default: the old tickets' section
    seats: list[str] | None = None            # named seats; default best available
    counts: dict[str, int] | None = None      # new ticket types; default the old tickets' types
    accessible: bool = False
    tenders: list[Tender] = field(default_factory=list)
    supervisor: tuple[str, str] | None = None
    note: str | None = None
    expect_difference: int | None = None      # what the operator confirmed; refused if it changed since


def assess(ctx: Ctx, req: ExchangeRequest) -> dict[str, Any]:
    """Price an exchange without making it: credit, new lines, the difference and how it would be settled."""
    op = ctx.require("exchange")
    order, scanned = order_for(ctx, req.code)
    if order["status"] == "unpaid":
        raise BoxOfficeError("unpaid", _("order {code} is not paid: sell it instead of exchanging it").format(
            code=order["code"]))
    old = rf.pick_tickets(ctx, order, req.tickets or ([scanned] if scanned else None))
    old_ev = get_event(ctx, order["event_id"])
    ev = get_event(ctx, req.event_id or order["event_id"])
    section_id = req.section_id
    if section_id is None:
        sections = {t["section_id"] for t in old}
        if len(sections) != 1 or ev["id"] != old_ev["id"]:
            raise BoxOfficeError("bad_input", _("say which section the new tickets are in: --section ID"))
        section_id = sections.pop()
    counts = req.counts or dict(Counter(t["ticket_type_id"] for t in old))
    types = {t["id"]: t for t in catalog_store.ticket_types(ctx.conn, ev["id"])}
    if any(types.get(tid, {}).get("needs_supervisor") for tid in counts):
        raise BoxOfficeError("bad_input", _("an exchange cannot issue comps: refund, then sell the comp"))
    q = quote(ctx, ev["id"], section_id, counts)
    paid = rf.paid_for(ctx, order["id"])  # credited at what was paid, never at a price stored on the ticket
    old = [t | {"price": paid[t["id"]]} for t in old]
    credit = sum(t["price"] for t in old)
    difference = q["total"] - credit
    cur = order["currency"]
    if ev["currency"] != cur:
        raise BoxOfficeError("bad_input", _("cannot exchange {currency} tickets for {other} ones").format(
            currency=cur, other=ev["currency"]))
    overrides = (["outside_policy"] if _outside_policy(ctx, order, old_ev, ev, difference, [t["price"] for t in old])
                 else []) + \
        (["above_limit"] if payback.above_limit(ctx, order, -difference) else []) + rf.channel_override(ctx, order) + \
        rf.used_override(ctx, old)
    plan = payback.refund_plan(ctx, order, -difference) if difference < 0 else []
    return {"op": op, "order": order, "old": old, "event": ev, "section_id": section_id, "lines": q["lines"],
            "new_total": q["total"], "tax": q["tax"], "credit": credit, "difference": difference, "currency": cur,
            "overrides": overrides, "plan": plan}


class ExchangePreview(TypedDict):
    """An exchange as the operator confirms it (:func:`preview`, :func:`check`): money as text for the screen."""

    order: str
    to_event: str
    section: str
    old: list[dict[str, Any]]
    new: list[dict[str, Any]]
    credit: str
    new_total: str
    difference: int
    currency: str
    settle: str
    overrides: list[str]
    overrides_text: list[str]


# An exchange made (:func:`exchange`): the new order and its tickets, the money each way and the print jobs queued.
# "from" is a keyword, hence the functional form.
ExchangeResult = TypedDict("ExchangeResult", {
    "exchange": dict[str, Any], "order": dict[str, Any], "from": str, "tickets": list[dict[str, Any]],
    "payments": list[dict[str, Any]], "refunds": list[dict[str, Any]], "difference": int, "currency": str,
    "jobs": list[str], "change": int, "change_text": str, "difference_text": str, "steps": str | None,
    "override": bool, "approved_by": str | None, "outside_shift": bool})


def preview(ctx: Ctx, req: ExchangeRequest) -> ExchangePreview:
    """The exchange as the operator confirms it."""
    a = assess(ctx, req)
    cur = a["currency"]
    d = a["difference"]
    return {"order": a["order"]["code"], "to_event": a["event"]["name"], "section": a["section_id"],
            "old": [{"place": rf.place_label(t), "type": t["type_name"] or t["ticket_type_id"],
                     "price": format_money(t["price"], cur)} for t in a["old"]],
            "new": [{"type": line.name, "count": line.count, "price": format_money(line.unit_price, cur)}
                    for line in a["lines"]],
            "credit": format_money(a["credit"], cur), "new_total": format_money(a["new_total"], cur),
            "difference": d, "currency": cur,
            "settle": (_("customer pays {amount}").format(amount=format_money(d, cur)) if d > 0 else
                       payback.plan_steps(a["plan"], cur) if d < 0 else _("even")),
            "overrides": a["overrides"], "overrides_text": [rf.OVERRIDES[o] for o in a["overrides"]]}


def _checked(ctx: Ctx, req: ExchangeRequest, supervisor: str | None) -> dict[str, Any]:
    """Every rule an exchange applies before it writes, in one place for :func:`check` and :func:`exchange`."""
    from boxoffice.services.recovery_state import require_ready
    from boxoffice.services.shifts import shift_for_money

    ctx.require("exchange")
    require_ready(ctx)
    shift_id = shift_for_money(ctx)
    a = assess(ctx, req)
    op, order, ev, cur, diff = a["op"], a["order"], a["event"], a["currency"], a["difference"]
    if req.expect_difference is not None and req.expect_difference != diff:
        raise BoxOfficeError("conflict", _("the difference is now {now}, not the {confirmed} confirmed: nothing was "
                                           "changed").format(now=format_money(diff, cur),
                                                             confirmed=format_money(req.expect_difference, cur)))
    pauses.check(ctx, "sales", ev["id"])
    note = (req.note or "").strip() or None
    if note and (len(note) > rf.MAX_NOTE or any(ord(c) < 32 for c in note)):
        raise BoxOfficeError("bad_input", _("a note is up to {max} printable characters").format(max=rf.MAX_NOTE))
    refuse_card_number(note, "exchange note")
    if diff > 0:
        if any(t.tender == "comp" for t in req.tenders):
            raise BoxOfficeError("bad_input", _("the difference cannot be a comp: take cash or a card"))
        if not req.tenders:
            raise BoxOfficeError("insufficient_payment", _("{amount} is due: add --cash AMOUNT or --card "
                                                           "LAST4").format(amount=format_money(diff, cur)))
        payments = apply_tenders(diff, req.tenders, cur)
    elif req.tenders:
        raise BoxOfficeError("bad_input", _("nothing is due: the new tickets cost no more than the old ones "
                                            "(drop --cash/--card)"))
    else:
        payments = []
    detail = _("{count} ticket(s) of order {code}").format(count=len(a["old"]), code=order["code"])
    rf.check_authority(ctx, op, a["overrides"], supervisor, "exchange", detail)
    sec = catalog_store.section(ctx.conn, ev["id"], a["section_id"])
    assert sec is not None  # quote checked it
    if sec["kind"] == "general" and req.seats:
        raise BoxOfficeError("bad_input", _("{section} is general admission: give no seats").format(
            section=sec["name"]))
    from boxoffice.services.holders import carried_over

    places = sum(line.count for line in a["lines"])
    named = carried_over(ctx, ev, a["old"], places)  # a real-name event's holders
    _within_customer_limit(ctx, order, ev, places, len(a["old"]), named)
    return a | {"shift_id": shift_id, "note": note, "payments": payments, "detail": detail, "section": sec,
                "holders": named}


def _outside_policy(ctx: Ctx, order: Mapping[str, Any], old_ev: Mapping[str, Any], ev: Mapping[str, Any],
                    difference: int, paid: list[int]) -> bool:
    """Whether the exchange needs a supervisor as a refund outside the policy would: once the old event has
    started; or when it pays money back (a cheaper type) or moves the tickets (``paid``: what each was paid) to
    another event, whose own policy would then refund them in full, while the old event's policy would not give
    them back in full now (no refund, or a fee kept). A venue whose policy makes moves between events free
    (``exchange_between_events = "free"``) accepts that: a move that pays nothing back is then no refund. Money
    paid back on tickets that came here by such a move is judged by the night they left too
    (services/moved_terms.py)."""
    if parse_iso(old_ev["starts_at"]) <= ctx.now():
        return True
    if difference < 0 and stricter_night_before(ctx, order, paid):
        return True  # money back on tickets moved here for free from a stricter night (services/moved_terms.py)
    if difference >= 0 and (ev["id"] == old_ev["id"] or ctx.config.exchange_between_events == "free"):
        return False
    from boxoffice.services.demand_fee import decide

    decision = decide(ctx, old_ev)
    return not decision.refundable or any(decision.fees(paid))


def _within_customer_limit(ctx: Ctx, order: Mapping[str, Any], ev: Mapping[str, Any], places: int, old: int,
                           named: list[Any]) -> None:
    """Refuse (``customer_limit``) an exchange that gives the customer more places of an event with a cap than
    they may hold: the places it adds to the event (all of them when it moves the tickets to another event) are
    counted as a sale's would be. A real-name event counts its holders, carried over one for one."""
    extra = places - (old if ev["id"] == order["event_id"] else 0)
    if extra <= 0 or not ev.get("per_customer_limit") or named:
        return
    try:
        keys = customer_limits.customer_keys(ctx, phone=order["phone"], email=order["email"], places=extra)
    except BoxOfficeError:  # a phone or e-mail stored before it was checked: it could match nothing
        return
    customer_limits.enforce(ctx, ev, keys)


def check(ctx: Ctx, req: ExchangeRequest, supervisor: str | None = None) -> ExchangePreview:
    """Everything an exchange would refuse, refused now, before anyone is asked to confirm or to type a PIN: the
    permission, shift, order and tickets, the new places' prices, a pause, the payment of a difference, whether the
    operator or the supervisor named may approve the overrides (not the cash in the drawer: refunds.check says
    why). Returns the exchange as
    :func:`preview` shows it. (Whether the new places are still free is known only when they are taken.)"""
    name = supervisor if supervisor is not None else (req.supervisor[0] if req.supervisor else None)
    _checked(ctx, req, name)
    return preview(ctx, req)


def exchange(ctx: Ctx, req: ExchangeRequest) -> ExchangeResult:
    """Make the exchange. Returns the new order, its tickets, the money moved and print jobs (queued)."""
    from boxoffice.services.shifts import shift_for_money

    a = _checked(ctx, req, req.supervisor[0] if req.supervisor else None)
    op, order, ev, cur, diff = a["op"], a["order"], a["event"], a["currency"], a["difference"]
    shift_id, note, payments, sec, holders = a["shift_id"], a["note"], a["payments"], a["section"], a["holders"]
    approver = rf.authorise(ctx, op, a["overrides"], req.supervisor, "exchange", a["detail"])
    now = ctx.now_iso()
    new_id, exchange_id = uuid7(), uuid7()
    sale_req = SaleRequest(event_id=ev["id"], section_id=sec["id"], counts={}, tenders=[], seats=req.seats,
                           accessible=req.accessible)
    with write(ctx.conn):
        a = rf.reassess(ctx, a, lambda: assess(ctx, req))  # under the lock: the refund split on what is left
        shift_id = shift_for_money(ctx)  # and the drawer: one closed from another window since takes nothing
        rf.retire(ctx, order, a["old"], "exchanged")  # first: the old places are free for the new tickets
        tickets = place_tickets(ctx, ev, sec, sale_req, new_id, a["lines"])
        code = make_order_code(ctx.terminal["tag"], terminal_store.next_order_seq(ctx.conn))
        new_order = {"id": new_id, "code": code, "event_id": ev["id"], "channel": "box_office",
                     "terminal_id": ctx.terminal["id"], "status": "paid", "customer_name": order["customer_name"],
                     "email": order["email"], "phone": order["phone"], "phone_digits": order.get("phone_digits"),
                     "notes": f"exchange of {order['code']}", "total": a["new_total"],
                     "tax": tax_share(a["new_total"], ev["tax_rate_bp"]), "currency": cur, "created_at": now,
                     "operator_id": op["id"]}
        order_store.insert_order(ctx.conn, new_order)
        order_store.insert_tickets(ctx.conn, tickets)
        pay_rows = [payment_row(p, new_id, None, now, ctx) for p in payments]
        back_rows = payback.refund_rows(ctx, order["id"], a["plan"], approver["id"] if approver else None, shift_id)
        order_store.insert_payments(ctx.conn, pay_rows + back_rows)
        row = {"id": exchange_id, "from_order_id": order["id"], "to_order_id": new_id, "at": now,
               "operator_id": op["id"], "approved_by": approver["id"] if approver else None,
               "override": int(bool(a["overrides"])), "override_why": ",".join(a["overrides"]) or None,
               "credit": a["credit"], "new_total": a["new_total"], "difference": diff, "note": note,
               "shift_id": shift_id}
        store.insert_exchange(ctx.conn, row, [t["id"] for t in a["old"]])
        from boxoffice.services.printing import queue_layout, queue_order

        jobs = queue_order(ctx, new_id, receipt=False)
        named = [t | {"section_name": sec["name"]} for t in tickets]  # the slip names places as people do
        from boxoffice.i18n import use_language
        from boxoffice.printing.documents import exchange_layout

        with use_language(ctx.config.venue_language):  # paper speaks the venue's language
            slip = receipt_view(ctx, row, (order["code"], code), cur, a["old"], named, pay_rows + back_rows)
            blocks = exchange_layout(slip)
        jobs.append(queue_layout(ctx, "exchange", blocks, name=f"{code}-exchange", order_id=new_id))
        from boxoffice.services.holders import bind

        bound = bind(ctx, tickets, holders)  # the same holders, bound to the new tickets
        carried = customer_limits.carried(ctx, ev, phone=order["phone"], email=order["email"], places=len(tickets),
                                          holder_keys=[h["id_hash"] for h in holders])
        entry = ctx.journal("exchange", {"exchange": row, "old_tickets": [t["id"] for t in a["old"]],
                                         "order": new_order, "tickets": [journal_ticket(t) for t in tickets],
                                         "payments": pay_rows + back_rows, "jobs": jobs}
                            | ({"holders": bound} if bound else {}) | carried.journal_fields())
        carried.record(ctx, new_id, ev["id"], entry["seq"])
    change = sum(p.change or 0 for p in payments)
    return {"exchange": row, "order": new_order, "from": order["code"], "tickets": tickets,
            "payments": pay_rows, "refunds": back_rows, "difference": diff, "currency": cur, "jobs": jobs,
            "change": change, "change_text": format_money(change, cur), "difference_text": format_money(diff, cur),
            "steps": payback.plan_steps(a["plan"], cur) if diff < 0 else None,
            "override": bool(a["overrides"]), "approved_by": approver["name"] if approver else None,
            "outside_shift": cash_outside_shift(ctx, pay_rows + back_rows)}


def receipt_view(ctx: Ctx, row: dict[str, Any], codes: tuple[str, str], cur: str, old: list[dict[str, Any]],
                 new: list[dict[str, Any]], pays: list[dict[str, Any]]) -> Any:
    """What the exchange slip shows (printing/documents.py lays it out): what came back, what went out, and how
    the difference was settled."""
    from boxoffice.printing.documents import ExchangeReceiptView

    m = format_money
    d = row["difference"]
    payments = []
    for p in pays:
        label = _(TENDER_LABELS[p["tender"]]) + (f" ****{p['card_last4']}" if p["card_last4"] else "")
        shown = p["tendered"] if p["tendered"] is not None else p["amount"]
        payments.append((_("To {tender}").format(tender=label) if p["kind"] == "refund" else label, m(shown, cur),
                         m(p["change"], cur) if p["change"] else None))
    return ExchangeReceiptView(
        venue=ctx.config.venue_name or (catalog_store.venue(ctx.conn) or {}).get("name", ""),
        new_code=codes[1], old_code=codes[0], time=when_text(row["at"], rf.venue_tz(ctx), year=True),
        returned=[(f"{t['type_name'] or t['ticket_type_id']} {rf.place_label(t)}", m(t["price"], cur)) for t in old],
        new=[(f"{t['type_name']} {rf.place_label(t)}", m(t["price"], cur)) for t in new],
        credit=m(row["credit"], cur), new_total=m(row["new_total"], cur),
        paid=m(d, cur) if d > 0 else None, refunded=m(-d, cur) if d < 0 else None, payments=payments,
        open_drawer=bool(ctx.config.drawer_on_cash and any(p["tender"] == "cash" for p in pays)))
