"""What a stored payload, a terminal's purge and a terminal's refund can no longer do to the central service.

Each test is a hole that was open, against a real central service on loopback and its real database (SQLite and
PostgreSQL):

- a journal entry nested hundreds (or thousands) deep stopped `boxoffice central privacy purge` with RecursionError
  (exit 70) for every event it named: now the entry is erased, or skipped and counted, and the purge completes;
- a sell terminal's ``privacy.purge`` with ``keep_days`` 1 erased every customer of an event a day after it started,
  web orders and other terminals' sales included: now the venue's own keep_days is the floor, a terminal's purge
  erases only its own sales' customers and what it left is flagged to the admin, whose own purge still erases all;
- the pretix bridge booked as done refunds every refund entry whose payload mentioned the order, a refused one from
  another terminal included, for whatever amount it named: now only refunds the service applied to the order are
  booked, each capped by what the order was paid less what pretix shows refunded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Central, CentralServer, central_db, forged_entry, push_as, sync

from boxoffice.domain.clock import iso
from boxoffice.domain.ids import uuid7
from boxoffice.domain.tenders import Tender

pytest_plugins = ["sync_support"]

WEB = {"customer_name": "Ingrid Quillfeather", "email": "ingrid.q@example.org", "phone": "+44 7700 900987"}
OWN = {"customer_name": "Oswin Purgeworthy", "email": "oswin.p@example.org"}
OTHER = {"customer_name": "Theodora Keptaway", "email": "theodora.k@example.org"}


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Central]:
    """A central service of the test's own (each test moves the demo events' dates), with the demo catalogue."""
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    url = central_db(request.param, tmp_path, request)
    server = CentralServer(url, tmp_path / "serve.log")
    c = Central(request.param, url, server)
    c.publish(demo_catalog(T0.date()), tmp_path)
    try:
        yield c
    finally:
        server.stop()


def _dated_back(central: Central, event: str, days: int) -> None:
    """The central catalogue dates the event ``days`` before the central service's own clock (the real one)."""
    from boxoffice.central.store.db import connect

    with connect(central.db_url) as db, db.transaction():
        db.execute("UPDATE events SET starts_at = ? WHERE id = ?",
                   (iso(datetime.now(UTC) - timedelta(days=days)), event))


def _web_order(central: Central, event: str, tmp_path: Path) -> str:
    """A web order with a named customer: its code."""
    got = central.web_orders([{"ref": f"guard-{uuid7()}", "event_id": event, **WEB,
                               "tickets": [{"section_id": "standing", "type": "adult"}]}], tmp_path)
    return str(got["codes"][0])


def _customer(central: Central, code: str) -> tuple[Any, Any]:
    row = central.query("SELECT customer_name, email FROM orders WHERE code = ?", (code,))[0]
    return row["customer_name"], row["email"]


def _named_sale(ctx: Any, event: str, who: dict[str, str], n: int = 1) -> dict[str, Any]:
    from boxoffice.services.sales import SaleRequest, sell

    return sell(ctx, SaleRequest(event_id=event, section_id="standing", counts={"adult": n},
                                 tenders=[Tender("cash", 100_000)], print_receipt=False, **who))


def _stored(central: Central, terminal_id: str, seq: int, payload: str) -> str:
    """A journal entry stored as ingest stores one (every column, its hash taken over the text): its id."""
    from boxoffice.central.store.db import connect
    from boxoffice.domain.chain import GENESIS, entry_hash

    entry_id, at = uuid7(), "2026-12-01T10:00:00.000000Z"
    digest = entry_hash(GENESIS, id=entry_id, seq=seq, terminal_id=terminal_id, kind="note", operator_id=None, at=at,
                        payload=payload)
    with connect(central.db_url) as db, db.transaction():
        db.execute("INSERT INTO journal (id, terminal_id, seq, kind, at, operator_id, payload, prev_hash, hash,"
                   " received_at) VALUES (?, ?, ?, 'note', ?, NULL, ?, ?, ?, ?)",
                   (entry_id, terminal_id, seq, at, payload, GENESIS, digest, iso(datetime.now(UTC))))
    return entry_id


# --- A: payloads nested deep --------------------------------------------------------------------------------


