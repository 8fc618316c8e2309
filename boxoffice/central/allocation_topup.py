"""Top-up: a terminal online asks for more of a section, and gets what is free, once per request id.

Why a request id: the terminal makes it and stores it before sending, and sends the same id again until it has an
answer. The first request to arrive grants and keeps its answer (``allocation_requests``, the id its primary key);
any copy after it, a retry whose first answer was lost or a copy racing the first, gets that same answer and grants
nothing. The grant itself is an ordinary grant move, so the terminal applies it through the pull, once by id.

What is granted: standing places, ``min(count, free)``; reserved seats, the best free seats by the same rules a
sale uses (boxoffice/domain/seating.py): the best block of them all together, else the best of the largest blocks
one after another, and wheelchair or companion seats only when no other seat is left. Nothing is granted to a
section the box office recalled or wrote off for that terminal until the box office grants it again by hand.
"""

from __future__ import annotations

import json
from typing import Any

from boxoffice.central import allocations
from boxoffice.central.db import CentralDB
from boxoffice.domain.catalog import build_catalog
from boxoffice.domain.seating import Seat, best_available
from boxoffice.errors import BoxOfficeError

MAX_COUNT = 10_000


def top_up(db: CentralDB, terminal_id: str, event_id: str, section_id: str, count: int, request_id: str,
           now: str) -> dict[str, Any]:
    """Grant ``terminal_id`` up to ``count`` more places of a section; the same answer for the same request id.

    The answer (schemas/sync-allocation-request-response.schema.json): what was asked, what was granted, the seats,
    the grant's id (None when nothing was free) and why less was granted, if it was.
    """
    allocations.ensure_tables(db)
    if not 1 <= count <= MAX_COUNT:
        raise BoxOfficeError("bad_input", f"ask for 1 to {MAX_COUNT} places, not {count}")
    with db.transaction():
        allocations.lock(db)
        known = _answer(db, request_id)
        if known is not None:
            if known["terminal_id"] != terminal_id:
                raise BoxOfficeError("conflict", f"request {request_id} was made by another terminal")
            return {**known["answer"], "replayed": True}
        sec = allocations.section(db, event_id, section_id)
        stopped = allocations.stopped(db, terminal_id, event_id, section_id)
        granted: list[str] = []
        n = 0
        reason = None
        if stopped is not None:
            reason = f"{stopped['kind'].replace('_', '-')} by {stopped['by_name']}: {stopped['reason']}"
        elif sec.kind == "general":
            n = max(0, min(count, allocations.free(db, sec)))
        else:
            granted = best_free_seats(db, sec, count)
            n = len(granted)
        if stopped is None and n < count:
            reason = "no place of this section is free" if n == 0 else f"only {n} place(s) were free"
        move = None
        if n:
            if sec.kind == "general":
                allocations.add_general(db, event_id, section_id, terminal_id, n)
            else:
                allocations.add_seats(db, event_id, section_id, terminal_id, granted)
            move = allocations.record_move(db, "grant", terminal_id, event_id, section_id, n, granted, None, now)
        db.execute("INSERT INTO allocation_requests (id, terminal_id, event_id, section_id, asked, granted, move_id,"
                   " reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (request_id, terminal_id, event_id, section_id, count, n, move["id"] if move else None, reason,
                    now))
    return {"id": request_id, "event_id": event_id, "section_id": section_id, "asked": count, "granted": n,
            "seats": granted, "grant_id": move["id"] if move else None, "reason": reason, "replayed": False}


def _answer(db: CentralDB, request_id: str) -> dict[str, Any] | None:
    row = db.one("SELECT r.*, m.seats FROM allocation_requests r LEFT JOIN allocation_moves m ON m.id = r.move_id"
                 " WHERE r.id = ?", (request_id,))
    if row is None:
        return None
    return {"terminal_id": row["terminal_id"], "answer": {
        "id": row["id"], "event_id": row["event_id"], "section_id": row["section_id"], "asked": int(row["asked"]),
        "granted": int(row["granted"]), "seats": json.loads(row["seats"]) if row["seats"] else [],
        "grant_id": row["move_id"], "reason": row["reason"]}}


def best_free_seats(db: CentralDB, sec: allocations.Section, count: int) -> list[str]:
    """Up to ``count`` free seats of a reserved section, best first and together where the free seats allow."""
    built = _built_event(db, sec.event_id)
    layout = _layout(built, sec.id)
    free = allocations.free_seats(db, sec) - {s["label"] for row in layout for s in row if s.get("status") == "held"}
    chosen: list[str] = []
    while len(chosen) < count and free:
        rows = [[Seat(label=s["label"], row=s["row"], number=s["number"], x=s["x"], available=s["label"] in free,
                      wheelchair=bool(s["wheelchair"]), companion=bool(s["companion"]),
                      aisle_before=bool(s["aisle_before"])) for s in row] for row in layout]
        want = count - len(chosen)
        try:
            block = best_available(rows, want)
        except BoxOfficeError as exc:
            if exc.code != "not_enough_together" or not exc.details.get("largest_block"):
                break
            block = best_available(rows, int(exc.details["largest_block"]))
        labels = [s.label for s in block]
        chosen += labels
        free -= set(labels)
    if len(chosen) < count:  # wheelchair and companion seats last, front to back
        rest = [s["label"] for row in layout for s in row if s["label"] in free]
        chosen += rest[:count - len(chosen)]
    return chosen


def _built_event(db: CentralDB, event_id: str) -> dict[str, Any]:
    for row in db.all("SELECT doc FROM catalogs ORDER BY published_at DESC, sha256"):
        for ev in build_catalog(json.loads(row["doc"]))["events"]:
            if ev["event"]["id"] == event_id:
                return ev
    raise BoxOfficeError("not_found", f"no published event {event_id!r}")


def _layout(built: dict[str, Any], section_id: str) -> list[list[dict[str, Any]]]:
    """A section's seats as rows from the front, each left to right (house seats included, marked 'held')."""
    rows: dict[int, list[dict[str, Any]]] = {}
    for s in built["seats"]:
        if s["section_id"] == section_id:
            rows.setdefault(int(s["row_index"]), []).append(s)
    return [sorted(rows[k], key=lambda s: s["seat_index"]) for k in sorted(rows)]
