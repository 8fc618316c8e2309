"""The published catalogue as reports and maps read it: each event's names, zone, types, sections and seats.

The central ``events`` table keeps only what web orders are checked against; capacity, names of ticket types and
the seat layout are in the published documents. Each event is taken from the newest document that holds it, as
central/allocations.py does.
"""

from __future__ import annotations

import json
from typing import Any

from boxoffice.central.store import catalogs
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.catalog import build_catalog


def events(db: CentralDB) -> dict[str, Any]:
    """{"venue": the newest venue, "events": {event id: built event with "types" as id -> name}}."""
    venue: dict[str, Any] = {}
    out: dict[str, dict[str, Any]] = {}
    for doc in catalogs.documents_newest_first(db):
        model = build_catalog(json.loads(doc))
        venue = venue or model["venue"]
        for ev in model["events"]:
            eid = ev["event"]["id"]
            if eid not in out:
                out[eid] = ev | {"types": {t["id"]: t["name"] for t in ev["ticket_types"]}}
    return {"venue": venue, "events": out}
