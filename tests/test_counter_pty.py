"""`boxoffice counter` as a volunteer meets it: the real installed command on a pseudo-terminal, driven key by key,
Ctrl-C included."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest
from pickup_fixtures import Central, query, setup_desk, standard_orders

GALA_EVENING = "2026-12-08T19:00:00Z"
BOXOFFICE = Path(sys.executable).parent / "boxoffice"


@pytest.fixture
def desk(terminal, demo_events, clock, login) -> dict[str, dict]:  # noqa: ANN001
    central = Central.make()
    orders = standard_orders(central, *demo_events)
    setup_desk(terminal, central, orders)
    clock.set(GALA_EVENING)
    login(terminal, "sue")
    return orders


def spawn(terminal, *args: str) -> pexpect.spawn:  # noqa: ANN001
    env = dict(os.environ, BOXOFFICE_DB=str(terminal.config.db_path), BOXOFFICE_PIN="222222",
               BOXOFFICE_NOW=GALA_EVENING, PYTHONIOENCODING="utf-8", COLUMNS="200")
    child = pexpect.spawn(str(BOXOFFICE), ["counter", "--plain", *args], env=env, encoding="utf-8", timeout=20,
                          dimensions=(50, 200))
    child.expect("sue at the desk")
    return child


def prompt(child: pexpect.spawn, text: str) -> None:
    child.expect(re.escape(text))


def test_a_desk_evening_through_a_pseudo_terminal(terminal, desk) -> None:  # noqa: ANN001
    assert BOXOFFICE.exists()
    child = spawn(terminal, "--event", "gala-1208")
    zoe, wang = desk["zoe"]["code"], desk["wang"]["code"]
    try:
        prompt(child, "desk> ")
        child.sendline(zoe.lower())  # typed at the keyboard, lower case
        child.expect("Zoë O'Brien")
        child.expect("Enter: hand out 3 ticket")
        prompt(child, f"desk {zoe}> ")
        child.sendline("")  # Enter hands it out
        child.expect(f"HANDED OUT {zoe}: 3 ticket\\(s\\): Stalls F10, Stalls F11, Stalls F12")
        prompt(child, "desk> ")

        child.sendline(desk["wang"]["tickets"][0]["token"])  # scanned from the customer's phone
        child.expect("NOTE: ID required")
        prompt(child, f"desk {wang}> ")
        child.sendline("")
        prompt(child, "NOTE: ID required - checked? [y/N] ")
        child.sendintr()  # Ctrl-C at the question: nothing handed out
        child.expect("cancelled: nothing was handed out")
        prompt(child, f"desk {wang}> ")
        assert query(terminal, "SELECT count(*) FROM pickups p JOIN orders o ON o.id = p.order_id "
                               "WHERE o.code = ?", (wang,)) == [(0,)]
        child.sendline("p 1")
        prompt(child, "checked? [y/N] ")
        child.sendline("y")
        child.expect(f"HANDED OUT {wang}: 1 ticket")
        child.expect("1 ticket\\(s\\) still to hand out later")

        child.sendline("s standing adult=2 cash 50")
        child.expect("SOLD ([A-Z0-9]{4}-[A-Z0-9]{4})  2 ticket\\(s\\)  total 45.00 GBP")
        sold = child.match.group(1)
        child.expect("CHANGE 5.00")

        child.sendline("d")
        child.expect("door mode for Winter Gala")
        prompt(child, "door IN Winter Gala> ")
        child.sendline(desk["strasse"]["tickets"][0]["token"])
        child.expect("ADMIT  Stalls G5")
        child.sendline(desk["strasse"]["tickets"][0]["token"])
        child.expect("REFUSED: already in since 19:00")
        child.sendline(desk["jazz"]["tickets"][0]["token"])
        child.expect("REFUSED: ticket is for Late Night Jazz")
        prompt(child, "door IN Winter Gala> ")

        child.sendintr()
        child.expect("Ctrl-C again \\(or q\\) to quit")
        child.sendintr()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert query(terminal, "SELECT count(*) FROM pickups") == [(4,)]
    assert query(terminal, "SELECT channel FROM orders WHERE code = ?", (sold,)) == [("box_office",)]
    assert query(terminal, "SELECT result FROM checkins ORDER BY rowid") == [
        ("admitted",), ("already_checked_in",), ("wrong_event",)]


def test_q_and_ctrl_d_quit_and_refusals_keep_the_desk_running(terminal, desk) -> None:  # noqa: ANN001
    child = spawn(terminal)
    try:
        prompt(child, "desk> ")
        child.sendline(desk["anna"]["code"])
        child.expect("NOT PAID: take payment first")
        child.sendline("p")
        child.expect("is not paid")
        child.sendline("nobody at all")
        child.expect("nothing matches")
        child.sendline("q")
        child.expect("bye")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    child = spawn(terminal, "--door")
    try:
        prompt(child, "door IN Winter Gala> ")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert query(terminal, "SELECT count(*) FROM pickups") == [(0,)]


def test_a_burst_of_scans_is_answered_line_by_line_in_order(terminal, desk) -> None:  # noqa: ANN001
    child = spawn(terminal, "--door")
    t1, t2 = desk["strasse"]["tickets"][0]["token"], desk["zoe"]["tickets"][1]["token"]
    try:
        prompt(child, "door IN Winter Gala> ")
        child.send(f"{t1}\n{t2}\n{t1}\n")  # one write: what a scanner's buffer delivers
        child.expect("ADMIT  Stalls G5")
        child.expect("ADMIT  Stalls F11")
        child.expect("REFUSED: already in since 19:00")
        prompt(child, "door IN Winter Gala> ")
        child.sendline("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert query(terminal, "SELECT result FROM checkins ORDER BY rowid") == [
        ("admitted",), ("admitted",), ("already_checked_in",)]


def _until(child: pexpect.spawn, text: str, seen: list[str], timeout: float = 30) -> None:
    """Read the screen as drawn (escape sequences taken out) until ``text`` has appeared."""
    import contextlib
    import time

    deadline = time.monotonic() + timeout
    drawn = ""
    while time.monotonic() < deadline:
        with contextlib.suppress(pexpect.TIMEOUT):
            seen.append(child.read_nonblocking(100000, timeout=0.5))
        drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]", "", "".join(seen))
        if text in drawn:
            seen.clear()
            return
    raise AssertionError(f"never drawn: {text!r}; last drawn: {drawn[-1500:]!r}")


def test_the_full_screen_counter_logs_in_switches_and_quits_on_a_real_terminal(terminal, demo_events) -> None:  # noqa: ANN001
    """On a terminal, `boxoffice counter` is the full screen. Evening came after the morning's session ran out, so
    it asks who is at the desk first; then the status bar names them, F4 shows the door, Ctrl+Q quits with status 0
    and nothing was sold or left half-done."""
    import time

    from boxoffice.services.events import list_events

    before = [e["sold"] for e in list_events(terminal)]
    env = dict(os.environ, BOXOFFICE_DB=str(terminal.config.db_path), TERM="xterm-256color",
               BOXOFFICE_NOW=GALA_EVENING, PYTHONIOENCODING="utf-8")
    child = pexpect.spawn(str(BOXOFFICE), ["counter", "--event", demo_events[0]], env=env, encoding="utf-8",
                          timeout=30, dimensions=(24, 80))
    seen: list[str] = []
    try:
        _until(child, "Log in", seen)
        for keys in ("sam", "\r", "1111", "\r"):  # Enter moves from the name to the PIN, then logs in
            child.send(keys)
            time.sleep(0.3)
        _until(child, "sam (seller)", seen)
        child.send("\x1bOS")  # F4 as an xterm sends it
        _until(child, "ENTRY", seen)  # the door's mode line
        child.send("\x11")  # Ctrl+Q
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert [e["sold"] for e in list_events(terminal)] == before
