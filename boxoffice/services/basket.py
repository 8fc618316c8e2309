"""A counter basket: places of several types, sections and events, quoted before anything is taken, paid at once.

A sale (services/sales.py) is one event and one section, as the journal and the central service know it. A basket
is what the customer at the window asks for: it becomes one sale per event and section, quoted together, and paid
in one step. All of its sales are made in one transaction after the payment is taken, so the basket is sold whole
or not at all; each sale is the same :func:`boxoffice.services.sales.sell` call as `boxoffice sell`, so the
journal, the audit trail and sync see ordinary sales.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from boxoffice.domain.basket import split_tenders
from boxoffice.domain.holders import HolderInput
from boxoffice.domain.money import format_money, tax_share
from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services import sales
from boxoffice.services.context import Ctx
from boxoffice.store import catalog as catalog_store
from boxoffice.store.db import write


@dataclass
class BasketLine:
    """Places of one section of one event: ticket types and counts, and the seats picked for them (reserved)."""

    event_id: str
    section_id: str
    counts: dict[str, int]
    seats: list[str] = field(default_factory=list)
    accessible: bool = False


class QuoteLine(TypedDict):
    """One ticket type of a basket line as the quote shows it; money in minor units with its text beside it."""

    event_id: str
    event_name: str
    section_id: str
    section_name: str
    ticket_type_id: str
    type_name: str
    count: int
    unit_price: int
    amount: int
    discount: int  # below the section's full price (its dearest ticket type), for all of this line's places
    text: str


class BasketQuote(TypedDict):
    """The basket priced (:func:`quote`): lines, each sale it makes with its tax, totals, places to confirm."""

    lines: list[QuoteLine]
    sales: list[dict[str, Any]]
    total: int
    tax: int
    discount: int
    currency: str
    total_text: str
    tax_text: str
    discount_text: str
    confirm: list[str]


def group(lines: list[BasketLine]) -> list[BasketLine]:
    """The basket's sales: lines of one event and section merged (their seats kept together), in basket order.

    Lines with picked seats and lines left to best available stay apart, as one sale either names every seat or
    none.
    """
    out: dict[tuple[str, str, bool, bool], BasketLine] = {}
    for line in lines:
        key = (line.event_id, line.section_id, bool(line.seats), line.accessible)
        into = out.get(key)
        if into is None:
            out[key] = BasketLine(line.event_id, line.section_id, dict(line.counts), list(line.seats),
                                  line.accessible)
            continue
        for tid, n in line.counts.items():
            into.counts[tid] = into.counts.get(tid, 0) + n
        into.seats.extend(line.seats)
    return list(out.values())


def quote(ctx: Ctx, lines: list[BasketLine]) -> BasketQuote:
    """Price the basket without selling or taking anything: each line, its discount, the tax share of each sale,
    the total, and the places the customer must agree to (restricted view, wheelchair)."""
    if not lines:
        raise BoxOfficeError("bad_input", _("the basket is empty: add places first"))
    out: list[QuoteLine] = []
    groups: list[dict[str, Any]] = []
    currency: str | None = None
    for g in group(lines):
        q = sales.quote(ctx, g.event_id, g.section_id, g.counts)
        ev = q["event"]
        if currency is not None and ev["currency"] != currency:
            raise BoxOfficeError("bad_input", _("one basket is paid in one currency: {event} is in {currency}, not "
                                                "{basket}").format(event=ev["name"], currency=ev["currency"],
                                                                   basket=currency))
        currency = ev["currency"]
        sec = catalog_store.section(ctx.conn, ev["id"], g.section_id) or {"name": g.section_id}
        full = max((p["amount"] for p in catalog_store.prices(ctx.conn, ev["id"])
                    if p["section_id"] == g.section_id), default=0)
        for ln in q["lines"]:
            off = (full - ln.unit_price) * ln.count
            text = (f"{ln.count} x {ln.name} {format_money(ln.unit_price, ev['currency'])} = "
                    f"{format_money(ln.amount, ev['currency'])}")
            out.append({"event_id": ev["id"], "event_name": ev["name"], "section_id": g.section_id,
                        "section_name": sec["name"], "ticket_type_id": ln.ticket_type_id, "type_name": ln.name,
                        "count": ln.count, "unit_price": ln.unit_price, "amount": ln.amount, "discount": off,
                        "text": text})
        groups.append({"event_id": ev["id"], "event_name": ev["name"], "section_id": g.section_id,
                       "section_name": sec["name"], "total": q["total"], "tax": q["tax"], "seats": list(g.seats),
                       "tax_rate_bp": ev["tax_rate_bp"]})
    assert currency is not None
    total = sum(g["total"] for g in groups)
    tax = sum(tax_share(g["total"], g["tax_rate_bp"]) for g in groups)
    discount = sum(x["discount"] for x in out)
    return {"lines": out, "sales": groups, "total": total, "tax": tax, "discount": discount, "currency": currency,
            "total_text": format_money(total, currency), "tax_text": format_money(tax, currency),
            "discount_text": format_money(discount, currency), "confirm": to_confirm(ctx, lines)}


def to_confirm(ctx: Ctx, lines: list[BasketLine]) -> list[str]:
    """What the customer must hear and agree to before paying: seats with a restricted view, wheelchair places and
    companion seats, and a wheelchair place asked for by best available."""
    said: list[str] = []
    for line in lines:
        if line.accessible:
            said.append(_("{section}: a wheelchair place (with companion seats) chosen by best available").format(
                section=line.section_id))
        if not line.seats:
            continue
        wanted = {s.strip().upper() for s in line.seats}
        for s in catalog_store.seats(ctx.conn, line.event_id, line.section_id):
            if s["label"] not in wanted:
                continue
            if s["restricted_view"]:
                said.append(_("{seat}: restricted view").format(seat=s["label"]))
            if s["wheelchair"]:
                said.append(_("{seat}: wheelchair place (no seat)").format(seat=s["label"]))
            elif s["companion"]:
                said.append(_("{seat}: companion seat beside a wheelchair place").format(seat=s["label"]))
    return said


class BasketSale(TypedDict):
    """A basket sold (:func:`pay`): each sale as :func:`boxoffice.services.sales.sell` returned it, the jobs to
    print, and the totals and change for the whole basket."""

    sales: list[sales.SaleResult]
    orders: list[str]
    jobs: list[str]
    total: int
    change: int
    currency: str
    total_text: str
    change_text: str


@dataclass
class Payment:
    """How the basket is paid: the tenders for the whole total, and who approves a comp (name, PIN)."""

    tenders: list[Tender]
    supervisor: tuple[str, str] | None = None
    customer_name: str | None = None
    email: str | None = None
    phone: str | None = None
    print_receipt: bool = True
    holders: dict[int, list[HolderInput]] = field(default_factory=dict)  # real-name: by sale (index in group())


@dataclass
class Buyer:
    """Who buys the basket, as the counter learns it before payment: the customer (carried into every sale of the
    basket, so limits per customer count them as at `boxoffice sell --phone/--email`) and, for a real-name event,
    one holder a ticket per sale (keyed by the sale's index in :func:`group`)."""

    customer_name: str | None = None
    email: str | None = None
    phone: str | None = None
    holders: dict[int, list[HolderInput]] = field(default_factory=dict)


def customer(name: str | None, email: str | None, phone: str | None) -> Buyer:
    """The customer as typed, checked by the rules a sale applies (services/sales.py ``clean_customer``); a phone or
    e-mail given must also be one a limit per customer could match (domain/customer_ids.py), else ``bad_input``."""
    from boxoffice.domain.customer_ids import normalise_email, normalise_phone

    name_, email_, phone_ = sales.clean_customer(name, email, phone)
    if phone_:
        normalise_phone(phone_)
    if email_:
        normalise_email(email_)
    return Buyer(name_, email_, phone_)


def with_buyer(pay_: Payment, buyer: Buyer | None) -> Payment:
    """The payment typed at the pay screen with the basket's customer and holders added."""
    if buyer is None:
        return pay_
    return replace(pay_, customer_name=buyer.customer_name, email=buyer.email, phone=buyer.phone,
                   holders=dict(buyer.holders))


class HolderSlot(TypedDict):
    """One ticket of a real-name event in the basket, in the order its sale issues tickets: who must be named."""

    sale: int  # the sale's index in group(lines)
    event_name: str
    section_name: str
    type_name: str


def holder_slots(ctx: Ctx, lines: list[BasketLine]) -> list[HolderSlot]:
    """The basket's tickets that need a holder (every ticket of a real-name event), in the order the tickets are
    issued (services/sales.py issues them in the order of the priced lines): one holder is asked for each."""
    from boxoffice.services.events import get_event
    from boxoffice.services.holders import is_real_name

    out: list[HolderSlot] = []
    for i, g in enumerate(group(lines)):
        ev = get_event(ctx, g.event_id)
        if not is_real_name(ev):
            continue
        q = sales.quote(ctx, g.event_id, g.section_id, g.counts)
        sec = catalog_store.section(ctx.conn, ev["id"], g.section_id) or {"name": g.section_id}
        out.extend({"sale": i, "event_name": ev["name"], "section_name": sec["name"], "type_name": ln.name}
                   for ln in q["lines"] for _n in range(ln.count))
    return out


def requests(ctx: Ctx, lines: list[BasketLine], pay_: Payment,
             basket_id: str | None = None) -> list[sales.SaleRequest]:
    """One sale request per event and section, each with its share of the tenders (and the seats ``basket_id``
    holds, which only its own sales may take)."""
    groups = group(lines)
    if not groups:
        raise BoxOfficeError("bad_input", _("the basket is empty: add places first"))
    q = quote(ctx, lines)  # its sales are the groups, in the same order
    shares = split_tenders([s["total"] for s in q["sales"]], pay_.tenders, q["currency"])
    return [sales.SaleRequest(event_id=g.event_id, section_id=g.section_id, counts=g.counts, tenders=share,
                              seats=list(g.seats) or None, accessible=g.accessible,
                              customer_name=pay_.customer_name, email=pay_.email, phone=pay_.phone,
                              print_receipt=pay_.print_receipt, basket_id=basket_id,
                              holders=pay_.holders.get(i) or None)
            for i, (g, share) in enumerate(zip(groups, shares, strict=True))]


def check(ctx: Ctx, lines: list[BasketLine], pay_: Payment, supervisor: str | None = None,
          basket_id: str | None = None) -> bool:
    """Everything that would refuse the basket, refused before a supervisor types a PIN; returns whether one must
    (a comp by an operator who may not give comps)."""
    reqs = requests(ctx, lines, pay_, basket_id)
    return any(sales.check(ctx, r, supervisor)["needs_supervisor"] for r in reqs)


def pay(ctx: Ctx, lines: list[BasketLine], pay_: Payment, basket_id: str | None = None) -> BasketSale:
    """Take the payment and sell the whole basket: every sale in one transaction, or none of them.

    A supervisor's PIN is checked before the transaction, so a wrong PIN is counted against them (and locks them
    out after too many) as it is at the command line, and nothing is sold. The basket's seat holds end with it.
    """
    reqs = requests(ctx, lines, pay_, basket_id)
    name = pay_.supervisor[0] if pay_.supervisor else None
    needs = [sales.check(ctx, r, name)["needs_supervisor"] for r in reqs]
    if any(needs):
        if pay_.supervisor is None:
            raise BoxOfficeError("permission_denied", _("a comp needs a supervisor's name and PIN"))
        from boxoffice.services.operators import approve

        approve(ctx, pay_.supervisor[0], pay_.supervisor[1], "comp")
        for r in reqs:
            r.supervisor = pay_.supervisor
    with write(ctx.conn):
        done = [sales.sell(ctx, r) for r in reqs]
        if basket_id:
            _release(ctx, basket_id)
    cur = done[0]["currency"]
    total = sum(d["total"] for d in done)
    change = sum(d["change"] for d in done)
    return {"sales": done, "orders": [d["order"]["code"] for d in done], "jobs": [j for d in done for j in d["jobs"]],
            "total": total, "change": change, "currency": cur, "total_text": format_money(total, cur),
            "change_text": format_money(change, cur)}


def _release(ctx: Ctx, basket_id: str) -> None:
    """End the basket's seat holds (its seats are sold now, or it was cancelled)."""
    from boxoffice.services import seat_holds

    seat_holds.release(ctx, basket_id)


def cancel(ctx: Ctx, basket_id: str) -> None:
    """The customer walked away: release the seats the basket held, so the next customer can have them."""
    _release(ctx, basket_id)


def drop_line(ctx: Ctx, basket_id: str, line: BasketLine) -> None:
    """A line taken out of the basket: the seats it held are free again; the rest of the basket keeps its own."""
    if not line.seats:
        return
    from boxoffice.services import seat_holds

    seat_holds.release(ctx, basket_id, line.seats, event_id=line.event_id, section_id=line.section_id)


def lapsed(ctx: Ctx, basket_id: str, lines: list[BasketLine]) -> list[BasketLine]:
    """The lines whose seats are no longer all held for the basket (the hold ran out): they must be picked again
    before payment, as another basket may have them now. Their remaining holds are released."""
    from boxoffice.services import seat_holds

    live = {(h["event_id"], h["section_id"], h["label"]) for h in seat_holds.held(ctx, basket_id)}
    gone = [line for line in lines if line.seats and any(
        (line.event_id, line.section_id, s.strip().upper()) not in live for s in line.seats)]
    for line in gone:
        drop_line(ctx, basket_id, line)
    return gone
