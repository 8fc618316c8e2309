"""Limits per customer across terminals and the web shop, with a real central service on loopback: asked online
before a sale, counted by each terminal offline, and a customer over the cap flagged at sync with both sales kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Central, free_port, sync
from test_customer_limits import CAP, capped_catalog, sale

from boxoffice.central.services.terminals import DEFAULT_ROLES
from boxoffice.cli.common import _quick_client
from boxoffice.errors import BoxOfficeError
from boxoffice.services.customer_limits import CLIENT_FACTORY

pytest_plugins = ["sync_support"]


def online(*ctxs: Any) -> None:
    """Let these terminals ask the central service before a sale, as `boxoffice sell` does."""
    for ctx in ctxs:
        ctx.cache[CLIENT_FACTORY] = _quick_client


def cut_off(*ctxs: Any) -> None:
    """These terminals' network is down: the central service cannot be reached from them."""
    def dead(url: str, token: str, ca_bundle: str | None) -> Any:
        from boxoffice.sync.client import CentralClient

        return CentralClient(f"http://127.0.0.1:{free_port()}", token, timeout=1.0, retries=0)

    for ctx in ctxs:
        ctx.cache[CLIENT_FACTORY] = dead


@pytest.fixture
def capped(central: Central, tmp_path: Path) -> None:
    central.publish(capped_catalog(), tmp_path)


def test_online_the_central_service_counts_another_terminals_sale(capped: None, terminals: Any,
                                                                     demo_events: tuple[str, str], cli: Any) -> None:
    gala = demo_events[0]
    a, b = terminals(2)
    sync(a), sync(b)  # the capped catalogue, and ten standing places each
    online(a, b)
    first = sale(a, gala, 3, phone="+86 131-0013-1000")
    assert first["customer_limit"] == {"limit": CAP, "counted": "central", "remaining": 1}
    sync(a)  # pushed; b has not pulled it

    refused = cli("sell", gala, "-s", "standing", "-t", "adult=2", "--cash", "200", "--phone", "13100131000",
                  "--no-receipt", db=b)
    assert refused.exit_code == 4, refused.output
    assert "may buy 1 more ticket(s)" in refused.output and "counted offline" not in refused.output
    assert b.conn.execute("SELECT count(*) FROM customer_keys").fetchone()[0] == 0  # b itself knows no sale of it
    done = cli("sell", gala, "-s", "standing", "-t", "adult=1", "--cash", "100", "--phone", "13100131000",
               "--no-receipt", db=b)
    assert done.exit_code == 0 and "0 more for this customer (checked with the central service)" in done.stdout

    # a's own sale not pushed yet counts too: the central service cannot know it
    other = sale(a, gala, 3, phone="13200132000")
    assert other["customer_limit"]["counted"] == "central"
    with pytest.raises(BoxOfficeError) as again:
        sale(a, gala, 2, phone="13200132000")
    assert again.value.code == "customer_limit" and again.value.details["remaining"] == 1


def test_a_terminal_that_cannot_reach_the_central_service_counts_offline_and_says_so(
        capped: None, terminals: Any, demo_events: tuple[str, str], cli: Any) -> None:
    gala = demo_events[0]
    (a,) = terminals(1)
    sync(a)
    cut_off(a)
    assert sale(a, gala, 2, phone="13300133000")["customer_limit"]["counted"] == "offline"
    with pytest.raises(BoxOfficeError) as refused:
        sale(a, gala, 3, phone="13300133000")
    assert "may buy 2 more" in refused.value.message and "counted offline" in refused.value.message


def test_two_offline_terminals_within_the_cap_are_flagged_at_sync_and_both_sales_kept(
        central: Central, capped: None, terminals: Any, demo_events: tuple[str, str], cli: Any) -> None:
    gala = demo_events[0]
    a, b = terminals(2)
    sync(a), sync(b)
    cut_off(a, b)
    first = sale(a, gala, 3, phone="13400134000")
    second = sale(b, gala, 3, phone="+86 134 0013 4000")
    assert first["customer_limit"]["counted"] == second["customer_limit"]["counted"] == "offline"

    sync(a)
    pushed = sync(b)
    (flag,) = [f for f in pushed["conflicts"] if f["kind"] == "customer_over_limit"]
    assert flag["order_id"] == second["order"]["id"]
    assert flag["first"]["terminal_id"] == a.terminal["id"] and flag["second"]["terminal_id"] == b.terminal["id"]
    assert "holds 6 ticket(s), limit 4 per customer" in flag["subject"] and "134" not in flag["subject"]
    kept = central.query("SELECT id FROM orders WHERE id IN (?, ?)", (first["order"]["id"], second["order"]["id"]))
    assert len(kept) == 2

    listed = cli("central", "conflicts", "--db", central.db_url, "--json").json()
    assert [c["order_id"] for c in listed if c["kind"] == "customer_over_limit" and c["id"] == flag["id"]] == [
        second["order"]["id"]]
    shown = cli("sync", db=a)  # the terminal that sold first learns of it too
    assert shown.exit_code == 0, shown.output
    assert "customer over limit" in shown.stderr and "limit 4 per customer" in shown.stderr

    with pytest.raises(BoxOfficeError) as refused:  # b now knows a's sale: nothing more offline either
        sale(b, gala, 1, phone="13400134000")
    assert refused.value.details == {"remaining": 0, "limit": CAP, "counted": "offline", "customer": 0}


