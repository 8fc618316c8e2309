"""Web orders: checked against the published catalogue, numbered with W codes, signed with the central key.

An import is refused whole, every problem located, or written whole in one transaction with one feed change per
order. The shop's own reference (``ref``) makes a repeated import add nothing. Codes come from one central
counter: order n has tag ``W`` + two symbols (n // 31**4) and sequence n % 31**4, so they never clash with a
terminal's codes (terminal tags never start with W) or with each other.
"""

from __future__ import annotations

import json
from typing import Any

from boxoffice.central.services import allocation_ledger as ledger
from boxoffice.central.services import feed, signing
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.codes import ALPHABET, CENTRAL_TAG_PREFIX, MAX_SEQ, make_order_code
from boxoffice.domain.ids import uuid7
from boxoffice.domain.money import parse_amount, tax_share
from boxoffice.errors import BoxOfficeError
from boxoffice.wire.messages import problems

SCHEMA = "sync-web-orders-import.schema.json"
PER_TAG = MAX_SEQ + 1


def web_code(n: int) -> str:
    """The code of central order number ``n`` (0-based)."""
    tag_index, seq = divmod(n, PER_TAG)
    if tag_index >= len(ALPHABET) ** 2:
        raise BoxOfficeError("conflict", "the central service has used every web order code")
    tag = CENTRAL_TAG_PREFIX + ALPHABET[tag_index // len(ALPHABET)] + ALPHABET[tag_index % len(ALPHABET)]
    return make_order_code(tag, seq)


def _models(db: CentralDB, event_ids: set[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for eid in event_ids:
        row = db.one("SELECT model FROM events WHERE id = ?", (eid,))
        if row is not None:
            out[eid] = json.loads(row["model"])
    return out


def _plan(db: CentralDB, doc: dict[str, Any], now: str) -> tuple[list[dict[str, Any]], list[str], int]:
    """Price and place every new order; collect every problem. Returns (orders, problems, already imported)."""
    orders = doc["orders"]
    refs = [o["ref"] for o in orders]
    known: set[str] = set()
    for i in range(0, len(refs), 500):
        part = refs[i:i + 500]
        known |= {r["ref"] for r in db.all(
            f"SELECT ref FROM orders WHERE ref IN ({', '.join('?' * len(part))})", part)}
    models = _models(db, {o["event_id"] for o in orders})
    problems: list[str] = []
    planned: list[dict[str, Any]] = []
    seen_refs: set[str] = set()
    wanted_seats: dict[str, str] = {}
    for oi, o in enumerate(orders):
        at = f"/orders/{oi}"
        if o["ref"] in seen_refs:
            problems.append(f"{at}/ref: {o['ref']!r} appears twice in this document")
        seen_refs.add(o["ref"])
        if o["ref"] in known:
            continue
        model = models.get(o["event_id"])
        if model is None:
            problems.append(f"{at}/event_id: no published event {o['event_id']!r}: publish the catalogue first")
            continue
        ev = model["event"]
        tickets = []
        for ti, t in enumerate(o["tickets"]):
            tat = f"{at}/tickets/{ti}"
            kind = model["sections"].get(t["section_id"])
            if kind is None:
                problems.append(f"{tat}/section_id: event {ev['id']!r} has no section {t['section_id']!r}")
                continue
            row = seat = None
            if kind == "reserved":
                place = model["seats"].get(t.get("seat", ""))
                if "seat" not in t or place is None or place[0] != t["section_id"]:
                    problems.append(f"{tat}/seat: a reserved section needs one of its seats, "
                                    f"not {t.get('seat', 'none')!r}")
                    continue
                subject = f"{ev['id']}/{t['section_id']}/{t['seat']}"
                if subject in wanted_seats:
                    problems.append(f"{tat}/seat: {t['seat']} is also in {wanted_seats[subject]}")
                wanted_seats[subject] = tat
                row, seat = place[1], place[2]
            elif "seat" in t:
                problems.append(f"{tat}/seat: section {t['section_id']!r} is general admission: no seat")
                continue
            if t["type"] not in model["types"]:
                problems.append(f"{tat}/type: event {ev['id']!r} has no ticket type {t['type']!r}")
                continue
            if "price" in t:
                price = parse_amount(t["price"], ev["currency"])
            elif f"{t['type']}/{t['section_id']}" in model["prices"]:
                price = model["prices"][f"{t['type']}/{t['section_id']}"]
            else:
                problems.append(f"{tat}/price: {t['type']!r} has no catalogue price in {t['section_id']!r}: give one")
                continue
            tickets.append({"section_id": t["section_id"], "row": row, "seat": seat, "ticket_type_id": t["type"],
                            "price": price, "tax": tax_share(price, ev["tax_rate_bp"])})
        planned.append({"src": o, "event": ev, "tickets": tickets})
    taken = _seats_taken(db, list(wanted_seats))
    problems += [f"{wanted_seats[s]}/seat: already sold ({s})" for s in taken]
    problems += allocations_block(db, planned, wanted_seats)
    return planned, problems, len(known & seen_refs)


def allocations_block(db: CentralDB, planned: list[dict[str, Any]], wanted_seats: dict[str, str]) -> list[str]:
    """The web shop sells only what no terminal holds and the venue does not hold back: not a seat allocated to a
    terminal, not a held (house) seat, not more standing places than are free."""
    out: list[str] = []
    house: dict[tuple[str, str], frozenset[str]] = {}
    for subject, where in wanted_seats.items():
        eid, sid, label = subject.split("/", 2)
        if (eid, sid) not in house:
            house[eid, sid] = ledger.section(db, eid, sid).held
        holder = db.scalar("SELECT terminal_id FROM allocated_seats WHERE event_id = ? AND section_id = ?"
                           " AND label = ?", (eid, sid, label))
        if holder is not None:
            out.append(f"{where}/seat: {label} is allocated to a terminal ({subject})")
        elif label in house[eid, sid]:
            out.append(f"{where}/seat: {label} is held back by the venue (a house seat) ({subject})")
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
            out.append(f"/orders: {n} place(s) of {eid}/{sid} asked, {left} not sold or allocated to a terminal")
    return out


def _seats_taken(db: CentralDB, subjects: list[str]) -> list[str]:
    taken: list[str] = []
    for i in range(0, len(subjects), 500):
        part = subjects[i:i + 500]
        taken += [r["subject"] for r in db.all(
            f"SELECT subject FROM claims WHERE action = 'seat' AND subject IN ({', '.join('?' * len(part))})", part)]
    return taken


def import_orders(db: CentralDB, doc: Any, now: str) -> dict[str, Any]:
    """Check and import a web-orders document (schemas/sync-web-orders-import.schema.json)."""
    from boxoffice.tickets.token import TicketClaims, sign_token

    errors = problems(doc, SCHEMA)  # the fast checker first: an export of a whole season is large
    if errors:
        raise BoxOfficeError("invalid_document", f"the web orders document has {len(errors)} error(s); nothing was "
                                                 f"imported. First: {errors[0]}", errors=errors)
    with db.transaction():
        # before reading what is free: a terminal's top-up or a grant running at the same time on PostgreSQL would
        # otherwise read the same free places and both sides would have them
        ledger.lock(db)
        planned, issues, known = _plan(db, doc, now)
        if issues:
            raise BoxOfficeError("invalid_document", f"{len(issues)} problem(s) in the web orders; nothing was "
                                                     f"imported. First: {issues[0]}", errors=issues[:200])
        key_row, created = signing.ensure_key(db, now)
        key, kid = signing.private_key(key_row), bytes.fromhex(key_row["key_id"])
        numbers = feed.take_numbers(db, "web_order", len(planned)) if planned else range(0)
        orders, tickets, claims, changes = [], [], [], []
        if created:
            changes.append(signing.key_change(key_row))
        for n, p in zip(numbers, planned, strict=True):
            o, ev = p["src"], p["event"]
            oid = uuid7()
            order = {"id": oid, "code": web_code(n - 1), "event_id": ev["id"], "channel": "web",
                     "terminal_id": None, "status": "paid" if o.get("paid", True) else "unpaid",
                     "customer_name": o.get("customer_name"), "email": o.get("email"), "phone": o.get("phone"),
                     "notes": o.get("notes"), "total": sum(t["price"] for t in p["tickets"]),
                     "tax": sum(t["tax"] for t in p["tickets"]), "currency": ev["currency"],
                     "created_at": o.get("created_at", now)}
            ts = []
            for t in p["tickets"]:
                tid = uuid7()
                token = sign_token(TicketClaims(tid, ev["id"], t["section_id"], t["row"], t["seat"]), key, kid)
                ts.append({"id": tid, **t, "token": token})
                if t["row"] is not None:
                    claims.append(("seat", f"{ev['id']}/{t['section_id']}/{t['row']}{t['seat']}", "web", oid, now))
            orders.append((order, o["ref"]))
            tickets += [(oid, ev["id"], t) for t in ts]
            changes.append(feed.Change("web_order", {"order": order, "tickets": ts}))
        db.insert_rows("orders", ("id", "code", "ref", "event_id", "channel", "terminal_id", "status",
                                  "customer_name", "email", "phone", "notes", "total", "tax", "currency", "created_at"),
                       [(o["id"], o["code"], ref, o["event_id"], o["channel"], None, o["status"],
                         o["customer_name"], o["email"], o["phone"], o["notes"], o["total"], o["tax"], o["currency"],
                         o["created_at"]) for o, ref in orders])
        db.insert_rows("tickets", ("id", "order_id", "event_id", "section_id", "row_label", "seat", "ticket_type_id",
                                   "price", "tax", "token"),
                       [(t["id"], oid, eid, t["section_id"], t["row"], t["seat"], t["ticket_type_id"], t["price"],
                         t["tax"], t["token"]) for oid, eid, t in tickets])
        db.insert_rows("claims", ("action", "subject", "terminal_id", "entry_id", "at"), claims)
        feed.append(db, changes, now)
    return {"imported": len(orders), "already_imported": known, "tickets": len(tickets),
            "codes": [o["code"] for o, _ in orders[:20]]}
