"""Sync with the central service: push the journal and pull changes, resuming after any cut (enrolling first:
services/sync/enrollment.py).

Push. Unpushed entries go oldest first in batches; a batch is marked pushed only after the central service has
answered for it, and the central service applies each entry once by id, so a batch sent twice (an answer lost on a
cut connection) doubles nothing and a batch never answered is simply sent again.

Pull. Pages of changes after the stored cursor; each page is checked against its schema whole and its catalogue,
key and revocation changes against the central key pinned at enrollment (services/sync/feed_check.py), then applied
and the cursor moved in one transaction. A cut between two pages resumes at the next; a malformed or wrongly signed
page changes nothing.

A sale never waits for sync: no transaction is open while a request is in flight, each write here is short, and
sync runs in its own process (`boxoffice sync --watch`) on its own connection to the WAL database.

The network is reached through a ``Transport`` (boxoffice/sync/client.py is the HTTP one), so this module holds the
rules and none of the wire.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NotRequired, Protocol, TypedDict, cast

from boxoffice.domain.clock import parse_iso
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _, ngettext
from boxoffice.services.context import Ctx
from boxoffice.services.privacy_feed import carry_out
from boxoffice.services.sync.enrollment import (  # noqa: F401 - enrolling lives there; callers import it from here too
    TAG_DRAWS,
    Enrolled,
    central_url,
    connection,
    credentials,
    enroll,
)
from boxoffice.services.sync.enrollment import refuse_malformed as _refuse_malformed
from boxoffice.services.sync.shared_secret import learn_venue_secret
from boxoffice.store import sync_state as state
from boxoffice.store.db import write
from boxoffice.wire import codec
from boxoffice.wire.limits import PUSH_MAX_BYTES

PUSH_BATCH = 500
PULL_PAGE = 500
WARN_AFTER_MINUTES = 15.0


class SyncResult(TypedDict):
    """One sync round (:func:`sync_once`): what was pushed and how the central service took it, what was pulled
    (by kind, parked until its event arrives), what is still waiting here; with a central allocation, the grants
    applied and the top-ups asked for."""

    pushed: int
    applied: int
    duplicates: int
    conflicts: int
    pulled: int
    by_kind: dict[str, int]
    pages: int
    cursor: int
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


class Conflict(TypedDict):
    """A flag about this terminal's actions (:func:`conflicts`): what clashed (``kind``, ``subject``, the order and
    ticket), the two terminals by id and by name, when, the rule that decided, and when it was seen here."""

    id: str
    kind: str
    subject: str
    order_id: str | None
    ticket_id: str | None
    first_terminal: str
    first_at: str
    second_terminal: str
    second_at: str
    rule: str
    flagged_at: str
    received_at: str
    seen_at: str | None
    order_code: str | None
    first_name: str
    second_name: str


class SyncStatus(TypedDict):
    """Where sync stands (:func:`status`), with a plain ``warning`` when it matters; the rest only once enrolled."""

    enrolled: bool
    entries_waiting: int
    warning: str | None
    recovery: dict[str, Any] | None
    central_url: NotRequired[str | None]
    enrolled_at: NotRequired[str]
    last_good_sync: NotRequired[str | None]
    seconds_since_good_sync: NotRequired[float | None]
    last_attempt_at: NotRequired[str | None]
    last_error: NotRequired[str | None]
    last_pull_at: NotRequired[str | None]
    newest_data_at: NotRequired[str | None]
    newest_data_age_seconds: NotRequired[float | None]
    oldest_waiting_at: NotRequired[str | None]
    cursor: NotRequired[int]
    head: NotRequired[int]
    conflicts_unseen: NotRequired[int]
    parked: NotRequired[int]
    revoked_terminals: NotRequired[list[str]]
    central_key_id: NotRequired[str | None]
    insecure: NotRequired[bool]
    ca_bundle: NotRequired[str | None]
    warn_after_minutes: NotRequired[float]

Progress = Callable[[str, int, int], None]  # (phase 'push' | 'pull' | 'fetch' | 'replay', done, total expected)


class Transport(Protocol):
    """What sync needs of the network. Methods raise BoxOfficeError (central_unreachable, central_refused)."""

    def push(self, entries: list[dict[str, Any]]) -> Any: ...

    def changes(self, after: int, limit: int) -> Any: ...


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


def push(ctx: Ctx, transport: Transport, batch: int = PUSH_BATCH, progress: Progress | None = None) -> dict[str, Any]:
    """Send every entry that was unpushed when the push began, oldest first; mark each batch pushed once the
    central service has answered.

    Entries journaled during the push wait for the next round: on a busy counter new sales keep arriving, and a push
    that chased them would never reach the pull, so the other terminals' sales would arrive later and later.
    While one batch is out, the next is read from the database, so the terminal's share of the work hides behind
    the central service's. Only the reading runs ahead: marking waits for the answer, in order.
    """
    from concurrent.futures import ThreadPoolExecutor

    upto = state.last_seq(ctx.conn)
    total = state.pending_count(ctx.conn)
    done = applied = duplicates = 0
    conflicts: list[dict[str, Any]] = []
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
            conflicts += answer["conflicts"]
            done += len(entries)
            if progress:
                progress("push", done, max(total, done))
            entries = following
    if hasattr(transport, "checkpoint"):
        _push_checkpoint(ctx, transport, upto)
    return {"pushed": done, "applied": applied, "duplicates": duplicates, "conflicts": conflicts}


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


def _check_page(page: dict[str, Any], cursor: int) -> None:
    """Beyond the schema: positions only move forward, within what the page says it covers."""
    last = cursor
    for c in page["changes"]:
        if c["cursor"] <= last:
            raise BoxOfficeError("central_refused", _("the central service sent change {cursor} after {last}: "
                                                      "out of order; nothing was changed here").format(
                cursor=c["cursor"], last=last))
        last = c["cursor"]
    if page["cursor"] < last or page["cursor"] < cursor or page["head"] < page["cursor"]:
        raise BoxOfficeError("central_refused", _("the central service sent a cursor that goes backwards or past its "
                                                  "head; nothing was changed here"))


def pull(ctx: Ctx, transport: Transport, page_size: int = PULL_PAGE,
         progress: Progress | None = None) -> dict[str, Any]:
    """Apply pages of changes until there are no more; each page and its cursor commit together."""
    from boxoffice.services.sync.apply import Inbox, retry_parked
    from boxoffice.services.sync.feed_check import check_page, pinned_key

    row = state.get(ctx.conn)
    assert row is not None
    pin = state.central_key(ctx.conn)
    pinned_key(pin)  # a terminal with no pin cannot check the feed: refused before asking (enroll_again)
    cursor, start = row["cursor"], row["cursor"]
    counts: dict[str, int] = {}
    conflicts: list[dict[str, Any]] = []
    pages = 0
    index_seconds = 0.0
    while True:
        page = transport.changes(cursor, page_size)
        _refuse_malformed(page, "sync-changes.schema.json", N_("page of changes"))
        _check_page(page, cursor)
        check_page(page, pin, ctx.terminal["id"])  # catalogue, keys, revocations: signed by the pinned key
        now = ctx.now_iso()
        box = Inbox(ctx, now)
        with write(ctx.conn):
            for change in page["changes"]:
                box.apply(change)
            box.finish()
            if box.catalog_applied and state.parked_count(ctx.conn):
                retry_parked(ctx, now)
            newest = page["changes"][-1]["at"] if page["changes"] else None
            state.advance(ctx.conn, page["cursor"], page["head"], newest, now)
        if box.counts["order"] or box.counts["web_order"]:
            started = time.perf_counter()
            index_for_pickup(ctx)  # page by page: the index's work (and memory) stays one page's worth
            index_seconds += time.perf_counter() - started
        for k, v in box.counts.items():
            counts[k] = counts.get(k, 0) + v
        conflicts += box.new_conflicts
        cursor = page["cursor"]
        pages += 1
        if progress:
            progress("pull", cursor - start, max(page["head"] - start, cursor - start))
        if not page["more"]:
            break
    if state.parked_count(ctx.conn):
        with write(ctx.conn):
            retry_parked(ctx, ctx.now_iso())
    return {"pulled": sum(v for k, v in counts.items() if k != "parked"), "by_kind": counts, "pages": pages,
            "cursor": cursor, "new_conflicts": conflicts, "parked": state.parked_count(ctx.conn),
            "index_seconds": round(index_seconds, 3)}


def sync_once(ctx: Ctx, transport: Transport, *, batch: int = PUSH_BATCH, page_size: int = PULL_PAGE,
              progress: Progress | None = None) -> SyncResult:
    """Push then pull. A failure is recorded (for `sync status`) and raised; what was done before it stays done."""
    from boxoffice.store import recovery as recovery_store

    ctx.cache.pop("public_keys", None)
    credentials(ctx)
    pending = recovery_store.state(ctx.conn)
    if pending is not None:  # a push or pull now would build on what the copy put back lacks
        raise BoxOfficeError("recovery_needed", _(pending[1]))  # domain.recovery.MESSAGES, stored in English
    with write(ctx.conn):
        state.record(ctx.conn, last_attempt_at=ctx.now_iso())
    _journal_alerts(ctx)
    try:
        pushed = _push_or_diverged(ctx, transport, batch, progress)
        pulled = pull(ctx, transport, page_size, progress)
        if hasattr(transport, "allocations"):  # after the pull: a grant needs its event's catalogue here
            pulled.update(allocation_round(ctx, transport))
            if pulled["stops_applied"]:  # a recall's release entry: central frees the places once it has it
                more = push(ctx, transport, batch, progress)
                for k in ("pushed", "applied", "duplicates", "conflicts"):
                    pushed[k] += more[k]
        if carry_out(ctx):  # purges the central admin ordered: their entries go up now
            more = push(ctx, transport, batch, progress)
            for k in ("pushed", "applied", "duplicates", "conflicts"):
                pushed[k] += more[k]
    except BoxOfficeError as exc:
        with write(ctx.conn):
            state.record(ctx.conn, last_error=f"{exc.code}: {exc.message}")
        raise
    learn_names(ctx, transport)
    learn_venue_secret(ctx, transport)
    with write(ctx.conn):
        state.record(ctx.conn, last_good_sync=ctx.now_iso(), last_error=None)
    return cast(SyncResult, {**pushed, **pulled, "waiting": state.pending_count(ctx.conn)})


def _push_or_diverged(ctx: Ctx, transport: Transport, batch: int, progress: Progress | None) -> dict[str, Any]:
    """Push; when the central service holds other entries under this terminal's numbers (its database was put back
    from an older file and used), stop the terminal until `boxoffice sync recover` has run."""
    try:
        return push(ctx, transport, batch, progress)
    except BoxOfficeError as exc:
        if exc.details.get("central_code") != "journal_diverged":
            raise
        from boxoffice.services.recovery_state import mark_diverged

        row = mark_diverged(ctx)
        raise BoxOfficeError("recovery_needed", _(row["message"]), central_code="journal_diverged") from None


def learn_names(ctx: Ctx, transport: Transport) -> bool:
    """Ask the central service for the terminals' names (for `sync conflicts`); True if they were learnt.

    Only what people read depends on them, so a central service too old to have the path, an answer that does not
    match schemas/sync-terminals.schema.json, or a connection lost now changes nothing and fails no sync: the names
    known already stay, and the next sync asks again.
    """
    if not hasattr(transport, "terminals"):
        return False
    try:
        answer = transport.terminals()
        _refuse_malformed(answer, "sync-terminals.schema.json", N_("list of terminals"))
    except BoxOfficeError:
        return False
    with write(ctx.conn):
        state.name_peers(ctx.conn, [(t["terminal_id"], t["name"]) for t in answer["terminals"]
                                    if t["terminal_id"] != ctx.terminal["id"]])
    return True


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


def index_for_pickup(ctx: Ctx) -> int:
    """Make pulled orders searchable at the pickup desk now, in this background process, rather than in the first
    search a volunteer types after a large pull (the index otherwise catches up lazily before a search, all at
    once). Its own transaction, after the page's: a sale waits for neither."""
    from boxoffice.services.pickup import refresh_index

    return refresh_index(ctx)


