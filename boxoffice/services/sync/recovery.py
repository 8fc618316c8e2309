"""Recovering a terminal put back from an older copy of its database, from what the central service holds.

How a terminal comes to need it, and what happens at once:

- ``boxoffice restore`` of a backup older than the live database (services/backup.py), or a database found opened
  behind its marks file (copied back by hand: ``check_marks``, at every open). ``begin`` then, in one transaction,
  writes a ``restore`` entry numbered after the last entry the terminal is known to have made and chained to it
  (its number and hash come from the live database, the marks file or the central service), declaring the entries
  the copy lacks as a gap (domain.chain.declared_gap); moves order numbers past every one that may have been used;
  takes the central service's unsold places out of sale (held at zero: places sold since the copy are not sold
  again); and records the recovery row, which stops every action that changes a sale, a ticket or the cash
  (domain.recovery) until the recovery has run. With ``restore --accept-loss`` the terminal works on meanwhile
  ('gap'), still with those places held.
- The central service refusing a push with ``journal_diverged`` (the database was copied back and used before it
  could tell): ``mark_diverged`` records the recovery row; no entry is written.

``recover`` (`boxoffice sync recover`) then:

1. reads back this terminal's entries from the central service (``GET /v1/journal``) after the last one both
   certainly share, checks every one against the schema, its own hash and the chain (each follows the one before
   it, the first follows the entry here; a gap only where a restore entry declares it), and classifies each: here
   already (marked pushed), missing here (replayed), or a different entry under the same number (the local one is
   then an orphan: made on the copy after it was put back). Any mismatch: ``chain_mismatch``, nothing changed;
2. puts back the held allocations and moves orphans after the central service's last entry (same ids and
   payloads, renumbered and chained anew: nothing sold is dropped), in one transaction;
3. pulls the change feed (catalogues, web orders, other terminals' work) so what the entries refer to is here;
   the journal entries that pull would write are the ones being replayed, so none are written;
4. applies the grants the terminal had applied (grants are not journalled: pulled by position, each once by id),
   up to the first recall or write-off it never answered; the recalls it answered are recorded with their entry;
5. replays the missing entries in order (services/replay.py), a page per transaction (a cut resumes: an entry here
   is never replayed twice);
6. clears the recovery row and journals a ``recover`` entry with what came back, what could not be rebuilt, the
   clashes (order codes, seats) and the entries lost for good (those the central service never received), and
   raises local flags for a supervisor; then syncs as `boxoffice sync` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, cast

from boxoffice.domain import recovery as rules
from boxoffice.domain.chain import GENESIS, declared_gap, entry_hash
from boxoffice.domain.ids import uuid7
from boxoffice.domain.privacy import vouched
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.services.recovery_state import (
    PAGE,
    JournalSource,
    _refuse_malformed,
)
from boxoffice.store import allocations as alloc_store
from boxoffice.store import recovery as store
from boxoffice.store import sync_state
from boxoffice.store.db import write
from boxoffice.wire.messages import problems

if TYPE_CHECKING:
    from boxoffice.services.sync.rounds import SyncResult

Progress = Callable[[str, int, int], None]


class Recovered(TypedDict):
    """A recovery done (:func:`recover`): entries replayed (by kind) or already here, those put back after the
    central service's own, what could not be rebuilt and what clashed, a span of entries lost for good, what was
    pulled and granted, the terminal's holdings now, and the closing sync (or why it failed: the recovery stands)."""

    replayed: int
    by_kind: dict[str, int]
    already_here: int
    reappended: list[dict[str, Any]]
    not_rebuilt: list[dict[str, Any]]
    clashes: list[dict[str, Any]]
    lost: dict[str, int] | None
    pulled: int
    grants_applied: int
    central_head: int
    was: str | None
    holdings: list[dict[str, Any]]
    sync: NotRequired[SyncResult]
    sync_error: NotRequired[dict[str, str]]


# --- recover --------------------------------------------------------------------------------------------------


class _Plan:
    """What the central service's copy says, checked: entries to replay, entries here it has, orphans here."""

    def __init__(self) -> None:
        self.replay: list[dict[str, Any]] = []
        self.agree: list[int] = []
        self.diverged_at: int | None = None
        self.last: tuple[int, str] = (0, GENESIS)
        self.head: dict[str, Any] = {"seq": 0, "hash": GENESIS, "order_seq": None}


def _mismatch(what: str) -> BoxOfficeError:
    return BoxOfficeError("chain_mismatch", _("the central service's copy of this terminal's journal {what}: nothing "
                                              "was changed here; keep this database and ask the central admin").format(
        what=what))


