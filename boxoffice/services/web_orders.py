"""Orders from other channels (the web shop) and the public keys that sign their tickets, imported by hand.

Until sync exists, the central service's key list and its web orders reach a terminal as two JSON documents:
``boxoffice keys import`` (schemas/keys.schema.json) and ``boxoffice orders import`` (schemas/orders.schema.json).
Both are checked whole before anything is written: a document with any error is refused with every error located
by JSON pointer, and nothing of it is imported.

Stock. In this model a web order's places come from stock this terminal does not own: the central service sells
on the web only what it has not allocated to a terminal (see DESIGN.md, inventory without oversell). So importing
a web order never touches this terminal's sections.sold counters or seat states; doing so would count the same
place twice once the allocation syncs. A web ticket naming a seat this terminal itself sold is a double sale made
somewhere upstream: it is imported (the customer holds a genuinely signed ticket) and reported as a warning for a
supervisor, not hidden.

Each ticket's token is verified on import (a known key, a good signature, and claims that match the ticket id,
event, section and seat the document states), so the pickup desk never prints a ticket the door would refuse.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, TypedDict

from boxoffice.domain.card_numbers import refuse_card_numbers_in
from boxoffice.domain.codes import normalise_code
from boxoffice.domain.search_text import phone_digits
from boxoffice.domain.web_orders import Problems, Seen, clean_notes, seat_label, seat_rule, ticket_amounts, totals
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.services.signing import public_key_for
from boxoffice.store import catalog as catalog_store
from boxoffice.store import orders as order_store
from boxoffice.store import pickup as store
from boxoffice.store import terminal as terminal_store
from boxoffice.store.db import write
from boxoffice.wire.schemas import read_json_file, validate

MAX_ORDERS_BYTES = 1_000_000_000  # a million orders with their tokens is about 400 MB
MAX_KEYS_BYTES = 5_000_000
class KeyRef(TypedDict):
    """A trusted key by its id and whose it is."""

    key_id: str
    owner: str


class ImportedKeys(TypedDict):
    """A key list imported (:func:`import_keys`): the keys newly trusted, and how many were known already."""

    added: list[KeyRef]
    unchanged: int


class TrustedKey(KeyRef):
    """A key this terminal trusts (:func:`list_keys`), its own first; ``revoked_at`` once no longer trusted."""

    added_at: str
    revoked_at: str | None
    public_key: str
    own: bool


class ImportedOrders(TypedDict):
    """A web orders document imported (:func:`import_orders`): what was new, updated or known already."""

    created: int
    tickets: int
    updated: int
    unchanged: int
    warnings: list[str]


# --- keys ---------------------------------------------------------------------------------------------------


def import_keys_file(ctx: Ctx, path: str | Path) -> ImportedKeys:
    """Read and import a key list (schemas/keys.schema.json)."""
    ctx.require("catalog")
    return import_keys(ctx, read_json_file(path, MAX_KEYS_BYTES, "key list"))


def import_keys(ctx: Ctx, doc: Any) -> ImportedKeys:
    """Trust the listed public keys for verifying tickets. A key id must be the hash of its key; a key id known
    here with another key is refused (it would make every ticket signed by the first one unverifiable)."""
    from boxoffice.tickets.keys import key_id_hex, public_from_b64

    ctx.require("catalog")
    validate(doc, "keys.schema.json", "key list")
    problems = Problems()
    new: list[dict[str, str]] = []
    unchanged = 0
    seen: dict[str, str] = {}
    for i, k in enumerate(doc):
        try:
            raw = public_from_b64(k["public_key"])
        except BoxOfficeError as exc:
            problems.add(f"/{i}/public_key", exc.message)
            continue
        if key_id_hex(raw) != k["key_id"]:
            problems.add(f"/{i}/key_id", _("{key} is not the id of this public key (it is {actual})").format(
                key=k["key_id"], actual=key_id_hex(raw)))
            continue
        if seen.get(k["key_id"], k["public_key"]) != k["public_key"]:
            problems.add(f"/{i}/key_id", _("key {key} is listed twice with different keys").format(key=k["key_id"]))
            continue
        seen[k["key_id"]] = k["public_key"]
        known = terminal_store.public_key(ctx.conn, k["key_id"])
        if known is None:
            if k["key_id"] not in {n["key_id"] for n in new}:
                new.append({"key_id": k["key_id"], "public_key": k["public_key"], "owner": k["owner"]})
        elif known["public_key"] != k["public_key"]:
            problems.add(f"/{i}/public_key", _("key {key} is known here with another public key; "
                                               "nothing replaces a key by import").format(key=k["key_id"]))
        elif known["owner"] != k["owner"]:
            problems.add(f"/{i}/owner", _("key {key} belongs to {owner} here, not {other}").format(
                key=k["key_id"], owner=known["owner"], other=k["owner"]))
        else:
            unchanged += 1
    problems.raise_if_any("key list")
    with write(ctx.conn):
        for k in new:
            terminal_store.add_key(ctx.conn, k["key_id"], k["public_key"], k["owner"], ctx.now_iso())
        if new:
            ctx.journal("keys.import", {"keys": [{"key_id": k["key_id"], "owner": k["owner"],
                                                   "public_key": k["public_key"]} for k in new]})
    ctx.cache.pop("public_keys", None)  # a long-running counter must see the new keys at once
    return {"added": [{"key_id": k["key_id"], "owner": k["owner"]} for k in new], "unchanged": unchanged}


def list_keys(ctx: Ctx) -> list[TrustedKey]:
    """The keys this terminal trusts, its own first."""
    own = ctx.terminal["key_id"]
    keys = terminal_store.list_keys(ctx.conn)
    return sorted(({"key_id": k["key_id"], "owner": k["owner"], "added_at": k["added_at"],
                    "revoked_at": k["revoked_at"], "public_key": k["public_key"], "own": k["key_id"] == own}
                   for k in keys), key=lambda k: (not k["own"], k["added_at"]))


# --- orders -------------------------------------------------------------------------------------------------


class _Catalogue:
    """The events, sections, types and seats a document names, read once each."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.events: dict[str, dict | None] = {}
        self.sections: dict[str, dict[str, dict]] = {}
        self.types: dict[str, set[str]] = {}
        self.seats: dict[tuple[str, str], dict[str, tuple[str, str | None]]] = {}

    def event(self, event_id: str) -> dict | None:
        if event_id not in self.events:
            ev = catalog_store.get_event(self.ctx.conn, event_id)
            self.events[event_id] = ev
            if ev is not None:
                self.sections[event_id] = {s["id"]: s for s in catalog_store.sections(self.ctx.conn, event_id)}
                self.types[event_id] = {t["id"] for t in catalog_store.ticket_types(self.ctx.conn, event_id)}
        return self.events[event_id]

    def seat_map(self, event_id: str, section_id: str) -> dict[str, tuple[str, str | None]]:
        key = (event_id, section_id)
        if key not in self.seats:
            self.seats[key] = store.seat_states(self.ctx.conn, event_id, section_id)
        return self.seats[key]


