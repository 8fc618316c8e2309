"""What each ticket of an order was really paid: its share of the money taken for the order.

A refund pays back what was paid, so it is worked out from the tenders, never from the price stored on a ticket: a
price raised in the database afterwards moves a ticket's share of the takings, never the takings themselves, and
the shares of an order's tickets add up to what was taken at most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def order_takings(paid: int, credit: int, total: int, *, has_tenders: bool) -> int:
    """Money taken for an order: its tenders plus exchange credit; an order with neither (a web order, or one
    another terminal sold) was paid where the central service records it: its total."""
    return paid + credit if has_tenders else total


def paid_shares(takings: int, prices: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Each ticket's share of ``takings``, split in proportion to the prices (ticket id, price), every ticket the
    order ever held. Honest records (prices adding up to the takings) give every ticket exactly its price; no
    ticket's share is more than its price, and the shares never add up to more than the takings."""
    weights = [(tid, max(p, 0)) for tid, p in prices]
    priced = sum(w for _, w in weights)
    if priced <= 0 or takings <= 0:
        return {tid: 0 for tid, _ in weights}
    target = min(takings, priced)
    shares = {tid: target * w // priced for tid, w in weights}
    # The units rounding left over go to the largest remainders, so that the shares add up to the takings exactly.
    by_remainder = sorted(range(len(weights)), key=lambda i: -(target * weights[i][1] % priced))
    for i in by_remainder[:target - sum(shares.values())]:
        shares[weights[i][0]] += 1
    return shares

def disagreeing(orders: Sequence[Mapping[str, int | str]]) -> list[Mapping[str, int | str]]:
    """Orders whose ticket prices do not add up to the money taken for them (``priced`` against ``takings``)."""
    return [o for o in orders if o["priced"] != o["takings"]]
