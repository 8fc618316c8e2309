"""What the counter's main screens look like at 80x24, compared with SVG snapshots a person has looked at.

A change to a screen's layout, words or marks shows here as a failing comparison; when the change is meant, look
at the new picture (pytest writes a report) and accept it with ``pytest tests/test_tui_snapshots.py
--snapshot-update``. Every screen runs on a real terminal database on the test clock, so nothing in them moves
between runs (no real time, no random code on screen).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from boxoffice.domain.tenders import Tender
from boxoffice.services.context import Ctx
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.tui.app import CounterApp
from boxoffice.tui.desk import Desk

Snap = Callable[..., bool]
GALA_EVENING = "2026-12-08T19:00:00Z"


def test_the_sale_screen_with_a_basket_quoted(terminal: Ctx, snap_compare: Snap) -> None:
    assert snap_compare(CounterApp(Desk(terminal)), press=["s", "plus", "plus", "down", "plus", "a"])


def test_the_seat_map_with_best_available_picked(terminal: Ctx, snap_compare: Snap,
                                                 demo_events: tuple[str, str]) -> None:
    assert snap_compare(CounterApp(Desk(terminal, demo_events[0])), press=["plus", "plus", "a", "b"])


def test_the_pay_screen_with_cash_and_the_change(terminal: Ctx, snap_compare: Snap) -> None:
    assert snap_compare(CounterApp(Desk(terminal)), press=["s", "plus", "plus", "a", "p", "1", "0", "0"])


def test_the_door_after_an_admit(terminal: Ctx, snap_compare: Snap, demo_events: tuple[str, str],
                                 clock: Any) -> None:
    gala = demo_events[0]
    sold = sell(terminal, SaleRequest(event_id=gala, section_id="standing", counts={"adult": 2},
                                      tenders=[Tender("cash", 20000)], print_receipt=False))
    clock.set(GALA_EVENING)

    async def scan(pilot: Pilot[None]) -> None:
        from textual import events
        from textual.keys import _character_to_key

        driver = pilot.app._driver
        assert driver is not None
        for ch in sold["tickets"][0]["token"]:
            driver.send_message(events.Key(ch if ch.isalnum() else _character_to_key(ch), ch))
        driver.send_message(events.Key("enter", "\r"))
        for _ in range(300):
            await pilot.pause(0.01)
            if pilot.app.screen.answers:  # type: ignore[attr-defined]
                break
        await pilot.pause()

    assert snap_compare(CounterApp(Desk(terminal, gala), start="door"), run_before=scan)


def test_the_blind_count_before_anything_expected_is_shown(terminal: Ctx, snap_compare: Snap) -> None:
    async def open_and_count(pilot: Pilot[None]) -> None:
        await pilot.press("f5", "o")
        await pilot.pause()
        await pilot.press("1", "0", "0", "enter")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("2", "enter")
        await pilot.pause()

    assert snap_compare(CounterApp(Desk(terminal)), run_before=open_and_count)


def test_switching_operator_asks_for_a_pin(terminal: Ctx, snap_compare: Snap) -> None:
    assert snap_compare(CounterApp(Desk(terminal)), press=["f9", "s", "a", "m"])


def test_will_call_with_several_orders_found(terminal: Ctx, snap_compare: Snap, demo_events: tuple[str, str],
                                       login: Any) -> None:
    from pickup_fixtures import Central, setup_desk, standard_orders

    central = Central.make()
    setup_desk(terminal, central, standard_orders(central, *demo_events))
    login(terminal, "sam")
    assert snap_compare(CounterApp(Desk(terminal), start="willcall"),
                        press=["escape", *"smi", "enter", "_"])  # several matches: the list to pick from
