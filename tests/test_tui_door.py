"""The full-screen door, driven through Textual's Pilot on a real terminal: tickets sold through the sale service
are scanned by typing them (as a keyboard-wedge scanner does) and the screen answers ADMIT or REFUSED with the type,
section and seat, rings the bell on a refusal, counts admitted against sold, and lets people out and back in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from boxoffice.domain.tenders import Tender
from boxoffice.services.context import Ctx
from boxoffice.services.door import stats
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.tickets.token import b45decode, b45encode
from boxoffice.tui.app import CounterApp
from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.door import DoorScreen

GALA_EVENING = "2026-12-08T19:00:00Z"  # doors open at 18:45
JAZZ_EVENING = "2026-12-15T20:00:00Z"  # the jazz night lets people out and back in


def sold(ctx: Ctx, event_id: str, section: str, n: int = 1) -> list[str]:
    out = sell(ctx, SaleRequest(event_id=event_id, section_id=section, counts={"adult": n},
                                tenders=[Tender("cash", 20000)], print_receipt=False))
    return [t["token"] for t in out["tickets"]]


def forged(token: str) -> str:
    raw = bytearray(b45decode(token))
    raw[-1] ^= 0x01  # one bit of the signature
    return b45encode(bytes(raw))


Drive = Callable[[CounterApp, Any], Coroutine[Any, Any, None]]


def run_door(ctx: Ctx, event_id: str, drive: Drive, bells: list[int]) -> CounterApp:
    """Open the counter on the door for ``event_id`` at 80x24, count the bells, and run ``drive``."""
    app = CounterApp(Desk(ctx, event_id), start="door")
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]

    async def go() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await drive(app, pilot)

    asyncio.run(go())
    return app


def wedge(app: CounterApp, *tokens: str) -> None:
    """Type each token and Enter as a keyboard-wedge scanner does: every key sent at once, none waiting for the
    screen (Pilot's press waits for the app to go idle after each key, which no scanner does)."""
    from textual import events
    from textual.keys import _character_to_key

    driver = app._driver
    assert driver is not None
    for t in tokens:
        for ch in t:
            key = ch if ch.isalnum() else _character_to_key(ch)
            driver.send_message(events.Key(key, ch))
        driver.send_message(events.Key("enter", "\r"))


async def scan(pilot: Any, *tokens: str) -> None:
    """Scan each token, one straight after the other, then wait until every answer is shown."""
    screen = pilot.app.screen
    assert isinstance(screen, DoorScreen)
    want = len(screen.answers) + len(tokens)
    wedge(pilot.app, *tokens)
    for _ in range(500):
        await pilot.pause(0.01)
        if len(screen.answers) >= want and not screen._draining:
            await pilot.pause()
            return
    raise AssertionError("the door never answered")


def shown(app: CounterApp, widget: str) -> str:
    return str(app.screen.query_one(widget).render())


@pytest.fixture
def gala_tokens(terminal: Ctx, demo_events: tuple[str, str], clock: Any) -> list[str]:
    tokens = sold(terminal, demo_events[0], "stalls", 2) + sold(terminal, demo_events[0], "standing", 1)
    clock.set(GALA_EVENING)
    return tokens


def test_admit_then_already_in_then_forged_with_the_bell(terminal: Ctx, demo_events: tuple[str, str],
                                                         gala_tokens: list[str]) -> None:
    bells: list[int] = []
    seen: dict[str, str] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        assert isinstance(app.screen, DoorScreen)
        seen["before"] = shown(app, "#counts")
        await scan(pilot, gala_tokens[0])
        seen["admit"] = shown(app, "#answer")
        seen["admit_bells"] = str(len(bells))
        seen["counts"] = shown(app, "#counts")
        await scan(pilot, gala_tokens[0])
        seen["again"] = shown(app, "#answer")
        seen["again_bells"] = str(len(bells))
        await scan(pilot, forged(gala_tokens[1]))
        seen["forged"] = shown(app, "#answer")
        seen["classes"] = " ".join(app.screen.query_one("#answer").classes)

    run_door(terminal, demo_events[0], drive, bells)
    assert "Admitted 0 of 3 sold" in seen["before"]
    assert "✔ ADMIT ✔" in seen["admit"]
    assert "Type: Adult" in seen["admit"] and "Section: Stalls" in seen["admit"] and "Seat: A" in seen["admit"]
    assert seen["admit_bells"] == "0"
    assert "Admitted 1 of 3 sold" in seen["counts"]
    assert "✘ REFUSED ✘" in seen["again"] and "already in since 19:00" in seen["again"]
    assert seen["again_bells"] == "1"
    assert "✘ REFUSED ✘" in seen["forged"] and "signature" in seen["forged"].lower()
    assert seen["classes"] == "refused" and len(bells) == 2
    s = stats(terminal, demo_events[0])
    assert (s["checked_in"], s["refused"]) == (1, 2)  # what the screen said is what the database holds


def test_scans_typed_fast_each_get_their_answer_in_order(terminal: Ctx, demo_events: tuple[str, str],
                                                         gala_tokens: list[str]) -> None:
    bells: list[int] = []
    seen: dict[str, Any] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        await pilot.press(*gala_tokens[0][:5])  # a person's keys reach the box too (Pilot waits after each)
        await pilot.press("escape")  # and Esc clears what was typed
        await scan(pilot, *gala_tokens, gala_tokens[2])  # four scans in one burst, the last a second time
        screen = app.screen
        assert isinstance(screen, DoorScreen)
        seen["answers"] = [(a["word"], a["section"], a["seat"]) for a in screen.answers]
        seen["recent"] = shown(app, "#recent")
        seen["counts"] = shown(app, "#counts")

    run_door(terminal, demo_events[0], drive, bells)
    words = [a[0] for a in seen["answers"]]
    assert words == ["ADMIT", "ADMIT", "ADMIT", "REFUSED"]
    assert seen["answers"][2][1:] == ("Standing", None) and seen["answers"][0][1] == "Stalls"
    assert seen["recent"].count("✔ ADMIT") == 3 and seen["recent"].count("✘ REFUSED") == 1
    assert "Admitted 3 of 3 sold" in seen["counts"] and len(bells) == 1


def test_exit_mode_then_reentry_and_the_counts(terminal: Ctx, demo_events: tuple[str, str], clock: Any) -> None:
    jazz = demo_events[1]
    t, other = sold(terminal, jazz, "standing", 2)
    clock.set(JAZZ_EVENING)
    bells: list[int] = []
    seen: dict[str, str] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        await scan(pilot, t)
        seen["in"] = shown(app, "#counts")
        await pilot.press("f6")
        seen["mode"] = shown(app, "#door-mode")
        clock.advance(minutes=30)
        await scan(pilot, t)
        seen["out"] = shown(app, "#answer")
        seen["out_counts"] = shown(app, "#counts")
        await scan(pilot, other)  # never came in: nothing to let out
        seen["not_in"] = shown(app, "#answer")
        await pilot.press("f6")
        seen["mode_back"] = shown(app, "#door-mode")
        clock.advance(minutes=10)
        await scan(pilot, t)
        seen["back_in"] = shown(app, "#answer")
        seen["back_counts"] = shown(app, "#counts")

    run_door(terminal, jazz, drive, bells)
    assert "Admitted 1 of 2 sold · in now 1" in seen["in"]
    assert "EXIT mode" in seen["mode"]
    assert "⇦ EXIT ⇦" in seen["out"] and "Section: Standing" in seen["out"]
    assert "in now 0 · exits 1" in seen["out_counts"]
    assert "✘ REFUSED ✘" in seen["not_in"] and "nothing to let out" in seen["not_in"]
    assert "ENTRY mode" in seen["mode_back"]
    assert "✔ ADMIT ✔" in seen["back_in"]
    assert "Admitted 1 of 2 sold · in now 1 · exits 1" in seen["back_counts"] and len(bells) == 1
    s = stats(terminal, jazz)
    assert (s["entries"], s["exits"], s["in_now"]) == (2, 1, 1)


def test_no_exit_mode_where_the_event_has_no_reentry(terminal: Ctx, demo_events: tuple[str, str],
                                                     gala_tokens: list[str]) -> None:
    bells: list[int] = []
    seen: dict[str, str] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        await pilot.press("f6")
        seen["answer"] = shown(app, "#answer")
        seen["mode"] = shown(app, "#door-mode")

    run_door(terminal, demo_events[0], drive, bells)
    assert "no re-entry" in seen["answer"] and "ENTRY mode" in seen["mode"]


def test_a_real_name_ticket_shows_its_holder_to_compare_with_the_id(terminal: Ctx, clock: Any, login: Any) -> None:
    from realname_kit import LI, make_real_name, sell_named

    gala = make_real_name(terminal)
    token = sell_named(terminal, gala, LI)["tickets"][0]["token"]
    clock.set(GALA_EVENING)
    login(terminal, "dan")  # the door's own operator
    seen: dict[str, str] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        await scan(pilot, token)
        seen["answer"] = shown(app, "#answer")
        seen["bar"] = shown(app, "StatusBar")

    run_door(terminal, gala, drive, [])
    assert "✔ ADMIT ✔" in seen["answer"]
    assert "HOLDER 李小明 · ID ****002X: compare with the ID document" in seen["answer"]
    assert "dan (door)" in seen["bar"]


def test_paused_scans_are_refused_on_screen_and_nothing_is_admitted(terminal: Ctx, demo_events: tuple[str, str],
                                                                    gala_tokens: list[str]) -> None:
    from boxoffice.services.pauses import pause

    pause(terminal, "crush at the barrier", what="scans", event=demo_events[0])
    bells: list[int] = []
    seen: dict[str, str] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        await scan(pilot, gala_tokens[0])
        seen["answer"] = shown(app, "#answer")
        seen["bar"] = shown(app, "StatusBar")

    run_door(terminal, demo_events[0], drive, bells)
    assert "✘ REFUSED ✘" in seen["answer"] and "crush at the barrier" in seen["answer"]
    assert "PAUSED scans (gala-1208): crush at the barrier" in seen["bar"] and bells == [1]
    assert stats(terminal, demo_events[0])["checked_in"] == 0


def test_with_no_event_today_the_door_says_which_to_choose(terminal: Ctx) -> None:
    seen: dict[str, str] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        seen["answer"] = shown(app, "#answer")
        wedge(app, "ANYTHING")
        await pilot.pause(0.1)
        seen["after"] = shown(app, "#answer")
        seen["mode"] = shown(app, "#door-mode")

    app = CounterApp(Desk(terminal, None), start="door")  # the test clock's morning: no event today

    async def go() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await drive(app, pilot)

    asyncio.run(go())
    assert "NO EVENT" in seen["answer"] and "--event" in seen["answer"]
    assert seen["after"] == seen["answer"] and "no event" in seen["mode"]


def test_a_scan_the_disk_did_not_take_is_never_shown_as_admit(terminal: Ctx, demo_events: tuple[str, str],
                                                             gala_tokens: list[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from boxoffice.services import door_writer

    def full_disk(*_: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(door_writer, "scan_group", full_disk)
    bells: list[int] = []
    seen: dict[str, str] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        await scan(pilot, gala_tokens[0])
        seen["answer"] = shown(app, "#answer")

    run_door(terminal, demo_events[0], drive, bells)
    assert "✘ REFUSED ✘" in seen["answer"] and "scan not recorded: database or disk is full" in seen["answer"]
    assert bells == [1] and stats(terminal, demo_events[0])["checked_in"] == 0


def test_leaving_the_door_mid_burst_answers_every_scan_and_frees_the_desk(terminal: Ctx, demo_events: tuple[str, str],
                                                                          gala_tokens: list[str]) -> None:
    seen: dict[str, Any] = {}

    async def drive(app: CounterApp, pilot: Any) -> None:
        door = app.screen
        assert isinstance(door, DoorScreen)
        wedge(app, *gala_tokens)
        await pilot.press("f2")  # off to the sale screen while the scans are being answered
        seen["sale"] = type(app.screen).__name__
        await pilot.press("f4")
        await pilot.pause(0.2)
        seen["answers"] = [a["word"] for a in door.answers]
        seen["busy"] = app.desk.notes.get("door_busy")
        seen["writer"] = door._writer
        seen["counts"] = shown(app, "#counts")

    run_door(terminal, demo_events[0], drive, [])
    assert seen["sale"] == "SaleScreen" and seen["answers"] == ["ADMIT"] * 3
    assert seen["busy"] is False and seen["writer"] is None  # the connection is the desk's again
    assert "Admitted 3 of 3 sold" in seen["counts"]
