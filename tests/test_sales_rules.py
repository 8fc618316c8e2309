"""The rules of a sale at the window: limits, what is left, how it is paid, who may give comps, and what is kept."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_sales_kit import EVENT, PINS, Counter, make_counter

from boxoffice.domain.tenders import Tender
from boxoffice.services.sales import SaleRequest, sell


@pytest.fixture
def counter(tmp_path: Path) -> Counter:
    return make_counter(tmp_path / "counter")


def order_count(counter: Counter) -> int:
    return counter.query("SELECT count(*) FROM orders")[0][0]


# --------------------------------------------------------------------------------------------------------
# Limits and stock


@pytest.mark.parametrize("types, says", [
    (["adult=7"], "at most 6 tickets an order"),
    (["adult=5", "child=2"], "at most 6 tickets an order"),
    (["child=3"], "at most 2 Child tickets an order"),
])
def test_over_the_per_order_limit_is_refused_and_says_the_limit(counter: Counter, types: list[str],
                                                                says: str) -> None:
    args = [a for t in types for a in ("--type", t)]
    result = counter.cli("sell", EVENT, "--section", "standing", *args, "--card", "4242")
    assert result.exit_code == 4
    assert says in result.stderr
    refused = counter.sell("--section", "standing", *args, "--card", "4242", status=4)
    assert refused["error"]["code"] == "over_limit"
    assert order_count(counter) == 0
    assert counter.sell("--section", "standing", "--type", "adult=4", "--type", "child=2", "--card", "4242")


def test_sold_out_says_what_is_left_then_that_nothing_is(counter: Counter) -> None:
    with counter.services() as ctx:
        for n in (6, 6, 6, 6, 6, 6, 1):  # 37 of the 40 standing places
            sell(ctx, SaleRequest(event_id=EVENT, section_id="standing", counts={"adult": n},
                                  tenders=[Tender("card", card_last4="4242")]))
    result = counter.cli("sell", EVENT, "--section", "standing", "--type", "adult=5", "--cash", "100")
    assert result.exit_code == 4
    assert "only 3 left in Standing" in result.stderr and "sell 3 or fewer" in result.stderr
    refused = counter.sell("--section", "standing", "--type", "adult=5", "--cash", "100", status=4)
    assert refused["error"]["code"] == "sold_out"
    assert refused["error"]["details"]["available"] == 3

    counter.sell("--section", "standing", "--type", "adult=3", "--cash", "60")
    gone = counter.cli("sell", EVENT, "--section", "standing", "--type", "adult=1", "--cash", "20")
    assert gone.exit_code == 4
    assert "Standing is sold out" in gone.stderr and "another section" in gone.stderr
    assert counter.query("SELECT sold, capacity FROM sections WHERE id = 'standing'") == [(40, 40)]
    assert counter.query("SELECT count(*) FROM tickets WHERE section_id = 'standing'") == [(40,)]


def test_paused_sales_are_refused_with_their_own_status(counter: Counter) -> None:
    counter.login("sue")
    paused = counter.cli("pause", "sales", "--reason", "fire alarm")
    assert paused.exit_code == 0, paused.output
    refused = counter.sell("--section", "standing", "--type", "adult=1", "--cash", "20", status=10)
    assert refused["error"]["code"] == "sales_paused"
    assert "fire alarm" in refused["error"]["message"]
    assert order_count(counter) == 0


def test_outside_this_terminals_allocation_is_its_own_refusal(counter: Counter) -> None:
    """With a central service, a terminal holds only part of each section: running out of that part is not
    "sold out" (other places may be unsold), and says to top the allocation up."""
    conn = sqlite3.connect(counter.db)
    with conn:  # what an allocation from the central service leaves in the terminal's database
        conn.execute("UPDATE terminal SET owns_inventory = 0")
        conn.execute("INSERT INTO allocation_events (event_id, since) SELECT event_id, '2026-01-01T00:00:00Z'"
                     " FROM sections WHERE id = 'standing'")
        conn.execute("UPDATE sections SET allocated = 3 WHERE id = 'standing'")
        conn.execute("UPDATE seats SET allocated = 0 WHERE section_id = 'awkward' AND label NOT IN ('K1', 'K2')")
    conn.close()

    short = counter.sell("--section", "standing", "--type", "adult=4", "--cash", "100", status=10)
    assert short["error"]["code"] == "not_allocated"
    assert "only 3 left in this terminal's allocation of Standing" in short["error"]["message"]
    assert short["error"]["details"]["available"] == 3
    counter.sell("--section", "standing", "--type", "adult=3", "--cash", "60")
    used_up = counter.sell("--section", "standing", "--type", "adult=1", "--cash", "20", status=10)
    assert "used up" in used_up["error"]["message"] and "sync" in used_up["error"]["message"]

    apart = counter.sell("--section", "awkward", "--type", "adult=3", "--cash", "200", status=10)
    assert apart["error"]["code"] == "not_allocated" and "largest block is 2" in apart["error"]["message"]
    named = counter.sell("--section", "awkward", "--seats", "K5", "--type", "adult=1", "--cash", "50", status=10)
    assert named["error"]["code"] == "not_allocated"
    pair = counter.sell("--section", "awkward", "--type", "adult=2", "--cash", "100")
    assert [f"{t['row']}{t['seat']}" for t in pair["tickets"]] == ["K1", "K2"]
    none_here = counter.sell("--section", "awkward", "--type", "adult=1", "--cash", "50", status=10)
    assert none_here["error"]["code"] == "not_allocated"
    assert counter.query("SELECT count(*) FROM orders") == [(2,)]


def test_unknown_ticket_type_and_section_are_named(counter: Counter) -> None:
    bad_type = counter.sell("--section", "standing", "--type", "senior=1", "--cash", "20", status=2)
    assert "adult" in bad_type["error"]["message"] and "senior" in bad_type["error"]["message"]
    bad_section = counter.sell("--section", "balcony", "--type", "adult=1", "--cash", "20", status=3)
    assert "stalls" in bad_section["error"]["message"]
    unknown_event = counter.cli_json("sell", "no-such-event", "--section", "standing", "--type", "adult=1",
                                     "--cash", "20", status=3)
    assert unknown_event["error"]["code"] == "not_found"


# --------------------------------------------------------------------------------------------------------
# Payment


def database_bytes(counter: Counter) -> bytes:
    """Every byte of the database as it sits on disk: the main file, its WAL and shared-memory index."""
    return b"".join(p.read_bytes() for p in sorted(counter.dir.glob("terminal.db*")) if p.is_file())


@pytest.mark.parametrize("typed", ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111:20",
                                   "411111111111111111"])
def test_a_full_card_number_is_refused_and_kept_nowhere(counter: Counter, typed: str) -> None:
    digits = "".join(c for c in typed.split(":")[0] if c.isdigit())
    counter.sell("--section", "standing", "--type", "adult=1", "--card", "4242")  # the WAL is in use
    before = order_count(counter)

    result = counter.cli("sell", EVENT, "--section", "stalls", "--type", "adult=2", "--card", typed)
    assert result.exit_code == 2
    assert "last 4 digits" in result.stderr and "nothing was stored" in result.stderr
    refused = counter.sell("--section", "stalls", "--type", "adult=2", "--card", typed, status=2)
    assert refused["error"]["code"] == "bad_card_number"
    for output in (result.stdout, result.stderr, json.dumps(refused)):
        assert digits not in output and digits[:12] not in output

    assert order_count(counter) == before
    assert digits.encode() not in database_bytes(counter)
    assert digits[-12:].encode() not in database_bytes(counter)
    conn = sqlite3.connect(counter.db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert digits.encode() not in database_bytes(counter)
    for path in counter.dir.rglob("*"):
        if path.is_file():
            assert digits.encode() not in path.read_bytes(), path


def test_only_the_last_four_digits_are_stored(counter: Counter) -> None:
    sale = counter.sell("--section", "standing", "--type", "adult=1", "--card", "4242")
    assert counter.query("SELECT tender, amount, card_last4 FROM payments") == [("card", 2000, "4242")]
    shown = counter.cli_json("order", "show", sale["order"])
    assert [p["card_last4"] for p in shown["payments"]] == ["4242"]
    not_four = counter.sell("--section", "standing", "--type", "adult=1", "--card", "42", status=2)
    assert not_four["error"]["code"] == "bad_input"


def test_split_tenders_card_with_an_amount_then_cash_with_change(counter: Counter) -> None:
    sale = counter.sell("--section", "stalls", "--type", "adult=2", "--card", "4242:40", "--cash", "50")
    assert sale["total"] == "70.00" and sale["change"] == "20.00"
    rows = counter.query("SELECT tender, amount, tendered, change, card_last4 FROM payments ORDER BY tender")
    assert rows == [("card", 4000, None, None, "4242"), ("cash", 3000, 5000, 2000, None)]
    assert sum(r[1] for r in rows) == 7000


def test_two_cards_and_cash(counter: Counter) -> None:
    sale = counter.sell("--section", "stalls", "--type", "adult=3", "--card", "1111:50", "--card", "2222",
                        "--cash", "20")
    assert sale["total"] == "105.00" and sale["change"] == "0.00"
    rows = counter.query("SELECT tender, amount, card_last4 FROM payments ORDER BY amount")
    assert rows == [("cash", 2000, None), ("card", 3500, "2222"), ("card", 5000, "1111")]


def test_cash_that_does_not_cover_the_total_is_refused(counter: Counter) -> None:
    short = counter.cli("sell", EVENT, "--section", "stalls", "--type", "adult=2", "--cash", "69.99")
    assert short.exit_code == 4
    assert "does not cover the 70.00 due" in short.stderr
    assert order_count(counter) == 0
    assert counter.query("SELECT count(*) FROM seats WHERE status = 'sold'") == [(0,)]


def test_a_card_charge_above_the_total_is_refused(counter: Counter) -> None:
    refused = counter.sell("--section", "standing", "--type", "adult=1", "--card", "4242:25", status=2)
    assert "more than the 20.00 due" in refused["error"]["message"]


def test_no_payment_is_refused(counter: Counter) -> None:
    refused = counter.sell("--section", "standing", "--type", "adult=1", status=4)
    assert refused["error"]["code"] == "insufficient_payment"
    assert "--cash" in refused["error"]["message"]


# --------------------------------------------------------------------------------------------------------
# Comps


def test_a_seller_cannot_comp_alone_but_can_with_a_supervisor_pin(counter: Counter) -> None:
    alone = counter.cli("sell", EVENT, "--section", "stalls", "--type", "comp=2", "--comp", "press night")
    assert alone.exit_code == 5
    assert "supervisor" in alone.stderr
    assert order_count(counter) == 0

    wrong_pin = counter.sell("--section", "stalls", "--type", "comp=2", "--comp", "press night",
                             "--supervisor", "sue", pin="9999", status=5)
    assert wrong_pin["error"]["code"] == "wrong_pin"
    not_a_supervisor = counter.sell("--section", "stalls", "--type", "comp=2", "--comp", "press night",
                                    "--supervisor", "pat", pin=PINS["pat"], status=5)
    assert not_a_supervisor["error"]["code"] == "permission_denied"
    assert order_count(counter) == 0

    sale = counter.sell("--section", "stalls", "--type", "comp=2", "--comp", "press night",
                        "--supervisor", "sue", pin=PINS["sue"])
    assert sale["total"] == "0.00" and len(sale["tickets"]) == 2
    sue = counter.query("SELECT id FROM operators WHERE name = 'sue'")[0][0]
    sam = counter.query("SELECT id FROM operators WHERE name = 'sam'")[0][0]
    assert counter.query("SELECT tender, amount, comp_reason, approved_by FROM payments") == [
        ("comp", 0, "press night", sue)]
    assert counter.query("SELECT operator_id FROM orders") == [(sam,)], "the sale is the seller's"


def test_a_comp_needs_a_reason(counter: Counter) -> None:
    counter.login("sue")
    no_tender = counter.sell("--section", "stalls", "--type", "comp=1", status=2)
    assert "--comp REASON" in no_tender["error"]["message"]
    blank = counter.sell("--section", "stalls", "--type", "comp=1", "--comp", "  ", status=2)
    assert "reason" in blank["error"]["message"]
    assert order_count(counter) == 0
    assert counter.sell("--section", "stalls", "--type", "comp=1", "--comp", "artist guest")["total"] == "0.00"


def test_a_comp_cannot_pay_for_priced_tickets(counter: Counter) -> None:
    counter.login("sue")
    refused = counter.sell("--section", "stalls", "--type", "adult=1", "--comp", "friend", status=2)
    assert refused["error"]["code"] == "bad_input"
    assert order_count(counter) == 0


# --------------------------------------------------------------------------------------------------------
# What a sale writes


def test_a_sale_is_one_complete_record(counter: Counter) -> None:
    sale = counter.sell("--section", "stalls", "--type", "adult=1", "--type", "child=1", "--cash", "50",
                        "--name", "Ana Lima", "--email", "ana@example.org", "--phone", "+49 30 1234-567")
    order = counter.cli_json("order", "show", sale["order"])  # the seller sees the contact masked (privacy)
    assert (order["customer_name"], order["email"], order["phone"]) == ("Ana Lima", "a***@example.org", "***67")
    (stored,) = counter.query("SELECT customer_name, email, phone FROM orders")
    assert tuple(stored) == ("Ana Lima", "ana@example.org", "+49 30 1234-567")
    assert order["total"] == 4750 and order["tax"] == 792  # 20% inside 47.50
    assert [(t["type"], t["price"]) for t in order["tickets"]] == [("adult", "35.00"), ("child", "12.50")]
    (entry,) = counter.query("SELECT payload FROM journal WHERE kind = 'sale'")
    payload = json.loads(entry[0])
    assert payload["order"]["code"] == sale["order"]
    assert sorted(t["token"] for t in payload["tickets"]) == sorted(t["token"] for t in sale["tickets"])
    assert [p["amount"] for p in payload["payments"]] == [4750]
    sold_seats = counter.query("SELECT label, ticket_id FROM seats WHERE status = 'sold' ORDER BY label")
    assert sorted(t for _, t in sold_seats) == sorted(t["id"] for t in sale["tickets"])


def test_not_logged_in_cannot_sell(counter: Counter) -> None:
    assert counter.cli("logout").exit_code == 0
    refused = counter.sell("--section", "standing", "--type", "adult=1", "--cash", "20", status=5)
    assert refused["error"]["code"] == "not_logged_in"
    counter.login("dan")
    door = counter.sell("--section", "standing", "--type", "adult=1", "--cash", "20", status=5)
    assert door["error"]["code"] == "permission_denied"


def test_control_characters_in_the_customer_name_are_refused(counter: Counter) -> None:
    refused = counter.sell("--section", "standing", "--type", "adult=1", "--cash", "20", "--name", "Eve\x1b@",
                           status=2)
    assert refused["error"]["code"] == "bad_input"
    assert order_count(counter) == 0
