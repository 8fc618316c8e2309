"""The full-screen counter's frame: it opens on the sale, the F-keys switch screens, the status bar says who is
at the desk. Driven through Textual's Pilot on a real terminal database."""

from __future__ import annotations

import asyncio

from boxoffice.services.context import Ctx
from boxoffice.tui.app import CounterApp
from boxoffice.tui.desk import Desk
from boxoffice.tui.widgets.status import StatusBar


def test_the_keys_switch_screens_and_the_status_bar_names_the_operator(terminal: Ctx) -> None:
    seen: list[str] = []

    async def drive() -> None:
        app = CounterApp(Desk(terminal))
        async with app.run_test(size=(80, 24)) as pilot:
            seen.append(type(app.screen).__name__)
            await pilot.press("f4")
            seen.append(type(app.screen).__name__)
            await pilot.press("f3")
            seen.append(type(app.screen).__name__)
            await pilot.press("f2")
            seen.append(type(app.screen).__name__)
            seen.append(str(app.screen.query_one(StatusBar).render()))

    asyncio.run(drive())
    assert seen[:4] == ["SaleScreen", "DoorScreen", "WillCallScreen", "SaleScreen"]
    assert "ada (admin)" in seen[4]
