"""The questions the will-call screen asks before it acts: a note to confirm, a holder's ID, how many to hand out,
and how an unpaid order is paid. Each is a small modal that answers with a value (None when Escape cancels), so the
screen keeps the one flow that calls the services."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from boxoffice.i18n import N_, _
from boxoffice.tui.widgets.keys import KeysFooter

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; height: auto; border: thick $accent; background: $surface; padding: 1 2; }}
{name} Label {{ width: 100%; }}
{name} Input {{ margin-top: 1; }}
"""


class ConfirmNote(ModalScreen[bool]):
    """An order's note ("ID required") shown before anything is handed out: y goes on, n or Escape stops."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmNote")
    BINDINGS = [Binding("y", "answer(True)", N_("Yes, checked")), Binding("n,escape", "answer(False)", N_("No"))]

    def __init__(self, code: str, note: str, count: int) -> None:
        super().__init__()
        self.code, self.note, self.count = code, note, count

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("! NOTE on {code}: {note}").format(code=self.code, note=self.note), id="note")
            yield Label(_("Checked? Hand out {count} ticket(s): y yes, n no").format(count=self.count))
        yield KeysFooter()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class AskText(ModalScreen["str | None"]):
    """One line asked for (a holder's ID, how many tickets): Enter answers with it, Escape cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AskText")
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, question: str, placeholder: str = "", password: bool = False) -> None:
        super().__init__()
        self.question, self.placeholder, self.password = question, placeholder, password

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question")
            yield Input(placeholder=self.placeholder, password=self.password, id="answer")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class PayAnswer:
    """How the customer pays: cash handed over (text as typed), or a card's last four (the rest on the card)."""

    cash: str | None = None
    card: str | None = None


class PayDialog(ModalScreen["PayAnswer | None"]):
    """What an unpaid order owes, then cash handed over (Enter in the cash box) or a card's last four (Enter in the
    card box; Tab moves between them). Escape takes nothing."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PayDialog")
    BINDINGS = [Binding("escape", "cancel", N_("Take nothing"))]

    def __init__(self, code: str, total_text: str, currency: str) -> None:
        super().__init__()
        self.code, self.total_text, self.currency = code, total_text, currency

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("$ {code} owes {total} {currency}").format(code=self.code, total=self.total_text,
                                                                     currency=self.currency), id="owed")
            yield Label(_("Cash handed over (Enter), or Tab: card last 4 digits (Enter)"))
            yield Input(placeholder=_("cash, e.g. {total}").format(total=self.total_text), id="cash")
            yield Input(placeholder=_("card: last 4 digits"), id="card", max_length=4)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#cash", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value:
            return
        self.dismiss(PayAnswer(cash=value) if event.input.id == "cash" else PayAnswer(card=value))

    def action_cancel(self) -> None:
        self.dismiss(None)
