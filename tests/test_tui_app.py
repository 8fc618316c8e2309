"""The full-screen counter's frame: it opens on the sale, the F-keys switch screens, the status bar says who is
at the desk. Driven through Textual's Pilot on a real terminal database."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

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


def test_the_mode_bar_names_every_screen_key_and_marks_the_one_in_view(terminal: Ctx) -> None:
    from boxoffice.tui.widgets.modes import ModeBar

    lines: list[str] = []

    async def drive() -> None:
        app = CounterApp(Desk(terminal))
        async with app.run_test(size=(80, 24)) as pilot:
            lines.append(str(app.screen.query_one(ModeBar).render()))
            await pilot.press("f4")
            lines.append(str(app.screen.query_one(ModeBar).render()))

    asyncio.run(drive())
    for key in ("F2 Sale", "F3 Will-call", "F4 Door", "F5 People & money", "F9 Switch", "F10 Lock", "^Q Quit"):
        assert key in lines[0] and key in lines[1]
    assert "[F2 Sale]" in lines[0] and "[F4 Door]" not in lines[0]
    assert "[F4 Door]" in lines[1] and "[F2 Sale]" not in lines[1]
    assert all(len(line) <= 80 for line in lines)


async def frozen_once_settled(pilot: Any) -> int:
    """How many objects are frozen once the app has had its time to settle (up to 3 s on a busy machine)."""
    for _ in range(150):
        if gc.get_freeze_count():
            break
        await pilot.pause(0.02)
    return gc.get_freeze_count()


def test_the_counter_freezes_what_lives_as_long_as_it_once_its_first_screen_is_drawn(terminal: Ctx) -> None:
    """The command's counter (settle_heap) leaves its start-up objects out of later full collections, which took
    50-180 ms on a key; an app made without it (a test's) freezes nothing."""
    frozen: list[int] = []

    async def drive(settle_heap: bool) -> None:
        app = CounterApp(Desk(terminal), settle_heap=settle_heap)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.1)
            frozen.append(await frozen_once_settled(pilot) if settle_heap else gc.get_freeze_count())
            await pilot.press("f3")  # the counter goes on working after it
            frozen.append(gc.get_freeze_count())
            assert type(app.screen).__name__ == "WillCallScreen"

    assert gc.get_freeze_count() == 0
    try:
        asyncio.run(drive(settle_heap=False))
        assert frozen == [0, 0]
        asyncio.run(drive(settle_heap=True))
        assert frozen[2] > 10_000 and frozen[3] > 10_000  # (some of them freed by their count meanwhile)
    finally:
        gc.unfreeze()


def test_with_nobody_logged_in_the_heap_settles_only_once_the_login_form_is_gone(terminal: Ctx) -> None:
    """A login form frozen while it was up would never be freed, nor the PIN typed into it."""
    from boxoffice.services.operators import logout
    from boxoffice.tui.screens.login import LoginModal

    logout(terminal)
    seen: list[tuple[str, int]] = []

    async def drive() -> None:
        app = CounterApp(Desk(terminal), settle_heap=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.2)  # time enough for a settling after the first screen, which must not come
            seen.append((type(app.screen).__name__, gc.get_freeze_count()))
            assert isinstance(app.screen, LoginModal)
            await pilot.press(*"ada", "enter", *"123456", "enter")
            count = await frozen_once_settled(pilot)
            seen.append((type(app.screen).__name__, count))

    try:
        asyncio.run(drive())
    finally:
        gc.unfreeze()
    assert seen[0] == ("LoginModal", 0)
    assert seen[1][0] == "SaleScreen" and seen[1][1] > 10_000
