"""Emergency controls: pause sales (or pickups, or scans) for everything, an event, a channel or a terminal.

A pause is checked by the action it stops, so a paused counter refuses sales with the reason while pickups and
scans go on unless they are paused too. Pauses set on the central service arrive by sync (``apply_remote``).
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

from boxoffice.domain.ids import uuid7
from boxoffice.domain.pauses import check_what, clean_reason, scope_of
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.store import night as store
from boxoffice.store.db import write

# What a pause stops, as the refusal names it (the machine value is domain.pauses.WHAT's).
_PAUSED = {"sales": N_("sales"), "pickups": N_("pickups"), "scans": N_("scans")}


class Pause(TypedDict):
    """A pause as set (:func:`pause`): what it stops (``what``), where (``scope``, ``target``), why and by whom."""

    id: str
    scope: str
    target: str | None
    what: str
    reason: str
    source: str
    paused_at: str
    paused_by: str | None


class StoredPause(Pause):
    """A pause as stored (:func:`active`, :func:`resume`): when it was lifted, and by whom, if it was."""

    resumed_at: str | None
    resumed_by: str | None


def pause(ctx: Ctx, reason: str, *, what: str = "sales", event: str | None = None, channel: str | None = None,
          terminal: str | None = None) -> Pause:
    """Stop ``what`` in the given scope until resumed; needs a supervisor. Journalled, so it syncs."""
    op = ctx.require("pause")
    check_what(what)
    reason = clean_reason(reason)
    scope, target = scope_of(event, channel, terminal)
    if scope == "event":
        from boxoffice.services.events import get_event

        get_event(ctx, target or "")
    row = {"id": uuid7(), "scope": scope, "target": target, "what": what, "reason": reason, "source": "local",
           "paused_at": ctx.now_iso(), "paused_by": op["id"]}
    with write(ctx.conn):
        store.add_pause(ctx.conn, row)
        ctx.journal("pause", row)
    return cast(Pause, row)


def resume(ctx: Ctx, pause_id: str | None = None, *, what: str = "sales", event: str | None = None,
           channel: str | None = None, terminal: str | None = None) -> list[StoredPause]:
    """Lift one pause by id, or every active pause matching the scope given."""
    op = ctx.require("pause")
    if pause_id:
        # An id names one pause whatever it stops (`pause list` shows pickups and scans pauses too).
        pause_id = pause_id.strip().lower()
        active = store.active_pauses(ctx.conn)
        chosen = [p for p in active if p["id"] == pause_id] or \
                 [p for p in active if len(pause_id) >= 4 and p["id"].endswith(pause_id)]
        if len(chosen) > 1:
            raise BoxOfficeError("bad_input", _("{pause_id} names {count} pauses: give more of the id").format(
                pause_id=repr(pause_id), count=len(chosen)))
    else:
        scope, target = scope_of(event, channel, terminal)
        chosen = [p for p in store.active_pauses(ctx.conn, what) if p["scope"] == scope and p["target"] == target]
    if not chosen:
        raise BoxOfficeError("not_found", _("no such active pause: `boxoffice pause list` shows them"))
    now = ctx.now_iso()
    with write(ctx.conn):
        for p in chosen:
            store.resume(ctx.conn, p["id"], now, op["id"])
            ctx.journal("resume", {"pause": p["id"], "scope": p["scope"], "target": p["target"], "what": p["what"],
                                   "resumed_at": now})
    return cast(list[StoredPause], chosen)  # as they were before the resume


def active(ctx: Ctx) -> list[StoredPause]:
    return cast(list[StoredPause], store.active_pauses(ctx.conn))


def check(ctx: Ctx, what: str, event_id: str | None, channel: str = "box_office",
          active: list[dict[str, Any]] | None = None) -> None:
    """Refuse with ``sales_paused`` (and the reason) if an active pause covers this action. ``active``: the active
    pauses of ``what`` as the caller has just read them (a sale: store/sale_reads.py); else they are read here."""
    for p in store.active_pauses(ctx.conn, what) if active is None else active:
        if covers(ctx, p, event_id, channel):
            where = {"all": _("everywhere"), "event": _("for {target}").format(target=p["target"]),
                     "channel": _("on {target}").format(target=p["target"]),
                     "terminal": _("on this terminal")}[p["scope"]]
            raise BoxOfficeError("sales_paused", _("{what} are paused {where}: {reason} "
                                                   "(a supervisor can `boxoffice resume`)").format(
                what=_(_PAUSED.get(what, what)), where=where, reason=p["reason"]), pause=p["id"])


def covers(ctx: Ctx, p: dict[str, Any], event_id: str | None, channel: str = "box_office") -> bool:
    """Whether an active pause stops this terminal's work on ``event_id`` (None: on no event in particular, so only
    pauses of everything, of the channel or of this terminal)."""
    return (p["scope"] == "all"
            or (p["scope"] == "event" and p["target"] == event_id)
            or (p["scope"] == "channel" and p["target"] == channel)
            or (p["scope"] == "terminal" and p["target"] in (ctx.terminal["id"], ctx.terminal["name"])))


def apply_remote(ctx: Ctx, row: dict[str, Any]) -> None:
    """A pause or resume set on the central service, inside the caller's sync transaction.

    The pause row is written even when the change is its resume (the pause itself may have been parked, or this
    terminal enrolled after it was set): a resume then never leaves a pause behind that arrives later and stays.
    """
    store.add_pause(ctx.conn, {"target": None, **row, "source": "central", "paused_by": row.get("paused_by")})
    if row.get("resumed_at"):
        store.resume(ctx.conn, row["id"], row["resumed_at"], row.get("resumed_by"))