def status(ctx: Ctx, warn_after_minutes: float = WARN_AFTER_MINUTES) -> SyncStatus:
    """Where sync stands, and a plain warning when the terminal has been out of touch long enough to matter."""
    from boxoffice.services.recovery_state import status as recovery_status

    row = state.get(ctx.conn)
    waiting = state.pending_count(ctx.conn)
    recovery = recovery_status(ctx)
    out: SyncStatus = {"enrolled": row is not None, "entries_waiting": waiting, "warning": None,
                       "recovery": recovery}
    if row is None:
        out["warning"] = _(recovery["message"]) if recovery else \
            _("not enrolled with a central service: this terminal works alone")
        return out
    now = ctx.now()
    good = row["last_good_sync"]
    age = (now - parse_iso(good)).total_seconds() if good else None
    oldest = state.oldest_pending_at(ctx.conn)
    try:
        central_url(ctx)
        moved = None
    except BoxOfficeError as exc:  # shown, not raised: status is where one looks to find out why sync refuses
        moved = exc.message
    out.update({
        "central_url": row["central_url"], "enrolled_at": row["enrolled_at"], "last_good_sync": good,
        "seconds_since_good_sync": age, "last_attempt_at": row["last_attempt_at"], "last_error": row["last_error"],
        "last_pull_at": row["last_pull_at"], "newest_data_at": row["newest_change_at"],
        "newest_data_age_seconds": (now - parse_iso(row["newest_change_at"])).total_seconds()
        if row["newest_change_at"] else None,
        "oldest_waiting_at": oldest, "cursor": row["cursor"], "head": row["head"],
        "conflicts_unseen": state.count_unseen(ctx.conn), "parked": state.parked_count(ctx.conn),
        "revoked_terminals": [p["name"] or p["terminal_id"] for p in state.revoked_peers(ctx.conn)],
        "central_key_id": row["central_key_id"], "insecure": bool(row["insecure"]), "ca_bundle": row["ca_bundle"],
        "warn_after_minutes": warn_after_minutes,
    })
    limit = timedelta(minutes=warn_after_minutes).total_seconds()
    if recovery is not None:
        out["warning"] = _(recovery["message"])
    elif moved is not None:
        out["warning"] = moved
    elif not row["central_key_id"]:
        out["warning"] = _("enrolled before the central service's key was pinned: every sync is refused until this "
                           "terminal enrolls again (`boxoffice sync enroll URL CODE` with a new code)")
    elif good is None:
        out["warning"] = _("never synced since enrolling: run `boxoffice sync`")
    elif age is not None and age > limit:
        warning = ngettext("no good sync for {span}: {count} entry not on "
                           "the central service, and pickups, refunds and check-ins made elsewhere since then are "
                           "unknown here",
                           "no good sync for {span}: {count} entries not on "
                           "the central service, and pickups, refunds and check-ins made elsewhere since then are "
                           "unknown here", waiting).format(span=_span(age), count=waiting)
        if row["last_error"]:
            warning = _("{warning} (last error: {error})").format(warning=warning, error=row["last_error"])
        out["warning"] = warning
    return out


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return _("{minutes} min").format(minutes=minutes)
    hours = minutes // 60
    return _("{hours} h").format(hours=hours) if hours < 48 else \
        ngettext("{days} days", "{days} days", hours // 24).format(days=hours // 24)


def conflicts(ctx: Ctx, unseen_only: bool = False, mark_seen: bool = True) -> list[Conflict]:
    """Flags about this terminal's actions, with the two terminals' names (``first_name``, ``second_name``) beside
    their ids; listing them marks them seen."""
    rows = state.conflicts(ctx.conn, unseen_only)
    if mark_seen and rows:
        with write(ctx.conn):
            state.mark_seen(ctx.conn, [r["id"] for r in rows], ctx.now_iso())
    names = terminal_names(ctx)
    return [cast(Conflict, r | {"first_name": terminal_name(names, r["first_terminal"]),
                                "second_name": terminal_name(names, r["second_terminal"])}) for r in rows]


def terminal_names(ctx: Ctx) -> dict[str, str]:
    """Names for the parties a flag can name, by id: this terminal, the peers the central service has named, the
    central box office and the web shop."""
    return state.peer_names(ctx.conn) | {
        ctx.terminal["id"]: _("{name} (this terminal)").format(name=ctx.terminal["name"]),
        "central": _("the central box office"), "web": _("the web shop")}


def terminal_name(names: dict[str, str], terminal_id: str | None) -> str:
    """A terminal as people call it; one this terminal was never told the name of, by the end of its id."""
    if terminal_id is None:
        return "?"
    return names.get(terminal_id) or _("another terminal (…{end})").format(end=terminal_id[-8:])
