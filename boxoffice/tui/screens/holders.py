"""Real-name events (docs/real-name.md): before a basket with their places is paid, one holder a ticket.

Each line is checked by the same functions as `boxoffice sell --holder` (domain/holders.py, domain/customer_ids.py):
a name the rules allow, a document kind, a number that validates (a resident ID's birth date and check digit). A
wrong line is refused on that line with the service's message, which never repeats the number; nothing is sold
until every holder is valid and the payment is then taken. The numbers stay in memory only until the sale hashes
them.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Select, Static

from boxoffice.domain.holders import HolderInput, holder_input
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services import basket
from boxoffice.tui.screens.base import DeskScreen
from boxoffice.tui.widgets.keys import KeysFooter

KINDS = [(N_("resident ID"), "resident"), (N_("passport"), "passport"), (N_("other document"), "other")]

Holders = dict[int, list[HolderInput]]


class HoldersScreen(ModalScreen[Holders | None]):
    """One row a ticket: name, ID kind, number. Enter moves on (in the last number it checks them all); F10 checks
    them all; Esc goes back to the basket with nothing sold."""

    DEFAULT_CSS = """
    HoldersScreen { align: center middle; }
    HoldersScreen #holders { width: 78; height: 21; border: thick $warning; padding: 0 1; background: $surface; }
    HoldersScreen #holder-rows { height: 1fr; }
    HoldersScreen .holder-row { height: 3; }
    HoldersScreen .holder-name { width: 26; }
    HoldersScreen .holder-kind { width: 20; }
    HoldersScreen .holder-num { width: 1fr; }
    HoldersScreen .holder-err { height: auto; }
    HoldersScreen #holders-msg { height: 1; }
    """

    BINDINGS = [
        Binding("f10", "check", N_("Holders done: pay")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self, slots: list[basket.HolderSlot], previous: list[HolderInput] | None = None) -> None:
        super().__init__()
        self.slots = slots
        self.previous = previous if previous and len(previous) == len(slots) else None

    def compose(self) -> ComposeResult:
        with Vertical(id="holders"):
            yield Static(_("REAL-NAME · {count} ticket(s): each holder's name and ID document").format(
                count=len(self.slots)),
                         id="holders-title", markup=False)
            with VerticalScroll(id="holder-rows"):
                for i, s in enumerate(self.slots):
                    old = self.previous[i] if self.previous else None
                    yield Static(f"{i + 1}. {s['event_name']} · {s['section_name']} · {s['type_name']}",
                                 markup=False)
                    with Horizontal(classes="holder-row"):
                        yield Input(value=old.name if old else "", placeholder=_("holder's name"), id=f"h-name-{i}",
                                    classes="holder-name")
                        yield Select([(_(label), value) for label, value in KINDS],
                                     value=old.id_kind if old else "resident", allow_blank=False,
                                     id=f"h-kind-{i}", classes="holder-kind")
                        yield Input(value=old.id_number if old else "", placeholder=_("ID number"), id=f"h-num-{i}",
                                    classes="holder-num")
                    yield Static("", id=f"h-err-{i}", classes="holder-err", markup=False)
            yield Static("", id="holders-msg", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#h-name-0", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == f"h-num-{len(self.slots) - 1}":
            self.action_check()
        else:
            self.focus_next()

    def action_check(self) -> None:
        """Every line checked; any refusal is shown on its own line and nothing goes on to payment."""
        out: Holders = {}
        wrong = 0
        for i, slot in enumerate(self.slots):
            err = self.query_one(f"#h-err-{i}", Static)
            try:
                h = holder_input(self.query_one(f"#h-name-{i}", Input).value,
                                 str(self.query_one(f"#h-kind-{i}", Select).value),
                                 self.query_one(f"#h-num-{i}", Input).value)
            except BoxOfficeError as exc:
                wrong += 1
                err.update("  " + _("✗ {message}").format(message=exc.message))
                continue
            err.update("  " + _("✓ ok"))
            out.setdefault(slot["sale"], []).append(h)
        if wrong:
            self.query_one("#holders-msg", Static).update(
                _("✗ {count} holder(s) to correct: nothing is sold yet").format(count=wrong))
            return
        self.dismiss(out)

    def action_back(self) -> None:
        self.dismiss(None)


def ask_holders(screen: DeskScreen, lines: list[basket.BasketLine], buyer: basket.Buyer,
                then: Callable[[], None], say: Callable[[str], None]) -> bool:
    """Before paying: when the basket has places of a real-name event, ask their holders into ``buyer`` and then
    call ``then``; returns False (nothing asked, holders cleared) when it has none."""
    slots = basket.holder_slots(screen.desk.ctx, lines)
    if not slots:
        buyer.holders = {}
        return False
    per_sale = {s["sale"]: sum(1 for x in slots if x["sale"] == s["sale"]) for s in slots}
    same = {k: len(v) for k, v in buyer.holders.items()} == per_sale  # the same tickets as last asked: fill them in
    previous = [h for sale in sorted(buyer.holders) for h in buyer.holders[sale]] if same else None

    def named(holders: Holders | None) -> None:
        if holders is None:
            say(_("not paid: the real-name tickets need their holders first"))
            return
        buyer.holders = holders
        then()

    screen.app.push_screen(HoldersScreen(slots, previous), named)
    return True
