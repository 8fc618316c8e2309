"""Reports for the manager: sales by day, event, hour, operator, tender and ticket type; pickups; the end-of-day PDF.

Times are grouped in the venue's time zone (the event's zone), money stays in minor units until it is shown.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from boxoffice.domain.clock import iso, parse_iso, zone
from boxoffice.domain.money import format_money
from boxoffice.domain.reports import group, totals
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.store import catalog as catalog_store
from boxoffice.store import reports as store

SALES_BY = ("type", "event", "day", "hour", "operator", "tender", "channel", "section")


def _venue_tz(ctx: Ctx) -> str:
    venue = catalog_store.venue(ctx.conn)
    return str(ctx.config.timezone or (venue["timezone"] if venue else "UTC"))


def day_window(ctx: Ctx, day: str | None) -> tuple[str | None, str | None]:
    """A venue-local calendar day as a UTC [since, until) window; None for all time."""
    if not day:
        return None, None
    try:
        start = datetime.fromisoformat(day).replace(tzinfo=zone(_venue_tz(ctx)))
    except ValueError:
        raise BoxOfficeError("bad_input", f"--day {day!r}: give a date like 2026-11-30") from None
    return iso(start), iso(start + timedelta(days=1))


def _local(ts: str, tz: str, fmt: str) -> str:
    return parse_iso(ts).astimezone(zone(tz)).strftime(fmt)


def sales(ctx: Ctx, by: str = "type", event: str | None = None, day: str | None = None) -> dict[str, Any]:
    """Tickets sold (and for ``tender``, money taken) grouped one way, with totals."""
    ctx.require("report")
    if by not in SALES_BY:
        raise BoxOfficeError("bad_input", f"--by {by!r}: use one of {', '.join(SALES_BY)}")
    since, until = day_window(ctx, day)
    tz = _venue_tz(ctx)
    if by == "tender":
        pays = [p for p in store.payment_rows(ctx.conn, event, since, until) if p["kind"] == "payment"]
        groups = group(pays, lambda p: p["tender"])
        currency = pays[0]["currency"] if pays else _currency(ctx)
    else:
        tickets = store.ticket_rows(ctx.conn, event, since, until)
        keys = {
            "type": lambda t: t["type_name"], "event": lambda t: t["event_name"] or t["event_id"],
            "day": lambda t: _local(t["created_at"], t["timezone"] or tz, "%Y-%m-%d"),
            "hour": lambda t: _local(t["created_at"], t["timezone"] or tz, "%Y-%m-%d %H:00"),
            "operator": lambda t: t["operator"], "channel": lambda t: t["channel"],
            "section": lambda t: f"{t['event_id']}/{t['section_id']}",
        }
        groups = group([t | {"amount": t["price"]} for t in tickets], keys[by])
        currency = tickets[0]["currency"] if tickets else _currency(ctx)
    for g in groups:
        g["amount_text"] = format_money(g["amount"], currency)
    tot = totals(groups)
    return {"by": by, "event": event, "day": day, "currency": currency, "groups": groups,
            "total": tot | {"amount_text": format_money(tot["amount"], currency)}}


def _currency(ctx: Ctx) -> str:
    venue = catalog_store.venue(ctx.conn)
    return str(ctx.config.currency or (venue["currency"] if venue else "EUR"))


def pickups(ctx: Ctx, event: str | None = None) -> dict[str, Any]:
    """Per event and channel: tickets picked up and still waiting."""
    ctx.require("report")
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for t in store.ticket_rows(ctx.conn, event):
        if t["status"] != "valid" or t["channel"] == "box_office":
            continue  # walk-up tickets are handed over at the sale
        g = out.setdefault((t["event_id"], t["channel"]), {"event": t["event_id"], "channel": t["channel"],
                                                          "picked_up": 0, "waiting": 0})
        g["picked_up" if t["picked_up_at"] else "waiting"] += 1
    return {"groups": [out[k] for k in sorted(out)]}


def end_of_day(ctx: Ctx, day: str | None = None, event: str | None = None) -> dict[str, Any]:
    """Everything the end-of-day PDF shows: sales by hour, tenders, by type, capacity used per section."""
    ctx.require("report")
    return {"day": day, "event": event, "venue": (catalog_store.venue(ctx.conn) or {}).get("name", ""),
            "terminal": ctx.terminal["name"], "generated": ctx.now_iso(),
            "by_hour": sales(ctx, "hour", event, day), "by_tender": sales(ctx, "tender", event, day),
            "by_type": sales(ctx, "type", event, day), "capacity": store.capacity_rows(ctx.conn, event)}
