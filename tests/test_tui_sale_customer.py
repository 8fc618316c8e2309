"""The sale screen's customer step and real-name holders, driven through Pilot at 80x24: the customer's e-mail and
phone stored on the order, a limit per customer refused on screen, two holders bound to their tickets, and a
mistyped resident ID refused on its line with nothing sold."""

from __future__ import annotations

from typing import Any

import pytest
from realname_kit import WANG_NUMBER
from textual.pilot import Pilot
from textual.widgets import Static
from tui_helpers import drive, sold, text

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import basket
from boxoffice.services.catalog import import_catalog
from boxoffice.services.context import Ctx
from boxoffice.services.demo_catalog import demo_catalog
from boxoffice.services.holders import check_id
from boxoffice.services.orders import order_details
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.tui.app import CounterApp
from boxoffice.tui.screens.customer import CustomerScreen
from boxoffice.tui.screens.holders import HoldersScreen
from boxoffice.tui.screens.pay import PayScreen
from boxoffice.tui.screens.sale import SaleScreen

PASSPORT = "E12345678"
BAD_RESIDENT = "110105198001010025"  # WANG_NUMBER with its check digit mistyped


def with_event(ctx: Ctx, **fields: Any) -> str:
    """The demo catalogue again with the first event (the gala) given ``fields``; returns its id."""
    doc = demo_catalog(ctx.now().date())
    doc["events"][0].update(fields)
    import_catalog(ctx, doc)
    return str(doc["events"][0]["id"])


async def customer(pilot: Pilot[None], name: str, email: str, phone: str) -> None:
    """C, then the three boxes typed, Enter moving on and keeping the customer at the end."""
    await pilot.press("c")
    for value in (name, email, phone):
        await pilot.press(*value, "enter")


async def two_standing(pilot: Pilot[None]) -> None:
    await pilot.press("s", "plus", "plus", "a")


async def pay_cash(pilot: Pilot[None], amount: str) -> None:
    await pilot.press(*amount, "enter")


def test_the_customer_step_stores_email_and_phone_on_the_order(terminal: Ctx, demo_events: tuple[str, str]) -> None:
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        await two_standing(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, CustomerScreen)
        await pilot.press(*"Ann Lee", "enter", *"ann@example.org", "enter", *"12", "enter")
        seen["refused"] = (type(app.screen).__name__, text(app, "#cust-msg"))
        for _ in range(2):
            await pilot.press("backspace")
        await pilot.press(*"+86 138-0013-8000", "enter")
        seen["said"] = (type(app.screen).__name__, text(app, "#sale-msg"))
        await pilot.press("p")
        assert isinstance(app.screen, PayScreen)
        await pay_cash(pilot, "200")
        seen["sold"] = str(app.screen.query_one("#sold", Static).render())
        await pilot.press("enter")
        seen["after"] = app.screen.buyer if isinstance(app.screen, SaleScreen) else None

    drive(terminal, steps, demo_events[0])
    assert seen["refused"] == ("CustomerScreen", "✗ a phone number has 5 to 15 digits")
    assert seen["said"] == ("SaleScreen", "customer: Ann Lee · ann@example.org · +86 138-0013-8000")
    code = seen["sold"].split("SOLD ", 1)[1].split(" · ", 1)[0]
    order = order_details(terminal, code)
    assert (order["customer_name"], order["email"], order["phone"]) == ("Ann Lee", "ann@example.org",
                                                                        "+86 138-0013-8000")
    assert seen["after"] == basket.Buyer()  # the next customer starts blank


def test_a_customer_at_the_limit_is_refused_on_the_pay_screen(terminal: Ctx) -> None:
    gala = with_event(terminal, per_customer_limit=2)
    sell(terminal, SaleRequest(event_id=gala, section_id="standing", counts={"adult": 2},
                               tenders=[Tender("cash", 200_00)], phone="13800138000", print_receipt=False))
    before = sold(terminal)
    seen: dict[str, str] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        await pilot.press("s", "plus", "a")
        await customer(pilot, "Ann Lee", "", "+86 138 0013 8000")
        await pilot.press("p")
        await pay_cash(pilot, "100")
        seen["msg"] = text(app, "#pay-msg")
        seen["screen"] = type(app.screen).__name__

    drive(terminal, steps, gala)
    assert seen["screen"] == "PayScreen"
    assert seen["msg"] == ("✗ NOT SOLD: this customer has reached the limit of 2 ticket(s) per customer for "
                           "Winter Gala: no more may be sold to them")
    assert sold(terminal) == before


