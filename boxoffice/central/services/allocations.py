"""Allocations: the central service owns each event's capacity and grants terminals shares of it.

A terminal sells only from what it was granted, so terminals cut off from each other can never sell the same place;
the web shop sells only what no terminal holds. Per section, at every moment:
``web sold + sum of terminal allocations + free = capacity`` (a terminal's allocation includes what it has sold
from it), and a seat is in at most one allocation (the primary key of ``allocated_seats``).

Grants are moves with an id and a position per terminal: the terminal pulls the ones after the last it applied
and applies each once by id, so a grant whose answer was lost is neither lost nor counted twice. A release is a
journal entry of the terminal (kind ``allocation.release``): the terminal takes the places out of its allocation
at once, and central frees them when the entry arrives, once per entry id (``allocation_moves.entry_id`` is
unique), so pushing it twice frees nothing twice.

Held seats (the catalogue's ``held`` list: house seats the venue keeps back) are neither free nor any terminal's:
they stay with the central service, and neither a top-up nor the web shop can have them. The box office can release
some to one terminal on purpose (``grant(..., include_held=True)``, `central allocate --include-held`); the grant
move records which (``held_released``) and the terminal makes exactly those sellable. A released seat that comes
back (a release, a recall, a write-off) is held again. So per section, at every moment:
``web sold + sum of terminal allocations + held + free = capacity``.

Who gets places: only a terminal enrolled with the ``sell`` role (central/terminals.py); one enrolled for pickup or
the door only is refused a grant and answered a top-up with nothing.

Top-ups (central/allocation_topup.py) are grants asked for by a terminal, once per request id, cut to the
terminal's cap; recalls and write-offs (central/allocation_stops.py) take places back. The rule above holds after
each of them: freed places go back to free (or held), a write-off's risk (what the dead terminal may have sold
offline) is a count kept on the write-off, not a fifth term. Every move that reads what is free and then allocates
takes ``lock`` first. The tables are made by `central init` / `central migrate` (central/schema.py), never here.

Grants travel on their own per-terminal listing (``GET /v1/allocations``) rather than the shared change feed, whose
schema enumerates its kinds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from boxoffice.central.services import feed
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.catalog import build_catalog
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError

RELEASE_KIND = "allocation.release"
COUNTER = "allocation"
MAX_PAGE = 1000
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
    row = db.one("SELECT doc FROM catalogs WHERE sha256 = ?", (sha,))
    out: dict[str, dict[str, Section]] = {}
    for ev in build_catalog(json.loads(row["doc"]))["events"] if row else ():
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
    for row in db.all("SELECT sha256 FROM catalogs ORDER BY published_at DESC, sha256"):
        found = _document_sections(db, row["sha256"]).get(event_id)
        if found is not None:
            return found
    raise BoxOfficeError("not_found", f"no published event {event_id!r}: `boxoffice central catalog publish` first")


def section(db: CentralDB, event_id: str, section_id: str) -> Section:
    secs = sections(db, event_id)
    if section_id not in secs:
        raise BoxOfficeError("not_found", f"event {event_id!r} has no section {section_id!r}")
    return secs[section_id]


# -- what is where ----------------------------------------------------------------------------------------------

def web_sold(db: CentralDB, event_id: str, section_id: str) -> int:
    """Places the web shop has sold (and not refunded) in a section."""
    return int(db.scalar(
        "SELECT COUNT(*) AS n FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.channel = 'web'"
        " AND t.event_id = ? AND t.section_id = ? AND t.status = 'valid'", (event_id, section_id)) or 0)


def web_seats(db: CentralDB, event_id: str, section_id: str) -> set[str]:
    """Seats the web shop holds sold (their claims stay until a refund frees them)."""
    prefix = f"{event_id}/{section_id}/"
    return {r["subject"][len(prefix):] for r in db.all(
        "SELECT subject FROM claims WHERE action = 'seat' AND terminal_id = 'web' AND subject LIKE ?",
        (prefix.replace("%", "\\%").replace("_", "\\_") + "%",)) if r["subject"].startswith(prefix)}


def allocated(db: CentralDB, event_id: str, section_id: str) -> dict[str, int]:
    """Each terminal's allocation of a section (general: its count; reserved: its number of seats)."""
    out = {r["terminal_id"]: int(r["count"]) for r in db.all(
        "SELECT terminal_id, count FROM allocations WHERE event_id = ? AND section_id = ? AND count > 0",
        (event_id, section_id))}
    for r in db.all("SELECT terminal_id, COUNT(*) AS n FROM allocated_seats WHERE event_id = ? AND section_id = ?"
                    " GROUP BY terminal_id", (event_id, section_id)):
        out[r["terminal_id"]] = out.get(r["terminal_id"], 0) + int(r["n"])
    return out


