"""Alerts: the numbers a venue's emergency plan watches, compared against thresholds in the config.

Each check is silent on a normal night. "Usual" means the same clock hour on the previous days this terminal sold
anything, so a quiet Monday afternoon is not compared with a Saturday evening rush at the same place.
Severity follows how many customers (or terminals) the problem touches.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from boxoffice.domain.clock import iso, parse_iso
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.store import alerts as store

DEFAULTS = {
    "sales_change_percent": 30,      # last hour vs usual for that hour, either way
    "sales_min_usual": 5,            # tickets an hour below which the usual rate is too small to judge
    "refunds_over_percent": 50,      # refunds in the last hour over the usual
    "refunds_min": 3,
    "refused_scans": 10,             # refused scans in the last 10 minutes...
    "refused_share_percent": 20,     # ...that are at least this share of all scans
    "failed_prints": 3,              # failed print jobs in the last 15 minutes
    "stock_left_percent": 10,        # a section with this share (or less) of its places left here
    "history_days": 7,
    "sync_stale_minutes": 15,        # an enrolled terminal with no good sync for this long (as `sync status` warns)
}


def severity(customers: int, terminals: int = 1) -> str:
    """minor under 20 customers on one terminal, major under 100 or on several, critical beyond."""
    if customers >= 100 or terminals >= 3:
        return "critical"
    if customers >= 20 or terminals >= 2:
        return "major"
    return "minor"


def _usual(now: datetime, days: int, first_sale: str | None, count) -> float | None:  # noqa: ANN001
    """Mean count in the same hour on previous days since the first sale; None without history."""
    if first_sale is None:
        return None
    first = parse_iso(first_sale)
    values = []
    for d in range(1, days + 1):
        start = now - timedelta(days=d, hours=1)
        if start < first - timedelta(hours=1):
            break
        values.append(count(iso(start), iso(start + timedelta(hours=1))))
    return sum(values) / len(values) if values else None


def check(ctx: Ctx, thresholds: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every alert in force now, most severe first.

    An unknown threshold name is refused rather than ignored: a typo in the config would otherwise leave the
    default in force while the manager believes it changed.
    """
    unknown = sorted(set(thresholds or {}) - set(DEFAULTS))
    if unknown:
        raise BoxOfficeError("bad_input", f"unknown alert threshold {', '.join(unknown)} in the config's [alerts]: "
                                          f"use {', '.join(DEFAULTS)}")
    t = DEFAULTS | (thresholds or {})
    now = ctx.now()
    hour_ago = iso(now - timedelta(hours=1))
    out: list[dict[str, Any]] = []
    conn = ctx.conn

    sold = store.tickets_sold_between(conn, hour_ago, iso(now))
    usual = _usual(now, t["history_days"], store.first_sale_at(conn),
                   lambda a, b: store.tickets_sold_between(conn, a, b))
    if usual is not None and usual >= t["sales_min_usual"]:
        change = (sold - usual) / usual * 100
        if abs(change) > t["sales_change_percent"]:
            word = "rising" if change > 0 else "falling"
            out.append({"code": f"sales_{word}", "severity": severity(int(abs(sold - usual))),
                        "message": f"sales {word}: {sold} tickets in the last hour against a usual {usual:.0f} "
                                   f"({change:+.0f}%)", "value": sold, "usual": round(usual, 1)})

    refunds = store.refunds_between(conn, hour_ago, iso(now))
    usual_r = _usual(now, t["history_days"], store.first_sale_at(conn),
                     lambda a, b: store.refunds_between(conn, a, b)) or 0.0
    if refunds >= t["refunds_min"] and refunds > usual_r * (1 + t["refunds_over_percent"] / 100):
        out.append({"code": "refunds_high", "severity": severity(refunds),
                    "message": f"{refunds} tickets refunded in the last hour against a usual {usual_r:.1f}",
                    "value": refunds, "usual": round(usual_r, 1)})

    scans, refused = store.scans_between(conn, iso(now - timedelta(minutes=10)), iso(now))
    if refused >= t["refused_scans"] and refused * 100 >= t["refused_share_percent"] * scans:
        out.append({"code": "refused_scans", "severity": severity(refused),
                    "message": f"{refused} of {scans} scans refused in the last 10 minutes: check the event and "
                               "date set on the door, or forged tickets", "value": refused})

    failed = store.failed_prints_since(conn, iso(now - timedelta(minutes=15)))
    if failed >= t["failed_prints"]:
        out.append({"code": "failed_prints", "severity": severity(failed),
                    "message": f"{failed} print jobs failed in the last 15 minutes: check the printer, then "
                               "`boxoffice print retry`", "value": failed})

    for s in store.section_stock(conn, iso(now - timedelta(hours=12))):
        total = s["held_here"]
        if total <= 0 or s["left_here"] > total * t["stock_left_percent"] / 100:
            continue
        scope = "this terminal's allocation" if not ctx.terminal["owns_inventory"] else "stock"
        out.append({"code": "stock_low", "severity": "minor" if s["left_here"] else "major",
                    "message": f"{s['event_id']} {s['name']}: {s['left_here']} of {total} places left in {scope}",
                    "value": s["left_here"], "event": s["event_id"], "section": s["section_id"]})

    stale = _sync_stale(ctx, now, t["sync_stale_minutes"])
    if stale is not None:
        out.append(stale)

    order = {"critical": 0, "major": 1, "minor": 2}
    return sorted(out, key=lambda a: order[a["severity"]])


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
    what = "no good sync" if row["last_good_sync"] else "never synced since enrolling"
    return {"code": "sync_stale", "severity": severity(waiting),
            "message": f"{what} for {int(age.total_seconds() // 60)} min: {waiting} journal entries not on the "
                       "central service; check the network, then `boxoffice sync`"
                       + (f" (last error: {row['last_error']})" if row["last_error"] else ""),
            "value": int(age.total_seconds()), "waiting": waiting}
