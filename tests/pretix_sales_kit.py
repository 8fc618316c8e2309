"""Helpers of tests/test_pretix_sales.py: a central service, a terminal and a pretix event the demo Winter Gala is
linked to (through pretix's REST API and the bridge's tables, as the catalogue and stock steps would make them),
and the moves of the tests (sell, refund, push, run the step)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync_helpers import Central, sync

from boxoffice.services.context import Ctx


@dataclass
class World:
    """A central service, a terminal enrolled with it, and a pretix event the Winter Gala is linked to."""

    central: Central
    terminal: Ctx
    gala: str
    slug: str
    ids: dict[str, int]
    voucher: dict[str, Any]
    http: Any

    def orders(self) -> list[dict[str, Any]]:
        """pretix's orders of the event (canceled positions included)."""
        r = self.http.get(f"events/{self.slug}/orders/", params={"include_canceled_positions": "true",
                                                                 "page_size": 100})
        assert r.status_code == 200, r.text
        return r.json()["results"]

    def voucher_now(self) -> dict[str, Any]:
        r = self.http.get(f"events/{self.slug}/vouchers/{self.voucher['id']}/")
        assert r.status_code == 200, r.text
        return r.json()

    def row(self, order_id: str) -> dict[str, Any] | None:
        rows = self.central.query("SELECT * FROM pretix_orders WHERE order_id = ?", (order_id,))
        return rows[0] if rows else None