def test_a_holder_at_the_limit_is_refused_and_nothing_is_sold(terminal: Ctx) -> None:
    from realname_kit import WANG, sell_named

    gala = with_event(terminal, real_name=True, per_customer_limit=1)
    sell_named(terminal, gala, WANG, section="standing")
    before = sold(terminal)
    seen: dict[str, str] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        await pilot.press("s", "plus", "a", "p")
        await pilot.press(*"Wang Fang", "tab", "tab", *WANG_NUMBER, "enter")
        await pay_cash(pilot, "100")
        seen["msg"] = text(app, "#pay-msg")

    drive(terminal, steps, gala)
    assert seen["msg"].startswith("✗ NOT SOLD: this customer has reached the limit of 1 ticket(s)")
    assert sold(terminal) == before


def test_a_real_name_basket_sells_with_one_holder_a_ticket(terminal: Ctx) -> None:
    gala = with_event(terminal, real_name=True)
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        await two_standing(pilot)
        await pilot.press("p")
        assert isinstance(app.screen, HoldersScreen)
        seen["title"] = text(app, "#holders-title")
        await pilot.press(*"Wang Fang", "tab", "tab", *WANG_NUMBER, "enter")
        await pilot.press(*"Jane Doe", "tab", "enter", "down", "enter", "tab", *PASSPORT, "enter")
        assert isinstance(app.screen, PayScreen), text(app, "#holders-msg")
        await pay_cash(pilot, "200")
        seen["sold"] = str(app.screen.query_one("#sold", Static).render())

    drive(terminal, steps, gala)
    assert seen["title"].startswith("REAL-NAME · 2 ticket(s)")
    code = seen["sold"].split("SOLD ", 1)[1].split(" · ", 1)[0]
    tickets = order_details(terminal, code)["tickets"]
    assert len(tickets) == 2
    first = check_id(terminal, tickets[0]["token"], WANG_NUMBER)["holder"]
    second = check_id(terminal, tickets[1]["token"], PASSPORT)["holder"]
    assert (first["name"], first["id_kind"], second["name"], second["id_kind"]) == (
        "Wang Fang", "resident", "Jane Doe", "passport")
    assert second["line"] == "Jane Doe · ID ****5678"


def test_a_mistyped_resident_id_is_refused_on_its_line_and_nothing_is_sold(terminal: Ctx) -> None:
    gala = with_event(terminal, real_name=True)
    before = sold(terminal)
    seen: dict[str, str] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        await two_standing(pilot)
        await pilot.press("p")
        await pilot.press(*"Wang Fang", "tab", "tab", *BAD_RESIDENT, "enter")
        await pilot.press(*"Jane Doe", "tab", "tab", *WANG_NUMBER, "enter")
        seen["screen"] = type(app.screen).__name__
        seen["first"], seen["second"] = text(app, "#h-err-0"), text(app, "#h-err-1")
        seen["msg"] = text(app, "#holders-msg")
        await pilot.press("escape")
        seen["back"] = text(app, "#sale-msg")

    drive(terminal, steps, gala)
    assert seen["screen"] == "HoldersScreen"
    assert "check digit does not match" in seen["first"] and BAD_RESIDENT not in seen["first"]
    assert seen["second"].strip() == "✓ ok"
    assert "nothing is sold" in seen["msg"]
    assert "not paid" in seen["back"]
    assert sold(terminal) == before


def test_the_basket_service_carries_customer_and_holders_into_each_request(terminal: Ctx) -> None:
    from boxoffice.domain.holders import holder_input

    gala = with_event(terminal, real_name=True)
    lines = [basket.BasketLine(gala, "standing", {"adult": 1})]
    slots = basket.holder_slots(terminal, lines)
    assert [(s["sale"], s["type_name"]) for s in slots] == [(0, slots[0]["type_name"])] and len(slots) == 1
    buyer = basket.customer(" Ann ", "ANN@example.org", "13800138000")
    buyer.holders = {0: [holder_input("Jane Doe", "passport", PASSPORT)]}
    pay_ = basket.with_buyer(basket.Payment([Tender("cash", 100_00)]), buyer)
    (req,) = basket.requests(terminal, lines, pay_)
    assert (req.customer_name, req.email, req.phone) == ("Ann", "ANN@example.org", "13800138000")
    assert req.holders == buyer.holders[0]
    with pytest.raises(BoxOfficeError) as bad:
        basket.customer("Ann", "not-an-address", None)
    assert bad.value.code == "bad_input"
