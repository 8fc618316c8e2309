"""Top-up: a terminal online asks for more of a section, and gets what is free, once per request id.

Why a request id: the terminal makes it and stores it before sending, and sends the same id again until it has an
answer. The first thing a top-up does is insert the request's row (``allocation_requests``, the id its primary
key), before it takes the allocation lock: a copy that arrives while the first is still running, on this service
process or another one on the same PostgreSQL database, waits on that row and then finds the first's answer there;
one arriving later finds it at once. Either way it gets that same answer and grants nothing. The grant itself is an
ordinary grant move, so the terminal applies it through the pull, once by id.

What is granted: standing places, ``min(count, free, room under the cap)``; reserved seats, the best free seats by
the same rules a sale uses (boxoffice/domain/seating.py): the best block of them all together, else the best of the
largest blocks one after another, and wheelchair or companion seats only when no other seat is left; held (house)
seats never. The cap (``cap_of``) is the most unsold places of a section a top-up leaves a terminal holding; a request
above it is cut to it, not refused. Nothing is granted to a terminal enrolled without the sell role, nor to a
section the box office recalled or wrote off for that terminal until the box office grants it again by hand.
"""

from __future__ import annotations

import json
from typing import Any

from boxoffice.central.services import allocation_ledger as ledger
from boxoffice.central.services import stock_gate
from boxoffice.central.store import allocations as rows
from boxoffice.central.store import catalogs, meta, sales, terminals
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.catalog import build_catalog
from boxoffice.domain.seating import Seat, best_available
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

MAX_COUNT = 10_000
DEFAULT_CAP = 50  # when meta('allocation_cap') is missing or unreadable: the terminals' own default top_up_to
MAX_CAP = 1_000_000


def top_up(db: CentralDB, terminal_id: str, event_id: str, section_id: str, count: int, request_id: str,
           now: str) -> dict[str, Any]:
    """Grant ``terminal_id`` up to ``count`` more places of a section; the same answer for the same request id.

    The answer (schemas/sync-allocation-request-response.schema.json): what was asked, what was granted, the seats,
    the grant's id (None when nothing was free) and why less was granted, if it was.
    """
    if not 1 <= count <= MAX_COUNT:
        raise BoxOfficeError("bad_input", _("ask for 1 to {most} places, not {count}").format(most=MAX_COUNT,
                                                                                               count=count))
    with db.transaction():
        # insert-or-wait: a copy of this request running elsewhere holds this row until it commits
        if not rows.claim_request(db, request_id, terminal_id, event_id, section_id, count, now):
            known = _answer(db, request_id)
            if known is None:  # cannot be: the row that stopped the insert is committed, so it is there
                raise BoxOfficeError("conflict", _("request {request_id} is being answered: send it again").format(
                    request_id=request_id))
            if known["terminal_id"] != terminal_id:
                raise BoxOfficeError("conflict", _("request {request_id} was made by another terminal").format(
                    request_id=request_id))
            return {**known["answer"], "replayed": True}
        ledger.lock(db)
        sec = ledger.section(db, event_id, section_id)
        term = terminals.seller(db, terminal_id)
        stopped = ledger.stopped(db, terminal_id, event_id, section_id)
        granted: list[str] = []
        n = 0
        reason = None
        if term is None or not ledger.sells(term):
            reason = "this terminal was enrolled without the sell role: it holds no places"
        elif stopped is not None:
            reason = f"{stopped['kind'].replace('_', '-')} by {stopped['by_name']}: {stopped['reason']}"
        else:
            cap = cap_of(db, term)
            room = max(0, cap - unsold(db, terminal_id, sec))
            want = min(count, room)
            if sec.kind == "general":
                n = max(0, min(want, ledger.free(db, sec)))
            else:
                granted = best_free_seats(db, sec, want) if want else []
                n = len(granted)
            if n < count:
                if want < count and n == want:
                    reason = (f"cut to this terminal's cap of {cap} unsold place(s) per section"
                              + ("" if n else ": it holds that many already"))
                else:
                    reason = "no place of this section is free" if n == 0 else f"only {n} place(s) were free"
        move = None
        if n:
            n, granted, refused = _through_gate(db, terminal_id, sec, n, granted)
            reason = refused or reason
        if n:
            if sec.kind == "general":
                ledger.add_general(db, event_id, section_id, terminal_id, n)
            else:
                ledger.add_seats(db, event_id, section_id, terminal_id, granted)
            move = ledger.record_move(db, "grant", terminal_id, event_id, section_id, n, granted, None, now)
        rows.answer_request(db, request_id, n, move["id"] if move else None, reason)
    return {"id": request_id, "event_id": event_id, "section_id": section_id, "asked": count, "granted": n,
            "seats": granted, "grant_id": move["id"] if move else None, "reason": reason, "replayed": False}


