"""An order an exchange made is refunded on the terms of the order its tickets came from.

A web order paid online, exchanged at the counter with a supervisor's approval (new seats, nothing to pay), used to
become this counter's own sale: a seller then refunded it alone, in cash from a drawer that never took the money.
Now the new order carries the other channel's override for as long as its tickets came from there, through any
number of exchanges.
"""

from __future__ import annotations

from typing import Any

import pytest
from pickup_fixtures import Central, Seat, orders_doc, web_order

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.services.exchanges import ExchangeRequest, exchange
from boxoffice.services.operators import login
from boxoffice.services.refunds import RefundRequest, preview, refund
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.services.web_orders import import_keys, import_orders


def _web_order(terminal: Ctx, event: str) -> dict[str, Any]:
    central = Central.make()
    import_keys(terminal, central.keys_doc())
    web = web_order(central, event, "Web Customer", [Seat("stalls", row="F", seat="10", price="35.00"),
                                                     Seat("stalls", row="F", seat="11", price="35.00")])
    import_orders(terminal, orders_doc([web]))
    return web


def test_a_web_order_moved_to_new_seats_is_not_the_sellers_to_pay_back_in_cash(terminal: Ctx,
                                                                               demo_events: list[str]) -> None:
    web = _web_order(terminal, demo_events[0])
    login(terminal, "sam", "1111")
    moved = exchange(terminal, ExchangeRequest(web["code"], seats=["G10", "G11"], supervisor=("sue", "222222")))
    assert moved["difference"] == 0
    new_code = moved["order"]["code"]
    shown = preview(terminal, new_code)
    assert "other_channel" in shown["overrides"] and shown["needs_supervisor"]
    with pytest.raises(BoxOfficeError) as refused:
        refund(terminal, RefundRequest(new_code))
    assert refused.value.code == "central_unreachable"
    again = exchange(terminal, ExchangeRequest(new_code, seats=["H10", "H11"], supervisor=("sue", "222222")))
    assert "other_channel" in preview(terminal, again["order"]["code"])["overrides"]  # two moves on: still its terms
    approved = refund(terminal, RefundRequest(again["order"]["code"], supervisor=("sue", "222222")))
    assert "other_channel" in approved["overrides"] and approved["approved_by"] is not None


def test_the_counter_refuses_the_seller_and_names_the_way(cli: Any, terminal: Ctx, demo_events: list[str]) -> None:
    web = _web_order(terminal, demo_events[0])
    login(terminal, "sam", "1111")
    moved = cli("exchange", web["code"], "--seats", "G10,G11", "--supervisor", "sue", "--yes", "--json",
                db=terminal, pin="222222")
    assert moved.exit_code == 0, moved.output
    new_code = moved.json()["order"]
    alone = cli("refund", new_code, "--yes", db=terminal)
    assert alone.exit_code != 0 and "--supervisor" in alone.stderr
    assert len(alone.stderr.strip().splitlines()) == 1
    shown = cli("order", "show", new_code, "--json", db=terminal).json()
    assert not shown.get("refunds")  # nothing paid back, nothing half-done
    approved = cli("refund", new_code, "--supervisor", "sue", "--yes", "--json", db=terminal, pin="222222")
    assert approved.exit_code == 0, approved.output
    assert "other_channel" in approved.json()["overrides"]


def test_an_exchange_of_the_counters_own_sale_still_needs_nobody(terminal: Ctx, demo_events: list[str]) -> None:
    login(terminal, "sam", "1111")
    sold = sell(terminal, SaleRequest(event_id=demo_events[0], section_id="stalls", counts={"adult": 2},
                                      seats=["F10", "F11"], tenders=[Tender("cash", 7000)]))
    moved = exchange(terminal, ExchangeRequest(sold["order"]["code"], seats=["G10", "G11"]))
    assert preview(terminal, moved["order"]["code"])["overrides"] == []
