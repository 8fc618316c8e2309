"""The central box office's allocation commands, run on the central database directly."""

from __future__ import annotations

from typing import Any

from boxoffice.central.services import allocation_stops, allocation_topup, allocations, published
from boxoffice.central.services.admin import run
from boxoffice.central.store import meta, terminals
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.clock import Clock, iso, system_clock
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _


def _terminal(db: CentralDB, which: str, *, active: bool = True) -> dict[str, Any]:
    """One terminal named by id, name or tag (a revoked one too, when ``active`` is False)."""
    rows = terminals.named(db, which, active=active)
    if len(rows) != 1:
        raise BoxOfficeError("not_found" if not rows else "bad_input",
                             (_("no single active terminal {which!r}: `boxoffice central terminals` lists them")
                              if active else
                              _("no single terminal {which!r}: `boxoffice central terminals` lists them")).format(
                                  which=which))
    return rows[0]


def allocate(url: str, event_id: str, which: str, section_id: str, count: int, seats: list[str],
             clock: Clock = system_clock, include_held: bool = False) -> dict[str, Any]:
    """Grant a terminal (named by id, name or tag) places of a section; held (house) seats only with
    ``include_held``. See central/allocations.py."""
    now = iso(clock())

    def work(db: CentralDB) -> dict[str, Any]:
        term = _terminal(db, which)
        move = allocations.grant(db, event_id, term["id"], section_id, count=count, seats=seats,
                                 include_held=include_held, now=now)
        left = allocations.free(db, allocations.section(db, event_id, section_id))
        return {**move, "held_released": move.get("held_released", []), "terminal_name": term["name"], "free": left}

    return run(url, work)


def recall(url: str, event_id: str, which: str, section_id: str | None, reason: str, by: str,
           clock: Clock = system_clock) -> dict[str, Any]:
    """Pull a terminal's unsold places back at its next sync; see central/allocation_stops.py."""
    now = iso(clock())
    return run(url, lambda db: allocation_stops.recall(db, event_id, _terminal(db, which)["id"], section_id=section_id,
                                                     reason=reason, by=by, now=now))


def write_off(url: str, event_id: str, which: str, by: str, reason: str,
              clock: Clock = system_clock) -> dict[str, Any]:
    """Free a dead terminal's places of an event now; see central/allocation_stops.py."""
    now = iso(clock())
    return run(url, lambda db: allocation_stops.write_off(db, event_id, _terminal(db, which, active=False)["id"], by=by,
                                                            reason=reason, now=now))


def summary(url: str, event_id: str) -> list[dict[str, Any]]:
    """Per section: capacity, web sold, each terminal's allocation, held, free, pending recalls, write-off risks;
    with the section's name and the names of the terminals named (``section_name``, ``terminal_names``) for people."""
    def work(db: CentralDB) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, Any]]:
        rows = allocations.summary(db, event_id)
        names = terminals.names(db)
        return rows, names, published.events(db)["events"].get(event_id, {})

    rows, names, event = run(url, work)
    sections = {s["id"]: s["name"] for s in event.get("sections", [])}
    for r in rows:
        released = r.get("house_seats_released", {}).values()
        ids = [*r["allocated"], *r.get("recalls_pending", []), *(w["terminal_id"] for w in r.get("write_offs", [])),
               *released]
        r["section_name"] = sections.get(r["section_id"], r["section_id"])
        r["terminal_names"] = {t: names.get(t, t) for t in dict.fromkeys(ids)}
    return rows


def set_cap(url: str, cap: int | None, which: str | None = None) -> dict[str, Any]:
    """Set the most unsold places of one section a top-up leaves a terminal holding: for the terminal named, or
    (``which`` None) the default of every terminal without its own. ``cap`` None with a terminal drops its own cap,
    so the default applies again. Grants by hand (`central allocate`) are not capped: the box office decides."""
    if cap is not None and not 0 <= cap <= allocation_topup.MAX_CAP:
        raise BoxOfficeError("bad_input", _("a cap is 0 to {most} places, not {cap}").format(
            most=allocation_topup.MAX_CAP, cap=cap))
    if cap is None and which is None:
        raise BoxOfficeError("bad_input", _("give --max N (and --terminal T for one terminal), or --terminal T "
                                            "--clear"))

    def work(db: CentralDB) -> dict[str, Any]:
        with db.transaction():
            if which is None:
                meta.put(db, "allocation_cap", str(cap))
                return {"terminal_id": None, "terminal_name": None, "default_cap": cap, "allocation_cap": cap,
                        "own_cap": False}
            term = _terminal(db, which, active=False)
            terminals.set_cap(db, term["id"], cap)
            default = allocation_topup.default_cap(db)
            return {"terminal_id": term["id"], "terminal_name": term["name"], "default_cap": default,
                    "allocation_cap": default if cap is None else cap, "own_cap": cap is not None}

    return run(url, work)
