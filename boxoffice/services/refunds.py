"""Refunds: whole orders or chosen tickets, priced by the event's refund policy now, paid back by the tenders used.

The rules, in the order they are applied:

- **Who.** Refunding takes the ``refund`` permission (seller, supervisor, admin). An *override* takes a
  supervisor's PIN (``--supervisor NAME``) unless a supervisor or admin is the one logged in; every override is
  flagged on the refund row and in the journal with why it was needed:
  ``outside_policy`` (no tier applies now: the refund is then the full price; or the tickets came by a free move
  from a night that kept a fee then: services/moved_terms.py, the new night's fee still kept), ``above_limit``
  (the amount, with what the order has had back already, is above ``refund_supervisor_above``), ``other_channel``
  (the order belongs to the web shop or another channel: that needs the central service, which this terminal
  cannot reach, so only an explicit ``--supervisor`` override lets it through offline, and the flag brings it to a
  supervisor at sync),
  ``other_terminal`` (another terminal sold it: the central service applies that refund only under a supervisor's
  override), ``used`` (a ticket was admitted at the door already), ``fee_waived`` (``--waive-fee``: the full price
  back inside a tier, as when the venue cancels).
- **How much.** What each ticket was paid (its share of the order's tenders, domain.paid_share: never the price
  stored on the ticket) less the fee of the policy tier in force (see domain.refund_policy), scaled by the demand
  band in force for an event with bands (domain.demand_bands, services.demand_fee).
- **Where the money goes.** Back to the original tenders, cards first, then cash: each card payment (newest
  first) takes back up to what it paid and has not had back, against its own last four digits; then each cash
  payment likewise. Cash is last because cash leaving the drawer is what a box office can least afford to get
  wrong. An order made by an exchange also draws on the tenders of the order it came from (its credit was paid
  there). Anything no local tender can take (a web order paid online) is paid in cash, and is flagged by its
  override anyway.
- **The drawer.** Cash back comes from the refunding operator's open shift (required when ``require_shift`` is
  set). It is not refused on what that drawer should hold: the refusal would tell a seller the figure before the
  blind count (services/blind_close.py); a drawer paid out past it shows as a variance at the close.
- **The tickets.** Refunded tickets are marked ``refunded`` and their tokens revoked in the same transaction, so
  ``ticket verify`` and the door refuse them at once; their seats (or standing places) go back to this terminal's
  stock. ``refund_items.ticket_id`` is UNIQUE, so even a race cannot refund a ticket twice.
- **The record.** The refund, its items, its payment rows, the revocations and the journal entry are one
  transaction. A receipt with a signature line is queued for the printer in it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict, cast

from boxoffice.domain.card_numbers import refuse_card_number
from boxoffice.domain.clock import when_text
from boxoffice.domain.ids import uuid7
from boxoffice.domain.money import format_money
from boxoffice.domain.paid_share import order_takings, paid_shares
from boxoffice.domain.permissions import allowed
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _, ngettext
from boxoffice.services.context import Ctx
from boxoffice.services.demand_fee import decide, refund_fields, summary
from boxoffice.services.events import get_event, venue_tz
from boxoffice.services.orders import order_for
from boxoffice.services.refund_authority import ROLE_WORDS as ROLE_WORDS
from boxoffice.services.refund_authority import authorise as authorise
from boxoffice.services.refund_authority import channel_override as channel_override
from boxoffice.services.refund_authority import check_authority as check_authority
from boxoffice.services.refund_authority import used_override as used_override
from boxoffice.services.refund_payback import (
    above_limit,
    plan_steps,
    plan_text,
    refund_plan,
    refund_rows,
)
from boxoffice.services.refund_receipt import OVERRIDES, place_label
from boxoffice.services.shifts import cash_outside_shift
from boxoffice.store import orders as order_store
from boxoffice.store import refunds as store
from boxoffice.store.db import write

# The documented reason codes (docs and `boxoffice refund --help` list them). 'other' needs a note.
REASONS: dict[str, str] = {
    "cancelled": "the event was cancelled or moved",
    "customer_request": "the customer asked",
    "duplicate": "the customer bought or was charged twice",
    "wrong_tickets": "the wrong event, date, seats or type were sold",
    "other": "anything else (say what in --note)",
}

MAX_NOTE = 200

@dataclass
class RefundRequest:
    """What the operator asked to refund, and why."""

    code: str                             # the order code, or a scanned ticket (then that ticket by default)
    tickets: list[str] | None = None      # ticket ids, id endings or seat labels; None: every valid ticket
    reason: str = "customer_request"
    note: str | None = None
    supervisor: tuple[str, str] | None = None   # (name, PIN) approving an override
    expect_amount: int | None = None      # the amount the operator confirmed; refused if it changed since
    waive_fee: bool = False               # full price back although the tier keeps a fee (an override)
    print_receipt: bool = True
    count: int | None = None              # this many standing places instead of named tickets (refund_count)
    ticket_type: str | None = None        # with count: only places of this ticket type


# -- shared with exchanges ---------------------------------------------------------------------------------------


def pick_tickets(ctx: Ctx, order: dict[str, Any], specs: list[str] | None) -> list[dict[str, Any]]:
    """The order's tickets named by id, id ending (4+ characters) or seat label; all valid ones when none named.

    Refuses a ticket refunded already (``already_refunded``) or exchanged already (``conflict``), naming it.
    """
    tickets = order_store.tickets_of(ctx.conn, order["id"])
    if not specs:
        chosen = [t for t in tickets if t["status"] == "valid"]
        if not chosen:
            done = [t for t in tickets if t["status"] == "refunded"]
            if done:
                raise BoxOfficeError("already_refunded", _("every ticket of order {code} was refunded "
                                                           "or exchanged already").format(code=order["code"]))
            raise BoxOfficeError("conflict", _("order {code} has no valid tickets left").format(code=order["code"]))
        return chosen
    chosen = []
    for spec in specs:
        s = spec.strip()
        hits = [t for t in tickets if t["id"] == s.lower()] or \
               [t for t in tickets if t["row"] is not None and f"{t['row']}{t['seat']}".upper() == s.upper()] or \
               ([t for t in tickets if t["id"].endswith(s.lower())] if len(s) >= 4 else [])
        if len(hits) != 1:
            known = ", ".join(f"{place_label(t)} ({t['id'][-6:]})" for t in tickets)
            message = (_("order {code} has more than one ticket matching {spec}: its tickets are {known}") if hits
                       else _("order {code} has no ticket matching {spec}: its tickets are {known}"))
            raise BoxOfficeError("not_found" if not hits else "bad_input",
                                 message.format(code=order["code"], spec=repr(s), known=known))
        if hits[0] not in chosen:
            chosen.append(hits[0])
    for t in chosen:
        refuse_unless_valid(ctx, order, t)
    return chosen


def refuse_unless_valid(ctx: Ctx, order: dict[str, Any], t: dict[str, Any]) -> None:
    """A refund or an exchange needs a valid ticket: say what happened to it otherwise."""
    if t["status"] == "refunded":
        done = store.refund_of_ticket(ctx.conn, t["id"])
        when = _(" on {when}").format(when=when_text(done["at"], venue_tz(ctx))) if done else ""
        raise BoxOfficeError("already_refunded", _("ticket {place} of order {code} was refunded "
                                                   "already{when}: nothing was changed").format(
            place=place_label(t), code=order["code"], when=when))
    if t["status"] == "exchanged":
        ex = store.exchange_of_ticket(ctx.conn, t["id"])
        into = _(" into order {code}").format(code=ex["to_code"]) if ex else ""
        raise BoxOfficeError("conflict", _("ticket {place} of order {code} was exchanged{into}: "
                                           "refund or exchange the new order instead").format(
            place=place_label(t), code=order["code"], into=into))


def release_places(ctx: Ctx, order: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
    """Put refunded or exchanged places back into this terminal's stock.

    A seat goes back only if this terminal holds it for that very ticket; a standing place only if this terminal
    sold it (a web order's places were never in this terminal's allocation).
    """
    ours = order["channel"] == "box_office" and order["terminal_id"] == ctx.terminal["id"]
    for t in tickets:
        if t["row"] is not None:
            label = f"{t['row']}{t['seat']}"
            if store.seat_holder(ctx.conn, t["event_id"], t["section_id"], label) == t["id"]:
                order_store.free_seat(ctx.conn, t["event_id"], t["section_id"], label)
        elif ours:
            order_store.give_back_general(ctx.conn, t["event_id"], t["section_id"], 1)


def retire(ctx: Ctx, order: dict[str, Any], tickets: list[dict[str, Any]], status: str) -> None:
    """Mark tickets refunded or exchanged, revoke their tokens and free their places; all or nothing."""
    ids = [t["id"] for t in tickets]
    if store.retire_tickets(ctx.conn, ids, status) != len(ids):
        raise BoxOfficeError("already_refunded", _("a ticket of order {code} was refunded or exchanged a "
                                                   "moment ago: nothing was changed").format(code=order["code"]))
    now = ctx.now_iso()
    for tid in ids:
        order_store.revoke(ctx.conn, tid, now, status)
    release_places(ctx, order, tickets)


def reassess(ctx: Ctx, first: dict[str, Any], again: Any) -> dict[str, Any]:
    """The assessment redone inside the write transaction; refused if what was approved no longer holds."""
    now = again()
    if now["overrides"] != first["overrides"] or now.get("amount") != first.get("amount") \
            or now.get("difference") != first.get("difference"):
        raise BoxOfficeError("conflict", _("order {code} changed a moment ago (another counter?): "
                                           "nothing was done; look at it again").format(code=first["order"]["code"]))
    return now


def _order_status(ctx: Ctx, order_id: str) -> str | None:
    statuses = [t["status"] for t in order_store.tickets_of(ctx.conn, order_id)]
    if "refunded" not in statuses:
        return None
    return "part_refunded" if "valid" in statuses else "refunded"


# -- refunds -----------------------------------------------------------------------------------------------------


def paid_for(ctx: Ctx, order_id: str) -> dict[str, int]:
    """Ticket id -> what that ticket was really paid: its share of the tenders taken for its order (and the credit
    an exchange brought in), never the price stored on the ticket (domain.paid_share)."""
    o = store.takings(ctx.conn, order_id)[0]
    took = order_takings(o["paid"], o["credit"], o["total"], has_tenders=bool(o["tenders"] or o["exchanges"]))
    return paid_shares(took, [(t["id"], t["price"]) for t in store.ticket_prices(ctx.conn, order_id)])


def assess(ctx: Ctx, code: str, tickets: list[str] | None = None, waive_fee: bool = False,
           count: int | None = None, ticket_type: str | None = None) -> dict[str, Any]:
    """What a refund would be now, without doing it: tickets, fees, amount, tenders and any override needed.

    ``count`` refunds that many standing places of the order instead of named tickets (services.refund_count
    says which), of ``ticket_type`` when given."""
    op = ctx.require("refund")
    if count is not None and tickets:
        raise BoxOfficeError("bad_input", _("name the tickets (--tickets) or say how many standing places (--count), "
                                            "not both"))
    if ticket_type is not None and count is None:
        raise BoxOfficeError("bad_input", _("--type chooses among standing places: use it with --count"))
    order, scanned = order_for(ctx, code)
    if order["status"] == "unpaid":
        raise BoxOfficeError("unpaid", _("order {code} is not paid: there is nothing to refund").format(
            code=order["code"]))
    if count is not None:
        from boxoffice.services.refund_count import pick_count

        chosen = pick_count(ctx, order, count, ticket_type)
    else:
        chosen = pick_tickets(ctx, order, tickets or ([scanned] if scanned else None))
    ev = get_event(ctx, order["event_id"])
    cur = order["currency"]
    decision = decide(ctx, ev)  # the time tier, and the demand band for an event with bands
    paid = paid_for(ctx, order["id"])
    fees = decision.fees([paid[t["id"]] for t in chosen])
    waived = waive_fee and any(fees)
    if waived:
        fees = [0] * len(fees)
    items = [{"ticket_id": t["id"], "place": place_label(t), "type": t["type_name"] or t["ticket_type_id"],
              "price": paid[t["id"]], "fee": fee, "amount": paid[t["id"]] - fee}
             for t, fee in zip(chosen, fees, strict=True)]
    amount = sum(i["amount"] for i in items)
    from boxoffice.services.moved_terms import stricter_night_before

    strict = stricter_night_before(ctx, order, [paid[t["id"]] for t in chosen])
    overrides = ([] if decision.refundable and not strict else ["outside_policy"]) + \
        (["above_limit"] if above_limit(ctx, order, amount) else []) + channel_override(ctx, order) + \
        used_override(ctx, chosen) + (["fee_waived"] if waived else [])
    plan = refund_plan(ctx, order, amount)
    return {"order": order, "event": ev, "tickets": chosen, "items": items, "amount": amount,
            "fee": sum(fees), "currency": cur, "decision": decision, "policy": decision.describe(cur),
            "tier": decision.tier.position if decision.tier else None, "demand": summary(decision, cur),
            "overrides": overrides, "plan": plan,
            "plan_text": plan_text(plan, cur), "amount_text": format_money(amount, cur),
            "needs_supervisor": bool(overrides) and ("other_channel" in overrides
                                                     or not allowed(op["role"], "refund_override"))}


class RefundPreview(TypedDict):
    """A refund as the operator confirms it (:func:`preview`): money as text for the screen, plus the plan."""

    order: str
    event: str
    policy: str
    tier: int | None
    demand: dict[str, Any] | None    # the demand band that scaled the fee (services.demand_fee.summary)
    tickets: list[dict[str, Any]]
    amount: int
    amount_text: str
    fee_text: str
    currency: str
    to: str
    steps: str
    plan: list[dict[str, Any]]
    overrides: list[str]
    overrides_text: list[str]
    needs_supervisor: bool


class RefundCheck(RefundPreview):
    """What :func:`check` found: the preview and the question to ask before the refund is made."""

    question: str


class RefundResult(TypedDict):
    """A refund made (:func:`refund`): the stored row, its items and payment rows, and the receipt's print jobs."""

    refund: dict[str, Any]
    order: str
    items: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    jobs: list[str]
    amount: int
    amount_text: str
    currency: str
    to: str
    steps: str
    override: bool
    overrides: list[str]
    approved_by: str | None
    policy: str
    demand: dict[str, Any] | None
    outside_shift: bool  # cash given back with no shift, at a terminal that keeps shifts (services/shifts.py)


