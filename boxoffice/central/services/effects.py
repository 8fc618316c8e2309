"""What a terminal's journal entry means for everyone else: pure reading of entry payloads, no I/O.

The central service stores every entry as it came. For the kinds below it also records who did a once-only thing
first (a claim), what other terminals must learn (a feed change) and which tickets stop being valid. Payloads are
read tolerantly, because the services that write them name things a little differently: an order is ``order``
(an id or an object with ``id``) or ``order_id``; tickets are ``tickets`` / ``ticket_ids`` (ids or objects with
``id``) or a single ``ticket_id`` / ``ticket``.

kind                                   claim (action, subject)          feed change        revokes
-------------------------------------  -------------------------------  -----------------  ------------------
sale                                   ('seat', event/section/ROWSEAT)  order (+ keys)     -
pickup                                 ('pickup', ticket) per ticket    pickup             -
order.paid                             ('paid', order:ID)               paid               -
checkin, check_in, scan, admit         ('checkin', ticket)              checkin            -
  (a pretix ticket not synced: no ticket, ('checkin', pretix:DIGEST)       -                  -
   its ``external_secret``)
checkout, exit (or direction 'out')    releases its 'checkin' claim     checkin (out)      -
refund                                 ('refund', ticket) per ticket    revocation         the refunded tickets
exchange                               ('refund', old ticket), seats    order, revocation  ``old_tickets``
holder_change                          as an exchange (a real-name ticket re-issued to a new holder, same place)
revoke, ticket.revoke                  -                                revocation         ``revoked`` / tickets

A claim already held by another terminal is a conflict: both entries are kept, the later one is flagged.
A sale's ``customer_keys`` (keyed hashes with places) are counted against the event's per-customer limit
(central/services/customer_limits.py) and travel on its feed change.
An ``order.paid`` entry (services/desk_payment.py: an unpaid web order paid at a desk) also marks the central copy
of the order paid; a second desk paying the same order is flagged ``paid_twice`` (money to give back).
A ``privacy.purge`` entry has no effect here: ingest hands it to central/services/privacy.py, which erases the
central copy of the event's customer data.

A sale or holder change of a real-name event carries ``holders`` (services/holders.py): one per new ticket, with the
name, ID kind, keyed hash and last four, and the binding signature. Only holders of the entry's own new tickets are
kept, and only in that shape: anything else (a field that could be a whole ID number) leaves the entry unapplied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from boxoffice.central.store.db import storable
from boxoffice.wire import codec

CHECKIN_KINDS = frozenset({"checkin", "check_in", "scan", "admit"})
EXIT_KINDS = frozenset({"checkout", "check_out", "exit"})
REFUND_KINDS = frozenset({"refund"})
# exchange (and a holder change): old tickets out, a new order (or a new ticket of the same order) in
REVOKE_KINDS = frozenset({"exchange", "holder_change", "revoke", "ticket.revoke"})
PICKUP_KINDS = frozenset({"pickup"})
PAID_KINDS = frozenset({"order.paid"})  # an unpaid web order paid at a desk
EFFECT_KINDS = (frozenset({"sale"}) | CHECKIN_KINDS | EXIT_KINDS | REFUND_KINDS | REVOKE_KINDS | PICKUP_KINDS
                | PAID_KINDS)

ORDER_FIELDS = ("id", "code", "event_id", "channel", "terminal_id", "status", "customer_name", "email", "phone",
                "notes", "total", "tax", "currency", "created_at")
TICKET_FIELDS = ("id", "section_id", "row", "seat", "ticket_type_id", "price", "tax", "token")
SECRET_SUBJECT = "pretix:"  # a check-in claim on a pretix secret, not a ticket id (see _checkin)
MAX_EXTERNAL_SECRET = 400


@dataclass(frozen=True)
class Claim:
    action: str
    subject: str
    order_id: str | None
    ticket_id: str | None


@dataclass
class Effect:
    """Everything one entry asks of the central service."""

    order: dict[str, Any] | None = None
    tickets: list[dict[str, Any]] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    release: list[Claim] = field(default_factory=list)
    revoked: list[tuple[str, str]] = field(default_factory=list)  # (ticket id, reason)
    change: tuple[str, dict[str, Any]] | None = None
    holders: list[dict[str, Any]] = field(default_factory=list)  # real-name holders of the new tickets
    keys: list[tuple[str, int]] = field(default_factory=list)  # a sale's customer keys: (keyed hash, places)
    paid: str | None = None  # an unpaid order paid at a desk: its id, marked paid centrally
    exit_event: str | None = None  # an exit by pretix secret alone: the event it names (no ticket to ask)

    def order_body(self) -> dict[str, Any]:
        """The feed body of the order this entry sold: other terminals count its customer keys too."""
        body: dict[str, Any] = {"order": self.order, "tickets": self.tickets}
        if self.keys:
            body["customer_keys"] = [{"key": k, "places": n} for k, n in self.keys]
        return body


# What a sale's order and tickets must hold to be stored: text where the tables keep text, whole numbers that fit
# a BIGINT where they keep amounts. Anything else (a list, a huge number, a missing type) leaves the entry unapplied.
ORDER_TEXT = ("id", "code", "event_id", "channel", "terminal_id", "status", "currency", "created_at")
ORDER_MAY_BE_NONE = ("customer_name", "email", "phone", "notes")
TICKET_TEXT = ("id", "section_id", "ticket_type_id", "token")
TICKET_MAY_BE_NONE = ("row", "seat")


def _fits(row: dict[str, Any], text: tuple[str, ...], may_be_none: tuple[str, ...], whole: tuple[str, ...],
          none_is_zero: bool) -> bool:
    """Whether a row's fields hold what its table keeps (plain loops: this runs for every order and ticket pushed)."""
    for k in text:
        value = row[k]
        if not isinstance(value, str) or "\x00" in value:
            return False
    for k in may_be_none:
        value = row[k]
        if value is not None and (not isinstance(value, str) or "\x00" in value):
            return False
    for k in whole:
        value = row[k]
        if value is None and none_is_zero:
            continue
        if type(value) is not int or not -(2**63) <= value < 2**63:
            return False
    return True


