"""The central box office's allocation commands, run on the central database directly."""

from __future__ import annotations

from typing import Any

from boxoffice.central import allocations
from boxoffice.central.admin import open_db
from boxoffice.central.db import CentralDB
from boxoffice.domain.clock import Clock, iso, system_clock
from boxoffice.errors import BoxOfficeError


def _terminal(db: CentralDB, which: str, *, active: bool = True) -> dict[str, Any]:
    """One terminal named by id, name or tag (a revoked one too, when ``active`` is False)."""
    alive = " AND revoked_at IS NULL" if active else ""
    rows = db.all(f"SELECT id, name FROM terminals WHERE (id = ? OR name = ? OR tag = ?){alive}",
                  (which, which, which.upper()))
    if len(rows) != 1:
        raise BoxOfficeError("not_found" if not rows else "bad_input",
                             f"no single {'active ' if active else ''}terminal {which!r}: `boxoffice central "
                             "terminals` lists them")
    return rows[0]


def allocate(url: str, event_id: str, which: str, section_id: str, count: int, seats: list[str],
             clock: Clock = system_clock) -> dict[str, Any]:
    """Grant a terminal (named by id, name or tag) places of a section; see central/allocations.py."""
    with open_db(url) as db:
        term = _terminal(db, which)
        move = allocations.grant(db, event_id, term["id"], section_id, count=count, seats=seats,
                                 now=iso(clock()))
        left = allocations.free(db, allocations.section(db, event_id, section_id))
    return {**move, "terminal_name": term["name"], "free": left}


def recall(url: str, event_id: str, which: str, section_id: str | None, reason: str, by: str,
           clock: Clock = system_clock) -> dict[str, Any]:
    """Pull a terminal's unsold places back at its next sync; see central/allocation_stops.py."""
    with open_db(url) as db:
        term = _terminal(db, which)
        return allocations.recall(db, event_id, term["id"], section_id=section_id, reason=reason, by=by,
                                  now=iso(clock()))


def write_off(url: str, event_id: str, which: str, by: str, reason: str,
              clock: Clock = system_clock) -> dict[str, Any]:
    """Free a dead terminal's places of an event now; see central/allocation_stops.py."""
    with open_db(url) as db:
        term = _terminal(db, which, active=False)
        return allocations.write_off(db, event_id, term["id"], by=by, reason=reason, now=iso(clock()))


def summary(url: str, event_id: str) -> list[dict[str, Any]]:
    """Per section: capacity, web sold, each terminal's allocation, free, pending recalls, write-off risks; with
    the section's name and the names of the terminals named (``section_name``, ``terminal_names``) for people."""
    from boxoffice.central import published

    with open_db(url) as db:
        rows = allocations.summary(db, event_id)
        names = {t["id"]: t["name"] for t in db.all("SELECT id, name FROM terminals")}
        event = published.events(db)["events"].get(event_id, {})
    sections = {s["id"]: s["name"] for s in event.get("sections", [])}
    for r in rows:
        ids = [*r["allocated"], *r.get("recalls_pending", []), *(w["terminal_id"] for w in r.get("write_offs", []))]
        r["section_name"] = sections.get(r["section_id"], r["section_id"])
        r["terminal_names"] = {t: names.get(t, t) for t in dict.fromkeys(ids)}
    return rows