def _start(ctx: Ctx) -> int:
    """The entry after which this terminal and the central service may differ: the end of the run of entries
    from 1 that are all here, or before the first entry never acknowledged, whichever is earlier."""
    end = store.contiguous_end(ctx.conn)
    first = ctx.conn.execute("SELECT min(seq) FROM journal WHERE pushed_at IS NULL").fetchone()[0]
    return min(end, first - 1) if first is not None else end


def plan(ctx: Ctx, source: JournalSource, progress: Progress | None = None, page: int = PAGE) -> _Plan:
    """Read back and check (module docstring, step 1); nothing is written."""
    tid = ctx.terminal["id"]
    out = _Plan()
    after = start = _start(ctx)
    base = store.entry_at(ctx.conn, after) if after else None
    out.last = (after, base["hash"] if base else GENESIS)
    expected_seq, prev = after + 1, out.last[1]
    # Entries a privacy purge erased no longer match their hash; each must be vouched for by a later privacy.purge
    # entry of the same chain (domain/privacy.py): id -> (seq, hash as it is now), until one does.
    erased: dict[str, tuple[int, str]] = {}
    while True:
        answer = source.journal(after, page)
        _refuse_malformed(answer)
        out.head = answer["head"]
        entries = answer["entries"]
        if not entries:
            break
        here = store.ids_between(ctx.conn, entries[0]["seq"], entries[-1]["seq"])
        for e in entries:
            if e["terminal_id"] != tid:
                raise _mismatch(_("holds entry {seq} of another terminal").format(seq=e["seq"]))
            if e["seq"] < expected_seq:
                raise _mismatch(_("sent entry {seq} out of order").format(seq=e["seq"]))
            now_hash = entry_hash(e["prev_hash"], id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"],
                                  kind=e["kind"], operator_id=e["operator_id"], at=e["at"], payload=e["payload"])
            if now_hash != e["hash"]:
                erased[e["id"]] = (e["seq"], now_hash)  # a privacy purge's later entry must vouch for it
            for eid, h in vouched([e]).items():
                if eid in erased and erased[eid][1] == h:
                    del erased[eid]
            gap = declared_gap(e)
            if e["seq"] > expected_seq and not (gap is not None and gap[0] <= expected_seq - 1):
                raise _mismatch(_("jumps from entry {before} to {seq} with no restore declaring it").format(
                    before=expected_seq - 1, seq=e["seq"]))
            if e["seq"] == expected_seq and e["prev_hash"] != prev:
                raise _mismatch((_("has an entry {seq} that does not follow entry {before} (here)")
                                 if e["seq"] - 1 == after else
                                 _("has an entry {seq} that does not follow entry {before} (there)")).format(
                    seq=e["seq"], before=e["seq"] - 1))
            local = here.get(e["seq"])
            if local is None:
                out.replay.append(e)
            elif local == e["id"]:
                mine = store.entry_at(ctx.conn, e["seq"])
                if mine is None or mine["hash"] != e["hash"]:
                    raise _mismatch(_("has entry {seq} with the same id as here but other contents").format(
                        seq=e["seq"]))
                out.agree.append(e["seq"])
            else:
                out.diverged_at = out.diverged_at or e["seq"]
                out.replay.append(e)
            expected_seq, prev = e["seq"] + 1, e["hash"]
        out.last = (entries[-1]["seq"], entries[-1]["hash"])
        after = entries[-1]["seq"]
        if progress:
            progress("fetch", after - start, max(out.head["seq"] - start, after - start))
        if not answer["more"]:
            break
    if erased:
        raise _mismatch(_("has entry {seq} whose contents do not match its hash").format(
            seq=min(v[0] for v in erased.values())))
    if out.head["seq"] > out.last[0]:
        raise _mismatch(_("stopped at entry {seq} before its head, entry {head}").format(
            seq=out.last[0], head=out.head["seq"]))
    if out.head["seq"] == out.last[0] and out.head["hash"] != out.last[1]:
        raise _mismatch(_("ends at an entry {seq} that is not the head it reports (changed on the way?)").format(
            seq=out.last[0]))
    if out.diverged_at is None:
        _check_local_tail(ctx, out)
    return out


def _check_local_tail(ctx: Ctx, out: _Plan) -> None:
    """The first entry here after the central service's last must follow it (or declare the gap before it)."""
    nxt = ctx.conn.execute("SELECT * FROM journal WHERE seq > ? ORDER BY seq LIMIT 1", (out.last[0],)).fetchone()
    if nxt is None:
        return
    nxt = dict(nxt)
    if nxt["seq"] == out.last[0] + 1:
        if nxt["prev_hash"] != out.last[1]:
            raise _mismatch(_("ends at entry {seq}, which is not the entry this terminal's entry {next} "
                              "was written after").format(seq=out.last[0], next=nxt["seq"]))
        return
    gap = declared_gap(nxt)
    if gap is None or gap[0] > out.last[0]:
        raise _mismatch(_("ends at entry {seq} while this terminal's next entry is {next}, with no "
                          "restore declaring the entries between").format(seq=out.last[0], next=nxt["seq"]))


