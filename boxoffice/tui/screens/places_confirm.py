"""Before payment: the customer hears about restricted-view seats and wheelchair places, and says yes or no."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from boxoffice.i18n import N_, _
from boxoffice.tui.widgets.keys import KeysFooter


class PlacesConfirmScreen(ModalScreen[bool]):
    """A yes/no step: Y the customer agrees (go on to pay), N or Esc back to the basket."""

    DEFAULT_CSS = """
    PlacesConfirmScreen { align: center middle; }
    PlacesConfirmScreen #confirm { width: 70; height: auto; max-height: 18; border: thick $warning;
                                   padding: 1 2; background: $surface; }
    """

    BINDINGS = [
        Binding("y", "answer(True)", N_("Yes, the customer agrees")),
        Binding("n,escape", "answer(False)", N_("No")),
    ]

    def __init__(self, places: list[str]) -> None:
        super().__init__()
        self.places = places

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(_("⚠ Tell the customer before they pay:"), id="confirm-title")
            yield Static("\n".join(f"  • {p}" for p in self.places), id="confirm-places")
            yield Static(_("Does the customer agree?  Y yes  ·  N no"), id="confirm-ask")
        yield KeysFooter()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
