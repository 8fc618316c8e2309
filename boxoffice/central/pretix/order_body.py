"""The pretix order a terminal sale becomes (POST events/E/orders/), built from central's copy of the sale.

What goes into it and why:
- ``status`` "p" with ``payment_provider`` "boxoffice": pretix ships a payment provider of that name (pretix/base/
  payment.py ``BoxOfficeProvider``, always enabled, never offered in the shop), meant for money taken at a box
  office; the order create serializer accepts any provider the event knows. ``payment_info`` names the terminal
  (``pos_id``) and the receipt (``receipt_id`` = the boxoffice order code), the fields that provider shows.
- ``send_email`` false: the customer has their tickets in hand.
- ``sales_channel``: the bridge's own channel ``api.boxoffice`` (pretix lets an API create channels of type "api"
  only, named "api...."), so pretix's reports tell counter sales from the web shop's.
- each position: the item linked to the ticket type (for a reserved seat, the item of the seat's category, which
  the seat's link names), the price the customer paid (minor units to pretix's decimal
  text), the seat's guid for a reserved seat, and ``voucher`` = the selling terminal's voucher for that place: the
  voucher blocks the terminal's places in pretix, and redeeming it is what turns one of them into this sale. A
  ticket without a voucher is not sent at all (the caller leaves the sale waiting); ``force`` is never set, so
  pretix checks the voucher, the quota and the seat like any other order.
- a reserved seat: pretix's order API counts a seat held by a voucher as taken even when the order redeems that very
  voucher (its cart API does not), so a sale with seats first puts them in a cart on their vouchers
  (``cartpositions/bulk_create/``, cart ``<order id>@api``) and the order consumes that cart (``consume_carts``),
  the way pretix's own point of sale does: no ``force``, and the seat is never free in between.
- ``code``: a code made from the boxoffice order id, the same every time. pretix answers a repeated POST from its
  record of the idempotency key for a day; after that the fixed code makes pretix refuse the repeat ("already in
  use") instead of selling the places twice, and the caller adopts the order that holds it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from boxoffice.domain.money import format_money
from boxoffice.i18n import _

SALES_CHANNEL = "api.boxoffice"
PAYMENT_PROVIDER = "boxoffice"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ1234567890"  # pretix's own order code characters
CODE_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


@dataclass(frozen=True)
class Waiting:
    """Why an order cannot go up yet (no voucher, or a ticket type or seat pretix does not know)."""

    reason: str


def pretix_code(order_id: str) -> str:
    """The pretix order code of a boxoffice order: 12 characters of pretix's alphabet from a hash of the id
    ("BX" first, so a person can tell counter sales apart)."""
    n = int.from_bytes(hashlib.sha256(order_id.encode("utf-8")).digest()[:16], "big")
    chars = []
    for _digit in range(CODE_LENGTH - 2):
        n, r = divmod(n, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[r])
    return "BX" + "".join(chars)


def seat_label(ticket: dict[str, Any]) -> str:
    """A reserved ticket's seat label (row letters and number, 'H13'), '' for standing."""
    if ticket.get("row_label") is None or ticket.get("seat") is None:
        return ""
    return f"{ticket['row_label']}{ticket['seat']}"


