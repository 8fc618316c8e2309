"""Reports for the manager: sales and refunds grouped one way, pickups, door check-ins, the end-of-day PDF.

Times are grouped in the venue's time zone (the event's zone), money stays in minor units until it is shown.
"""

from __future__ import annotations

from typing import Any

from boxoffice.domain import reports as agg
from boxoffice.domain.reports import CHECKINS_BY, REFUNDS_BY, SALES_BY, check_by, window
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.store import catalog as catalog_store
from boxoffice.store import reports as store

__all__ = ["CHECKINS_BY", "REFUNDS_BY", "SALES_BY", "checkins", "day_window", "end_of_day", "pickups", "refunds",
           "sales"]


def _venue_tz(ctx: Ctx) -> str:
    venue = catalog_store.venue(ctx.conn)
    return str(ctx.config.timezone or (venue["timezone"] if venue else "UTC"))


def day_window(ctx: Ctx, day: str | None) -> tuple[str | None, str | None]:
    """A venue-local calendar day as a UTC [since, until) window; None for all time."""
    return window(_venue_tz(ctx), day)


def sales(ctx: Ctx, by: str = "type", event: str | None = None, day: str | None = None) -> dict[str, Any]:
    """Tickets sold (and for ``tender``, money taken) grouped one way, with totals."""
    ctx.require("report")
    check_by(by, SALES_BY)
    since, until = day_window(ctx, day)
    pays = store.payment_rows(ctx.conn, event, since, until) if by == "tender" else []
    tickets = store.ticket_rows(ctx.conn, event, since, until) if by != "tender" else []
    return {"by": by, "event": event, "day": day} | agg.sales(tickets, pays, by, _venue_tz(ctx), _currency(ctx))


def _currency(ctx: Ctx) -> str:
    venue = catalog_store.venue(ctx.conn)
    return str(ctx.config.currency or (venue["currency"] if venue else "EUR"))


def pickups(ctx: Ctx, event: str | None = None) -> dict[str, Any]:
    """Per event and channel: tickets picked up (here or at another desk) and still waiting."""
    ctx.require("report")
    return {"event": event} | agg.pickups(store.pickup_rows(ctx.conn, event), ctx.terminal["id"])


def refunds(ctx: Ctx, by: str = "reason", event: str | None = None, day: str | None = None) -> dict[str, Any]:
    """Money paid back grouped one way, with totals: refunds (and exchanges that paid a difference back).

    By ``tender`` it counts the refund payments themselves (cash and each card); every other grouping counts
    refunds, the tickets they cancelled, the fees kept and the amount paid back, so both add up to the same total.
    """
    ctx.require("report")
    check_by(by, REFUNDS_BY)
    since, until = day_window(ctx, day)
    pays = store.payment_rows(ctx.conn, event, since, until) if by == "tender" else []
    items = store.refund_rows(ctx.conn, event, since, until) if by != "tender" else []
    return {"by": by, "event": event, "day": day} | agg.refunds(items, pays, by, _venue_tz(ctx), _currency(ctx))


def checkins(ctx: Ctx, event: str | None = None) -> dict[str, Any]:
    """Per event: tickets admitted, exits, in now (entries less exits), refusals by reason, and both by hour.

    Hours are the event's local hours (domain/reports.py says how "in now" is counted).
    """
    ctx.require("report")
    names = store.event_names(ctx.conn)
    if event and event not in names:
        raise BoxOfficeError("not_found", f"no event {event!r} here: `boxoffice event list` shows them")
    return {"event": event} | agg.checkins(store.checkin_minutes(ctx.conn, event), names,
                                           store.valid_tickets_per_event(ctx.conn, event), _venue_tz(ctx))


def end_of_day(ctx: Ctx, day: str | None = None, event: str | None = None) -> dict[str, Any]:
    """Everything the end-of-day PDF shows: sales by hour, tenders, by type, capacity used, refunds."""
    ctx.require("report")
    return {"day": day, "event": event, "venue": (catalog_store.venue(ctx.conn) or {}).get("name", ""),
            "terminal": ctx.terminal["name"], "generated": ctx.now_iso(),
            "by_hour": sales(ctx, "hour", event, day), "by_tender": sales(ctx, "tender", event, day),
            "by_type": sales(ctx, "type", event, day), "capacity": store.capacity_rows(ctx.conn, event),
            "refunds_by_reason": refunds(ctx, "reason", event, day),
            "refunds_by_tender": refunds(ctx, "tender", event, day)}