def seats_of(db: CentralDB, event_id: str, section_id: str) -> dict[str, str]:
    """Each allocated seat of a section and the terminal that holds it."""
    return {r["label"]: r["terminal_id"] for r in db.all(
        "SELECT label, terminal_id FROM allocated_seats WHERE event_id = ? AND section_id = ?",
        (event_id, section_id))}


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


def summary(db: CentralDB, event_id: str) -> list[dict[str, Any]]:
    """Per section: capacity, web sold, each terminal's allocation, held, free, and the house seats released to a
    terminal (seat -> terminal id, allocated like any other); ``balanced`` says whether
    ``web_sold + allocated_total + held + free == capacity``, which holds row by row (a False is a bug to report)."""
    out = []
    for sec in sections(db, event_id).values():
        by_terminal = allocated(db, event_id, sec.id)
        web = len(web_seats(db, event_id, sec.id)) if sec.kind == "reserved" else web_sold(db, event_id, sec.id)
        held, left = len(held_seats(db, sec)), free(db, sec)
        stops = db.all("SELECT terminal_id, kind, state, risk, late_sales, by_name, reason, at FROM allocation_stops"
                       " WHERE event_id = ? AND section_id = ? ORDER BY at", (event_id, sec.id))
        out.append({"event_id": event_id, "section_id": sec.id, "kind": sec.kind, "capacity": sec.capacity,
                    "web_sold": web, "allocated": by_terminal, "allocated_total": sum(by_terminal.values()),
                    "held": held, "free": left,
                    "house_seats_released": {s: t for s, t in sorted(seats_of(db, event_id, sec.id).items())
                                             if s in sec.held},
                    "balanced": web + sum(by_terminal.values()) + held + left == sec.capacity,
                    "recalls_pending": [s["terminal_id"] for s in stops if s["kind"] == "recall"
                                        and s["state"] == "pending"],
                    "write_offs": [{"terminal_id": s["terminal_id"], "risk": int(s["risk"]),
                                    "late_sales": int(s["late_sales"]), "by": s["by_name"], "reason": s["reason"],
                                    "at": s["at"]} for s in stops if s["kind"] == "write_off"
                                   and (s["risk"] or s["late_sales"])]})
    return out


# -- grants -----------------------------------------------------------------------------------------------------

def grant(db: CentralDB, event_id: str, terminal_id: str, section_id: str, *, count: int = 0,
          seats: Iterable[str] = (), include_held: bool = False, now: str) -> dict[str, Any]:
    """Give a terminal ``count`` more standing places or the named seats, if they are free; one move, one id.

    A held (house) seat is given only with ``include_held``: the box office releasing it to this terminal on
    purpose, recorded on the move (``held_released``) and sent with the grant so the terminal may sell it.
    """
    labels = sorted({s.strip().upper() for s in seats if s.strip()})
    released: list[str] = []
    with db.transaction():
        lock(db)
        term = db.one("SELECT id, name, roles FROM terminals WHERE id = ? AND revoked_at IS NULL", (terminal_id,))
        if term is None:
            raise BoxOfficeError("not_found", f"no enrolled terminal {terminal_id!r}: `boxoffice central terminals`")
        if not sells(term):
            raise BoxOfficeError("permission_denied", f"{term['name']} was enrolled for {term['roles']} only, not to "
                                                      "sell: it gets no places. Enroll it again with a code made by "
                                                      "`boxoffice central enroll-code --roles sell,...`")
        sec = section(db, event_id, section_id)
        if sec.kind == "general":
            if labels or count <= 0:
                raise BoxOfficeError("bad_input", f"{section_id} is general admission: give --count N (N > 0)")
            left = free(db, sec)
            if count > left:
                raise BoxOfficeError("sold_out", f"only {left} place(s) of {section_id} are free to allocate; "
                                                 f"{count} asked", available=left)
            add_general(db, event_id, section_id, terminal_id, count)
        else:
            if count or not labels:
                raise BoxOfficeError("bad_input", f"{section_id} has reserved seats: give --seats A1,A2,...")
            unknown = [s for s in labels if s not in sec.seats]
            if unknown:
                raise BoxOfficeError("bad_input", f"{section_id} has no seat {unknown[0]}")
            available = free_seats(db, sec)
            held = held_seats(db, sec)
            kept = [s for s in labels if s in held and not include_held]
            if kept:
                raise BoxOfficeError("seat_unavailable", f"seat {kept[0]} is held back by the venue (a house seat): "
                                                         "add --include-held to release it to this terminal on "
                                                         "purpose", seats=kept)
            taken = [s for s in labels if s not in available and s not in held]
            if taken:
                raise BoxOfficeError("sold_out", f"seat {taken[0]} is sold or allocated already", seats=taken)
            released = [s for s in labels if s in held]
            add_seats(db, event_id, section_id, terminal_id, labels)
            count = len(labels)
        move = record_move(db, "grant", terminal_id, event_id, section_id, count, labels, None, now,
                           held_released=released)
    return move


