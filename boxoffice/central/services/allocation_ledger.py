"""What is where: the shared reading and writing of allocations that grants, top-ups, recalls, write-offs, the seat
map and web orders all build on (allocations.py says the rule they keep).

Every allocation module imports this one and none imports the others back: ``allocation_ledger`` <-
``allocation_topup``, ``allocation_stops`` <- ``allocations`` <- ``allocation_admin``, ``allocation_map``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from boxoffice.central.services import feed
from boxoffice.central.store import allocations as rows
from boxoffice.central.store import catalogs, sales
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.catalog import build_catalog
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

RELEASE_KIND = "allocation.release"
COUNTER = "allocation"
SELL_ROLE = "sell"


@dataclass(frozen=True)
class Section:
    """One section of a published event as allocations see it."""

    event_id: str
    id: str
    kind: str
    capacity: int
    seats: frozenset[str]
    held: frozenset[str] = frozenset()  # seats the venue holds back (house seats): never free


_SECTIONS_CACHE: dict[str, dict[str, dict[str, Section]]] = {}  # catalogue sha256 -> event id -> sections
_CACHE_LIMIT = 32


def _document_sections(db: CentralDB, sha: str) -> dict[str, dict[str, Section]]:
    """Every event's sections in one published document. A document never changes under its sha256, so what is
    built from it is kept: a grant, a top-up and a web import each need it, and parsing a stadium's catalogue
    again each time cost more than the rest of their work."""
    cached = _SECTIONS_CACHE.get(sha)
    if cached is not None:
        return cached
    doc = catalogs.document(db, sha)
    out: dict[str, dict[str, Section]] = {}
    for ev in build_catalog(json.loads(doc))["events"] if doc is not None else ():
        event_id = ev["event"]["id"]
        seats: dict[str, set[str]] = {}
        held: dict[str, set[str]] = {}
        for s in ev["seats"]:
            seats.setdefault(s["section_id"], set()).add(s["label"])
            if s["status"] == "held":
                held.setdefault(s["section_id"], set()).add(s["label"])
        out[event_id] = {s["id"]: Section(event_id, s["id"], s["kind"],
                                          len(seats.get(s["id"], ())) if s["kind"] == "reserved"
                                          else int(s["capacity"]), frozenset(seats.get(s["id"], ())),
                                          frozenset(held.get(s["id"], ())))
                         for s in ev["sections"]}
    if len(_SECTIONS_CACHE) >= _CACHE_LIMIT:
        _SECTIONS_CACHE.pop(next(iter(_SECTIONS_CACHE)))
    _SECTIONS_CACHE[sha] = out
    return out


def sections(db: CentralDB, event_id: str) -> dict[str, Section]:
    """The sections of the newest published catalogue that holds ``event_id``: capacity is only in the document."""
    for sha in catalogs.shas_newest_first(db):
        found = _document_sections(db, sha).get(event_id)
        if found is not None:
            return found
    raise BoxOfficeError("not_found", _("no published event {event_id!r}: `boxoffice central catalog publish` "
                                        "first").format(event_id=event_id))


def section(db: CentralDB, event_id: str, section_id: str) -> Section:
    secs = sections(db, event_id)
    if section_id not in secs:
        raise BoxOfficeError("not_found", _("event {event_id!r} has no section {section_id!r}").format(
            event_id=event_id, section_id=section_id))
    return secs[section_id]


# -- what is where ----------------------------------------------------------------------------------------------

def web_sold(db: CentralDB, event_id: str, section_id: str) -> int:
    """Places the web shop has sold (and not refunded) in a section."""
    return sales.web_tickets_valid(db, event_id, section_id)


def web_seats(db: CentralDB, event_id: str, section_id: str) -> set[str]:
    """Seats the web shop holds sold (their claims stay until a refund frees them)."""
    prefix = f"{event_id}/{section_id}/"
    return {s[len(prefix):] for s in sales.seat_claims_of(db, "web", prefix) if s.startswith(prefix)}


def allocated(db: CentralDB, event_id: str, section_id: str) -> dict[str, int]:
    """Each terminal's allocation of a section (general: its count; reserved: its number of seats)."""
    out = {r["terminal_id"]: int(r["count"]) for r in rows.general_counts(db, event_id, section_id)}
    for r in rows.seat_counts(db, event_id, section_id):
        out[r["terminal_id"]] = out.get(r["terminal_id"], 0) + int(r["n"])
    return out