def test_a_web_order_is_counted_online_and_after_the_pull_offline(central: Central, capped: None, terminals: Any,
                                                                   demo_events: tuple[str, str],
                                                                   tmp_path: Path) -> None:
    gala = demo_events[0]
    central.web_orders([{"ref": "limits-web-1", "event_id": gala, "customer_name": "Web Buyer",
                         "phone": "+86 135 0013 5000", "email": "buyer@example.com",
                         "tickets": [{"section_id": "standing", "type": "adult"}] * 3}], tmp_path)
    a, b = terminals(2)
    online(a)
    sync(a)
    with pytest.raises(BoxOfficeError) as refused:
        sale(a, gala, 2, email="Buyer@Example.com")
    assert refused.value.details["counted"] == "central" and refused.value.details["remaining"] == 1

    sync(b)
    cut_off(b)
    with pytest.raises(BoxOfficeError) as offline:
        sale(b, gala, 2, phone="13500135000")
    assert offline.value.details["counted"] == "offline" and offline.value.details["remaining"] == 1


def test_the_online_check_needs_the_sell_role_and_a_known_event(central: Central, capped: None,
                                                                 terminals: Any, demo_events: tuple[str, str]) -> None:
    from sync_helpers import client

    from boxoffice.services.sync.rounds import credentials

    (a,) = terminals(1)
    url, token = credentials(a)
    key = "ab" * 32
    with client(url, token, retries=0) as c:
        answer = c.customer_limits({"event_id": demo_events[0], "keys": [{"key": key, "places": 1}]})
        assert answer == {"event_id": demo_events[0], "limit": CAP, "keys": [{"key": key, "bought": 0,
                                                                            "remaining": CAP}]}
        with pytest.raises(BoxOfficeError) as unknown:
            c.customer_limits({"event_id": "no-such-night", "keys": [{"key": key, "places": 1}]})
        assert "no published event" in unknown.value.message
        with pytest.raises(BoxOfficeError) as malformed:
            c.customer_limits({"event_id": demo_events[0], "keys": [{"key": "13800138000", "places": 1}]})
        assert "sync-customer-limits.schema.json" in malformed.value.message
    _roles(central, a.terminal["id"], "pickup")
    try:
        with client(url, token, retries=0) as c, pytest.raises(BoxOfficeError) as denied:
            c.customer_limits({"event_id": demo_events[0], "keys": [{"key": key, "places": 1}]})
        assert "not enrolled to sell" in denied.value.message
    finally:
        _roles(central, a.terminal["id"], DEFAULT_ROLES)


def _roles(central: Central, terminal_id: str, roles: str) -> None:
    from boxoffice.central.store.db import connect

    with connect(central.db_url) as db, db.transaction():
        db.execute("UPDATE terminals SET roles = ? WHERE id = ?", (roles, terminal_id))


def test_a_central_database_at_schema_11_gains_the_customer_keys_keeping_its_orders(tmp_path: Path, cli: Any) -> None:
    from boxoffice.central.store import schema
    from boxoffice.central.store.db import connect

    url = f"sqlite:///{tmp_path / 'central.db'}"
    with connect(url) as db:
        schema.migrate(db, "2026-12-01T10:00:00Z", upto=11)
        with db.transaction():
            db.execute("INSERT INTO orders (id, code, event_id, channel, status, total, tax, currency, created_at)"
                       " VALUES ('o1', 'WAB-CDE2', 'gala', 'web', 'paid', 3500, 0, 'EUR', '2026-12-01T10:00:00Z')")
    moved = cli("central", "migrate", "--db", url, "--json")
    assert moved.exit_code == 0, moved.output
    assert moved.json()["migrations"][0] == 12 and moved.json()["schema_version"] == schema.LATEST
    with connect(url) as db:
        assert db.scalar("SELECT code FROM orders WHERE id = 'o1'") == "WAB-CDE2"
        assert db.scalar("SELECT count(*) FROM customer_keys") == 0


def test_a_web_order_past_the_cap_is_imported_and_flagged_to_the_terminal_that_sold_first(
        central: Central, capped: None, terminals: Any, demo_events: tuple[str, str], tmp_path: Path) -> None:
    gala = demo_events[0]
    (a,) = terminals(1)
    sync(a)
    online(a)
    first = sale(a, gala, 4, phone="13700137000")
    sync(a)
    imported = central.web_orders([{"ref": "limits-web-2", "event_id": gala, "phone": "+86 137-0013-7000",
                                    "tickets": [{"section_id": "standing", "type": "adult"}] * 2}], tmp_path)
    assert imported["imported"] == 1  # the shop has sold it: kept
    (flag,) = [c for c in central.query("SELECT * FROM conflicts WHERE kind = 'customer_over_limit'"
                                        " AND first_entry IN (SELECT id FROM journal WHERE terminal_id = ?)",
                                        (a.terminal["id"],))]
    assert flag["second_terminal"] == "web" and "holds 6 ticket(s)" in flag["subject"]
    pulled = sync(a)
    assert [f["id"] for f in pulled["new_conflicts"]] == [flag["id"]]
    assert first["order"]["id"] != flag["order_id"]
