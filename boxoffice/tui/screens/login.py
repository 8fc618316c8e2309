"""Who is at the desk: log in, switch operator and lock without leaving the app, and a supervisor's unlock or PIN
reset for an operator locked out by wrong PINs.

Every check is the command line's (services/operators.py): the same lockout after wrong PINs, the same journal.
A PIN field never shows what is typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services import operators
from boxoffice.tui.desk import Desk
from boxoffice.tui.widgets.keys import KeysFooter

MODAL_CSS = """
DeskModal { align: center middle; }
DeskModal > Vertical { width: 64; height: auto; max-height: 22; border: thick $primary; padding: 0 1;
                       background: $surface; overflow-y: auto; }
DeskModal Input { height: 1; border: none; padding: 0 1; margin: 0 0 1 0; background: $boost; }
DeskModal Input:focus { border: none; background: $accent 40%; }
DeskModal .title { text-style: bold; margin: 0 0 1 0; }
DeskModal .message { height: auto; min-height: 1; }
DeskModal .error { color: $error; text-style: bold; }
DeskModal .ok { color: $success; text-style: bold; }
"""


def refusal(exc: BoxOfficeError) -> str:
    """A refusal as the screen says it: a cross beside the words, so it reads without the colour."""
    return _("✗ {message}").format(message=exc.message)


class DeskModal(ModalScreen[Any]):
    """A small form over the screen: fields in order, Enter moves on (and submits from the last), Esc cancels."""

    DEFAULT_CSS = MODAL_CSS
    SCOPED_CSS = False  # the rules name the modal classes themselves
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, desk: Desk, cancellable: bool = True) -> None:
        super().__init__()
        self.desk = desk
        self.cancellable = cancellable

    def say(self, text: str, ok: bool = False) -> None:
        """Show a message under the form (✗ refused, ✓ done)."""
        message = self.query_one("#message", Static)
        message.set_classes("message ok" if ok else "message error")
        message.update(text)

    def action_cancel(self) -> None:
        if self.cancellable:
            self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.cancellable
        return True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = [w for w in self.query(Input) if w.display]
        index = inputs.index(event.input)
        if index + 1 < len(inputs) and not inputs[index + 1].value:
            inputs[index + 1].focus()
        else:
            self.submit()

    def submit(self) -> None:
        """Act on the form (subclasses)."""


class LoginModal(DeskModal):
    """Name and PIN: logs in (the app locked or at start) or switches the operator at the desk."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel")), Binding("f6", "unlock", N_("Supervisor unlock"))]

    def __init__(self, desk: Desk, cancellable: bool = True, title: str = N_("Log in")) -> None:
        super().__init__(desk, cancellable)
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_(self.title_text), classes="title")
            yield Label(_("Name"))
            yield Input(id="name", placeholder=_("operator name"))
            yield Label(_("PIN"))
            yield Input(id="pin", password=True, placeholder=_("PIN (not shown)"))
            yield Static("", id="message", classes="message")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def submit(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        pin_input = self.query_one("#pin", Input)
        if not name:
            self.say(_("✗ type your name"))
            self.query_one("#name", Input).focus()
            return
        try:
            op = operators.login(self.desk.ctx, name, pin_input.value)
        except BoxOfficeError as exc:
            pin_input.value = ""
            self.say(refusal(exc) + (_("  (F6: a supervisor unlocks)") if exc.code == "locked" else ""))
            pin_input.focus()
            return
        pin_input.value = ""  # the PIN is not kept on screen, nor in memory, once it has done its work
        self.dismiss(op)

    def action_unlock(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        self.app.push_screen(SupervisorModal(self.desk, "unlock", name))


class SupervisorModal(DeskModal):
    """A supervisor (name and PIN) unlocks a locked-out operator, or gives them a new PIN."""

    def __init__(self, desk: Desk, action: str, operator: str = "") -> None:
        super().__init__(desk)
        self.job = action
        self.who = operator

    def compose(self) -> ComposeResult:
        reset = self.job == "reset"
        with Vertical():
            yield Label(_("Reset an operator's PIN") if reset else _("Unlock an operator"), classes="title")
            yield Label(_("Operator"))
            yield Input(self.who, id="operator", placeholder=_("who is locked out"))
            if reset:
                yield Label(_("New PIN for them"))
                yield Input(id="new_pin", password=True, placeholder=_("new PIN (not shown)"))
            yield Label(_("Supervisor"))
            yield Input(id="supervisor", placeholder=_("supervisor's name"))
            yield Label(_("Supervisor's PIN"))
            yield Input(id="supervisor_pin", password=True, placeholder=_("PIN (not shown)"))
            yield Static("", id="message", classes="message")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#supervisor" if self.who else "#operator", Input).focus()

    def submit(self) -> None:
        value = {i.id: i.value for i in self.query(Input)}
        who, supervisor = value["operator"].strip(), value["supervisor"].strip()
        approver = (supervisor, value["supervisor_pin"]) if supervisor else None
        try:
            if self.job == "reset":
                done = operators.reset_pin(self.desk.ctx, who, value["new_pin"], approver)
            else:
                done = operators.unlock(self.desk.ctx, who, approver)
        except BoxOfficeError as exc:
            self.query_one("#supervisor_pin", Input).value = ""
            self.say(refusal(exc))
            return
        self.dismiss(done)


def ask_login(app: App[Any], desk: Desk, *, cancellable: bool, title: str,
              then: Callable[[Any], None] | None = None) -> None:
    """Show the login form over whatever screen is up; the status bar below shows who logged in once it closes.
    ``then`` is called with the operator (None if cancelled) once the form is gone."""
    app.push_screen(LoginModal(desk, cancellable=cancellable, title=title), then)


def switch_operator(app: App[Any], desk: Desk) -> None:
    """Another operator takes the desk: their name and PIN; the one there stays until the new PIN is right."""
    ask_login(app, desk, cancellable=desk.operator is not None, title=N_("Switch operator"))


def lock(app: App[Any], desk: Desk) -> None:
    """End the session at the desk and ask for a login: nothing works until someone's PIN is right."""
    operators.logout(desk.ctx)
    ask_login(app, desk, cancellable=False, title=N_("Locked: log in"))
