"""`boxoffice sell --quote`: the basket and its total, from the same quote as the counter's screen; nothing sold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from boxoffice.services.context import Ctx
from boxoffice.services.events import list_events


def sold(ctx: Ctx) -> int:
    return sum(e["sold"] for e in list_events(ctx))


def test_quote_prints_the_lines_and_total_and_sells_nothing(cli: Callable[..., Any], terminal: Ctx,
                                                             demo_events: tuple[str, str]) -> None:
    gala, _ = demo_events
    r = cli("sell", gala, "-s", "stalls", "-t", "adult=2", "-t", "child=1", "--quote", db=terminal)
    assert r.exit_code == 0, r.output
    assert "2 x Adult 35.00 = 70.00" in r.stdout and "1 x Child 15.00 = 15.00  (-20.00)" in r.stdout
    assert "incl. tax 14.17" in r.stdout and "Total 85.00 GBP" in r.stdout and "nothing sold" in r.stdout
    assert sold(terminal) == 0


def test_quote_json_names_restricted_view_seats_and_takes_no_payment(cli: Callable[..., Any], terminal: Ctx,
                                                                     demo_events: tuple[str, str]) -> None:
    gala, _ = demo_events
    r = cli("sell", gala, "-s", "stalls", "-t", "adult=2", "--seats", "A1,A2", "--quote", "--json", db=terminal)
    assert r.exit_code == 0, r.output
    doc = r.json()
    assert doc["total"] == "70.00" and doc["tax"] == "11.67" and doc["currency"] == "GBP"
    assert doc["lines"] == [{"event": gala, "section": "stalls", "type": "adult", "count": 2, "unit_price": "35.00",
                             "amount": "70.00", "discount": "0.00"}]
    assert doc["confirm"] == ["A1: restricted view"]
    assert sold(terminal) == 0


def test_quote_refuses_what_a_sale_would_refuse(cli: Callable[..., Any], terminal: Ctx,
                                                demo_events: tuple[str, str]) -> None:
    gala, _ = demo_events
    r = cli("sell", gala, "-s", "standing", "-t", "child=7", "--quote", db=terminal)
    assert r.exit_code != 0 and "at most 6 Child" in r.output
    assert sold(terminal) == 0
