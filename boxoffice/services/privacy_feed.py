"""Purges the central service ordered, carried out on this terminal (`boxoffice central privacy purge`).

The central admin's purge erases the central copy; the signed ``privacy_purge`` change it puts on the feed
(wire/feed_sig.py: a forged order to erase data is refused with the page) asks every terminal to erase its own.
The pull only notes the order (store/privacy_pending.py): a purge rewrites the journal and scrubs the database file,
which cannot happen inside the pull's transaction. :func:`carry_out` runs after the pull, as the same purge a
supervisor runs here (services/privacy.py), by the venue's decision: the terminal's own ``[privacy] keep_days`` is
not asked again, but an event that has not started yet is never purged. A purge that would erase entries not yet
pushed waits for the next sync (``sync_first``); an event this terminal does not know has nothing to erase.
"""

from __future__ import annotations

from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.store import privacy_pending as pending
from boxoffice.store.db import write


def note(ctx: Ctx, cursor: int, body: dict[str, Any]) -> None:
    """Inside the pull: remember the order (a later order for the same event replaces it)."""
    pending.order(ctx.conn, str(body["event_id"]), str(body["ordered_at"]), cursor)


def carry_out(ctx: Ctx) -> list[dict[str, Any]]:
    """After the pull: run each waiting purge; what was done (event, rows, journal entries) or why it waits."""
    from boxoffice.services.privacy import purge
    from boxoffice.store.catalog import get_event

    out: list[dict[str, Any]] = []
    for row in pending.waiting(ctx.conn):
        event_id = row["event_id"]
        if get_event(ctx.conn, event_id) is None:
            with write(ctx.conn):
                pending.done(ctx.conn, event_id)
            continue
        try:
            result = purge(ctx, event_id, origin="central", ordered=True)
        except BoxOfficeError as exc:
            with write(ctx.conn):
                pending.failed(ctx.conn, event_id, f"{exc.code}: {exc.message}")
            out.append({"event_id": event_id, "waiting": exc.code})
            continue
        with write(ctx.conn):
            pending.done(ctx.conn, event_id)
        out.append({"event_id": event_id, "rows": result["rows"], "journal_entries": result["journal_entries"]})
    return out
