"""A bridge round: each step once, in the order that keeps pretix never oversold.

1. ``catalogue``: pretix's events, items, quotas, seats and check-in lists down into the published catalogue;
2. ``stock``: every terminal's allocation made equal to its quota-blocking voucher (grants raise a voucher
   *before* the grant is given, in central/services/stock_gate.py; this step lowers what was released and mends
   what a failure left behind);
3. ``sales``: terminal sales up as paid pretix orders on their terminal's voucher, refunds as cancellations;
4. ``web_orders``: paid web orders and revoked secrets down to the pickup desks and doors;
5. ``checkins``: pickups and door check-ins up through ``checkinrpc/redeem``.

A step that fails (pretix unreachable, a refusal) ends the round there: the steps after it depend on it, and every
step is idempotent, so the next round takes it up again. The outcome is kept in ``pretix_state`` for
`boxoffice central pretix status`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from boxoffice.central.pretix import catalog_pull, checkins_up, orders_down, orders_up, stock
from boxoffice.central.pretix.bridge import Bridge
from boxoffice.central.store import pretix_state
from boxoffice.errors import BoxOfficeError

STEPS: tuple[tuple[str, Callable[[Bridge], dict[str, int]]], ...] = (
    ("catalogue", catalog_pull.run),
    ("stock", stock.run),
    ("sales", orders_up.run),
    ("web_orders", orders_down.run),
    ("checkins", checkins_up.run),
)


def run_round(bridge: Bridge, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every step (or those named in ``only``) once; the counts of each, and the error that stopped the round."""
    done: dict[str, dict[str, int]] = {}
    error: dict[str, str] | None = None
    for name, step in STEPS:
        if only and name not in only:
            continue
        try:
            done[name] = step(bridge)
        except BoxOfficeError as exc:
            error = {"step": name, "code": exc.code, "message": exc.message}
            break
    outcome = {"at": bridge.now(), "steps": done, "error": error, "ok": error is None}
    with bridge.db.transaction():
        pretix_state.put(bridge.db, "last_round", json.dumps(outcome, sort_keys=True))
        if error is None:
            pretix_state.put(bridge.db, "last_good_round", outcome["at"])
    return outcome
