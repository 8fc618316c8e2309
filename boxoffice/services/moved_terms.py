"""The refund terms tickets carry when they were moved to another night for free.

With the venue's policy ``exchange_between_events = "free"`` a seller moves tickets to another event without a
supervisor, even where the old event's policy would keep a fee or give nothing back now. Were the moved tickets then
judged by the new event's policy alone, a move and a refund (or a cheaper exchange) would give back what the old
event's policy keeps: the fee dodged in two steps, or the no-refund window in three. So money paid back on an order
whose tickets came by such a move is judged by every event they were moved from as well: where any of those would
not give them back in full now, it is an ``outside_policy`` override (a supervisor's), as a refund there would be.

Only moves made without an override count (a supervisor who approved a move approved it as a refund), and only while
the policy is "free": under "as_refund" a move to another event without an override happened only where the old
event would have given the tickets back in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boxoffice.domain.clock import parse_iso
from boxoffice.services.context import Ctx
from boxoffice.services.demand_fee import decide
from boxoffice.services.events import get_event
from boxoffice.store import refunds as store

MOST_STEPS = 50  # exchanges followed back at most (a chain longer than any night's)


def stricter_night_before(ctx: Ctx, order: Mapping[str, Any], paid: list[int]) -> bool:
    """Whether ``order``'s tickets came, by free moves, from an event whose policy would not give back ``paid``
    (what each ticket was paid) in full now: started already, no refund, or a fee kept."""
    if ctx.config.exchange_between_events != "free":
        return False
    event_id, order_id = order["event_id"], order["id"]
    for _step in range(MOST_STEPS):
        move = store.moved_into(ctx.conn, order_id)
        if move is None:
            return False
        if move["event_id"] != event_id and not move["override"]:
            ev = get_event(ctx, move["event_id"])
            if parse_iso(ev["starts_at"]) <= ctx.now():
                return True
            decision = decide(ctx, ev)
            if not decision.refundable or any(decision.fees(paid)):
                return True
        event_id, order_id = move["event_id"], move["from_order_id"]
    return True  # a chain this long is no night's: a supervisor looks at it
