"""Bridge step `catalogue` (see runner.py): each configured pretix event down into the published catalogue.

Per event it reads events/E/ (with its time zone, seat categories and pretix_sig1 keys), items/, quotas/, seats/
(when it has a seating plan) and checkinlists/; catalog_map.py turns them into a catalogue event. The bridge then
takes the catalogue in force (services/catalog_current.py), puts pretix's events in it (other events stay as they
are) and publishes it only when it differs from what is in force: a round with no change in pretix publishes
nothing, so the terminals' feed does not grow by a catalogue a round. The links (pretix_links) are written in the
same transaction as the catalogue they describe. What could not be mapped is counted (``skipped``) and named in
pretix_state ``catalogue_skipped`` (`boxoffice central pretix status --json`), as ``kind:pretix id:reason``.

Names come in the venue's language (``[venue] language``), else English, else any that pretix has.
"""

from __future__ import annotations

import json
from typing import Any

from boxoffice.central.pretix import catalog_map
from boxoffice.central.pretix.bridge import Bridge
from boxoffice.central.services.catalog import publish
from boxoffice.central.services.catalog_current import FORMAT, canonical, current_document
from boxoffice.central.store import pretix_links, pretix_state
from boxoffice.i18n import venue_language

LINK_KINDS = ("event", "section", "ticket_type", "seat", "checkin_list")


def pull(bridge: Bridge, slug: str) -> dict[str, Any]:
    """What pretix says of one event, as catalog_map.map_event takes it."""
    client = bridge.client
    event = client.get(f"events/{slug}/")
    event = event if isinstance(event, dict) else {}
    pulled: dict[str, Any] = {"event": event, "items": client.all(f"events/{slug}/items/"),
                              "quotas": client.all(f"events/{slug}/quotas/"), "seats": [],
                              "checkinlists": client.all(f"events/{slug}/checkinlists/")}
    if event.get("seating_plan"):
        pulled["seats"] = [s for page in client.pages(f"events/{slug}/seats/") for s in page]
    return pulled


def run(bridge: Bridge) -> dict[str, int]:
    """Pull every configured event, publish the catalogue if it changed; counts of what was mapped and skipped."""
    language = venue_language()
    mapped: list[tuple[str, catalog_map.Mapped]] = []
    for slug in bridge.settings.events:
        known = pretix_links.known_ids(bridge.db, slug)
        mapped.append((slug, catalog_map.map_event(pull(bridge, slug), language=language, known=known,
                                                   pickup_list=bridge.settings.pickup_list)))
    counts = {"events": 0, "sections": 0, "ticket_types": 0, "seats": 0, "skipped": 0, "published": 0}
    usable = [(slug, m) for slug, m in mapped if m.event is not None]
    currency = usable[0][1].currency if usable else None
    skipped: list[str] = []
    for slug, m in mapped:
        skipped += m.skipped
        if m.event is not None and m.currency != currency:
            skipped.append(f"event:{slug}:currency")  # one catalogue, one currency: the first event's
    counts["skipped"] = len(skipped)
    usable = [(slug, m) for slug, m in usable if m.currency == currency]
    if not usable:
        with bridge.db.transaction():
            pretix_state.put(bridge.db, "catalogue_skipped", json.dumps(skipped[:200]))
        return counts
    for _, m in usable:
        assert m.event is not None
        counts["events"] += 1
        counts["sections"] += len(m.event["sections"])
        counts["ticket_types"] += len(m.event["ticket_types"])
        counts["seats"] += sum(1 for lk in m.links if lk.kind == "seat")
    org = bridge.client.get("")  # asked before the transaction: no lock is held while pretix answers
    with bridge.db.transaction():
        pretix_state.put(bridge.db, "catalogue_skipped", json.dumps(skipped[:200]))
        before = current_document(bridge.db)
        doc = _merged(bridge, org, before, [m.event for _, m in usable if m.event is not None], currency or "",
                      usable[0][1].timezone or "UTC")
        if before is None or canonical(before) != canonical(doc):
            counts["published"] = int(publish(bridge.db, doc, bridge.now())["published"])
        for slug, m in usable:
            pretix_links.replace_event(bridge.db, slug, LINK_KINDS,
                                       [(lk.kind, lk.local_id, lk.pretix_id, lk.data) for lk in m.links])
    return counts


def _merged(bridge: Bridge, org: Any, before: dict[str, Any] | None, events: list[dict[str, Any]], currency: str,
            timezone: str) -> dict[str, Any]:
    """The catalogue in force (``before``) with pretix's events put in (in place where they were, else at the end)
    and the venue taken from the organizer (``org``, pretix's answer) and the first event."""
    org = org if isinstance(org, dict) else {}
    org_slug = str(org.get("slug") or bridge.settings.organizer)
    venue_id = catalog_map.slugify(org_slug, "venue")
    venue = {"id": venue_id, "name": catalog_map.clean_name(catalog_map.pick_text(org.get("name"), venue_language()),
                                                             200, venue_id),
             "timezone": timezone, "currency": currency}
    ours = {ev["id"]: ev for ev in events}
    listed: list[dict[str, Any]] = []
    for ev in (before or {}).get("events", []):
        listed.append(ours.pop(ev["id"], ev))
    doc: dict[str, Any] = {"format": FORMAT, "venue": venue, "events": listed + list(ours.values())}
    if before and "policy" in before:
        doc["policy"] = before["policy"]
    return doc
