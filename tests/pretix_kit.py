"""Events, web orders and check-in lists made in a real pretix through its REST API, for the bridge tests.

``make_event`` clones one of the two template events tests/pretix_server.py puts in the organizer: pretix's API
cannot switch on a payment method (an event with paid items needs one before it may go live) nor choose the ticket
secret generator, and a clone copies both. Everything else (items, quotas, the seating plan, going live) goes
through the same API the bridge uses, so a test's pretix looks like one an organizer set up by hand.
"""

from __future__ import annotations

import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx
    from pretix_server import PretixServer

TEMPLATE = "boxoffice-template"
TEMPLATE_SIG1 = "boxoffice-template-sig1"
WEB_PAYMENT = "manual"  # the payment method the templates switch on (pretix core, needs no plugin)


class PretixKitError(AssertionError):
    """pretix refused a set-up step: the request, the status and pretix's answer."""


def _ok(answer: httpx.Response, what: str) -> Any:
    if answer.status_code >= 400:
        raise PretixKitError(f"{what}: HTTP {answer.status_code} {answer.text[:1000]}")
    return answer.json() if answer.content else None


def _all(client: httpx.Client, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every page of a list endpoint."""
    found: list[dict[str, Any]] = []
    answer = _ok(client.get(path, params=params), f"GET {path}")
    found.extend(answer["results"])
    while answer["next"]:
        answer = _ok(client.get(answer["next"]), f"GET {answer['next']}")
        found.extend(answer["results"])
    return found


def _row_names(rows: int | list[str]) -> list[str]:
    if isinstance(rows, int):
        letters = string.ascii_uppercase
        return [letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26] for i in range(rows)]
    return list(rows)


def _seat_guid(category: str, row: str, number: int) -> str:
    return f"{category}-{row}-{number}"


def seating_layout(name: str, categories: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A pretix seating plan (static/seating/seating-plan.schema.json): one zone, rows of seats per category.

    ``categories`` maps a category name to {"rows": 2 or ["A", "B"], "seats": 5}; the seat guid is
    "<category>-<row>-<number>", readable in a failing test."""
    zone_rows: list[dict[str, Any]] = []
    y = 0
    for category, shape in categories.items():
        for row in _row_names(shape["rows"]):
            y += 30
            seats = [{"seat_guid": _seat_guid(category, row, n), "seat_number": str(n), "uuid": str(uuid.uuid4()),
                      "position": {"x": 30 * n, "y": 0}, "category": category}
                     for n in range(1, int(shape["seats"]) + 1)]
            zone_rows.append({"row_number": row, "row_label": None, "seat_label": None, "uuid": str(uuid.uuid4()),
                              "position": {"x": 0, "y": y}, "seats": seats})
    return {
        "name": name,
        "categories": [{"name": category, "color": "#6b4c9a"} for category in categories],
        "size": {"width": 40 * (max((int(s["seats"]) for s in categories.values()), default=1) + 2),
                 "height": y + 60},
        "zones": [{"name": "main", "zone_id": "main", "uuid": str(uuid.uuid4()), "position": {"x": 0, "y": 0},
                   "rows": zone_rows, "areas": []}],
    }


def make_event(server: PretixServer, slug: str, *,
               quotas: dict[str, int | None] | None = None,
               items: dict[str, tuple[str, list[str]]] | None = None,
               seating: bool | dict[str, dict[str, Any]] = False,
               sig1: bool = False,
               name: str | None = None,
               date_from: datetime | None = None,
               live: bool = True) -> dict[str, Any]:
    """A pretix event, live, with items in quotas (and seats): the ids of everything made.

    ``quotas`` maps a quota name to its size (None: unlimited); ``items`` maps an item name to (default price,
    [quota names]). ``seating`` True gives category "stalls" (2 rows A-B of 5 seats) mapped to the first item;
    a dict gives {category: {"rows": 2 or [...], "seats": 5, "item": "adult"}}. ``sig1`` makes the event issue
    pretix_sig1 (signed) secrets instead of random ones; pretix makes the event's key pair with its first signed
    ticket, so ``valid_keys.pretix_sig1`` is empty until an order exists. A seated item needs a quota like any other.

    Returns {"slug", "event" (pretix's JSON after going live), "items": {name: id}, "quotas": {name: id},
    "seating_plan": id or None, "seats": [{"guid", "id", "row", "number", "item", "category"}]} (a seat's guid is
    "<category>-<row>-<number>")."""
    quotas = {"stalls": 100} if quotas is None else quotas
    items = {"adult": ("25.00", list(quotas)[:1])} if items is None else items
    when = date_from or datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    with server.client() as client:
        body = {"name": {"en": name or slug}, "slug": slug, "currency": "EUR", "date_from": when.isoformat(),
                "is_public": True, "live": False}
        template = TEMPLATE_SIG1 if sig1 else TEMPLATE
        answer = client.post("events/", params={"clone_from": template}, json=body)
        if answer.status_code == 400 and "copy from" in answer.text:
            raise PretixKitError(f"the pretix at {server.url} lacks the template event {template!r}: prepare its "
                                 "organizer as tests/pretix_server.py's docstring says")
        _ok(answer, f"POST events/ {slug}")
        base = f"events/{slug}/"
        item_ids: dict[str, int] = {}
        for item_name, (price, _in) in items.items():
            made = _ok(client.post(base + "items/", json={
                "name": {"en": item_name}, "default_price": price, "admission": True, "active": True,
                "personalized": False}), f"POST items/ {item_name}")
            item_ids[item_name] = made["id"]
        quota_ids: dict[str, int] = {}
        for quota_name, size in quotas.items():
            members = [item_ids[i] for i, (_price, where) in items.items() if quota_name in where]
            made = _ok(client.post(base + "quotas/", json={"name": quota_name, "size": size, "items": members,
                                                           "variations": []}), f"POST quotas/ {quota_name}")
            quota_ids[quota_name] = made["id"]
        plan_id, seats = None, []
        if seating:
            categories = ({"stalls": {"rows": 2, "seats": 5, "item": next(iter(items))}} if seating is True
                          else seating)
            assert isinstance(categories, dict)
            plan = _ok(client.post("seatingplans/", json={"name": f"{slug} plan",
                                                          "layout": seating_layout(f"{slug} plan", categories)}),
                       "POST seatingplans/")
            plan_id = plan["id"]
            mapping = {category: item_ids[shape["item"]] for category, shape in categories.items()}
            _ok(client.patch(base, json={"seating_plan": plan_id, "seat_category_mapping": mapping}),
                f"PATCH events/{slug}/ seating plan")
            category_of = {_seat_guid(category, row, n): category for category, shape in categories.items()
                           for row in _row_names(shape["rows"]) for n in range(1, int(shape["seats"]) + 1)}
            seats = [{"guid": s["seat_guid"], "id": s["id"], "row": s["row_name"], "number": s["seat_number"],
                      "item": s["product"], "category": category_of.get(s["seat_guid"])}
                     for s in _all(client, base + "seats/")]
        event = _ok(client.patch(base, json={"live": live}), f"PATCH events/{slug}/ live={live}")
    return {"slug": slug, "event": event, "items": item_ids, "quotas": quota_ids, "seating_plan": plan_id,
            "seats": seats}


def buy(server: PretixServer, slug: str, item_id: int, n: int = 1, *, email: str = "buyer@example.org",
        seat: str | list[str] | None = None, price: str | None = None,
        attendee_names: list[str] | None = None, payment_provider: str = WEB_PAYMENT,
        voucher: str | None = None, phone: str | None = None, valid_from: str | None = None,
        valid_until: str | None = None) -> dict[str, Any]:
    """A paid web order of ``n`` tickets of one item, as if bought in pretix's shop: pretix's JSON of the order
    (code, positions with their secrets). ``seat`` is a seat guid (or one per ticket). No e-mail is sent; the
    quota is enforced (no ``force``), so a sold-out item is refused with PretixKitError. ``payment_provider``
    "boxoffice" (pretix's own box office method, always there) and a ``voucher`` code give an order shaped like the
    ones the bridge sends up. ``phone`` is the buyer's; ``valid_from``/``valid_until`` (ISO times) bound each
    ticket's validity, which a pretix_sig1 secret carries inside it."""
    seats = [seat] if isinstance(seat, str) else seat
    if seats is not None and len(seats) != n:
        raise ValueError(f"{n} tickets need {n} seats, not {len(seats)}")
    positions: list[dict[str, Any]] = []
    for i in range(n):
        position: dict[str, Any] = {"item": item_id}
        if seats is not None:
            position["seat"] = seats[i]
        if price is not None:
            position["price"] = price
        if attendee_names:
            position["attendee_name"] = attendee_names[i]
        if voucher is not None:
            position["voucher"] = voucher
        if valid_from is not None:
            position["valid_from"] = valid_from
        if valid_until is not None:
            position["valid_until"] = valid_until
        positions.append(position)
    body = {"email": email, "locale": "en", "sales_channel": "web", "status": "p", "payment_provider": payment_provider,
            "send_email": False, "positions": positions}
    if phone is not None:
        body["phone"] = phone
    with server.client() as client:
        return dict(_ok(client.post(f"events/{slug}/orders/", json=body), f"POST events/{slug}/orders/"))


def cancel(server: PretixServer, slug: str, code: str) -> dict[str, Any]:
    """Cancel a paid order in pretix, as an organizer would (no e-mail): its tickets' secrets become invalid."""
    with server.client() as client:
        return dict(_ok(client.post(f"events/{slug}/orders/{code}/mark_canceled/", json={"send_email": False}),
                        f"POST orders/{code}/mark_canceled/"))


def regenerate_secrets(server: PretixServer, slug: str, code: str) -> dict[str, Any]:
    """New secrets for every ticket of an order (pretix lists the old ones in ``revokedsecrets/``)."""
    with server.client() as client:
        return dict(_ok(client.post(f"events/{slug}/orders/{code}/regenerate_secrets/", json={}),
                        f"POST orders/{code}/regenerate_secrets/"))


def checkin_list(server: PretixServer, slug: str, name: str, *, item_ids: list[int] | None = None) -> dict[str, Any]:
    """The check-in list of that name in the event, made when missing (all products, or only ``item_ids``)."""
    with server.client() as client:
        for found in _all(client, f"events/{slug}/checkinlists/"):
            if found["name"] == name:
                return found
        body: dict[str, Any] = {"name": name, "all_products": item_ids is None, "limit_products": item_ids or [],
                                "include_pending": False}
        return dict(_ok(client.post(f"events/{slug}/checkinlists/", json=body), f"POST checkinlists/ {name}"))


def availability(server: PretixServer, slug: str, quota_id: int) -> dict[str, Any]:
    """pretix's availability of a quota: {"available", "available_number", "total_size", "paid_orders", ...}."""
    with server.client() as client:
        return dict(_ok(client.get(f"events/{slug}/quotas/{quota_id}/availability/"), "GET availability"))


def bridge_sync(cli: Any, central: Any, server: PretixServer, slug: str, *steps: str) -> dict[str, Any]:
    """`boxoffice central pretix sync [--step ...] --json` on a central database, as an operator runs it: the round's
    outcome, which must have ended well."""
    args = ["central", "pretix", "sync", "--url", server.url, "--organizer", server.organizer, "--event", slug,
            "--token-file", str(server.token_file), "--db", central.db_url, "--json"]
    for s in steps:
        args += ["--step", s]
    result = cli(*args, now=None)
    assert result.exit_code == 0, result.output
    outcome = result.json()
    assert outcome["ok"], outcome
    return dict(outcome)
