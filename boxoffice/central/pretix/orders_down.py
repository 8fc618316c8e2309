"""Bridge step `web_orders` (see runner.py): pretix's web orders down to the pickup desks, cancellations and
changed secrets down to the doors.

For each configured event, the orders pretix changed since the cursor (``modified_since``, oldest change first)
are read a page at a time, and each page is handled in one central transaction together with the cursor, so a
pass over 10,000 orders keeps one page in memory and a crash resumes where it stopped. Every page is asked for
from the cursor (never by page number), so an order that changes while the pass runs moves behind it and is read
again rather than being skipped; the orders changed at the cursor's instant are read again too, which the import
ignores (the reference ``pretix:CODE`` is imported once).

- a paid order not seen before becomes a central web order (central/services/weborders.py, ``trust_capacity``:
  pretix sold the places, so a disagreement with central's ledger is imported and flagged, not refused), each
  ticket with its pretix secret (``external_secret``), recorded in pretix_orders (direction 'down') and
  pretix_tickets;
- an order the bridge sent up itself (a terminal's sale: pretix_orders 'up', the bridge's sales channel, one of the
  terminals' vouchers) is passed over, so a counter sale never comes back as a web order;
- an imported order that pretix canceled or let expire: its tickets revoked as refunded (the revocation list the
  doors honour; the terminals then mark the order refunded and its pickup is refused), every secret of it on the
  revoked-secret list, and each of its seats free to sell again at the counters unless another valid ticket sits
  on it; a position canceled in a paid order: that ticket alone;
- an imported order whose position has a new secret: the new secret kept, the old one revoked; a new name, e-mail
  or phone: kept in central's web order (terminals keep what they pulled: an order change has no feed kind).
  Positions added to an order after its import are not handled (they are reported as ``positions_not_handled``).

Orders that the central service refuses (an event not published yet, a name with a card number in it) are recorded
with state 'error' and the reason, and asked for again by code each round (up to ``RETRY_PER_ROUND``) until they
come down or are no longer paid ('dropped'). An order with no position of a linked ticket type (merchandise only)
is recorded as 'skipped' and read again only when pretix changes it.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from boxoffice.central.pretix import web_order_map as mapping
from boxoffice.central.pretix.bridge import Bridge
from boxoffice.central.pretix.client import PAGE_SIZE
from boxoffice.central.pretix.revoked_secrets import pull as pull_revoked_secrets
from boxoffice.central.pretix.revoked_secrets import revoke_secrets
from boxoffice.central.services import feed, weborders
from boxoffice.central.services.ownership import free_seat
from boxoffice.central.store import pretix_state, pretix_weborders, sales
from boxoffice.errors import BoxOfficeError

RETRY_PER_ROUND = 50
CANCELED = ("c", "e")


def run(bridge: Bridge) -> dict[str, int]:
    """One pass over every configured event; returns counts of what it did."""
    counts: Counter[str] = Counter()
    for slug in bridge.settings.events:
        links = _links(bridge, slug)
        if links is None:
            counts["events_not_linked"] += 1
            continue
        _retry_errors(bridge, slug, links, counts)
        _orders(bridge, slug, links, counts)
        pull_revoked_secrets(bridge, slug, links.event_id, counts)
    return dict(counts)


def _links(bridge: Bridge, slug: str) -> mapping.Links | None:
    """The catalogue step's links of one event, or None before that step has linked it."""
    event_id, items, seats = None, {}, {}
    for r in pretix_weborders.links(bridge.db, slug):
        data = json.loads(r["data"] or "{}")
        if r["kind"] == "event":
            event_id = r["local_id"]
        elif r["kind"] == "ticket_type":
            sections = [str(s) for s in data.get("sections") or [] if isinstance(s, str)]
            items[str(r["pretix_id"])] = (r["local_id"].split("/", 1)[1], sections)
        elif r["kind"] == "seat":
            _eid, section, label = r["local_id"].split("/", 2)
            seats[str(r["pretix_id"])] = (section, label)
    return None if event_id is None else mapping.Links(event_id, items, seats)


