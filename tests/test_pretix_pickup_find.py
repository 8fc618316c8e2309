"""The pickup desk finds a pretix order by what its customer holds: pretix's order code (from pretix's confirmation
e-mail) or a pretix ticket (its QR is the ticket's pretix secret), against a real pretix, a real central service on
loopback and a real terminal synced from it; and the terminal's upgrade to migration 0028 keeps what it had.

The secret admits the ticket at the door: it is never shown in what the desk prints.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pretix_kit
import pytest
from pretix_kit import bridge_sync
from sync_helpers import Central, sync

pytest_plugins = ["sync_support"]


@pytest.fixture
def shop(pretix_server: Any, cli: Any, central: Central, make_terminal: Any) -> dict[str, Any]:
    """A pretix event with two paid web orders, brought down by the bridge and synced to a pickup desk."""
    from sync_helpers import enroll

    slug = f"pxpick-{secrets.token_hex(3)}"
    made = pretix_kit.make_event(pretix_server, slug, quotas={"stalls": 50}, items={"adult": ("25.00", ["stalls"])})
    item = made["items"]["adult"]
    nell = pretix_kit.buy(pretix_server, slug, item, 2, email="nell.brightwater@example.org",
                          attendee_names=["Nell Brightwater", "Ivo Brightwater"])
    otto = pretix_kit.buy(pretix_server, slug, item, 1, email="otto.fairweather@example.org",
                          attendee_names=["Otto Fairweather"])
    steps = bridge_sync(cli, central, pretix_server, slug, "catalogue", "web_orders")["steps"]
    assert steps["web_orders"]["imported"] == 2, steps
    desk = make_terminal(name="Desk Pretix", fresh=True)
    enroll(desk, central)
    pulled = sync(desk)
    assert pulled["by_kind"].get("web_order", 0) >= 2, pulled
    event_id = central.scalar("SELECT local_id FROM pretix_links WHERE kind = 'event' AND pretix_event = ?", (slug,))
    codes = {o["code"]: central.scalar("SELECT code FROM orders WHERE ref = ?", (f"pretix:{o['code']}",))
             for o in (nell, otto)}
    return {"slug": slug, "event_id": event_id, "nell": nell, "otto": otto, "w": codes, "desk": desk}


def _find(cli: Any, desk: Any, query: str, *more: str) -> Any:
    return cli("pickup", "find", query, *more, db=desk)


def test_the_desk_finds_a_pretix_order_by_its_code_and_by_a_ticket_and_hands_it_out(
        cli: Any, central: Central, shop: dict[str, Any]) -> None:
    desk, nell, otto = shop["desk"], shop["nell"], shop["otto"]
    w_nell, w_otto = shop["w"][nell["code"]], shop["w"][otto["code"]]
    feed = [json.loads(r["body"])["order"] for r in central.query("SELECT body FROM changes WHERE kind = 'web_order'")]
    assert {o["code"]: o.get("shop_ref") for o in feed if o["code"] in (w_nell, w_otto)} == \
        {w_nell: nell["code"], w_otto: otto["code"]}  # pretix's code travels on the feed, without "pretix:"

    # pretix's order code, as read out by the customer (any case)
    for typed in (nell["code"], nell["code"].lower()):
        found = _find(cli, desk, typed, "--json")
        assert found.exit_code == 0, found.output
        out = found.json()
        assert out["by"] == "shop_ref" and out["note"] is None
        assert [(r["code"], r["name"], r["tickets"], r["picked_up"], r["match"], r["event_id"])
                for r in out["results"]] == [(w_nell, "Nell Brightwater", 2, 0, "shop_ref", shop["event_id"])]
    plain = _find(cli, desk, nell["code"].lower())
    assert plain.exit_code == 0, plain.output
    assert w_nell in plain.stdout and "Nell Brightwater" in plain.stdout and w_otto not in plain.stdout

    # a scanned pretix ticket: its order, and never the secret in what is printed
    secret = otto["positions"][0]["secret"]
    by_ticket = _find(cli, desk, secret, "--json")
    assert by_ticket.exit_code == 0, by_ticket.output
    assert by_ticket.json()["by"] == "shop_ticket"
    assert [(r["code"], r["name"], r["match"]) for r in by_ticket.json()["results"]] == \
        [(w_otto, "Otto Fairweather", "shop_ticket")]
    assert secret not in by_ticket.output
    plain = _find(cli, desk, secret)
    assert plain.exit_code == 0 and w_otto in plain.stdout and secret not in plain.output

    # exact matches only: part of a code or of a secret finds nothing by them; another event's desk neither
    for near in (nell["code"][:4], secret[:-1], secret.upper()):
        miss = _find(cli, desk, near, "--json")
        assert w_nell not in miss.output and w_otto not in miss.output, (near, miss.output)
    unknown = _find(cli, desk, secret[:-1])  # a ticket that matches nothing: said so, its text not repeated
    assert unknown.exit_code == 3 and "that scanned ticket" in unknown.stderr and secret[:-1] not in unknown.output
    elsewhere = _find(cli, desk, nell["code"], "--event", "gala-nowhere", "--json")
    assert elsewhere.exit_code != 0 and w_nell not in elsewhere.output

    # handed out by pretix's code, as the desk would after finding it, then refused a second time
    given = cli("pickup", "give", nell["code"].lower(), "--json", db=desk, pin="123456")
    assert given.exit_code == 0, given.output
    assert given.json()["order"] == w_nell and len(given.json()["handed_out"]) == 2
    assert _find(cli, desk, nell["code"], "--json").json()["results"][0]["picked_up"] == 2
    twice = cli("pickup", nell["code"], "--json", db=desk, pin="123456")
    assert twice.exit_code != 0 and "already_picked_up" in twice.output
    # and by the scanned pretix ticket
    by_scan = cli("pickup", "give", secret, "--json", db=desk, pin="123456")
    assert by_scan.exit_code == 0, by_scan.output
    assert by_scan.json()["order"] == w_otto and secret not in by_scan.output


def test_the_service_and_the_counter_find_it_the_same_way(central: Central, shop: dict[str, Any],
                                                          login: Any) -> None:
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services import pickup
    from boxoffice.services.counter import Counter

    desk, nell, otto = shop["desk"], shop["nell"], shop["otto"]
    w_nell, w_otto = shop["w"][nell["code"]], shop["w"][otto["code"]]
    login(desk, "ada")
    assert desk.conn.execute("SELECT shop_ref FROM orders WHERE code = ?", (w_nell,)).fetchone()[0] == nell["code"]
    found = pickup.find(desk, f"  {nell['code'].lower()} ", shop["event_id"])
    assert (found["by"], [r["code"] for r in found["results"]]) == ("shop_ref", [w_nell])
    secret = nell["positions"][1]["secret"]
    by_ticket = pickup.find(desk, secret)
    assert (by_ticket["by"], [r["code"] for r in by_ticket["results"]]) == ("shop_ticket", [w_nell])
    assert secret not in json.dumps(by_ticket)
    plan = pickup.plan_pickup(desk, otto["code"])
    assert plan["order"]["code"] == w_otto and len(plan["chosen"]) == 1
    with pytest.raises(BoxOfficeError) as refused:
        pickup.plan_pickup(desk, "ZZZZZ")  # neither an order code nor a shop's: refused as before
    assert refused.value.code == "bad_input"
    # the searches that were there find what they found before
    assert [r["code"] for r in pickup.find(desk, "brightwater", shop["event_id"])["results"]] == [w_nell]
    assert pickup.find(desk, w_otto)["by"] == "code"

    counter = Counter(desk, shop["event_id"])
    shown = counter.handle(otto["code"].lower())
    assert shown.lines[0].text.startswith(f"{w_otto}  Otto Fairweather"), [ln.text for ln in shown.lines]
    done = counter.handle("")
    assert done.lines[0].style == "ok" and done.lines[0].text.startswith(f"HANDED OUT {w_otto}: 1 ticket(s)")
    scanned = counter.handle(secret)
    assert scanned.lines[0].text.startswith(f"{w_nell}  Nell Brightwater")
    assert all(secret not in ln.text for ln in scanned.lines)


def test_a_terminal_at_0027_keeps_its_orders_and_tickets_through_0028(tmp_path: Path) -> None:
    """The upgrade adds the column and its index; orders and pretix tickets already there stay as they were, and a
    web order pulled afterwards keeps its shop reference and is found by it."""
    from boxoffice.store import migrations
    from boxoffice.store.db import connect
    from boxoffice.store.pickup import summaries_by_shop_ref, ticket_by_external_secret
    from boxoffice.store.sync_inbox import insert_orders

    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    assert migrations.ensure_current(old, upto="0027_pretix")[-1] == "0027_pretix"
    old.execute("PRAGMA foreign_keys = OFF")  # the rows alone, without the catalogue they would point into
    order = {"id": "0190a0a0-0000-7000-8000-000000000001", "code": "WAAB-2223", "event_id": "gala",
             "channel": "web", "terminal_id": None, "status": "paid", "customer_name": "Nell Brightwater",
             "email": "nell@example.org", "phone": None, "phone_digits": None, "notes": None, "total": 2500,
             "tax": 0, "currency": "EUR", "created_at": "2026-12-01T10:00:00Z"}
    old.execute(f"INSERT INTO orders ({', '.join(order)}) VALUES ({', '.join('?' * len(order))})",
                tuple(order.values()))
    old.execute("INSERT INTO tickets (id, order_id, event_id, section_id, ticket_type_id, price, tax, token,"
                " external_secret) VALUES ('t1', ?, 'gala', 'stalls', 'adult', 2500, 0, 'TOKEN', 'abcdefgh12345678')",
                (order["id"],))
    old.commit()
    old.close()

    conn = connect(path)
    assert migrations.applied(conn)[-2:] == ["0027_pretix", "0028_shop_ref"]
    kept = conn.execute("SELECT code, customer_name, total, shop_ref FROM orders WHERE id = ?", (order["id"],))
    assert tuple(kept.fetchone()) == ("WAAB-2223", "Nell Brightwater", 2500, None)
    assert ticket_by_external_secret(conn, "abcdefgh12345678") == "t1"
    assert "orders_shop_ref" in [r[1] for r in conn.execute("PRAGMA index_list(orders)")]
    pulled = {**order, "id": "0190a0a0-0000-7000-8000-000000000002", "code": "WAAB-2232", "shop_ref": "Q7XKD"}
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN")
    insert_orders(conn, [pulled], [])
    conn.execute("COMMIT")
    assert [r["code"] for r in summaries_by_shop_ref(conn, "q7xkd", 5)] == ["WAAB-2232"]
    plan = " ".join(str(r[-1]) for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM orders WHERE shop_ref = ? COLLATE NOCASE", ("q7xkd",)))
    assert "orders_shop_ref" in plan  # an indexed read, not a pass over every order
    conn.close()
