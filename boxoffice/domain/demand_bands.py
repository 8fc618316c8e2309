"""Refund fees that follow demand: bands of how sold an event is, each scaling the time tier's fee. Pure.

An event's refund policy (domain.refund_policy) says *whether* a refund is within policy now and the most it keeps
(the fee of the time tier in force). Its demand bands, when it has any, say how much of that fee is kept given how
sold the event is at the moment of the refund: a place returned for a nearly full house resells at once, so the
venue can keep less of the fee.

The rules, exactly:

- A band is "from this share of the capacity sold, keep this share of the tier's fee": ``sold_at_least_bp`` and
  ``fee_scale_bp`` in basis points (9000 = 90% sold; 5000 = half the tier's fee). Scales run from 0 to 100%: a
  band only ever lowers the tier's fee or keeps it whole, so the published time tiers stay the most a customer
  can be charged.
- "How sold" is places sold (valid tickets of paid orders) over the event's capacity, as the terminal knows them
  when the refund is asked (the tickets being refunded still count as sold). Compared exactly, as integers:
  a band applies when ``sold * 10000 >= sold_at_least_bp * capacity``.
- Of the bands that apply, the one with the highest ``sold_at_least`` wins. Below the first band (or for an event
  with no capacity) no band applies and the tier's fee is kept whole, as for an event with no bands at all.
- The scaled fee is worked out per ticket with one rounding, half up to the minor unit: for a percentage tier
  ``price * fee_bp * fee_scale_bp / 10^8``, for a fixed tier ``fee_fixed * fee_scale_bp / 10^4``; never more than
  the price, never negative. Outside the policy (no tier) there is no fee to scale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from boxoffice.domain.money import format_money, parse_rate
from boxoffice.domain.refund_policy import Tier
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

BP = 10_000
MAX_BANDS = 20


def _percent(bp: int | Decimal) -> str:
    """Basis points as a short percentage: 9000 -> '90%', 1250 -> '12.5%'."""
    value = (Decimal(bp) / 100).normalize()
    return f"{value:f}%"


@dataclass(frozen=True)
class Band:
    """One band: from ``sold_at_least_bp`` of the capacity sold, keep ``fee_scale_bp`` of the tier's fee."""

    position: int
    sold_at_least_bp: int
    fee_scale_bp: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Band:
        """A band from a ``refund_demand_bands`` row."""
        return cls(int(row["position"]), int(row["sold_at_least_bp"]), int(row["fee_scale_bp"]))

    def label(self) -> str:
        """'90%+ sold', as the receipt prints it."""
        return _("{percent}+ sold").format(percent=_percent(self.sold_at_least_bp))


def scaled_fee(tier: Tier, price: int, scale_bp: int) -> int:
    """The fee ``tier`` keeps from one ticket of ``price``, scaled by ``scale_bp``, rounded once, half up."""
    if tier.fee_fixed is not None:
        fee = _fixed_scaled(tier.fee_fixed, scale_bp)
    elif tier.fee_bp is not None:
        fee = int((Decimal(price) * tier.fee_bp * scale_bp / (BP * BP)).to_integral_value(rounding=ROUND_HALF_UP))
    else:
        fee = 0
    return max(0, min(fee, price))