def import_orders_file(ctx: Ctx, path: str | Path) -> ImportedOrders:
    """Read and import an orders document (schemas/orders.schema.json)."""
    ctx.require("orders_import")
    return import_orders(ctx, read_json_file(path, MAX_ORDERS_BYTES, "orders document"))


def import_orders(ctx: Ctx, doc: Any) -> ImportedOrders:
    """Import web orders whole or not at all; orders imported before are left as they are, except that an unpaid
    order may since have been paid and its notes may have changed.

    Returns counts and warnings (seats this terminal sold too).
    """
    ctx.require("orders_import")
    validate(doc, "orders.schema.json", "orders document")
    refuse_card_numbers_in(doc, "orders document")
    plan = _plan(ctx, doc)
    with write(ctx.conn):
        for order in plan["orders"]:
            order_store.insert_order(ctx.conn, order)
        order_store.insert_tickets(ctx.conn, plan["tickets"])
        from boxoffice.store import holders as holder_store

        holder_store.insert(ctx.conn, plan["holders"])
        for upd in plan["updates"]:
            store.update_order_state(ctx.conn, upd["id"], upd["status"], upd["notes"])
        from boxoffice.services.pickup import refresh_index

        refresh_index(ctx)
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        ctx.journal("orders.import", {"sha256": digest, "source": doc.get("source"),
                                      "created": len(plan["orders"]), "tickets": len(plan["tickets"]),
                                      "updated": [u["id"] for u in plan["updates"]],
                                      "warnings": plan["warnings"][:100]})
    return {"created": len(plan["orders"]), "tickets": len(plan["tickets"]), "updated": len(plan["updates"]),
            "unchanged": plan["unchanged"], "warnings": plan["warnings_shown"]}