def preview(ctx: Ctx, code: str, tickets: list[str] | None = None, waive_fee: bool = False,
            count: int | None = None, ticket_type: str | None = None) -> RefundPreview:
    """The refund as the operator confirms it: plain values for the screen or --json."""
    a = assess(ctx, code, tickets, waive_fee, count, ticket_type)
    cur = a["currency"]
    return {"order": a["order"]["code"], "event": a["event"]["name"], "policy": a["policy"], "tier": a["tier"],
            "demand": a["demand"],
            "tickets": [i | {"price": format_money(i["price"], cur), "fee": format_money(i["fee"], cur),
                             "amount": format_money(i["amount"], cur)} for i in a["items"]],
            "amount": a["amount"], "amount_text": a["amount_text"], "fee_text": format_money(a["fee"], cur),
            "currency": cur, "to": a["plan_text"], "steps": plan_steps(a["plan"], cur), "plan": a["plan"],
            "overrides": a["overrides"], "overrides_text": [_(OVERRIDES[o]) for o in a["overrides"]],
            "needs_supervisor": a["needs_supervisor"]}


def _checked(ctx: Ctx, req: RefundRequest, supervisor: str | None) -> dict[str, Any]:
    """Every rule a refund applies before it writes, in one place for :func:`check` and :func:`refund`."""
    from boxoffice.services.recovery_state import require_ready
    from boxoffice.services.shifts import shift_for_money

    op = ctx.require("refund")
    require_ready(ctx)
    if req.reason not in REASONS:
        raise BoxOfficeError("bad_input", _("unknown reason {reason}: use one of {reasons}").format(
            reason=repr(req.reason), reasons=", ".join(REASONS)))
    note = (req.note or "").strip() or None
    if note and (len(note) > MAX_NOTE or any(ord(c) < 32 for c in note)):
        raise BoxOfficeError("bad_input", _("a note is up to {count} printable characters").format(count=MAX_NOTE))
    refuse_card_number(note, "refund note")
    if req.reason == "other" and not note:
        raise BoxOfficeError("bad_input", _("reason 'other' needs a note saying what: --note '...'"))
    shift_id = shift_for_money(ctx)
    a = assess(ctx, req.code, req.tickets, req.waive_fee, req.count, req.ticket_type)
    order, cur = a["order"], a["currency"]
    if req.expect_amount is not None and req.expect_amount != a["amount"]:
        raise BoxOfficeError("conflict", _("the refund is now {amount}, not the "
                                           "{confirmed} confirmed (the policy tier or demand "
                                           "band changed meanwhile): nothing was refunded; run it again").format(
            amount=a["amount_text"], confirmed=format_money(req.expect_amount, cur)))
    detail = _("{amount} of order {code}").format(amount=a["amount_text"], code=order["code"])
    check_authority(ctx, op, a["overrides"], supervisor, "refund", detail)
    return a | {"op": op, "note": note, "shift_id": shift_id, "detail": detail}