def _fixed_scaled(fixed: int, scale_bp: int) -> int:
    return int((Decimal(fixed) * scale_bp / BP).to_integral_value(rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Demand:
    """How sold the event was when a refund was priced, and the band that applied (None: below every band)."""

    sold: int
    capacity: int
    band: Band | None

    @property
    def sold_percent(self) -> int:
        """The share sold in whole percent, rounded down (for people; the band itself is chosen exactly)."""
        return self.sold * 100 // self.capacity if self.capacity > 0 else 0

    def fee(self, tier: Tier, price: int) -> int:
        """The fee on one ticket: the tier's, scaled by the band when one applies."""
        return tier.fee(price) if self.band is None else scaled_fee(tier, price, self.band.fee_scale_bp)

    def fee_text(self, tier: Tier, currency: str) -> str:
        """The fee as charged: '5%', '1.50 per ticket' or 'none'."""
        scale = BP if self.band is None else self.band.fee_scale_bp
        if tier.fee_fixed is not None and tier.fee_fixed > 0:
            fixed = _fixed_scaled(tier.fee_fixed, scale)
            return _("{amount} per ticket").format(amount=format_money(fixed, currency)) if fixed else _("none")
        if tier.fee_bp:
            effective = Decimal(tier.fee_bp) * scale / BP
            return _percent(effective) if effective else _("none")
        return _("none")

    def receipt_text(self, tier: Tier, currency: str) -> str:
        """The line the refund receipt prints: 'Demand band: 90%+ sold, fee 5%'."""
        if self.band is None:
            return _("Demand band: none ({percent}% sold), fee {fee}").format(
                percent=self.sold_percent, fee=self.fee_text(tier, currency))
        return _("Demand band: {band}, fee {fee}").format(band=self.band.label(), fee=self.fee_text(tier, currency))

    def detail_text(self, tier: Tier, currency: str) -> str:
        """What the receipt prints under it: the count, and how the band made the fee from the tier's."""
        if self.band is None:
            return _("{sold} of {capacity} places sold: below every band, the tier's fee in full").format(
                sold=self.sold, capacity=self.capacity)
        whole = Demand(self.sold, self.capacity, None).fee_text(tier, currency)
        return _("{sold} of {capacity} places sold: {percent} of the tier's fee ({whole})").format(
            sold=self.sold, capacity=self.capacity, percent=_percent(self.band.fee_scale_bp), whole=whole)

    def summary(self, tier: Tier, currency: str) -> dict[str, Any]:
        """The band for ``--json`` and the counter screen: plain values."""
        b = self.band
        return {"band": b.position if b else None, "sold_at_least": _percent(b.sold_at_least_bp) if b else None,
                "fee_scale": _percent(b.fee_scale_bp) if b else None, "sold": self.sold, "capacity": self.capacity,
                "sold_percent": self.sold_percent, "fee": self.fee_text(tier, currency),
                "text": self.receipt_text(tier, currency)}


def band_at(bands: Sequence[Band], sold: int, capacity: int) -> Demand:
    """The band in force with ``sold`` of ``capacity`` places sold (see the module's rules)."""
    if capacity <= 0:
        return Demand(sold, capacity, None)
    fitting = [b for b in bands if sold * BP >= b.sold_at_least_bp * capacity]
    return Demand(sold, capacity, max(fitting, key=lambda b: b.sold_at_least_bp) if fitting else None)


def report_key(row: Mapping[str, Any]) -> str:
    """A refund's demand band as the refunds report groups it (``--by band``), from the refund row's demand columns:
    '90%+ sold, 50% of fee', 'below every band', or 'no band' (an event without bands, a refund outside the policy,
    an exchange, a refund made before bands existed)."""
    if not isinstance(row.get("demand_sold"), int):
        return "no band"
    if not isinstance(row.get("demand_from_bp"), int) or not isinstance(row.get("demand_scale_bp"), int):
        return "below every band"
    return f"{_percent(row['demand_from_bp'])}+ sold, {_percent(row['demand_scale_bp'])} of fee"


def _share_bp(value: Any) -> int:
    """A share of the capacity, 0 to 1 with at most four decimals, as basis points."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BoxOfficeError("bad_input",
            _("sold_at_least must be a number from 0 to 1, not {value!r}").format(value=value))
    try:
        share = Decimal(str(value))
    except InvalidOperation:
        raise BoxOfficeError("bad_input", _("sold_at_least must be a number from 0 to 1, not {value!r}").format(
            value=value)) from None
    if not share.is_finite() or share < 0 or share > 1:
        raise BoxOfficeError("bad_input", _("sold_at_least {value} must be from 0 to 1 (a share of the capacity: "
                                            "0.9 is 90% sold)").format(value=value))
    bp = share * BP
    if bp != bp.to_integral_value():
        raise BoxOfficeError("bad_input", _("sold_at_least {value} has more than four decimals").format(value=value))
    return int(bp)


def build_bands(event_id: str, spec: Sequence[Mapping[str, Any]], at: str,
                problem: Callable[[str, str], None]) -> list[dict[str, Any]]:
    """A catalogue event's ``refund_demand_bands`` as ``refund_demand_bands`` rows; each problem goes to
    ``problem(pointer, message)``: a share outside 0..1, a scale outside 0..100%, bands out of order."""
    rows: list[dict[str, Any]] = []
    last: int | None = None
    if len(spec) > MAX_BANDS:
        problem(at, _("at most {count} demand bands").format(count=MAX_BANDS))
    for i, band in enumerate(spec):
        where = f"{at}/{i}"
        try:
            share = _share_bp(band.get("sold_at_least"))
        except BoxOfficeError as exc:
            problem(f"{where}/sold_at_least", exc.message)
            continue
        try:
            scale = parse_rate(band.get("fee_scale_percent", ""))
        except BoxOfficeError as exc:
            problem(f"{where}/fee_scale_percent", exc.message.replace("rate", "fee_scale_percent"))
            continue
        if last is not None and share <= last:
            problem(f"{where}/sold_at_least", _("demand bands must run from the least sold to the most sold, each "
                                                "above the one before ({share} is not above {last})").format(
                share=_percent(share), last=_percent(last)))
        last = share
        rows.append({"event_id": event_id, "position": i, "sold_at_least_bp": share, "fee_scale_bp": scale})
    return rows
