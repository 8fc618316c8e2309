"""A pretix order as an order of the central web-orders document (schemas/sync-web-orders-import.schema.json).

Pure: no I/O. What pretix sends is somebody else's data, so every field is checked for type and cut to what the
document takes (text without control characters, a phone of digits and ``+ ().-``, an e-mail that looks like one);
a field that does not fit is left out rather than refusing the order, since the customer has paid. A position whose
item is no linked ticket type (a T-shirt, a donation, an add-on the catalogue step did not map) is not a ticket at
the desk and is left out; an order with no ticket left is not imported (``Skip``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

REF_PREFIX = "pretix:"
SALES_CHANNEL = "api.boxoffice"  # the channel the bridge's own counter sales are made in (central/pretix/orders_up)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_PHONE = re.compile(r"^[0-9 +().-]{1,40}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,130}$")
_SECRET = re.compile(r"^[!-~]{1,255}$")
_PRICE = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,3})?$")
_SEAT = re.compile(r"^[A-Z]{1,3}[0-9]{1,4}$")


@dataclass(frozen=True)
class Links:
    """What the catalogue step linked for one pretix event: the boxoffice event id, each item's ticket type and the
    sections it is sold in, each seat guid's section and label."""

    event_id: str
    items: dict[str, tuple[str, list[str]]]  # pretix item id -> (ticket type id, section ids)
    seats: dict[str, tuple[str, str]]  # seat guid -> (section id, seat label)


@dataclass(frozen=True)
class Skip:
    """Why a pretix order cannot come down (yet): one line for pretix_orders.error."""

    reason: str


def ref(code: str) -> str:
    """The web order reference of a pretix order code."""
    return REF_PREFIX + code


def text(value: Any, limit: int = 200) -> str | None:
    """One line of someone else's text, or None."""
    if not isinstance(value, str):
        return None
    cleaned = _CONTROL.sub(" ", value).strip()[:limit].strip()
    return cleaned or None


def phone(value: Any) -> str | None:
    cleaned = text(value, 40)
    return cleaned if cleaned and _PHONE.match(cleaned) else None


def email(value: Any) -> str | None:
    cleaned = text(value)
    return cleaned if cleaned and _EMAIL.match(cleaned) else None


def customer_name(order: dict[str, Any]) -> str | None:
    """The name a pickup desk finds the order by: the first attendee's, else the invoice address's."""
    for p in order.get("positions") or []:
        if isinstance(p, dict) and text(p.get("attendee_name")):
            return text(p.get("attendee_name"))
    address = order.get("invoice_address")
    return text(address.get("name")) if isinstance(address, dict) else None


def customer(order: dict[str, Any]) -> dict[str, str | None]:
    """The order's customer fields as the central web order keeps them."""
    return {"customer_name": customer_name(order), "email": email(order.get("email")),
            "phone": phone(order.get("phone"))}


def positions(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's positions that are not canceled, with an id and a secret (the only ones a door can check)."""
    out = []
    for p in order.get("positions") or []:
        if (isinstance(p, dict) and not p.get("canceled") and isinstance(p.get("id"), int)
                and isinstance(p.get("secret"), str) and _SECRET.match(p["secret"])):
            out.append(p)
    return out


def ticket(position: dict[str, Any], links: Links) -> dict[str, Any] | None:
    """One position as a ticket of the document, or None when its item (or seat) is not linked."""
    linked = links.items.get(str(position.get("item")))
    if linked is None:
        return None
    type_id, sections = linked
    out: dict[str, Any] = {"type": type_id, "external_secret": position["secret"]}
    seat = position.get("seat")
    if isinstance(seat, dict) and seat.get("seat_guid") is not None:
        place = links.seats.get(str(seat["seat_guid"]))
        if place is None or not _SEAT.match(place[1]):
            return None
        out["section_id"], out["seat"] = place
    elif sections:
        out["section_id"] = sections[0]  # an item in several quotas: pretix counts it in each; the first is shown
    else:
        return None
    price = position.get("price")
    if isinstance(price, str) and _PRICE.match(price):
        out["price"] = price
    return out


def document_order(order: dict[str, Any], links: Links) -> tuple[dict[str, Any], list[dict[str, Any]]] | Skip:
    """The document's order for a paid pretix order and the positions its tickets are, in the same order."""
    code = order.get("code")
    kept, tickets = [], []
    for p in positions(order):
        t = ticket(p, links)
        if t is not None:
            kept.append(p)
            tickets.append(t)
    if not tickets:
        return Skip(f"no position of order {code} is a ticket type the catalogue step linked")
    # no ``notes``: a pickup desk asks for a confirmation before it hands out an order with notes
    doc: dict[str, Any] = {"ref": ref(str(code)), "event_id": links.event_id, "paid": True, "tickets": tickets[:100]}
    doc.update({k: v for k, v in customer(order).items() if v is not None})
    return doc, kept[:100]


def newest(stamps: list[str], since: str | None) -> str | None:
    """The latest of pretix's ISO times (compared as times: pretix writes them in the event's time zone, whose
    offset changes with daylight saving), or ``since`` when none is later."""
    best, best_at = since, _when(since)
    for s in stamps:
        at = _when(s)
        if at is not None and (best_at is None or at > best_at):
            best, best_at = s, at
    return best


def _when(text: str | None) -> datetime | None:
    try:
        at = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return at if at is not None and at.tzinfo is not None else None


def made_by_bridge(order: dict[str, Any], vouchers: set[int]) -> bool:
    """An order the bridge sent up itself (a terminal's sale): its sales channel, or a position that redeems one of
    the terminals' vouchers (so a sale whose record was lost in a crash still never comes back down)."""
    if order.get("sales_channel") == SALES_CHANNEL:
        return True
    return any(isinstance(p, dict) and p.get("voucher") in vouchers for p in order.get("positions") or [])
