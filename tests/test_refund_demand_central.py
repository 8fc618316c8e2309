"""Demand-band refund fees across the central service: a catalogue with bands published centrally reaches the
terminal, a refund there is priced by the band, and the central refunds report groups it by the band that applied,
as the terminal's own report does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from night_kit import act_as
from sync_helpers import Central, sell, sync

from boxoffice.central.services import report_admin
from boxoffice.services import reports
from boxoffice.services.refunds import RefundRequest, refund

pytest_plugins = ["sync_support"]

EVENT = "band-night"
START = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)  # 19:30 London, a week after the test clock's start


def _publish(central: Central, tmp_path: Path) -> None:
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    doc = demo_catalog(T0.date())
    doc["events"].append({
        "id": EVENT, "name": "Band Night", "starts_at": "2026-12-08T19:30",
        "sections": [{"id": "floor", "name": "Floor", "kind": "general", "capacity": 10}],
        "ticket_types": [{"id": "adult", "name": "Adult", "prices": {"floor": "35.00"}}],
        "refund_policy": [{"until_hours_before": 48, "fee_percent": "10"}],
        "refund_demand_bands": [{"sold_at_least": 0.9, "fee_scale_percent": 50}],
    })
    central.publish(doc, tmp_path)


def _groups(rep: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {g["key"]: (g["count"], g["fee"], g["amount"]) for g in rep["groups"]}


def test_the_central_service_sees_the_band_a_refund_was_priced_by(central: Central, terminals: Any, clock: Any,
                                                                  tmp_path: Path) -> None:
    _publish(central, tmp_path)
    (t,) = terminals(1)
    sync(t)  # the catalogue with its bands, and the places (the sync tops the terminal up to all ten)
    act_as(t, "sam")
    sell(t, EVENT, "floor", 7)
    first, second = sell(t, EVENT, "floor", 1), sell(t, EVENT, "floor", 1)   # 9 of 10 sold
    clock.set(START - timedelta(hours=72))
    act_as(t, "sam")
    hot = refund(t, RefundRequest(first["order"]["code"], print_receipt=False))      # 9 of 10: the 90% band
    cold = refund(t, RefundRequest(second["order"]["code"], print_receipt=False))    # 8 of 10: below it
    assert (hot["refund"]["fee"], cold["refund"]["fee"]) == (175, 350)
    act_as(t, "sue")
    own = reports.refunds(t, "band", EVENT)
    assert _groups(own) == {"90%+ sold, 50% of fee": (1, 175, 3325), "below every band": (1, 350, 3150)}
    sync(t)

    entries = [json.loads(r["payload"]) for r in central.query("SELECT payload FROM journal WHERE kind = 'refund'")]
    pushed = {e["refund"]["id"]: e["refund"] for e in entries}
    assert (pushed[hot["refund"]["id"]]["demand_band"], pushed[hot["refund"]["id"]]["demand_sold"]) == (0, 9)
    assert pushed[cold["refund"]["id"]]["demand_band"] is None
    assert _groups(report_admin.refunds(central.db_url, "band", EVENT)) == _groups(own)
