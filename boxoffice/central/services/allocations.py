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
takes ``lock`` first. The tables are made by `central init` / `central migrate` (central/store/schema.py), never
here. What is where (sections, free places, moves) is allocation_ledger.py, which every allocation module builds on.

Grants travel on their own per-terminal listing (``GET /v1/allocations``) rather than the shared change feed, whose
schema enumerates its kinds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from boxoffice.central.services import stock_gate
from boxoffice.central.services.allocation_ledger import (
    RELEASE_KIND,
    Section,
    add_general,
    add_seats,
    allocated,
    free,
    free_seats,
    held_seats,
    lock,
    record_move,
    seats_of,
    section,
    sections,
    sells,
    web_seats,
    web_sold,
)
from boxoffice.central.services.allocation_stops import recall_released
from boxoffice.central.store import allocations as rows
from boxoffice.central.store import terminals
from boxoffice.central.store.db import CentralDB, storable
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

MAX_PAGE = 1000
__all__ = ["MAX_PAGE", "Section", "allocated", "apply_pending_releases", "apply_release", "free", "free_seats",
           "grant", "grants_after", "held_seats", "section", "sections", "seats_of", "summary", "web_seats",
           "web_sold"]


def summary(db: CentralDB, event_id: str) -> list[dict[str, Any]]:
    """Per section: capacity, web sold, each terminal's allocation, held, free, and the house seats released to a
    terminal (seat -> terminal id, allocated like any other); ``balanced`` says whether
    ``web_sold + allocated_total + held + free == capacity``, which holds row by row (a False is a bug to report)."""
    out = []
    for sec in sections(db, event_id).values():
        by_terminal = allocated(db, event_id, sec.id)
        web = len(web_seats(db, event_id, sec.id)) if sec.kind == "reserved" else web_sold(db, event_id, sec.id)
        held, left = len(held_seats(db, sec)), free(db, sec)
        stops = rows.stops_of_section(db, event_id, sec.id)
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
        term = terminals.enrolled(db, terminal_id)
        if term is None:
            raise BoxOfficeError("not_found", _("no enrolled terminal {terminal_id!r}: `boxoffice central "
                                                "terminals`").format(terminal_id=terminal_id))
        if not sells(term):
            raise BoxOfficeError("permission_denied", _("{name} was enrolled for {roles} only, not to sell: it "
                                                        "gets no places. Enroll it again with a code made by "
                                                        "`boxoffice central enroll-code --roles sell,...`").format(
                                                            name=term["name"], roles=term["roles"]))
        sec = section(db, event_id, section_id)
        if sec.kind == "general":
            if labels or count <= 0:
                raise BoxOfficeError("bad_input", _("{section_id} is general admission: give --count N (N > 0)").format(
                    section_id=section_id))
            left = free(db, sec)
            if count > left:
                raise BoxOfficeError("sold_out", _("only {left} place(s) of {section_id} are free to allocate; "
                                                   "{count} asked").format(left=left, section_id=section_id,
                                                                           count=count), available=left)
            stock_gate.before_grant(db, terminal_id, event_id, section_id, count)  # pretix first (stock_gate.py)
            add_general(db, event_id, section_id, terminal_id, count)
        else:
            if count or not labels:
                raise BoxOfficeError("bad_input", _("{section_id} has reserved seats: give --seats A1,A2,...").format(
                    section_id=section_id))
            unknown = [s for s in labels if s not in sec.seats]
            if unknown:
                raise BoxOfficeError("bad_input", _("{section_id} has no seat {seat}").format(section_id=section_id,
                                                                                          seat=unknown[0]))
            available = free_seats(db, sec)
            held = held_seats(db, sec)
            kept = [s for s in labels if s in held and not include_held]
            if kept:
                raise BoxOfficeError("seat_unavailable", _("seat {seat} is held back by the venue (a house seat): add "
                                                           "--include-held to release it to this terminal on "
                                                           "purpose").format(seat=kept[0]), seats=kept)
            taken = [s for s in labels if s not in available and s not in held]
            if taken:
                raise BoxOfficeError("sold_out", _("seat {seat} is sold or allocated already").format(seat=taken[0]),
                                     seats=taken)
            released = [s for s in labels if s in held]
            stock_gate.before_grant(db, terminal_id, event_id, section_id, 0, labels)  # pretix first (stock_gate.py)
            add_seats(db, event_id, section_id, terminal_id, labels)
            count = len(labels)
        move = record_move(db, "grant", terminal_id, event_id, section_id, count, labels, None, now,
                           held_released=released)
    return move


