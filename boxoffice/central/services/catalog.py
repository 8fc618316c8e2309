"""Publishing a catalogue centrally: the terminal's catalogue document, checked the same way, put on the feed.

Terminals apply it exactly as `boxoffice catalog import` would, so one document and one set of rules serve a lone
counter and a networked venue. The central service keeps each event's built model (sections, seats, ticket
types, prices, tax rate) to check and price web orders against.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from boxoffice.central.services import feed, free_text
from boxoffice.central.store import catalogs
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.catalog import build_catalog
from boxoffice.i18n import N_
from boxoffice.wire.schemas import validate


def event_model(ev: dict[str, Any]) -> dict[str, Any]:
    """What web orders are checked against, small enough to load per import."""
    return {
        "event": ev["event"],
        "sections": {s["id"]: s["kind"] for s in ev["sections"]},
        "seats": {s["label"]: [s["section_id"], s["row"], s["number"]] for s in ev["seats"]},
        "types": [t["id"] for t in ev["ticket_types"]],
        "prices": {f"{p['ticket_type_id']}/{p['section_id']}": p["amount"] for p in ev["prices"]},
    }


def publish(db: CentralDB, doc: Any, now: str) -> dict[str, Any]:
    """Check a catalogue document whole, store it and put it on the feed (once per distinct document, unless an
    older one is published again over a newer one: then it goes out again and is the newest)."""
    validate(doc, "catalog.schema.json", N_("catalogue"))
    free_text.refuse_in_document(doc, N_("catalogue"))
    model = build_catalog(doc)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    events = [{"id": ev["event"]["id"], "name": ev["event"]["name"]} for ev in model["events"]]
    with db.transaction():
        if not catalogs.insert_document(db, digest, text, now):
            if catalogs.newest_sha(db) == digest:
                return {"sha256": digest, "events": events, "published": False}
            # an older catalogue again (a price changed, then changed back): it is the newest once more
            catalogs.touch_document(db, digest, now)
        for ev in model["events"]:
            catalogs.upsert_event(db, ev["event"], json.dumps(event_model(ev)), now)
        feed.append(db, [feed.Change("catalog", {"sha256": digest, "doc": doc})], now)
    return {"sha256": digest, "events": events, "published": True}
