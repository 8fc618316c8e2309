"""Reports for the manager: sales and refunds grouped one way, pickups, door check-ins, the end-of-day PDF.

One report, one scope. By default a terminal reports its own work: what it sold, paid back, handed out and let
in, however much it has learnt from sync about the others. With ``venue`` it reports everything it knows from
sync as well (other terminals' sales, handouts and admissions, the web shop's paid orders). Each report says which
in its ``scope`` (domain/report_scope.py), and every grouping of one report adds up to the same total.

Times are grouped in the venue's time zone (the event's zone), money stays in minor units until it is shown.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict, cast

from boxoffice.domain import reports as agg
from boxoffice.domain.report_scope import OWN, VENUE, scope
from boxoffice.domain.reports import CHECKINS_BY, REFUNDS_BY, SALES_BY, check_by, window
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import catalog as catalog_store
from boxoffice.store import reports as store

__all__ = ["CHECKINS_BY", "REFUNDS_BY", "SALES_BY", "checkins", "day_window", "end_of_day", "pickups", "refunds",
           "sales"]

OTHER_TERMINALS = "other_terminals"  # by tender: sales whose payments are on another terminal


class SalesReport(TypedDict):
    """Tickets sold grouped one way (:func:`sales`): the groups, their total, unpaid orders apart, the scope."""

    by: str
    event: str | None
    day: str | None
    unit: str
    currency: str
    groups: list[dict[str, Any]]
    total: dict[str, Any]
    unpaid: dict[str, Any]
    scope: dict[str, Any]


class RefundsReport(TypedDict):
    """Money paid back grouped one way (:func:`refunds`), with the total and the scope."""

    by: str
    event: str | None
    day: str | None
    currency: str
    groups: list[dict[str, Any]]
    total: dict[str, Any]
    scope: dict[str, Any]


class PickupsReport(TypedDict):
    """Tickets handed out, waiting and unpaid per event and channel (:func:`pickups`), with the scope."""

    event: str | None
    groups: list[dict[str, Any]]
    total: dict[str, int]
    scope: dict[str, Any]


class CheckinsReport(TypedDict):
    """Door scans per event (:func:`checkins`), with the total and the scope."""

    event: str | None
    events: list[dict[str, Any]]
    total: dict[str, int]
    scope: dict[str, Any]


class EndOfDay(TypedDict):
    """Everything the end-of-day PDF shows (:func:`end_of_day`); no refunds in the venue's scope."""

    day: str | None
    event: str | None
    venue: str
    terminal: str
    generated: str
    scope: dict[str, Any]
    by_hour: SalesReport
    by_tender: SalesReport
    by_type: SalesReport
    capacity: list[dict[str, Any]]
    refunds_by_reason: RefundsReport | None
    refunds_by_tender: RefundsReport | None
    cash_outside_shift: NotRequired[dict[str, Any] | None]


def _venue_tz(ctx: Ctx) -> str:
    venue = catalog_store.venue(ctx.conn)
    return str(ctx.config.timezone or (venue["timezone"] if venue else "UTC"))


def _currency(ctx: Ctx) -> str:
    venue = catalog_store.venue(ctx.conn)
    return str(ctx.config.currency or (venue["currency"] if venue else "EUR"))


def _where(venue: bool) -> str:
    return VENUE if venue else OWN


def day_window(ctx: Ctx, day: str | None) -> tuple[str | None, str | None]:
    """A venue-local calendar day as a UTC [since, until) window; None for all time."""
    return window(_venue_tz(ctx), day)


def sales(ctx: Ctx, by: str = "type", event: str | None = None, day: str | None = None,
          venue: bool = False) -> SalesReport:
    """Tickets sold (and for ``tender``, what paid for them) grouped one way, with totals and the report's scope.

    Own: this terminal's box-office sales and exchanges. Venue: also other terminals' sales and the web shop's paid
    orders known from sync; by tender those show as ``other_terminals`` (their payments never reach this terminal)
    and the web channel. Unpaid orders are no sale: they are listed apart (``unpaid``).
    """
    ctx.require("report")
    check_by(by, SALES_BY)
    here = ctx.terminal["id"]
    since, until = day_window(ctx, day)
    tickets = store.ticket_rows(ctx.conn, event, since, until, None if venue else here)
    for t in tickets:
        t["paid_by"] = (None if t["terminal_id"] == here or t["paid_here"] else
                        OTHER_TERMINALS if t["terminal_id"] is not None else t["channel"])
    pays = store.payment_rows(ctx.conn, event, since, until) if by == "tender" else []
    credits = store.exchange_credits(ctx.conn, event, since, until) if by == "tender" else []
    unpaid = store.ticket_rows(ctx.conn, event, since, until, paid=False) if venue else []
    cur = _currency(ctx)
    return cast(SalesReport, {"by": by, "event": event, "day": day}
                | agg.sales(tickets, pays, credits, by, _venue_tz(ctx), cur)
                | {"unpaid": agg.unpaid(unpaid, cur), "scope": scope("sales", _where(venue), ctx.terminal["name"])})


