"""The catalogue in force as one document: the newest venue and policy, and each event as it was last published.

Terminals apply every published document on top of what they hold (an event left out of a newer document is not
removed), so the catalogue in force is this merge, not the newest document alone. `boxoffice central catalog
export` prints it; the pretix bridge adds its events to it and publishes only when the result differs.
"""

from __future__ import annotations

import json
from typing import Any

from boxoffice.central.store import catalogs
from boxoffice.central.store.db import CentralDB

FORMAT = "boxoffice.catalog/1"


def current_document(db: CentralDB) -> dict[str, Any] | None:
    """The merged catalogue in force, or None before the first publish. Events keep the order of the newest
    document that holds them, newest documents first."""
    merged: dict[str, Any] | None = None
    seen: set[str] = set()
    for text in catalogs.documents_newest_first(db):
        doc = json.loads(text)
        if merged is None:
            merged = {"format": doc.get("format", FORMAT), "venue": doc["venue"], "events": []}
            if "policy" in doc:
                merged["policy"] = doc["policy"]
        for ev in doc.get("events", []):
            if ev["id"] not in seen:
                seen.add(ev["id"])
                merged["events"].append(ev)
    return merged


def canonical(doc: Any) -> str:
    """One text per document, whatever its key order: what "the same catalogue" is compared by."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
