"""Web orders: checked against the published catalogue, numbered with W codes, signed with the central key.

An import is refused whole, every problem located, or written whole in one transaction with one feed change per
order. The shop's own reference (``ref``) makes a repeated import add nothing. Codes come from one central
counter: order n has tag ``W`` + two symbols (n // 31**4) and sequence n % 31**4, so they never clash with a
terminal's codes (terminal tags never start with W) or with each other. The central service refuses a terminal's
order under a W code (central/services/ownership.py); should one be here all the same (pushed before that rule), the
import passes over the code it holds and takes the next free one, so a squatted code never stops the web shop.
"""

from __future__ import annotations

import json
from typing import Any

from boxoffice.central.services import allocation_ledger as ledger
from boxoffice.central.services import customer_limits, feed, free_text, signing
from boxoffice.central.store import allocations as allocation_rows
from boxoffice.central.store import catalogs, sales
from boxoffice.central.store import conflicts as conflict_rows
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.codes import ALPHABET, CENTRAL_TAG_PREFIX, MAX_SEQ, make_order_code
from boxoffice.domain.ids import uuid7
from boxoffice.domain.web_orders import (
    RESERVED,
    Problems,
    Seen,
    seat_label,
    seat_rule,
    seat_subject,
    ticket_amounts,
    totals,
)
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.wire.messages import problems

SCHEMA = "sync-web-orders-import.schema.json"
PER_TAG = MAX_SEQ + 1
SHOP_PREFIXES = ("pretix:",)  # refs the bridges make: the customer knows the part after the prefix


def shop_ref(ref: str) -> str:
    """What the customer holds of the shop's reference, for the pickup desk to find the order by: a pretix order's
    code from its confirmation e-mail ("pretix:Q7XKD" -> "Q7XKD"); another shop's reference as it is."""
    for prefix in SHOP_PREFIXES:
        if ref.startswith(prefix) and len(ref) > len(prefix):
            return ref[len(prefix):]
    return ref


