"""Alerts: the numbers a venue's emergency plan watches, compared against thresholds in the config.

Each check is silent on a normal night. "Usual" means the same clock hour on the previous days this terminal sold
anything, so a quiet Monday afternoon is not compared with a Saturday evening rush at the same place.
Severity follows how many customers (or terminals) the problem touches.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict, cast

from boxoffice.domain.alerts import most_severe_first, severity, thresholds_in_force
from boxoffice.domain.alerts import usual as usual_rate
from boxoffice.domain.clock import iso, parse_iso
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.store import alerts as store


class Alert(TypedDict):
    """An alert in force (:func:`check_and_journal`): what (``code``), how bad, the sentence said, and the figure
    behind it; ``usual`` for a rate against its usual, ``event`` and ``section`` for stock, ``waiting`` for sync."""

    code: str
    severity: str
    message: str
    value: NotRequired[int]
    usual: NotRequired[float]
    event: NotRequired[str | None]
    section: NotRequired[str]
    waiting: NotRequired[int]
    categories: NotRequired[dict[str, int]]
    orders: NotRequired[list[str]]


def _said(template: str, **values: Any) -> dict[str, str]:
    """An alert's sentence in the language in force (``message``) and in English (``ENGLISH``, for the journal)."""
    return {"message": _(template).format(**values), ENGLISH: template.format(**values)}


NIGHT_HOURS = 12  # what counts as tonight for the stock and loose-cash checks
SHOWN_ORDERS = 5  # order codes a loose-cash alert names (the latest)
ENGLISH = "_english"  # the key of an alert's English sentence until it is journalled (check_and_journal drops it)


