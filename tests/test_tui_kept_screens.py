"""Screens the counter keeps between customers (the pay screen, the seat picker, the mode screens) are not
restyled each time they show; they must still be restyled when the theme or the stylesheet changed meanwhile."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from tui_helpers import drive

from boxoffice.services.context import Ctx
from boxoffice.tui.app import CounterApp
from boxoffice.tui.screens.pay import PayScreen


async def open_pay(pilot: Pilot[None]) -> PayScreen:
    """Two standing places in the basket, then P."""
    await pilot.press("s", "plus", "plus", "a", "p")
    screen = pilot.app.screen
    assert isinstance(screen, PayScreen)
    return screen


def test_the_pay_screen_shown_again_is_not_restyled_when_nothing_changed(terminal: Ctx) -> None:
    restyled: list[bool] = []

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        pay = await open_pay(pilot)
        await pilot.press("escape")  # back to the basket, nothing taken
        update_nodes = app.stylesheet.update_nodes

        def spy(nodes: Any, animate: bool = False) -> None:
            nodes = list(nodes)
            restyled.append(pay in nodes)
            update_nodes(nodes, animate=animate)

        app.stylesheet.update_nodes = spy  # type: ignore[method-assign]
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is pay

    drive(terminal, steps)
    assert not any(restyled)


def test_the_pay_screen_follows_a_theme_changed_while_it_was_not_shown(terminal: Ctx) -> None:
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        pay = await open_pay(pilot)
        seen["before"] = pay.query_one("#pay").styles.background
        await pilot.press("escape")
        app.theme = "textual-light" if app.current_theme.dark else "textual-dark"
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is pay
        box = pay.query_one("#pay")
        seen["shown"] = box.styles.background
        pay.update_node_styles(animate=False)  # what a full restyle gives
        seen["fresh"] = box.styles.background

    drive(terminal, steps)
    assert seen["shown"] == seen["fresh"] and seen["shown"] != seen["before"]
