"""Report aggregation: pure functions over plain row dicts, shared by a terminal's reports and the central service's.

A terminal reads its rows from its SQLite file (store/reports.py), the central service from every terminal's synced
work and the web shop (central/reports.py); both hand rows of the same shape here, so the same grouping, the same
local hours and the same totals come out of both, and the central figures can be checked against the terminals'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from boxoffice.domain.clock import iso, parse_iso, zone
from boxoffice.domain.demand_bands import report_key
from boxoffice.domain.money import format_money
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

SALES_BY = ("type", "event", "day", "hour", "operator", "tender", "channel", "section")
REFUNDS_BY = ("band", "day", "event", "operator", "reason", "tender")
CHECKINS_BY = ("event", "hour", "reason")
ADMITTED = "admitted"  # a check-in's result when the door let the ticket through (services/door.py)
WITHDRAWN = "withdrawn"  # an admission of a stolen terminal the admin withdrew (central withdraw-checkins)


def window(tz: str, day: str | None) -> tuple[str | None, str | None]:
    """A local calendar day in zone ``tz`` as a UTC [since, until) window; None for all time."""
    if not day:
        return None, None
    try:
        start = datetime.fromisoformat(day).replace(tzinfo=zone(tz))
        return iso(start), iso(start + timedelta(days=1))
    except (ValueError, OverflowError):  # OverflowError: the first or last day a calendar has, 0001 or 9999
        raise BoxOfficeError("bad_input", _("--day {day!r}: give a date like 2026-11-30").format(day=day)) from None


def check_by(by: str, allowed: tuple[str, ...]) -> None:
    """Refuse a grouping the report does not offer, naming those it does."""
    if by not in allowed:
        raise BoxOfficeError("bad_input",
            _("--by {by!r}: use one of {choices}").format(by=by, choices=", ".join(allowed)))


def group(items: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], str],
          amount: str = "amount", sums: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Count and sum ``amount`` (and each field in ``sums``) per key, in key order."""
    out: dict[str, dict[str, Any]] = {}
    for it in items:
        k = key(it)
        g = out.setdefault(k, {"key": k, "count": 0, "amount": 0, **dict.fromkeys(sums, 0)})
        g["count"] += 1
        g["amount"] += it[amount]
        for f in sums:
            g[f] += it[f]
    return [out[k] for k in sorted(out)]


def totals(groups: list[dict[str, Any]], sums: tuple[str, ...] = ()) -> dict[str, int]:
    """The sum of every group's count, amount and ``sums`` fields: the report's TOTAL line."""
    return {f: sum(g[f] for g in groups) for f in ("count", "amount", *sums)}


def local(ts: str, tz: str, fmt: str) -> str:
    """A stored UTC time as the venue reads it (``fmt`` of the time in zone ``tz``)."""
    return parse_iso(ts).astimezone(zone(tz)).strftime(fmt)


EXCHANGE_CREDIT = "exchange_credit"  # the tender an exchange's new tickets are partly paid by: the old tickets' value


def sales(tickets: list[dict[str, Any]], pays: list[dict[str, Any]], credits: list[dict[str, Any]], by: str, tz: str,
          currency: str) -> dict[str, Any]:
    """Tickets (or, by ``tender``, what paid for them) grouped one way, with totals and amounts as text.

    ``tickets`` rows carry event_id, event_name, timezone, section_id, type_name, price, operator, channel,
    created_at, currency, order_id (and ``terminal`` where the grouping by terminal is offered), and ``paid_by``:
    None when the order's payments are among ``pays``, else the key its money is shown under by tender (the web
    shop's channel, or ``other_terminals`` for sales whose payments this terminal never sees). ``pays`` rows carry
    kind, tender, amount, currency; ``credits`` one row (amount, currency) per exchange whose new tickets were paid
    partly by the old ones' value. ``tz`` is the zone for rows without their event's own.

    By tender, a group's count is payments (or exchanges, or orders paid elsewhere); every other grouping counts
    tickets. Whichever the grouping, the amounts add up to the same total, and ``total.tickets`` is the same.
    """
    if by == "tender":
        rows = [{"key": p["tender"], "amount": p["amount"]} for p in pays if p["kind"] == "payment"]
        rows += [{"key": EXCHANGE_CREDIT, "amount": c["amount"]} for c in credits]
        elsewhere: dict[str, dict[str, Any]] = {}
        for t in tickets:
            if t["paid_by"] is not None:
                o = elsewhere.setdefault(t["order_id"], {"key": t["paid_by"], "amount": 0})
                o["amount"] += t["price"]
        groups = group([*rows, *elsewhere.values()], lambda r: r["key"])
        unit = "payments"
    else:
        keys: dict[str, Callable[[dict[str, Any]], str]] = {
            "type": lambda t: t["type_name"], "event": lambda t: t["event_name"] or t["event_id"],
            "day": lambda t: local(t["created_at"], t["timezone"] or tz, "%Y-%m-%d"),
            "hour": lambda t: local(t["created_at"], t["timezone"] or tz, "%Y-%m-%d %H:00"),
            "operator": lambda t: t["operator"], "channel": lambda t: t["channel"],
            "section": lambda t: f"{t['event_id']}/{t['section_id']}", "terminal": lambda t: t["terminal"],
        }
        groups = group([t | {"amount": t["price"]} for t in tickets], keys[by])
        unit = "tickets"
    currency = next((r["currency"] for r in (*tickets, *pays, *credits)), currency)
    for g in groups:
        g["amount_text"] = format_money(g["amount"], currency)
    tot = totals(groups) | {"tickets": len(tickets)}
    return {"by": by, "unit": unit, "currency": currency, "groups": groups,
            "total": tot | {"amount_text": format_money(tot["amount"], currency)}}


