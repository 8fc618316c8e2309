"""Screens the counter keeps between customers (the pay screen, the seat picker, the mode screens) are not
restyled each time they show; they must still be restyled when the theme or the stylesheet changed meanwhile."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets._footer import FooterKey
from tui_helpers import drive

from boxoffice.services.context import Ctx
from boxoffice.tui.app import CounterApp
from boxoffice.tui.screens.pay import PayScreen


async def open_pay(pilot: Pilot[None], section: tuple[str, ...] = ("s",)) -> PayScreen:
    """Two standing places in the basket (S goes to the standing section from the first), then P."""
    await pilot.press(*section, "plus", "plus", "a", "p")
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


def test_the_pay_screens_keys_are_shown_again_in_the_widgets_that_drew_them(terminal: Ctx) -> None:
    """Before and after each sale the pay screen shows other keys; each key keeps its widget (hidden meanwhile), so
    showing it again changes no widget's size. The words shown are the screen's keys every time."""
    seen: list[dict[str, Any]] = []

    def shown(app: CounterApp) -> dict[str, FooterKey]:
        keys = sorted((k for k in app.screen.query(FooterKey) if k.display), key=lambda k: k.region.x)
        return {k.description: k for k in keys}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        for section in (("s",), ()):  # after a sale the screen stays on the section sold from
            got: dict[str, Any] = {}
            await open_pay(pilot, section)
            await pilot.pause()
            got["before"] = shown(app)
            await pilot.press(*"100", "enter")
            await pilot.pause()
            got["after"] = shown(app)
            got["widgets"] = len(app.screen.query(FooterKey))
            await pilot.press("enter")
            seen.append(got)

    drive(terminal, steps)
    first, second = seen
    assert list(first["before"]) == ["Cash", "Card", "Split", "Comp", "Take payment", "Back"]
    assert list(first["after"]) == ["Next customer", "Back"]
    assert not set(first["before"].values()) & {first["after"]["Next customer"]}
    for state in ("before", "after"):
        assert list(second[state]) == list(first[state])
        assert all(second[state][words] is first[state][words] for words in first[state])
    assert second["widgets"] == first["widgets"]