def sells(terminal: dict[str, Any]) -> bool:
    """Whether a terminal row was enrolled with the sell role (only sellers hold places)."""
    return SELL_ROLE in str(terminal.get("roles") or "").split(",")


def lock(db: CentralDB) -> None:
    """Take the allocation counter's row lock first thing in a transaction that reads what is free and then
    allocates: on PostgreSQL two such transactions (two terminals topping up at once) then run one after the
    other instead of both reading the same free places. SQLite's BEGIN IMMEDIATE already does as much."""
    db.execute("UPDATE counters SET value = value WHERE name = ?", (COUNTER,))


def add_general(db: CentralDB, event_id: str, section_id: str, terminal_id: str, count: int) -> None:
    db.execute("INSERT INTO allocations (event_id, section_id, terminal_id, count) VALUES (?, ?, ?, ?)"
               " ON CONFLICT (event_id, section_id, terminal_id) DO UPDATE"
               " SET count = allocations.count + excluded.count", (event_id, section_id, terminal_id, count))


def add_seats(db: CentralDB, event_id: str, section_id: str, terminal_id: str, labels: list[str]) -> None:
    db.insert_rows("allocated_seats", ("event_id", "section_id", "label", "terminal_id"),
                   [(event_id, section_id, s, terminal_id) for s in labels])


def record_move(db: CentralDB, kind: str, terminal_id: str, event_id: str, section_id: str, count: int,
                seats: list[str], entry_id: str | None, now: str, *,
                held_released: list[str] | None = None) -> dict[str, Any]:
    pos = feed.take_numbers(db, COUNTER, 1)[0]
    move = {"id": uuid7(), "pos": pos, "terminal_id": terminal_id, "kind": kind, "event_id": event_id,
            "section_id": section_id, "count": count, "seats": seats, "at": now}
    if held_released:
        move["held_released"] = held_released
    db.execute("INSERT INTO allocation_moves (id, pos, terminal_id, kind, event_id, section_id, count, seats,"
               " entry_id, at, held_released) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (move["id"], pos, terminal_id, kind, event_id, section_id, count, json.dumps(seats), entry_id, now,
                json.dumps(held_released) if held_released else None))
    return move


def grants_after(db: CentralDB, terminal_id: str, after: int, limit: int = MAX_PAGE) -> dict[str, Any]:
    """The grants, recalls and write-offs for one terminal after position ``after``, oldest first
    (schemas/sync-allocations.schema.json). Grants and stops share one order of positions: the terminal applies
    them merged by ``pos``, so a recall takes back only what was granted before it."""
    rows = db.all("SELECT m.id, m.pos, m.kind, m.event_id, m.section_id, m.count, m.seats, m.at, m.held_released,"
                  " s.reason, s.by_name FROM allocation_moves m LEFT JOIN allocation_stops s ON s.id = m.id"
                  " WHERE m.terminal_id = ? AND m.kind IN ('grant', 'recall', 'write_off') AND m.pos > ?"
                  " ORDER BY m.pos LIMIT ?", (terminal_id, after, max(1, min(limit, MAX_PAGE))))
    grants = [{"id": r["id"], "pos": int(r["pos"]), "event_id": r["event_id"], "section_id": r["section_id"],
               "count": int(r["count"]), "seats": json.loads(r["seats"]), "at": r["at"],
               **({"held_released": json.loads(r["held_released"])} if r["held_released"] else {})}
              for r in rows if r["kind"] == "grant"]
    stops = [{"id": r["id"], "pos": int(r["pos"]), "kind": r["kind"], "event_id": r["event_id"],
              "section_id": r["section_id"], "reason": r["reason"] or "", "by": r["by_name"] or "", "at": r["at"]}
             for r in rows if r["kind"] != "grant"]
    out: dict[str, Any] = {"grants": grants, "more": len(rows) == max(1, min(limit, MAX_PAGE))}
    if stops:
        out["stops"] = stops
    return out


