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


# -- what a terminal may still sell -------------------------------------------------------------------------------

OVERSOLD = "oversold"
OVERSOLD_RULE = ("a terminal sells only from its own allocation: tickets past it are applied (a customer may hold "
                 "them) and flagged; if the terminal was stolen, revoke it and its tickets")


class Room:
    """What one terminal may still sell while a batch of its entries is applied (central/services/ingest.py).

    Why: a terminal's key signs whatever it is told to, so a pushed sale is compared with what the central service
    granted that terminal, and tickets past it are flagged for the admin (a stolen terminal minting tickets shows
    at its first sync). Standing places: the terminal's allocation of the
    section (which counts what it sold from it) less its valid tickets there. A write-off cut that allocation to
    what central knew sold, yet the terminal may have sold offline up to what it held, so its grants less its
    releases count when they are more (allocation_stops.py flags such a late sale). Reserved seats: a seat
    allocated to the terminal and not sold by it already, or a seat nobody has (not allocated, not held back by the
    venue, not sold); a seat another terminal holds or the web shop sold is refused, not claimed first. Counts are
    read once per section and batch, then kept with the batch's own sales (``forget`` after a revocation).
    """

    def __init__(self, db: CentralDB, terminal_id: str) -> None:
        self.db, self.tid = db, terminal_id
        self._left: dict[tuple[str, str], int] = {}  # standing places still unsold, per (event, section)
        self._holders: dict[tuple[str, str], dict[str, str]] = {}  # allocated seat -> terminal, per section
        self._mine: set[str] = set()  # seat subjects this batch has sold
        self._governed: dict[str, dict[str, Section] | None] = {}  # event -> its sections, None if not governed

    def split(self, event_id: str, tickets: list[dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                                         list[dict[str, Any]]]:
        """A sale's new tickets that fit the terminal's allocation, and those past it (counted as sold if kept).

        Not checked: an event the central service never published (no capacity here to hold it to), and one it
        never granted this terminal places of (until its first grant a terminal owns what it sells there)."""
        secs = self._sections_if_governed(event_id)
        if secs is None:
            return list(tickets), []  # not governed for it yet: the terminal owns what it sells (services/allocations)
        subjects = [f"{event_id}/{t['section_id']}/{t['row']}{t['seat']}" for t in tickets if t["row"] is not None]
        claimed = rows.seat_claim_holders(self.db, subjects) if subjects else {}
        kept: list[dict[str, Any]] = []
        over: list[dict[str, Any]] = []
        for t in tickets:
            sec = secs.get(t["section_id"])
            if sec is None:
                fits = False  # no such section: nothing was ever granted there
            elif sec.kind == "reserved":
                fits = t["row"] is not None and t["seat"] is not None and self._seat_fits(
                    sec, f"{t['row']}{t['seat']}", claimed)
            else:
                fits = self._place_fits(sec)
            (kept if fits else over).append(t)
        return kept, over

    def _sections_if_governed(self, event_id: str) -> dict[str, Section] | None:
        """The event's published sections if this terminal was ever granted places of it, else None; looked up
        once per event and batch (a batch is one transaction: no grant lands in the middle of it)."""
        if event_id not in self._governed:
            secs = next((found for sha in catalogs.shas_newest_first(self.db)
                         if (found := _document_sections(self.db, sha).get(event_id)) is not None), None)
            governed = secs is not None and rows.ever_granted(self.db, self.tid, event_id)
            self._governed[event_id] = secs if governed else None
        return self._governed[event_id]

    def _place_fits(self, sec: Section) -> bool:
        key = (sec.event_id, sec.id)
        if key not in self._left:
            granted = max(rows.general_count(self.db, sec.event_id, sec.id, self.tid),
                          rows.granted_less_released(self.db, self.tid, sec.event_id, sec.id))
            self._left[key] = granted - sales.terminal_tickets_valid_count(self.db, self.tid, sec.event_id, sec.id)
        if self._left[key] <= 0:
            return False
        self._left[key] -= 1
        return True

    def _seat_fits(self, sec: Section, label: str, claimed: dict[str, str]) -> bool:
        subject = f"{sec.event_id}/{sec.id}/{label}"
        if label not in sec.seats or subject in self._mine:
            return False
        key = (sec.event_id, sec.id)
        if key not in self._holders:
            self._holders[key] = seats_of(self.db, sec.event_id, sec.id)
        holder, sold_by = self._holders[key].get(label), claimed.get(subject)
        if holder == self.tid:
            fits = sold_by != self.tid  # its own seat, unless it sold it already (another's claim is flagged)
        else:
            fits = holder is None and label not in sec.held and sold_by is None
        if fits:
            self._mine.add(subject)
        return fits

    def forget(self, place: dict[str, Any]) -> None:
        """A ticket of this place was revoked (refunded, exchanged): its place may be sold again, so its section is
        read again when next needed (the batch's sales are written before any revocation)."""
        self._left.pop((place["event_id"], place["section_id"]), None)
        if place["row_label"] is not None:
            self._mine.discard(f"{place['event_id']}/{place['section_id']}/{place['row_label']}{place['seat']}")
