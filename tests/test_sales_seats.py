"""Best-available seats through the sale on an awkward little section, and named seats that cannot be sold.

The "Side Balcony" (section ``awkward`` of the test venue), front row first; ``|`` an aisle, ``h`` held,
``W`` a wheelchair space, ``C`` a companion seat:

    K   1 2 3 4 | 5 6 7 8
    L   1 2 3 h h h 7 8 9 10
    M   W C 3 4 C W

Expected choices follow the documented score (domain/seating.py): row from the front + 0.5 x distance from the
row's centre + 3 per single seat stranded; ties to the front, then the left.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_sales_kit import Counter, make_counter


@pytest.fixture
def counter(tmp_path: Path) -> Counter:
    return make_counter(tmp_path / "counter")


def seats_of(sale: dict) -> list[str]:
    return [f"{t['row']}{t['seat']}" for t in sale["tickets"]]


def sell_best(counter: Counter, count: int, *extra: str, status: int = 0) -> dict:
    return counter.sell("--section", "awkward", "--type", f"adult={count}", "--card", "4242", *extra,
                        status=status)


def test_pairs_fill_the_balcony_in_score_order_and_never_strand_a_seat_needlessly(counter: Counter) -> None:
    steps = [
        (2, ["K3", "K4"]),   # beside the aisle, nearest the centre; K1-K2 stay a pair
        (2, ["K5", "K6"]),
        (2, ["K1", "K2"]),   # ties with K7-K8: the left one
        (2, ["K7", "K8"]),
        (2, ["L7", "L8"]),   # scores 2.0 like M3-M4, and is nearer the front; L2-L3 would strand L1
        (2, ["M3", "M4"]),   # the centre of the row behind beats the end of this one (L9-L10: 3.0)
        (2, ["L9", "L10"]),  # L1-L2 or L2-L3 would strand a seat by the held ones
        (2, ["L2", "L3"]),   # now only a pair that strands L1 is left for ordinary seats
    ]
    for count, expected in steps:
        assert seats_of(sell_best(counter, count)) == expected

    apart = sell_best(counter, 2, status=4)
    assert apart["error"]["code"] == "not_enough_together"
    assert "largest block is 1 seat" in apart["error"]["message"]

    assert seats_of(sell_best(counter, 1)) == ["L1"]
    none_left = sell_best(counter, 1, status=4)
    assert none_left["error"]["code"] == "sold_out", "wheelchair and companion places are kept for who needs them"

    assert seats_of(sell_best(counter, 1, "--wheelchair")) == ["M1"]
    assert seats_of(sell_best(counter, 2, "--wheelchair")) == ["M5", "M6"]
    no_space = sell_best(counter, 1, "--wheelchair", status=4)
    assert no_space["error"]["code"] == "sold_out" and "wheelchair space" in no_space["error"]["message"]
    by_name = counter.sell("--section", "awkward", "--seats", "M2", "--type", "adult=1", "--card", "4242")
    assert seats_of(by_name) == ["M2"], "a companion seat named at the window is sold"
    assert counter.query("SELECT count(*) FROM seats WHERE section_id = 'awkward' AND status = 'free'") == [(0,)]


def test_three_together_go_a_row_back_rather_than_strand_a_seat(counter: Counter) -> None:
    # Any three in K (two blocks of four split by the aisle) leave one seat alone: L1-L3 is better.
    assert seats_of(sell_best(counter, 3)) == ["L1", "L2", "L3"]
    assert seats_of(sell_best(counter, 4)) == ["K1", "K2", "K3", "K4"]


def test_a_wheelchair_request_gets_a_wheelchair_space_with_its_companion(counter: Counter) -> None:
    assert seats_of(sell_best(counter, 2, "--wheelchair")) == ["M1", "M2"]
    wheelchair = counter.query("SELECT label, wheelchair, companion FROM seats WHERE label IN ('M1', 'M2')")
    assert sorted(wheelchair) == [("M1", 1, 0), ("M2", 0, 1)]


def test_wheelchair_spaces_are_not_sold_to_an_ordinary_request(counter: Counter) -> None:
    for _ in range(4):
        sell_best(counter, 2)
    for label in ("L1", "L2", "L3", "L7", "L8", "L9", "L10", "M3", "M4"):
        counter.sell("--section", "awkward", "--seats", label, "--type", "adult=1", "--card", "4242")
    refused = sell_best(counter, 1, status=4)
    assert refused["error"]["code"] == "sold_out"
    assert "no seat is free" in refused["error"]["message"]
    free = counter.query("SELECT label FROM seats WHERE section_id = 'awkward' AND status = 'free' ORDER BY label")
    assert free == [("M1",), ("M2",), ("M5",), ("M6",)]


def test_five_together_do_not_exist_and_the_message_says_what_does(counter: Counter) -> None:
    refused = sell_best(counter, 5, status=4)
    assert refused["error"]["code"] == "not_enough_together"
    assert "largest block is 4 seats" in refused["error"]["message"]
    assert counter.query("SELECT count(*) FROM orders") == [(0,)]


def test_held_sold_and_unknown_seats_are_refused_by_name(counter: Counter) -> None:
    sold = counter.sell("--section", "awkward", "--seats", "K5,K6", "--type", "adult=2", "--card", "4242")
    assert seats_of(sold) == ["K5", "K6"]
    for seats, says in (("L5", "L5 is sold or held"), ("K6", "K6 is sold or held"),
                        ("K7,K6", "K6 is sold or held"), ("K9", "K9 is unknown")):
        n = len(seats.split(","))
        result = counter.cli("sell", "spring-gala", "--section", "awkward", "--seats", seats, "--type",
                             f"adult={n}", "--card", "4242")
        assert result.exit_code == 4, (seats, result.output)
        assert says in result.stderr
        again = counter.sell("--section", "awkward", "--seats", seats, "--type", f"adult={n}", "--card", "4242",
                             status=4)
        assert again["error"]["code"] == "seat_unavailable"
    assert counter.query("SELECT count(*) FROM orders") == [(1,)], "no refused sale left anything behind"
    assert counter.query("SELECT label FROM seats WHERE status = 'sold' ORDER BY label") == [("K5",), ("K6",)]


def test_named_seats_must_match_the_ticket_count_and_suit_the_section(counter: Counter) -> None:
    wrong_count = counter.sell("--section", "awkward", "--seats", "K1,K2", "--type", "adult=3", "--card", "4242",
                               status=2)
    assert wrong_count["error"]["code"] == "bad_input"
    standing = counter.sell("--section", "standing", "--seats", "K1", "--type", "adult=1", "--card", "4242",
                            status=2)
    assert "general admission" in standing["error"]["message"]


def test_named_seats_are_sold_in_any_case_and_order(counter: Counter) -> None:
    sale = counter.sell("--section", "stalls", "--seats", "c7, c6", "--type", "adult=1", "--type", "child=1",
                        "--cash", "50")
    assert seats_of(sale) == ["C7", "C6"]
    assert [t["type"] for t in sale["tickets"]] == ["adult", "child"]
    assert sale["total"] == "47.50" and sale["change"] == "2.50"