def pickups(ctx: Ctx, event: str | None = None, venue: bool = False) -> PickupsReport:
    """Per event and channel: tickets handed out at this desk (with ``venue``, at every desk known from sync, and
    of those how many elsewhere), still waiting, and unpaid."""
    ctx.require("report")
    here = ctx.terminal["id"]
    rep = agg.pickups(store.pickup_rows(ctx.conn, event), store.handout_rows(ctx.conn, here, event), here, venue)
    return cast(PickupsReport,
                {"event": event} | rep | {"scope": scope("pickups", _where(venue), ctx.terminal["name"])})


def refunds(ctx: Ctx, by: str = "reason", event: str | None = None, day: str | None = None,
            venue: bool = False) -> RefundsReport:
    """Money paid back at this terminal grouped one way, with totals: refunds (and exchanges that paid a difference
    back), of any order, its own or not.

    By ``tender`` it counts the refund payments themselves (cash and each card); every other grouping counts
    refunds, the tickets they cancelled, the fees kept and the amount paid back, so both add up to the same total.
    Other terminals' refunds never reach a terminal, so ``venue`` is refused with where to look instead.
    """
    ctx.require("report")
    if venue:
        raise BoxOfficeError("bad_input", _("other terminals' refunds are not synced to a terminal: "
                                            "`boxoffice central report refunds` has the venue's"))
    check_by(by, REFUNDS_BY)
    since, until = day_window(ctx, day)
    pays = store.payment_rows(ctx.conn, event, since, until) if by == "tender" else []
    items = store.refund_rows(ctx.conn, event, since, until) if by != "tender" else []
    return cast(RefundsReport, {"by": by, "event": event, "day": day}
                | agg.refunds(items, pays, by, _venue_tz(ctx), _currency(ctx))
                | {"scope": scope("refunds", OWN, ctx.terminal["name"])})


def checkins(ctx: Ctx, event: str | None = None, venue: bool = False) -> CheckinsReport:
    """Per event: scans at this door (with ``venue``, admissions and exits at every door known from sync too):
    admitted, exits, in now (entries less exits), refusals by reason, and all of them by hour.

    Hours are the event's local hours (domain/reports.py says how "in now" is counted).
    """
    ctx.require("report")
    names = store.event_names(ctx.conn)
    if event and event not in names:
        raise BoxOfficeError("not_found", _("no event {event} here: `boxoffice event list` shows them").format(
            event=repr(event)))
    door = None if venue else ctx.terminal["id"]
    rep = agg.checkins(store.checkin_minutes(ctx.conn, event, door), names,
                       store.valid_tickets_per_event(ctx.conn, event), _venue_tz(ctx))
    return cast(CheckinsReport,
                {"event": event} | rep | {"scope": scope("checkins", _where(venue), ctx.terminal["name"])})


def end_of_day(ctx: Ctx, day: str | None = None, event: str | None = None, venue: bool = False) -> EndOfDay:
    """Everything the end-of-day PDF shows, in one scope: sales by hour, tenders, by type, capacity used, refunds.

    Own: this terminal's sales, the capacity it used and its refunds. Venue: every sale known here and the capacity
    they use; no refunds, since other terminals' never reach a terminal (the central service's PDF has them).
    """
    ctx.require("report")
    here = None if venue else ctx.terminal["id"]
    return {"day": day, "event": event, "venue": (catalog_store.venue(ctx.conn) or {}).get("name", ""),
            "terminal": ctx.terminal["name"], "generated": ctx.now_iso(),
            "scope": scope("end_of_day", _where(venue), ctx.terminal["name"]),
            "by_hour": sales(ctx, "hour", event, day, venue), "by_tender": sales(ctx, "tender", event, day, venue),
            "by_type": sales(ctx, "type", event, day, venue), "capacity": store.capacity_rows(ctx.conn, event, here),
            "refunds_by_reason": None if venue else refunds(ctx, "reason", event, day),
            "refunds_by_tender": None if venue else refunds(ctx, "tender", event, day),
            "cash_outside_shift": None if venue else cash_outside_shift(ctx, day, event)}


SHOWN_ORDERS = 10  # the orders named in the end-of-day report's line on cash booked to no shift


def cash_outside_shift(ctx: Ctx, day: str | None, event: str | None = None) -> dict[str, Any] | None:
    """Cash taken and given back on ``day`` (None: ever), for ``event`` (None: any), and booked to no shift, at a
    terminal that keeps shifts: by currency, with the latest orders concerned; None when there was none (or the
    terminal keeps no shifts).

    The alert (services/alerts.py) says it for the last night only, and only to whoever asks then; the end-of-day
    report is what the owner keeps, so the money no drawer count expected is written there too."""
    from boxoffice.domain.money import format_money
    from boxoffice.services.shifts import shifts_kept_here
    from boxoffice.store import shifts as shift_store

    if not shifts_kept_here(ctx):
        return None
    since, until = day_window(ctx, day)
    found = shift_store.cash_outside(ctx.conn, since, until, event)
    if not found:
        return None
    return {"lines": [{"currency": c["currency"], "count": c["n"], "taken": c["taken"], "given": c["given"],
                       "taken_text": format_money(c["taken"], c["currency"]),
                       "given_text": format_money(c["given"], c["currency"])} for c in found],
            "orders": shift_store.orders_with_cash_outside(ctx.conn, since, SHOWN_ORDERS, until, event)}
