"""Reports for the manager: sales and refunds grouped one way, pickups, door check-ins, the end-of-day PDF.

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
from boxoffice.services.door import ADMITTED
from boxoffice.store import catalog as catalog_store
from boxoffice.store import reports as store

SALES_BY = ("type", "event", "day", "hour", "operator", "tender", "channel", "section")
REFUNDS_BY = ("day", "event", "operator", "reason", "tender")
CHECKINS_BY = ("event", "hour", "reason")


def _venue_tz(ctx: Ctx) -> str:
    venue = catalog_store.venue(ctx.conn)
    return str(ctx.config.timezone or (venue["timezone"] if venue else "UTC"))


def day_window(ctx: Ctx, day: str | None) -> tuple[str | None, str | None]:
    """A venue-local calendar day as a UTC [since, until) window; None for all time."""
    if not day:
        return None, None
    try:
        start = datetime.fromisoformat(day).replace(tzinfo=zone(_venue_tz(ctx)))
        return iso(start), iso(start + timedelta(days=1))
    except (ValueError, OverflowError):  # OverflowError: the first or last day a calendar has, 0001 or 9999
        raise BoxOfficeError("bad_input", f"--day {day!r}: give a date like 2026-11-30") from None


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
    """Per event and channel: tickets picked up (here or at another desk) and still waiting."""
    ctx.require("report")
    here = ctx.terminal["id"]
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for t in store.pickup_rows(ctx.conn, event):
        g = out.setdefault((t["event_id"], t["channel"]), {"event": t["event_id"], "channel": t["channel"],
                                                          "picked_up": 0, "elsewhere": 0, "waiting": 0})
        if t["picked_up_at"]:
            g["picked_up"] += 1
            if t["terminal_id"] and t["terminal_id"] != here:
                g["elsewhere"] += 1
        else:
            g["waiting"] += 1
    groups = [out[k] for k in sorted(out)]
    return {"event": event, "groups": groups,
            "total": {f: sum(g[f] for g in groups) for f in ("picked_up", "elsewhere", "waiting")}}


def refunds(ctx: Ctx, by: str = "reason", event: str | None = None, day: str | None = None) -> dict[str, Any]:
    """Money paid back grouped one way, with totals: refunds (and exchanges that paid a difference back).

    By ``tender`` it counts the refund payments themselves (cash and each card); every other grouping counts
    refunds, the tickets they cancelled, the fees kept and the amount paid back, so both add up to the same total.
    """
    ctx.require("report")
    if by not in REFUNDS_BY:
        raise BoxOfficeError("bad_input", f"--by {by!r}: use one of {', '.join(REFUNDS_BY)}")
    since, until = day_window(ctx, day)
    tz = _venue_tz(ctx)
    sums: tuple[str, ...] = ("tickets", "fee", "overrides")
    if by == "tender":
        pays = [p | {"tickets": 0, "fee": 0, "overrides": 0}
                for p in store.payment_rows(ctx.conn, event, since, until) if p["kind"] == "refund"]
        groups = group(pays, lambda p: p["tender"], sums=sums)
        currency = pays[0]["currency"] if pays else _currency(ctx)
    else:
        items = [r | {"overrides": r["override"]} for r in store.refund_rows(ctx.conn, event, since, until)]
        keys = {
            "day": lambda r: _local(r["at"], r["timezone"] or tz, "%Y-%m-%d"),
            "event": lambda r: r["event_name"] or r["event_id"],
            "operator": lambda r: r["operator"], "reason": lambda r: r["reason"],
        }
        groups = group(items, keys[by], sums=sums)
        currency = items[0]["currency"] if items else _currency(ctx)
    for g in groups:
        g["amount_text"] = format_money(g["amount"], currency)
        g["fee_text"] = format_money(g["fee"], currency)
    tot = totals(groups, sums)
    return {"by": by, "event": event, "day": day, "currency": currency, "groups": groups,
            "total": tot | {"amount_text": format_money(tot["amount"], currency),
                            "fee_text": format_money(tot["fee"], currency)}}


def checkins(ctx: Ctx, event: str | None = None) -> dict[str, Any]:
    """Per event: tickets admitted, exits, in now (entries less exits), refusals by reason, and both by hour.

    "In now" is entries less exits rather than distinct tickets inside: if two doors cut off from each other let
    the same ticket in twice, two people came in, and the count of people inside is what the door needs.
    Hours are the event's local hours.
    """
    ctx.require("report")
    names = store.event_names(ctx.conn)
    if event and event not in names:
        raise BoxOfficeError("not_found", f"no event {event!r} here: `boxoffice event list` shows them")
    issued = store.valid_tickets_per_event(ctx.conn, event)
    out: dict[str, dict[str, Any]] = {}
    for m in store.checkin_minutes(ctx.conn, event):
        ev_id = m["event_id"]
        ev = names.get(ev_id, {"name": ev_id, "timezone": _venue_tz(ctx)})
        g = out.setdefault(ev_id, {"event": ev_id, "name": ev["name"], "admitted": 0, "exits": 0, "refused": 0,
                                   "in_now": 0, "tickets": issued.get(ev_id, 0), "refused_by": {}, "hours": {}})
        hour = _local(m["minute"] + ":00Z", ev["timezone"] or _venue_tz(ctx), "%Y-%m-%d %H:00")
        h = g["hours"].setdefault(hour, {"hour": hour, "admitted": 0, "exits": 0, "refused": 0})
        if m["result"] != ADMITTED:
            g["refused"] += m["n"]
            h["refused"] += m["n"]
            g["refused_by"][m["result"]] = g["refused_by"].get(m["result"], 0) + m["n"]
        elif m["direction"] == "in":
            g["admitted"] += m["n"]
            h["admitted"] += m["n"]
        else:
            g["exits"] += m["n"]
            h["exits"] += m["n"]
    events = []
    for ev_id in sorted(out):
        g = out[ev_id]
        g["in_now"] = g["admitted"] - g["exits"]
        g["refused_by"] = dict(sorted(g["refused_by"].items(), key=lambda kv: (-kv[1], kv[0])))
        g["by_hour"] = [g["hours"][k] for k in sorted(g["hours"])]
        del g["hours"]
        events.append(g)
    return {"event": event, "events": events,
            "total": {f: sum(g[f] for g in events) for f in ("admitted", "exits", "refused", "in_now")}}


def end_of_day(ctx: Ctx, day: str | None = None, event: str | None = None) -> dict[str, Any]:
    """Everything the end-of-day PDF shows: sales by hour, tenders, by type, capacity used, refunds."""
    ctx.require("report")
    return {"day": day, "event": event, "venue": (catalog_store.venue(ctx.conn) or {}).get("name", ""),
            "terminal": ctx.terminal["name"], "generated": ctx.now_iso(),
            "by_hour": sales(ctx, "hour", event, day), "by_tender": sales(ctx, "tender", event, day),
            "by_type": sales(ctx, "type", event, day), "capacity": store.capacity_rows(ctx.conn, event),
            "refunds_by_reason": refunds(ctx, "reason", event, day),
            "refunds_by_tender": refunds(ctx, "tender", event, day)}
