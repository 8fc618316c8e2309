"""People and money on the full screen, driven with Pilot: switch operator and lock with a PIN, a wrong PIN and a
lockout, a supervisor's unlock, opening a shift, the X report, and a blind close whose variance sue approves."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from boxoffice.domain.tenders import Tender
from boxoffice.services import shifts
from boxoffice.services.context import Ctx
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store.db import one
from boxoffice.tui.app import CounterApp
from boxoffice.tui.desk import Desk
from boxoffice.tui.widgets.status import StatusBar

Drive = Callable[[CounterApp, Any], Awaitable[None]]


def run(ctx: Ctx, drive: Drive, start: str = "people") -> None:
    async def main() -> None:
        app = CounterApp(Desk(ctx), start=start)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await drive(app, pilot)

    asyncio.run(main())


async def type_in(pilot: Any, text: str, enter: bool = True) -> None:
    await pilot.press(*list(text))
    if enter:
        await pilot.press("enter")
    await pilot.pause()


def shown(app: CounterApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def bar(app: CounterApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


def test_switch_from_ada_to_sam_with_a_wrong_pin_first(terminal: Ctx) -> None:
    seen: dict[str, Any] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        seen["before"] = bar(app)
        await pilot.press("f9")
        await pilot.pause()
        seen["modal"] = type(app.screen).__name__
        await type_in(pilot, "sam")
        await type_in(pilot, "9999")
        seen["wrong"] = shown(app, "#message")
        await type_in(pilot, "1111", enter=False)
        seen["typed_screen"] = app.export_screenshot()
        await pilot.press("enter")
        await pilot.pause()
        seen["after"] = bar(app)
        seen["screen"] = type(app.screen).__name__
        seen["who"] = shown(app, "#who")
        await pilot.press("f2")
        await pilot.pause()
        seen["sale_bar"] = bar(app)

    run(terminal, drive)
    assert "ada (admin)" in seen["before"] and seen["modal"] == "LoginModal"
    assert "wrong PIN for sam" in seen["wrong"] and "tries left" in seen["wrong"] and seen["wrong"].startswith("✗")
    assert "1111" not in seen["typed_screen"] and "sam" in seen["typed_screen"]  # the PIN typed is not shown
    assert "sam (seller)" in seen["after"] and seen["screen"] == "PeopleScreen" and "sam (seller)" in seen["who"]
    assert "sam (seller)" in seen["sale_bar"]  # every screen's bar names who is at the desk now
    assert terminal.operator is not None and terminal.operator["name"] == "sam"


def test_lock_then_nothing_works_until_a_pin_is_right(terminal: Ctx) -> None:
    seen: dict[str, Any] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        await pilot.press("f10")
        await pilot.pause()
        seen["locked"] = (type(app.screen).__name__, terminal.operator)
        await pilot.press("escape", "f2")  # neither leaves the login
        await pilot.pause()
        seen["still"] = type(app.screen).__name__
        await type_in(pilot, "sue")
        await type_in(pilot, "222222")
        seen["after"] = (type(app.screen).__name__, bar(app))

    run(terminal, drive)
    assert seen["locked"] == ("LoginModal", None) and seen["still"] == "LoginModal"
    assert seen["after"][0] == "PeopleScreen" and "sue (supervisor)" in seen["after"][1]


def test_at_start_with_nobody_logged_in_the_login_comes_first(terminal: Ctx) -> None:
    from boxoffice.services.operators import logout

    logout(terminal)
    seen: list[str] = []

    async def drive(app: CounterApp, pilot: Any) -> None:
        seen.append(type(app.screen).__name__)
        await type_in(pilot, "ada")
        await type_in(pilot, "123456")
        seen.append(type(app.screen).__name__)

    run(terminal, drive, start="sale")
    assert seen == ["LoginModal", "SaleScreen"]


def test_a_supervisor_unlocks_a_locked_out_operator(terminal: Ctx) -> None:
    seen: dict[str, Any] = {}
    limit = int(terminal.config.lock_after_failures)

    async def drive(app: CounterApp, pilot: Any) -> None:
        await pilot.press("f9")
        await pilot.pause()
        await type_in(pilot, "sam")
        for _ in range(limit):
            await type_in(pilot, "0000")
        seen["locked"] = shown(app, "#message")
        await type_in(pilot, "1111")
        seen["still_locked"] = shown(app, "#message")
        await pilot.press("f6")  # the supervisor's unlock, from the login itself
        await pilot.pause()
        seen["modal"] = type(app.screen).__name__
        await type_in(pilot, "sue")
        await type_in(pilot, "222222")
        seen["back"] = type(app.screen).__name__
        seen["unlocked"] = shown(app, "#message")
        await type_in(pilot, "1111")  # the login form is there again with sam's name: his PIN works now
        seen["after"] = bar(app) if type(app.screen).__name__ != "LoginModal" else shown(app, "#message")

    run(terminal, drive)
    assert "now locked" in seen["locked"] and "locked" in seen["still_locked"] and "F6" in seen["still_locked"]
    assert seen["modal"] == "SupervisorModal" and seen["back"] == "LoginModal"
    assert "sam (seller)" in seen["after"]
    entry = one(terminal.conn, "SELECT payload FROM journal WHERE kind = 'operator.unlock'")
    assert entry is not None


def test_a_pin_reset_by_a_supervisor_from_the_people_screen(terminal: Ctx) -> None:
    from boxoffice.services.operators import authenticate, logout

    logout(terminal)
    terminal.set_operator(None)
    seen: dict[str, Any] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        await type_in(pilot, "sam")
        await type_in(pilot, "1111")
        await pilot.press("r")
        await pilot.pause()
        await type_in(pilot, "pat")
        await type_in(pilot, "5678")
        await type_in(pilot, "sam")  # a seller cannot approve
        await type_in(pilot, "1111")
        seen["refused"] = shown(app, "#message")
        await pilot.press("shift+tab", "end", "ctrl+u")  # back to the supervisor's name, cleared
        await type_in(pilot, "sue")
        await type_in(pilot, "222222")
        seen["done"] = shown(app, "#report")

    run(terminal, drive)
    assert "sam (seller) may not reset operators' PINs" in seen["refused"]
    assert "pat has a new PIN (approved by sue)" in seen["done"]
    assert authenticate(terminal, "pat", "5678")["name"] == "pat"


def test_open_a_shift_see_the_x_report_and_close_blind_with_sues_approval(terminal: Ctx,
                                                                          demo_events: tuple[str, str]) -> None:
    from boxoffice.services.operators import login

    login(terminal, "sam", "1111")
    seen: dict[str, Any] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        seen["no_shift"] = shown(app, "#shift")
        await pilot.press("o")
        await pilot.pause()
        await type_in(pilot, "100")
        seen["open"] = shown(app, "#shift")
        sell(terminal, SaleRequest(demo_events[0], "standing", {"adult": 2}, [Tender("cash", 5000)]))
        await pilot.press("x")
        await pilot.pause()
        seen["x"] = shown(app, "#report")
        await pilot.press("c")
        await pilot.pause()
        seen["count_screen"] = str(app.screen.query_one("#running").render()) + \
            str(app.screen.query_one("#result").render())
        await type_in(pilot, "2")   # two 50s
        await type_in(pilot, "1")   # one 20: 120.00, 25.00 short
        seen["running"] = shown(app, "#running")
        await pilot.press("f8")
        await pilot.pause()
        seen["revealed"] = shown(app, "#result")
        await pilot.press("f8")   # no note, no supervisor: refused
        await pilot.pause()
        seen["refused"] = shown(app, "#message")
        await type_in(pilot, "two fives missing")
        await type_in(pilot, "sue")
        await type_in(pilot, "222222")
        seen["closed"] = shown(app, "#report")
        seen["shift_after"] = shown(app, "#shift")

    run(terminal, drive)
    assert "No shift open" in seen["no_shift"] and "Shift open since" in seen["open"] and "float 100.00" in seen["open"]
    # sam's own X report before the count is blind: what the drawer should hold shows only after it
    assert "X REPORT (GBP)" in seen["x"] and "Blind until" in seen["x"] and "145.00" not in seen["x"]
    assert "145.00" not in seen["count_screen"] and "Expected" not in seen["count_screen"]
    assert "Counted so far: 120.00" in seen["running"]
    assert "Expected: 145.00" in seen["revealed"] and "-25.00" in seen["revealed"] and "SHORT" in seen["revealed"]
    assert "needs a note" in seen["refused"]
    assert "Shift closed" in seen["closed"] and "Variance approved by" in seen["closed"] and "sue" in seen["closed"]
    assert "No shift open" in seen["shift_after"]
    z = one(terminal.conn, "SELECT * FROM shifts WHERE closed_at IS NOT NULL")
    assert (z["counted"], z["variance"], z["variance_note"]) == (12000, -2500, "two fives missing")
    assert shifts.current(terminal) is None


def test_a_count_left_open_is_not_the_next_operators(terminal: Ctx) -> None:
    from boxoffice.services import blind_close
    from boxoffice.services.operators import login

    login(terminal, "sam", "1111")
    shifts.open_shift(terminal, 1000)
    seen: dict[str, Any] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        await pilot.press("c")
        await pilot.pause()
        await type_in(pilot, "1", enter=False)
        await pilot.press("f9")  # the app's keys wait while a form is open: Esc first
        await pilot.pause()
        seen["f9"] = [type(s).__name__ for s in app.screen_stack]
        login(terminal, "sue", "222222")  # the session changes under the open form
        await pilot.press("f8")
        await pilot.pause()
        seen["then"] = (type(app.screen).__name__, shown(app, "#who"))

    run(terminal, drive)
    assert seen["f9"] == ["PeopleScreen", "CountModal"]
    assert seen["then"][0] == "PeopleScreen" and "sue (supervisor)" in seen["then"][1]
    login(terminal, "sam", "1111")
    assert blind_close.counted_of(terminal) is None  # sam's drawer was not counted under sue's name