def build(order: dict[str, Any], tickets: list[dict[str, Any]], items: dict[str, dict[str, Any]],
          seats: dict[str, dict[str, Any]], vouchers: dict[tuple[str, str, str, str], str],
          sales_channel: str | None) -> dict[str, Any] | Waiting:
    """The POST body for ``order`` with its valid ``tickets``; ``items`` and ``seats`` are pretix_links rows by
    local id ('EVENT/TYPE', 'EVENT/SECTION/SEAT'), ``vouchers`` the terminals' codes by (terminal, event, section,
    seat). A missing link or voucher gives ``Waiting`` instead."""
    positions = []
    for t in tickets:
        label = seat_label(t)
        seat = seats.get(f"{t['event_id']}/{t['section_id']}/{label}") if label else None
        if label and seat is None:
            return Waiting(_("seat {seat} of {section} is not linked to a pretix seat").format(
                seat=label, section=t["section_id"]))
        item_id = _seat_item(seat) if seat else None
        if item_id is None:
            item = items.get(f"{t['event_id']}/{t['ticket_type_id']}")
            if item is None:
                return Waiting(_("ticket type {type} is not linked to a pretix item").format(type=t["ticket_type_id"]))
            item_id = int(item["pretix_id"])
        voucher = vouchers.get((order["terminal_id"], t["event_id"], t["section_id"], label))
        if voucher is None:
            place = f"{t['section_id']} {label}".strip()
            return Waiting(_("no pretix voucher yet for terminal {terminal} in {place}").format(
                terminal=order["terminal_id"], place=place))
        pos: dict[str, Any] = {"item": item_id, "price": format_money(int(t["price"] or 0), order["currency"]),
                               "voucher": voucher}
        if seat is not None:
            pos["seat"] = seat["pretix_id"]
        name = t.get("holder_name") or order.get("customer_name")
        if name:
            pos["attendee_name"] = str(name)[:200]
        positions.append(pos)
    body: dict[str, Any] = {
        "code": pretix_code(order["id"]), "status": "p", "payment_provider": PAYMENT_PROVIDER,
        "payment_info": {"pos_id": order["terminal_id"], "receipt_id": order["code"]},
        "payment_date": order["created_at"],  # when the money was taken: the sale, not the upload
        "send_email": False, "positions": positions,
        "comment": f"boxoffice order {order['code']} ({order['id']})",
    }
    if sales_channel:
        body["sales_channel"] = sales_channel
    if any("seat" in p for p in positions):
        body["consume_carts"] = [cart_id(order["id"])]
    email = (order.get("email") or "").strip()
    if _EMAIL.match(email):
        body["email"] = email
    return body


def _seat_item(seat: dict[str, Any]) -> int | None:
    """The pretix item a seat is sold as (its category's item, kept in the seat link's data by the catalogue
    step): in pretix a seat's category decides the item, whatever the ticket type."""
    try:
        data = json.loads(seat.get("data") or "{}")
    except ValueError:
        return None
    found = data.get("item", data.get("item_id")) if isinstance(data, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def cart_id(order_id: str) -> str:
    """The pretix cart that holds a sale's seats until its order takes them (pretix wants API carts to end in
    ``@api``)."""
    return f"{order_id}@api"


def cart_positions(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The cart positions that hold an order's seats on their vouchers (none for a standing sale)."""
    if not body.get("consume_carts"):
        return []
    extra = {"sales_channel": body["sales_channel"]} if body.get("sales_channel") else {}
    return [{"cart_id": body["consume_carts"][0], "item": p["item"], "seat": p["seat"], "voucher": p["voucher"],
             "price": p["price"], **extra} for p in body["positions"] if "seat" in p]


def answer_tickets(answer: Any, tickets: list[dict[str, Any]]) -> list[tuple[str, int, str]] | None:
    """Each ticket's (ticket id, position id, secret) from pretix's answer to the POST: positions come back in the
    order they were sent. None when the answer does not have that shape (the caller treats it as a refusal)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("positions"), list):
        return None
    got = sorted((p for p in answer["positions"] if isinstance(p, dict)), key=lambda p: p.get("positionid") or 0)
    if len(got) != len(tickets):
        return None
    out = []
    for t, p in zip(tickets, got, strict=True):
        if not isinstance(p.get("id"), int) or not isinstance(p.get("secret"), str):
            return None
        out.append((t["id"], p["id"], p["secret"]))
    return out


def code_in_use(details: Any) -> bool:
    """Whether pretix refused a POST because the order code is taken: an earlier POST of this order went through."""
    body = details.get("body") if isinstance(details, dict) else None
    codes = body.get("code") if isinstance(body, dict) else None
    return isinstance(codes, list) and any("already in use" in str(c) for c in codes)

