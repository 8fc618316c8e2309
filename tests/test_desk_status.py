"""The status bar's facts, read through the one service call the counter's bar makes: who is at the desk, the
shift, online or offline with the last sync's age (from the test clock), what is left of the central allocation,
failed print jobs and pauses in force. Then the bar itself: words for every state, within 80 columns."""

from __future__ import annotations

import asyncio
from typing import Any

from test_sales_kit import closed_port

from boxoffice.domain.ids import uuid7
from boxoffice.services import pauses, shifts
from boxoffice.services.allocations import apply_grant
from boxoffice.services.context import Ctx
from boxoffice.services.desk_status import DeskStatus, desk_status
from boxoffice.services.printing import queue_test, run_jobs
from boxoffice.store import sync_state
from boxoffice.store.db import write
from boxoffice.tui.app import CounterApp
from boxoffice.tui.desk import Desk
from boxoffice.tui.widgets.status import StatusBar, status_lines


def test_a_standalone_terminal_with_ada_at_the_desk(terminal: Ctx, demo_events: tuple[str, str]) -> None:
    st = desk_status(terminal, demo_events[0])
    assert (st["operator"], st["role"], st["shift_open"]) == ("ada", "admin", False)
    assert (st["sync"], st["sync_age_s"], st["allocation"]) == ("alone", None, None)
    assert (st["print_failed"], st["print_pending"], st["pauses"]) == (0, 0, [])


def test_shift_open_then_closed(terminal: Ctx) -> None:
    shifts.open_shift(terminal, 10000)
    assert desk_status(terminal)["shift_open"] is True
    shifts.close_shift(terminal, 10000)
    assert desk_status(terminal)["shift_open"] is False


def test_a_locked_desk_has_no_operator_and_no_shift(terminal: Ctx) -> None:
    from boxoffice.services.operators import logout

    shifts.open_shift(terminal, 0)
    logout(terminal)
    st = desk_status(terminal)
    assert (st["operator"], st["role"], st["shift_open"]) == (None, None, False)


def test_pauses_in_force_here_and_not_those_for_another_event(terminal: Ctx, demo_events: tuple[str, str]) -> None:
    gala, jazz = demo_events
    pauses.pause(terminal, "fire alarm", what="scans", event=gala)
    pauses.pause(terminal, "till fault", what="sales", terminal=terminal.terminal["id"])
    here = desk_status(terminal, gala)["pauses"]
    assert sorted((p["what"], p["scope"], p["reason"]) for p in here) == [("sales", "terminal", "till fault"),
                                                                         ("scans", "event", "fire alarm")]
    assert [p["reason"] for p in desk_status(terminal, jazz)["pauses"]] == ["till fault"]
    pauses.resume(terminal, what="sales", terminal=terminal.terminal["id"])
    assert [p["reason"] for p in desk_status(terminal, jazz)["pauses"]] == []


def test_a_failed_print_job_waits(terminal: Ctx) -> None:
    terminal.config.printer = f"tcp://127.0.0.1:{closed_port()}"
    job = queue_test(terminal)
    assert (desk_status(terminal)["print_pending"], desk_status(terminal)["print_failed"]) == (1, 0)
    assert [r["status"] for r in run_jobs(terminal, [job])] == ["failed"]
    st = desk_status(terminal)
    assert (st["print_pending"], st["print_failed"]) == (0, 1)