def _id_of(value: Any) -> str | None:
    if storable(value) and value:
        return value
    if isinstance(value, dict) and storable(value.get("id")) and value["id"]:
        return value["id"]
    return None


def _ids(values: Any) -> list[str]:
    if not isinstance(values, list):
        return []
    return [i for i in (_id_of(v) for v in values) if i]


def order_id_of(payload: dict[str, Any]) -> str | None:
    return _id_of(payload.get("order")) or _id_of(payload.get("order_id"))


def ticket_ids_of(payload: dict[str, Any]) -> list[str]:
    for key in ("tickets", "ticket_ids"):
        found = _ids(payload.get(key))
        if found:
            return found
    single = _id_of(payload.get("ticket_id")) or _id_of(payload.get("ticket"))
    return [single] if single else []


def seat_subject(event_id: str, t: dict[str, Any]) -> str | None:
    if t.get("row") is None or t.get("seat") is None:
        return None
    return f"{event_id}/{t['section_id']}/{t['row']}{t['seat']}"


class Unreadable:
    """What :func:`parse_payload` gives for a text this service cannot read as JSON."""


UNREADABLE = Unreadable()


def parse_payload(text: str) -> Any:
    """An entry's payload text read as :func:`read` reads it (orjson when installed), or ``UNREADABLE``. A push
    parses each payload once with this and hands the result to both the card-number check and :func:`read`."""
    try:
        return codec.loads(text)
    except (ValueError, RecursionError):  # RecursionError: the standard module's limit, where orjson is missing
        return UNREADABLE


def read(entry: dict[str, Any], parsed: Any = None) -> Effect | str:
    """The effect of one stored entry (``payload`` is its canonical JSON text; ``parsed``, when given, is what
    :func:`parse_payload` made of it). Unknown kinds have none; a kind that has effects but a payload that cannot
    carry them gives the problem instead, for a flag."""
    kind = entry["kind"]
    if kind not in EFFECT_KINDS:
        return Effect()
    payload = _payload(parse_payload(entry["payload"]) if parsed is None else parsed)
    if isinstance(payload, str):
        return payload
    if kind == "sale":
        return _with_holders(_sale(payload, entry), payload)
    if kind in ("exchange", "holder_change"):
        return _with_holders(_exchange(payload, entry), payload, kind == "holder_change")
    order_id, tickets = order_id_of(payload), ticket_ids_of(payload)
    if kind in PICKUP_KINDS:
        return _pickup(order_id, tickets, _meta(entry))
    if kind in PAID_KINDS:
        return _paid(order_id, _meta(entry))
    if kind in CHECKIN_KINDS | EXIT_KINDS:
        return _checkin(kind, payload, order_id, tickets, _meta(entry))
    if kind in REFUND_KINDS:
        return _refund(payload, order_id, tickets)
    return _revoke(payload, tickets)


def _payload(payload: Any) -> dict[str, Any] | str:
    """The entry's parsed payload as an object, or the problem that stops it being read."""
    if payload is UNREADABLE:
        return "/payload: not JSON this service can read (a number past 64 bits, a broken escape...)"
    if not isinstance(payload, dict):
        return "/payload: not a JSON object"
    return payload