def _orders(bridge: Bridge, slug: str, links: mapping.Links, counts: Counter[str]) -> None:
    """Page through the orders changed since the cursor, oldest change first, one transaction a page."""
    name = f"web_orders:{slug}"
    since = pretix_state.get(bridge.db, name)
    page_no = 1
    while True:
        params: dict[str, Any] = {"ordering": "last_modified", "page_size": PAGE_SIZE, "page": page_no}
        if since:
            params["modified_since"] = since
        results, more = bridge.client.page(f"events/{slug}/orders/", params)
        orders = [o for o in results if isinstance(o, dict) and isinstance(o.get("code"), str)]
        newest = mapping.newest([str(o.get("last_modified") or "") for o in orders], since)
        with bridge.db.transaction():
            _page(bridge, slug, links, orders, counts)
            if newest and newest != since:
                pretix_state.put(bridge.db, name, newest)
        counts["orders_read"] += len(orders)
        counts["order_pages"] += 1
        if not more:
            return
        # the next page from the newest change seen; only when a whole page changed at one instant, the next page
        # of that instant by number
        page_no = 1 if newest != since else page_no + 1
        since = newest


def _retry_errors(bridge: Bridge, slug: str, links: mapping.Links, counts: Counter[str]) -> None:
    """Orders that could not be imported before, asked for again by code."""
    for code in pretix_weborders.errored_codes(bridge.db, slug, RETRY_PER_ROUND):
        try:
            order = bridge.client.get(f"events/{slug}/orders/{code}/")
        except BoxOfficeError as exc:
            if exc.code != "pretix_refused" or exc.details.get("status") != 404:
                raise
            with bridge.db.transaction():
                pretix_weborders.record_order(bridge.db, f"pretix:{slug}/{code}", slug, code, "gone", None,
                                              bridge.now())
            continue
        if isinstance(order, dict):
            with bridge.db.transaction():
                _page(bridge, slug, links, [order], counts)


def _page(bridge: Bridge, slug: str, links: mapping.Links, orders: list[dict[str, Any]],
          counts: Counter[str]) -> None:
    """One page of changed orders: new paid ones imported, known ones brought up to date."""
    db = bridge.db
    rows = pretix_weborders.orders_by_code(db, slug, [o["code"] for o in orders])
    vouchers = pretix_weborders.voucher_ids(db, slug)
    new: list[dict[str, Any]] = []
    for o in orders:
        row = rows.get(o["code"])
        if (row is not None and row["direction"] == pretix_weborders.UP) or mapping.made_by_bridge(o, vouchers):
            counts["skipped_own_sales"] += 1
        elif row is not None and row["state"] in ("imported", "canceled"):
            _update(bridge, slug, row, o, counts)
        elif o.get("testmode"):  # an order from pretix's test mode shop is nobody's ticket
            counts["skipped_test_mode"] += 1
        elif o.get("status") == "p":
            new.append(o)
        elif row is not None and row["state"] == "error":  # never imported, and not paid any more: not retried
            pretix_weborders.record_order(db, row["order_id"], slug, o["code"], "dropped", None, bridge.now())
    if new:
        _import(bridge, slug, links, new, counts)


def _import(bridge: Bridge, slug: str, links: mapping.Links, orders: list[dict[str, Any]],
            counts: Counter[str]) -> None:
    """Import the new paid orders of a page as one document; when it is refused, each order alone, so one bad
    order is recorded as an error and the others come down."""
    db, now = bridge.db, bridge.now()
    planned: list[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]] = []
    for o in orders:
        made = mapping.document_order(o, links)
        if isinstance(made, mapping.Skip):
            # no ticket in it (merchandise only): kept as 'skipped', read again only when pretix changes it
            pretix_weborders.record_order(db, f"pretix:{slug}/{o['code']}", slug, o["code"], "skipped",
                                          made.reason, now)
            counts["no_tickets"] += 1
        else:
            planned.append((o, *made))
    if planned and not _import_group(bridge, slug, planned, counts) and len(planned) > 1:
        for one in planned:
            _import_group(bridge, slug, [one], counts)


