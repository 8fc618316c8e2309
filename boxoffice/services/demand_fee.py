"""The refund policy in force for an event now, with its demand band: what services.refunds prices a refund by.

The time tier comes from the event's ``refund_tiers`` (domain.refund_policy); when the event also has demand bands
(domain.demand_bands), the places sold and the capacity are counted here, at the moment the refund is asked, from
what this terminal knows: its own sales, plus the orders of other terminals and the web shop it has pulled at
sync. Offline, sales made elsewhere since the last sync are not counted, so the band can be lower than the
central service would say (never higher: nothing counted here is unsold). The refund row and its journal entry
keep the count and the band, so the central service and the reports see what was charged and why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from boxoffice.domain.clock import parse_iso
from boxoffice.domain.demand_bands import Band, Demand, band_at
from boxoffice.domain.refund_policy import Decision, Tier, tier_at
from boxoffice.services.context import Ctx
from boxoffice.store import catalog as catalog_store


def tier_then(ctx: Ctx, ev: Mapping[str, Any], at: datetime) -> Decision:
    """The time tier of ``ev``'s refund policy in force at ``at`` (no demand band: that depends on the moment's
    sales)."""
    tiers = [Tier.from_row(r) for r in catalog_store.refund_tiers(ctx.conn, ev["id"])]
    return tier_at(tiers, parse_iso(ev["starts_at"]), at)


def decide(ctx: Ctx, ev: Mapping[str, Any]) -> Decision:
    """The tier in force for ``ev`` now and, for an event with demand bands, the band that scales its fee."""
    decision = tier_then(ctx, ev, ctx.now())
    bands = [Band.from_row(r) for r in catalog_store.demand_bands(ctx.conn, ev["id"])]
    if not bands or decision.tier is None:
        return decision
    sold, capacity = catalog_store.places_sold(ctx.conn, ev["id"])
    return dataclasses.replace(decision, demand=band_at(bands, sold, capacity))


def refund_fields(decision: Decision) -> dict[str, Any]:
    """The refund row's demand columns (and so its journal entry's): none at all for an event without bands, so
    such a refund is recorded exactly as before."""
    d = decision.demand
    if d is None:
        return {}
    b = d.band
    return {"demand_sold": d.sold, "demand_capacity": d.capacity, "demand_band": b.position if b else None,
            "demand_from_bp": b.sold_at_least_bp if b else None, "demand_scale_bp": b.fee_scale_bp if b else None}


def summary(decision: Decision, currency: str) -> dict[str, Any] | None:
    """The band for ``--json`` and the screen; None for an event without bands or a refund outside the policy."""
    if decision.demand is None or decision.tier is None:
        return None
    return decision.demand.summary(decision.tier, currency)


def receipt_lines(ctx: Ctx, refund: Mapping[str, Any], event_id: str, currency: str) -> list[str]:
    """What the refund receipt prints about demand, from the refund row: the band and fee, then the count and how
    the fee was made. Nothing for a refund that no band priced (an event without bands, outside the policy, or with
    the fee waived: the override line says why nothing was kept)."""
    if refund.get("demand_sold") is None or refund.get("tier") is None \
            or "fee_waived" in (refund.get("override_why") or "").split(","):
        return []
    tier = next((Tier.from_row(r) for r in catalog_store.refund_tiers(ctx.conn, event_id)
                 if r["position"] == refund["tier"]), None)
    if tier is None:
        return []
    band = None if refund["demand_band"] is None else \
        Band(refund["demand_band"], refund["demand_from_bp"], refund["demand_scale_bp"])
    demand = Demand(refund["demand_sold"], refund["demand_capacity"], band)
    return [demand.receipt_text(tier, currency), demand.detail_text(tier, currency)]


def describe_bands(ctx: Ctx, event_id: str) -> list[dict[str, Any]]:
    """The event's bands for `event show`: from what share sold, and how much of the tier's fee is kept."""
    return [{"sold_at_least": f"{b.sold_at_least_bp / 100:g}%", "fee_scale": f"{b.fee_scale_bp / 100:g}%"}
            for b in (Band.from_row(r) for r in catalog_store.demand_bands(ctx.conn, event_id))]