def check(ctx: Ctx, req: RefundRequest, supervisor: str | None = None) -> RefundCheck:
    """Everything a refund would refuse, refused now, before anyone is asked to confirm or to type a PIN: the
    permission, reason and note, the shift, the order and its tickets, the policy and the limit, whether the
    operator or the supervisor named (``supervisor``, or ``req.supervisor``'s name) may approve the overrides.
    Not the cash in the drawer: a refusal on what it should hold would tell a seller the figure before the blind
    count (services/blind_close.py); a drawer paid out past it shows as a variance at the close. Returns the
    refund as :func:`preview` shows it, with the question to ask."""
    name = supervisor if supervisor is not None else (req.supervisor[0] if req.supervisor else None)
    a = _checked(ctx, req, name)
    out = cast(RefundCheck, preview(ctx, req.code, req.tickets, req.waive_fee, req.count,
                                                 req.ticket_type))  # the question is added here
    n = len(a["items"])
    out["question"] = ngettext("Refund {n} ticket of {order} for {amount}: {steps}?",
                               "Refund {n} tickets of {order} for {amount}: {steps}?", n).format(
        n=n, order=out["order"], amount=format_money(out["amount"], out["currency"], symbol=True), steps=out["steps"])
    return out


def refund(ctx: Ctx, req: RefundRequest) -> RefundResult:
    """Refund tickets now. Returns the refund with its items, payment rows and print jobs (not yet printed)."""
    from boxoffice.services.shifts import shift_for_money

    a = _checked(ctx, req, req.supervisor[0] if req.supervisor else None)
    op, note, shift_id, order, cur = a["op"], a["note"], a["shift_id"], a["order"], a["currency"]
    approver = authorise(ctx, op, a["overrides"], req.supervisor, "refund", a["detail"])
    refund_id = uuid7()
    with write(ctx.conn):
        # Again under the write lock: another counter on this database may have refunded part of the order since,
        # and the tenders must be split on what they have really not had back yet.
        a = reassess(ctx, a, lambda: assess(ctx, req.code, req.tickets, req.waive_fee, req.count,
                                                     req.ticket_type))
        shift_id = shift_for_money(ctx)  # and the drawer: one closed from another window since takes nothing
        row = {"id": refund_id, "order_id": order["id"], "at": ctx.now_iso(), "operator_id": op["id"],
               "approved_by": approver["id"] if approver else None, "override": int(bool(a["overrides"])),
               "override_why": ",".join(a["overrides"]) or None, "reason_code": req.reason, "note": note,
               "tier": a["tier"], "amount": a["amount"], "fee": a["fee"], "shift_id": shift_id} \
            | refund_fields(a["decision"])
        items = [{k: i[k] for k in ("ticket_id", "price", "fee", "amount")} for i in a["items"]]
        retire(ctx, order, a["tickets"], "refunded")
        store.insert_refund(ctx.conn, row, items)
        pay_rows = refund_rows(ctx, order["id"], a["plan"], row["approved_by"], shift_id)
        order_store.insert_payments(ctx.conn, pay_rows)
        status = _order_status(ctx, order["id"])
        if status:
            store.set_order_status(ctx.conn, order["id"], status)
        jobs = []
        if req.print_receipt:
            from boxoffice.printing.documents import refund_layout
            from boxoffice.services.printing import queue_layout
            from boxoffice.services.refund_receipt import receipt_view

            jobs.append(queue_layout(ctx, "refund", refund_layout(receipt_view(ctx, refund_id, pay_rows)),
                                     name=f"{order['code']}-refund", order_id=order["id"]))
        ctx.journal("refund", {"refund": row, "items": items, "payments": pay_rows,
                               "revoked": [i["ticket_id"] for i in items], "order_status": status, "jobs": jobs})
    return {"refund": row, "order": order["code"], "items": a["items"], "payments": pay_rows, "jobs": jobs,
            "amount": a["amount"], "amount_text": a["amount_text"], "currency": cur, "to": plan_text(a["plan"], cur),
            "steps": plan_steps(a["plan"], cur), "override": bool(a["overrides"]), "overrides": a["overrides"],
            "approved_by": approver["name"] if approver else None, "policy": a["policy"], "demand": a["demand"],
            "outside_shift": cash_outside_shift(ctx, pay_rows)}
