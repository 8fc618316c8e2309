"""A sync round with the central service: push the journal, pull changes, resuming after any cut (enrolling first:
services/sync/enrollment.py; the pull: pull.py; `sync status`: status.py; flags and names: flags.py).

Push. Unpushed entries go oldest first in batches; a batch is marked pushed only after the central service has
answered for it, and the central service applies each entry once by id, so a batch sent twice (an answer lost on a
cut connection) doubles nothing and a batch never answered is simply sent again.

A round. Push what was waiting, then pull; between two pages of the pull, push what was sold meanwhile. `boxoffice
sync` pulls everything there was; a background round (`sync --watch`, ``max_pages=ROUND_PAGES``) at most a few
pages, so on a night when every counter sells flat out each round still ends within a bounded time and a sale
reaches the central service within about one page's work of being made, while the other terminals' sales may
arrive here later (they catch up when selling slows).

A sale never waits for sync: no transaction is open while a request is in flight, each write here is short, and
sync runs in its own process (`boxoffice sync --watch`) on its own connection to the WAL database.

The network is reached through a ``Transport`` (boxoffice/sync/client.py is the HTTP one), so this module holds the
rules and none of the wire.
"""

from __future__ import annotations

import math
from typing import Any, NotRequired, TypedDict, cast

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.services.privacy_feed import carry_out
from boxoffice.services.sync.enrollment import (  # noqa: F401 - enrolling lives there; callers import it from here too
    TAG_DRAWS,
    Enrolled,
    central_url,
    check_ca_bundle,
    connection,
    credentials,
    enroll,
)
from boxoffice.services.sync.enrollment import refuse_malformed as _refuse_malformed
from boxoffice.services.sync.flags import (  # noqa: F401 - callers import these from here too
    Conflict,
    conflicts,
    learn_names,
    terminal_name,
    terminal_names,
)
from boxoffice.services.sync.pull import PULL_PAGE, index_for_pickup, pull  # noqa: F401 - as above
from boxoffice.services.sync.shared_secret import learn_venue_secret
from boxoffice.services.sync.status import WARN_AFTER_MINUTES, SyncStatus, status  # noqa: F401 - as above
from boxoffice.services.sync.transport import Progress, Transport
from boxoffice.store import sync_state as state
from boxoffice.store.db import polling_for_lock, write
from boxoffice.wire import codec
from boxoffice.wire.limits import PUSH_MAX_BYTES

PUSH_BATCH = 500
ROUND_PAGES = 4  # pages of PULL_PAGE changes a background round applies at most before it ends
SLOW_EVERY = 10.0  # seconds between a background round's asks for grants and names (see _due)


class SyncResult(TypedDict):
    """One sync round (:func:`sync_once`): what was pushed and how the central service took it, what was pulled
    (by kind, parked until its event arrives), where the pull stopped (``caught_up`` False: a background round
    left pages for the next), what is still waiting here; with a central allocation, the grants applied and the
    top-ups asked for."""

    pushed: int
    applied: int
    duplicates: int
    conflicts: int
    pulled: int
    by_kind: dict[str, int]
    pages: int
    cursor: int
    head: int
    caught_up: bool
    new_conflicts: int
    parked: int
    index_seconds: float
    waiting: int
    grants_applied: NotRequired[int]
    grants_waiting: NotRequired[int]
    stops_applied: NotRequired[int]
    top_up_requests: NotRequired[int]
    top_up_granted: NotRequired[int]
    top_ups: NotRequired[list[dict[str, Any]]]


def _wire(e: dict[str, Any]) -> dict[str, Any]:
    return {k: e[k] for k in ("id", "terminal_id", "seq", "kind", "operator_id", "at", "payload", "prev_hash",
                              "hash")}


def _fit(entries: list[dict[str, Any]], most: int | None = None) -> list[dict[str, Any]]:
    """The leading entries whose push body stays within the central service's cap (wire/limits.py): a batch of
    large entries is cut short and the rest go in the next one. The first entry always goes (one entry's payload
    is at most 1 MB, well under the cap)."""
    most = most or PUSH_MAX_BYTES
    size = len(b'{"entries":[]}')
    for n, entry in enumerate(entries):
        size += len(codec.dumps_bytes(_wire(entry))) + 1
        if size > most and n:
            return entries[:n]
    return entries


