"""Customers' names, e-mails, phones and notes reach only the terminals whose role needs them: a pickup desk finds a
web order by name, while a door scanner and a sell-only counter that synced the same orders hold none of it, not
in their tables and not anywhere in their database files. Checked on SQLite and PostgreSQL through a real service
on loopback, the CLI and the services; and a central database of the previous schema is split keeping its rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_helpers import Central, client, pg_schema_url, sync

from boxoffice.central.services import feed
from boxoffice.central.services.admin import enroll_code
from boxoffice.central.services.terminals import authenticate_admin
from boxoffice.central.store import schema
from boxoffice.central.store.db import connect
from boxoffice.domain.tenders import Tender
from boxoffice.services.pickup import find
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.services.sync.rounds import credentials
from boxoffice.services.sync.rounds import enroll as do_enroll

pytest_plugins = ["sync_support"]

WEB = {"customer_name": "Ingrid Quillfeather", "email": "ingrid.quill@example.org", "phone": "+44 7700 900987",
       "notes": "passport check, ending 4471"}
SALE = {"customer_name": "Barnaby Thistlewood", "email": "barnaby.thistle@example.net", "phone": "+44 7700 900555"}
# what must not be anywhere in a door's or a seller's file: names (as typed and as the search index folds them),
# e-mails, phones (as typed and the digits kept for search) and the web order's notes
TRACES = ("Quillfeather", "quillfeather", "ingrid.quill", "900987", "7700 900987", "ending 4471",
          "Thistlewood", "thistlewood", "barnaby.thistle", "900555")
TEST_TOP_UP = {"top_up_below": 5, "top_up_to": 10}


def _enrolled(make_terminal: Any, central: Central, name: str, roles: str | None) -> Any:
    ctx = make_terminal(name=name, fresh=True)
    ctx.config.values["allocation"] = dict(TEST_TOP_UP)
    code = enroll_code(central.db_url, name, roles=roles) if roles else enroll_code(central.db_url, name)
    with client(central.url) as c:
        do_enroll(ctx, central.url, code["code"], c)
    return ctx


def _traces_in_file(ctx: Any) -> list[str]:
    """Which customer data is anywhere in the terminal's database files (the WAL written back first)."""
    ctx.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(ctx.config.db_path)
    data = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists())
    return [t for t in TRACES if t.encode("utf-8") in data]


def _customer_rows(ctx: Any) -> list[tuple[Any, ...]]:
    return ctx.conn.execute("SELECT code, customer_name, email, phone, phone_digits, notes FROM orders WHERE"
                            " coalesce(customer_name, email, phone, phone_digits, notes) IS NOT NULL").fetchall()


