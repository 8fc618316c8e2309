"""The sale screen and the pay screen driven through Pilot on a real terminal: places into a basket, the quote on
screen before anything is taken, then cash, card, split or a comp, and the print after the sale."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Digits, Static

from boxoffice.services.context import Ctx
from boxoffice.services.events import list_events
from boxoffice.services.orders import order_details
from boxoffice.tui.app import CounterApp
from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.pay import PayScreen
from boxoffice.tui.screens.sale import SaleScreen


def text(app: CounterApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def drive(ctx: Ctx, steps: Callable[[CounterApp, Pilot[None]], Awaitable[None]], event_id: str | None = None) -> None:
    async def run() -> None:
        app = CounterApp(Desk(ctx, event_id=event_id))
        async with app.run_test(size=(80, 24)) as pilot:
            await steps(app, pilot)

    asyncio.run(run())


async def standing(pilot: Pilot[None], *keys: str) -> None:
    """Section 'standing' (the second of the demo's sections), then the keys that choose types and counts."""
    await pilot.press("s", *keys, "a")


def sold(ctx: Ctx) -> int:
    """Tickets sold across every event, as the event list counts them."""
    return sum(e["sold"] for e in list_events(ctx))


def file_printer(ctx: Ctx, path: Path) -> Path:
    ctx.config.values["printer"] = f"file://{path}"
    return path


def codes(app: CounterApp) -> list[str]:
    line = text(app, "#sold")
    return line.split("SOLD ", 1)[1].split(" · ", 1)[0].split(", ")


def test_a_cash_sale_shows_the_quote_first_then_the_change_large_and_prints(terminal: Ctx, tmp_path: Path) -> None:
    out = file_printer(terminal, tmp_path / "printer.bin")
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, SaleScreen)
        await standing(pilot, "plus", "plus", "down", "down", "plus")
        seen["basket"] = text(app, "#basket")
        seen["sold_before_pay"] = sold(terminal)
        await pilot.press("p")
        assert isinstance(app.screen, PayScreen)
        await pilot.press(*"100")
        seen["preview"] = text(app, "#cash-preview")
        await pilot.press("enter")
        seen["change"] = app.screen.query_one("#change", Digits).value
        seen["codes"] = codes(app)
        seen["prints"] = text(app, "#prints")
        await pilot.press("enter")
        seen["after"] = (type(app.screen).__name__, text(app, "#basket"), text(app, "#sale-msg"))

    drive(terminal, steps)
    basket = seen["basket"]
    assert "2 x Adult 22.50 = 45.00" in basket and "1 x Child 10.00 = 10.00  (-12.50)" in basket
    assert "TOTAL            55.00 GBP" in basket and "incl. tax         9.17" in basket
    assert "Discounts       -12.50" in basket
    assert seen["sold_before_pay"] == 0
    assert seen["preview"] == "change 45.00"
    assert seen["change"] == "45.00"
    order = order_details(terminal, seen["codes"][0])
    assert order["total_text"] == "55.00" and len(order["tickets"]) == 3
    assert [(p["tender"], p["amount"], p["change"]) for p in order["payments"]] == [("cash", "55.00", "45.00")]
    assert "✓ printed" in seen["prints"] and out.stat().st_size > 0
    assert seen["after"][0] == "SaleScreen" and "empty" in seen["after"][1] and "SOLD" in seen["after"][2]
