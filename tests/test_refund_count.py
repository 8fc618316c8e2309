"""`refund --count N`: N places of a standing line refunded, the untouched ones first (not handed out, not admitted
at the door), then the last sold; through the service and the command line."""

from __future__ import annotations

from typing import Any

import pytest

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.services.door import door_event, scan
from boxoffice.services.refund_count import pick_count
from boxoffice.services.refunds import RefundRequest, preview, refund
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store import orders as order_store
from boxoffice.store.db import rows
from boxoffice.store.pickup import mark_picked_up

GALA_EVENING = "2026-12-08T19:00:00Z"


def standing(ctx: Ctx, event: str, counts: dict[str, int]) -> dict[str, Any]:
    return sell(ctx, SaleRequest(event, "standing", counts, [Tender("cash", 20000)]))


def statuses(ctx: Ctx, order: dict[str, Any]) -> list[str]:
    return [t["status"] for t in order_store.tickets_of(ctx.conn, order["order"]["id"])]


@pytest.fixture
def four(terminal: Ctx, login: Any, demo_events: tuple[str, str], clock: Any) -> dict[str, Any]:
    """Four standing adults: the first admitted at the door, the second handed out, the last two untouched."""
    login(terminal, "sam")
    sold = standing(terminal, demo_events[0], {"adult": 4})
    t = order_store.tickets_of(terminal.conn, sold["order"]["id"])
    # A window sale is handed over as it prints; a web order's places are handed out at will-call, as here.
    for handed in t[:2]:
        assert mark_picked_up(terminal.conn, handed["id"], terminal.now_iso(), "op")
    clock.set(GALA_EVENING)
    login(terminal, "dan")
    assert scan(terminal, t[0]["token"], door_event(terminal, demo_events[0]))["result"] == "admit"
    login(terminal, "ada")
    return sold | {"tickets": t}


def test_the_untouched_places_go_first_then_the_last_sold(terminal: Ctx, four: dict[str, Any]) -> None:
    t = [x["id"] for x in four["tickets"]]
    order = four["order"]
    assert [x["id"] for x in pick_count(terminal, order, 2)] == [t[3], t[2]]
    assert [x["id"] for x in pick_count(terminal, order, 3)] == [t[3], t[2], t[1]]
    assert [x["id"] for x in pick_count(terminal, order, 4)] == [t[3], t[2], t[1], t[0]]


def test_a_refund_of_a_count_takes_those_places_and_no_others(terminal: Ctx, four: dict[str, Any]) -> None:
    code = four["order"]["code"]
    shown = preview(terminal, code, count=2)
    assert len(shown["tickets"]) == 2 and shown["overrides"] == ["outside_policy"]
    out = refund(terminal, RefundRequest(code, count=2))
    assert [i["ticket_id"] for i in out["items"]] == [four["tickets"][3]["id"], four["tickets"][2]["id"]]
    assert statuses(terminal, four) == ["valid", "valid", "refunded", "refunded"]
    with pytest.raises(BoxOfficeError) as too_many:
        refund(terminal, RefundRequest(code, count=3))
    assert too_many.value.code == "bad_input" and "has 2 standing places left to refund, not 3" in \
        too_many.value.message
    used = preview(terminal, code, count=2)
    assert "used" in used["overrides"]  # the admitted ticket is in it now: still an override, as any used ticket


def test_mixed_types_need_a_type_and_seated_orders_are_refused(terminal: Ctx, login: Any,
                                                               demo_events: tuple[str, str]) -> None:
    login(terminal, "sam")
    mixed = standing(terminal, demo_events[0], {"adult": 2, "child": 2})
    code = mixed["order"]["code"]
    with pytest.raises(BoxOfficeError, match="several types .*say which with --type"):
        preview(terminal, code, count=1)
    out = refund(terminal, RefundRequest(code, count=1, ticket_type="child"))
    assert out["amount_text"] == "10.00"
    assert sorted(statuses(terminal, mixed)) == ["refunded", "valid", "valid", "valid"]
    with pytest.raises(BoxOfficeError, match="not both"):
        preview(terminal, code, tickets=["x"], count=1)
    with pytest.raises(BoxOfficeError, match="use it with --count"):
        preview(terminal, code, ticket_type="adult")
    seated = sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 1}, [Tender("cash", 5000)]))
    with pytest.raises(BoxOfficeError, match="no standing places"):
        preview(terminal, seated["order"]["code"], count=1)


def test_refund_count_on_the_command_line(cli: Any, terminal: Ctx, login: Any, demo_events: tuple[str, str]) -> None:
    login(terminal, "sam")
    sold = standing(terminal, demo_events[0], {"adult": 3})
    code = sold["order"]["code"]
    asked = cli("refund", code, "--count", "2", db=terminal, input="n\n")
    assert asked.exit_code == 1 and "Refund 2 tickets of" in asked.stdout and "45.00" in asked.stdout
    done = cli("refund", code, "--count", "2", "--yes", "--json", db=terminal)
    assert done.exit_code == 0, done.output
    assert len(done.json()["tickets"]) == 2 and done.json()["amount"] == "45.00"
    assert statuses(terminal, sold).count("refunded") == 2
    assert cli("refund", code, "--count", "2", "--yes", db=terminal).exit_code == 2
    assert cli("refund", code, "--count", "0", "--yes", db=terminal).exit_code == 2
    assert len(rows(terminal.conn, "SELECT * FROM refunds")) == 1
    assert "not handed out" in cli("refund", "--help").stdout