def _import_group(bridge: Bridge, slug: str, group: list[tuple[dict[str, Any], dict[str, Any],
                                                               list[dict[str, Any]]]],
                  counts: Counter[str]) -> bool:
    """Import ``group`` in one go and record it, in the caller's transaction; False when the central service
    refused it (a lone order is then recorded as an error). A refusal writes nothing: import_orders checks the
    whole document before its first write."""
    db, now = bridge.db, bridge.now()
    doc = {"format": "boxoffice.web-orders/1", "orders": [d for _o, d, _p in group]}
    try:
        answer = weborders.import_orders(db, doc, now, trust_capacity=True, detail=True)
    except BoxOfficeError as exc:
        if len(group) == 1:
            o = group[0][0]
            first = (exc.details.get("errors") or [exc.message])[0]
            pretix_weborders.record_order(db, f"pretix:{slug}/{o['code']}", slug, o["code"], "error",
                                          str(first)[:500], now)
            counts["not_importable"] += 1
        return False
    made = {m["ref"]: m for m in answer.get("orders", [])}
    for o, d, kept in group:
        m = made.get(d["ref"])
        if m is None:  # imported before under this reference (by hand, or a record lost): adopt it
            m = pretix_weborders.web_order_by_ref(db, d["ref"])
            if m is None:
                continue
        pretix_weborders.record_order(db, m["id"], slug, o["code"], "imported", None, now)
        pretix_weborders.record_tickets(db, [(tid, m["id"], slug, int(p["id"]), p["secret"])
                                             for tid, p in zip(m["tickets"], kept, strict=False)])
    counts["imported"] += answer["imported"]
    counts["tickets"] += answer["tickets"]
    counts["over_capacity"] += len(answer.get("over_capacity", []))
    return True


def _update(bridge: Bridge, slug: str, row: dict[str, Any], o: dict[str, Any], counts: Counter[str]) -> None:
    """An imported order pretix changed: cancellations, new secrets, new customer details."""
    db, now = bridge.db, bridge.now()
    order_id = row["order_id"]
    web = pretix_weborders.web_order(db, order_id)
    if web is None:
        return
    known = pretix_weborders.tickets_of(db, order_id)
    live = {int(p["id"]): p for p in mapping.positions(o)} if o.get("status") not in CANCELED else {}
    gone = [t for t in known if int(t["position_id"]) not in live and t["status"] == "valid"]
    changes: list[feed.Change] = []
    if gone:
        for t in gone:
            if sales.revoke(db, t["ticket_id"], now, "refunded", "pretix"):
                changes.append(feed.Change("revocation", {"ticket_id": t["ticket_id"], "at": now,
                                                          "reason": "refunded", "terminal_id": None}))
            # pretix sells the seat again: so may the counters
            if free_seat(db, t["ticket_id"], sales.ticket_place(db, t["ticket_id"])):
                counts["seats_freed"] += 1
        pretix_weborders.settle_status(db, order_id)
        changes += revoke_secrets(web["event_id"], [t["secret"] for t in gone])
        counts["tickets_revoked"] += len(gone)
        if not live:
            pretix_weborders.record_order(db, order_id, slug, o["code"], "canceled", None, now)
            counts["orders_canceled"] += 1
    renewed = [(t, live[int(t["position_id"])]["secret"]) for t in known
               if int(t["position_id"]) in live and live[int(t["position_id"])]["secret"] != t["secret"]]
    if renewed:
        pretix_weborders.record_tickets(db, [(t["ticket_id"], order_id, slug, int(t["position_id"]), new)
                                             for t, new in renewed])
        changes += revoke_secrets(web["event_id"], [t["secret"] for t, _new in renewed])
        counts["secrets_changed"] += len(renewed)
    counts["positions_not_handled"] += len(set(live) - {int(t["position_id"]) for t in known})
    details = mapping.customer(o)
    if live and any(details[k] is not None and details[k] != web[k] for k in details):
        pretix_weborders.update_customer(db, order_id, *(details[k] or web[k] for k in
                                                         ("customer_name", "email", "phone")))
        counts["customers_updated"] += 1
    if changes:
        feed.append(db, changes, now)
