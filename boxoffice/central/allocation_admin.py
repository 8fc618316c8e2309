"""The central box office's allocation commands, run on the central database directly."""

from __future__ import annotations

from typing import Any

from boxoffice.central import allocations
from boxoffice.central.admin import open_db
from boxoffice.domain.clock import Clock, iso, system_clock
from boxoffice.errors import BoxOfficeError


def allocate(url: str, event_id: str, which: str, section_id: str, count: int, seats: list[str],
             clock: Clock = system_clock) -> dict[str, Any]:
    """Grant a terminal (named by id, name or tag) places of a section; see central/allocations.py."""
    with open_db(url) as db:
        rows = db.all("SELECT id, name FROM terminals WHERE revoked_at IS NULL AND (id = ? OR name = ? OR tag = ?)",
                      (which, which, which.upper()))
        if len(rows) != 1:
            raise BoxOfficeError("not_found" if not rows else "bad_input",
                                 f"no single active terminal {which!r}: `boxoffice central terminals` lists them")
        move = allocations.grant(db, event_id, rows[0]["id"], section_id, count=count, seats=seats,
                                 now=iso(clock()))
        left = allocations.free(db, allocations.section(db, event_id, section_id))
    return {**move, "terminal_name": rows[0]["name"], "free": left}


def summary(url: str, event_id: str) -> list[dict[str, Any]]:
    """Per section: capacity, web sold, each terminal's allocation, free."""
    with open_db(url) as db:
        return allocations.summary(db, event_id)
