"""Limits per customer on one terminal: the cap counts a customer's tickets across orders, by phone (in any of its
written forms) and by e-mail; a refusal says how many they may still buy and nothing of anyone else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import T0

from boxoffice.domain.customer_ids import keyed_hash
from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import customer_limits
from boxoffice.services.catalog import import_catalog
from boxoffice.services.demo_catalog import demo_catalog
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.services.venue_secret import venue_secret

CAP = 4


def capped_catalog(cap: int | None = CAP) -> dict[str, Any]:
    """The demo catalogue with the first event (the gala) capped at ``cap`` tickets per customer."""
    doc = demo_catalog(T0.date())
    if cap is not None:
        doc["events"][0]["per_customer_limit"] = cap
    return doc


@pytest.fixture
def capped(terminal: Any, demo_events: tuple[str, str]) -> Any:
    import_catalog(terminal, capped_catalog())
    return terminal


def sale(ctx: Any, event_id: str, n: int, *, phone: str | None = None, email: str | None = None,
         name: str | None = None) -> dict[str, Any]:
    return sell(ctx, SaleRequest(event_id=event_id, section_id="standing", counts={"adult": n},
                                 tenders=[Tender("cash", 100_00 * n)], customer_name=name, phone=phone, email=email,
                                 print_receipt=False))


def test_a_second_sale_to_the_same_phone_is_refused_past_the_cap_saying_how_many_are_left(
        capped: Any, demo_events: tuple[str, str], cli: Any) -> None:
    gala = demo_events[0]
    shown = cli("event", "show", gala, db=capped)
    assert "at most 10 tickets an order, 4 per customer" in shown.stdout
    first = cli("sell", gala, "-s", "standing", "-t", "adult=3", "--cash", "200", "--phone", "+86 138-0013-8000",
                "--name", "Wang Fang", "--no-receipt", db=capped)
    assert first.exit_code == 0, first.output
    assert "Limit 4 per customer: 1 more for this customer" in first.stdout

    again = cli("sell", gala, "-s", "standing", "-t", "adult=2", "--cash", "200", "--phone", "13800138000",
                "--no-receipt", db=capped)
    assert again.exit_code == 4
    assert "may buy 1 more ticket(s)" in again.output and "limit 4 per customer" in again.output
    for other in ("Wang", "138", "8000", "+86"):  # nothing of who bought before, not even the phone itself
        assert other not in again.output

    as_json = cli("sell", gala, "-s", "standing", "-t", "adult=2", "--cash", "200", "--phone", "138 0013 8000",
                  "--no-receipt", "--json", db=capped)
    err = json.loads(as_json.stdout)["error"]
    assert as_json.exit_code == 4 and err["code"] == "customer_limit"
    assert err["details"] == {"remaining": 1, "limit": CAP, "counted": "here", "customer": 0}

    last = cli("sell", gala, "-s", "standing", "-t", "adult=1", "--cash", "100", "--phone", "0086 13800138000",
               "--no-receipt", "--json", db=capped)
    assert last.exit_code == 0, last.output
    assert last.json()["customer_limit"] == {"limit": CAP, "counted": "here", "remaining": 0}
    full = cli("sell", gala, "-s", "standing", "-t", "adult=1", "--cash", "100", "--phone", "13800138000",
               "--no-receipt", db=capped)
    assert full.exit_code == 4 and "has reached the limit of 4" in full.output

    other = cli("sell", gala, "-s", "standing", "-t", "adult=4", "--cash", "400", "--phone", "13900139000",
                "--no-receipt", db=capped)
    assert other.exit_code == 0, other.output  # another customer has a cap of their own


def test_phone_and_email_both_count_and_the_sale_carries_only_their_hashes(
        capped: Any, demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    sold = sale(capped, gala, 3, phone="13800138000", email="Fang@Example.com")
    with pytest.raises(BoxOfficeError) as refused:  # another phone, the same e-mail in other case
        sale(capped, gala, 2, phone="13900139000", email="fang@example.COM")
    assert refused.value.code == "customer_limit" and refused.value.details["remaining"] == 1
    assert refused.value.details["customer"] == 1  # the e-mail was the key at its cap
    sale(capped, gala, 1, phone="13900139000")  # that phone alone has bought nothing

    secret = venue_secret(capped)
    payload = json.loads(capped.conn.execute("SELECT payload FROM journal WHERE kind = 'sale' ORDER BY seq"
                                             " LIMIT 1").fetchone()[0])
    assert payload["customer_keys"] == [{"key": keyed_hash(secret, "phone", "13800138000"), "places": 3},
                                        {"key": keyed_hash(secret, "email", "fang@example.com"), "places": 3}]
    stored = capped.conn.execute("SELECT key_hash, places, source FROM customer_keys WHERE order_id = ?",
                                 (sold["order"]["id"],)).fetchall()
    assert sorted(tuple(r) for r in stored) == sorted((k["key"], 3, "own") for k in payload["customer_keys"])


def test_an_event_without_a_cap_records_no_customer_keys(terminal: Any, demo_events: tuple[str, str]) -> None:
    result = sale(terminal, demo_events[0], 8, phone="13800138000")
    assert result["customer_limit"]["counted"] == "none"
    assert terminal.conn.execute("SELECT count(*) FROM customer_keys").fetchone()[0] == 0
    payload = json.loads(terminal.conn.execute("SELECT payload FROM journal WHERE kind = 'sale'").fetchone()[0])
    assert "customer_keys" not in payload


def test_a_sale_with_no_phone_or_email_is_not_counted(capped: Any, demo_events: tuple[str, str]) -> None:
    assert sale(capped, demo_events[0], 6)["customer_limit"]["counted"] == "none"


def test_refunded_tickets_give_their_places_back(capped: Any, demo_events: tuple[str, str], login: Any) -> None:
    from boxoffice.services.refunds import RefundRequest, refund

    gala = demo_events[0]
    sold = sale(capped, gala, 4, phone="13800138000")
    login(capped, "sue")
    refund(capped, RefundRequest(code=sold["order"]["code"], print_receipt=False))
    login(capped, "ada")
    assert sale(capped, gala, 4, phone="13800138000")["customer_limit"]["remaining"] == 0


def test_holder_keys_of_a_real_name_sale_are_counted_one_customer_each(capped: Any,
                                                                          demo_events: tuple[str, str]) -> None:
    """What the real-name sale calls: one key per holder; one ID number twice is one customer."""
    from boxoffice.domain.customer_ids import id_hash
    from boxoffice.services.events import get_event

    ev = get_event(capped, demo_events[0])
    secret = venue_secret(capped)
    holder = id_hash(secret, "passport", "E12345678")[0]
    other = id_hash(secret, "passport", "E87654321")[0]
    found = customer_limits.enforce(capped, ev, [(holder, 1), (other, 1), (holder, 1)])
    assert found.keys == [(holder, 2), (other, 1)] and found.remaining == 2
    with pytest.raises(BoxOfficeError) as refused:
        customer_limits.enforce(capped, ev, [(holder, 5)])
    assert refused.value.details["remaining"] == CAP


def test_the_catalogue_refuses_a_cap_below_one(terminal: Any) -> None:
    with pytest.raises(BoxOfficeError) as refused:
        import_catalog(terminal, capped_catalog(0))
    assert refused.value.code == "invalid_document" and "per_customer_limit" in str(refused.value.details)


def test_a_database_of_the_previous_release_gains_the_limit_keeping_its_events(tmp_path: Path) -> None:
    from boxoffice.store import migrations
    from boxoffice.store.db import connect

    conn = connect(tmp_path / "old.db", create=True, migrate=False)
    migrations.ensure_current(conn, upto="0018_privacy")
    conn.execute("INSERT INTO venue (id, name, timezone, currency) VALUES ('v', 'Hall', 'UTC', 'EUR')")
    conn.execute("INSERT INTO events (id, venue_id, name, starts_at, timezone, currency, updated_at)"
                 " VALUES ('old-night', 'v', 'Old Night', '2026-12-24T19:00:00Z', 'UTC', 'EUR', 'x')")
    assert "0019_customer_limits" in migrations.ensure_current(conn)
    row = conn.execute("SELECT name, per_customer_limit FROM events WHERE id = 'old-night'").fetchone()
    assert tuple(row) == ("Old Night", None)
    assert conn.execute("SELECT count(*) FROM customer_keys").fetchone()[0] == 0
    conn.close()


def test_an_exchange_keeps_the_customer_counted(capped: Any, demo_events: tuple[str, str]) -> None:
    from boxoffice.services.exchanges import ExchangeRequest, exchange

    gala = demo_events[0]
    old = sale(capped, gala, 3, phone="13600136000")
    out = exchange(capped, ExchangeRequest(old["order"]["code"], section_id="stalls", seats=["F10", "F11", "F12"],
                                           tenders=[Tender("cash", 100_00)]))
    payload = json.loads(capped.conn.execute("SELECT payload FROM journal WHERE kind = 'exchange'").fetchone()[0])
    assert [k["places"] for k in payload["customer_keys"]] == [3]
    with pytest.raises(BoxOfficeError) as refused:  # the old tickets stopped counting, the new ones count
        sale(capped, gala, 2, phone="13600136000")
    assert refused.value.details["remaining"] == 1
    assert out["order"]["phone"] == "13600136000"


def test_an_exchange_that_adds_places_is_held_to_the_cap(capped: Any, demo_events: tuple[str, str],
                                                          cli: Any) -> None:
    """More places than the old tickets, or the same places moved to a capped event, count as a sale's would:
    an exchange is no way round the cap."""
    gala, jazz = demo_events
    sale(capped, gala, 3, phone="13700137000")
    other = sale(capped, jazz, 1, phone="13700137000")  # the jazz night has no cap
    grown = cli("exchange", sale(capped, gala, 1, phone="13700137000")["order"]["code"], "--section", "standing",
                "--type", "adult=3", "--cash", "100", "--yes", db=capped)
    assert grown.exit_code == 4 and "has reached the limit of 4" in grown.output, grown.output
    moved = cli("exchange", other["order"]["code"], "--event", gala, "--section", "standing", "--yes", db=capped)
    assert moved.exit_code == 4 and "has reached the limit of 4" in moved.output, moved.output
    keys = capped.conn.execute("SELECT count(*) FROM exchanges").fetchone()[0]
    assert keys == 0, "nothing was exchanged"


def test_a_real_name_sale_counts_each_holder_by_id_number(terminal: Any, cli: Any) -> None:
    from realname_kit import JANE, LI, WANG, sell_named

    doc = capped_catalog(2)
    doc["events"][0]["real_name"] = True
    import_catalog(terminal, doc)
    gala = doc["events"][0]["id"]
    sold = sell_named(terminal, gala, LI, WANG, section="standing")
    assert sold["customer_limit"] == {"limit": 2, "counted": "here", "remaining": 1}
    sell_named(terminal, gala, LI, JANE, section="standing")  # Li's second: at the cap, Jane's first
    refused = cli("sell", gala, "-s", "standing", "-t", "adult=2", "--card", "4242", "--holder", WANG,
                  "--holder", LI, "--no-receipt", "--json", db=terminal)
    err = json.loads(refused.stdout)["error"]
    assert refused.exit_code == 4 and err["code"] == "customer_limit"
    assert err["details"] == {"remaining": 0, "limit": 2, "counted": "here", "customer": 1}  # the second holder
    assert "11010519491231002X" not in refused.stdout and "李小明" not in refused.stdout


def test_a_privacy_purge_takes_the_customer_keys_of_a_past_event(capped: Any, demo_events: tuple[str, str],
                                                                   clock: Any, login: Any, cli: Any) -> None:
    """The keyed hashes a limit counted by identify a customer to whoever holds the venue secret: a purge of the
    past event removes them (the table and the sale's journal entry); the chain still verifies."""
    gala = demo_events[0]
    sale(capped, gala, 2, phone="+86 138-0013-8000", email="wang.fang@example.cn")
    assert capped.conn.execute("SELECT count(*) FROM customer_keys WHERE event_id = ?", (gala,)).fetchone()[0] == 2
    clock.advance(days=40)
    login(capped, "sue")
    out = cli("privacy", "purge", "--event", gala, "--json", db=capped)
    assert out.exit_code == 0, out.output
    assert out.json()["rows"]["customer_keys"] == 2
    assert capped.conn.execute("SELECT count(*) FROM customer_keys WHERE event_id = ?", (gala,)).fetchone()[0] == 0
    (payload,) = capped.conn.execute("SELECT payload FROM journal WHERE kind = 'sale'").fetchone()
    assert json.loads(payload).get("customer_keys") is None
    login(capped, "ada")
    assert cli("audit", "verify", "--json", db=capped).exit_code == 0


def test_a_holder_change_is_a_sale_to_the_new_holder_under_the_cap(terminal: Any, cli: Any, login: Any) -> None:
    """Moving a real-name ticket to someone already at the cap is refused like a sale to them would be; moved to
    someone else, the place leaves the old holder's count (they may buy again) and joins the new holder's."""
    from realname_kit import JANE, LI, WANG, sell_named

    from boxoffice.domain.holders import parse_holder
    from boxoffice.services.holder_change import change_holder

    doc = capped_catalog(2)
    doc["events"][0] |= {"real_name": True, "holder_changes_max": 3}
    import_catalog(terminal, doc)
    gala = doc["events"][0]["id"]
    first = sell_named(terminal, gala, LI, WANG, section="standing")
    sell_named(terminal, gala, LI, JANE, section="standing")  # Li at the cap
    wang_ticket = first["tickets"][1]["id"]
    login(terminal, "sue")
    refused = cli("ticket", "change-holder", wang_ticket, "--holder", LI, "--json", db=terminal)
    assert refused.exit_code == 4 and json.loads(refused.stdout)["error"]["code"] == "customer_limit", refused.output
    assert terminal.conn.execute("SELECT status FROM tickets WHERE id = ?", (wang_ticket,)).fetchone()[0] == "valid"

    moved = change_holder(terminal, wang_ticket, parse_holder("Chen Bo,passport,G87654321"))
    (payload,) = terminal.conn.execute("SELECT payload FROM journal WHERE kind = 'holder_change'").fetchone()
    assert len(json.loads(payload)["customer_keys"]) == 1  # the new holder's key travels for the central count
    again = sell_named(terminal, gala, WANG, WANG, section="standing")  # Wang holds none now: two more allowed
    assert again["customer_limit"]["remaining"] == 0
    with pytest.raises(BoxOfficeError) as chen:
        sell_named(terminal, gala, "Chen Bo,passport,G87654321", "Chen Bo,passport,G87654321", section="standing")
    assert chen.value.code == "customer_limit" and chen.value.details["remaining"] == 1 and moved["changes"] == 1
