"""The central box office's reports: the terminal's `boxoffice report ...` across every terminal and the web shop.

Rows come from central/services/reports.py (the plain counts straight from central/store/reports.py), grouping
from domain/reports.py (the same functions a terminal's reports use), so a central figure is the sum of the
terminals' own reports, plus the web shop's paid orders (and, for pickups and check-ins, the state of what still
waits). Each report says so in its ``scope``. Each function opens the database and closes it, like a request.
Grouping ``by terminal`` is offered here only: a terminal's own reports are all one terminal.
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.services import published
from boxoffice.central.services import reports as rows
from boxoffice.central.services.admin import open_db
from boxoffice.central.store import reports as queries
from boxoffice.central.store.db import CentralDB
from boxoffice.domain import reports as agg
from boxoffice.domain.clock import Clock, iso, system_clock
from boxoffice.domain.report_scope import CENTRAL, scope
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

SALES_BY = (*agg.SALES_BY, "terminal")
REFUNDS_BY = (*agg.REFUNDS_BY, "terminal")
CHECKINS_BY = (*agg.CHECKINS_BY, "terminal")
PICKUPS_BY = ("event", "terminal")


def _context(db: CentralDB, event: str | None, day: str | None) -> tuple[dict[str, Any], str, str, str | None,
                                                                         str | None]:
    """The published catalogue, the venue's zone and currency, and the day as a UTC window."""
    info = published.events(db)
    if event and event not in info["events"]:
        raise BoxOfficeError("not_found", _("no published event {event_id!r}: `boxoffice central catalog publish` "
                                            "first").format(event_id=event))
    tz = str(info["venue"].get("timezone") or "UTC")
    since, until = agg.window(tz, day)
    return info, tz, str(info["venue"].get("currency") or "EUR"), since, until


def sales_in(db: CentralDB, by: str = "type", event: str | None = None, day: str | None = None) -> dict[str, Any]:
    """Tickets sold everywhere (and for ``tender``, what paid for them: the terminals' tenders, exchange credit and
    the web shop) grouped one way, with totals; unpaid web orders apart."""
    agg.check_by(by, SALES_BY)
    info, tz, cur, since, until = _context(db, event, day)
    tickets = rows.ticket_rows(db, info, event, since, until)
    pays = rows.payment_rows(db, event, since, until) if by == "tender" else []
    credits = rows.exchange_credits(db, event, since, until) if by == "tender" else []
    unpaid = rows.ticket_rows(db, info, event, since, until, paid=False)
    return ({"by": by, "event": event, "day": day} | agg.sales(tickets, pays, credits, by, tz, cur)
            | {"unpaid": agg.unpaid(unpaid, cur), "scope": scope("sales", CENTRAL, None)})


def refunds_in(db: CentralDB, by: str = "reason", event: str | None = None,
               day: str | None = None) -> dict[str, Any]:
    """Money paid back on every terminal grouped one way, with totals (exchanges that paid back as 'exchange')."""
    agg.check_by(by, REFUNDS_BY)
    info, tz, cur, since, until = _context(db, event, day)
    head = {"by": by, "event": event, "day": day}
    tail = {"scope": scope("refunds", CENTRAL, None)}
    if by == "tender":
        return head | agg.refunds([], rows.payment_rows(db, event, since, until), by, tz, cur) | tail
    return head | agg.refunds(rows.refund_rows(db, info, event, since, until), [], by, tz, cur) | tail


def sales(url: str, by: str = "type", event: str | None = None, day: str | None = None) -> dict[str, Any]:
    with open_db(url) as db:
        return sales_in(db, by, event, day)


def refunds(url: str, by: str = "reason", event: str | None = None, day: str | None = None) -> dict[str, Any]:
    with open_db(url) as db:
        return refunds_in(db, by, event, day)


def pickups(url: str, event: str | None = None, by: str = "event") -> dict[str, Any]:
    """Tickets of web orders handed out (each desk's handouts, and by which terminal, ``by`` terminal), still
    waiting and unpaid, per event."""
    agg.check_by(by, PICKUPS_BY)
    with open_db(url) as db:
        _context(db, event, None)
        tickets = rows.pickup_rows(db, event)
        rep = agg.pickups(tickets, rows.handout_rows(db, tickets), None, True, by == "terminal")
        return {"event": event, "by": by} | rep | {"scope": scope("pickups", CENTRAL, None)}


def checkins(url: str, event: str | None = None) -> dict[str, Any]:
    """Door scans on every terminal per event: admitted, exits, in now, refusals, by hour and by terminal."""
    with open_db(url) as db:
        info, tz, _cur, _since, _until = _context(db, event, None)
        names = {eid: {"name": ev["event"]["name"], "timezone": ev["event"]["timezone"]}
                 for eid, ev in info["events"].items()}
        return ({"event": event} | agg.checkins(rows.checkin_minutes(db, event), names,
                                                queries.valid_tickets_per_event(db, event), tz)
                | {"scope": scope("checkins", CENTRAL, None)})


def end_of_day(url: str, day: str | None = None, event: str | None = None,
               clock: Clock = system_clock) -> dict[str, Any]:
    """What the end-of-day PDF shows (printing/report_pdf.py), for the whole venue."""
    with open_db(url) as db:
        info, _tz, _cur, _since, _until = _context(db, event, day)
        sold = queries.sold_per_section(db, event)
        capacity = []
        for eid, ev in sorted(info["events"].items()):
            if event and eid != event:
                continue
            seats: dict[str, int] = {}
            for s in ev["seats"]:
                seats[s["section_id"]] = seats.get(s["section_id"], 0) + 1
            capacity += [{"event_id": eid, "section_id": s["id"], "name": s["name"],
                          "capacity": seats.get(s["id"], 0) if s["kind"] == "reserved" else int(s["capacity"]),
                          "sold": sold.get((eid, s["id"], True), 0), "unpaid": sold.get((eid, s["id"], False), 0)}
                         for s in ev["sections"]]
        return {"day": day, "event": event, "venue": info["venue"].get("name", ""),
                "terminal": _("all terminals and the web shop (central service)"), "generated": iso(clock()),
                "scope": scope("end_of_day", CENTRAL, None),
                "by_hour": sales_in(db, "hour", event, day), "by_tender": sales_in(db, "tender", event, day),
                "by_type": sales_in(db, "type", event, day), "capacity": capacity,
                "by_terminal": sales_in(db, "terminal", event, day),
                "refunds_by_reason": refunds_in(db, "reason", event, day),
                "refunds_by_tender": refunds_in(db, "tender", event, day)}