def _orphans(ctx: Ctx, out: _Plan) -> list[dict[str, Any]]:
    """Entries here from the first number the central service holds another entry under: made on the copy."""
    if out.diverged_at is None:
        return []
    return store.entries_from(ctx.conn, out.diverged_at)


def _reappend(ctx: Ctx, orphans: list[dict[str, Any]], after: tuple[int, str]) -> list[dict[str, Any]]:
    """Take the orphans out and put them back after ``after`` (seq, hash), renumbered and chained anew.

    The checkpoints the copy signed over them go (services/checkpoints.py): they name numbers the entries no longer
    have, and the ``recover`` entry records each move; the sync that ends the recovery signs the new head."""
    from boxoffice.services.checkpoints import retire_from

    store.delete_entries(ctx.conn, [o["seq"] for o in orphans])
    retire_from(ctx, min(o["seq"] for o in orphans))
    seq, prev = after
    moved = []
    for o in orphans:
        seq += 1
        new = {**o, "seq": seq, "prev_hash": prev}
        new["hash"] = entry_hash(prev, id=o["id"], seq=seq, terminal_id=o["terminal_id"], kind=o["kind"],
                                 operator_id=o["operator_id"], at=o["at"], payload=o["payload"])
        store.insert_entry(ctx.conn, new, None)
        moved.append({"id": o["id"], "kind": o["kind"], "was": o["seq"], "now": seq})
        prev = new["hash"]
    return moved


def _answered_stops(entries: list[dict[str, Any]]) -> set[str]:
    """Recalls and write-offs the entries being replayed answered."""
    out = set()
    for e in entries:
        if e["kind"] in ("allocation.release", "allocation.written_off"):
            try:
                p = json.loads(e["payload"])
            except ValueError:
                continue
            stop = p.get("recall_id") or p.get("write_off_id") if isinstance(p, dict) else None
            if isinstance(stop, str):
                out.add(stop)
    return out


def _grants(ctx: Ctx, source: Any, answered: set[str]) -> tuple[int, dict[str, dict[str, Any]]]:
    """Apply the grants the terminal had applied (module docstring, step 4); (grants applied, stops answered)."""
    from boxoffice.services.allocations import SCHEMA, apply_grant

    if not hasattr(source, "allocations"):
        return 0, {}
    applied, stops = 0, {}  # type: tuple[int, dict[str, dict[str, Any]]]
    after = alloc_store.last_pos(ctx.conn)
    while True:
        answer = source.allocations(after, 500)
        errors = problems(answer, SCHEMA)
        if errors:
            raise BoxOfficeError("central_refused", _("the central service sent malformed grants; nothing was "
                                                      "changed here. First problem: {problem}").format(
                problem=errors[0]), errors=errors)
        moves = sorted([*({**g, "kind": "grant"} for g in answer["grants"]), *answer.get("stops", [])],
                       key=lambda m: m["pos"])
        with write(ctx.conn):
            for m in moves:
                if m["kind"] != "grant":
                    if alloc_store.stop_applied(ctx.conn, m["id"]):
                        continue
                    if m["id"] not in answered:
                        return applied, stops  # never applied here: the sync after the recovery applies it
                    stops[m["id"]] = m
                    continue
                if not alloc_store.applied(ctx.conn, m["id"]) and not alloc_store.event_known(ctx.conn,
                                                                                            m["event_id"]):
                    return applied, stops
                applied += apply_grant(ctx, m)
        if not answer["more"] or not moves:
            return applied, stops
        after = moves[-1]["pos"]


