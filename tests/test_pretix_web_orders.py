"""Bridge step `web_orders` against a real pretix and a real central service with real terminals: orders bought in
pretix's shop reach the pickup desk with their customers and each ticket's pretix secret, come down once, never
come back when the bridge sent them up itself, are revoked at the door when pretix cancels them, and a pass of 250
orders pages through in one round.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from pretix_kit import bridge_sync, buy, cancel, make_event
from pretix_server import PretixServer
from sync_helpers import Central, sync

pytest_plugins = ["sync_support"]


# -- pretix ---------------------------------------------------------------------------------------------------------

def _ok(answer: Any) -> Any:
    assert answer.status_code < 400, f"{answer.request.method} {answer.request.url}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


# -- the bridge and the central catalogue --------------------------------------------------------------------------

def link_catalogue(cli: Any, central: Central, server: PretixServer, slug: str) -> str:
    """The catalogue step on the pretix event: the boxoffice event it became, linked."""
    bridge_sync(cli, central, server, slug, "catalogue")
    return str(central.scalar("SELECT local_id FROM pretix_links WHERE kind = 'event' AND pretix_event = ?", (slug,)))


def desk(make_terminal: Any, central: Central, name: str) -> Any:
    """A terminal enrolled with every role (so it keeps customers for pickup and runs a door)."""
    from sync_helpers import enroll

    ctx = make_terminal(name=name, fresh=True)
    ctx.config.values["allocation"] = {"top_up_below": 5, "top_up_to": 10}
    enroll(ctx, central)
    return ctx


@pytest.fixture
def event(pretix_server: PretixServer, cli: Any, central: Central) -> tuple[dict[str, Any], str]:
    made = make_event(pretix_server, f"pxdown-{secrets.token_hex(3)}", quotas={"stalls": 400},
                      items={"adult": ("25.00", ["stalls"])})
    return made, link_catalogue(cli, central, pretix_server, made["slug"])


# -- the tests -----------------------------------------------------------------------------------------------------

def test_web_orders_reach_the_pickup_desk_once_and_a_cancellation_reaches_the_door(
        pretix_server: PretixServer, cli: Any, central: Central, make_terminal: Any,
        event: tuple[dict[str, Any], str]) -> None:
    made, event_id = event
    slug, item = made["slug"], made["items"]["adult"]
    ada = buy(pretix_server, slug, item, 2, email="ada.quillfeather@example.org",
              attendee_names=["Ada Quillfeather", "Bo Quill"], phone="+4930900987")
    cy = buy(pretix_server, slug, item, 1, email="cy.marchbank@example.org", attendee_names=["Cy Marchbank"])
    own = buy(pretix_server, slug, item, 1, email="counter@example.org", attendee_names=["Sold At Counter"])
    from boxoffice.central.store.db import connect

    with connect(central.db_url) as db, db.transaction():  # as the sales step records a sale it sent up
        db.execute("INSERT INTO pretix_orders (order_id, direction, pretix_event, pretix_code, state, updated_at)"
                   " VALUES (?, 'up', ?, ?, 'sent', '2026-12-01T10:00:00Z')",
                   (f"0190a0a0-0000-7000-8000-{secrets.token_hex(6)}", slug, own["code"]))

    first = bridge_sync(cli, central, pretix_server, slug, "web_orders")["steps"]["web_orders"]
    assert first["imported"] == 2 and first["tickets"] == 3 and first["skipped_own_sales"] == 1
    again = bridge_sync(cli, central, pretix_server, slug, "web_orders")["steps"]["web_orders"]
    assert again.get("imported", 0) == 0 and again["orders_read"] < 50  # from the cursor, not from the start
    assert central.scalar("SELECT count(*) FROM orders WHERE ref LIKE 'pretix:%' AND event_id = ?",
                          (event_id,)) == 2
    assert central.scalar("SELECT count(*) FROM orders WHERE ref = ?", (f"pretix:{own['code']}",)) == 0
    kept = central.query("SELECT t.position_id, t.secret FROM pretix_tickets t JOIN pretix_orders o"
                         " ON o.order_id = t.order_id WHERE o.pretix_code = ? AND o.direction = 'down'"
                         " ORDER BY t.position_id", (ada["code"],))
    assert [(r["position_id"], r["secret"]) for r in kept] == sorted((p["id"], p["secret"])
                                                                      for p in ada["positions"])

    terminal = desk(make_terminal, central, "Desk Web")
    pulled = sync(terminal)
    assert pulled["by_kind"].get("web_order", 0) >= 2, pulled
    code = central.scalar("SELECT code FROM orders WHERE ref = ?", (f"pretix:{ada['code']}",))
    found = cli("pickup", "find", "quillfeather", "--json", db=terminal)
    assert found.exit_code == 0, found.output
    assert [(r["code"], r["name"], r["notes"]) for r in found.json()["results"]] == \
        [(code, "Ada Quillfeather", None)]
    by_mail = cli("pickup", "find", "cy.marchbank@example.org", "--json", db=terminal)
    assert by_mail.exit_code == 0 and by_mail.json()["results"][0]["name"] == "Cy Marchbank"
    by_code = cli("pickup", "find", code, "--json", db=terminal)
    assert by_code.exit_code == 0 and by_code.json()["by"] == "code"
    given = cli("pickup", "give", code, "--json", db=terminal, pin="123456")
    assert given.exit_code == 0, given.output
    twice = cli("pickup", "give", code, "--json", db=terminal, pin="123456")
    assert twice.exit_code != 0 and "already_picked_up" in twice.output
    travelled = {t.get("external_secret") for r in central.query("SELECT body FROM changes WHERE kind = 'web_order'")
                 for t in json.loads(r["body"])["tickets"]}
    assert {p["secret"] for p in ada["positions"] + cy["positions"]} <= travelled  # each ticket's pretix secret

    # pretix cancels Cy's order: the door refuses its ticket, the desk will not hand it out
    cy_code = central.scalar("SELECT code FROM orders WHERE ref = ?", (f"pretix:{cy['code']}",))
    token = terminal.conn.execute("SELECT t.token FROM tickets t JOIN orders o ON o.id = t.order_id"
                                  " WHERE o.code = ?", (cy_code,)).fetchone()[0]
    cancel(pretix_server, slug, cy["code"])
    done = bridge_sync(cli, central, pretix_server, slug, "web_orders")["steps"]["web_orders"]
    assert done["orders_canceled"] == 1 and done["tickets_revoked"] == 1
    assert central.scalar("SELECT status FROM orders WHERE code = ?", (cy_code,)) == "refunded"
    pulled = sync(terminal)
    assert pulled["by_kind"].get("revocation", 0) == 1, pulled
    scan = cli("scan", "check", "--event", event_id, "--json", db=terminal, pin="123456", input=token + "\n")
    assert scan.exit_code == 6, scan.output
    assert "revoked" in scan.output.lower() or "refunded" in scan.output.lower(), scan.output
    refused = cli("pickup", "give", cy_code, "--json", db=terminal, pin="123456")
    assert refused.exit_code != 0 and "already_refunded" in refused.output
    quiet = bridge_sync(cli, central, pretix_server, slug, "web_orders")["steps"]["web_orders"]
    assert quiet.get("tickets_revoked", 0) == 0 and quiet.get("imported", 0) == 0


def test_a_new_secret_and_name_come_down_and_the_old_secret_is_revoked(
        pretix_server: PretixServer, cli: Any, central: Central, make_terminal: Any,
        event: tuple[dict[str, Any], str]) -> None:
    made, event_id = event
    slug, item = made["slug"], made["items"]["adult"]
    order = buy(pretix_server, slug, item, 1, email="dee.fenwick@example.org", attendee_names=["Dee Fenwick"])
    bridge_sync(cli, central, pretix_server, slug, "web_orders")
    position = order["positions"][0]
    with pretix_server.client() as c:
        _ok(c.post(f"events/{slug}/orderpositions/{position['id']}/regenerate_secrets/", json={}))
        _ok(c.patch(f"events/{slug}/orderpositions/{position['id']}/", json={"attendee_name": "Dee Fenwick-Hale"}))
        renewed = _ok(c.get(f"events/{slug}/orderpositions/{position['id']}/"))["secret"]
    assert renewed != position["secret"]
    step = bridge_sync(cli, central, pretix_server, slug, "web_orders")["steps"]["web_orders"]
    assert step["secrets_changed"] == 1 and step["customers_updated"] == 1
    assert central.scalar("SELECT secret FROM pretix_tickets WHERE position_id = ?", (position["id"],)) == renewed
    assert central.scalar("SELECT customer_name FROM orders WHERE ref = ?", (f"pretix:{order['code']}",)) == \
        "Dee Fenwick-Hale"
    revoked = [json.loads(r["body"]) for r in central.query("SELECT body FROM changes WHERE kind = "
                                                            "'revoked_secret'")]
    assert {"event_id": event_id, "secret": position["secret"]} in [
        {k: b[k] for k in ("event_id", "secret")} for b in revoked]
    assert all("sig" in b for b in revoked)
    terminal = desk(make_terminal, central, "Door Web")
    pulled = sync(terminal)  # the page with the new kind is taken: applied, or kept for a release that knows it
    assert pulled["by_kind"].get("revoked_secret", 0) + pulled["by_kind"].get("parked", 0) >= 1, pulled


def test_250_orders_come_down_in_one_round(pretix_server: PretixServer, cli: Any, central: Central,
                                            event: tuple[dict[str, Any], str]) -> None:
    """Five pages of pretix's order list in one round, each page imported with its cursor."""
    made, _event_id = event
    slug, item = made["slug"], made["items"]["adult"]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(6) as pool:  # pretix takes a while over each order; several at once
        codes = set(pool.map(lambda i: buy(pretix_server, slug, item, 1, email=f"guest{i}@example.org")["code"],
                             range(250)))
    step = bridge_sync(cli, central, pretix_server, slug, "web_orders")["steps"]["web_orders"]
    assert step["imported"] == 250 and step["orders_read"] >= 250 and step["order_pages"] >= 5
    got = {r["pretix_code"] for r in central.query("SELECT pretix_code FROM pretix_orders WHERE pretix_event = ?"
                                                   " AND direction = 'down' AND state = 'imported'", (slug,))}
    assert got == codes
    assert central.scalar("SELECT count(*) FROM pretix_tickets WHERE pretix_event = ?", (slug,)) == 250
    again = bridge_sync(cli, central, pretix_server, slug, "web_orders")["steps"]["web_orders"]
    assert again.get("imported", 0) == 0 and again["orders_read"] < 50  # from the cursor, not from the start


