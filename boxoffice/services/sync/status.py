"""`boxoffice sync status`: where sync stands, and a plain warning when the terminal has been out of touch long
enough to matter (or cannot sync at all: recovery needed, moved central service, no pinned key)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NotRequired, TypedDict

from boxoffice.domain.clock import parse_iso
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _, ngettext
from boxoffice.services.context import Ctx
from boxoffice.services.sync.enrollment import central_url
from boxoffice.store import sync_state as state

WARN_AFTER_MINUTES = 15.0


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