def test_a_deep_entry_no_longer_stops_the_admin_purge(central: Central, terminals, demo_events, tmp_path,
                                                      cli) -> None:
    gala, _ = demo_events
    (counter,) = terminals(1)
    code = _web_order(central, gala, tmp_path)
    _dated_back(central, gala, 60)
    head = '{"event_id":"' + gala + '","customer_name":"Deep Dorothea","deep":'
    deep = _stored(central, counter.terminal["id"], 9001, head + "[" * 600 + "]" * 600 + "}")
    deeper_text = head + "[" * 5000 + "]" * 5000 + "}"  # past what any JSON reader here takes
    deeper = _stored(central, counter.terminal["id"], 9002, deeper_text)

    out = cli("central", "privacy", "purge", "--event", gala, "--db", central.db_url, "--json")
    assert out.exit_code == 0, out.output
    done = out.json()
    assert done["rows"]["orders"] == 1
    assert done["journal_skipped"] == 1 and [e["id"] for e in done["skipped_entries"]] == [deeper]
    assert _customer(central, code) == (None, None)
    erased = central.scalar("SELECT payload FROM journal WHERE id = ?", (deep,))
    assert "Deep Dorothea" not in erased and erased.count("[") == 600  # erased, its shape kept
    assert central.scalar("SELECT payload FROM journal WHERE id = ?", (deeper,)) == deeper_text  # skipped as it is
    (recorded,) = central.query("SELECT status, detail FROM privacy_purges WHERE event_id = ? AND origin IS NULL",
                                (gala,))
    assert recorded["status"] == "done" and '"journal_skipped": 1' in recorded["detail"]


def test_erasing_a_deep_payload_keeps_going_where_recursion_stopped() -> None:
    from boxoffice.domain.privacy import carries_personal, erase, erased_text

    nested: Any = {"customer_name": "Nell", "holders": [{"name": "Hal", "binding": "b", "privacy_salt": "s"}]}
    for _ in range(3000):
        nested = {"x": [nested]}
    assert carries_personal(nested)
    inner = erase(nested)
    for _ in range(3000):
        inner = inner["x"][0]
    assert inner == {"customer_name": None, "holders": [{"name": None, "binding": None, "privacy_salt": "s"}]}
    too_deep = '{"customer_name":"x","d":' + "[" * 5000 + "]" * 5000 + "}"
    assert erased_text(too_deep) is None
    from boxoffice.domain.privacy import Unerasable

    with pytest.raises(Unerasable):
        erased_text(too_deep, strict=True)


# --- B: a terminal's purge ----------------------------------------------------------------------------------


