"""Real-name tickets (docs/real-name.md): holders taken at the sale, bound to their tickets by a signature, shown and
checked at the door and at pickup.

An ID number is hashed with the venue secret (domain/customer_ids.py) as soon as it is read and never stored,
journaled, synced, logged or repeated in a message: what is kept is the keyed hash (for matching a number typed or
scanned later) and the last four characters (for the steward to compare with the document).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from boxoffice.domain.shown import shown
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.store import holders as store

if TYPE_CHECKING:  # the ID rules are imported where used: an event without real names needs none of them
    from boxoffice.domain.holders import HolderInput

_REFUSE = N_("refuse entry; send the customer to the box office")


class HolderShown(TypedDict):
    """A holder as the door and the counter show it: never the ID number, only its last four."""

    ticket_id: str
    name: str | None
    id_kind: str
    id_last4: str
    line: str  # "李小明 · ID ****1234", made safe to print
    changes: int


class IdCheck(TypedDict):
    """The answer of :func:`check_id`: MATCH (or a ``holder_mismatch`` error), with who the holder is."""

    match: bool
    ticket_id: str
    holder: HolderShown


def is_real_name(ev: Any) -> bool:
    """Whether the catalogue marks the event real-name (each ticket sold to a named holder)."""
    return bool(dict(ev).get("real_name"))


def prepare(ctx: Ctx, ev: Any, holders: list[HolderInput] | None, tickets: int) -> list[dict[str, Any]]:
    """The holders of a sale, checked and hashed, before its transaction opens (the venue secret may be made then).

    A real-name event needs exactly one holder a ticket (``holder_required``); any other event takes none.
    """
    holders = holders or []
    if not is_real_name(ev):
        if holders:
            raise BoxOfficeError("bad_input", _("{event} is not a real-name event: give no --holder").format(
                event=ev["name"]))
        return []
    from boxoffice.domain.customer_ids import keyed_hash
    from boxoffice.domain.holders import check_count
    from boxoffice.services.venue_secret import venue_secret

    check_count(holders, tickets)

    secret = venue_secret(ctx)
    return [{"name": h.name, "id_kind": h.id_kind, "id_hash": keyed_hash(secret, f"id:{h.id_kind}", h.id_number),
             "id_last4": h.id_number[-4:]} for h in holders]


def carried_over(ctx: Ctx, ev: Any, old_tickets: list[dict[str, Any]], tickets: int) -> list[dict[str, Any]]:
    """The holders an exchange into a real-name event gives its new tickets: the old tickets' holders, one for one
    in the order of the old tickets. ``holder_required`` when the old tickets have no holders (another event) or
    the count changes; no holders for an event that is not real-name."""
    if not is_real_name(ev):
        return []
    rows = [store.for_ticket(ctx.conn, t["id"]) for t in old_tickets]
    if len(rows) != tickets or any(r is None or r["name"] is None for r in rows):
        raise BoxOfficeError("holder_required", _("{event} is a real-name event: an exchange keeps each ticket's "
                                                  "holder, so exchange real-name tickets one for one; otherwise "
                                                  "refund and sell again with --holder").format(event=ev["name"]))
    return [{k: r[k] for k in ("name", "id_kind", "id_hash", "id_last4")} for r in rows if r is not None]


def bind(ctx: Ctx, tickets: list[dict[str, Any]], prepared: list[dict[str, Any]], changes: int = 0
         ) -> list[dict[str, Any]]:
    """Store one holder a ticket, each bound by a signature with this terminal's ticket key, inside the caller's
    transaction; returns the rows as the journal carries them (no ID number: there is none to carry)."""
    if not prepared:
        return []
    from boxoffice.services.signing import private_key
    from boxoffice.tickets import holder_binding

    key, now = private_key(ctx), ctx.now_iso()
    out = []
    for t, h in zip(tickets, prepared, strict=True):
        fields = holder_binding.Holder(h["name"], h["id_kind"], h["id_hash"], h["id_last4"])
        out.append({"ticket_id": t["id"], "order_id": t["order_id"], "event_id": t["event_id"], **h,
                    "changes": changes, "binding_key": ctx.terminal["key_id"],
                    "binding": holder_binding.sign(t["id"], t["token"], fields, key), "created_at": now})
    store.insert(ctx.conn, out)
    return out


def shown_holder(row: dict[str, Any]) -> HolderShown:
    from boxoffice.domain.customer_ids import masked

    name = row["name"]
    who = shown(name) if name is not None else _("(name purged)")
    return {"ticket_id": row["ticket_id"], "name": name, "id_kind": row["id_kind"], "id_last4": row["id_last4"],
            "line": _("{name} · ID {last4}").format(name=who, last4=masked(shown(row["id_last4"]))),
            "changes": row["changes"]}


def for_door(ctx: Ctx, decoded: Any, keys: Any) -> HolderShown:
    """The holder of a verified ticket of a real-name event, its binding checked; raises ``holder_required`` when
    this terminal has no holder for it and ``holder_tampered`` when the row is not the one that was signed."""
    from boxoffice.tickets import holder_binding

    row = store.for_ticket(ctx.conn, decoded.ticket_id)
    if row is None:
        raise BoxOfficeError("holder_required", _("no holder is recorded here for this real-name ticket: sync, then "
                                                  "scan again; if still none, {refuse}").format(refuse=_(_REFUSE)),
                             ticket_id=decoded.ticket_id)
    if row["name"] is None:
        raise BoxOfficeError("holder_required", _("this ticket's holder was purged (privacy): {refuse}").format(
            refuse=_(_REFUSE)), ticket_id=decoded.ticket_id)
    fields = holder_binding.Holder(row["name"], row["id_kind"], row["id_hash"], row["id_last4"])
    holder_binding.verify(decoded.ticket_id, decoded.text, fields, row["binding_key"], row["binding"],
                          decoded.key_id.hex(), keys)
    return shown_holder(row)


def check_id(ctx: Ctx, token: str, id_number: str, id_kind: str | None = None) -> IdCheck:
    """Whether an ID number typed or scanned at the door is the ticket holder's: MATCH, else ``holder_mismatch``.

    The ticket is verified first (signature, revocation, binding). ``id_kind`` defaults to the holder's document
    kind. Records nothing: the steward decides; the scan admits.
    """
    from boxoffice.domain.customer_ids import same_id
    from boxoffice.services.signing import is_revoked, public_key_for
    from boxoffice.services.venue_secret import venue_secret
    from boxoffice.tickets.token import verify_token

    ctx.require("scan")
    keys = public_key_for(ctx)
    decoded = verify_token(token, keys, is_revoked(ctx))
    ticket = _current(ctx, decoded)
    if ticket is not None and ticket["status"] != "valid":
        raise BoxOfficeError("revoked", _("ticket was refunded or re-issued: {refuse}").format(refuse=_(_REFUSE)))
    holder = for_door(ctx, decoded, keys)
    row = store.for_ticket(ctx.conn, decoded.ticket_id)
    assert row is not None
    kind = id_kind or row["id_kind"]
    if not same_id(venue_secret(ctx), kind, id_number, row["id_hash"]):
        raise BoxOfficeError("holder_mismatch", _("NO MATCH: that ID is not the ticket holder's ({holder}): "
                                                  "{refuse}").format(holder=holder["line"], refuse=_(_REFUSE)),
                             ticket_id=decoded.ticket_id)
    return {"match": True, "ticket_id": decoded.ticket_id, "holder": holder}


def _current(ctx: Ctx, decoded: Any) -> dict | None:
    """The ticket row, refusing a token that is not the ticket's current one (re-issued)."""
    from boxoffice.store import orders as order_store

    ticket = order_store.ticket_by_id(ctx.conn, decoded.ticket_id)
    if ticket is not None and ticket["token"] != decoded.text:
        raise BoxOfficeError("revoked", _("ticket was re-issued; this copy is void: {refuse}").format(
            refuse=_(_REFUSE)))
    return ticket


