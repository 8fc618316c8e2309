"""A terminal's allocation: grants from the central service applied once, releases journaled, holdings shown.

Why once by id: a grant pulled, applied and committed, with the answer or the process lost before the terminal
moved on, comes again on the next pull; its id is then known here and it adds nothing. Applying a grant and
recording its id are one transaction, so a restart in the middle leaves either both or neither.

Why a release leaves at once: the places stop being sellable here the moment it is journaled, so they can never be
sold both here and, once central has the entry, elsewhere. Central frees them when the entry is pushed, once per
entry id; until then they are in neither place (never in two).
"""

from __future__ import annotations

from typing import Any, Protocol, TypedDict, cast

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import allocations as store
from boxoffice.store.db import write
from boxoffice.wire.messages import problems

RELEASE_KIND = "allocation.release"
WRITTEN_OFF_KIND = "allocation.written_off"
SCHEMA = "sync-allocations.schema.json"


class Released(TypedDict):
    """Places given back (:func:`release`): how many, which seats, and the journal entry that takes them there."""

    event_id: str
    section_id: str
    count: int
    seats: list[str]
    entry_id: str


class Holding(TypedDict):
    """What this terminal holds of one section (:func:`holdings`), how much of it is sold and what is left."""

    event_id: str
    section_id: str
    name: str
    kind: str
    capacity: int
    held: int
    sold: int
    left: int
    granted_by_central: bool


class GrantSource(Protocol):
    """What pulling grants needs of the network (boxoffice/sync/client.py's CentralClient has it)."""

    def allocations(self, after: int, limit: int = 500) -> Any: ...


def apply_grant(ctx: Ctx, grant: dict[str, Any]) -> bool:
    """Apply one grant in the caller's transaction; False if it was applied before (or its event is not here yet,
    in which case it is left for a later pull: see ``event_known``)."""
    conn = ctx.conn
    if store.applied(conn, grant["id"]):
        return False
    eid, sid = grant["event_id"], grant["section_id"]
    if not store.event_known(conn, eid):
        return False
    if not store.governed(conn, eid):
        store.take_over(conn, eid, ctx.now_iso())
        ctx.terminal["owns_inventory"] = 0
    if grant["seats"]:
        store.add_seats(conn, eid, sid, list(grant["seats"]))
        # house seats the box office released to this terminal on purpose: sellable here from now on
        store.unhold_seats(conn, eid, sid, [s for s in grant.get("held_released", ()) if s in grant["seats"]])
    elif not store.add_general(conn, eid, sid, int(grant["count"])):
        raise BoxOfficeError("central_refused", _("a grant names section {section!r} of {event!r}, which is not a "
                                                  "standing section here; nothing was applied").format(
            section=sid, event=eid))
    store.record_grant(conn, grant, ctx.now_iso())
    store.lift_stops(conn, eid, sid, ctx.now_iso())  # a grant after a recall or write-off: selling again
    return True


def apply_stop(ctx: Ctx, stop: dict[str, Any]) -> bool:
    """Apply one recall or write-off in the caller's transaction; False if it was applied before.

    Every unsold place of the section leaves this terminal and its sales there are refused with the reason until a
    later grant. A recall journals an ``allocation.release`` carrying the recall id (even when nothing was unsold,
    so the central service can mark the recall done); the central service frees the places when it arrives. A
    write-off was freed centrally already: the entry journaled says what this terminal dropped.
    """
    conn = ctx.conn
    if store.stop_applied(conn, stop["id"]):
        return False
    eid, sid = stop["event_id"], stop["section_id"]
    if store.event_known(conn, eid):
        store.govern(conn, eid, ctx.now_iso())
        ctx.terminal["owns_inventory"] = 0
    took, seats = store.take_out_unsold(conn, eid, sid)
    # The stop itself rides along, so a terminal rebuilt from its journal records it as it was
    # (services/sync/replay.py).
    about = {k: stop[k] for k in ("pos", "kind", "reason", "by", "at", "event_id", "section_id")}
    if stop["kind"] == "recall":
        entry = ctx.journal(RELEASE_KIND, {"event_id": eid, "section_id": sid, "count": took, "seats": seats,
                                           "recall_id": stop["id"], "stop": about})
    else:
        entry = ctx.journal(WRITTEN_OFF_KIND, {"event_id": eid, "section_id": sid, "count": took, "seats": seats,
                                               "write_off_id": stop["id"], "stop": about})
    store.record_stop(conn, stop, took, seats, entry["id"], ctx.now_iso())
    return True


