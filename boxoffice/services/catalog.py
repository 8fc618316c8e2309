"""Importing a catalogue document: checked whole against its schema and rules, then written in one transaction."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, TypedDict, cast

from boxoffice.domain.card_numbers import refuse_card_numbers_in
from boxoffice.domain.catalog import MAX_CATALOG_BYTES, build_catalog
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.services.policy import record as record_policy
from boxoffice.store import catalog as store
from boxoffice.store.db import write
from boxoffice.wire.schemas import read_json_file, validate


class ImportedEvent(TypedDict):
    """One event of an imported catalogue: its size."""

    id: str
    name: str
    sections: int
    seats: int
    capacity: int


class ImportedCatalog(TypedDict):
    """A catalogue imported (:func:`import_catalog`): the venue, each event, and how many were new or updated."""

    venue: str
    events: list[ImportedEvent]
    created: int
    updated: int


def import_catalog_file(ctx: Ctx, path: str | Path) -> ImportedCatalog:
    """Read, check and import a catalogue file (see schemas/catalog.schema.json)."""
    ctx.require("catalog")
    doc = read_json_file(path, MAX_CATALOG_BYTES, "catalogue")
    return import_catalog(ctx, doc)


Layout = tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]


def _standing_unsized(layout: Layout) -> Layout:
    """A layout with the capacities of general-admission sections left out."""
    sections, seats = layout
    return {(sid, kind, None if kind == "general" else cap) for sid, kind, cap in sections}, seats


def import_catalog(ctx: Ctx, doc: Any, *, check_permission: bool = True,
                   from_central: bool = False) -> ImportedCatalog:
    """Import a parsed document. Nothing is written unless every part of it is right.

    Who owns an event's places: this terminal, for an event it imported itself and no central service governs;
    the central service, for an event whose catalogue came from it (``from_central``, at sync) or that it granted
    places of. A central event's places here are then only what was sold here plus what is granted (none until
    the first grant or top-up), and a re-published catalogue keeps what is held.
    """
    from boxoffice.store import allocations as alloc_store

    if check_permission:
        ctx.require("catalog")
    validate(doc, "catalog.schema.json", "catalogue")
    if not from_central:  # the central service refused it at publishing (central/services/catalog.py)
        refuse_card_numbers_in(doc, "catalogue")
    model = build_catalog(doc)
    now = ctx.now_iso()
    summary: dict[str, Any] = {"venue": model["venue"]["name"], "events": [], "created": 0, "updated": 0}
    with write(ctx.conn):
        store.upsert_venue(ctx.conn, model["venue"])
        for ev in model["events"]:
            eid = ev["event"]["id"]
            exists = store.get_event(ctx.conn, eid) is not None
            if exists and store.tickets_sold(ctx.conn, eid):
                new_layout = ({(s["id"], s["kind"], s["capacity"]) for s in ev["sections"]},
                              {(s["section_id"], s["label"]) for s in ev["seats"]})
                old_layout = store.layout_of(ctx.conn, eid)
                if from_central or alloc_store.governed(ctx.conn, eid):
                    # the central service owns a governed event's standing places (its grants, not this
                    # capacity, say what may be sold here): a venue that resizes a section there changes nothing
                    # that was sold here
                    new_layout, old_layout = _standing_unsized(new_layout), _standing_unsized(old_layout)
                if old_layout != new_layout:
                    raise BoxOfficeError("conflict", _("event {event!r} has sales; its sections and seats cannot "
                                                       "change now (names, times, prices and policy can). Nothing was "
                                                       "imported").format(event=eid))
                if ev["event"]["real_name"] and not (store.get_event(ctx.conn, eid) or {}).get("real_name") \
                        and not from_central:
                    raise BoxOfficeError("conflict", _("event {event!r} has sales without holders: it cannot become "
                                                       "real-name now (docs/real-name.md). Nothing was "
                                                       "imported").format(event=eid))
                store.update_event_terms(ctx.conn, ev, now)
                summary["updated"] += 1
            else:
                governed = alloc_store.governed(ctx.conn, eid)
                held = alloc_store.snapshot(ctx.conn, eid) if governed else None
                store.replace_event(ctx.conn, ev, now, not (governed or from_central))
                if held is not None:
                    alloc_store.restore(ctx.conn, eid, held)
                summary["updated" if exists else "created"] += 1
            if from_central and alloc_store.govern(ctx.conn, eid, now):
                ctx.terminal["owns_inventory"] = 0
            summary["events"].append({"id": eid, "name": ev["event"]["name"], "sections": len(ev["sections"]),
                                      "seats": len(ev["seats"]),
                                      "capacity": sum(s["capacity"] for s in ev["sections"])})
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
        policy = doc.get("policy", {})
        record_policy(ctx, policy)  # the venue's security settings: never a local file's (services/policy.py)
        ctx.journal("catalog.import", {"sha256": digest, "events": [e["id"] for e in summary["events"]],
                                       "policy": policy})
    return cast(ImportedCatalog, summary)
