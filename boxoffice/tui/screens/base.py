"""The base every counter screen builds on: it knows the desk and shows the status bar and the keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen

from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.kept import KeptStyles
from boxoffice.tui.widgets.keys import KeysFooter


class DeskScreen(KeptStyles, Screen[None]):
    """A full screen of the counter. Subclasses compose their body in :meth:`body`."""

    TITLE = ""
    MODE: str | None = None  # the app mode this screen is (its key is marked in the mode bar)

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk

    def compose(self) -> ComposeResult:
        from boxoffice.tui.widgets.modes import ModeBar
        from boxoffice.tui.widgets.status import StatusBar

        yield StatusBar(self.desk)
        yield from self.body()
        yield KeysFooter()
        yield ModeBar(self.MODE)

    def on_screen_suspend(self) -> None:
        """A form or the pay screen opened on top: the screen keys do not reach through it, so the line naming
        them goes until this screen is back (a key shown must be a key that works)."""
        from boxoffice.tui.widgets.modes import ModeBar

        for bar in self.query(ModeBar):
            bar.display = False

    def on_screen_resume(self) -> None:
        """Back on this screen (another mode, or a login closed): the status bar may name someone else now."""
        from boxoffice.tui.widgets.modes import ModeBar
        from boxoffice.tui.widgets.status import StatusBar

        for keys in self.query(ModeBar):
            keys.display = True
        for bar in self.query(StatusBar):
            bar.refresh_status()

    def body(self) -> ComposeResult:
        """The screen's own widgets, between the status bar and the keys."""
        yield from ()
