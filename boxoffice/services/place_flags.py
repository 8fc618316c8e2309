"""The restricted-view and wheelchair flags of sold places, for what prints them and what lists them.

Ticket and receipt printing (services.printing) and `sell --json` ask :func:`ticket_flags` for the tickets made;
services.place_notes asks :func:`section_flags` before a sale. Words and flags are domain.seat_notes'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from boxoffice.domain.seat_notes import flags_of
from boxoffice.services.context import Ctx
from boxoffice.store import catalog as catalog_store


def section_flags(ctx: Ctx, event_id: str, section_id: str) -> dict[str, list[str]]:
    """Seat label -> its flags, for the flagged seats of a section only."""
    out = {}
    for seat in catalog_store.seats(ctx.conn, event_id, section_id):
        flags = flags_of(seat)
        if flags:
            out[seat["label"]] = flags
    return out


def ticket_flags(ctx: Ctx, tickets: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Ticket id -> the flags of its seat ([] for a standing place or a seat without any)."""
    cache: dict[tuple[str, str], dict[str, list[str]]] = {}
    out: dict[str, list[str]] = {}
    for t in tickets:
        if t["row"] is None:
            out[t["id"]] = []
            continue
        key = (t["event_id"], t["section_id"])
        if key not in cache:
            cache[key] = section_flags(ctx, *key)
        out[t["id"]] = cache[key].get(f"{t['row']}{t['seat']}", [])
    return out