def _pulled_text(central: Central, ctx: Any) -> str:
    """Everything GET /v1/changes gives this terminal from the start, as raw text."""
    _, token = credentials(ctx)
    pages, after = [], 0
    while True:
        r = httpx.get(f"{central.url}/v1/changes", params={"after": after, "limit": 1000},
                      headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        pages.append(r.text)
        if not r.json()["more"]:
            return "\n".join(pages)
        after = r.json()["cursor"]


def test_only_a_pickup_desk_pulls_customer_data(central: Central, make_terminal, cli, demo_events,
                                                tmp_path: Path) -> None:
    gala, _ = demo_events
    counter = _enrolled(make_terminal, central, "Counter C", None)  # every role, as before roles existed
    door = _enrolled(make_terminal, central, "Door D", "door")
    seller = _enrolled(make_terminal, central, "Counter S", "sell")
    desk = _enrolled(make_terminal, central, "Desk P", "pickup")
    for ctx in (counter, seller):
        assert sync(ctx)["top_up_granted"] > 0
    sale = sell(counter, SaleRequest(event_id=gala, section_id="standing", counts={"adult": 1},
                                     tenders=[Tender("cash", 100_00)], print_receipt=False, **SALE))
    own = sell(seller, SaleRequest(event_id=gala, section_id="standing", counts={"adult": 1},
                                   tenders=[Tender("cash", 100_00)], print_receipt=False))
    web = central.web_orders([{"ref": f"cust-{counter.terminal['tag']}", "event_id": gala, **WEB,
                               "tickets": [{"section_id": "standing", "type": "adult"}]}], tmp_path)
    web_code, sale_code = web["codes"][0], sale["order"]["code"]
    for ctx in (counter, seller, door, desk, counter):
        sync(ctx)

    for ctx in (door, seller):  # the orders are there, their customers are not
        codes = {r[0] for r in ctx.conn.execute("SELECT code FROM orders")}
        assert {web_code, sale_code} <= codes
        assert ctx.conn.execute("SELECT count(*) FROM tickets WHERE order_id IN (SELECT id FROM orders WHERE code"
                                " IN (?, ?))", (web_code, sale_code)).fetchone()[0] == 2
        assert _customer_rows(ctx) == []
        assert _traces_in_file(ctx) == []
        assert not any(t in _pulled_text(central, ctx) for t in TRACES)
    assert own["order"]["code"] in {r[0] for r in desk.conn.execute("SELECT code FROM orders")}

    shown = cli("order", "show", web_code, "--json", db=seller)  # a seller still looks an order up by its code
    assert shown.exit_code == 0, shown.output
    assert shown.json()["code"] == web_code and shown.json()["customer_name"] is None

    pulled = _pulled_text(central, desk)  # the pickup desk gets them, and finds the orders by them
    assert WEB["customer_name"] in pulled and SALE["email"] in pulled
    found = cli("pickup", "find", "quillfeather", "--json", db=desk)
    assert found.exit_code == 0, found.output
    assert [(r["code"], r["name"], r["notes"]) for r in found.json()["results"]] == \
        [(web_code, WEB["customer_name"], WEB["notes"])]
    assert [r["code"] for r in find(desk, WEB["email"])["results"]] == [web_code]
    assert [r["code"] for r in find(desk, "Thistlewood")["results"]] == [sale_code]
    assert [r["code"] for r in find(desk, "900987")["results"]] == [web_code]
    assert [r["code"] for r in find(counter, "Quillfeather")["results"]] == [web_code]  # every role: as before

    by_name = cli("pickup", "find", "quillfeather", "--json", db=door)  # nothing to find a name by elsewhere
    assert by_name.exit_code != 0 and web_code not in by_name.output

    from boxoffice.services.refunds import RefundRequest, refund

    back = refund(seller, RefundRequest(code=sale_code, reason="customer_request", print_receipt=False))
    assert back["order"] == sale_code  # a seller refunds another counter's sale without its customer's name
    assert sync(seller)["pushed"] >= 1 and _customer_rows(seller) == [] and _traces_in_file(seller) == []


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "pg":
        return pg_schema_url(request.getfixturevalue("pg_database"))
    return str(tmp_path / "central.db")


def test_an_older_feed_is_split_keeping_every_row(empty_db: str) -> None:
    """A database of schema version 4 with orders in its feed: `migrate` keeps every change and every admin token,
    moves the customer data apart, and a door then pulls none of it while a pickup desk pulls it all."""
    from boxoffice.central.services import tokens

    now = "2026-12-01T10:00:00.000000Z"
    order = {"id": "0190f0c2-0000-7000-8000-000000000001", "code": "WAAA-AAAB", "event_id": "gala",
             "channel": "web", "terminal_id": None, "status": "paid", "total": 2500, "tax": 0, "currency": "GBP",
             "created_at": now, **WEB}
    plain = {**order, "id": "0190f0c2-0000-7000-8000-000000000002", "code": "WAAA-AAAC",
             **dict.fromkeys(("customer_name", "email", "phone", "notes"))}
    bodies = [("order", {"order": order, "tickets": []}), ("web_order", {"order": plain, "tickets": []}),
              ("checkin", {"ticket_id": "t", "note": WEB["notes"]})]
    token = tokens.new_token(tokens.ADMIN_PREFIX)
    with connect(empty_db) as db:
        schema.migrate(db, now, upto=4)
        for pos, (kind, body) in enumerate(bodies, start=1):
            db.execute("INSERT INTO changes (pos, kind, body, origin, audience, at) VALUES (?, ?, ?, NULL, NULL, ?)",
                       (pos, kind, json.dumps(body), now))
        db.execute("UPDATE counters SET value = 3 WHERE name = 'feed'")
        db.execute("INSERT INTO admin_tokens (token_hash, created_at) VALUES (?, ?)", (tokens.digest(token), now))

        moved = schema.migrate(db, now)
        assert 7 in moved["migrations"] and schema.version(db) == schema.LATEST
        rows = db.all("SELECT pos, kind, body, private_body FROM changes ORDER BY pos")
        assert [r["pos"] for r in rows] == [1, 2, 3]
        split = json.loads(rows[0]["body"])
        assert split["order"] == {**order, **dict.fromkeys(("customer_name", "email", "phone", "notes"))}
        assert json.loads(rows[0]["private_body"]) == {"order": order, "tickets": []}
        assert [json.loads(r["body"]) for r in rows[1:]] == [b for _, b in bodies[1:]]  # nothing to keep apart
        assert [r["private_body"] for r in rows[1:]] == [None, None]

        door_page = feed.page(db, "door", 0, 100)
        desk_page = json.loads(feed.page(db, "desk", 0, 100, customers=True))
        assert WEB["customer_name"] not in door_page and WEB["email"] not in door_page
        assert desk_page["changes"][0]["body"]["order"] == order and desk_page["cursor"] == 3

        tokens_kept = db.all("SELECT id, prefix, created_at, revoked_at FROM admin_tokens")
        assert tokens_kept == [{"id": tokens.digest(token)[:12], "prefix": None, "created_at": now,
                                "revoked_at": None}]
        authenticate_admin(db, f"Bearer {token}")  # the token made before still opens the admin endpoints
        assert schema.migrate(db, now)["migrations"] == []  # safe to repeat
