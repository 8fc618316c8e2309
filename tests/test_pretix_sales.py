"""Bridge step `sales` against a real pretix: sales made on a real terminal, pushed with `boxoffice sync` to a real
central service on loopback, go up with `boxoffice central pretix sync --step sales` as paid pretix orders on the
terminal's voucher, once each (a repeated step, and a POST whose answer was lost, add nothing); a refund on the
terminal cancels them in pretix; an order pretix refuses is marked failed with pretix's reason and the others go up.

The pretix event, the links of the demo catalogue's Winter Gala to it and the terminal's voucher are made here
through pretix's REST API and the bridge's tables, as the catalogue and stock steps would make them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pretix_sales_kit import (
    World,
    give_voucher,
    order_id,
    post,
    pretix_event,
    push,
    refund,
    seat_up,
    sell,
    sell_seats,
    step,
    write,
)
from sync_helpers import Central, CentralServer, central_db, enroll, sync

from boxoffice.services.context import Ctx

pytest_plugins = ["sync_support"]

PLACES = 140  # the terminal's standing places: granted before the links are made (the stock step's part)
PX_URL = os.environ.get("BOXOFFICE_PRETIX_URL")
PX_TOKEN_FILE = os.environ.get("BOXOFFICE_PRETIX_TOKEN_FILE")


@pytest.fixture(scope="module")
def px(request: pytest.FixtureRequest) -> Any:
    """The pretix under test: the `pretix_server` fixture (tests/pretix_server.py) when it is loaded, else the
    running pretix that BOXOFFICE_PRETIX_URL / BOXOFFICE_PRETIX_TOKEN_FILE name; skipped without either."""
    try:
        return request.getfixturevalue("pretix_server")
    except pytest.FixtureLookupError:
        pass
    if not (PX_URL and PX_TOKEN_FILE):
        if os.environ.get("BOXOFFICE_CI") == "1":
            pytest.fail("no pretix: set BOXOFFICE_PRETIX_URL and BOXOFFICE_PRETIX_TOKEN_FILE")
        pytest.skip("no pretix to test against (BOXOFFICE_PRETIX_URL, BOXOFFICE_PRETIX_TOKEN_FILE)")
    import httpx

    token = Path(PX_TOKEN_FILE).read_text().strip()
    url = PX_URL.rstrip("/")

    def client() -> Any:
        return httpx.Client(base_url=f"{url}/api/v1/organizers/venue/", timeout=60,
                            headers={"Authorization": f"Token {token}"})

    return SimpleNamespace(url=url, organizer="venue", token=token, token_file=PX_TOKEN_FILE, client=client)


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def world(request: pytest.FixtureRequest, px: Any, tmp_path: Path, make_terminal: Callable[..., Ctx],
          demo_events: tuple[str, str]) -> Iterator[World]:
    from conftest import T0

    from boxoffice.central.services.allocation_admin import allocate
    from boxoffice.services.demo_catalog import demo_catalog

    url = central_db(request.param, tmp_path, request)
    server = CentralServer(url, tmp_path / "serve.log")
    central = Central(request.param, url, server)
    http = px.client()
    try:
        central.publish(demo_catalog(T0.date()), tmp_path)
        ctx = make_terminal(name=f"Counter {secrets.token_hex(4)}", fresh=True)
        ctx.config.values["allocation"] = {"top_up_below": 0, "top_up_to": 0}
        enroll(ctx, central)
        gala = demo_events[0]
        allocate(central.db_url, gala, ctx.terminal["id"], "standing", PLACES, [])  # before the links, as above
        sync(ctx)
        slug = f"pxup-{secrets.token_hex(4)}"
        ids = pretix_event(http, slug)
        voucher = post(http, f"events/{slug}/vouchers/", {
            "code": f"BOX{secrets.token_hex(5).upper()}", "max_usages": PLACES, "quota": ids["quota"],
            "block_quota": True, "allow_ignore_quota": False, "price_mode": "none", "tag": "boxoffice",
            "comment": f"boxoffice terminal {ctx.terminal['name']}"})
        write(central, "INSERT INTO pretix_links (kind, local_id, pretix_event, pretix_id, data) "
                        "VALUES (?, ?, ?, ?, '{}')",
               [("event", gala, slug, slug), ("section", f"{gala}/standing", slug, str(ids["quota"])),
                *[("ticket_type", f"{gala}/{k}", slug, str(ids[k])) for k in ("adult", "child", "concession")]])
        yield World(central, ctx, gala, slug, ids, voucher, http)
    finally:
        http.close()
        server.stop()


def test_sales_go_up_once_as_paid_orders_on_the_terminals_voucher(world: World, cli: Callable, px: Any) -> None:
    w = world
    first = sell(w, {"adult": 2, "child": 1}, customer_name="Ada Lovelace", email="ada@example.org")
    second = sell(w, {"adult": 1})
    push(w, cli)

    assert step(w, cli, px) == {"waiting": 2}  # no voucher for the terminal yet: nothing is sent without one
    assert w.orders() == []
    assert "no pretix voucher yet" in (w.row(order_id(w, first["order"]["code"])) or {})["error"]

    give_voucher(w)
    assert step(w, cli, px) == {"sent": 2}
    orders = {o["code"]: o for o in w.orders()}
    assert len(orders) == 2
    for sale, items in ((first, [("adult", "22.50"), ("adult", "22.50"), ("child", "10.00")]),
                        (second, [("adult", "22.50")])):
        row = w.row(order_id(w, sale["order"]["code"]))
        assert row is not None and row["state"] == "sent"
        o = orders[row["pretix_code"]]
        assert (o["status"], o["payment_provider"], o["sales_channel"]) == ("p", "boxoffice", "api.boxoffice")
        assert o["payment_date"] == sale["order"]["created_at"][:10]  # the day of the sale, not of the upload
        by_id = {v: k for k, v in w.ids.items()}
        got = sorted((by_id[p["item"]], p["price"]) for p in o["positions"])
        assert got == sorted(items)
        assert {p["voucher"] for p in o["positions"]} == {w.voucher["id"]}
        tickets = w.central.query("SELECT ticket_id, position_id, secret FROM pretix_tickets WHERE order_id = ?",
                                  (row["order_id"],))
        assert sorted((t["position_id"], t["secret"]) for t in tickets) == sorted(
            (p["id"], p["secret"]) for p in o["positions"])
    ada = orders[w.row(order_id(w, first["order"]["code"]))["pretix_code"]]  # type: ignore[index]
    assert ada["email"] == "ada@example.org"
    assert {p["attendee_name"] for p in ada["positions"]} == {"Ada Lovelace"}
    assert w.voucher_now()["redeemed"] == 4

    assert step(w, cli, px) == {}  # again: nothing to do, nothing added
    lost = order_id(w, second["order"]["code"])  # the answer to a POST lost: pretix's answer never recorded
    code = w.row(lost)["pretix_code"]  # type: ignore[index]
    write(w.central, "DELETE FROM pretix_tickets WHERE order_id = ?", [(lost,)])
    write(w.central, "DELETE FROM pretix_orders WHERE order_id = ?", [(lost,)])
    assert step(w, cli, px) == {"sent": 1}
    assert len(w.orders()) == 2 and w.row(lost)["pretix_code"] == code  # type: ignore[index]
    assert w.voucher_now()["redeemed"] == 4

    listing = cli("central", "pretix", "orders", "--db", w.central.db_url, "--json")
    assert listing.exit_code == 0 and listing.json()["counts"] == {"sent": 2}


def test_a_refund_on_the_terminal_cancels_in_pretix_and_gives_the_place_back(world: World, cli: Callable,
                                                                            px: Any) -> None:
    w = world
    give_voucher(w)
    whole = sell(w, {"adult": 2})
    part = sell(w, {"adult": 1, "child": 1})
    push(w, cli)
    assert step(w, cli, px) == {"sent": 2}
    assert w.voucher_now()["redeemed"] == 4

    paid_back = refund(w, whole["order"]["code"])
    child = [t["id"] for t in part["tickets"] if t["ticket_type_id"] == "child"]
    paid_back_child = refund(w, part["order"]["code"], child)
    assert paid_back > 0 and paid_back_child > 0
    push(w, cli)
    assert step(w, cli, px) == {"canceled": 1, "positions_canceled": 1}
    orders = {o["code"]: o for o in w.orders()}
    gone = orders[w.row(order_id(w, whole["order"]["code"]))["pretix_code"]]  # type: ignore[index]
    assert gone["status"] == "c"
    kept = orders[w.row(order_id(w, part["order"]["code"]))["pretix_code"]]  # type: ignore[index]
    by_id = {v: k for k, v in w.ids.items()}
    assert kept["status"] == "p"
    assert sorted((by_id[p["item"]], p["canceled"]) for p in kept["positions"]) == [("adult", False),
                                                                                   ("child", True)]
    # the money paid back at the counter is a refund done by the box office in pretix's books, once each
    for pretix_order, amount in ((gone, paid_back), (kept, paid_back_child)):
        assert [(r["state"], r["provider"], r["amount"]) for r in pretix_order["refunds"]] == [
            ("done", "boxoffice", f"{amount // 100}.{amount % 100:02d}")]
        assert pretix_order["refunds"][0]["comment"].startswith("boxoffice refund ")
    assert w.voucher_now()["redeemed"] == 1  # three places back on the terminal's voucher
    assert w.row(order_id(w, whole["order"]["code"]))["state"] == "canceled"  # type: ignore[index]

    assert step(w, cli, px) == {}  # sent once: a second round cancels nothing more
    assert [len(o["refunds"]) for o in w.orders()] == [1, 1]  # ... and records no refund twice
    late = sell(w, {"adult": 1})  # refunded before it ever went up: pretix never hears of it
    refund(w, late["order"]["code"])
    push(w, cli)
    assert step(w, cli, px) == {"void": 1}
    assert len(w.orders()) == 2 and w.voucher_now()["redeemed"] == 1


def test_an_order_pretix_refuses_is_marked_failed_and_the_others_go_up(world: World, cli: Callable,
                                                                       px: Any) -> None:
    w = world
    give_voucher(w)
    good = sell(w, {"adult": 1})
    refused = sell(w, {"concession": 1})  # pretix's Concession is in no quota: the voucher does not apply to it
    after = sell(w, {"child": 1})
    push(w, cli)
    assert step(w, cli, px) == {"sent": 2, "failed": 1}
    row = w.row(order_id(w, refused["order"]["code"]))
    assert row is not None and row["state"] == "failed" and row["pretix_code"] is None
    assert "voucher" in row["error"] and "HTTP 400" in row["error"]
    for sale in (good, after):
        assert w.row(order_id(w, sale["order"]["code"]))["state"] == "sent"  # type: ignore[index]
    assert len(w.orders()) == 2

    shown = cli("central", "pretix", "orders", "--failed", "--db", w.central.db_url)
    assert shown.exit_code == 0, shown.output
    assert refused["order"]["code"] in shown.stdout and "voucher" in shown.stdout
    assert good["order"]["code"] not in shown.stdout
    assert step(w, cli, px) == {}  # a refused order is not sent again every round


def test_a_reserved_seat_goes_up_on_its_own_voucher(world: World, cli: Callable, px: Any) -> None:
    w = world
    seats = seat_up(w, ("A1", "A2", "A3"))
    sold = sell_seats(w, ["A1", "A2"])
    push(w, cli)
    assert step(w, cli, px) == {"sent": 1}
    (o,) = w.orders()
    assert o["status"] == "p"
    got = sorted((p["seat"]["seat_guid"], p["item"], p["price"], p["voucher"]) for p in o["positions"])
    v = seats["vouchers"]
    assert got == [(seats["guids"]["A1"], seats["item"], "35.00", v["A1"]["id"]),
                   (seats["guids"]["A2"], seats["item"], "35.00", v["A2"]["id"])]
    assert w.http.get(f"events/{w.slug}/cartpositions/").json()["count"] == 0  # the cart became the order
    lost = order_id(w, sold["order"]["code"])  # the answer lost: the seats are the order's now, not sold twice
    write(w.central, "DELETE FROM pretix_tickets WHERE order_id = ?", [(lost,)])
    write(w.central, "DELETE FROM pretix_orders WHERE order_id = ?", [(lost,)])
    assert step(w, cli, px) == {"sent": 1}
    assert len(w.orders()) == 1

    refund(w, sold["order"]["code"], [t["id"] for t in sold["tickets"] if t["seat"] == "1"])
    push(w, cli)
    assert step(w, cli, px) == {"positions_canceled": 1}
    r = w.http.get(f"events/{w.slug}/vouchers/{v['A1']['id']}/").json()
    assert r["redeemed"] == 0  # seat A1 is the terminal's to sell again


def test_an_exchange_cancels_the_old_ticket_and_sends_the_new_order(world: World, cli: Callable, px: Any) -> None:
    from boxoffice.services.exchanges import ExchangeRequest, exchange

    w = world
    give_voucher(w)
    old = sell(w, {"adult": 1})
    push(w, cli)
    assert step(w, cli, px) == {"sent": 1}
    done = exchange(w.terminal, ExchangeRequest(code=old["order"]["code"], counts={"child": 1}))
    push(w, cli)
    assert step(w, cli, px) == {"canceled": 1, "sent": 1}
    orders = {o["code"]: o for o in w.orders()}
    assert orders[w.row(order_id(w, old["order"]["code"]))["pretix_code"]]["status"] == "c"  # type: ignore[index]
    new = orders[w.row(done["order"]["id"])["pretix_code"]]  # type: ignore[index]
    assert (new["status"], [(p["item"], p["price"]) for p in new["positions"]]) == ("p", [(w.ids["child"], "10.00")])
    assert w.voucher_now()["redeemed"] == 1


def test_a_lost_answer_ends_the_step_and_the_next_round_adds_no_second_order(world: World, cli: Callable,
                                                                            px: Any) -> None:
    """Every POST of an order reaches pretix, which makes the order, and the answer never comes back: the step ends
    (pretix unreachable, exit 8); the next round is answered from pretix's record of the key."""
    from urllib.parse import urlsplit

    from sync_helpers import FaultProxy

    w = world
    give_voucher(w)
    sale = sell(w, {"adult": 1})
    push(w, cli)

    def plan(n: int, method: str, path: str) -> str:
        return "cut_after" if method == "POST" and path.endswith("/orders/") else "pass"

    with FaultProxy(urlsplit(px.url).port or 80, plan) as proxy:
        r = cli("central", "pretix", "sync", "--url", proxy.url, "--organizer", px.organizer, "--event", w.slug,
                "--token-file", px.token_file, "--step", "sales", "--db", w.central.db_url, "--json")
    assert r.exit_code == 8, r.output
    assert r.json()["error"]["code"] == "pretix_unreachable"
    assert w.row(order_id(w, sale["order"]["code"])) is None and len(w.orders()) == 1
    assert step(w, cli, px) == {"sent": 1}
    assert len(w.orders()) == 1 and w.voucher_now()["redeemed"] == 1


