"""Withdrawing a revoked terminal's admissions: `boxoffice central withdraw-checkins TERMINAL --since TIME`.

A stolen terminal with the door role can push an admission for every ticket of the night before anyone notices.
Every other door then refuses the real holders ("already in at another door"), and nothing at a door overrides
that. Revoking the terminal stops what it sends next, not what it sent. This puts each ticket the terminal still
holds as admitted, from entries received here since ``since`` (the time of receipt, which the terminal cannot set),
back to not in:

- its check-in claim is given back here, so a door admitting the real holder later is no conflict;
- every terminal is told with a ``checkin`` change letting the ticket out, a kind every release of the terminal
  applies, so each door admits the holder after its next sync. A door counts the ticket as one that went in and
  came out (its "ever in" count keeps it);
- the pretix bridge never sends it up (what it sent already stays in pretix: a check-in cannot be taken back
  through pretix's API).

A ticket the real holder was let in with at another door (not revoked) before the stolen terminal's admission
reached here stays in: the claim goes to that door's admission, and no door is told anything. An admission the
terminal let out again since, or one another door holds, is not touched, and neither are the exits the stolen
terminal pushed at an event with re-entry (an exit frees a ticket wherever it was let in; at an event without
re-entry the service refuses one: central/services/ownership.py). Only a revoked terminal's admissions can be
withdrawn: a working door's are real. An admission dated more than SKEW after the withdrawal is a forged time:
an 'out' would have to be dated after it, and until then the ticket would let anyone in; it is left in place and
listed (``dated_ahead``) for the admin to settle (admit the holder by hand, or revoke and reissue the ticket).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from boxoffice.central.services import feed, terminals
from boxoffice.central.services.admin import run
from boxoffice.central.store import ownership as rows
from boxoffice.central.store import pretix_checkins as checkin_rows
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.clock import Clock, iso, parse_iso, system_clock, to_utc
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

SKEW = timedelta(minutes=5)  # how far ahead of the service a door's clock may run and still be believed


def preview(url: str, which: str, since: str, tz: str, clock: Clock = system_clock) -> dict[str, Any]:
    """What :func:`withdraw` would do now, changing nothing: the terminal, how many of its admissions since
    ``since`` (the venue's local time in zone ``tz``, or a time with its offset) would be withdrawn, which would
    stay in (``handed_back``, ``dated_ahead``), and how many from before ``since`` stay."""
    start = iso(to_utc(since, tz))
    now = iso(clock())
    return run(url, lambda db: _plan(db, which, start, now))


def withdraw(url: str, which: str, since: str, tz: str, clock: Clock = system_clock) -> dict[str, Any]:
    """Withdraw the revoked terminal ``which``'s admissions received since ``since`` (see the module docstring):
    every claim given back and every door told, in one transaction; retried whole on a deadlock."""
    start = iso(to_utc(since, tz))
    now = iso(clock())
    return run(url, lambda db: _withdraw(db, which, start, now))


def _terminal(db: CentralDB, which: str) -> dict[str, Any]:
    term = terminals.find(db, which)
    if term is None:
        raise BoxOfficeError("not_found", _("no terminal {which!r}: `boxoffice central terminals` lists them").format(
            which=which))
    if not term.get("revoked_at"):
        raise BoxOfficeError("conflict", _("{name} is not revoked: the tickets it admits are really in. If it was "
                                           "stolen, revoke it first (`boxoffice central revoke {which}`)").format(
            name=term["name"], which=which))
    return term


def _out_at(now: str, held: dict[str, Any]) -> str | None:
    """When the 'out' is dated: ``now``, or the admission's own time when a clock a little fast put it later (a
    door goes by a ticket's latest movement; written after the admission, the 'out' wins a tie). None for an
    admission dated further ahead than SKEW: a forged time. An 'out' dated past it would stand over every real scan
    until then, and the ticket would let anyone in until that time; it is left as it is and reported."""
    try:
        admitted, at = parse_iso(str(held["at"])), parse_iso(now)
        if admitted > at + SKEW:
            return None
        return iso(max(at, admitted))
    except (ValueError, TypeError):  # unreadable, or without a zone
        return now


def _sorted(db: CentralDB, held: dict[str, Any], now: str) -> tuple[dict[str, Any] | None, str | None]:
    """What becomes of one admission: (another door's admission to hand its claim to, None), or (None, the time of
    the 'out' that withdraws it), or (None, None) for one dated ahead, left in place."""
    # the real holder, let in at another door before this one's admission reached here, stays in
    other = rows.admitted_since_by_others(db, held)
    return (other, None) if other is not None else (None, _out_at(now, held))


def _plan(db: CentralDB, which: str, since: str, now: str) -> dict[str, Any]:
    """What :func:`_withdraw` would do, sorted the same way and counted the same, writing nothing."""
    term = _terminal(db, which)
    withdrawn, handed, ahead = [], [], []
    for held in rows.admissions_received_since(db, term["id"], since):
        other, out_at = _sorted(db, held, now)
        (handed if other is not None else withdrawn if out_at is not None else ahead).append(held["subject"])
    return {"terminal_id": term["id"], "name": term["name"], "revoked_at": term["revoked_at"], "since": since,
            "admissions": len(withdrawn), "handed_back": handed, "dated_ahead": ahead,
            "kept_before_since": rows.admissions_received_before(db, term["id"], since)}


def _withdraw(db: CentralDB, which: str, since: str, now: str) -> dict[str, Any]:
    with db.transaction():
        term = _terminal(db, which)
        changes: list[feed.Change] = []
        withdrawn, handed, ahead = 0, [], []
        for held in rows.admissions_received_since(db, term["id"], since):
            ticket = held["subject"] if held["order_id"] is not None else ""
            other, out_at = _sorted(db, held, now)
            if other is not None:
                if rows.hand_admission(db, term["id"], held["subject"], other):
                    handed.append(ticket or held["subject"])
                    checkin_rows.withdraw(db, held["entry_id"], ticket, now)
                    rows.record_withdrawn(db, held["entry_id"], held["subject"], now)
                continue
            if out_at is None:
                ahead.append(held["subject"])
                continue
            if not rows.release_admission(db, term["id"], held["subject"]):
                continue
            withdrawn += 1
            checkin_rows.withdraw(db, held["entry_id"], ticket, now)  # never sent to pretix now
            rows.record_withdrawn(db, held["entry_id"], held["subject"], now)  # nor counted as a real admission
            if not ticket:  # a pretix secret's claim: no door knows the ticket by it
                continue
            nonce = uuid7()
            changes.append(feed.Change("checkin", {
                "ticket_id": ticket, "order_id": held["order_id"], "direction": "out", "nonce": nonce,
                "event_id": held["event_id"], "terminal_id": term["id"], "entry_id": nonce,
                "at": out_at, "operator_id": None}))
        feed.append(db, changes, now)
        kept = rows.admissions_received_before(db, term["id"], since)
    return {"terminal_id": term["id"], "name": term["name"], "revoked_at": term["revoked_at"], "since": since,
            "admissions": withdrawn, "tickets": [c.body["ticket_id"] for c in changes], "handed_back": handed,
            "dated_ahead": ahead, "kept_before_since": kept, "at": now}