def seats_of(db: CentralDB, event_id: str, section_id: str) -> dict[str, str]:
    """Each allocated seat of a section and the terminal that holds it."""
    return {r["label"]: r["terminal_id"] for r in rows.seat_holders(db, event_id, section_id)}


def free(db: CentralDB, sec: Section) -> int:
    """Places of a section neither sold on the web, nor allocated to any terminal, nor held by the venue."""
    if sec.kind == "reserved":
        return len(free_seats(db, sec))
    return sec.capacity - web_sold(db, sec.event_id, sec.id) - sum(allocated(db, sec.event_id, sec.id).values())


def free_seats(db: CentralDB, sec: Section) -> set[str]:
    """Seats of a reserved section that a grant, a top-up or the web shop may have: not sold on the web, not in any
    terminal's allocation, not held by the venue."""
    return set(sec.seats) - sec.held - web_seats(db, sec.event_id, sec.id) - set(seats_of(db, sec.event_id, sec.id))


def held_seats(db: CentralDB, sec: Section) -> set[str]:
    """The venue's held seats still with the central service: not released to a terminal, not sold on the web."""
    if not sec.held:
        return set()
    return set(sec.held) - web_seats(db, sec.event_id, sec.id) - set(seats_of(db, sec.event_id, sec.id))


def sells(terminal: dict[str, Any]) -> bool:
    """Whether a terminal row was enrolled with the sell role (only sellers hold places)."""
    return SELL_ROLE in str(terminal.get("roles") or "").split(",")


def lock(db: CentralDB) -> None:
    """Take the allocation counter's row lock first thing in a transaction that reads what is free and then
    allocates: on PostgreSQL two such transactions (two terminals topping up at once) then run one after the
    other instead of both reading the same free places. SQLite's BEGIN IMMEDIATE already does as much."""
    rows.lock_counter(db, COUNTER)


def add_general(db: CentralDB, event_id: str, section_id: str, terminal_id: str, count: int) -> None:
    rows.add_general(db, event_id, section_id, terminal_id, count)


def add_seats(db: CentralDB, event_id: str, section_id: str, terminal_id: str, labels: list[str]) -> None:
    rows.add_seats(db, event_id, section_id, terminal_id, labels)


def record_move(db: CentralDB, kind: str, terminal_id: str, event_id: str, section_id: str, count: int,
                seats: list[str], entry_id: str | None, now: str, *,
                held_released: list[str] | None = None) -> dict[str, Any]:
    """One move (grant, release, recall, write-off) at the next position of the allocation counter."""
    pos = feed.take_numbers(db, COUNTER, 1)[0]
    move = {"id": uuid7(), "pos": pos, "terminal_id": terminal_id, "kind": kind, "event_id": event_id,
            "section_id": section_id, "count": count, "seats": seats, "at": now}
    if held_released:
        move["held_released"] = held_released
    rows.insert_move(db, move, entry_id, held_released)
    return move


def stopped(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> dict[str, Any] | None:
    """The recall or write-off in force for a terminal's section: one made after the last grant the box office
    made by hand (a top-up does not lift it), else None."""
    last_stop = rows.last_stop(db, terminal_id, event_id, section_id)
    if last_stop is None:
        return None
    by_hand = rows.last_grant_by_hand(db, terminal_id, event_id, section_id)
    return None if by_hand is not None and by_hand > int(last_stop["pos"]) else last_stop