def test_a_terminal_purge_keeps_the_venue_keep_days_and_reaches_only_its_own_sales(central: Central, terminals,
                                                                                  demo_events, tmp_path,
                                                                                  cli) -> None:
    gala, _ = demo_events
    counter, other = terminals(2)
    for ctx in (counter, other):
        sync(ctx)
    web = _web_order(central, gala, tmp_path)
    mine = _named_sale(counter, gala, OWN)["order"]["code"]
    theirs = _named_sale(other, gala, OTHER)["order"]["code"]
    for ctx in (counter, other):
        sync(ctx)
    everyone = {web: (WEB["customer_name"], WEB["email"]), mine: (OWN["customer_name"], OWN["email"]),
                theirs: (OTHER["customer_name"], OTHER["email"])}

    def purge(after: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
        entry = forged_entry(counter, "privacy.purge", {"event_id": gala, "keep_days": 1, "erased": []},
                             after=after)
        return entry, push_as(central, counter, [entry])

    # two days after the event: its keep_days of 1 would allow it, the venue's 30 (the default) does not
    _dated_back(central, gala, 2)
    early, answer = purge(None)
    assert [c["kind"] for c in answer["conflicts"]] == ["privacy_purge_refused"]
    assert answer["conflicts"][0]["subject"].startswith(f"{gala}: not past 30 days here")
    assert {code: _customer(central, code) for code in everyone} == everyone

    # the venue keeps 90 days here: an event 60 days old is still too recent for any terminal
    from boxoffice.central.services.privacy import set_keep_days

    set_keep_days(central.db_url, 90)
    _dated_back(central, gala, 60)
    longer, answer = purge(early)
    assert [c["subject"].startswith(f"{gala}: not past 90 days here") for c in answer["conflicts"]] == [True]
    assert {code: _customer(central, code) for code in everyone} == everyone

    # past the venue's keep_days, set as an admin does: the sender's own sale is erased, the web order and the other
    # counter's are kept
    shown = cli("central", "privacy", "keep-days", "--db", central.db_url, "--json")
    assert shown.exit_code == 0 and shown.json() == {"keep_days": 90}
    refused = cli("central", "privacy", "keep-days", "0", "--db", central.db_url)
    assert refused.exit_code == 2 and len(refused.stderr.strip().splitlines()) == 1
    made = cli("central", "privacy", "keep-days", "45", "--db", central.db_url)
    assert made.exit_code == 0 and "45 days" in made.stdout
    applied, answer = purge(longer)
    assert [c["kind"] for c in answer["conflicts"]] == ["privacy_purge_partial"]
    assert "kept 2 orders" in answer["conflicts"][0]["subject"]
    assert _customer(central, mine) == (None, None)
    assert {code: _customer(central, code) for code in (web, theirs)} == {web: everyone[web],
                                                                          theirs: everyone[theirs]}
    flagged = cli("central", "conflicts", "--db", central.db_url, "--json").json()
    assert [c["second_entry"] for c in flagged if c["kind"] == "privacy_purge_partial"] == [applied["id"]]
    assert [r["status"] for r in central.query("SELECT status FROM privacy_purges WHERE origin = ? ORDER BY at",
                                               (counter.terminal["id"],))] == ["refused", "refused", "done"]

    # the admin's own purge still reaches everyone's
    out = cli("central", "privacy", "purge", "--event", gala, "--db", central.db_url)
    assert out.exit_code == 0, out.output
    assert {code: _customer(central, code) for code in everyone} == dict.fromkeys(everyone, (None, None))


# --- C: refunds booked in pretix ----------------------------------------------------------------------------


def _refund(order_id: str, ticket: str, amount: int, **row: Any) -> dict[str, Any]:
    return {"refund": {"id": uuid7(), "order_id": order_id, **row}, "items": [{"ticket_id": ticket, "amount": amount}],
            "revoked": [ticket]}


def test_the_bridge_books_only_applied_refunds_of_the_order_capped_by_what_was_paid(central: Central, terminals,
                                                                                    demo_events) -> None:
    from boxoffice.central.store import pretix_orders
    from boxoffice.central.store.db import connect

    gala, _ = demo_events
    seller, thief, desk = terminals(3)
    sale = _named_sale(seller, gala, OWN, n=2)
    sync(seller)
    order_id = sale["order"]["id"]
    x, y = sorted(t["id"] for t in sale["tickets"])
    total = int(central.scalar("SELECT total FROM orders WHERE id = ?", (order_id,)))
    price = int(central.scalar("SELECT price FROM tickets WHERE id = ?", (y,)))
    assert total == 2 * price and price > 800

    forged = forged_entry(thief, "refund", _refund(order_id, x, 99_999_999))
    assert [c["kind"] for c in push_as(central, thief, [forged])["conflicts"]] == ["foreign_ticket"]
    honest = forged_entry(seller, "refund", _refund(order_id, x, price + 300))  # more than the ticket was sold for
    assert push_as(central, seller, [honest])["conflicts"] == []
    overridden = forged_entry(desk, "refund", _refund(order_id, y, price, override=1, approved_by=uuid7()))
    assert [c["kind"] for c in push_as(central, desk, [overridden])["conflicts"]] == ["foreign_refund_override"]

    with connect(central.db_url) as db:
        found = pretix_orders.refund_entries(db, order_id)
    assert [e["id"] for e in found] == [honest["id"], overridden["id"]]  # never the refused one

    from boxoffice.central.pretix.orders_up import refund_marker, refunds_to_book

    by_hand = {"state": "done", "amount": "5.00", "comment": "refunded by hand in pretix"}
    failed = {"state": "failed", "amount": "999.00", "comment": "a refund that never went out"}
    with connect(central.db_url) as db:
        booked = refunds_to_book(db, order_id, {x, y}, {"refunds": [by_hand, failed]})
        # what the order was paid, less the 5.00 pretix shows refunded: the honest refund whole, the rest capped
        assert booked == [(honest["id"], price + 300), (overridden["id"], total - 500 - price - 300)]
        # a round that runs again books nothing twice, and counts what it booked before
        again = {"refunds": [by_hand, {"state": "done", "amount": f"{(price + 300) / 100:.2f}",
                                       "comment": refund_marker(honest["id"])}]}
        assert refunds_to_book(db, order_id, {x, y}, again) == [(overridden["id"], total - 500 - price - 300)]


def test_pretix_refunds_in_a_currency_without_minor_digits_count_against_the_cap() -> None:
    """pretix writes every amount with two decimals ("1200.00" yen): read as 1,200 yen, not passed over as
    unreadable (which let the bridge book a second refund of a 1,200 yen order); an amount that cannot be read at
    all stops the booking for that order rather than counting as nothing."""
    from boxoffice.central.pretix.orders_up import refunded_in_pretix

    done = {"refunds": [{"state": "done", "amount": "1200.00"}, {"state": "failed", "amount": "50.00"}]}
    assert refunded_in_pretix(done, "JPY") == 1200
    assert refunded_in_pretix(done, "EUR") == 120000
    assert refunded_in_pretix({"refunds": [{"state": "done", "amount": "12.345"}]}, "EUR") is None
    assert refunded_in_pretix({"refunds": [{"state": "done", "amount": "lots"}]}, "EUR") is None
    assert refunded_in_pretix({"refunds": []}, "JPY") == 0