def check_pickup(ctx: Ctx, order: dict[str, Any], id_last4: str | None, id_number: str | None) -> dict | None:
    """For an order with real-name tickets, the holder whose ID the customer showed; None for an order without.

    Either the last four characters typed from the document, or the whole number (matched by its keyed hash,
    any document kind). One holder's ID is enough to hand out the order: the holders came together to buy it.
    Raises ``holder_required`` when no ID was given and ``holder_mismatch`` when it matches nobody.
    """
    holders = store.for_order(ctx.conn, order["id"])
    if not holders:
        return None
    if not id_last4 and not id_number:
        raise BoxOfficeError("holder_required", _("order {code} has real-name tickets: ask for a holder's ID "
                                                  "document and give --id-last4 XXXX or --id-number NUMBER").format(
            code=order["code"]))
    if id_number:
        from boxoffice.domain.customer_ids import same_id
        from boxoffice.services.venue_secret import venue_secret

        secret = venue_secret(ctx)
        found = [h for h in holders if same_id(secret, h["id_kind"], id_number, h["id_hash"])]
    else:
        typed = _last4(id_last4 or "")
        found = [h for h in holders if h["id_last4"] == typed]
    if not found:
        raise BoxOfficeError("holder_mismatch", _("that ID is not one of order {code}'s ticket holders: check the "
                                                  "document; do not hand the tickets out").format(code=order["code"]))
    return dict(shown_holder(found[0]))


def _last4(text: str) -> str:
    """Four characters as typed from a document, in the stored form (upper case, full-width folded)."""
    import unicodedata

    typed = unicodedata.normalize("NFKC", text).strip().upper()
    if len(typed) != 4 or not typed.isalnum():
        raise BoxOfficeError("bad_input", _("--id-last4 takes the last four characters of the ID number"))
    return typed



def web_holder(out: list[dict[str, Any]], t: dict[str, Any], order_id: str, ev: Any, decoded: Any, keys: Any,
               now: str) -> str | None:
    """Plan the holder a web order's ticket names (schemas/orders.schema.json ``holder``): the web shop hashed
    the number with the venue secret and bound the holder with the key that signed the token. Appends the row to
    ``out``; returns what is wrong instead (the document is then refused whole)."""
    from boxoffice.domain.holders import holder_name
    from boxoffice.tickets import holder_binding

    h = t["holder"]
    if not is_real_name(ev):
        return _("{event} is not a real-name event: its tickets have no holder").format(event=ev["name"])
    try:
        name = holder_name(h["name"])
    except BoxOfficeError as exc:
        return exc.message
    fields = holder_binding.Holder(name, h["id_kind"], h["id_hash"], h["id_last4"])
    try:
        holder_binding.verify(t["id"], decoded.text, fields, decoded.key_id.hex(), h["binding"],
                              decoded.key_id.hex(), keys)
    except BoxOfficeError:
        return _("the holder's binding does not verify with the key that signed the ticket")
    out.append({"ticket_id": t["id"], "order_id": order_id, "event_id": ev["id"], "name": name,
                "id_kind": h["id_kind"], "id_hash": h["id_hash"], "id_last4": h["id_last4"], "changes": 0,
                "binding_key": decoded.key_id.hex(), "binding": h["binding"], "created_at": now})
    return None
