"""Walk-up sales: choose places, price them, take payment, sign tickets, queue printing, all in one transaction.

The sale commits before anything is printed: a printer that fails leaves a paid order and a pending job, never a
lost or doubled sale. Places are taken with conditional UPDATEs inside ``BEGIN IMMEDIATE``, so two counters on one
database racing for the last place get one sale and one ``sold_out``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, cast

from boxoffice.domain.card_numbers import refuse_card_number
from boxoffice.domain.codes import make_order_code
from boxoffice.domain.ids import uuid7
from boxoffice.domain.money import format_money, tax_share
from boxoffice.domain.pricing import Line, build_lines
from boxoffice.domain.tenders import Payment, Tender, apply_tenders
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services import customer_limits, holders, pauses
from boxoffice.services.context import Ctx
from boxoffice.services.events import get_event
from boxoffice.services.printing import queue_order
from boxoffice.services.recovery_state import require_ready
from boxoffice.services.shifts import cash_outside_shift, require_open_shift, shift_for_money
from boxoffice.services.signing import key_id_bytes, private_key
from boxoffice.store import allocations as alloc_store
from boxoffice.store import catalog as catalog_store
from boxoffice.store import orders as order_store
from boxoffice.store import sale_reads
from boxoffice.store import terminal as terminal_store
from boxoffice.store.db import write
from boxoffice.tickets.token import TicketClaims, sign_token

# The services a sale runs are imported above, not in the functions using them: an import statement in a function
# runs again on every call (about 5,000 instructions each, a dozen a sale).
if TYPE_CHECKING:  # imported where used: a standing sale picks no seat, a sale without holders parses none
    from boxoffice.domain import seating
    from boxoffice.domain.holders import HolderInput

MAX_TEXT = 200


class SaleCheck(TypedDict):
    """What :func:`check` found: the price to take and whether a supervisor's PIN must be asked for (a comp)."""

    total: int
    currency: str
    needs_supervisor: bool


class SaleResult(TypedDict):
    """A sale done (:func:`sell`): the rows stored, the priced lines, the change due and the print jobs queued."""

    order: dict[str, Any]
    tickets: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    total: int
    tax: int
    change: int
    currency: str
    jobs: list[str]
    customer_limit: dict[str, Any]
    total_text: str
    change_text: str
    holders: list[dict[str, Any]]  # a real-name sale's holders as shown (services/holders.py); else empty
    outside_shift: bool  # cash taken with no shift open, at a terminal that keeps shifts (services/shifts.py)


@dataclass
class SaleRequest:
    """What the operator asked for at the window."""

    event_id: str
    section_id: str
    counts: dict[str, int]
    tenders: list[Tender]
    seats: list[str] | None = None
    accessible: bool = False
    customer_name: str | None = None
    email: str | None = None
    phone: str | None = None
    supervisor: tuple[str, str] | None = None  # (name, PIN) approving a comp
    print_receipt: bool = True
    holders: list[HolderInput] | None = None  # a real-name event: one a ticket, in the order tickets are issued
    basket_id: str | None = None  # the counter basket whose held seats this sale may take (services/seat_holds.py)
    extra: dict[str, Any] = field(default_factory=dict)


