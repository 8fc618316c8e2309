"""Reading the catalogue for people: event lists, one event in detail, and the seat map."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict, cast

from boxoffice.domain.clock import when_text
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import catalog as store


class Event(TypedDict):
    """An event as the catalogue stores it (:func:`get_event`); times in UTC, money in minor units."""

    id: str
    venue_id: str
    name: str
    starts_at: str
    doors_at: str | None
    timezone: str
    currency: str
    tax_rate_bp: int
    per_order_limit: int
    reentry: int
    per_customer_limit: int | None
    real_name: int  # 1: each ticket is sold to a named holder (docs/real-name.md)
    holder_changes_max: int | None  # holder changes allowed a ticket; None: no cap
    updated_at: str


class EventDetail(Event):
    """An event with what the counter needs to sell it (:func:`show_event`): times in the venue's zone, sections,
    ticket types with their prices as text, and the refund policy."""

    starts_local: str
    doors_local: str | None
    sections: list[dict[str, Any]]
    ticket_types: list[dict[str, Any]]
    refund_policy: list[dict[str, Any]]
    demand_bands: list[dict[str, Any]]


class EventListing(TypedDict):
    """One line of the event list (:func:`list_events`): capacity and tickets sold."""

    id: str
    name: str
    starts_at: str
    doors_at: str | None
    timezone: str
    currency: str
    capacity: int
    sold: int
    starts_local: str


class SeatMapSection(TypedDict):
    """A section of the seat map (:func:`seat_map`): its counts and, for a reserved one, its rows of seats."""

    id: str
    name: str
    kind: str
    capacity: int
    available: int
    sold: int
    held: int  # seats held in baskets on this terminal
    house: int  # seats the venue holds back (house seats)
    allocation: str
    allocated_here: NotRequired[int]
    rows: NotRequired[list[dict[str, Any]]]


def venue_tz(ctx: Ctx) -> str:
    """The venue's time zone, for every time shown to people: the config's ``timezone`` if set, else the
    catalogue's venue row, else UTC (no catalogue yet)."""
    venue = store.venue(ctx.conn)
    return str(ctx.config.timezone or (venue["timezone"] if venue else "UTC"))


def list_events(ctx: Ctx) -> list[EventListing]:
    """Every event with its local start time, capacity and tickets sold."""
    out: list[EventListing] = []
    for e in store.list_events(ctx.conn):
        e["starts_local"] = when_text(e["starts_at"], e["timezone"], year=True)
        out.append(cast(EventListing, e))
    return out


def get_event(ctx: Ctx, event_id: str) -> Event:
    """One event, or not_found listing the ids that exist."""
    ev = store.get_event(ctx.conn, event_id)
    if ev is None:
        known = [e["id"] for e in store.list_events(ctx.conn)][:10]
        hint = (_("known: {ids}").format(ids=", ".join(known)) if known else
                _("import a catalogue first: `boxoffice catalog import FILE`"))
        raise BoxOfficeError("not_found", _("no event {event!r} ({hint})").format(event=event_id, hint=hint))
    return cast(Event, ev)


def show_event(ctx: Ctx, event_id: str) -> EventDetail:
    """An event with its sections, ticket types, prices and refund policy."""
    from boxoffice.domain.money import format_money

    ev = cast(EventDetail, get_event(ctx, event_id))  # the rest is added here
    cur = ev["currency"]
    ev["starts_local"] = when_text(ev["starts_at"], ev["timezone"], year=True)
    ev["doors_local"] = when_text(ev["doors_at"], ev["timezone"]) if ev["doors_at"] else None
    ev["sections"] = store.sections(ctx.conn, event_id)
    prices = store.prices(ctx.conn, event_id)
    ev["ticket_types"] = [
        t | {"prices": {p["section_id"]: format_money(p["amount"], cur) for p in prices
                        if p["ticket_type_id"] == t["id"]}}
        for t in store.ticket_types(ctx.conn, event_id)
    ]
    ev["refund_policy"] = [
        {"until_hours_before": t["until_hours_before"],
         "fee": (f"{t['fee_bp'] / 100:g}%" if t["fee_bp"] is not None else format_money(t["fee_fixed"], cur))}
        for t in store.refund_tiers(ctx.conn, event_id)
    ]
    from boxoffice.services.demand_fee import describe_bands

    ev["demand_bands"] = describe_bands(ctx, event_id)
    return ev


def seat_map(ctx: Ctx, event_id: str, section_id: str | None = None,
             basket_id: str | None = None) -> list[SeatMapSection]:
    """Every section with its counts and, for a reserved one, its rows of seats with a state each.

    Seat states (services/seat_map.py): free (sellable here now), sold (``sold_by`` here, terminal or web), held
    (in a basket on this terminal; ``mine`` for ``basket_id``'s), elsewhere (not in this terminal's allocation:
    another terminal's, or kept by the central service) and house (held back by the venue). Each seat has its
    ``mark`` (domain/seat_plan.py) and says whether it is in this terminal's allocation (``here``), and a sold
    seat whether this terminal sold it (``sold_here``). Section counts: ``available`` (free here), ``sold``,
    ``held`` (in baskets), ``house``.
    """
    from boxoffice.services.seat_map import counts, section_seats

    get_event(ctx, event_id)
    governed = not ctx.terminal["owns_inventory"]
    out: list[SeatMapSection] = []
    for sec in store.sections(ctx.conn, event_id):
        if section_id and sec["id"] != section_id:
            continue
        entry: SeatMapSection = {"id": sec["id"], "name": sec["name"], "kind": sec["kind"],
                                 "capacity": sec["capacity"], "available": sec["available"],
                                 "sold": sec["sold_count"], "held": 0, "house": sec["held"],
                                 "allocation": "central" if governed else "own"}
        if sec["kind"] == "general":
            entry["allocated_here"] = sec["allocated"]
        if sec["kind"] == "reserved":
            rows = section_seats(ctx, event_id, sec["id"], basket_id)
            tally = counts(rows)
            entry["available"], entry["sold"] = tally["free"], tally["sold"]
            entry["held"], entry["house"] = tally["held"], tally["house"]
            entry["rows"] = rows
            entry["allocated_here"] = sum(x["here"] for r in rows for x in r["seats"])
        out.append(entry)
    if section_id and not out:
        raise BoxOfficeError("not_found", _("event {event!r} has no section {section!r}").format(
            event=event_id, section=section_id))
    return out
