"""What the door says: a scan's verdict, the event being scanned, and the rules of when a good ticket may pass.

Shared by the door's two readers of a scan: services/door.py (boxoffice tokens) and services/door_pretix.py (pretix
ticket secrets), so both say a refusal, a wrong day or "already in" the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, NotRequired, TypedDict

from boxoffice.domain.clock import iso, local_text, when_text, zone
from boxoffice.i18n import N_, SOURCE_LANGUAGE, _, language
from boxoffice.services.context import Ctx


class ScanVerdict(TypedDict):
    """The door's decision on one scan: admit, exit or refused (``code`` says why), the message said at the door,
    a ``flag`` for a supervisor (an order code two orders share), and ``seen_in_sync``: False when no order of this
    ticket is on this terminal (never in anything it synced; said on screen as "not seen in synced data")."""

    result: str
    code: str | None
    message: str
    ticket_id: str | None
    place: str | None
    seen_in_sync: bool
    flag: NotRequired[str]
    holder: NotRequired[dict[str, Any]]  # a real-name event: who may use the ticket (services/holders.py)
    # What the steward reads on a full-screen answer, when the token names this event: the section, the seat (row
    # and number, None standing) and the ticket type (when this terminal has the ticket).
    section: NotRequired[str]
    seat: NotRequired[str | None]
    ticket_type: NotRequired[str]
    # a pretix ticket (services/door_pretix.py): the secret scanned, kept with the scan and its journal entry, and
    # the pretix item its signature names (a pretix_sig1 secret admitted before its order synced here)
    external_secret: NotRequired[str]
    pretix_item: NotRequired[int]


@dataclass
class DoorEvent:
    """What the door needs of the event being scanned, worked out once per session."""

    id: str
    name: str
    timezone: str
    reentry: bool
    ref: bytes
    opens: datetime  # doors (or the start of the event's local day)
    day: date  # the event's local day: scans are refused before the doors and after its midnight
    day_text: str
    sections: dict[bytes, str] = field(default_factory=dict)  # section ref -> section name
    real_name: bool = False  # each ticket has a holder, shown at the door and bound to it by a signature
    types: dict[str, str] = field(default_factory=dict)  # ticket type id -> name


def refused(code: str, message: str, ticket_id: str | None = None, place: str | None = None,
            seen: bool = False) -> ScanVerdict:
    """A refusal as the door says it (services/door_pretix.py says its own this way too)."""
    return {"result": "refused", "code": code, "message": message, "ticket_id": ticket_id, "place": place,
            "seen_in_sync": seen}


NOT_SEEN = N_("not seen in synced data")


def day_text(value: datetime, fmt: str, *, year: bool = False) -> str:
    """A day (or a day and time) as said at the door: ``fmt`` in English, as it always was; in another language
    the venue's date as domain/clock.when_text writes it (its clock dropped unless ``fmt`` has one)."""
    if language() == SOURCE_LANGUAGE:
        return value.strftime(fmt)
    text = when_text(value, str(value.tzinfo), year=year)
    return text if "%H" in fmt else text.rsplit(" ", 1)[0]


def event_day(ev: DoorEvent) -> str:
    """The event's day, "Fri 04 Dec 2026"."""
    if language() == SOURCE_LANGUAGE:
        return ev.day_text
    return day_text(datetime.combine(ev.day, time(12), tzinfo=zone(ev.timezone)), "%a %d %b %Y", year=True)


def today_and_place_refused(ctx: Ctx, ev: DoorEvent, direction: str, last: dict[str, Any], tid: str | None,
                            place: str | None, seen: bool, now: datetime | None = None) -> ScanVerdict | None:
    """The refusal for a good ticket scanned on the wrong day, before the doors, already in (or not in, at an
    exit), from its latest admitted scan ``last`` (last_direction, last_at, last_terminal); None when it may pass.
    ``now``: the scan's own clock reading (read again when not given)."""
    if now is None:
        now = ctx.now()
    today = now.astimezone(zone(ev.timezone)).date()
    if today < ev.day:
        return refused("wrong_day", _("ticket is for {day}, not today").format(day=event_day(ev)), tid, place,
                        seen)
    if today > ev.day:
        return refused("wrong_day", _("ticket was for {day}: that day is over").format(day=event_day(ev)), tid,
                        place, seen)
    if now < ev.opens:
        opens = local_text(iso(ev.opens), ev.timezone, "%H:%M")
        return refused("wrong_day", _("too early: doors open at {time}").format(time=opens), tid, place, seen)
    if direction == "in" and last["last_direction"] == "in":
        when = local_text(last["last_at"], ev.timezone, "%H:%M")
        said = (_("already in since {time}") if last["last_terminal"] == ctx.terminal["id"] else
                _("already in since {time} at another door"))
        return refused("already_checked_in", said.format(time=when), tid, place, seen)
    if direction == "out" and last["last_direction"] != "in":
        return refused("conflict", _("ticket is not in: nothing to let out"), tid, place, seen)
    return None
