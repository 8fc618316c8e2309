"""`boxoffice catalog export`: the catalogue in force on this terminal, as the document `catalog import` takes.

A newcomer edits it and imports it back, or takes it to another terminal; importing it into a fresh terminal and
exporting again gives the same document (tests/test_catalog_export.py). The shape is domain.catalog_export's.
"""

from __future__ import annotations

from typing import Any

from boxoffice.domain.catalog_export import FORMAT, event_document, general_section, reserved_section
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import catalog as store
from boxoffice.store import policy as policy_store


def export_catalog(ctx: Ctx) -> dict[str, Any]:
    """The venue, every event (by start time) and the venue's policy, as a catalogue document.

    Refuses (``not_found``) a terminal with no catalogue yet. Needs no login, as `event list` does not: it holds
    no customer's data and no secret, only what `event show` shows and the venue's published policy."""
    venue = store.venue(ctx.conn)
    if venue is None:
        raise BoxOfficeError("not_found", _("this terminal has no catalogue yet: `boxoffice catalog import FILE` "
                                            "loads one (`boxoffice catalog sample` writes one to start from)"))
    events = []
    for listed in store.list_events(ctx.conn):
        event = store.get_event(ctx.conn, listed["id"])
        assert event is not None
        sections = [reserved_section(s, store.seats(ctx.conn, event["id"], s["id"])) if s["kind"] == "reserved"
                    else general_section(s) for s in store.sections(ctx.conn, event["id"])]
        events.append(event_document(event, venue["timezone"], sections, store.ticket_types(ctx.conn, event["id"]),
                                     store.prices(ctx.conn, event["id"]), store.refund_tiers(ctx.conn, event["id"]),
                                     store.demand_bands(ctx.conn, event["id"])))
    doc: dict[str, Any] = {"format": FORMAT,
                           "venue": {k: venue[k] for k in ("id", "name", "timezone", "currency")},
                           "events": events}
    policy = policy_store.read(ctx.conn)
    if policy:
        doc["policy"] = policy
    return doc
