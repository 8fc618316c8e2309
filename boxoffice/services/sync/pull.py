"""Pull: pages of changes after the stored cursor, each checked whole and applied with its cursor in one
transaction.

Each page is checked against its schema and its catalogue, key and revocation changes against the central key
pinned at enrollment (services/sync/feed_check.py), then applied and the cursor moved in one transaction. A cut
between two pages resumes at the next; a malformed or wrongly signed page changes nothing.

How far one pull goes. `boxoffice sync` pulls everything that was on the central service when its pull began (up
to the head the first page names: a terminal never chases other terminals' sales for ever). A background round
(`sync --watch`) applies at most ``max_pages`` pages and leaves the rest for the next round, so the round gets back
to pushing this counter's sales within a bounded time even when the others sell faster than this machine can apply
their sales; it catches up when selling slows. Between two pages the caller may push what was sold meanwhile
(``between``): a long pull then never holds a sale back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.services.sync.enrollment import refuse_malformed
from boxoffice.services.sync.transport import Progress, Transport
from boxoffice.store import sync_state as state
from boxoffice.store.db import write

PULL_PAGE = 500


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


def pull(ctx: Ctx, transport: Transport, page_size: int | None = None, progress: Progress | None = None, *,
         max_pages: int | None = None, between: Callable[[], object] | None = None) -> dict[str, Any]:
    """Apply pages of changes, each page and its cursor committed together: every page up to the head the first
    one names, or at most ``max_pages`` of them (of ``page_size`` changes; PULL_PAGE by default). ``between``
    runs between two pages (never after the last).

    The answer says where the pull stopped: ``cursor``, the ``head`` the last page named, and ``caught_up`` (False
    when the page limit left changes for the next pull)."""
    from boxoffice.services.sync.apply import Inbox, retry_parked
    from boxoffice.services.sync.feed_check import check_page, pinned_key

    page_size = page_size or PULL_PAGE
    row = state.get(ctx.conn)
    assert row is not None
    pin = state.central_key(ctx.conn)
    pinned_key(pin)  # a terminal with no pin cannot check the feed: refused before asking (enroll_again)
    cursor, start = row["cursor"], row["cursor"]
    counts: dict[str, int] = {}
    conflicts: list[dict[str, Any]] = []
    pages = 0
    index_seconds = 0.0
    target: int | None = None
    while True:
        page = transport.changes(cursor, page_size)
        refuse_malformed(page, "sync-changes.schema.json", N_("page of changes"))
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
        cursor, head = page["cursor"], page["head"]
        target = head if target is None else target
        pages += 1
        if progress:
            progress("pull", cursor - start, max(target - start, cursor - start))
        caught_up = not page["more"] or cursor >= target
        if caught_up or (max_pages is not None and pages >= max_pages):
            break
        if between is not None:
            between()
    if state.parked_count(ctx.conn):
        with write(ctx.conn):
            retry_parked(ctx, ctx.now_iso())
    return {"pulled": sum(v for k, v in counts.items() if k != "parked"), "by_kind": counts, "pages": pages,
            "cursor": cursor, "head": head, "caught_up": caught_up, "new_conflicts": conflicts,
            "parked": state.parked_count(ctx.conn), "index_seconds": round(index_seconds, 3)}


def index_for_pickup(ctx: Ctx) -> int:
    """Make pulled orders searchable at the pickup desk now, in this background process, rather than in the first
    search a volunteer types after a large pull (the index otherwise catches up lazily before a search, all at
    once). In the page's transaction when there is one: a page's worth is a few tens of milliseconds, and on a
    counter selling back to back each write lock sync takes is one more wait behind the sales."""
    from boxoffice.services.pickup import refresh_index

    return refresh_index(ctx)
