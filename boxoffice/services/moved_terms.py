"""The refund terms tickets carry when they were moved to another night for free.

With the venue's policy ``exchange_between_events = "free"`` a seller moves tickets to another event without a
supervisor, even where the old event's policy kept a fee or gave nothing back at the time. Were the moved tickets then
judged by the new event's policy alone, a move and a refund (or a cheaper exchange) would give back what the old
event's policy keeps: the fee dodged in two steps, or the no-refund window in three. So money paid back on an order
whose tickets came by such a move is an ``outside_policy`` override (a supervisor's), as a refund there would have
been.

A move counts when, at the time it was made, the old event would not have given the tickets back in full (started,
no refund, or a fee kept: its time tiers; a demand band's scaling is not counted) and no supervisor approved it as a
refund outside the policy (``outside_policy`` among the exchange's overrides: another override, say an order sold at
another terminal, asked the supervisor nothing about the fee). Judged per move, at its own time, so a move made while
the old event refunded in full stays free of it, and turning "free" off later does not open the moves made under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boxoffice.domain.clock import parse_iso
from boxoffice.services.context import Ctx
from boxoffice.services.demand_fee import tier_then
from boxoffice.services.events import get_event
from boxoffice.store import refunds as store

MOST_STEPS = 50  # exchanges followed back at most (a chain longer than any night's)


def stricter_night_before(ctx: Ctx, order: Mapping[str, Any], paid: list[int]) -> bool:
    """Whether ``order``'s tickets came by a free move from an event whose policy would not have given back
    ``paid`` (what each ticket was paid) in full when they left it."""
    event_id, order_id = order["event_id"], order["id"]
    for _step in range(MOST_STEPS):
        move = store.moved_into(ctx.conn, order_id)
        if move is None:
            return False
        approved = "outside_policy" in (move["override_why"] or "").split(",")
        if move["event_id"] != event_id and not approved and _kept_then(ctx, move, paid):
            return True
        event_id, order_id = move["event_id"], move["from_order_id"]
    return True  # a chain this long is no night's: a supervisor looks at it


def _kept_then(ctx: Ctx, move: Mapping[str, Any], paid: list[int]) -> bool:
    """Whether the event the tickets left would have kept anything of ``paid`` at the time of the move."""
    ev = get_event(ctx, move["event_id"])
    at = parse_iso(move["at"])
    if parse_iso(ev["starts_at"]) <= at:
        return True
    decision = tier_then(ctx, ev, at)
    return not decision.refundable or any(decision.fees(paid))