def grants_after(db: CentralDB, terminal_id: str, after: int, limit: int = MAX_PAGE) -> dict[str, Any]:
    """The grants, recalls and write-offs for one terminal after position ``after``, oldest first
    (schemas/sync-allocations.schema.json). Grants and stops share one order of positions: the terminal applies
    them merged by ``pos``, so a recall takes back only what was granted before it."""
    moves = rows.moves_after(db, terminal_id, after, max(1, min(limit, MAX_PAGE)))
    grants = [{"id": r["id"], "pos": int(r["pos"]), "event_id": r["event_id"], "section_id": r["section_id"],
               "count": int(r["count"]), "seats": json.loads(r["seats"]), "at": r["at"],
               **({"held_released": json.loads(r["held_released"])} if r["held_released"] else {})}
              for r in moves if r["kind"] == "grant"]
    stops = [{"id": r["id"], "pos": int(r["pos"]), "kind": r["kind"], "event_id": r["event_id"],
              "section_id": r["section_id"], "reason": r["reason"] or "", "by": r["by_name"] or "", "at": r["at"]}
             for r in moves if r["kind"] != "grant"]
    out: dict[str, Any] = {"grants": grants, "more": len(moves) == max(1, min(limit, MAX_PAGE))}
    if stops:
        out["stops"] = stops
    return out


# -- releases ---------------------------------------------------------------------------------------------------

def apply_release(db: CentralDB, terminal_id: str, entry_id: str, payload: dict[str, Any], now: str) -> bool:
    """Free what a terminal's release entry gave back, once per entry; False when it was applied before.

    Only what the terminal holds centrally is freed: a release larger than the allocation (which a terminal never
    sends) frees the allocation and no more, so the invariant cannot be broken from a terminal.
    """
    with db.transaction():
        lock(db)
        if rows.move_of_entry(db, entry_id) is not None:
            return False
        # Read as a terminal writes them, anything else as nothing released (a signed entry may still hold junk:
        # refused here, it would fail every later push of the terminal, and its text would reach the log; a NUL,
        # escaped in the JSON, is text PostgreSQL refuses)
        event_id, section_id = _text(payload.get("event_id")), _text(payload.get("section_id"))
        seats, asked = payload.get("seats"), payload.get("count")
        labels = sorted({s for s in seats if _text(s)}) if isinstance(seats, list) and event_id else []
        if not (event_id and section_id):
            event_id, section_id, labels, asked = "", "", [], 0
        count = 0
        if labels:
            mine = [s for s, t in seats_of(db, event_id, section_id).items() if t == terminal_id and s in labels]
            rows.remove_seats(db, event_id, section_id, terminal_id, mine)
            labels, count = mine, len(mine)
        else:
            held = rows.general_count(db, event_id, section_id, terminal_id)
            count = max(0, min(asked if type(asked) is int else 0, held))
            rows.take_general(db, event_id, section_id, terminal_id, count)
        record_move(db, "release", terminal_id, event_id, section_id, count, labels, entry_id, now)
        recall_released(db, terminal_id, _text(payload.get("recall_id")) or None, entry_id, count, now)
    if count:
        stock_gate.after_release(db, terminal_id, event_id, section_id)  # committed: now pretix (stock_gate.py)
    return True


def _text(value: Any) -> str:
    """``value`` when it is text a table can keep (central/store/db.storable, at most 200 characters), else ``""``."""
    return value if storable(value, 200) else ""


def apply_pending_releases(db: CentralDB, terminal_id: str, now: str) -> int:
    """Apply every release entry of a terminal's journal not applied yet; the number applied.

    Run after each push: the journal already holds each entry once by id, so reading releases from it (rather than
    from the request) applies exactly what arrived, however often a batch was sent.
    """
    done = 0
    for r in rows.unapplied_releases(db, terminal_id, RELEASE_KIND):
        try:
            payload = json.loads(r["payload"])
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        done += apply_release(db, terminal_id, r["id"], payload, now)
    return done
