"""The incident log: what went wrong tonight, notes as it unfolds, and a timeline for the review afterwards.

Incidents live beside the journal and each step is journalled, so the record syncs and is covered by the chain.
"""

from __future__ import annotations

import json
from typing import Any, TypedDict, cast

from boxoffice.domain.card_numbers import refuse_card_number
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.store import night as store
from boxoffice.store.db import write

SEVERITIES = ("minor", "major", "critical")
# What each text is called in a refusal (translated where shown), and the field a card number is refused in.
_WHAT = {"title": (N_("the title"), "incident's title"), "note": (N_("the note"), "incident's note"),
         "resolution": (N_("the resolution"), "incident's resolution")}


class Incident(TypedDict):
    """An incident as opened (:func:`open_incident`)."""

    id: str
    title: str
    severity: str
    opened_at: str
    opened_by: str | None


class StoredIncident(Incident):
    """An incident as stored (:func:`list_incidents`, :func:`close_incident`): closed, by whom and how, if so."""

    closed_at: str | None
    closed_by: str | None
    resolution: str | None


class Note(TypedDict):
    """A note added to an incident (:func:`add_note`)."""

    id: str
    incident_id: str
    at: str
    operator_id: str | None
    text: str


class TimelineItem(TypedDict):
    """One line of an incident's timeline: a note, or a journal entry made while it was open (``what``: its kind)."""

    at: str
    what: str
    by: str | None
    text: str


class Timeline(StoredIncident):
    """An incident with its timeline (:func:`timeline`)."""

    timeline: list[TimelineItem]


def _text(value: str, what: str, limit: int = 500) -> str:
    """``what``: title, note or resolution (_WHAT)."""
    said, field = _WHAT[what]
    value = value.strip()
    if not value or len(value) > limit or any(ord(c) < 32 and c not in "\t" for c in value):
        raise BoxOfficeError("bad_input", _("{what} is 1 to {limit} printable characters").format(
            what=_(said), limit=limit))
    refuse_card_number(value, field)
    return value


def _get(ctx: Ctx, incident_id: str) -> dict[str, Any]:
    wanted = incident_id.strip().lower()
    every = store.incidents(ctx.conn)
    matches = [i for i in every if i["id"] == wanted] or \
              [i for i in every if len(wanted) >= 4 and i["id"].endswith(wanted)]
    if len(matches) > 1:  # say so, rather than "no incident": the user typed too little of the id
        raise BoxOfficeError("bad_input", _("{wanted!r} names {count} incidents: give more of the id").format(
            wanted=incident_id, count=len(matches)))
    if not matches:
        raise BoxOfficeError("not_found", _("no incident {wanted!r}: `boxoffice incident list` shows them").format(
            wanted=incident_id))
    return matches[0]


def open_incident(ctx: Ctx, title: str, severity: str = "minor") -> Incident:
    """Anyone logged in may open an incident: the person who sees the problem writes it down."""
    op = ctx.operator
    if op is None:
        raise BoxOfficeError("not_logged_in", _("log in first so the incident says who opened it"))
    if severity not in SEVERITIES:
        raise BoxOfficeError("bad_input", _("severity is one of {choices}").format(choices=", ".join(SEVERITIES)))
    row = {"id": uuid7(), "title": _text(title, "title", 200), "severity": severity,
           "opened_at": ctx.now_iso(), "opened_by": op["id"]}
    with write(ctx.conn):
        store.add_incident(ctx.conn, row)
        ctx.journal("incident.open", row)
    return cast(Incident, row)


def record(ctx: Ctx, title: str, severity: str, text: str, operator_id: str | None) -> dict[str, Any]:
    """Open an incident with its first note in one transaction, on behalf of ``operator_id``: what the terminal
    itself writes down when a person accepted a risk (a restore accepting loss), with nobody asked to log in."""
    row = {"id": uuid7(), "title": _text(title, "title", 200), "severity": severity,
           "opened_at": ctx.now_iso(), "opened_by": operator_id}
    note = {"id": uuid7(), "incident_id": row["id"], "at": row["opened_at"], "operator_id": operator_id,
            "text": _text(text, "note", 2000)}
    with write(ctx.conn):
        store.add_incident(ctx.conn, row)
        ctx.journal("incident.open", row, operator_id=operator_id)
        store.add_note(ctx.conn, note)
        ctx.journal("incident.note", note, operator_id=operator_id)
    return row


