"""The embedded demo venue: a 500-seat reserved hall and a standing area, two events a week or two ahead."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

HALL_ROWS = "ABCDEFGHJKLMNPQRST"  # 18 rows; no I or O, as printed on real seat plates


def demo_catalog(today: date, *, short_ids: bool = False) -> dict[str, Any]:
    """A catalogue document (schemas/catalog.schema.json) with dates relative to ``today``.

    The events' ids carry their date (``gala-1208``), so catalogues made on different days do not share events;
    with ``short_ids`` they are plainly ``gala`` and ``jazz``, as `boxoffice demo` makes them, so that the examples
    in every command's help run on a demo terminal as printed, whatever the day."""
    rows = []
    for i, name in enumerate(HALL_ROWS):
        width = 24 if i < 4 else 28          # the front rows are narrower
        rows.append({"row": name, "seats": f"1-{width}", "aisles_after": ["6", str(width - 6)],
                     "offset": (28 - width) / 2})
    # 18 rows: 4 x 24 + 14 x 28 = 488 seats
    hall = {
        "id": "stalls", "name": "Stalls", "kind": "reserved", "rows": rows,
        "wheelchair": ["T1", "T2", "T27", "T28"], "companion": ["T3", "T26"],
        "restricted_view": ["A1", "A24", "B1", "B24"], "held": ["H13", "H14", "H15", "H16"],
    }
    standing = {"id": "standing", "name": "Standing", "kind": "general", "capacity": 300}
    prices = {"stalls": "35.00", "standing": "22.50"}
    types = [
        {"id": "adult", "name": "Adult", "prices": prices},
        {"id": "concession", "name": "Concession", "prices": {"stalls": "28.00", "standing": "18.00"}},
        {"id": "child", "name": "Child", "prices": {"stalls": "15.00", "standing": "10.00"}, "per_order_limit": 6},
        {"id": "comp", "name": "Complimentary", "prices": {"stalls": "0", "standing": "0"}, "comp": True},
    ]
    policy = [{"until_hours_before": 168, "fee_percent": "0"}, {"until_hours_before": 48, "fee_percent": "10"},
              {"until_hours_before": 4, "fee_fixed": "3.00"}]

    def event(eid: str, name: str, day: date, reentry: bool) -> dict[str, Any]:
        return {"id": eid, "name": name, "starts_at": f"{day.isoformat()}T19:30",
                "doors_at": f"{day.isoformat()}T18:45",
                "tax_rate": "20", "per_order_limit": 10, "reentry": reentry,
                "sections": [hall, standing], "ticket_types": types, "refund_policy": policy}

    first, second = today + timedelta(days=7), today + timedelta(days=14)
    return {
        "format": "boxoffice.catalog/1",
        "venue": {"id": "demo-hall", "name": "Demo Hall", "timezone": "Europe/London", "currency": "GBP"},
        "events": [
            event("gala" if short_ids else f"gala-{first:%m%d}", "Winter Gala", first, False),
            event("jazz" if short_ids else f"jazz-{second:%m%d}", "Late Night Jazz", second, True),
        ],
    }
