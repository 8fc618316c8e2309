"""Bridge step `sales`: every terminal sale becomes a paid pretix order on its terminal's voucher; refunds and
exchanges cancel what they took back.

Once only, whatever fails where:
- each order is POSTed with ``X-Idempotency-Key`` = the boxoffice order id (pretix answers a repeat from its record)
  and a fixed order code made from that id (order_body.py): an answer lost on the way, or a row of
  ``pretix_orders`` lost with it, is found again on the next round, never sold twice;
- what pretix answered is written (``pretix_orders``, ``pretix_tickets``) right after each POST, in its own
  transaction, so a round that stops keeps what went through.

Refusals: pretix refusing one order (a 4xx: an item it no longer sells, a voucher used up) marks that order
``failed`` with pretix's reason (`boxoffice central pretix orders --failed`) and the step goes on; pretix failing
or out of reach ends the step, and the round, to be taken up again. A sale whose terminal has no voucher for its
place yet waits (the stock step makes the vouchers). Nothing is ever sent with ``force``: pretix checks the
voucher, the quota and the seat as for any order.

Refunds: a ticket the terminal refunded, exchanged or revoked after it went up has its pretix position canceled:
the whole order with ``mark_canceled`` when nothing of it is left, else the positions through the order change API
(``change`` with ``cancel_positions``). Cancelling lowers the voucher's redeemed count in pretix: the place goes
back to the terminal's voucher, as it went back to the terminal. An exchange is a refund of the old tickets and a
new sale (which goes up as any sale). The money paid back is booked in pretix as done refunds only for refunds the
central service applied to the order (its own terminal's, or another's under an accepted override), never for one
it refused, and never past what the order was paid less what pretix already shows refunded (:func:`refunds_to_book`).

Sales are taken oldest first, a page at a time, so a thousand sales go up in one round in flat memory.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import groupby
from typing import Any

from boxoffice.central.pretix import order_body
from boxoffice.central.pretix.bridge import Bridge
from boxoffice.central.pretix.client import reason
from boxoffice.central.store import pretix_orders as store
from boxoffice.central.store import pretix_state
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.money import format_money, parse_amount
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

PAGE = 50
CHANNEL_STATE = "sales_channel"


def run(bridge: Bridge) -> dict[str, int]:
    """Cancel what was refunded, then send what was sold; the counts of each outcome."""
    counts: Counter[str] = Counter()
    _cancellations(bridge, counts)
    _sales(bridge, _sales_channel(bridge), counts)
    return dict(counts)


# -- sales ------------------------------------------------------------------------------------------------------


def _sales(bridge: Bridge, channel: str | None, counts: Counter[str]) -> None:
    db = bridge.db
    after = ("", "")
    while True:
        page = store.due(db, bridge.settings.events, after, PAGE)
        if not page:
            return
        after = (page[-1]["created_at"], page[-1]["id"])
        tickets = store.tickets_of(db, [o["id"] for o in page])
        every = [t for ts in tickets.values() for t in ts]
        items = store.links(db, "ticket_type", sorted({f"{t['event_id']}/{t['ticket_type_id']}" for t in every}))
        seats = store.links(db, "seat", sorted({f"{t['event_id']}/{t['section_id']}/{order_body.seat_label(t)}"
                                                for t in every if order_body.seat_label(t)}))
        vouchers = store.voucher_codes(db, sorted({o["terminal_id"] for o in page}))
        for order in page:
            counts[_send(bridge, order, tickets[order["id"]], items, seats, vouchers, channel)] += 1


def _send(bridge: Bridge, order: dict[str, Any], tickets: list[dict[str, Any]], items: dict[str, Any],
          seats: dict[str, Any], vouchers: dict[tuple[str, str, str, str], str], channel: str | None) -> str:
    """One order up; the state it ends in."""
    db, event = bridge.db, order["pretix_event"]
    if not tickets:  # every ticket refunded before it went up: pretix never needs to hear of it
        with db.transaction():
            store.set_state(db, order["id"], event, "void", None, bridge.now())
        return "void"
    body = order_body.build(order, tickets, items, seats, vouchers, channel)
    if isinstance(body, order_body.Waiting):
        with db.transaction():
            store.set_state(db, order["id"], event, "waiting", body.reason, bridge.now())
        return "waiting"
    try:
        answer = _post_or_adopt(bridge, event, body, order["id"])
    except BoxOfficeError as exc:
        if exc.code != "pretix_refused":
            raise
        with db.transaction():
            store.set_state(db, order["id"], event, "failed", exc.message, bridge.now())
        return "failed"
    got = order_body.answer_tickets(answer, tickets)
    if got is None:
        with db.transaction():
            store.set_state(db, order["id"], event, "failed", _("pretix holds order {code} with other positions "
                                                                  "than this sale's tickets").format(
                                                                      code=body["code"]), bridge.now())
        return "failed"
    with db.transaction():
        store.record_sent(db, order["id"], event, str(answer.get("code") or body["code"]), got, bridge.now())
    return "sent"


def _post_or_adopt(bridge: Bridge, event: str, body: dict[str, Any], order_id: str) -> Any:
    """POST the order (its seats held in a cart first); when pretix says its code is taken, or will not hold a seat
    that an order with its code holds, an earlier POST of it went through (its answer lost, pretix's record of the
    key expired): that order is this sale's."""
    client = bridge.client
    try:
        held = _hold_seats(bridge, event, body, order_id)
        try:
            return client.post(f"events/{event}/orders/", body, key=order_id)
        except BoxOfficeError as refused:
            if refused.code == "pretix_refused":  # not made: its seats go back now (unreachable: they expire)
                _let_go(bridge, event, held)
            raise
    except BoxOfficeError as exc:
        if exc.code != "pretix_refused":
            raise
        if order_body.code_in_use(exc.details):
            return client.get(f"events/{event}/orders/{body['code']}/")
        if not exc.details.get("cart"):
            raise
        try:
            return client.get(f"events/{event}/orders/{body['code']}/")
        except BoxOfficeError as missing:
            if missing.code != "pretix_refused":
                raise
            raise exc from None


