"""Choosing seats at the full-screen counter: the seat map full screen, arrows and space (or a click) to choose,
b for the best block, Enter to take the seats, Escape to give them back. Every chosen seat is held for the basket
at once; what the screen did is checked in the database through the services."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App
from textual.containers import ScrollableContainer
from textual.widgets import Static

from boxoffice.domain import seating
from boxoffice.services import seat_holds
from boxoffice.services.context import Ctx
from boxoffice.services.seat_map import seating_rows, section_seats
from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.seat_pick import SeatPickScreen
from boxoffice.tui.widgets.seatmap import SeatMap

Drive = Callable[[Any, App[None]], Awaitable[None]]


def _pick(ctx: Ctx, event: str, drive: Drive, count: int = 2, basket: str = "basket-1") -> list[Any]:
    """Open the seat pick over a bare app, run ``drive(pilot, app)``; returns what the screen was dismissed with
    (empty when it is still open)."""
    result: list[Any] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(SeatPickScreen(Desk(ctx), event, "stalls", count, basket), result.append)

    async def run() -> None:
        app = Host()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await drive(pilot, app)
            await pilot.pause()

    asyncio.run(run())
    return result


def _held(ctx: Ctx, basket: str = "basket-1") -> list[str]:
    return [h["label"] for h in seat_holds.held(ctx, basket)]


def _text(app: App[None], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def test_arrows_and_space_choose_seats_held_at_once_and_enter_takes_them(terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    seen: dict[str, Any] = {}

    async def drive(pilot: Any, app: App[None]) -> None:
        seen["grid"] = _text(app, "#grid")
        await pilot.press("down", "right", "space", "right", "space")
        seen["held"] = _held(terminal)
        seen["info"] = _text(app, "#info")
        await pilot.press("right", "space")  # a third seat for two wanted: refused, said why
        seen["third"] = _text(app, "#info")
        await pilot.press("enter")

    result = _pick(terminal, gala, drive)
    assert "STAGE" in seen["grid"] and "legend" not in seen["grid"]
    assert seen["held"] == ["B2", "B3"]
    assert "Row B seat 3" in seen["info"] and "Chosen 2 of 2: B2, B3" in seen["info"]
    assert "2 chosen already" in seen["third"]
    assert result == [["B2", "B3"]] and _held(terminal) == ["B2", "B3"]  # still held: the basket sells them


def test_b_holds_the_best_block_without_stranding_a_seat_and_escape_gives_it_back(terminal: Ctx,
                                                                                  demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    expected = [s.label for s in seating.best_available(
        seating_rows(section_seats(terminal, gala, "stalls")), 3, allow_strand=False)]
    seen: dict[str, Any] = {}
    changes: list[list[str]] = []

    async def drive(pilot: Any, app: App[None]) -> None:
        app.screen.message_signal.subscribe(app, lambda m: changes.append(m.selected)
                                            if isinstance(m, SeatMap.Changed) else None)
        await pilot.press("b")
        seen["held"] = _held(terminal)
        await pilot.press("escape")

    result = _pick(terminal, gala, drive, count=3)
    assert seen["held"] == expected and len(expected) == 3
    assert changes and changes[-1] == expected
    assert result == [None] and _held(terminal) == []


def test_escape_keeps_what_the_basket_held_before_the_pick_opened(terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    seat_holds.hold(terminal, gala, "stalls", ["K1"], "basket-1")
    seen: dict[str, Any] = {}

    async def drive(pilot: Any, app: App[None]) -> None:
        seen["info"] = _text(app, "#info")
        await pilot.press("right", "space")  # the cursor opens on the basket's seat: K2 next to it
        seen["held"] = _held(terminal)
        await pilot.press("escape")

    result = _pick(terminal, gala, drive)
    assert "Row K seat 1: * chosen" in seen["info"] and seen["held"] == ["K1", "K2"]
    assert result == [None] and _held(terminal) == ["K1"]


def test_b_refuses_to_strand_a_single_seat_until_b_capital_allows_it(terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.sales import SaleRequest, sell

    gala = demo_events[0]
    # Leave only three seats free together anywhere in the front block: A1-A3 (all else in rows A-T sold or held).
    labels = [s["label"] for r in section_seats(terminal, gala, "stalls") for s in r["seats"]
              if s["state"] == "free" and s["label"] not in ("A1", "A2", "A3")]
    seat_holds.hold(terminal, gala, "stalls", labels, "elsewhere")
    seen: dict[str, Any] = {}

    async def drive(pilot: Any, app: App[None]) -> None:
        await pilot.press("b")
        seen["refused"] = _text(app, "#info")
        seen["held_b"] = _held(terminal)
        await pilot.press("B")
        seen["held_B"] = _held(terminal)
        await pilot.press("enter")

    result = _pick(terminal, gala, drive)
    assert "single seat" in seen["refused"] and "B allows it" in seen["refused"] and seen["held_b"] == []
    assert len(seen["held_B"]) == 2 and result == [seen["held_B"]]
    sold = sell(terminal, SaleRequest(event_id=gala, section_id="stalls", counts={"adult": 2}, seats=result[0],
                                      tenders=[Tender("card", card_last4="4242")], basket_id="basket-1"))
    assert sorted(f"{t['row']}{t['seat']}" for t in sold["tickets"]) == sorted(result[0])


def test_a_restricted_view_seat_chosen_by_a_click_is_warned_about(terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    seen: dict[str, Any] = {}

    async def drive(pilot: Any, app: App[None]) -> None:
        plan = app.screen.query_one(SeatMap).plan
        row_a = next(i for i, line in enumerate(plan.lines) if line.label == "A")
        col = plan.lines[row_a].seats[0][0]
        await pilot.click("#grid", offset=(plan.margin + col, 1 + row_a))
        seen["held"] = _held(terminal)
        seen["warning"] = _text(app, "#warning")

    _pick(terminal, gala, drive)
    assert seen["held"] == ["A1"]
    assert "RESTRICTED VIEW: A1" in seen["warning"]


def test_a_seat_another_basket_holds_is_marked_and_refused(terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    seat_holds.hold(terminal, gala, "stalls", ["B2"], "basket-2")
    seen: dict[str, Any] = {}

    async def drive(pilot: Any, app: App[None]) -> None:
        seen["row"] = next(line for line in _text(app, "#grid").splitlines()
                           if line.startswith("B "))
        await pilot.press("down", "right", "space")
        seen["info"] = _text(app, "#info")
        seen["legend"] = _text(app, "#legend")

    _pick(terminal, gala, drive)
    assert seen["row"].split()[2] == "+" and "+ held in a basket" in seen["legend"]
    assert "B2 is + held in a basket" in seen["info"] and _held(terminal) == []


def test_a_big_section_scrolls_to_the_cursor_at_80x24(terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    seen: dict[str, Any] = {}

    async def drive(pilot: Any, app: App[None]) -> None:
        scroll = app.screen.query_one("#scroll", ScrollableContainer)
        seen["before"] = scroll.scroll_y
        await pilot.press(*["down"] * 17)
        await pilot.pause()
        seen["after"] = scroll.scroll_y
        seen["info"] = _text(app, "#info")

    _pick(terminal, gala, drive)
    assert seen["before"] == 0 and seen["after"] > 0
    assert "Row T seat" in seen["info"]
