"""What the counter's status bar says, gathered in one call so the screen and its tests read the same facts.

The full-screen counter reads this every few seconds and after each action, all evening, so it stays a handful of
indexed reads: the operator (cached by the context), the operator's open shift (the partial unique index), the one
sync row and the unpushed journal entries (a partial index), whether the central service allocates the event (a
primary key) and what is left of it per section, the print jobs waiting (the status index), and the pauses in force
(the active-pauses index). No network: "online" is what the last sync round found.
"""

from __future__ import annotations

from typing import TypedDict

from boxoffice.domain.clock import parse_iso
from boxoffice.services.context import Ctx

ONLINE_WITHIN_S = 120  # a good sync this recent, and no error since, counts as online (`sync --watch` runs every 2 s)


class SectionLeft(TypedDict):
    """What is left to sell of this terminal's allocation in one section."""

    section_id: str
    name: str
    left: int
    held: int


class PauseInForce(TypedDict):
    """A pause that stops work at this desk: what it stops, where it applies (all, an event, ...), and why."""

    what: str
    scope: str
    target: str | None
    reason: str


class DeskStatus(TypedDict):
    """The terminal's state as the status bar shows it.

    ``sync`` is one word: ``alone`` (never enrolled: the terminal owns its stock), ``online`` (the last round was
    good, within :data:`ONLINE_WITHIN_S`), ``offline`` (an error since, or too long ago) or ``never`` (enrolled, never
    synced). ``allocation`` is None unless the central service allocates the event on the desk.
    """

    terminal: str
    operator: str | None
    role: str | None
    shift_open: bool
    event_id: str | None
    sync: str
    last_sync_at: str | None
    sync_age_s: int | None
    sync_error: str | None
    to_push: int
    allocation: list[SectionLeft] | None
    print_failed: int
    print_pending: int
    pauses: list[PauseInForce]


def desk_status(ctx: Ctx, event_id: str | None = None) -> DeskStatus:
    """The status bar's facts for the desk working on ``event_id`` (None: no event chosen yet)."""
    from boxoffice.services import pauses as pause_rules
    from boxoffice.services.shifts import current
    from boxoffice.store import allocations, night, print_jobs, sync_state

    op = ctx.operator
    conn = ctx.conn
    row = sync_state.get(conn)
    sync, at, age, error, to_push = "alone", None, None, None, 0
    if row is not None:
        at, error = row["last_good_sync"], row["last_error"]
        to_push = sync_state.pending_count(conn)
        if at is None:
            sync = "never"
        else:
            age = max(0, int((ctx.now() - parse_iso(at)).total_seconds()))
            sync = "online" if error is None and age <= ONLINE_WITHIN_S else "offline"
    allocation: list[SectionLeft] | None = None
    if event_id is not None and allocations.governed(conn, event_id):
        allocation = [{"section_id": h["section_id"], "name": h["name"], "left": h["left"], "held": h["held"]}
                      for h in allocations.holdings(conn, event_id)]
    printing = print_jobs.waiting_counts(conn)
    in_force: list[PauseInForce] = [
        {"what": p["what"], "scope": p["scope"], "target": p["target"], "reason": p["reason"]}
        for p in night.active_pauses(conn) if pause_rules.covers(ctx, p, event_id)]
    return {"terminal": ctx.terminal["name"], "operator": op["name"] if op else None,
            "role": op["role"] if op else None, "shift_open": op is not None and current(ctx) is not None,
            "event_id": event_id, "sync": sync, "last_sync_at": at, "sync_age_s": age, "sync_error": error,
            "to_push": to_push, "allocation": allocation, "print_failed": printing["failed"],
            "print_pending": printing["pending"], "pauses": in_force}
