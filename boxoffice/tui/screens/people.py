"""People and money (F5): who is at the desk, their shift and drawer, the X report, the blind close, and a
supervisor's unlock or PIN reset. Each key is the same service call as `boxoffice shift ...` or `operator ...`.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from boxoffice.domain.clock import when_text
from boxoffice.domain.money import format_money, parse_amount
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services import shifts
from boxoffice.services.events import venue_tz
from boxoffice.tui.screens.base import DeskScreen
from boxoffice.tui.screens.login import DeskModal, SupervisorModal, refusal
from boxoffice.tui.text import ljust, rjust
from boxoffice.tui.widgets.keys import KeysFooter
from boxoffice.tui.widgets.status import ROLES


def report_text(z: shifts.ShiftReport) -> Text:
    """An X or Z report as the screen shows it: the same lines as on paper, headings in bold."""
    out = Text(_("{kind} REPORT ({currency})").format(kind=z["kind"], currency=z["currency"]) + "\n", style="bold")
    for label, value in shifts.report_lines(z):
        if value:
            out.append(f"  {ljust(label, 34)}{rjust(value, 16)}\n")
        else:
            out.append(f"{label}\n", style="bold")
    return out


class FloatModal(DeskModal):
    """Open a shift: the float counted into the drawer."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Open a shift"), classes="title")
            yield Label(_("Float in the drawer ({currency})").format(currency=shifts.currency(self.desk.ctx)))
            yield Input(id="float", placeholder=_("e.g. 150.00"))
            yield Static("", id="message", classes="message")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#float", Input).focus()

    def submit(self) -> None:
        ctx = self.desk.ctx
        try:
            row = shifts.open_shift(ctx, parse_amount(self.query_one("#float", Input).value or "0",
                                                      shifts.currency(ctx)))
        except BoxOfficeError as exc:
            self.say(refusal(exc))
            return
        self.dismiss(row)


class PeopleScreen(DeskScreen):
    """Who is here and their drawer. The keys: open a shift, X report, close (blind), unlock, reset a PIN."""

    MODE = "people"

    DEFAULT_CSS = """
    PeopleScreen #who { height: auto; padding: 0 1; text-style: bold; }
    PeopleScreen #shift { height: auto; padding: 0 1; }
    PeopleScreen #report-scroll { height: 1fr; padding: 0 1; }
    """
    SCOPED_CSS = False
    BINDINGS = [
        Binding("o", "open_shift", N_("Open shift")),
        Binding("x", "x_report", N_("X report")),
        Binding("c", "close_shift", N_("Close (count)")),
        Binding("u", "unlock", N_("Unlock")),
        Binding("r", "reset_pin", N_("Reset PIN")),
    ]

    def body(self) -> ComposeResult:
        yield Static("", id="who")
        yield Static("", id="shift")
        with VerticalScroll(id="report-scroll"):
            yield Static("", id="report")

    def on_mount(self) -> None:
        self.show_state()

    def on_screen_resume(self) -> None:  # the base class's handler runs as well (Textual calls both)
        self.show_state()

    def show_state(self) -> None:
        """The operator and their shift, read again (someone else may be at the desk now)."""
        op = self.desk.operator
        ctx = self.desk.ctx
        self.query_one("#who", Static).update(Text(_("At the desk: {name} ({role})").format(
            name=op["name"], role=_(ROLES.get(op["role"], op["role"]))) if op else _("LOCKED: nobody at the desk")))
        shift = shifts.current(ctx) if op else None
        if shift is None:
            line = Text(_("○ No shift open: o opens one with a float"), style="yellow")
        else:
            opened = when_text(shift["opened_at"], venue_tz(ctx))
            line = Text(_("● Shift open since {opened}, float {amount}").format(
                opened=opened, amount=format_money(shift["float"], shift["currency"])), style="green")
        self.query_one("#shift", Static).update(line)

    def show(self, text: Text | str) -> None:
        self.query_one("#report", Static).update(text)

    def action_open_shift(self) -> None:
        def opened(row: Any) -> None:
            self.show_state()
            if row:
                self.show(Text(_("✓ Shift open with a float of {amount}").format(
                    amount=format_money(row["float"], row["currency"])), style="bold green"))

        try:
            shifts.currency(self.desk.ctx)  # no venue yet: say so here rather than in an empty form
        except BoxOfficeError as exc:
            self.show(Text(refusal(exc), style="bold red"))
            return
        self.app.push_screen(FloatModal(self.desk), opened)

    def action_x_report(self) -> None:
        try:
            self.show(report_text(shifts.status(self.desk.ctx)))
        except BoxOfficeError as exc:
            self.show(Text(refusal(exc), style="bold red"))

    def action_close_shift(self) -> None:
        from boxoffice.tui.screens.count import CountModal

        if shifts.current(self.desk.ctx) is None:
            self.show(Text(_("✗ no shift open to close"), style="bold red"))
            return

        def closed(z: Any) -> None:
            self.show_state()
            if z:
                done = Text(_("✓ Shift closed. "), style="bold green")
                done.append((_("Z report saved to {path}").format(path=z["pdf"]) if z["pdf"]
                             else _("Z report not saved: {error}").format(error=z["pdf_error"])) + "\n\n")
                self.show(done + report_text(z))

        try:
            form = CountModal(self.desk)
        except BoxOfficeError as exc:  # a role that holds no drawer, say
            self.show(Text(refusal(exc), style="bold red"))
            return
        self.app.push_screen(form, closed)

    def _supervised(self, action: str) -> None:
        def done(row: Any) -> None:
            if row:
                said = _("✓ {name} unlocked (approved by {approver})") if action == "unlock" \
                    else _("✓ {name} has a new PIN (approved by {approver})")
                self.show(Text(said.format(name=row["name"], approver=row["approved_by"]), style="bold green"))

        self.app.push_screen(SupervisorModal(self.desk, action), done)

    def action_unlock(self) -> None:
        self._supervised("unlock")

    def action_reset_pin(self) -> None:
        self._supervised("reset")
