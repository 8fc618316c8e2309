"""Alerts on the central service: what it works out across terminals, and what the terminals raised themselves.

Worked out here, because only the central service sees every terminal:
- ``terminal_stale``: a terminal not heard from (no push or pull) for longer than ``sync_stale_minutes``; what it
  sold since is unknown here and the pauses and revocations sent since have not reached it;
- ``allocation_low``: a terminal's allocation of a section nearly sold (``stock_left_percent`` or less left), from
  the grants (central/allocations.py) and the tickets its synced sales hold;
- ``sales_rising`` / ``sales_falling`` and ``refunds_high``: the box-office rate across all terminals in the last
  hour against the usual for that hour (domain/alerts.py), as far as the terminals have synced;
- ``refused_scans``: refused scans at all doors in the last 10 minutes;
- ``complaints_high``: more complaints than the threshold within a few minutes, per event and across the venue,
  from every terminal's complaints as synced (central/services/complaints.py);
- ``journal_quota``: a terminal that pushed more than its hourly share of journal within the last hour
  (central/services/journal_quota.py): far more than a counter sells, so possibly a stolen terminal.

Raised on terminals: each terminal journals ``alert.raised`` when an alert first shows there (or changes severity)
and ``alert.cleared`` when it goes (services/alerts.py); the last of those per terminal and alert says whether it is
in force as of that terminal's last sync. One alert raised on several terminals is listed once, naming them all,
with the severity the number of terminals gives (domain/alerts.severity).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from boxoffice.central.services import allocation_ledger as ledger
from boxoffice.central.services import complaints, journal_quota
from boxoffice.central.store import alerts as queries
from boxoffice.central.store import terminals
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.alerts import ORDER, most_severe_first, severity, thresholds_in_force, usual
from boxoffice.domain.clock import Clock, iso, parse_iso, system_clock
from boxoffice.i18n import _
from boxoffice.wire import codec

RAISED, CLEARED = "alert.raised", "alert.cleared"


def stale_terminals(db: CentralDB, now: datetime, minutes: float) -> list[dict[str, Any]]:
    """Active terminals not heard from (a push or a pull) for longer than ``minutes``; never heard from: counted
    from enrolling. The times are the central service's own clock. Severity grows with how many are out of touch."""
    out = []
    rows = queries.active_terminals(db)
    stale = [r for r in rows if now - parse_iso(r["last_seen_at"] or r["enrolled_at"]) > timedelta(minutes=minutes)]
    for r in stale:
        age = int((now - parse_iso(r["last_seen_at"] or r["enrolled_at"])).total_seconds() // 60)
        what = (_("not synced for {minutes} min") if r["last_seen_at"] else
                _("never synced in the {minutes} min since enrolling")).format(minutes=age)
        out.append({"code": "terminal_stale", "severity": severity(0, len(stale)), "source": "central",
                    "message": _("{name}: {what}; its sales since are not counted here and it has not had the "
                                 "pauses and revocations sent since. Check its network, then `boxoffice sync` "
                                 "there").format(name=r["name"], what=what),
                    "value": age, "terminals": [r["name"]], "terminal_ids": [r["id"]],
                    "since": r["last_seen_at"] or r["enrolled_at"]})
    return out


def allocations_low(db: CentralDB, now: datetime, percent: float) -> list[dict[str, Any]]:
    """Terminals whose allocation of a section of an event not yet over is nearly sold."""
    names = terminals.names(db, active_only=True)
    out = []
    for eid in queries.events_from(db, iso(now - timedelta(hours=12))):
        sold = queries.sold_by_section_and_terminal(db, eid)
        for sid in ledger.sections(db, eid):
            for tid, held in sorted(ledger.allocated(db, eid, sid).items()):
                if tid not in names or held <= 0:
                    continue
                left = max(0, held - sold.get((sid, tid), 0))
                if left > held * percent / 100:
                    continue
                out.append({"code": "allocation_low", "severity": "minor" if left else "major", "source": "central",
                            "message": _("{name}: {left} of the {held} places of {event} {section} allocated to "
                                         "it are left (`boxoffice central allocate` gives it more)").format(
                                             name=names[tid], left=left, held=held, event=eid, section=sid),
                            "value": left, "event": eid, "section": sid, "terminals": [names[tid]],
                            "terminal_ids": [tid]})
    return out


def rates(db: CentralDB, now: datetime, t: dict[str, Any]) -> list[dict[str, Any]]:
    """Box-office sales and refunds across all terminals in the last hour against the usual for that hour."""
    out: list[dict[str, Any]] = []
    first = queries.first_box_office_sale(db)
    hour_ago, end = iso(now - timedelta(hours=1)), iso(now)

    def sold_between(a: str, b: str) -> int:
        return queries.box_office_tickets_between(db, a, b)

    def refunded_between(a: str, b: str) -> int:
        return queries.refunds_between(db, a, b)

    def sellers(a: str, b: str) -> list[str]:
        return queries.box_office_sellers_between(db, a, b)

    sold = sold_between(hour_ago, end)
    rate = usual(now, t["history_days"], first, sold_between)
    if rate is not None and rate >= t["sales_min_usual"]:
        change = (sold - rate) / rate * 100
        if abs(change) > t["sales_change_percent"]:
            word = "rising" if change > 0 else "falling"
            out.append({"code": f"sales_{word}", "severity": severity(int(abs(sold - rate))), "source": "central",
                        "message": (_("sales rising across all terminals: {sold} tickets in the last hour (as "
                                      "synced) against a usual {usual} ({change}%)") if change > 0 else
                                    _("sales falling across all terminals: {sold} tickets in the last hour (as "
                                      "synced) against a usual {usual} ({change}%)")).format(
                                        sold=sold, usual=f"{rate:.0f}", change=f"{change:+.0f}"), "value": sold,
                        "usual": round(rate, 1), "terminals": sellers(hour_ago, end)})
    refunds = refunded_between(hour_ago, end)
    rate_r = usual(now, t["history_days"], first, refunded_between) or 0.0
    if refunds >= t["refunds_min"] and refunds > rate_r * (1 + t["refunds_over_percent"] / 100):
        out.append({"code": "refunds_high", "severity": severity(refunds), "source": "central",
                    "message": _("{refunds} tickets refunded across all terminals in the last hour against a "
                                 "usual {usual}").format(refunds=refunds, usual=f"{rate_r:.1f}"), "value": refunds,
                    "usual": round(rate_r, 1), "terminals": []})
    return out


def refused_scans(db: CentralDB, now: datetime, t: dict[str, Any]) -> list[dict[str, Any]]:
    """Refused scans at all doors in the last 10 minutes, when many and a large share of all scans."""
    rows = queries.scans_between(db, iso(now - timedelta(minutes=10)), iso(now))
    scans = sum(int(r["n"]) for r in rows)
    refused = sum(int(r["n"]) for r in rows if r["kind"] == "scan.refused")
    doors = sorted({r["name"] for r in rows if r["kind"] == "scan.refused"})
    if refused < t["refused_scans"] or refused * 100 < t["refused_share_percent"] * scans:
        return []
    return [{"code": "refused_scans", "severity": severity(refused, len(doors)), "source": "central",
             "message": _("{refused} of {scans} scans refused at {doors} door(s) in the last 10 minutes: check "
                          "the event and date set on the doors, or forged tickets").format(
                              refused=refused, scans=scans, doors=len(doors)), "value": refused,
             "terminals": doors}]


def past_journal_quota(db: CentralDB, now: datetime) -> list[dict[str, Any]]:
    """Terminals that went past their hourly share of journal in the last hour: major, one alert each. ``value``:
    the bytes it sent in the hour it went past (0 once that hour is over and a new one counts)."""
    return [{"code": journal_quota.CODE, "severity": "major", "source": "central",
             "message": _("{name} pushed more than its hourly share of journal within the last hour: far more "
                          "than a counter sells. Its pushes wait for the next hour; if it may be stolen, revoke it "
                          "(`boxoffice central revoke`)").format(name=r["name"]),
             "value": int(r["journal_hour_bytes"]) if journal_quota.same_hour(r["journal_hour"],
                                                                              r["journal_quota_hit_at"]) else 0,
             "terminals": [r["name"]], "terminal_ids": [r["id"]], "since": r["journal_quota_hit_at"]}
            for r in journal_quota.past_quota(db, iso(now))]


def raised_on_terminals(db: CentralDB) -> list[dict[str, Any]]:
    """Alerts in force on terminals as of their last sync, one per alert, naming every terminal it is raised on."""
    names = terminals.names(db, active_only=True)
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for e in queries.alert_entries(db, RAISED, CLEARED):
        try:
            body = codec.loads(e["payload"])
        except ValueError:
            continue
        if not isinstance(body, dict) or not isinstance(body.get("key"), str):
            continue
        if e["kind"] == RAISED and body.get("severity") in ORDER:
            state[(e["terminal_id"], body["key"])] = body | {"raised_at": e["at"]}
        else:
            state.pop((e["terminal_id"], body["key"]), None)
    merged: dict[str, dict[str, Any]] = {}
    for (tid, key), body in sorted(state.items(), key=lambda kv: kv[1]["raised_at"]):
        if tid not in names:
            continue
        a = merged.setdefault(key, {"code": str(body.get("code")), "severity": body["severity"], "source": "terminal",
                                    "message": str(body.get("message")), "value": body.get("value"),
                                    "event": body.get("event"), "section": body.get("section"), "terminals": [],
                                    "terminal_ids": [], "raised_at": body["raised_at"], "messages": {}})
        a["terminals"].append(names[tid])
        a["terminal_ids"].append(tid)
        a["messages"][names[tid]] = str(body.get("message"))
        if ORDER[body["severity"]] < ORDER[a["severity"]]:
            a["severity"] = body["severity"]
    for a in merged.values():
        wider = severity(0, len(a["terminals"]))
        if ORDER[wider] < ORDER[a["severity"]]:
            a["severity"] = wider
        if len(a["terminals"]) > 1:
            a["message"] = _("on {count} terminals: {message}").format(count=len(a["terminals"]), message=a["message"])
    return list(merged.values())


def in_force(db: CentralDB, now: datetime, t: dict[str, Any]) -> list[dict[str, Any]]:
    """Every alert in force, most severe first: worked out here, then raised on terminals."""
    out = stale_terminals(db, now, t["sync_stale_minutes"])
    out += allocations_low(db, now, t["stock_left_percent"])
    out += rates(db, now, t)
    out += refused_scans(db, now, t)
    out += complaints.in_force(db, now, t)
    out += past_journal_quota(db, now)
    out += raised_on_terminals(db)
    return most_severe_first(out)


def alerts(url: str, thresholds: dict[str, Any] | None = None, clock: Clock = system_clock) -> list[dict[str, Any]]:
    """`boxoffice central alerts`: the thresholds of the config's [alerts] over the defaults, on the database."""
    from boxoffice.central.services.admin import open_db

    t = thresholds_in_force(thresholds)
    with open_db(url) as db:
        return in_force(db, clock(), t)
