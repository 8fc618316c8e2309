"""Customers' complaints: written down at the counter or the door by whoever hears them, listed and closed by a
supervisor, counted by the emergency plan's alert (``complaints_high``).

Each complaint is one row and one journal entry (``complaint.add``; closing it, ``complaint.close``) in one
transaction, so it syncs to the central service with everything else and the incident timeline shows it. The note
is the customer's words as typed: hostile free text, checked by domain/complaints.py (length, control characters,
card numbers) before anything is written.
"""

from __future__ import annotations

import re
from typing import Any, NotRequired, TypedDict, cast

from boxoffice.domain import complaints as rules
from boxoffice.domain.alerts import thresholds_in_force
from boxoffice.domain.clock import iso, to_utc
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import complaints as store
from boxoffice.store.db import write


class Complaint(TypedDict):
    """A complaint as stored (:func:`list_complaints`, :func:`close`): ``operator`` and ``closed_by_name`` are the
    names of who wrote it down and who closed it."""

    id: str
    category: str
    event_id: str | None
    order_id: str | None
    order_code: str | None
    ticket_id: str | None
    note: str | None
    at: str
    operator_id: str | None
    operator: str | None
    closed_at: str | None
    closed_by: str | None
    closed_by_name: str | None
    close_note: str | None


class ComplaintAlert(TypedDict):
    """A ``complaints_high`` alert (domain/complaints.bursts): ``event`` None for the venue at large."""

    code: str
    severity: str
    message: str
    value: int
    event: str | None
    categories: dict[str, int]
    terminal_ids: NotRequired[list[str]]


class Added(TypedDict):
    """A complaint written down (:func:`add`), and the complaint alerts in force right after it."""

    complaint: Complaint
    alerts: list[ComplaintAlert]


def add(ctx: Ctx, category: str, note: str | None = None, *, order: str | None = None, ticket: str | None = None,
        event: str | None = None) -> Added:
    """Anyone logged in may write a complaint down: the person who hears it. ``order`` is an order code or a
    scanned ticket; ``ticket`` a ticket's id or its scanned QR; ``event`` the event it is about when no order is
    (an order's event is taken from the order)."""
    op = ctx.operator
    if op is None:
        raise BoxOfficeError("not_logged_in", _("log in first so the complaint says who wrote it down"))
    thresholds_in_force(ctx.config.alerts)  # a typo in [alerts] refused before anything is written, not after
    row: dict[str, Any] = {"id": uuid7(), "category": rules.category(category), "event_id": None, "order_id": None,
                           "order_code": None, "ticket_id": None, "note": rules.note(note), "at": ctx.now_iso()}
    if order or ticket:
        found, ticket_id = _order_of(ctx, order, ticket)
        row.update(order_id=found["id"], order_code=found["code"], ticket_id=ticket_id, event_id=found["event_id"])
    if event:
        from boxoffice.store.catalog import get_event

        wanted = event.strip()
        if get_event(ctx.conn, wanted) is None:
            raise BoxOfficeError("not_found", _("no event {event!r} on this terminal: `boxoffice event list` shows "
                                                "them").format(event=wanted))
        if row["event_id"] and row["event_id"] != wanted:
            raise BoxOfficeError("bad_input", _("order {code} is for {event}, not {wanted}: give the order "
                                                "alone").format(code=row["order_code"], event=row["event_id"],
                                                                wanted=wanted))
        row["event_id"] = wanted
    with write(ctx.conn):
        store.add(ctx.conn, row | {"operator_id": op["id"]})
        ctx.journal("complaint.add", row)
    added = cast(Complaint, store.get(ctx.conn, row["id"]))
    return {"complaint": added, "alerts": alerts_now(ctx, ctx.config.alerts)}