def test_the_shop_wins_over_the_central_ledger_and_says_so(central: Central, tmp_path: Path) -> None:
    """pretix sold the places: an import past what central counts as free is imported and flagged (the bridge's
    way), while a plain import of the same document is refused as before; a ticket's secret is checked."""
    from conftest import T0

    from boxoffice.central.services.weborders import import_orders
    from boxoffice.central.store.db import connect
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.demo_catalog import demo_catalog

    slug = f"pxdown-cap-{secrets.token_hex(3)}"
    doc = demo_catalog(T0.date())
    small = dict(doc["events"][0])
    small.update(id=slug, name=slug, sections=[{"id": "floor", "name": "Floor", "kind": "general", "capacity": 2}],
                 ticket_types=[{"id": "adult", "name": "Adult", "prices": {"floor": "25.00"}}])
    doc["events"].append(small)
    central.publish(doc, tmp_path)
    three = {"format": "boxoffice.web-orders/1", "orders": [{"ref": f"pretix:{slug}", "event_id": slug, "tickets": [
        {"section_id": "floor", "type": "adult", "external_secret": f"s3cret-{i}"} for i in range(3)]}]}
    with connect(central.db_url) as db:
        with pytest.raises(BoxOfficeError) as refused:
            import_orders(db, three, "2026-12-01T10:00:00Z")
        assert refused.value.code == "invalid_document" and "not sold or allocated" in refused.value.message
        done = import_orders(db, three, "2026-12-01T10:00:00Z", trust_capacity=True, detail=True)
        assert done["imported"] == 1 and done["tickets"] == 3 and len(done["over_capacity"]) == 1
        assert len(done["orders"][0]["tickets"]) == 3
        flags = db.all("SELECT kind, subject FROM conflicts WHERE subject LIKE ?", (f"%{slug}%",))
        assert [f["kind"] for f in flags] == ["web_over_capacity"]
        for bad in ("has space", "x" * 256, "", "caf\u00e9"):
            wrong = {"format": "boxoffice.web-orders/1", "orders": [{"ref": f"bad-{secrets.token_hex(2)}",
                     "event_id": slug, "tickets": [{"section_id": "floor", "type": "adult", "external_secret": bad}]}]}
            with pytest.raises(BoxOfficeError) as exc:
                import_orders(db, wrong, "2026-12-01T10:00:00Z", trust_capacity=True)
            assert exc.value.code == "invalid_document" and "external_secret" in str(exc.value.details), bad