def unpaid(tickets: list[dict[str, Any]], currency: str) -> dict[str, Any]:
    """Unpaid orders (the web shop's, not yet paid): no sale yet, so shown apart from every total."""
    amount = sum(t["price"] for t in tickets)
    currency = tickets[0]["currency"] if tickets else currency
    return {"orders": len({t["order_id"] for t in tickets}), "tickets": len(tickets), "amount": amount,
            "amount_text": format_money(amount, currency)}


def refunds(items: list[dict[str, Any]], pays: list[dict[str, Any]], by: str, tz: str,
            currency: str) -> dict[str, Any]:
    """Money paid back grouped one way, with totals.

    By ``tender`` it counts the refund payments themselves (cash and each card); every other grouping counts
    refunds (``items``: one row per refund, and per exchange that paid money back), the tickets they cancelled, the
    fees kept and the amount paid back, so both add up to the same total.
    """
    sums: tuple[str, ...] = ("tickets", "fee", "overrides")
    if by == "tender":
        rows = [p | {"tickets": 0, "fee": 0, "overrides": 0} for p in pays if p["kind"] == "refund"]
        groups = group(rows, lambda p: p["tender"], sums=sums)
        currency = rows[0]["currency"] if rows else currency
    else:
        rows = [r | {"overrides": r["override"]} for r in items]
        keys: dict[str, Callable[[dict[str, Any]], str]] = {
            "day": lambda r: local(r["at"], r["timezone"] or tz, "%Y-%m-%d"),
            "event": lambda r: r["event_name"] or r["event_id"],
            "operator": lambda r: r["operator"], "reason": lambda r: r["reason"], "terminal": lambda r: r["terminal"],
            "band": report_key,  # the demand band that scaled the fee (domain.demand_bands)
        }
        groups = group(rows, keys[by], sums=sums)
        currency = rows[0]["currency"] if rows else currency
    for g in groups:
        g["amount_text"] = format_money(g["amount"], currency)
        g["fee_text"] = format_money(g["fee"], currency)
    tot = totals(groups, sums)
    return {"by": by, "currency": currency, "groups": groups,
            "total": tot | {"amount_text": format_money(tot["amount"], currency),
                            "fee_text": format_money(tot["fee"], currency)}}


