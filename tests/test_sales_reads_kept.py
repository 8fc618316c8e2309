"""A counter keeps what a sale reads of its event (the event, the active pauses, ticket types and prices) from one
sale to the next (store/sale_reads.py), and never sells on what it kept once anything changed it: a pause or a price
set from another connection or another process, or by this connection itself, is seen by the very next sale."""

from __future__ import annotations

from typing import Any

import pytest

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import pauses
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store.db import write


def _sell(ctx: Any, event: str) -> dict[str, Any]:
    return dict(sell(ctx, SaleRequest(event_id=event, section_id="standing", counts={"adult": 1},
                                      tenders=[Tender("card", card_last4="4242")])))


def _warm(ctx: Any, event: str) -> int:
    """Two sales, so the counter keeps its reads; returns the price of an adult standing ticket."""
    _sell(ctx, event)
    return int(_sell(ctx, event)["total"])


def test_the_reads_are_kept_between_sales(terminal, demo_events) -> None:  # noqa: ANN001
    """What the tests below rely on: after two sales the next reads neither the prices nor the pauses again."""
    gala, _ = demo_events
    _warm(terminal, gala)
    statements: list[str] = []
    terminal.conn.set_trace_callback(statements.append)
    try:
        _sell(terminal, gala)
    finally:
        terminal.conn.set_trace_callback(None)
    assert not [s for s in statements if "FROM prices" in s or "FROM pauses" in s or "FROM events" in s]


def test_a_pause_set_from_another_connection_stops_the_very_next_sale(terminal, demo_events, open_ctx) -> None:  # noqa: ANN001
    gala, _ = demo_events
    _warm(terminal, gala)
    other = open_ctx(terminal)  # another window, or another process: its own connection
    pauses.pause(other, "fire alarm in the foyer")
    with pytest.raises(BoxOfficeError) as refused:
        _sell(terminal, gala)
    assert refused.value.code == "sales_paused" and "fire alarm in the foyer" in refused.value.message
    pauses.resume(other)
    assert _sell(terminal, gala)["order"]["status"] == "paid"


def test_a_pause_of_the_event_set_on_this_connection_stops_the_next_sale(terminal, demo_events) -> None:  # noqa: ANN001
    gala, jazz = demo_events
    _warm(terminal, gala)
    _warm(terminal, jazz)
    pauses.pause(terminal, "stage rigging", event=gala)
    with pytest.raises(BoxOfficeError) as refused:
        _sell(terminal, gala)
    assert refused.value.code == "sales_paused"
    assert _sell(terminal, jazz)["order"]["status"] == "paid", "only the gala is paused"
    pauses.resume(terminal, event=gala)
    assert _sell(terminal, gala)["order"]["status"] == "paid"


@pytest.mark.parametrize("where", ["this connection", "another connection"])
def test_a_price_changed_since_the_last_sale_is_the_price_taken(terminal, demo_events, open_ctx,  # noqa: ANN001
                                                                  where: str) -> None:
    gala, _ = demo_events
    price = _warm(terminal, gala)
    conn = terminal.conn if where == "this connection" else open_ctx(terminal).conn
    with write(conn):
        conn.execute("UPDATE prices SET amount = amount + 100 WHERE event_id = ? AND section_id = 'standing'"
                     " AND ticket_type_id = 'adult'", (gala,))
    sale = _sell(terminal, gala)
    assert sale["total"] == price + 100
    assert terminal.conn.execute("SELECT total FROM orders WHERE id = ?", (sale["order"]["id"],)).fetchone()[0] \
        == price + 100


def test_a_price_change_rolled_back_leaves_the_price_as_it_was(terminal, demo_events) -> None:  # noqa: ANN001
    gala, _ = demo_events
    price = _warm(terminal, gala)
    with pytest.raises(RuntimeError), write(terminal.conn):
        terminal.conn.execute("UPDATE prices SET amount = 1 WHERE event_id = ?", (gala,))
        raise RuntimeError("undone")
    assert _sell(terminal, gala)["total"] == price