def _order_of(ctx: Ctx, order: str | None, ticket: str | None) -> tuple[dict[str, Any], str | None]:
    """The order (and ticket id) a complaint names: by order code or scanned ticket (services/orders.order_for),
    or by a ticket's id."""
    from boxoffice.services.orders import order_for
    from boxoffice.store import orders as order_store
    from boxoffice.tickets.token import looks_like_token

    if ticket and not looks_like_token(ticket.strip()):
        t = order_store.ticket_by_id(ctx.conn, ticket.strip().lower())
        if t is None:
            raise BoxOfficeError("not_found", _("no ticket with that id on this terminal: scan its QR code, or give "
                                                "the order code"))
        found = order_store.order_by_id(ctx.conn, t["order_id"])
        assert found is not None  # a ticket's order is a foreign key
        ticket_id: str | None = t["id"]
    else:
        found, ticket_id = order_for(ctx, (ticket or order or "").strip())
    if order and ticket:
        by_order, _ticket = order_for(ctx, order.strip())
        if by_order["id"] != found["id"]:
            raise BoxOfficeError("bad_input", _("that ticket is of order {code}, not {other}").format(
                code=found["code"], other=by_order["code"]))
    return found, ticket_id


def alerts_now(ctx: Ctx, thresholds: dict[str, Any] | None = None) -> list[ComplaintAlert]:
    """The ``complaints_high`` alerts in force on this terminal now (the config's [alerts] thresholds)."""
    t = thresholds_in_force(thresholds)
    after, upto = rules.window(ctx.now(), t["complaints_minutes"])
    found = rules.bursts([(e, c, None) for e, c in store.in_window(ctx.conn, after, upto)], t["complaints_over"],
                         t["complaints_venue_over"], t["complaints_minutes"])
    for a in found:
        a.pop("terminal_ids", None)
        a["message"] += _(": `boxoffice complaint list --open` shows them")
    return cast(list[ComplaintAlert], found)


_ID = re.compile(r"^[0-9a-f-]{4,36}$")


def _get(ctx: Ctx, complaint_id: str) -> dict[str, Any]:
    wanted = complaint_id.strip().lower()
    matches = store.ids_ending(ctx.conn, wanted) if _ID.match(wanted) else []
    if len(matches) > 1:
        raise BoxOfficeError("bad_input", _("{wanted!r} names {count} complaints: give more of the id").format(
            wanted=wanted, count=len(matches)))
    if not matches:
        raise BoxOfficeError("not_found", _("no such complaint on this terminal: `boxoffice complaint list` shows "
                                            "them (an id, or its last 8 characters)"))
    row = store.get(ctx.conn, matches[0])
    assert row is not None
    return row


def close(ctx: Ctx, complaint_id: str, note: str) -> Complaint:
    """A supervisor closes a complaint with what was done or decided."""
    op = ctx.require("complaints")
    found = _get(ctx, complaint_id)
    text = rules.note(note, "closing note", required=True)
    assert text is not None
    now = ctx.now_iso()
    with write(ctx.conn):
        if not store.close(ctx.conn, found["id"], now, op["id"], text):
            raise BoxOfficeError("conflict", _("that complaint is closed already"))
        ctx.journal("complaint.close", {"id": found["id"], "note": text, "closed_at": now})
    return cast(Complaint, store.get(ctx.conn, found["id"]))


def list_complaints(ctx: Ctx, *, status: str | None = None, category: str | None = None, event: str | None = None,
                    since: str | None = None, until: str | None = None) -> list[Complaint]:
    """Complaints written down here, oldest first; ``status`` open or closed; ``since``/``until`` local times of
    the venue (2026-12-08T19:30) or ISO times with a zone."""
    ctx.require("complaints")
    if status not in (None, "open", "closed"):
        raise BoxOfficeError("bad_input", _("status is open or closed"))
    tz = None
    if since or until:
        from boxoffice.services.events import venue_tz

        tz = venue_tz(ctx)
    return cast(list[Complaint], store.listed(
        ctx.conn, status=status, category=rules.category(category) if category else None,
        event_id=event.strip() if event else None, since=iso(to_utc(since, tz)) if since and tz else None,
        until=iso(to_utc(until, tz)) if until and tz else None))
