"""Customers' complaints, as the emergency plan counts them: the fixed categories, what a note may hold, and when
complaints come too fast. Pure: no I/O.

Shared by the terminal (services/complaints.py, services/alerts.py) and the central service
(central/services/complaints.py, central/services/alerts.py), so both refuse the same notes and raise the same alert
with the same severities.

The categories are fixed, not configured, because the plan's figures compare nights and venues: a category made
up on the night would count nowhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from boxoffice.domain.alerts import severity
from boxoffice.domain.card_numbers import mask_card_numbers, refuse_card_number
from boxoffice.domain.clock import iso
from boxoffice.domain.shown import shown
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

# queue: waiting too long; staff: how someone was treated; price: what it cost or a fee; refund: a refund refused
# or slow; seat: the place (view, broken, someone in it); safety: crowding, a hazard, feeling unsafe; access: getting
# in (steps, the door, a wheelchair space); other: anything else.
CATEGORIES = ("queue", "staff", "price", "refund", "seat", "safety", "access", "other")
NOTE_MAX = 500
CODE = "complaints_high"
NOTE_NAMES = frozenset((N_("complaint's note"), N_("closing note")))  # translated where the refusal names them


def category(value: str) -> str:
    """The category, lower-cased, or ``bad_input`` listing the valid ones."""
    wanted = (value or "").strip().lower()
    if wanted not in CATEGORIES:
        typed = mask_card_numbers(shown(value))[:40]  # it is repeated back: never a card number
        raise BoxOfficeError("bad_input", _("unknown complaint category {typed!r}: use one of {choices}").format(
            typed=typed, choices=", ".join(CATEGORIES)), valid=list(CATEGORIES))
    return wanted


def note(text: str | None, what: str = N_("complaint's note"), required: bool = False) -> str | None:
    """A note as stored: stripped, at most NOTE_MAX characters, no control or formatting characters (anything
    :func:`shown` would replace: escapes, newlines, bidi overrides) and no card number; None when empty and not
    ``required``.

    Refused rather than cleaned, so what is stored is what the person at the counter typed and saw. The refusal
    names the field, never repeats the text.
    """
    value = (text or "").strip()
    field = _(what) if what in NOTE_NAMES else what
    if not value:
        if required:
            raise BoxOfficeError("bad_input",
                _("the {what} is required: say what was done or decided").format(what=field))
        return None
    if len(value) > NOTE_MAX:
        raise BoxOfficeError("bad_input", _("the {what} is {length} characters; at most {most}").format(
            what=field, length=len(value), most=NOTE_MAX))
    if shown(value) != value:
        raise BoxOfficeError("bad_input", _("the {what} holds control or formatting characters (a newline, an "
                                            "escape, a direction override): type it as one plain line").format(
            what=field))
    refuse_card_number(value, what)
    return value


def window(now: datetime, minutes: float) -> tuple[str, str]:
    """The alert's window as stored text: complaints made after ``now - minutes`` and up to ``now`` inclusive.

    Inclusive of now, so the complaint that crosses the threshold raises the alert the moment it is written;
    exclusive of the start, so "more than 10 in 5 minutes" means 11 complaints less than 5 minutes apart.
    """
    return iso(now - timedelta(minutes=minutes)), iso(now)


def bursts(rows: Iterable[tuple[str | None, str, str | None]], over_event: int, over_venue: int,
           minutes: float) -> list[dict[str, Any]]:
    """The ``complaints_high`` alerts for the complaints in one window: ``rows`` are (event id or None, category,
    terminal id or None) of each complaint; with terminal ids, the message says how many terminals they came from.

    One alert per event with more than ``over_event`` complaints; one venue-wide (``event`` None) when all of them
    together are more than ``over_venue``, unless a single event's alert already counts every one of them (the
    same customers would be counted twice). Severity as the plan has it (domain/alerts.severity): by the number of
    complaints, and at least major when they come from two terminals, critical from three.
    """
    items = list(rows)
    by_event: dict[str, list[tuple[str, str | None]]] = {}
    for event, cat, terminal in items:
        if event:
            by_event.setdefault(event, []).append((cat, terminal))
    out = []
    for event in sorted(by_event):
        got = by_event[event]
        if len(got) > over_event:
            out.append(_alert(event, got, minutes))
    everyone = [(cat, terminal) for _, cat, terminal in items]
    covered = len(out) == 1 and out[0]["value"] == len(everyone)
    if len(everyone) > over_venue and not covered:
        out.append(_alert(None, everyone, minutes))
    return out


def _alert(event: str | None, got: list[tuple[str, str | None]], minutes: float) -> dict[str, Any]:
    cats = Counter(c for c, _ in got)
    terminals = sorted({t for _, t in got if t})
    where = f"about {event}" if event else "across the venue"
    spread = ", ".join(f"{c} {n}" for c, n in sorted(cats.items(), key=lambda kv: (-kv[1], kv[0])))
    at = f" at {len(terminals)} terminal{'s' if len(terminals) > 1 else ''}" if terminals else ""
    return {"code": CODE, "severity": severity(len(got), max(1, len(terminals))), "value": len(got),
            "event": event, "categories": dict(sorted(cats.items())), "terminal_ids": terminals,
            "message": f"{len(got)} complaints{at} in the last {minutes:g} minutes {where} ({spread})"}