def _meta(entry: dict[str, Any]) -> dict[str, Any]:
    """Who did it, in which entry and when: carried on the feed changes other terminals receive."""
    return {"terminal_id": entry["terminal_id"], "entry_id": entry["id"], "at": entry["at"],
            "operator_id": entry.get("operator_id")}


def _pickup(order_id: str | None, tickets: list[str], meta: dict[str, Any]) -> Effect:
    """A handout claims each ticket once (or the whole order, when the entry names no ticket)."""
    subjects = tickets or ([f"order:{order_id}"] if order_id else [])
    return Effect(claims=[Claim("pickup", s, order_id, None if s.startswith("order:") else s) for s in subjects],
                  change=("pickup", {"order_id": order_id, "ticket_ids": tickets, **meta}))


def _paid(order_id: str | None, meta: dict[str, Any]) -> Effect | str:
    """An unpaid order paid at a desk: paid once (a second desk's payment is flagged), and every terminal told."""
    if order_id is None:
        return "/payload/order: an order paid names its order id"
    return Effect(claims=[Claim("paid", f"order:{order_id}", order_id, None)], paid=order_id,
                  change=("paid", {"order_id": order_id, **meta}))


def _refund(payload: dict[str, Any], order_id: str | None, tickets: list[str]) -> Effect:
    """A refund claims and revokes each refunded ticket, named however the refund service named them."""
    refund = payload.get("refund") if isinstance(payload.get("refund"), dict) else {}
    order_id = order_id or _id_of(refund.get("order_id"))
    items = payload.get("items") if isinstance(payload.get("items"), list) else []
    items = [i.get("ticket_id") for i in items if isinstance(i, dict)]
    tickets = tickets or _ids(payload.get("revoked")) or [t for t in items if isinstance(t, str)]
    return Effect(claims=[Claim("refund", t, order_id, t) for t in tickets],
                  revoked=[(t, "refunded") for t in tickets])


def _exchange(payload: dict[str, Any], entry: dict[str, Any]) -> Effect | str:
    """An exchange refunds the old tickets (claimed, revoked) and, when it carries one, sells a new order."""
    old = _ids(payload.get("old_tickets")) or _ids(payload.get("revoked"))
    new = _sale(payload, entry) if isinstance(payload.get("order"), dict) else Effect()
    if isinstance(new, str):
        return new
    exchange = payload.get("exchange") if isinstance(payload.get("exchange"), dict) else {}
    old_order = _id_of(exchange.get("from_order_id"))
    new.claims = [Claim("refund", t, old_order, t) for t in old] + new.claims
    new.revoked = [(t, "exchanged") for t in old]
    return new


def _revoke(payload: dict[str, Any], tickets: list[str]) -> Effect:
    """A revocation by hand: the tickets it names stop being valid everywhere."""
    return Effect(revoked=[(t, "revoked") for t in (_ids(payload.get("revoked")) or tickets)])


def external_secret_of(payload: dict[str, Any]) -> str | None:
    """A door check-in's pretix secret (services/door_pretix.py), when it is text a table can keep."""
    secret = payload.get("external_secret")
    if storable(secret) and 0 < len(secret) <= MAX_EXTERNAL_SECRET and secret.isprintable():
        return str(secret)
    return None


def secret_subject(secret: str) -> str:
    """The claim subject of a pretix secret: a digest, so a conflict shown to a supervisor never holds the secret."""
    import hashlib

    return SECRET_SUBJECT + hashlib.sha256(secret.encode()).hexdigest()[:32]


def _checkin(kind: str, payload: dict[str, Any], order_id: str | None, tickets: list[str],
             meta: dict[str, Any]) -> Effect:
    """Admissions claim the ticket; an exit gives the claim back (re-entry elsewhere is then no conflict).

    A pretix ticket admitted before its order reached the door has no ticket id, only its pretix secret: the claim
    is on the secret (two doors admitting it are flagged), and the entry is kept for the pretix bridge's check-in
    step, which tells pretix by secret. No feed change: other doors know no ticket by it.
    """
    if payload.get("admitted") is False or payload.get("result") not in (None, "admitted", "admit"):
        return Effect()
    out = kind in EXIT_KINDS or payload.get("direction") in ("out", "exit")
    if not tickets:
        secret = external_secret_of(payload)
        if secret is None:
            return Effect()
        by_secret = Claim("checkin", secret_subject(secret), None, None)
        if not out:
            return Effect(claims=[by_secret])
        named = payload.get("event") or payload.get("event_id")
        return Effect(release=[by_secret], exit_event=named if storable(named) else "")
    claim = Claim("checkin", tickets[0], order_id, tickets[0])
    nonce = payload.get("nonce") if storable(payload.get("nonce")) else None
    event = payload.get("event") or payload.get("event_id")
    body = {"ticket_id": tickets[0], "order_id": order_id, "direction": "out" if out else "in",
            "nonce": nonce, "event_id": event if storable(event) else None, **meta}
    if out:
        return Effect(release=[claim], change=("checkin", body))
    return Effect(claims=[claim], change=("checkin", body))