def push(ctx: Ctx, transport: Transport, batch: int = PUSH_BATCH, progress: Progress | None = None, *,
         checkpoint: bool = True) -> dict[str, Any]:
    """Send every entry that was unpushed when the push began, oldest first; mark each batch pushed once the
    central service has answered; then (``checkpoint``) send the signed checkpoint of the last one.

    Entries journaled during the push wait for the next round: on a busy counter new sales keep arriving, and a push
    that chased them would never reach the pull, so the other terminals' sales would arrive later and later.
    While one batch is out, the next is read from the database, so the terminal's share of the work hides behind
    the central service's. Only the reading runs ahead: marking waits for the answer, in order.
    """
    from concurrent.futures import ThreadPoolExecutor

    upto = state.last_seq(ctx.conn)
    total = state.pending_count(ctx.conn)
    done = applied = duplicates = 0
    flagged: list[dict[str, Any]] = []
    entries = _fit(state.pending_batch(ctx.conn, 0, batch, upto))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-push") as pool:
        while entries:
            request = pool.submit(transport.push, [_wire(e) for e in entries])
            following = _fit(state.pending_batch(ctx.conn, entries[-1]["seq"], batch, upto))
            answer = request.result()
            _refuse_malformed(answer, "sync-push-response.schema.json", N_("push answer"))
            with write(ctx.conn):
                state.mark_pushed(ctx.conn, entries[0]["seq"], entries[-1]["seq"], ctx.now_iso())
                state.record(ctx.conn, last_push_at=ctx.now_iso())
            applied += answer["applied"]
            duplicates += answer["duplicates"]
            flagged += answer["conflicts"]
            done += len(entries)
            if progress:
                progress("push", done, max(total, done))
            entries = following
    if checkpoint and hasattr(transport, "checkpoint"):
        _push_checkpoint(ctx, transport, upto)
    return {"pushed": done, "applied": applied, "duplicates": duplicates, "conflicts": flagged}


def _push_checkpoint(ctx: Ctx, transport: Any, upto: int) -> None:
    """Sign the last entry pushed (services/checkpoints.py) and send it: the central service keeps it and refuses
    (``journal_rewritten``) the next sync of a journal that no longer contains the one it holds."""
    from boxoffice.services import checkpoints

    if not upto:
        return
    with write(ctx.conn):
        cp = checkpoints.sign(ctx, "sync", upto=upto)
    if cp is None or cp.get("pushed_at"):
        return
    transport.checkpoint(checkpoints.for_push(cp))
    with write(ctx.conn):
        checkpoints.mark_pushed(ctx, cp["id"])


def sync_once(ctx: Ctx, transport: Transport, *, batch: int = PUSH_BATCH, page_size: int | None = None,
              max_pages: int | None = None, progress: Progress | None = None) -> SyncResult:
    """Push, then pull (pushing again between two pages when sales were made meanwhile): every change there was
    on the central service, or with ``max_pages`` at most that many pages (a background round: ROUND_PAGES).

    Its write locks are taken by trying every millisecond (store.db.polling_for_lock): each of its transactions is
    short, and beside a counter selling back to back SQLite's own back-off kept it waiting seconds for each.
    A failure is recorded (for `sync status`) and raised; what was done before it stays done."""
    with polling_for_lock(ctx.conn):
        return _round(ctx, transport, batch, page_size, max_pages, progress)


def _round(ctx: Ctx, transport: Transport, batch: int, page_size: int | None, max_pages: int | None,
           progress: Progress | None) -> SyncResult:
    from boxoffice.store import recovery as recovery_store

    ctx.cache.pop("public_keys", None)
    credentials(ctx)
    pending = recovery_store.state(ctx.conn)
    if pending is not None:  # a push or pull now would build on what the copy put back lacks
        raise BoxOfficeError("recovery_needed", _(pending[1]))  # domain.recovery.MESSAGES, stored in English
    attempt = ctx.now_iso()  # recorded with the outcome: one write lock fewer a round on a busy counter
    _journal_alerts(ctx)
    try:
        # past its journal share a push is held back, not failed: the round still pulls (revocations, pauses)
        pushed = _push_or_diverged(ctx, transport, batch, progress)
        between = _Between(ctx, transport, batch, pushed)
        pulled = pull(ctx, transport, page_size, progress, max_pages=max_pages, between=between)
        between.checkpoint()
        # after the pull: a grant needs its event's catalogue here
        if hasattr(transport, "allocations") and _due(ctx, "allocations", max_pages):
            pulled.update(allocation_round(ctx, transport))
            if pulled["stops_applied"]:  # a recall's release entry: central frees the places once it has it
                _add(pushed, _push_or_diverged(ctx, transport, batch, progress))
        if carry_out(ctx):  # purges the central admin ordered: their entries go up now
            _add(pushed, _push_or_diverged(ctx, transport, batch, progress))
        if pushed.get("held_back") is not None:
            raise pushed["held_back"]
    except BoxOfficeError as exc:
        with write(ctx.conn):
            state.record(ctx.conn, last_attempt_at=attempt, last_error=f"{exc.code}: {exc.message}")
        raise
    if _due(ctx, "names", max_pages):
        learn_names(ctx, transport)
    learn_venue_secret(ctx, transport)
    with write(ctx.conn):
        state.record(ctx.conn, last_attempt_at=attempt, last_good_sync=ctx.now_iso(), last_error=None)
    return cast(SyncResult, {**pushed, **pulled, "waiting": state.pending_count(ctx.conn)})


def _due(ctx: Ctx, what: str, max_pages: int | None) -> bool:
    """Whether a round asks for grants (and recalls, top-ups) or the terminals' names: every round of `boxoffice
    sync`; in background rounds at most every SLOW_EVERY seconds, as they change seldom and every request a
    round makes is one more that each terminal's sales wait behind on a busy night."""
    if max_pages is None:
        return True
    import time

    last = ctx.cache.get(f"sync_{what}_at")
    now = time.monotonic()
    if last is not None and now - last < SLOW_EVERY:
        return False
    ctx.cache[f"sync_{what}_at"] = now
    return True


