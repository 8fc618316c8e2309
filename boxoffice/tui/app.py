"""`boxoffice counter` full screen: the app that switches between the sale, will-call, door and people screens.

Each screen is a mode (Textual keeps one stack per mode), so going to the door and back leaves a half-built basket
where it was. The keys at the bottom name every mode; all of them work without a mouse.
"""

from __future__ import annotations

import gc
import os
from functools import partial

# Textual draws a change at its next frame tick, 60 a second unless TEXTUAL_FPS (its own setting, read when it is
# first imported) says otherwise: each key waited up to 17 ms for that tick, whatever its work. The counter draws
# only when something changed, so a quicker tick costs nothing at rest and takes most of that wait off every key.
os.environ.setdefault("TEXTUAL_FPS", "240")

from textual.app import App  # noqa: E402 - after the frame rate is set
from textual.binding import Binding

from boxoffice.i18n import N_
from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.base import DeskScreen


class CounterApp(App[None]):
    """The counter: F2 sale, F3 will-call, F4 door, F5 people and money, Ctrl+Q quit."""

    TITLE = "boxoffice counter"
    ENABLE_COMMAND_PALETTE = False  # every action has its key; the palette's corner would crowd the footer at 80x24
    BINDINGS = [
        Binding("f2", "switch_mode('sale')", N_("Sale"), show=False),
        Binding("f3", "switch_mode('willcall')", N_("Will-call"), show=False),
        Binding("f4", "switch_mode('door')", N_("Door"), show=False),
        Binding("f5", "switch_mode('people')", N_("People & money"), show=False),
        Binding("f9", "switch_operator", N_("Switch operator"), show=False),
        Binding("f10", "lock", N_("Lock"), show=False),
        Binding("ctrl+q", "quit", N_("Quit"), priority=True, show=False),
    ]

    def __init__(self, desk: Desk, start: str = "sale", *, settle_heap: bool = False) -> None:
        """``settle_heap``: once the first screen is drawn, collect and freeze what is alive (:func:`settle`); the
        counter the command starts does, a test's app does not (its objects must go when the test ends)."""
        super().__init__()
        self.desk = desk
        self.start = start
        self.settle_heap = settle_heap
        from boxoffice.tui.screens import door
        from boxoffice.tui.screens.people import PeopleScreen
        from boxoffice.tui.screens.sale import SaleScreen
        from boxoffice.tui.screens.willcall import WillCallScreen

        screens: dict[str, type[DeskScreen]] = {"sale": SaleScreen, "willcall": WillCallScreen,
                                                "door": door.DoorScreen, "people": PeopleScreen}
        for name, cls in screens.items():
            self.add_mode(name, partial(cls, self.desk))

    def on_mount(self) -> None:
        self.switch_mode(self.start)
        if self.desk.operator is None:  # nobody logged in: the login comes first, and the heap settles after it
            from boxoffice.tui.screens.login import ask_login

            ask_login(self, self.desk, cancellable=False, title=N_("Log in"), then=self._settle)
        else:
            self._settle()

    def _settle(self, _operator: object = None) -> None:
        """Settle the heap (:func:`settle`) once the first screen is drawn with nobody's login form left on it: a
        form frozen while it was up would never be freed, nor the PIN typed into it."""
        if self.settle_heap:
            self.call_after_refresh(settle)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While nobody is logged in, only logging in (and quitting) works: no screen behind the lock."""
        return self.desk.operator is not None or action == "quit"

    def action_switch_operator(self) -> None:
        """F9: another operator takes the desk, with their PIN, without leaving the app."""
        from boxoffice.tui.screens.login import switch_operator

        switch_operator(self, self.desk)

    def action_lock(self) -> None:
        """F10: end the session here and show the login."""
        from boxoffice.tui.screens.login import lock

        lock(self, self.desk)


def settle() -> None:
    """What is alive once the counter has drawn its first screen (Textual, the program's modules, the screens, the
    catalogue) lives as long as the counter. Python's full garbage collection walks all of it again every so often,
    50-180 ms here, and it lands on whatever key the operator pressed then. Collected once now, before the first
    key, then left out of every later collection (``gc.freeze``): those walk only what was made since."""
    gc.collect()
    gc.freeze()