def pull_grants(ctx: Ctx, source: GrantSource, page: int = 500) -> dict[str, Any]:
    """Fetch and apply this terminal's new grants, recalls and write-offs in position order, page by page, each
    page in one transaction.

    A grant for an event whose catalogue has not arrived stops the pull before it (grants apply in order); the
    next sync, after the catalogue, carries on from there. A recall or write-off applies whether or not the event
    is here (there is then nothing to take out, and the stop waits for the catalogue).
    """
    applied = waiting = stops = 0
    while True:
        answer = source.allocations(store.last_pos(ctx.conn), page)
        errors = problems(answer, SCHEMA)
        if errors:
            raise BoxOfficeError("central_refused", _("the central service sent malformed grants; nothing was "
                                                      "changed here. First problem: {problem}").format(
                problem=errors[0]), errors=errors)
        moves = sorted([*({**g, "kind": "grant"} for g in answer["grants"]), *answer.get("stops", [])],
                       key=lambda m: m["pos"])
        stop = False
        with write(ctx.conn):
            for m in moves:
                if m["kind"] != "grant":
                    stops += apply_stop(ctx, m)
                    continue
                if not store.applied(ctx.conn, m["id"]) and not store.event_known(ctx.conn, m["event_id"]):
                    waiting = len(moves)
                    stop = True
                    break
                applied += apply_grant(ctx, m)
        if stop or not answer["more"] or not moves:
            return {"grants_applied": applied, "grants_waiting": waiting, "stops_applied": stops}


def release(ctx: Ctx, event_id: str, section_id: str, count: int = 0, seats: list[str] | None = None) -> Released:
    """Give unsold places back to the central service: out of this terminal's allocation now, freed centrally when
    the journal entry reaches it (`boxoffice sync`)."""
    ctx.require("pause")
    labels = sorted({s.strip().upper() for s in seats or [] if s.strip()})
    with write(ctx.conn):
        if not store.governed(ctx.conn, event_id):
            raise BoxOfficeError("bad_input", _("event {event!r} has no allocation from a central service here: "
                                                "nothing to give back").format(event=event_id))
        sec = store.section_row(ctx.conn, event_id, section_id)
        if sec is None:
            raise BoxOfficeError("not_found", _("event {event!r} has no section {section!r}").format(
                event=event_id, section=section_id))
        if sec["kind"] == "general":
            if labels or count <= 0:
                raise BoxOfficeError("bad_input", _("{section} is general admission: give --count N (N > 0)").format(
                    section=section_id))
            if not store.release_general(ctx.conn, event_id, section_id, count):
                left = sec["allocated"] - sec["sold"]
                raise BoxOfficeError("bad_input", _("only {left} unsold place(s) of {section} are held here; "
                                                    "give back {left} or fewer").format(left=left, section=section_id),
                                     available=left)
        else:
            if count or not labels:
                raise BoxOfficeError("bad_input", _("{section} has reserved seats: give --seats A1,A2,...").format(
                    section=section_id))
            ok = store.releasable_seats(ctx.conn, event_id, section_id, labels)
            missing = sorted(set(labels) - set(ok))
            if missing:
                raise BoxOfficeError("bad_input", _("seat {seat} is not held here unsold: only free seats of "
                                                    "this terminal's allocation can go back").format(seat=missing[0]))
            store.release_seats(ctx.conn, event_id, section_id, labels)
            count = len(labels)
        entry = ctx.journal(RELEASE_KIND, {"event_id": event_id, "section_id": section_id, "count": count,
                                           "seats": labels})
    return {"event_id": event_id, "section_id": section_id, "count": count, "seats": labels,
            "entry_id": entry["id"]}


def holdings(ctx: Ctx, event_id: str | None = None) -> list[Holding]:
    """What this terminal holds per section and how much of it is sold."""
    return cast(list[Holding], store.holdings(ctx.conn, event_id))