def _sale(payload: dict[str, Any], entry: dict[str, Any]) -> Effect | str:
    order = payload.get("order")
    tickets = payload.get("tickets")
    if not isinstance(order, dict) or not isinstance(tickets, list) or not _id_of(order):
        return "/payload: a sale names its order (with an id) and its tickets"
    o = {k: order.get(k) for k in ORDER_FIELDS}
    o["terminal_id"] = entry["terminal_id"]
    o["channel"] = o["channel"] or "box_office"
    ts = [{k: t.get(k) for k in TICKET_FIELDS} for t in tickets if isinstance(t, dict) and _id_of(t)]
    o["status"] = o["status"] or "paid"
    if not (_fits(o, ORDER_TEXT, ORDER_MAY_BE_NONE, ("total", "tax"), False) and all(
            _fits(t, TICKET_TEXT, TICKET_MAY_BE_NONE, ("price", "tax"), True) for t in ts)):  # price None: 0
        return "/payload: the order or a ticket has a field of a type the tables cannot keep"
    keys = _customer_keys(payload.get("customer_keys"))
    if keys is None:
        return "/payload/customer_keys: a list of {key: 64 hex digits, places: 1 to 1000}, each key once"
    claims = []
    for t in ts:
        subject = seat_subject(o["event_id"], t)
        if subject:
            claims.append(Claim("seat", subject, o["id"], t["id"]))
    eff = Effect(order=o, tickets=ts, claims=claims, keys=keys)
    eff.change = ("order", eff.order_body())
    return eff


def _customer_keys(value: Any) -> list[tuple[str, int]] | None:
    """A sale's customer keys (services/customer_limits.py on the terminal), or None when malformed."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 1000:
        return None
    out: dict[str, int] = {}
    for item in value:
        if not isinstance(item, dict):
            return None
        key, places = item.get("key"), item.get("places")
        if not (storable(key) and len(key) == 64 and all(c in "0123456789abcdef" for c in key)) or key in out:
            return None
        if type(places) is not int or not 1 <= places <= 1000:
            return None
        out[key] = places
    return list(out.items())


HOLDER_TEXT = ("ticket_id", "name", "id_kind", "id_hash", "id_last4", "binding_key", "binding", "created_at")
_HEX = frozenset("0123456789abcdef")


def _holder_fits(h: Any, tickets: set[str]) -> bool:
    """A holder row as services/holders.py journals it: text fields, a 64-hex hash, four characters, a known
    kind, for one of the entry's new tickets. The shape leaves no room for a whole ID number."""
    return (isinstance(h, dict) and all(storable(h.get(k)) for k in HOLDER_TEXT if k != "name")
            and (h.get("name") is None or (storable(h["name"]) and len(h["name"]) <= 200))
            and h["ticket_id"] in tickets and h["id_kind"] in ("resident", "passport", "other")
            and len(h["id_hash"]) == 64 and set(h["id_hash"]) <= _HEX and len(h["id_last4"]) == 4
            and len(h["binding"]) == 128 and set(h["binding"]) <= _HEX
            and type(h.get("changes", 0)) is int and 0 <= h.get("changes", 0) < 2**31)


def _with_holders(eff: Effect | str, payload: dict[str, Any], change: bool = False) -> Effect | str:
    """The effect with the holders of its new tickets, or the problem with them. A holder change's new holder
    names the ticket it ``replaces`` (counted once in the reports)."""
    found = payload.get("holders")
    if isinstance(eff, str) or found is None:
        return eff
    tickets = {t["id"] for t in eff.tickets}
    if not isinstance(found, list) or not all(_holder_fits(h, tickets) for h in found):
        return "/payload/holders: a holder is not a ticket of this entry's, or not in the journaled shape"
    replaces = None
    if change:
        replaces = _id_of(payload["holder_change"].get("ticket_id")) if isinstance(
            payload.get("holder_change"), dict) else None
        old = [t for t, _ in eff.revoked]
        if replaces is None or old != [replaces]:
            return "/payload/holder_change: a holder change names the one ticket it replaces"
    eff.holders = [{k: h.get(k) for k in (*HOLDER_TEXT, "changes")} | {"replaces": replaces} for h in found]
    return eff