def _add(pushed: dict[str, Any], more: dict[str, Any]) -> None:
    if more.get("held_back") is not None:
        pushed["held_back"] = more["held_back"]
    for k in ("pushed", "applied", "duplicates", "conflicts"):
        pushed[k] += more[k]


class _Between:
    """What a round does between two pages of its pull: push the entries journaled meanwhile (a counter that
    keeps selling while a long pull is applied), without their checkpoint: one is sent when the pull is done."""

    def __init__(self, ctx: Ctx, transport: Transport, batch: int, pushed: dict[str, Any]) -> None:
        self.ctx, self.transport, self.batch, self.pushed = ctx, transport, batch, pushed
        self.upto = 0

    def __call__(self) -> None:
        if not state.pending_count(self.ctx.conn):
            return
        upto = state.last_seq(self.ctx.conn)
        more = _push_or_diverged(self.ctx, self.transport, self.batch, None, checkpoint=False)
        _add(self.pushed, more)
        if more.get("held_back") is None:
            self.upto = upto

    def checkpoint(self) -> None:
        if self.upto and hasattr(self.transport, "checkpoint"):
            try:  # charged against the journal share too: past it, held back like a push
                _push_checkpoint(self.ctx, self.transport, self.upto)
            except BoxOfficeError as exc:
                held = _quota_spent(self.ctx, exc)
                if held is None:
                    raise
                self.pushed["held_back"] = held["held_back"]


QUOTA_UNTIL = "sync_journal_quota_until"  # ctx.cache: until when (time.time()) pushes are held back


def _held_back(until: float) -> dict[str, Any]:
    """A push the central service will not take before ``until`` (wall clock: its journal share of the hour is
    spent): nothing sent, and the error the round ends with once it has pulled. Without a Retry-After of its own:
    `sync --watch` goes on pulling at its usual pace (services/sync/watch.py)."""
    import time

    minutes = max(1, math.ceil((until - time.time()) / 60))
    error = BoxOfficeError("central_rate_limited", _(
        "the central service takes no more of this terminal's journal for about {minutes} min (journal_quota): "
        "its entries wait here, nothing is lost and sales go on. If this terminal did not sell that much, tell the "
        "central admin").format(minutes=minutes), central_code="journal_quota")
    return {"pushed": 0, "applied": 0, "duplicates": 0, "conflicts": [], "held_back": error}


def _quota_spent(ctx: Ctx, exc: BoxOfficeError) -> dict[str, Any] | None:
    """When ``exc`` is the central service refusing this terminal's journal past its share of the hour: pushes held
    back until the time it gave (by the wall clock: a laptop asleep meanwhile counts), and the held-back result."""
    if exc.details.get("central_code") != "journal_quota":
        return None
    import time

    ctx.cache[QUOTA_UNTIL] = time.time() + float(exc.details.get("retry_after") or 60)
    return _held_back(ctx.cache[QUOTA_UNTIL])


def _push_or_diverged(ctx: Ctx, transport: Transport, batch: int, progress: Progress | None, *,
                      checkpoint: bool = True) -> dict[str, Any]:
    """Push; when the central service holds other entries under this terminal's numbers (its database was put back
    from an older file and used), stop the terminal until `boxoffice sync recover` has run."""
    import time

    until = ctx.cache.get(QUOTA_UNTIL)
    if until is not None and time.time() < until:  # not the same 8 MB sent again every round meanwhile
        return _held_back(until)
    try:
        return push(ctx, transport, batch, progress, checkpoint=checkpoint)
    except BoxOfficeError as exc:
        held = _quota_spent(ctx, exc)
        if held is not None:
            return held
        if exc.details.get("central_code") != "journal_diverged":
            raise
        from boxoffice.services.recovery_state import mark_diverged

        row = mark_diverged(ctx)
        raise BoxOfficeError("recovery_needed", _(row["message"]), central_code="journal_diverged") from None


def allocation_round(ctx: Ctx, transport: Any) -> dict[str, Any]:
    """Pull grants, recalls and write-offs; ask for more where this terminal runs low; pull what that granted."""
    from boxoffice.services.allocation_topup import top_up
    from boxoffice.services.allocations import pull_grants

    out = pull_grants(ctx, transport)
    if hasattr(transport, "top_up"):
        out.update(top_up(ctx, transport))
        if out["top_up_granted"]:
            more = pull_grants(ctx, transport)
            out["grants_applied"] += more["grants_applied"]
            out["grants_waiting"] = more["grants_waiting"]
            out["stops_applied"] += more["stops_applied"]
    return out


def _journal_alerts(ctx: Ctx) -> None:
    """Journal the alerts raised or cleared here since the last look, so this push takes them to the central service.

    An alert check that fails (a threshold mistyped in the config, say) must not stop the sync: `boxoffice alerts`
    shows that error where it can be fixed.
    """
    import contextlib

    from boxoffice.services.alerts import check_and_journal

    with contextlib.suppress(BoxOfficeError):
        check_and_journal(ctx)
