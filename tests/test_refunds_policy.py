"""The refund policy on its own: which tier applies at a moment, exactly at and around each boundary, and fees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.domain.refund_policy import Tier, tier_at

START = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)
# The demo policy: free until a week before, 10% until two days before, 3.00 a ticket until four hours before.
DEMO = [Tier(0, 168, fee_bp=0), Tier(1, 48, fee_bp=1000), Tier(2, 4, fee_fixed=300)]
TICK = timedelta(microseconds=1)


def at(hours_before: float) -> datetime:
    return START - timedelta(hours=hours_before)


@pytest.mark.parametrize(("now", "position"), [
    (at(500), 0), (at(168), 0), (at(168) + TICK, 1),
    (at(100), 1), (at(48), 1), (at(48) + TICK, 2),
    (at(10), 2), (at(4), 2), (at(4) + TICK, None),
    (at(1), None), (START, None), (START + timedelta(days=1), None),
])
def test_the_tier_in_force_at_and_around_each_boundary(now: datetime, position: int | None) -> None:
    decision = tier_at(DEMO, START, now)
    assert (decision.tier.position if decision.tier else None) == position
    assert decision.refundable is (position is not None)


def test_tiers_given_in_any_order_give_the_same_answer() -> None:
    shuffled = [DEMO[2], DEMO[0], DEMO[1]]
    for hours in (200, 168, 100, 48, 10, 4, 3):
        assert tier_at(shuffled, START, at(hours)).tier == tier_at(DEMO, START, at(hours)).tier


def test_no_policy_means_no_refund_even_a_year_ahead() -> None:
    assert tier_at([], START, at(24 * 365)).tier is None


def test_a_tier_at_zero_hours_lasts_until_the_start_itself() -> None:
    policy = [Tier(0, 0, fee_bp=5000)]
    assert tier_at(policy, START, START).tier == policy[0]
    assert tier_at(policy, START, START + TICK).tier is None


@pytest.mark.parametrize(("tier", "price", "fee"), [
    (Tier(0, 1, fee_bp=1000), 3500, 350),
    (Tier(0, 1, fee_bp=1000), 2250, 225),
    (Tier(0, 1, fee_bp=1250), 1005, 126),        # 125.625 rounds half up to 126
    (Tier(0, 1, fee_bp=1000), 5, 1),             # 0.5 rounds up
    (Tier(0, 1, fee_fixed=300), 3500, 300),
    (Tier(0, 1, fee_fixed=300), 200, 200),       # never more than the price
    (Tier(0, 1, fee_fixed=300), 0, 0),           # a comp refunds 0 and keeps 0
    (Tier(0, 1, fee_bp=0), 3500, 0),
    (Tier(0, 1), 3500, 0),
    (Tier(0, 1, fee_bp=10000), 3500, 3500),      # a 100% tier keeps it all
])
def test_fees_per_ticket(tier: Tier, price: int, fee: int) -> None:
    assert tier.fee(price) == fee


def test_outside_the_policy_an_override_keeps_no_fee() -> None:
    decision = tier_at(DEMO, START, at(1))
    assert decision.fees([3500, 2250]) == [0, 0]
    assert "outside the refund policy" in decision.describe("GBP")


def test_descriptions_say_the_fee() -> None:
    assert DEMO[0].describe("GBP") == "no fee"
    assert DEMO[1].describe("GBP") == "10% fee"
    assert DEMO[2].describe("GBP") == "3.00 fee per ticket"
    assert "tier 'until 48 h before', 10% fee" in tier_at(DEMO, START, at(50)).describe("GBP")


@given(price=st.integers(0, 10**7), bp=st.integers(0, 10_000), fixed=st.integers(0, 10**6))
def test_a_fee_is_never_negative_nor_above_the_price(price: int, bp: int, fixed: int) -> None:
    for tier in (Tier(0, 1, fee_bp=bp), Tier(0, 1, fee_fixed=fixed)):
        assert 0 <= tier.fee(price) <= price


@given(seconds=st.integers(-10**7, 10**7))
def test_the_tier_is_the_one_with_most_hours_not_above_the_time_left(seconds: int) -> None:
    now = START - timedelta(seconds=seconds)
    got = tier_at(DEMO, START, now).tier
    fitting = [t for t in DEMO if seconds >= t.until_hours_before * 3600]
    assert got == (max(fitting, key=lambda t: t.until_hours_before) if fitting else None)