def _clean(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if any(ord(c) < 32 for c in value):
        raise BoxOfficeError("bad_input", _("{what} has control characters").format(what=_(what)))
    if len(value) > MAX_TEXT:
        raise BoxOfficeError("bad_input", _("{what} is longer than {count} characters").format(
            what=_(what), count=MAX_TEXT))
    refuse_card_number(value, what)
    return value or None


def clean_customer(name: str | None, email: str | None,
                   phone: str | None) -> tuple[str | None, str | None, str | None]:
    """A sale's customer name, e-mail and phone as stored: trimmed, blank as None, hostile text and card numbers
    refused (``bad_input``). The counter screen's customer step checks with this too, so both refuse alike."""
    return _clean(name, N_("customer name")), _clean(email, N_("e-mail")), _clean(phone, N_("phone"))


def quote(ctx: Ctx, event_id: str, section_id: str, counts: dict[str, int]) -> dict[str, Any]:
    """Price a request without selling it: the lines, total and tax, so the operator can say the amount."""
    ev, _active, types, prices = _event_reads(ctx, event_id)
    lines = _priced(ctx, ev, section_id, counts, types, prices)[0]
    total = sum(line.amount for line in lines)
    return {"event": ev, "lines": lines, "total": total, "tax": tax_share(total, ev["tax_rate_bp"])}


def _event_reads(ctx: Ctx, event_id: str) -> tuple[dict[str, Any], list[dict], list[dict], list[dict]]:
    """The event, the active sales pauses, its ticket types and prices (store/sale_reads.py: kept on the
    connection while neither another connection's commit nor a change of its own can have changed them)."""
    found = sale_reads.event_reads(ctx.conn, event_id)
    if found[0] is None:
        get_event(ctx, event_id)  # refuses, naming the events there are
        found = sale_reads.event_reads(ctx.conn, event_id)  # made since the first read: read again
    ev, active, types, prices = found
    return cast(dict[str, Any], ev if ev is not None else get_event(ctx, event_id)), active, types, prices


def _priced(ctx: Ctx, ev: Mapping[str, Any], section_id: str, counts: dict[str, int], type_rows: list[dict],
            price_rows: list[dict]) -> tuple[list[Line], dict[str, dict], dict[str, Any]]:
    """The priced lines, with the event's ticket types by id and the section they were priced from: a sale's
    checks use both, and reading them once spares two queries a sale."""
    sec = catalog_store.section(ctx.conn, ev["id"], section_id)
    if sec is None:
        names = ", ".join(s["id"] for s in catalog_store.sections(ctx.conn, ev["id"]))
        raise BoxOfficeError("not_found", _("event {event} has no section {section} (it has {names})").format(
            event=repr(ev["id"]), section=repr(section_id), names=names))
    types = {t["id"]: t for t in type_rows}
    prices = {p["ticket_type_id"]: p["amount"] for p in price_rows if p["section_id"] == section_id}
    return build_lines(counts, types, prices, section_id, ev["per_order_limit"], ev["tax_rate_bp"]), types, sec


def _checked(ctx: Ctx, req: SaleRequest, supervisor: str | None) -> dict[str, Any]:
    """Every rule a sale applies before it writes, in one place for :func:`check` and :func:`sell`."""
    op = ctx.require("sell")
    require_ready(ctx)  # restored from an older backup: not until `boxoffice sync recover`
    require_open_shift(ctx)  # with require_shift set, no open shift: no sale
    ev, active, type_rows, price_rows = _event_reads(ctx, req.event_id)
    pauses.check(ctx, "sales", ev["id"], active=active)
    lines, types, sec = _priced(ctx, ev, req.section_id, req.counts, type_rows, price_rows)
    total = sum(line.amount for line in lines)
    # The tax contained in the total, as the receipt shows it; summing each ticket's rounded share would
    # drift a cent from it (two 35.00 tickets at 20% hold 11.67, not 2 x 5.83).
    tax = tax_share(total, ev["tax_rate_bp"])
    payments = apply_tenders(total, req.tenders, ev["currency"])
    comp_by = _comp_authority(ctx, op, lines, types, payments, supervisor)
    customer = clean_customer(req.customer_name, req.email, req.phone)
    for p in payments:
        refuse_card_number(p.reason, "comp reason")
    if sec["kind"] == "general" and req.seats:
        raise BoxOfficeError("bad_input", _("{section} is general admission: give a count, not seats").format(
            section=sec["name"]))
    n = sum(line.count for line in lines)
    named = holders.prepare(ctx, ev, req.holders, n)
    # The event's cap per customer: each holder of a real-name sale, else the sale's phone and e-mail (the
    # central service is asked when it can be).
    keys = (([(h["id_hash"], 1) for h in named] if named else
             customer_limits.customer_keys(ctx, phone=customer[2], email=customer[1], places=n))
            if ev["per_customer_limit"] else [])
    limits = customer_limits.enforce(ctx, ev, keys)
    return {"op": op, "event": ev, "lines": lines, "total": total, "tax": tax, "payments": payments,
            "comp_by": comp_by, "customer": customer, "section": sec, "holders": named, "limits": limits}


def check(ctx: Ctx, req: SaleRequest, supervisor: str | None = None) -> SaleCheck:
    """Everything a sale would refuse, refused before a supervisor is asked for a PIN (a comp): the permission,
    shift, a pause, the prices, the payment, whether the supervisor named may approve, and whether the places are
    there now. Returns {"total", "currency", "needs_supervisor"}."""
    name = supervisor if supervisor is not None else (req.supervisor[0] if req.supervisor else None)
    c = _checked(ctx, req, name)
    _take_places(ctx, c["event"], c["section"], req, sum(line.count for line in c["lines"]), take=False)
    return {"total": c["total"], "currency": c["event"]["currency"], "needs_supervisor": c["comp_by"] == "supervisor"}


def planned_seats(ctx: Ctx, req: SaleRequest) -> list[str] | None:
    """The seats this request would take now (named, or the best available), taking nothing; None for standing
    places. Raises what the places would refuse (unknown section, seats taken, too few left)."""
    ev = get_event(ctx, req.event_id)
    sec = catalog_store.section(ctx.conn, ev["id"], req.section_id)
    if sec is None or sec["kind"] == "general":
        return None
    places = _take_places(ctx, dict(ev), sec, req, sum(req.counts.values()), take=False)
    return [f"{row}{seat}" for row, seat in places]


def sell(ctx: Ctx, req: SaleRequest) -> SaleResult:
    """Sell one order. Returns the order with its tickets, payments and change; printing is queued, not done."""
    c = _checked(ctx, req, req.supervisor[0] if req.supervisor else None)
    op, ev, lines, total, tax, payments, sec = (c["op"], c["event"], c["lines"], c["total"], c["tax"], c["payments"],
                                                c["section"])
    cur = ev["currency"]
    name, email, phone = c["customer"]
    approver = None
    if c["comp_by"] == "operator":
        approver = op["id"]
    elif c["comp_by"] == "supervisor":
        from boxoffice.services.operators import approve

        assert req.supervisor is not None  # _comp_authority refused otherwise
        approver = approve(ctx, req.supervisor[0], req.supervisor[1], "comp")["id"]
    now = ctx.now_iso()
    order_id = uuid7()
    with write(ctx.conn):
        tickets = place_tickets(ctx, ev, sec, req, order_id, lines)
        code = make_order_code(ctx.terminal["tag"], terminal_store.next_order_seq(ctx.conn))
        order = {"id": order_id, "code": code, "event_id": ev["id"], "channel": "box_office",
                 "terminal_id": ctx.terminal["id"], "status": "paid", "customer_name": name, "email": email,
                 "phone": phone, "phone_digits": "".join(c for c in phone if c.isdigit()) if phone else None,
                 "notes": None, "total": total, "tax": tax, "currency": cur, "created_at": now,
                 "operator_id": op["id"]}
        order_store.insert_order(ctx.conn, order)
        order_store.insert_tickets(ctx.conn, tickets)
        pay_rows = [payment_row(p, order_id, approver, now, ctx) for p in payments]
        order_store.insert_payments(ctx.conn, pay_rows)
        bound = holders.bind(ctx, tickets, c["holders"])
        entry = ctx.journal("sale", {"order": order, "tickets": [journal_ticket(t) for t in tickets],
                                     "payments": pay_rows} | ({"holders": bound} if bound else {})
                            | c["limits"].journal_fields())
        c["limits"].record(ctx, order_id, ev["id"], entry["seq"])
        jobs = queue_order(ctx, order_id, receipt=req.print_receipt,  # the tickets as inserted: no query for them
                           drawer=any(p.tender == "cash" for p in payments), ticket_ids=[t["id"] for t in tickets])
    change = sum(p.change or 0 for p in payments)
    return {"order": order, "tickets": tickets, "payments": pay_rows, "lines": [line.__dict__ for line in lines],
            "total": total, "tax": tax, "change": change, "currency": cur, "jobs": jobs,
            "customer_limit": c["limits"].shown(), "total_text": format_money(total, cur),
            "change_text": format_money(change, cur), "holders": [dict(holders.shown_holder(h)) for h in bound],
            "outside_shift": cash_outside_shift(ctx, pay_rows)}


def _comp_authority(ctx: Ctx, op: dict, lines: list[Line], types: dict[str, dict], payments: list[Payment],
                    supervisor: str | None) -> str | None:
    """Who approves a comp: None (no comp), "operator" (they may comp) or "supervisor" (the one named, whose PIN is
    then checked). Comps need a reason; refuses when nobody named may approve."""
    is_comp = any(p.tender == "comp" for p in payments) or any(types[x.ticket_type_id]["needs_supervisor"]
                                                                for x in lines)
    if not is_comp:
        return None
    if not any(p.tender == "comp" and p.reason for p in payments):
        raise BoxOfficeError("bad_input", _("a comp needs a reason: --comp 'press night guest'"))
    from boxoffice.domain.permissions import allowed

    if allowed(op["role"], "comp"):
        return "operator"
    if supervisor is None:
        from boxoffice.services.refunds import ROLE_WORDS

        raise BoxOfficeError("permission_denied", _("{name} ({role}) may not give comps: a supervisor "
                                                    "must approve (--supervisor NAME, PIN asked)").format(
            name=op["name"], role=_(ROLE_WORDS.get(op["role"], op["role"]))))
    from boxoffice.services.operators import check_approver

    check_approver(ctx, supervisor, "comp")
    return "supervisor"


def place_tickets(ctx: Ctx, ev: dict, sec: dict, req: SaleRequest, order_id: str,
                  lines: list[Line]) -> list[dict[str, Any]]:
    """Take the places for ``lines`` and issue their signed tickets, inside the caller's transaction.

    A sale and an exchange both come through here, so tickets are made one way whatever made them.
    """
    places = _take_places(ctx, ev, sec, req, sum(line.count for line in lines))
    tickets = _issue_tickets(ctx, ev["id"], sec["id"], order_id, lines, places)
    if sec["kind"] == "reserved":
        from boxoffice.services.seat_holds import forget_sold

        forget_sold(ctx, ev["id"], sec["id"], [f"{row}{seat}" for row, seat in places])
    return tickets


def _take_places(ctx: Ctx, ev: dict, sec: dict, req: SaleRequest, n: int,
                 take: bool = True) -> list[tuple[str | None, str | None]]:
    """Reserve places inside the sale's transaction: (row, seat) per ticket, (None, None) for standing.

    With ``take`` False nothing is reserved: the same refusals, for a check before anyone is asked for a PIN.
    """
    governed = _refuse_stopped(ctx, ev["id"], sec)
    if sec["kind"] == "general":
        enough = (order_store.take_general(ctx.conn, ev["id"], sec["id"], n) if take
                  else order_store.general_left(ctx.conn, ev["id"], sec["id"]) >= n)
        if not enough:
            left = order_store.general_left(ctx.conn, ev["id"], sec["id"])
            now_sec = catalog_store.section(ctx.conn, ev["id"], sec["id"]) or sec
            if governed and now_sec["allocated"] < now_sec["capacity"]:
                # Places this terminal was not given may still be unsold: not sold out, outside the allocation.
                if left <= 0:
                    raise BoxOfficeError("not_allocated", _("this terminal's allocation of {section} is used up: "
                                                            "sync to top it up, or try another section").format(
                        section=sec["name"]), available=0)
                raise BoxOfficeError("not_allocated", _("only {left} left in this terminal's allocation of "
                                                        "{section}: sell {left} or fewer, or sync to top it up").format(
                    left=left, section=sec["name"]), available=left)
            if left <= 0:
                raise BoxOfficeError("sold_out", _("{section} is sold out; try another section").format(
                    section=sec["name"]), available=0)
            raise BoxOfficeError("sold_out", _("only {left} left in {section}: sell {left} or fewer").format(
                left=left, section=sec["name"]), available=left)
        return [(None, None)] * n
    from boxoffice.domain import seating

    rows_ = _seat_rows(ctx, ev["id"], sec["id"], req.basket_id)
    if req.seats:
        if len(req.seats) != n:
            raise BoxOfficeError("bad_input", _("{seats} seats named for {n} tickets: name one seat a ticket").format(
                seats=len(req.seats), n=n))
        _refuse_unallocated(ctx, ev["id"], sec["id"], req.seats)
        chosen = seating.check_named(rows_, [s.strip().upper() for s in req.seats])
    else:
        try:
            chosen = seating.best_available(rows_, n, accessible=req.accessible)
        except BoxOfficeError as exc:
            if exc.code in ("sold_out", "not_enough_together") and governed and any(
                    s["status"] == "free" and not s["allocated"]
                    for s in catalog_store.seats(ctx.conn, ev["id"], sec["id"])):
                if exc.code == "sold_out":
                    message = _("no seat of {section} is left in this terminal's allocation: sync to top it "
                                "up, or try another section").format(section=sec["name"])
                else:
                    message = _("no {n} seats together in this terminal's allocation of {section} (the largest "
                                "block is {largest}): sell fewer, or sync to top it up").format(
                        n=n, section=sec["name"], largest=exc.details.get("largest_block", 0))
                raise BoxOfficeError("not_allocated", message, **exc.details) from None
            raise
    return [(s.row, s.number) for s in chosen]


def _refuse_stopped(ctx: Ctx, event_id: str, sec: dict) -> bool:
    """Refuse a section the central box office recalled or wrote off here; return whether the central service
    governs the event's places here (then running out means 'not allocated', not 'sold out')."""
    stop, governed = alloc_store.stop_and_governed(ctx.conn, event_id, sec["id"])
    if stop is not None:
        message = (_("{section} was recalled from this terminal by {by} ({reason}): no sales here until the box "
                     "office grants places again") if stop["kind"] == "recall" else
                   _("{section} was written off from this terminal by {by} ({reason}): no sales here until the box "
                     "office grants places again"))
        raise BoxOfficeError("not_allocated", message.format(section=sec["name"], by=stop["by"],
                                                             reason=stop["reason"]), available=0)
    return governed


def _refuse_unallocated(ctx: Ctx, event_id: str, section_id: str, labels: list[str]) -> None:
    for seat in catalog_store.seats(ctx.conn, event_id, section_id):
        if seat["label"] in {x.strip().upper() for x in labels} and not seat["allocated"]:
            raise BoxOfficeError("not_allocated", _("seat {seat} is not in this terminal's allocation: "
                                                    "sell another seat, or ask the central box office").format(
                seat=seat["label"]))


def _seat_rows(ctx: Ctx, event_id: str, section_id: str, basket_id: str | None) -> list[list[seating.Seat]]:
    """A seat is available to this sale when it is free and in this terminal's allocation, and no basket holds it
    but the sale's own (services/seat_holds.py)."""
    from boxoffice.domain import seating
    from boxoffice.services.seat_holds import holders as held_by

    held = held_by(ctx, event_id, section_id)
    rows_: dict[int, list[seating.Seat]] = {}
    for s in catalog_store.seats(ctx.conn, event_id, section_id):
        rows_.setdefault(s["row_index"], []).append(seating.Seat(
            label=s["label"], row=s["row"], number=s["number"], x=s["x"],
            available=s["status"] == "free" and bool(s["allocated"]) and held.get(s["label"], basket_id) == basket_id,
            wheelchair=bool(s["wheelchair"]), companion=bool(s["companion"]), aisle_before=bool(s["aisle_before"])))
    return [rows_[k] for k in sorted(rows_)]


def _issue_tickets(ctx: Ctx, event_id: str, section_id: str, order_id: str, lines: list[Line],
                   places: list[tuple[str | None, str | None]]) -> list[dict[str, Any]]:
    key, kid = private_key(ctx), key_id_bytes(ctx)
    tickets, i = [], 0
    for line in lines:
        for _n in range(line.count):
            row, seat = places[i]
            i += 1
            tid = uuid7()
            if row is not None and not order_store.take_seat(ctx.conn, event_id, section_id, f"{row}{seat}", tid):
                raise BoxOfficeError("seat_unavailable", _("seat {seat} was sold a moment ago: try again").format(
                    seat=f"{row}{seat}"))
            token = sign_token(TicketClaims(tid, event_id, section_id, row, seat), key, kid)
            tickets.append({"id": tid, "order_id": order_id, "event_id": event_id, "section_id": section_id,
                            "row": row, "seat": seat, "ticket_type_id": line.ticket_type_id,
                            "type_name": line.name, "price": line.unit_price, "tax": line.unit_tax, "token": token})
    return tickets


def journal_ticket(t: dict[str, Any]) -> dict[str, Any]:
    return {k: t[k] for k in ("id", "section_id", "row", "seat", "ticket_type_id", "price", "tax", "token")}


def payment_row(p: Payment, order_id: str, approver: str | None, now: str, ctx: Ctx) -> dict[str, Any]:
    """A payment as stored, booked to the operator's open shift (None without one) for the drawer's count. Asked
    for here, inside the transaction that books it: with ``require_shift`` set, a shift closed since the sale's
    first check (another window, another process) refuses the whole sale rather than book money to no shift."""
    return {"id": uuid7(), "order_id": order_id, "kind": "payment", "tender": p.tender, "amount": p.amount,
            "tendered": p.tendered, "change": p.change, "card_last4": p.card_last4, "reference": p.reference,
            "comp_reason": p.reason, "approved_by": approver if p.tender == "comp" else None,
            "shift_id": shift_for_money(ctx), "created_at": now}