def _plan(ctx: Ctx, doc: dict[str, Any]) -> dict[str, Any]:
    """Check every order against the catalogue, the keys and what is here already; the rows to write, or raise."""
    intake = _Intake(ctx, doc["orders"])
    for i, (o, code) in enumerate(zip(intake.orders_in, intake.codes, strict=True)):
        intake.order(f"/orders/{i}", o, code)
    intake.problems.raise_if_any("orders document")
    return intake.plan


class _Intake:
    """One orders document being checked: what is here already, what the document named so far, the rows planned.

    The steps: normalise every code (``_codes``), then per order (``order``) refuse a repeated id or code and an
    unknown event, hand an order imported before to ``_plan_existing``, and plan each ticket (``_ticket``: its place,
    its token, its price) before the order row itself (``_order_row``)."""

    def __init__(self, ctx: Ctx, orders_in: list[dict[str, Any]]) -> None:
        self.ctx, self.orders_in = ctx, orders_in
        self.problems = Problems()
        self.cat = _Catalogue(ctx)
        self.keys = public_key_for(ctx)
        self.codes = self._codes()
        self.here = store.existing_orders(ctx.conn, [o["id"] for o in orders_in], [c for c in self.codes if c])
        self.here_by_code = {r["code"]: r for r in self.here.values()}
        self.tickets_here = store.existing_tickets(ctx.conn, [t["id"] for o in orders_in for t in o["tickets"]])
        self.seen = Seen()
        # warnings: English for the journal; warnings_shown: the same in the language in force, for the operator
        self.plan: dict[str, Any] = {"orders": [], "tickets": [], "updates": [], "unchanged": 0, "warnings": [],
                                     "warnings_shown": [], "holders": []}
        self.now = ctx.now_iso()

    def _codes(self) -> list[str]:
        """Each order's code as stored ('' for one that is no code, with its problem)."""
        codes: list[str] = []
        for i, o in enumerate(self.orders_in):
            try:
                codes.append(normalise_code(o["code"]))
            except BoxOfficeError as exc:
                self.problems.add(f"/orders/{i}/code", exc.message)
                codes.append("")
        return codes

    def order(self, p: str, o: dict[str, Any], code: str) -> None:
        if self.seen.again("id", o["id"]):
            self.problems.add(f"{p}/id", _("order id {id} appears twice in the document").format(id=o["id"]))
        if code and self.seen.again("code", code):
            self.problems.add(f"{p}/code", _("order code {code} appears twice in the document").format(code=code))
        ev = self.cat.event(o["event_id"])
        if ev is None:
            self.problems.add(f"{p}/event_id", _("no event {event} on this terminal: import the catalogue "
                                                 "first").format(event=repr(o["event_id"])))
            return
        other = self.here_by_code.get(code)
        if other is not None and other["id"] != o["id"]:
            self.problems.add(f"{p}/code", _("order code {code} belongs to another order here ({channel})").format(
                code=code, channel=other["channel"]))
            return
        existing = self.here.get(o["id"])
        if existing is not None:
            _plan_existing(o, code, existing, self.tickets_here, p, self.problems, self.plan)
            return
        planned = [self._ticket(f"{p}/tickets/{j}", o, t, ev, code) for j, t in enumerate(o["tickets"])]
        tickets = [t for t in planned if t is not None]
        if len(tickets) != len(o["tickets"]):
            return
        self.plan["orders"].append(self._order_row(o, code, ev, tickets))
        self.plan["tickets"].extend(tickets)

    def _ticket(self, tp: str, o: dict[str, Any], t: dict[str, Any], ev: dict[str, Any],
                code: str) -> dict[str, Any] | None:
        """One ticket's row, or None when it cannot be planned (its problems are recorded)."""
        if self.seen.again("ticket", t["id"]) or t["id"] in self.tickets_here:
            self.problems.add(f"{tp}/id", _("ticket id {id} is used twice (in this document or here already)").format(
                id=t["id"]))
        if self.seen.again("token", t["token"]):
            self.problems.add(f"{tp}/token", _("the same token appears on two tickets"))
        if not _check_place(self.cat, ev, t, tp, self.problems, self.plan, code):
            return None
        decoded = self._token(tp, t, ev)
        if decoded is None:
            return None
        try:
            amounts = ticket_amounts(t["price"], None, ev["currency"], ev["tax_rate_bp"])
        except BoxOfficeError as exc:
            self.problems.add(f"{tp}/price", exc.message)
            return None
        if amounts is None:
            self.problems.add(f"{tp}/price", _("a web ticket gives its price"))
            return None
        price, tax = amounts
        if "holder" in t:
            from boxoffice.services.holders import web_holder

            problem = web_holder(self.plan["holders"], t, o["id"], ev, decoded, self.keys, self.now)
            if problem:
                self.problems.add(f"{tp}/holder", problem)
                return None
        return {"id": t["id"], "order_id": o["id"], "event_id": ev["id"], "section_id": t["section_id"],
                "row": t.get("row"), "seat": t.get("seat"), "ticket_type_id": t["ticket_type_id"], "price": price,
                "tax": tax, "token": decoded.text}

    def _token(self, tp: str, t: dict[str, Any], ev: dict[str, Any]) -> Any:
        """The verified token, or None when it does not verify; claims that name another ticket, event, section
        or place are recorded as problems (the ticket is still planned, the document refused)."""
        from boxoffice.tickets.token import event_ref, section_ref, verify_token

        try:
            decoded = verify_token(t["token"], self.keys)
        except BoxOfficeError as exc:
            self.problems.add(f"{tp}/token", _token_problem(exc))
            return None
        if decoded.ticket_id != t["id"]:
            self.problems.add(f"{tp}/token", _("the token is for ticket {token_ticket}, not {ticket}").format(
                token_ticket=decoded.ticket_id, ticket=t["id"]))
        elif decoded.event_ref != event_ref(ev["id"]):
            self.problems.add(f"{tp}/token", _("the token is for another event than {event}").format(
                event=repr(ev["id"])))
        elif decoded.section_ref != section_ref(ev["id"], t["section_id"]):
            self.problems.add(f"{tp}/token", _("the token is for another section than {section}").format(
                section=repr(t["section_id"])))
        elif (decoded.row, decoded.seat) != (t.get("row"), t.get("seat")):
            self.problems.add(f"{tp}/token", _("the token is for place {token_place}, not {place}").format(
                token_place=f"{decoded.row}{decoded.seat}", place=f"{t.get('row')}{t.get('seat')}"))
        return decoded

    def _order_row(self, o: dict[str, Any], code: str, ev: dict[str, Any],
                   tickets: list[dict[str, Any]]) -> dict[str, Any]:
        customer = o["customer"]
        digits = phone_digits(customer.get("phone"))
        total, tax = totals(tickets)
        return {"id": o["id"], "code": code, "event_id": ev["id"], "channel": o.get("channel", "web"),
                "terminal_id": None, "status": o["status"], "customer_name": customer["name"].strip(),
                "email": customer.get("email"), "phone": customer.get("phone"), "phone_digits": digits or None,
                "notes": clean_notes(o.get("notes")), "total": total, "tax": tax, "currency": ev["currency"],
                "created_at": _utc(o.get("created_at")) or self.now, "operator_id": None}


