"""`boxoffice counter` full screen: the app that switches between the sale, will-call, door and people screens.

Each screen is a mode (Textual keeps one stack per mode), so going to the door and back leaves a half-built basket
where it was. The keys at the bottom name every mode; all of them work without a mouse.
"""

from __future__ import annotations

from functools import partial

from textual.app import App
from textual.binding import Binding

from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.base import DeskScreen


class CounterApp(App[None]):
    """The counter: F2 sale, F3 will-call, F4 door, F5 people and money, Ctrl+Q quit."""

    TITLE = "boxoffice counter"
    BINDINGS = [
        Binding("f2", "switch_mode('sale')", "Sale"),
        Binding("f3", "switch_mode('willcall')", "Will-call"),
        Binding("f4", "switch_mode('door')", "Door"),
        Binding("f5", "switch_mode('people')", "People & money"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, desk: Desk, start: str = "sale") -> None:
        super().__init__()
        self.desk = desk
        self.start = start
        from boxoffice.tui.screens import placeholder as p
        from boxoffice.tui.screens.willcall import WillCallScreen

        screens: dict[str, type[DeskScreen]] = {"sale": p.SaleScreen, "willcall": WillCallScreen,
                                                "door": p.DoorScreen, "people": p.PeopleScreen}
        for name, cls in screens.items():
            self.add_mode(name, partial(cls, self.desk))

    def on_mount(self) -> None:
        self.switch_mode(self.start)