def stopped(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> dict[str, Any] | None:
    """The recall or write-off in force for a terminal's section: one made after the last grant the box office
    made by hand (a top-up does not lift it), else None."""
    last_stop = db.one("SELECT s.*, m.pos FROM allocation_stops s JOIN allocation_moves m ON m.id = s.id"
                       " WHERE s.terminal_id = ? AND s.event_id = ? AND s.section_id = ? ORDER BY m.pos DESC"
                       " LIMIT 1", (terminal_id, event_id, section_id))
    if last_stop is None:
        return None
    by_hand = db.scalar("SELECT MAX(m.pos) AS pos FROM allocation_moves m LEFT JOIN allocation_requests r"
                        " ON r.move_id = m.id WHERE m.terminal_id = ? AND m.event_id = ? AND m.section_id = ?"
                        " AND m.kind = 'grant' AND r.id IS NULL", (terminal_id, event_id, section_id))
    return None if by_hand is not None and int(by_hand) > int(last_stop["pos"]) else last_stop


def recall(db: CentralDB, event_id: str, terminal_id: str, *, section_id: str | None = None, reason: str, by: str,
           now: str) -> dict[str, Any]:
    """Pull a terminal's unsold places of an event (or one section) back; freed when its release arrives
    (central/allocation_stops.py)."""
    from boxoffice.central.services.allocation_stops import recall as run

    return run(db, event_id, terminal_id, section_id=section_id, reason=reason, by=by, now=now)


def write_off(db: CentralDB, event_id: str, terminal_id: str, *, by: str, reason: str, now: str) -> dict[str, Any]:
    """Free a dead terminal's allocation of an event now, except what central knows it sold; the rest is a flagged
    risk (central/allocation_stops.py)."""
    from boxoffice.central.services.allocation_stops import write_off as run

    return run(db, event_id, terminal_id, by=by, reason=reason, now=now)


def top_up(db: CentralDB, terminal_id: str, event_id: str, section_id: str, count: int, request_id: str,
           now: str) -> dict[str, Any]:
    """Grant a terminal up to ``count`` more places of a section, once per request id (central/allocation_topup.py)."""
    from boxoffice.central.services.allocation_topup import top_up as run

    return run(db, terminal_id, event_id, section_id, count, request_id, now)


# -- releases ---------------------------------------------------------------------------------------------------

def apply_release(db: CentralDB, terminal_id: str, entry_id: str, payload: dict[str, Any], now: str) -> bool:
    """Free what a terminal's release entry gave back, once per entry; False when it was applied before.

    Only what the terminal holds centrally is freed: a release larger than the allocation (which a terminal never
    sends) frees the allocation and no more, so the invariant cannot be broken from a terminal.
    """
    from boxoffice.central.services.allocation_stops import recall_released

    with db.transaction():
        lock(db)
        if db.one("SELECT id FROM allocation_moves WHERE entry_id = ?", (entry_id,)) is not None:
            return False
        event_id, section_id = str(payload.get("event_id", "")), str(payload.get("section_id", ""))
        labels = sorted({str(s) for s in payload.get("seats") or []})
        count = 0
        if labels:
            mine = [s for s, t in seats_of(db, event_id, section_id).items() if t == terminal_id and s in labels]
            db.many("DELETE FROM allocated_seats WHERE event_id = ? AND section_id = ? AND label = ?"
                    " AND terminal_id = ?", [(event_id, section_id, s, terminal_id) for s in mine])
            labels, count = mine, len(mine)
        else:
            held = db.scalar("SELECT count FROM allocations WHERE event_id = ? AND section_id = ? AND terminal_id = ?",
                             (event_id, section_id, terminal_id)) or 0
            count = max(0, min(int(payload.get("count") or 0), int(held)))
            db.execute("UPDATE allocations SET count = count - ? WHERE event_id = ? AND section_id = ?"
                       " AND terminal_id = ?", (count, event_id, section_id, terminal_id))
        record_move(db, "release", terminal_id, event_id, section_id, count, labels, entry_id, now)
        recall_released(db, terminal_id, payload.get("recall_id"), entry_id, count, now)
    return True


def apply_pending_releases(db: CentralDB, terminal_id: str, now: str) -> int:
    """Apply every release entry of a terminal's journal not applied yet; the number applied.

    Run after each push: the journal already holds each entry once by id, so reading releases from it (rather than
    from the request) applies exactly what arrived, however often a batch was sent.
    """
    rows = db.all("SELECT j.id, j.payload FROM journal j LEFT JOIN allocation_moves m ON m.entry_id = j.id"
                  " WHERE j.terminal_id = ? AND j.kind = ? AND m.id IS NULL ORDER BY j.seq",
                  (terminal_id, RELEASE_KIND))
    done = 0
    for r in rows:
        try:
            payload = json.loads(r["payload"])
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        done += apply_release(db, terminal_id, r["id"], payload, now)
    return done
