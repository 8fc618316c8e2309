"""The blind close on screen: count the drawer note by note, coin by coin, and only then see what it should hold.

Step one shows the notes and coins of the venue's currency (domain/denominations.py) and a running total of what
was counted, never the expected cash. Enter on the last line (or F8) keeps the count (services/blind_close.py):
from then on it does not change. Step two shows counted, expected and the variance; a variance needs a note and a
supervisor's name and PIN before the shift closes. A count kept earlier (the screen was left) starts at step two.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from boxoffice.domain.denominations import denominations
from boxoffice.domain.money import format_money, parse_amount
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services import blind_close, shifts
from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.login import DeskModal, refusal
from boxoffice.tui.text import rjust
from boxoffice.tui.widgets.keys import KeysFooter

PIECES = {"note": N_("{amount} notes"), "coin": N_("{amount} coins")}  # a denomination as the count form says it

COUNT_CSS = """
CountModal > Vertical { width: 70; }
CountModal #pieces { height: auto; max-height: 13; }
CountModal .piece { height: 1; }
CountModal .piece Label { width: 16; }
CountModal .piece Input { width: 10; margin: 0; }
CountModal #running { margin: 1 0 0 0; text-style: bold; }
CountModal #result { height: auto; margin: 0 0 1 0; }
"""


class CountModal(DeskModal):
    """Count (step one), then see and explain the variance (step two); dismissed with the Z report once closed."""

    DEFAULT_CSS = DeskModal.DEFAULT_CSS + COUNT_CSS
    BINDINGS = [Binding("escape", "cancel", N_("Cancel")), Binding("f8", "done", N_("Count done / close")),
                Binding("enter", "done", N_("Close"), show=False)]

    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        self.currency = shifts.currency(desk.ctx)
        self.denoms = denominations(self.currency)
        self.kept = blind_close.counted_of(desk.ctx)
        self.owner = desk.operator["id"] if desk.operator else None

    def same_operator(self) -> bool:
        """Whether whoever opened this count is still at the desk (F9 or F10 may have changed that): the count
        and the close are theirs, never the next person's, so the form closes if not."""
        now = self.desk.operator["id"] if self.desk.operator else None
        if now != self.owner:
            self.dismiss(None)
            return False
        return True

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Close the shift: count the drawer"), classes="title")
            with VerticalScroll(id="pieces"):
                if self.denoms:
                    for value, kind in self.denoms:
                        with Horizontal(classes="piece"):
                            amount = rjust(format_money(value, self.currency), 8)
                            yield Label(_(PIECES[kind]).format(amount=amount) if kind in PIECES
                                        else f"{amount} {kind}s")
                            yield Input(id=f"v{value}", placeholder="0", restrict=r"[0-9]*", max_length=6)
                else:
                    with Horizontal(classes="piece"):
                        yield Label(_("Total ({currency})").format(currency=self.currency))
                        yield Input(id="total", placeholder="0.00")
            yield Static("", id="running")
            yield Static("", id="result")
            yield Label(_("Why the drawer differs"), classes="explain")
            yield Input(id="note", placeholder=_("e.g. change given twice"), classes="explain")
            yield Label(_("Supervisor approving"), classes="explain")
            yield Input(id="supervisor", placeholder=_("supervisor's name"), classes="explain")
            yield Label(_("Supervisor's PIN"), classes="explain")
            yield Input(id="supervisor_pin", password=True, placeholder=_("PIN (not shown)"), classes="explain")
            yield Static("", id="message", classes="message")
        yield KeysFooter()

    def on_mount(self) -> None:
        for w in self.query(".explain"):
            w.display = False
        if self.kept is not None:
            self.reveal()
        else:
            self.query_one("#pieces Input", Input).focus()
            self.show_running()

    # -- step one: the count --------------------------------------------------------------------------------------

    def typed_count(self) -> tuple[int | None, dict[int, int] | None]:
        """(total, None) or (None, pieces) as typed so far; refuses what is not a number."""
        if not self.denoms:
            text = self.query_one("#total", Input).value.strip() or "0"
            return parse_amount(text, self.currency), None
        return None, {v: int(self.query_one(f"#v{v}", Input).value or 0) for v, _label in self.denoms}

    def show_running(self) -> None:
        try:
            total, pieces = self.typed_count()
        except BoxOfficeError as exc:
            self.say(refusal(exc))
            return
        counted = total if total is not None else sum(v * n for v, n in (pieces or {}).items())
        self.query_one("#running", Static).update(_("Counted so far: {amount}").format(
            amount=format_money(counted, self.currency)))

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.kept is None and event.input.id and event.input.id[0] in "vt":
            self.show_running()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.kept is None:
            inputs = list(self.query("#pieces Input").results(Input))
            index = inputs.index(event.input)
            if index + 1 < len(inputs):
                inputs[index + 1].focus()
            else:
                self.action_done()
            return
        super().on_input_submitted(event)

    def action_done(self) -> None:
        if not self.same_operator():
            return
        if self.kept is None:
            try:
                total, pieces = self.typed_count()
                self.kept = blind_close.count_drawer(self.desk.ctx, total, pieces)
            except BoxOfficeError as exc:
                self.say(refusal(exc))
                return
            self.reveal()
        else:
            self.submit()

    # -- step two: what it should hold, and the variance ----------------------------------------------------------

    def reveal(self) -> None:
        try:
            seen = blind_close.reveal(self.desk.ctx)
        except BoxOfficeError as exc:
            self.say(refusal(exc))
            return
        self.query_one("#pieces").display = False  # the count is kept: it no longer changes
        m = lambda v: format_money(v, self.currency)  # noqa: E731
        pieces = ", ".join(f"{p['label']} x{p['pieces']}" for p in (self.kept["pieces"] if self.kept else []))
        self.query_one("#running", Static).update(_("Counted: {amount} (kept)").format(amount=m(seen["counted"]))
                                                  + (f"\n{pieces}" if pieces else ""))
        variance = seen["variance"]
        if variance == 0:
            verdict = Text(_("✓ MATCHES: the drawer holds what it should"), style="bold green")
        else:
            said = _("✗ OVER by {amount}: a note and a supervisor are needed") if variance > 0 else \
                _("✗ SHORT by {amount}: a note and a supervisor are needed")
            verdict = Text(said.format(amount=m(abs(variance))), style="bold red")
        self.query_one("#result", Static).update(Text.assemble(_("Expected: {expected}   Variance: {variance}").format(
            expected=m(seen["expected"]), variance=m(variance)) + "\n", verdict))
        self.say(_("Enter or F8 closes the shift") if variance == 0 else "", ok=True)
        if variance:
            for w in self.query(".explain"):
                w.display = True
            self.query_one("#note", Input).focus()
        else:
            self.focus_next()

    def submit(self) -> None:
        """Close the shift on the kept count, with the note and the supervisor if the drawer differs."""
        if not self.same_operator():
            return
        value = {i.id: i.value for i in self.query(Input)}
        supervisor = value["supervisor"].strip()
        try:
            z = shifts.close_shift(self.desk.ctx, note=value["note"] or None,
                                   supervisor=(supervisor, value["supervisor_pin"]) if supervisor else None)
        except BoxOfficeError as exc:
            self.query_one("#supervisor_pin", Input).value = ""
            self.say(refusal(exc))
            return
        self.dismiss(z)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return True
