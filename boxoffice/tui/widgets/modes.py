"""The line of screen keys above the footer: F2 sale, F3 will-call, F4 door, F5 people, F9 switch, F10 lock.

The footer shows the keys of the screen in view, and at 80 columns it has no room left for the keys that change
screens; this line always has them, with the screen in view marked by brackets (a mark, not only a colour).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from boxoffice.i18n import N_, _

MODES: tuple[tuple[str, str, str], ...] = (
    ("F2", "sale", N_("Sale")),
    ("F3", "willcall", N_("Will-call")),
    ("F4", "door", N_("Door")),
    ("F5", "people", N_("People & money")),
)
ALWAYS: tuple[tuple[str, str], ...] = (("F9", N_("Switch")), ("F10", N_("Lock")), ("^Q", N_("Quit")))


class ModeBar(Static):
    """One line naming every screen's key; ``current`` is the mode shown in brackets."""

    DEFAULT_CSS = """
    ModeBar { dock: bottom; height: 1; margin-bottom: 1; background: $panel; color: $text; }
    """

    def __init__(self, current: str | None) -> None:
        super().__init__(self.line(current))

    @staticmethod
    def line(current: str | None) -> Text:
        """The keys as one line of text; the current mode bold and in brackets."""
        out = Text()
        for key, mode, label in MODES:
            if mode == current:
                out.append(f"[{key} {_(label)}]", style="bold reverse")
            else:
                out.append(f" {key} ", style="bold")
                out.append(f"{_(label)} ")
        for key, label in ALWAYS:
            out.append(f" {key} ", style="bold")
            out.append(_(label))
        return out