def test_an_order_pretix_holds_under_a_forgotten_key_is_taken_up_by_its_code(world: World, cli: Callable,
                                                                            px: Any) -> None:
    """pretix keeps its record of an idempotency key for a day: an order whose answer was lost longer ago is found
    by its fixed code instead of being sold twice."""
    from boxoffice.central.pretix.order_body import pretix_code

    w = world
    give_voucher(w)
    sale = sell(w, {"adult": 1})
    push(w, cli)
    oid = order_id(w, sale["order"]["code"])
    earlier = post(w.http, f"events/{w.slug}/orders/", {  # the earlier POST, made under a key pretix forgot
        "code": pretix_code(oid), "status": "p", "payment_provider": "boxoffice", "send_email": False,
        "positions": [{"item": w.ids["adult"], "price": "22.50", "voucher": w.voucher["code"]}]})
    assert step(w, cli, px) == {"sent": 1}
    assert [o["code"] for o in w.orders()] == [earlier["code"]]
    assert w.row(oid)["pretix_code"] == earlier["code"]  # type: ignore[index]
    assert w.voucher_now()["redeemed"] == 1


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_many_sales_go_up_in_one_round_page_by_page(world: World, cli: Callable, px: Any) -> None:
    w = world
    n = 130  # past two pages of 50
    give_voucher(w)
    codes = [sell(w, {"adult": 1})["order"]["code"] for _ in range(n)]
    push(w, cli)
    assert step(w, cli, px) == {"sent": n}
    assert w.http.get(f"events/{w.slug}/orders/").json()["count"] == n
    assert {r["state"] for r in w.central.query("SELECT state FROM pretix_orders")} == {"sent"}
    assert len(set(codes)) == n and w.voucher_now()["redeemed"] == n