def post(http: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = http.post(path, json=body)
    assert r.status_code in (200, 201), f"{path}: {r.status_code} {r.text[:300]}"
    return r.json()


def write(central: Central, sql: str, rows: list[tuple[Any, ...]]) -> None:
    from boxoffice.central.store.db import connect

    with connect(central.db_url) as db, db.transaction():
        for row in rows:
            db.execute(sql, row)


def pretix_event(http: Any, slug: str) -> dict[str, int]:
    """A pretix event with a standing quota of 300 holding Adult and Child, and a Concession item in no quota."""
    post(http, "events/", {"name": {"en": f"Gala {slug}"}, "slug": slug, "currency": "EUR",
                            "date_from": "2026-12-08T19:30:00Z"})
    ids = {}
    for key, name, price in (("adult", "Adult", "22.50"), ("child", "Child", "10.00"),
                             ("concession", "Concession", "18.00")):
        ids[key] = post(http, f"events/{slug}/items/", {"name": {"en": name}, "default_price": price,
                                                           "admission": True, "active": True})["id"]
    ids["quota"] = post(http, f"events/{slug}/quotas/", {"name": "Standing", "size": 300,
                                                           "items": [ids["adult"], ids["child"]]})["id"]
    return ids


def give_voucher(w: World) -> None:
    """The terminal's voucher for the standing floor, as the stock step records it."""
    write(w.central, "INSERT INTO pretix_vouchers (terminal_id, event_id, section_id, seat, pretix_event, "
                      "voucher_id, code, max_usages, updated_at) VALUES (?, ?, 'standing', '', ?, ?, ?, ?, ?)",
           [(w.terminal.terminal["id"], w.gala, w.slug, w.voucher["id"], w.voucher["code"], w.voucher["max_usages"],
             "2026-12-01T10:00:00Z")])


def sell(w: World, counts: dict[str, int], **kw: Any) -> dict[str, Any]:
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.sales import SaleRequest
    from boxoffice.services.sales import sell as do_sell

    return do_sell(w.terminal, SaleRequest(event_id=w.gala, section_id="standing", counts=counts,
                                           tenders=[Tender("cash", 500_00)], print_receipt=False, **kw))


def refund(w: World, code: str, tickets: list[str] | None = None) -> int:
    """A refund at the terminal: the minor units paid back."""
    from boxoffice.services.refunds import RefundRequest
    from boxoffice.services.refunds import refund as do_refund

    return int(do_refund(w.terminal, RefundRequest(code=code, tickets=tickets, print_receipt=False))["amount"])


def push(w: World, cli: Callable) -> None:
    """`boxoffice sync` on the terminal: its journal reaches the central service."""
    r = cli("sync", "--json", db=w.terminal)
    assert r.exit_code == 0, r.output


def step(w: World, cli: Callable, px: Any) -> dict[str, Any]:
    """`boxoffice central pretix sync --step sales`: its counts (the whole outcome when it stopped)."""
    r = cli("central", "pretix", "sync", "--url", px.url, "--organizer", px.organizer, "--event", w.slug,
            "--token-file", px.token_file, "--step", "sales", "--db", w.central.db_url, "--json")
    assert r.exit_code == 0, r.output
    return r.json()["steps"]["sales"]


def order_id(w: World, code: str) -> str:
    return w.terminal.conn.execute("SELECT id FROM orders WHERE code = ?", (code,)).fetchone()[0]


def seat_up(w: World, labels: tuple[str, ...]) -> dict[str, Any]:
    """The pretix event gets a seating plan of ``labels`` (row A), one category Stalls sold as a Stalls item, and
    one voucher per seat for the terminal (as the catalogue and stock steps make them): the guids and codes."""
    from boxoffice.central.services.allocation_admin import allocate

    tid = w.terminal.terminal["id"]
    allocate(w.central.db_url, w.gala, tid, "stalls", 0, list(labels))  # before the links: then pretix's to grant
    sync(w.terminal)
    guids = {label: f"{w.slug}-{label}" for label in labels}
    layout = {"name": w.slug, "categories": [{"name": "Stalls"}], "size": {"width": 400, "height": 100},
              "zones": [{"name": "main", "position": {"x": 0, "y": 0}, "rows": [{"row_number": "A", "seats": [
                  {"seat_guid": guids[label], "seat_number": label[1:], "position": {"x": 20 * i, "y": 0},
                   "category": "Stalls"} for i, label in enumerate(labels)]}]}]}
    plan = post(w.http, "seatingplans/", {"name": w.slug, "layout": layout})["id"]
    item = post(w.http, f"events/{w.slug}/items/", {"name": {"en": "Stalls"}, "default_price": "35.00",
                                                     "admission": True, "active": True})["id"]
    post(w.http, f"events/{w.slug}/quotas/", {"name": "Stalls", "size": len(labels), "items": [item]})
    r = w.http.patch(f"events/{w.slug}/", json={"seating_plan": plan, "seat_category_mapping": {"Stalls": item}})
    assert r.status_code == 200, r.text
    codes = {}
    for label, guid in guids.items():
        codes[label] = post(w.http, f"events/{w.slug}/vouchers/", {
            "code": f"SEAT{secrets.token_hex(5).upper()}", "max_usages": 1, "item": item, "seat": guid,
            "block_quota": True, "allow_ignore_quota": False, "price_mode": "none", "tag": "boxoffice"})
    write(w.central, "INSERT INTO pretix_links (kind, local_id, pretix_event, pretix_id, data) VALUES "
                      "('seat', ?, ?, ?, ?)",
           [(f"{w.gala}/stalls/{label}", w.slug, guid, f'{{"item": {item}}}') for label, guid in guids.items()])
    write(w.central, "INSERT INTO pretix_vouchers (terminal_id, event_id, section_id, seat, pretix_event, "
                      "voucher_id, code, max_usages, updated_at) VALUES (?, ?, 'stalls', ?, ?, ?, ?, 1, ?)",
           [(tid, w.gala, label, w.slug, v["id"], v["code"], "2026-12-01T10:00:00Z") for label, v in codes.items()])
    return {"item": item, "guids": guids, "vouchers": codes}


def sell_seats(w: World, seats: list[str]) -> dict[str, Any]:
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.sales import SaleRequest
    from boxoffice.services.sales import sell as do_sell

    return do_sell(w.terminal, SaleRequest(event_id=w.gala, section_id="stalls", counts={"adult": len(seats)},
                                           seats=seats, tenders=[Tender("cash", 500_00)], print_receipt=False))