def _plan_existing(o: dict, code: str, existing: dict, tickets_here: dict[str, dict], p: str,
                   problems: Problems, plan: dict[str, Any]) -> None:
    """An order imported before: the same tickets must come again; payment and notes may have changed."""
    if existing["code"] != code:
        problems.add(f"{p}/code", _("order {id} is here with code {here}, not {code}").format(
            id=o["id"], here=existing["code"], code=code))
        return
    for j, t in enumerate(o["tickets"]):
        known = tickets_here.get(t["id"])
        if known is None or known["order_id"] != o["id"] or known["token"] != t["token"]:
            problems.add(f"{p}/tickets/{j}", _("order {code} is here already with other tickets; a changed order "
                                               "must come by sync").format(code=code))
            return
    notes = clean_notes(o.get("notes"))
    status = existing["status"]
    if status == "unpaid" and o["status"] == "paid":
        status = "paid"
    elif status == "paid" and o["status"] == "unpaid":
        problems.add(f"{p}/status", _("order {code} is paid here; an import cannot make it unpaid").format(
            code=code))
        return
    if status != existing["status"] or notes != existing["notes"]:
        plan["updates"].append({"id": o["id"], "status": status, "notes": notes})
    else:
        plan["unchanged"] += 1


def _check_place(cat: _Catalogue, ev: dict, t: dict, tp: str, problems: Problems, plan: dict[str, Any],
                 code: str) -> bool:
    """The section, ticket type and seat exist; a seat this terminal sold itself is a warning."""
    sec = cat.sections[ev["id"]].get(t["section_id"])
    if sec is None:
        problems.add(f"{tp}/section_id", _("event {event} has no section {section}").format(
            event=repr(ev["id"]), section=repr(t["section_id"])))
        return False
    if t["ticket_type_id"] not in cat.types[ev["id"]]:
        problems.add(f"{tp}/ticket_type_id", _("event {event} has no ticket type {type}").format(
            event=repr(ev["id"]), type=repr(t["ticket_type_id"])))
        return False
    rule = seat_rule(sec["kind"], "row" in t)
    if rule == "no_seat":
        problems.add(f"{tp}/row", _("{section} is general admission: a ticket there has no row or seat").format(
            section=sec["name"]))
        return False
    if rule == "seat_needed":
        problems.add(tp, _("{section} is reserved seating: give the ticket's row and seat").format(
            section=sec["name"]))
        return False
    if sec["kind"] == "reserved":
        label = seat_label(t["row"], t["seat"])
        state = cat.seat_map(ev["id"], sec["id"]).get(label)
        if state is None:
            problems.add(f"{tp}/seat", _("{section} has no seat {seat}").format(section=sec["name"], seat=label))
            return False
        if state[0] == "sold" and state[1] != t["id"]:
            warning = N_("order {code}: seat {seat} in {section} was also sold at this terminal "
                         "(a double sale upstream: tell a supervisor)")
            plan["warnings"].append(warning.format(code=code, seat=label, section=sec["name"]))
            plan["warnings_shown"].append(_(warning).format(code=code, seat=label, section=sec["name"]))
    return True


def _token_problem(exc: BoxOfficeError) -> str:
    if exc.code == "unknown_key":
        return _("signed by key {key}, which this terminal does not know: "
                 "import the central service's keys first (boxoffice keys import)").format(
            key=exc.details.get("key_id"))
    if exc.code == "bad_signature":
        return _("the signature does not verify: the token was altered or forged")
    return exc.message


def _utc(text: str | None) -> str | None:
    """A document time as the stored UTC form."""
    if not text:
        return None
    from boxoffice.domain.clock import iso, parse_iso

    return iso(parse_iso(text))