def test_what_is_left_of_the_central_allocation(terminal: Ctx, demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    with write(terminal.conn):
        apply_grant(terminal, {"id": uuid7(), "pos": 1, "event_id": gala, "section_id": "standing", "count": 5,
                               "seats": []})
        apply_grant(terminal, {"id": uuid7(), "pos": 2, "event_id": gala, "section_id": "stalls", "count": 2,
                               "seats": ["A1", "A2"]})
    left = {s["section_id"]: (s["left"], s["held"]) for s in desk_status(terminal, gala)["allocation"] or []}
    assert left == {"standing": (5, 5), "stalls": (2, 2)}
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.sales import SaleRequest, sell

    sell(terminal, SaleRequest(event_id=gala, section_id="standing", counts={"adult": 2},
                               tenders=[Tender("cash", 20000)], print_receipt=False))
    left = {s["section_id"]: s["left"] for s in desk_status(terminal, gala)["allocation"] or []}
    assert left == {"standing": 3, "stalls": 2}
    assert desk_status(terminal, demo_events[1])["allocation"] is None  # the jazz night is still this terminal's


def _enroll(ctx: Ctx) -> None:
    with write(ctx.conn):
        sync_state.enroll(ctx.conn, "https://central.example", "token", ctx.now_iso(),
                          {"key_id": "k", "public_key": "p"})


def test_online_offline_and_the_last_sync_age_from_the_clock(terminal: Ctx, clock: Any) -> None:
    _enroll(terminal)
    assert desk_status(terminal)["sync"] == "never"
    with write(terminal.conn):
        sync_state.record(terminal.conn, last_good_sync=clock.iso(), last_error=None)
    clock.advance(seconds=42)
    st = desk_status(terminal)
    assert (st["sync"], st["sync_age_s"], st["last_sync_at"]) == ("online", 42, sync_state.get(terminal.conn)
                                                                  ["last_good_sync"])
    clock.advance(minutes=10)
    assert (desk_status(terminal)["sync"], desk_status(terminal)["sync_age_s"]) == ("offline", 642)
    with write(terminal.conn):
        sync_state.record(terminal.conn, last_good_sync=clock.iso(), last_error=None)
        sync_state.record(terminal.conn, last_error="network: connection refused")
    st = desk_status(terminal)
    assert (st["sync"], st["sync_age_s"], st["sync_error"]) == ("offline", 0, "network: connection refused")


def _status(**changes: Any) -> DeskStatus:
    base: DeskStatus = {"terminal": "Counter 1", "operator": "ada", "role": "admin", "shift_open": True,
                        "event_id": "gala-1208", "sync": "online", "last_sync_at": None, "sync_age_s": 12,
                        "sync_error": None, "to_push": 0, "allocation": None, "print_failed": 0, "print_pending": 0,
                        "pauses": []}
    return base | changes  # type: ignore[return-value]


def test_the_bar_says_each_state_in_words_within_80_columns() -> None:
    calm = [line.plain for line in status_lines(_status())]
    assert calm == ["Counter 1 · ada (admin) · shift open · online 12s ago · printer ok"]
    busy = _status(operator=None, role=None, shift_open=False, sync="offline", sync_age_s=7200, to_push=31,
                   print_failed=2, allocation=[{"section_id": "stalls", "name": "Stalls", "left": 12, "held": 40},
                                               {"section_id": "grand", "name": "Grand Circle Boxes", "left": 0,
                                                "held": 4}],
                   pauses=[{"what": "sales", "scope": "all", "target": None, "reason": "evacuation of the foyer"}])
    lines = [line.plain for line in status_lines(busy)]
    text = " ".join(lines)
    assert len(lines) == 2 and all(len(line) <= 78 for line in lines)
    for word in ("LOCKED", "OFFLINE synced 2h ago, 31 to send", "PRINTER: 2 FAILED", "Stalls 12", "none",
                 "PAUSED sales (all)"):
        assert word in text, word
    never = " ".join(line.plain for line in status_lines(_status(sync="never", shift_open=False)))
    assert "OFFLINE never synced" in never and "NO SHIFT" in never
    assert "standalone" in status_lines(_status(sync="alone"))[0].plain


def test_the_bar_on_screen_refreshes_after_an_action(terminal: Ctx, demo_events: tuple[str, str]) -> None:
    seen: list[str] = []

    async def drive() -> None:
        app = CounterApp(Desk(terminal, demo_events[0]), start="sale")
        async with app.run_test(size=(80, 24)) as pilot:
            bar = app.screen.query_one(StatusBar)
            seen.append(str(bar.render()))
            pauses.pause(terminal, "fire alarm", what="sales")
            bar.refresh_status()
            await pilot.pause()
            seen.append(str(bar.render()))

    asyncio.run(drive())
    assert "ada (admin) · NO SHIFT · standalone · printer ok" in seen[0]
    assert "PAUSED sales (all): fire alarm" in seen[1]


def test_reading_the_status_is_a_handful_of_indexed_reads(terminal: Ctx, demo_events: tuple[str, str]) -> None:
    """The bar reads this every few seconds all evening: count the statements, and none walks a whole table."""
    _enroll(terminal)
    with write(terminal.conn):
        apply_grant(terminal, {"id": uuid7(), "pos": 1, "event_id": demo_events[0], "section_id": "standing",
                               "count": 5, "seats": []})
    pauses.pause(terminal, "fire alarm", what="scans")
    assert terminal.operator is not None  # the session is read once per context, not per status
    statements: list[str] = []
    terminal.conn.set_trace_callback(statements.append)
    try:
        desk_status(terminal, demo_events[0])
    finally:
        terminal.conn.set_trace_callback(None)
    assert len(statements) <= 8, statements
    for sql in statements:
        plan = [row[3] for row in terminal.conn.execute("EXPLAIN QUERY PLAN " + sql)]
        walks = [step for step in plan if step.startswith("SCAN") and "USING" not in step]
        assert not walks, (sql, plan)


def test_the_bar_reads_again_on_its_timer(terminal: Ctx, demo_events: tuple[str, str], monkeypatch: Any) -> None:
    from boxoffice.tui.widgets import status

    monkeypatch.setattr(status, "REFRESH_EVERY", 0.05)
    seen: list[str] = []

    async def drive() -> None:
        app = CounterApp(Desk(terminal, demo_events[0]), start="door")
        async with app.run_test(size=(80, 24)) as pilot:
            bar = app.screen.query_one(StatusBar)
            seen.append(str(bar.render()))
            shifts.open_shift(terminal, 0)  # as another command at this terminal would
            await pilot.pause(0.3)
            seen.append(str(bar.render()))

    asyncio.run(drive())
    assert "NO SHIFT" in seen[0] and "shift open" in seen[1]


def test_names_and_reasons_from_elsewhere_reach_the_bar_without_controls() -> None:
    hostile = _status(operator="Eve \x1b]0;pwned\x07", terminal="Till\u202e 2",
                      pauses=[{"what": "sales", "scope": "event", "target": "gala\x9b2J",
                               "reason": "doors \x9b31m\u202eclosed"}])
    text = "\n".join(line.plain for line in status_lines(hostile))
    assert "PAUSED sales" in text and "doors" in text and "Eve" in text
    assert not any(c in text for c in "\x1b\x07\x9b\u202e"), repr(text)