def test_central_schema_14_keeps_the_bridges_rows(tmp_path: Path) -> None:
    """A central database at schema 13 (the bridge's tables) moves to 14 with its tickets' secrets kept, none of
    them canceled."""
    from boxoffice.central.store import schema
    from boxoffice.central.store.db import connect

    with connect(str(tmp_path / "c.db")) as db:
        schema.migrate(db, "2026-12-01T10:00:00Z", upto=13)
        with db.transaction():
            db.execute("INSERT INTO pretix_tickets (ticket_id, order_id, pretix_event, position_id, secret) "
                       "VALUES ('t1', 'o1', 'gala', 7, 's3cret')")
        moved = schema.migrate(db, "2026-12-01T10:00:00Z")
        assert moved["from"] == 13 and 14 in moved["migrations"]
        assert db.all("SELECT ticket_id, position_id, secret, canceled_at FROM pretix_tickets") == [
            {"ticket_id": "t1", "position_id": 7, "secret": "s3cret", "canceled_at": None}]


def test_a_whole_round_from_pretixs_catalogue_to_its_orders(px: Any, tmp_path: Path, request: pytest.FixtureRequest,
                                                           make_terminal: Callable[..., Ctx], cli: Callable) -> None:
    """With the other steps of the bridge: the catalogue pulled from a pretix event, a grant that raises the
    terminal's voucher, sales on the terminal, then whole rounds: the sales go up on that voucher, and the stock step
    of the next round keeps the voucher at the terminal's allocation (what it holds and what it sold), and the web
    orders step does not bring them back down as web orders."""
    import json

    from pretix_kit import make_event

    slug = f"pxup-{secrets.token_hex(4)}"
    ev = make_event(px, slug, quotas={"standing": 10}, items={"adult": ("25.00", ["standing"])})
    url = central_db("sqlite", tmp_path, request)
    bridge = ("--url", px.url, "--organizer", px.organizer, "--event", slug, "--token-file", str(px.token_file),
              "--db", url, "--json")
    r = cli("central", "pretix", "sync", *bridge, "--step", "catalogue", now=None)
    assert r.exit_code == 0 and r.json()["ok"], r.output
    server = CentralServer(url, tmp_path / "serve.log")
    try:
        ctx = make_terminal(name="Round counter", fresh=True)
        enroll(ctx, Central("sqlite", url, server))
        env = {"BOXOFFICE_PRETIX_BRIDGE": json.dumps({"url": px.url, "organizer": px.organizer, "events": [slug],
                                                      "token_file": str(px.token_file)})}
        r = cli("central", "allocate", slug, "--terminal", ctx.terminal["id"], "--section", "standing", "--count", "6",
                "--db", url, "--json", env=env, now=None)
        assert r.exit_code == 0, r.output
        sync(ctx)
        from boxoffice.domain.tenders import Tender
        from boxoffice.services.sales import SaleRequest
        from boxoffice.services.sales import sell as do_sell

        for n in (2, 1):
            do_sell(ctx, SaleRequest(event_id=slug, section_id="standing", counts={"adult": n},
                                     tenders=[Tender("cash", 100_00)], print_receipt=False))
        assert cli("sync", db=ctx).exit_code == 0
        for _round in range(2):
            r = cli("central", "pretix", "sync", *bridge, now=None)
            assert r.exit_code == 0 and r.json()["ok"], r.output
        with px.client() as c:
            orders = c.get(f"events/{slug}/orders/").json()["results"]
            (voucher,) = c.get(f"events/{slug}/vouchers/", params={"tag": "boxoffice"}).json()["results"]
        assert sorted(len(o["positions"]) for o in orders) == [1, 2]
        assert {(o["status"], p["item"], p["price"], p["voucher"]) for o in orders for p in o["positions"]} == {
            ("p", ev["items"]["adult"], "25.00", voucher["id"])}
        assert (voucher["max_usages"], voucher["redeemed"]) == (6, 3)
        central = Central("sqlite", url, server)  # the web orders step knows the bridge's own: none came back down
        assert central.scalar("SELECT COUNT(*) AS n FROM orders WHERE channel = 'web'") == 0
    finally:
        server.stop()