def pickups(tickets: list[dict[str, Any]], handouts: list[dict[str, Any]], here: str | None, venue: bool,
            by_terminal: bool = False) -> dict[str, Any]:
    """Per event and channel (and desk, when asked): tickets handed out, still waiting, and unpaid.

    ``tickets``: one per valid ticket of a desk-handed order (every channel but the box office), with ``paid``.
    ``handouts``: one per desk that handed a ticket out (ticket_id, terminal_id, terminal name, at). A ticket two
    desks handed out (cut off from each other) is each desk's work, so it counts once at each; the later one is
    also counted under ``conflicts`` (ties by terminal id, the same everywhere), so tickets out = picked_up less
    conflicts. ``here`` is the terminal reporting (None on the central service). Own scope (``venue`` False) counts
    only this desk's handouts; ``elsewhere`` counts the venue's handouts at other desks.
    """
    desks: dict[str, list[dict[str, Any]]] = {}
    for h in sorted(handouts, key=lambda h: (h["at"] or "", h["terminal_id"] or "")):
        seen = desks.setdefault(h["ticket_id"], [])
        if all(d["terminal_id"] != h["terminal_id"] for d in seen):
            seen.append(h)
    out: dict[tuple[str, ...], dict[str, Any]] = {}

    def bucket(t: dict[str, Any], desk: str) -> dict[str, Any]:
        key = (t["event_id"], t["channel"], desk) if by_terminal else (t["event_id"], t["channel"])
        return out.setdefault(key, {"event": t["event_id"], "channel": t["channel"], "picked_up": 0, "elsewhere": 0,
                                    "waiting": 0, "unpaid": 0, "conflicts": 0}
                              | ({"terminal": desk} if by_terminal else {}))

    for t in tickets:
        by = desks.get(t["id"], [])
        counted = by if venue else [d for d in by if d["terminal_id"] == here]
        for d in counted:
            g = bucket(t, d.get("terminal") or "")
            g["picked_up"] += 1
            if here is not None and d["terminal_id"] != here:
                g["elsewhere"] += 1
            if d is not by[0]:
                g["conflicts"] += 1
        if not by:
            bucket(t, "")["waiting" if t["paid"] else "unpaid"] += 1
    groups = [out[k] for k in sorted(out)]
    return {"groups": groups, "total": {f: sum(g[f] for g in groups)
                                        for f in ("picked_up", "elsewhere", "waiting", "unpaid", "conflicts")}}


def checkins(minutes: list[dict[str, Any]], names: dict[str, dict[str, Any]], issued: dict[str, int],
             tz: str) -> dict[str, Any]:
    """Per event: admitted, exits, in now (entries less exits), refusals by reason, and all of them by local hour.

    ``minutes``: scans counted per event, UTC minute (``YYYY-MM-DDTHH:MM``), result and direction (and
    ``terminal``: then per-terminal counts are kept too). "In now" is entries less exits rather than distinct
    tickets inside: if two doors cut off from each other let the same ticket in twice, two people came in. An
    admission the admin withdrew (result ``withdrawn``) is counted apart: it let nobody in.
    """
    out: dict[str, dict[str, Any]] = {}
    for m in minutes:
        ev_id = m["event_id"]
        ev = names.get(ev_id, {"name": ev_id, "timezone": tz})
        g = out.setdefault(ev_id, {"event": ev_id, "name": ev["name"], "admitted": 0, "exits": 0, "refused": 0,
                                   "withdrawn": 0, "in_now": 0, "tickets": issued.get(ev_id, 0), "refused_by": {},
                                   "hours": {}, "terminals": {}})
        hour = local(m["minute"] + ":00Z", ev["timezone"] or tz, "%Y-%m-%d %H:00")
        h = g["hours"].setdefault(hour, {"hour": hour, "admitted": 0, "exits": 0, "refused": 0, "withdrawn": 0})
        buckets = [g, h]
        if "terminal" in m:
            name = m["terminal"]
            buckets.append(g["terminals"].setdefault(name, {"terminal": name, "admitted": 0, "exits": 0,
                                                             "refused": 0, "withdrawn": 0}))
        field = ("withdrawn" if m["result"] == WITHDRAWN else "refused" if m["result"] != ADMITTED
                 else "admitted" if m["direction"] == "in" else "exits")
        for b in buckets:
            b[field] += m["n"]
        if field == "refused":
            g["refused_by"][m["result"]] = g["refused_by"].get(m["result"], 0) + m["n"]
    events = []
    for ev_id in sorted(out):
        g = out[ev_id]
        g["in_now"] = g["admitted"] - g["exits"]
        g["refused_by"] = dict(sorted(g["refused_by"].items(), key=lambda kv: (-kv[1], kv[0])))
        g["by_hour"] = [g["hours"][k] for k in sorted(g["hours"])]
        del g["hours"]
        if g["terminals"]:
            g["by_terminal"] = [g["terminals"][k] for k in sorted(g["terminals"])]
        del g["terminals"]
        events.append(g)
    return {"events": events,
            "total": {f: sum(g[f] for g in events) for f in ("admitted", "exits", "refused", "withdrawn", "in_now")}}