def _flag_locally(ctx: Ctx, clashes: list[dict[str, Any]], moved: list[dict[str, Any]], now: str) -> None:
    """Flags for a supervisor here (`boxoffice sync conflicts`): the central service raises its own when the
    entries reach it."""
    tid = ctx.terminal["id"]
    for c in clashes:
        subject = c.get("code") or c.get("seat") or c.get("section") or ""
        sync_state.add_conflict(ctx.conn, {
            "id": uuid7(), "kind": c["kind"], "subject": f"{subject} (entry {c['seq']})",
            "order_id": c.get("order_id"), "ticket_id": c.get("ticket_id"),
            "first": {"terminal_id": tid, "at": now}, "second": {"terminal_id": tid, "at": now},
            "rule": "recovered from the central service's copy of this terminal's journal; both sales are kept",
            "at": now}, now)
    if moved:
        sync_state.add_conflict(ctx.conn, {
            "id": uuid7(), "kind": "reappended_after_restore",
            "subject": f"{len(moved)} entr{'y' if len(moved) == 1 else 'ies'} made on a copy put back "
                       f"(numbers {moved[0]['was']}-{moved[-1]['was']}) now {moved[0]['now']}-{moved[-1]['now']}",
            "order_id": None, "ticket_id": None, "first": {"terminal_id": tid, "at": now},
            "second": {"terminal_id": tid, "at": now},
            "rule": "entries made after a database was copied back are kept, after the central service's own",
            "at": now}, now)


def recover(ctx: Ctx, source: Any, progress: Progress | None = None, page: int = PAGE,
            then_sync: bool = True) -> Recovered:
    """Bring back from the central service what this terminal's database lacks (module docstring); then sync.

    ``source`` is the central client (boxoffice/sync/client.py): ``journal``, and for the pull, grants and the
    closing sync ``changes``, ``allocations``, ``push``, ``top_up``.
    """
    from boxoffice.services.sync.replay import Replayer
    from boxoffice.services.sync.rounds import credentials, index_for_pickup, pull, sync_once

    credentials(ctx)
    row = store.get(ctx.conn)
    checked = plan(ctx, source, progress, page)
    orphans = _orphans(ctx, checked)
    now = ctx.now_iso()
    with write(ctx.conn):  # step 2: from here to the end the terminal stays stopped, even after --accept-loss
        if row is not None:
            store.put(ctx.conn, {**row, "state": rules.NEEDED, "held": None})
            if row["held"]:
                store.unhold_central_allocations(ctx.conn, row["held"])
        store.mark_pushed(ctx.conn, checked.agree, now)
        moved = _reappend(ctx, orphans, checked.last) if orphans else []
    ctx.journal_sink = []
    try:
        pulled = pull(ctx, source, progress=progress)  # step 3
        sunk = list(ctx.journal_sink)
    finally:
        ctx.journal_sink = None
    granted, stops = _grants(ctx, source, _answered_stops(checked.replay))  # step 4
    replayer = Replayer(ctx, stops, kept=row["kept"] if row is not None else None)
    todo = sorted(checked.replay, key=lambda e: e["seq"])
    for i in range(0, len(todo), page):  # step 5
        with write(ctx.conn):
            for e in todo[i:i + page]:
                replayer.apply(e, now)
        if progress:
            progress("replay", min(i + page, len(todo)), len(todo))
    lost = None
    if row is not None and checked.head["seq"] < row["marks_seq"] and row["restore_seq"]:
        lost = {"from": max(checked.head["seq"], row["backup_seq"]) + 1, "to": row["marks_seq"]}
    report = {"replayed": len(todo), "by_kind": dict(replayer.counts), "already_here": len(checked.agree),
              "reappended": moved, "not_rebuilt": replayer.notes, "clashes": replayer.clashes, "lost": lost,
              "pulled": pulled["pulled"], "grants_applied": granted, "central_head": checked.head["seq"],
              "was": row["source"] if row else None}
    with write(ctx.conn):  # step 6
        if checked.head.get("order_seq") is not None:
            store.raise_next_order_seq(ctx.conn, checked.head["order_seq"] + 1)
        if row is not None:
            store.raise_next_order_seq(ctx.conn, row["next_order_seq"])
        store.clear(ctx.conn)
        _flag_locally(ctx, replayer.clashes, moved, now)
        for s in sunk:  # catalogues the pull brought that the replayed entries had not: recorded as a pull would
            if s["kind"] == "catalog.import" and str(s["payload"].get("sha256")) in replayer.catalogs:
                continue
            ctx.journal(s["kind"], s["payload"], operator_id=s["operator_id"])
        if row is not None or todo or moved:
            ctx.journal("recover", {k: report[k] for k in ("replayed", "by_kind", "already_here", "not_rebuilt",
                                                           "clashes", "lost", "central_head", "was")}
                        | {"reappended": [{k: m[k] for k in ("id", "was", "now")} for m in moved]})
    ctx.terminal["next_order_seq"] = store.next_order_seq(ctx.conn)
    index_for_pickup(ctx)
    report["holdings"] = store.holdings(ctx.conn)
    if then_sync:
        try:
            report["sync"] = sync_once(ctx, source)
        except BoxOfficeError as exc:  # the recovery stands; `boxoffice sync` carries on from here
            report["sync_error"] = {"code": exc.code, "message": exc.message}
    return cast(Recovered, report)
