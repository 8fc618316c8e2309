"""An event's refund policy: which tier applies at a moment, and the fee it keeps on each ticket. Pure.

A policy is a list of tiers, each "until H hours before the start, keep this fee": a percentage of the ticket's
price (basis points) or a fixed amount per ticket. Tiers run from the earliest (most hours before) to the latest.

The boundaries, exactly (``left = starts_at - now``, compared as timedeltas, never as rounded hours):

- a tier applies while ``left >= until_hours_before`` hours: at exactly 48 hours before the start a "48 hours"
  tier still applies, one microsecond later it does not;
- of the tiers that apply, the one with the most hours wins (the earliest, and so the cheapest for the customer);
- when no tier applies (after the last tier's cut-off, after the start, or an event with no policy at all) the
  policy allows no refund: only a supervisor's override can refund, and then at the full price.

Fees are worked out per ticket, rounded half up to the minor unit, and never exceed the ticket's price, so a
refund is never negative. A free (comp) ticket refunds 0 and keeps 0.

A policy may also have demand bands (domain.demand_bands): the decision then carries the demand measured when the
refund was asked, and the band in force scales the tier's fee. A decision without one is priced by the tier alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from boxoffice.domain.money import format_money, percent_of
from boxoffice.i18n import _

if TYPE_CHECKING:
    from boxoffice.domain.demand_bands import Demand


@dataclass(frozen=True)
class Tier:
    """One step of a policy: until ``until_hours_before`` hours before the start, keep this fee per ticket."""

    position: int
    until_hours_before: int
    fee_bp: int | None = None      # percentage of the price, in basis points (1000 = 10%)
    fee_fixed: int | None = None   # or a fixed amount per ticket, in minor units

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> Tier:
        """A tier from a ``refund_tiers`` row."""
        return cls(int(row["position"]), int(row["until_hours_before"]),  # type: ignore[call-overload]
                   row.get("fee_bp"), row.get("fee_fixed"))  # type: ignore[arg-type]

    def fee(self, price: int) -> int:
        """The fee this tier keeps from one ticket of ``price``; at most the price itself."""
        if self.fee_fixed is not None:
            fee = self.fee_fixed
        elif self.fee_bp is not None:
            fee = percent_of(price, self.fee_bp)
        else:
            fee = 0
        return max(0, min(fee, price))

    def describe(self, currency: str) -> str:
        """'no fee', '10% fee' or '3.00 fee per ticket', for the confirmation screen and the receipt."""
        if self.fee_fixed is not None and self.fee_fixed > 0:
            return _("{amount} fee per ticket").format(amount=format_money(self.fee_fixed, currency))
        if self.fee_bp:
            return _("{percent:g}% fee").format(percent=self.fee_bp / 100)
        return _("no fee")


@dataclass(frozen=True)
class Decision:
    """What the policy says now: the tier in force (None: no refund), the time left before the start and, for a
    policy with demand bands, how sold the event is and the band that scales the tier's fee."""

    tier: Tier | None
    left: timedelta
    demand: Demand | None = None

    @property
    def refundable(self) -> bool:
        return self.tier is not None

    def fees(self, prices: Sequence[int]) -> list[int]:
        """The fee on each ticket; outside the policy (an override) nothing is kept."""
        if self.tier is None:
            return [0 for _ in prices]
        if self.demand is not None:
            return [self.demand.fee(self.tier, p) for p in prices]
        return [self.tier.fee(p) for p in prices]

    def describe(self, currency: str) -> str:
        hours = self.left.total_seconds() / 3600
        when = (_("{hours:.1f} h before the start").format(hours=hours) if hours >= 0
                else _("{hours:.1f} h after the start").format(hours=-hours))
        if self.tier is None:
            return _("{when}: outside the refund policy").format(when=when)
        text = _("{when}: tier 'until {hours} h before', {fee}").format(
            when=when, hours=self.tier.until_hours_before, fee=self.tier.describe(currency))
        if self.demand is not None:
            text += _("; {band}").format(band=self.demand.receipt_text(self.tier, currency).lower())
        return text


def tier_at(tiers: Sequence[Tier], starts_at: datetime, now: datetime) -> Decision:
    """The tier that applies at ``now`` for an event starting at ``starts_at`` (see the module's boundaries)."""
    left = starts_at - now
    for tier in sorted(tiers, key=lambda t: t.until_hours_before, reverse=True):
        if left >= timedelta(hours=tier.until_hours_before):
            return Decision(tier, left)
    return Decision(None, left)