def web_code(n: int) -> str:
    """The code of central order number ``n`` (0-based)."""
    tag_index, seq = divmod(n, PER_TAG)
    if tag_index >= len(ALPHABET) ** 2:
        raise BoxOfficeError("conflict", _("the central service has used every web order code"))
    tag = CENTRAL_TAG_PREFIX + ALPHABET[tag_index // len(ALPHABET)] + ALPHABET[tag_index % len(ALPHABET)]
    return make_order_code(tag, seq)


def _free_codes(db: CentralDB, n: int) -> list[str]:
    """``n`` web codes from the central counter that no order holds yet (see the module docstring)."""
    out: list[str] = []
    while len(out) < n:
        fresh = [web_code(k - 1) for k in feed.take_numbers(db, "web_order", n - len(out))]
        taken = {r["code"] for r in sales.orders_with_codes(db, fresh)}
        out += [c for c in fresh if c not in taken]
    return out


def _models(db: CentralDB, event_ids: set[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for eid in event_ids:
        model = catalogs.event_model(db, eid)
        if model is not None:
            out[eid] = json.loads(model)
    return out


def _plan(db: CentralDB, doc: dict[str, Any],
          now: str) -> tuple[list[dict[str, Any]], list[str], list[str], int]:
    """Price and place every new order; collect every problem. Returns (orders, problems, capacity problems,
    already imported): a capacity problem is a place someone else has (see ``import_orders``' ``trust_capacity``).

    The steps: which references are imported already (``sales.refs_known``), each new order's tickets
    (``_plan_ticket``: its section and seat, its type, its price), then what others hold: seats sold already, seats
    a terminal or the venue holds, standing places not free (``allocations_block``)."""
    orders = doc["orders"]
    refs = [o["ref"] for o in orders]
    known = sales.refs_known(db, refs)
    models = _models(db, {o["event_id"] for o in orders})
    issues = Problems(limit=None)
    seen = Seen()
    planned: list[dict[str, Any]] = []
    wanted_seats: dict[str, str] = {}
    for oi, o in enumerate(orders):
        at = f"/orders/{oi}"
        if seen.again("ref", o["ref"]):
            issues.add(f"{at}/ref", _("{ref!r} appears twice in this document").format(ref=o["ref"]))
        if o["ref"] in known:
            continue
        model = models.get(o["event_id"])
        if model is None:
            issues.add(f"{at}/event_id", _("no published event {event_id!r}: publish the catalogue first").format(
                event_id=o["event_id"]))
            continue
        tickets = [_plan_ticket(f"{at}/tickets/{ti}", t, model, wanted_seats, issues)
                   for ti, t in enumerate(o["tickets"])]
        planned.append({"src": o, "event": model["event"], "tickets": [t for t in tickets if t is not None]})
    capacity = [_("{where}/seat: already sold ({subject})").format(where=wanted_seats[s], subject=s)
                for s in sales.seats_claimed(db, list(wanted_seats))]
    capacity += allocations_block(db, planned, wanted_seats)
    return planned, issues.errors, capacity, len(known & set(refs))


def _plan_ticket(tat: str, t: dict[str, Any], model: dict[str, Any], wanted_seats: dict[str, str],
                 issues: Problems) -> dict[str, Any] | None:
    """One ticket of a new order placed and priced, or None with its problem recorded. A seat is noted in
    ``wanted_seats`` (subject -> pointer) so that the same seat twice in the document is caught."""
    ev = model["event"]
    kind = model["sections"].get(t["section_id"])
    if kind is None:
        issues.add(f"{tat}/section_id", _("event {event_id!r} has no section {section_id!r}").format(
            event_id=ev["id"], section_id=t["section_id"]))
        return None
    rule = seat_rule(kind, "seat" in t)
    row = seat = None
    if kind == RESERVED:
        place = model["seats"].get(t.get("seat", ""))
        if rule == "seat_needed" or place is None or place[0] != t["section_id"]:
            issues.add(f"{tat}/seat", _("a reserved section needs one of its seats, not {seat!r}").format(
                seat=t.get("seat", "none")))
            return None
        subject = seat_subject(ev["id"], t["section_id"], t["seat"])
        if subject in wanted_seats:
            issues.add(f"{tat}/seat", _("{seat} is also in {where}").format(seat=t["seat"],
                                                                            where=wanted_seats[subject]))
        wanted_seats[subject] = tat
        row, seat = place[1], place[2]
    elif rule == "no_seat":
        issues.add(f"{tat}/seat", _("section {section_id!r} is general admission: no seat").format(
            section_id=t["section_id"]))
        return None
    if t["type"] not in model["types"]:
        issues.add(f"{tat}/type", _("event {event_id!r} has no ticket type {type!r}").format(
            event_id=ev["id"], type=t["type"]))
        return None
    amounts = ticket_amounts(t.get("price"),
                             model["prices"].get(f"{t['type']}/{t['section_id']}"), ev["currency"], ev["tax_rate_bp"])
    if amounts is None:
        issues.add(f"{tat}/price", _("{type!r} has no catalogue price in {section_id!r}: give one").format(
            type=t["type"], section_id=t["section_id"]))
        return None
    out = {"section_id": t["section_id"], "row": row, "seat": seat, "ticket_type_id": t["type"],
           "price": amounts[0], "tax": amounts[1]}
    if "external_secret" in t:  # the shop's own secret travels with the ticket to the doors (optional)
        out["external_secret"] = t["external_secret"]
    return out


def allocations_block(db: CentralDB, planned: list[dict[str, Any]], wanted_seats: dict[str, str]) -> list[str]:
    """The web shop sells only what no terminal holds and the venue does not hold back: not a seat allocated to a
    terminal, not a held (house) seat, not more standing places than are free."""
    out: list[str] = []
    house: dict[tuple[str, str], frozenset[str]] = {}
    for subject, where in wanted_seats.items():
        eid, sid, label = subject.split("/", 2)
        if (eid, sid) not in house:
            house[eid, sid] = ledger.section(db, eid, sid).held
        holder = allocation_rows.seat_holder(db, eid, sid, label)
        if holder is not None:
            out.append(_("{where}/seat: {seat} is allocated to a terminal ({subject})").format(
                where=where, seat=label, subject=subject))
        elif label in house[eid, sid]:
            out.append(_("{where}/seat: {seat} is held back by the venue (a house seat) ({subject})").format(
                where=where, seat=label, subject=subject))
    standing: dict[tuple[str, str], int] = {}
    for p in planned:
        for t in p["tickets"]:
            if t["row"] is None:
                key = (p["event"]["id"], t["section_id"])
                standing[key] = standing.get(key, 0) + 1
    for (eid, sid), n in standing.items():
        sec = ledger.section(db, eid, sid)
        left = ledger.free(db, sec)
        if n > left:
            out.append(_("/orders: {count} place(s) of {event}/{section} asked, {left} not sold or allocated to a "
                         "terminal").format(count=n, event=eid, section=sid, left=left))
    return out


def import_orders(db: CentralDB, doc: Any, now: str, *, trust_capacity: bool = False,
                  detail: bool = False) -> dict[str, Any]:
    """Check and import a web-orders document (schemas/sync-web-orders-import.schema.json).

    ``trust_capacity``: the shop is the source of truth for its places (the pretix bridge: pretix sold them
    already, its quotas and the terminals' blocking vouchers decide). A place the central ledger counts as someone
    else's (a seat sold or allocated, standing places not free) does not refuse the order then: refusing would
    leave a customer who has paid with nothing to pick up. It is imported and flagged as a conflict for a
    supervisor (``over_capacity`` in the answer). ``detail``: the answer lists every imported order (ref, id,
    code, ticket ids in the document's order), for a caller that records them."""
    from boxoffice.tickets.token import TicketClaims, sign_token

    errors = problems(doc, SCHEMA)  # the fast checker first: an export of a whole season is large
    if errors:
        raise BoxOfficeError("invalid_document", _("the web orders document has {count} error(s); nothing was "
                                                   "imported. First: {first}").format(count=len(errors),
                                                                                      first=errors[0]),
                             errors=errors)
    free_text.refuse_in_document(doc, N_("web orders document"))
    with db.transaction():
        # before reading what is free: a terminal's top-up or a grant running at the same time on PostgreSQL would
        # otherwise read the same free places and both sides would have them
        ledger.lock(db)
        planned, issues, capacity, known = _plan(db, doc, now)
        if not trust_capacity:
            issues += capacity
        if issues:
            raise BoxOfficeError("invalid_document", _("{count} problem(s) in the web orders; nothing was imported. "
                                                       "First: {first}").format(count=len(issues), first=issues[0]),
                                 errors=issues[:200])
        key_row, created = signing.ensure_key(db, now)
        key, kid = signing.private_key(key_row), bytes.fromhex(key_row["key_id"])
        codes = _free_codes(db, len(planned))
        orders, tickets, claims, changes, keyed = [], [], [], [], []
        if created:
            changes.append(signing.key_change(key_row))
        for code, p in zip(codes, planned, strict=True):
            o, ev = p["src"], p["event"]
            oid = uuid7()
            total, tax = totals(p["tickets"])
            order = {"id": oid, "code": code, "event_id": ev["id"], "channel": "web",
                     "terminal_id": None, "status": "paid" if o.get("paid", True) else "unpaid",
                     "customer_name": o.get("customer_name"), "email": o.get("email"), "phone": o.get("phone"),
                     "notes": o.get("notes"), "total": total, "tax": tax, "currency": ev["currency"],
                     "created_at": o.get("created_at", now)}
            ts = []
            for t in p["tickets"]:
                tid = uuid7()
                token = sign_token(TicketClaims(tid, ev["id"], t["section_id"], t["row"], t["seat"]), key, kid)
                ts.append({"id": tid, **t, "token": token})
                if t["row"] is not None:
                    subject = seat_subject(ev["id"], t["section_id"], seat_label(t["row"], t["seat"]))
                    claims.append(("seat", subject, "web", oid, now))
            orders.append((order, o["ref"]))
            tickets += [(oid, ev["id"], t) for t in ts]
            # the shop's own reference travels on the feed only (optional there): a desk finds the order by it
            body: dict[str, Any] = {"order": {**order, "shop_ref": shop_ref(o["ref"])}, "tickets": ts}
            keys = (customer_limits.web_keys(db, order["phone"], order["email"], len(ts), now)
                    if ev.get("per_customer_limit") else [])
            if keys:
                body["customer_keys"] = [{"key": k, "places": n} for k, n in keys]
                keyed.append((order, {"terminal_id": "web", "entry_id": oid, "at": now}, keys))
            changes.append(feed.Change("web_order", body))
        sales.insert_web_orders(db, orders, tickets, claims, skip_claimed=trust_capacity)
        if trust_capacity:
            _flag_capacity(db, capacity, now)
        for flag, seller in customer_limits.flag_web(db, customer_limits.record(db, keyed), now):
            if seller is not None:
                changes.append(feed.Change("conflict", flag, origin=None, audience=seller))
        feed.append(db, changes, now)
    out: dict[str, Any] = {"imported": len(orders), "already_imported": known, "tickets": len(tickets),
                           "codes": [o["code"] for o, _ in orders[:20]]}
    if trust_capacity:
        out["over_capacity"] = capacity[:200]
    if detail:
        by_order: dict[str, list[str]] = {}
        for oid, _eid, t in tickets:
            by_order.setdefault(oid, []).append(t["id"])
        out["orders"] = [{"ref": ref, "id": o["id"], "code": o["code"], "tickets": by_order.get(o["id"], [])}
                         for o, ref in orders]
    return out


def _flag_capacity(db: CentralDB, found: list[str], now: str) -> None:
    """One conflict per capacity problem the shop's truth overrode (`boxoffice central conflicts` lists them)."""
    for text in found[:200]:
        party = {"terminal_id": "web", "entry_id": "web-import", "at": now}
        conflict_rows.insert(db, {"id": uuid7(), "kind": "web_over_capacity", "subject": text[:300],
                                  "order_id": None, "ticket_id": None, "first": party, "second": party,
                                  "rule": "the web shop sold it: imported all the same; a supervisor decides "
                                          "who keeps the place", "at": now})