def add_note(ctx: Ctx, incident_id: str, text: str) -> Note:
    op = ctx.operator
    if op is None:
        raise BoxOfficeError("not_logged_in", _("log in first so the note says who wrote it"))
    inc = _get(ctx, incident_id)
    if inc["closed_at"]:
        raise BoxOfficeError("conflict", _("that incident is closed; open a new one"))
    note = {"id": uuid7(), "incident_id": inc["id"], "at": ctx.now_iso(), "operator_id": op["id"],
            "text": _text(text, "note")}
    with write(ctx.conn):
        store.add_note(ctx.conn, note)
        ctx.journal("incident.note", note)
    return cast(Note, note)


def close_incident(ctx: Ctx, incident_id: str, resolution: str) -> StoredIncident:
    op = ctx.operator
    if op is None:
        raise BoxOfficeError("not_logged_in", _("log in first"))
    inc = _get(ctx, incident_id)
    text = _text(resolution, "resolution")
    now = ctx.now_iso()
    with write(ctx.conn):
        if not store.close_incident(ctx.conn, inc["id"], now, op["id"], text):
            raise BoxOfficeError("conflict", _("that incident is closed already"))
        ctx.journal("incident.close", {"id": inc["id"], "resolution": text, "closed_at": now})
    return cast(StoredIncident, store.incident(ctx.conn, inc["id"]))  # closed just now: there


def list_incidents(ctx: Ctx, open_only: bool = False) -> list[StoredIncident]:
    return cast(list[StoredIncident], store.incidents(ctx.conn, open_only))


def timeline(ctx: Ctx, incident_id: str) -> Timeline:
    """The incident with its notes and everything the journal recorded while it was open, in the journal's order.

    "While it was open" is by journal sequence, between the incident's own open and close entries, not by clock
    time: entries made in the same instant as the open (or the close) are then neither lost nor let in wrongly,
    and notes fall exactly where they were written among the rest.
    """
    inc = _get(ctx, incident_id)
    entries = store.journal_of_incident(ctx.conn, inc["id"])
    if entries is None:  # no open entry here (an incident that arrived without its journal): fall back to time
        entries = store.journal_between(ctx.conn, inc["opened_at"], inc["closed_at"])
    items: list[TimelineItem] = []
    for e in entries:
        payload = json.loads(e["payload"])
        if e["kind"] == "incident.note" and payload.get("incident_id") == inc["id"]:
            items.append({"at": e["at"], "what": "note", "by": e["operator"], "text": payload.get("text", "")})
        elif e["kind"] in COMPLAINT_KINDS:
            items.append({"at": e["at"], "what": COMPLAINT_KINDS[e["kind"]], "by": e["operator"],
                          "text": _complaint_summary(e["kind"], payload)})
        elif not e["kind"].startswith("incident."):
            items.append({"at": e["at"], "what": e["kind"], "by": e["operator"], "text": _summary(payload)})
    return cast(Timeline, {**inc, "timeline": items})


# Complaints are named on the timeline as people say them: "complaint", "complaint closed".
COMPLAINT_KINDS = {"complaint.add": "complaint", "complaint.close": "complaint closed"}


def _complaint_summary(kind: str, payload: dict[str, Any]) -> str:
    """A complaint as "1a2b3c4d queue, gala-1208, order 7KX-2F4Q: waited 40 minutes" (its id's tail first); a
    close as the same tail and the closing note, so the review can pair the two."""
    ref = str(payload.get("id") or "")[-8:]
    if kind == "complaint.close":
        return f"{ref}: {payload.get('note') or ''}"
    about = [str(payload.get("category") or "")]
    if payload.get("event_id"):
        about.append(str(payload["event_id"]))
    if payload.get("order_code"):
        about.append(_("order {code}").format(code=payload["order_code"]))
    note = payload.get("note")
    return f"{ref} {', '.join(about)}" + (f": {note}" if note else "")


def _summary(payload: dict[str, Any]) -> str:
    """A few words for a journal entry in the timeline: a pause's reason, else the order it concerns.

    A sale's payload holds the order itself, a pickup's the order's id and code, a refund's the refund row.
    """
    if payload.get("reason"):
        return str(payload["reason"])
    order = payload.get("order")
    if isinstance(order, dict) and order.get("code"):
        return str(order["code"])
    if payload.get("code"):
        return str(payload["code"])
    refund = payload.get("refund")
    if isinstance(refund, dict):
        return str(refund.get("reason_code") or "")
    return ""