def _through_gate(db: CentralDB, terminal_id: str, sec: ledger.Section, n: int,
                  seats: list[str]) -> tuple[int, list[str], str | None]:
    """Take the places out of pretix's stock first (stock_gate.py): what may be granted, and why less if less. A
    refusal grants nothing, like a sold-out section; pretix telling how many standing places it has left (its web
    orders may not have reached the central service yet) is tried once more with that many."""
    try:
        stock_gate.before_grant(db, terminal_id, sec.event_id, sec.id, n if sec.kind == "general" else 0, seats)
        return n, seats, None
    except BoxOfficeError as exc:
        left = exc.details.get("available") if sec.kind == "general" and exc.code == "sold_out" else None
        if not isinstance(left, int) or not 0 < left < n:
            return 0, [], exc.message[:400]  # the answer's reason: 400 characters at most
    fewer, _seats, refused = _through_gate(db, terminal_id, sec, left, [])
    return fewer, [], refused or f"only {fewer} place(s) were left in pretix"


def cap_of(db: CentralDB, terminal: dict[str, Any]) -> int:
    """A terminal's cap: its own (`central terminal set-cap --terminal T`), else the service's default."""
    if terminal.get("allocation_cap") is not None:
        return int(terminal["allocation_cap"])
    return default_cap(db)


def default_cap(db: CentralDB) -> int:
    value = meta.get(db, "allocation_cap")
    try:
        return max(0, min(MAX_CAP, int(value)))
    except (TypeError, ValueError):
        return DEFAULT_CAP


def unsold(db: CentralDB, terminal_id: str, sec: ledger.Section) -> int:
    """What a terminal holds of a section and has not sold, as far as the central service knows (its pushed sales;
    a sale not pushed yet counts as unsold, so a top-up errs on the small side)."""
    held = ledger.allocated(db, sec.event_id, sec.id).get(terminal_id, 0)
    sold = sales.terminal_tickets_valid_count(db, terminal_id, sec.event_id, sec.id)
    return max(0, held - sold)


def _answer(db: CentralDB, request_id: str) -> dict[str, Any] | None:
    row = rows.request_with_seats(db, request_id)
    if row is None:
        return None
    return {"terminal_id": row["terminal_id"], "answer": {
        "id": row["id"], "event_id": row["event_id"], "section_id": row["section_id"], "asked": int(row["asked"]),
        "granted": int(row["granted"]), "seats": json.loads(row["seats"]) if row["seats"] else [],
        "grant_id": row["move_id"], "reason": row["reason"]}}


def best_free_seats(db: CentralDB, sec: ledger.Section, count: int) -> list[str]:
    """Up to ``count`` free seats of a reserved section, best first and together where the free seats allow."""
    built = _built_event(db, sec.event_id)
    layout = _layout(built, sec.id)
    free = ledger.free_seats(db, sec)  # held (house) seats are never free
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
    for doc in catalogs.documents_newest_first(db):
        for ev in build_catalog(json.loads(doc))["events"]:
            if ev["event"]["id"] == event_id:
                return ev
    raise BoxOfficeError("not_found", _("no published event {event_id!r}").format(event_id=event_id))


def _layout(built: dict[str, Any], section_id: str) -> list[list[dict[str, Any]]]:
    """A section's seats as rows from the front, each left to right (house seats included, marked 'held')."""
    rows: dict[int, list[dict[str, Any]]] = {}
    for s in built["seats"]:
        if s["section_id"] == section_id:
            rows.setdefault(int(s["row_index"]), []).append(s)
    return [sorted(rows[k], key=lambda s: s["seat_index"]) for k in sorted(rows)]