def test_an_order_central_refuses_waits_and_the_others_come_down(
        pretix_server: PretixServer, cli: Any, central: Central, event: tuple[dict[str, Any], str]) -> None:
    """A name with a card number in it is refused by the central service: that order waits with its reason, the
    rest of its page comes down, and once the name is mended in pretix it comes down too."""
    made, _event_id = event
    slug, item = made["slug"], made["items"]["adult"]
    bad = buy(pretix_server, slug, item, 1, email="eve@example.org", attendee_names=["Eve 4111 1111 1111 1111"])
    good = buy(pretix_server, slug, item, 1, email="fay@example.org", attendee_names=["Fay Goodwin"])
    step = bridge_sync(cli, central, pretix_server, slug, "web_orders")["steps"]["web_orders"]
    assert step["imported"] == 1 and step["not_importable"] == 1
    rows = {r["pretix_code"]: r for r in central.query("SELECT pretix_code, state, error FROM pretix_orders"
                                                       " WHERE pretix_event = ?", (slug,))}
    assert rows[good["code"]]["state"] == "imported"
    assert rows[bad["code"]]["state"] == "error" and "card number" in rows[bad["code"]]["error"]
    assert "4111" not in rows[bad["code"]]["error"]
    with pretix_server.client() as c:
        _ok(c.patch(f"events/{slug}/orderpositions/{bad['positions'][0]['id']}/", json={"attendee_name": "Eve Adams"}))
    step = bridge_sync(cli, central, pretix_server, slug, "web_orders")["steps"]["web_orders"]
    assert step["imported"] == 1
    assert central.scalar("SELECT customer_name FROM orders WHERE ref = ?", (f"pretix:{bad['code']}",)) == "Eve Adams"