def _hold_seats(bridge: Bridge, event: str, body: dict[str, Any], order_id: str) -> list[int]:
    """Put the order's seats in its cart on their vouchers: the cart positions' ids. A seat pretix will not hold
    refuses the order (with pretix's reason) after letting go of the ones it did hold."""
    wanted = order_body.cart_positions(body)
    if not wanted:
        return []
    answer = bridge.client.post(f"events/{event}/cartpositions/bulk_create/", wanted, key=f"cart:{order_id}")
    results = answer.get("results") if isinstance(answer, dict) else None
    results = [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []
    held = [r["data"]["id"] for r in results if r.get("success") and isinstance(r.get("data"), dict)
            and isinstance(r["data"].get("id"), int)]
    if len(held) == len(wanted):
        return held
    _let_go(bridge, event, held)
    errors = [r.get("errors") for r in results if not r.get("success")] or [_("no answer for every seat")]
    raise BoxOfficeError("pretix_refused", _("pretix would not hold the seats of order {code}: {reason}").format(
        code=body["code"], reason=reason(errors)), status=400, body=errors, cart=True)


def _let_go(bridge: Bridge, event: str, held: list[int]) -> None:
    """Give back the cart positions of an order that was not made, so its seats are not blocked until the cart
    expires (best effort: pretix lets them expire anyway)."""
    for cart_position in held:
        try:
            bridge.client.delete(f"events/{event}/cartpositions/{cart_position}/")
        except BoxOfficeError:
            return


def _sales_channel(bridge: Bridge) -> str | None:
    """The bridge's sales channel in pretix, made once. A token that may not make it sells on pretix's default
    channel instead (tried again next round)."""
    known = pretix_state.get(bridge.db, CHANNEL_STATE)
    if known:
        return known
    name = order_body.SALES_CHANNEL
    try:
        bridge.client.get(f"saleschannels/{name}/")
    except BoxOfficeError as exc:
        if exc.code != "pretix_refused":
            raise
        if exc.details.get("status") != 404:
            return None
        try:
            bridge.client.post("saleschannels/", {"identifier": name, "type": "api",
                                                  "label": {"en": "Box office"}}, key=f"saleschannel:{name}")
        except BoxOfficeError as made:
            if made.code != "pretix_refused":
                raise
            return None
    with bridge.db.transaction():
        pretix_state.put(bridge.db, CHANNEL_STATE, name)
    return name


# -- refunds ----------------------------------------------------------------------------------------------------


def _cancellations(bridge: Bridge, counts: Counter[str]) -> None:
    after = ""
    while True:
        rows = store.cancels_due(bridge.db, after, PAGE)
        if not rows:
            return
        after = rows[-1]["order_id"]
        for order_id, group in groupby(rows, key=lambda r: r["order_id"]):
            try:
                counts.update(_cancel(bridge, order_id, list(group)))
            except BoxOfficeError as exc:
                if exc.code != "pretix_refused":
                    raise
                with bridge.db.transaction():
                    store.set_state(bridge.db, order_id, _event_of(rows, order_id), "sent", exc.message,
                                    bridge.now())
                counts["cancel_refused"] += 1


def _event_of(rows: list[dict[str, Any]], order_id: str) -> str:
    return next(r["pretix_event"] for r in rows if r["order_id"] == order_id)


def _cancel(bridge: Bridge, order_id: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Cancel in pretix the positions of one order's taken-back tickets (``rows``: its positions not canceled yet,
    each flagged ``revoked``). Asks pretix which positions are still there first, so a repeat cancels nothing twice
    and a partial refund that takes the last positions cancels the whole order (pretix refuses an order change
    that leaves nothing)."""
    client, event, code = bridge.client, rows[0]["pretix_event"], rows[0]["pretix_code"]
    back = [r for r in rows if r["revoked"]]
    pretix_order = client.get(f"events/{event}/orders/{code}/")
    active = {p.get("id") for p in pretix_order.get("positions") or [] if isinstance(p, dict)
              and not p.get("canceled")} if isinstance(pretix_order, dict) else set()
    state = pretix_order.get("status") if isinstance(pretix_order, dict) else None
    cancel = sorted(r["position_id"] for r in back if r["position_id"] in active)
    whole = state != "c" and bool(cancel) and not active - set(cancel)
    if whole:
        client.post(f"events/{event}/orders/{code}/mark_canceled/", {"send_email": False}, key=f"cancel:{order_id}")
    elif cancel and state != "c":
        client.post(f"events/{event}/orders/{code}/change/",
                    {"cancel_positions": [{"position": p} for p in cancel], "send_email": False},
                    key=f"cancel:{order_id}:{','.join(map(str, cancel))}")
    if isinstance(pretix_order, dict):
        _record_refunds(bridge, event, code, order_id, {r["ticket_id"] for r in back}, pretix_order)
    with bridge.db.transaction():
        store.mark_canceled(bridge.db, [r["ticket_id"] for r in back], bridge.now())
        if whole or state == "c" or len(back) == len(rows):
            store.set_state(bridge.db, order_id, event, "canceled", None, bridge.now())
    if whole or state == "c":
        return {"canceled": 1}
    return {"positions_canceled": len(cancel)} if cancel else {}


def _record_refunds(bridge: Bridge, event: str, code: str, order_id: str, tickets: set[str],
                    pretix_order: dict[str, Any]) -> None:
    """The money the counter paid back, as pretix refunds done by the box office: one per refund entry, marked with
    the entry's id in its comment, so pretix's books show the cancelled order settled (not "refund due", which would
    invite someone to pay it back a second time) and a round that runs again records nothing twice."""
    paid = store.paid_of(bridge.db, order_id)
    if paid is None:
        return
    for entry_id, amount in refunds_to_book(bridge.db, order_id, tickets, pretix_order):
        bridge.client.post(f"events/{event}/orders/{code}/refunds/", {
            "state": "done", "source": "admin", "amount": format_money(amount, paid[1]), "provider": "boxoffice",
            "comment": refund_marker(entry_id)}, key=f"refund:{entry_id}")


def refunds_to_book(db: CentralDB, order_id: str, tickets: set[str],
                    pretix_order: dict[str, Any]) -> list[tuple[str, int]]:
    """(entry id, minor units) of each refund to record in pretix for the order's taken-back ``tickets``, as
    pretix's ``pretix_order`` stands now.

    Booked are only refunds the central service applied to this order's tickets (``store.refund_entries``: its own
    terminal's, or another's under an accepted override), each for what it paid back for the tickets it refunded,
    and never more in all than the order was paid less what pretix already records as refunded: a refund pretix
    books as done is money its books say left the till, so a terminal's figure is capped by the sale, never taken
    on its word."""
    paid = store.paid_of(db, order_id)
    if paid is None:
        return []
    total, currency = paid
    done = {str(r.get("comment") or "") for r in pretix_order.get("refunds") or [] if isinstance(r, dict)}
    already = refunded_in_pretix(pretix_order, currency)
    if already is None:
        return []  # an amount pretix shows that cannot be read: nothing is booked on a guess of what is left
    room = total - already
    out: list[tuple[str, int]] = []
    for entry in store.refund_entries(db, order_id):
        if refund_marker(entry["id"]) in done:
            continue
        amount = min(refunded_amount(entry["payload"], tickets & entry["tickets"]), room)
        if amount <= 0:
            continue
        out.append((entry["id"], amount))
        room -= amount
    return out


def refunded_in_pretix(pretix_order: dict[str, Any], currency: str) -> int | None:
    """Minor units pretix records as refunded for an order (every refund not failed or canceled): whoever made it,
    money already gone back. None when one of those amounts cannot be read: counting it as nothing would let the
    bridge book more than the order was paid.

    pretix writes every amount with two decimals, whatever the currency ("1200.00" for yen): read as a decimal and
    brought to the currency's own digits (catalog_map.money), as the catalogue's prices are."""
    from boxoffice.central.pretix.catalog_map import money

    total = 0
    for r in pretix_order.get("refunds") or []:
        if not isinstance(r, dict) or r.get("state") in ("failed", "canceled"):
            continue
        text = money(r.get("amount"), currency)
        if text is None:
            return None
        try:
            total += parse_amount(text, currency)
        except BoxOfficeError:
            return None
    return total


def refund_marker(entry_id: str) -> str:
    """The comment that names the boxoffice refund a pretix refund records."""
    return f"boxoffice refund {entry_id}"


def refunded_amount(payload: Any, tickets: set[str]) -> int:
    """Minor units a refund entry paid back for ``tickets`` (its items' amounts; 0 for anything unreadable, nested
    too deep to read included)."""
    try:
        doc = json.loads(payload) if isinstance(payload, str) else payload
        items = doc.get("items") if isinstance(doc, dict) else None
        return sum(int(i["amount"]) for i in items or [] if isinstance(i, dict) and i.get("ticket_id") in tickets
                   and isinstance(i.get("amount"), int) and i["amount"] > 0)
    except (ValueError, TypeError, KeyError, RecursionError):
        return 0


def listing(db_url: str, failed_only: bool = False, limit: int = 500) -> dict[str, Any]:
    """The orders that went up (or only those pretix refused, with its reason) and how many are in each state."""
    from boxoffice.central.services.admin import open_db

    with open_db(db_url) as db:
        return {"counts": store.counts(db), "orders": store.listing(db, "failed" if failed_only else None, limit)}