def check(ctx: Ctx, thresholds: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every alert in force now, most severe first (an unknown threshold name is refused: domain/alerts.py)."""
    items = _check(ctx, thresholds)
    for a in items:
        a.pop(ENGLISH, None)
    return items


def _check(ctx: Ctx, thresholds: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """:func:`check`, each sentence also kept in English (``ENGLISH``) for the journal."""
    t = thresholds_in_force(thresholds)
    now = ctx.now()
    hour_ago = iso(now - timedelta(hours=1))
    out: list[dict[str, Any]] = []
    conn = ctx.conn

    sold = store.tickets_sold_between(conn, hour_ago, iso(now))
    usual = usual_rate(now, t["history_days"], store.first_sale_at(conn),
                       lambda a, b: store.tickets_sold_between(conn, a, b))
    if usual is not None and usual >= t["sales_min_usual"]:
        change = (sold - usual) / usual * 100
        if abs(change) > t["sales_change_percent"]:
            word = "rising" if change > 0 else "falling"
            said = (N_("sales rising: {sold} tickets in the last hour against a usual {usual:.0f} ({change:+.0f}%)")
                    if change > 0 else
                    N_("sales falling: {sold} tickets in the last hour against a usual {usual:.0f} ({change:+.0f}%)"))
            out.append({"code": f"sales_{word}", "severity": severity(int(abs(sold - usual))),
                        **_said(said, sold=sold, usual=usual, change=change),
                        "value": sold, "usual": round(usual, 1)})

    refunds = store.refunds_between(conn, hour_ago, iso(now))
    usual_r = usual_rate(now, t["history_days"], store.first_sale_at(conn),
                         lambda a, b: store.refunds_between(conn, a, b)) or 0.0
    if refunds >= t["refunds_min"] and refunds > usual_r * (1 + t["refunds_over_percent"] / 100):
        out.append({"code": "refunds_high", "severity": severity(refunds),
                    **_said(N_("{refunds} tickets refunded in the last hour against a usual {usual:.1f}"),
                            refunds=refunds, usual=usual_r),
                    "value": refunds, "usual": round(usual_r, 1)})

    scans, refused = store.scans_between(conn, iso(now - timedelta(minutes=10)), iso(now))
    if refused >= t["refused_scans"] and refused * 100 >= t["refused_share_percent"] * scans:
        out.append({"code": "refused_scans", "severity": severity(refused),
                    **_said(N_("{refused} of {scans} scans refused in the last 10 minutes: check the event and "
                               "date set on the door, or forged tickets"), refused=refused, scans=scans),
                    "value": refused})

    failed = store.failed_prints_since(conn, iso(now - timedelta(minutes=15)))
    if failed >= t["failed_prints"]:
        out.append({"code": "failed_prints", "severity": severity(failed),
                    **_said(N_("{failed} print jobs failed in the last 15 minutes: check the printer, then "
                               "`boxoffice print retry`"), failed=failed), "value": failed})

    loose = _cash_outside_shifts(ctx, iso(now - timedelta(hours=NIGHT_HOURS)))
    if loose is not None:
        out.append(loose)

    for s in store.section_stock(conn, iso(now - timedelta(hours=NIGHT_HOURS))):
        total = s["held_here"]
        if total <= 0 or s["left_here"] > total * t["stock_left_percent"] / 100:
            continue
        said = (N_("{event} {section}: {left} of {total} places left in this terminal's allocation")
                if not ctx.terminal["owns_inventory"] else
                N_("{event} {section}: {left} of {total} places left in stock"))
        out.append({"code": "stock_low", "severity": "minor" if s["left_here"] else "major",
                    **_said(said, event=s["event_id"], section=s["name"], left=s["left_here"], total=total),
                    "value": s["left_here"], "event": s["event_id"], "section": s["section_id"]})

    stale = _sync_stale(ctx, now, t["sync_stale_minutes"])
    if stale is not None:
        out.append(stale)

    from boxoffice.services.complaints import alerts_now

    out += [dict(a) for a in alerts_now(ctx, thresholds)]

    return most_severe_first(out)


def _cash_outside_shifts(ctx: Ctx, since: str) -> dict[str, Any] | None:
    """Cash taken or given back since ``since`` and booked to no shift, at a terminal that keeps shifts.

    Without ``require_shift`` a seller with no shift open still sells for cash; that money is in no drawer's
    expected total, so no blind count ever misses it. A forgotten shift and a seller who keeps out of the drawer's
    count look the same here, and both are the supervisor's to know. Silent at a terminal that keeps no shifts (its
    venue counts cash another way: services/shifts.shifts_kept_here), which is asked first, so such a terminal never
    reads its payments here."""
    from boxoffice.domain.money import format_money
    from boxoffice.i18n import ngettext, use_language
    from boxoffice.services.shifts import shifts_kept_here
    from boxoffice.store import shifts as shift_store

    if not shifts_kept_here(ctx):
        return None
    found = shift_store.cash_outside(ctx.conn, since)
    if not found:
        return None
    count = sum(c["n"] for c in found)

    def money(field: str) -> str:
        return ", ".join(f"{format_money(c[field], c['currency'])} {c['currency']}" for c in found)

    codes = shift_store.orders_with_cash_outside(ctx.conn, since, SHOWN_ORDERS + 1)
    orders = ", ".join(codes[:SHOWN_ORDERS]) + (", ..." if len(codes) > SHOWN_ORDERS else "")
    values = {"count": count, "hours": NIGHT_HOURS, "taken": money("taken"), "given": money("given"),
              "orders": orders}

    def said() -> str:
        return ngettext(
            "{count} cash payment or refund in the last {hours} hours was booked to no shift ({taken} taken, {given} "
            "given back, on {orders}): no drawer count expects that cash; ask who handled it; open a shift "
            "before cash changes hands (`boxoffice shift open --float AMOUNT`), or set require_shift",
            "{count} cash payments or refunds in the last {hours} hours were booked to no shift ({taken} taken, "
            "{given} given back, on {orders}): no drawer count expects that cash; ask who handled them; "
            "open a shift before cash changes hands (`boxoffice shift open --float AMOUNT`), "
            "or set require_shift", count).format(**values)

    with use_language("en"):  # the journal keeps it in English (check_and_journal)
        english = said()
    return {"code": "cash_outside_shift", "severity": "critical" if count >= 100 else "major",
            "message": said(), ENGLISH: english, "value": count, "orders": codes[:SHOWN_ORDERS]}


def _sync_stale(ctx: Ctx, now: datetime, minutes: float) -> dict[str, Any] | None:
    """An enrolled terminal out of touch with the central service for too long: what it sold is not counted
    centrally, and pickups, refunds and pauses made elsewhere are unknown here. Severity follows the entries
    waiting to be pushed. Silent for a terminal that works alone (never enrolled)."""
    from boxoffice.store import sync_state

    row = sync_state.get(ctx.conn)
    if row is None:
        return None
    since = row["last_good_sync"] or row["enrolled_at"]
    age = now - parse_iso(since)
    if age <= timedelta(minutes=minutes):
        return None
    waiting = sync_state.pending_count(ctx.conn)
    said = (N_("no good sync for {minutes} min: {waiting} journal entries not on the central service; check the "
               "network, then `boxoffice sync`") if row["last_good_sync"] else
            N_("never synced since enrolling for {minutes} min: {waiting} journal entries not on the central service; "
               "check the network, then `boxoffice sync`"))
    message = _(said).format(minutes=int(age.total_seconds() // 60), waiting=waiting)
    if row["last_error"]:
        message += _(" (last error: {error})").format(error=row["last_error"])
    # never journalled (NOT_JOURNALLED): no English copy to keep
    return {"code": "sync_stale", "severity": severity(waiting),
            "message": message,
            "value": int(age.total_seconds()), "waiting": waiting}


# Alerts the central service works out better for itself: it sees every terminal's last sync, and every terminal's
# complaints (a terminal's own burst would be listed there twice, and linger after the burst until the next sync).
NOT_JOURNALLED = frozenset({"sync_stale", "complaints_high"})


def journal_changes(ctx: Ctx, items: list[dict[str, Any]]) -> dict[str, int]:
    """Journal each alert when it is first raised (or its severity changes) and when it clears, so the central
    service learns at the next sync which alerts are in force on this terminal (`boxoffice central alerts`).

    Comparing with what the journal last said, rather than journalling every check, keeps a terminal that checks
    every few seconds all evening from filling its journal with the same alert.
    """
    from boxoffice.domain.alerts import key
    from boxoffice.store.db import write

    now = {key(a): a for a in items if a["code"] not in NOT_JOURNALLED}

    def news(before: dict[str, dict[str, Any]]) -> list[str]:
        return [k for k, a in now.items() if k not in before or before[k]["severity"] != a["severity"]]

    seen = store.raised(ctx.conn)
    if not news(seen) and not set(seen) - set(now):
        return {"raised": 0, "cleared": 0}  # the usual case: nothing to write, no write lock taken
    raised = cleared = 0
    with write(ctx.conn):
        before = store.raised(ctx.conn)  # again under the lock: another process may have journalled it meanwhile
        for k in news(before):
            a = now[k]
            ctx.journal("alert.raised", {"key": k, "code": a["code"], "severity": a["severity"],
                                         "message": a.get(ENGLISH, a["message"]), "value": a.get("value"),
                                         "event": a.get("event"), "section": a.get("section")})
            raised += 1
        for k in sorted(set(before) - set(now)):
            ctx.journal("alert.cleared", {"key": k, "code": before[k]["code"]})
            cleared += 1
    return {"raised": raised, "cleared": cleared}


def check_and_journal(ctx: Ctx) -> list[Alert]:
    """The alerts in force now, journalled as they are raised and cleared (for the counter, `alerts` and sync).

    The journal (and through it the central service) keeps each message in English, whatever language the screen
    is in; what is returned says it in the language in force."""
    items = _check(ctx, ctx.config.alerts)
    journal_changes(ctx, items)
    for a in items:
        a.pop(ENGLISH, None)
    return cast(list[Alert], items)
