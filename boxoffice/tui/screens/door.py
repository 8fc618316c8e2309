"""The door: scan a ticket, and the whole screen answers ADMIT (green, ✔) or REFUSED (red, ✘) with the reason, the
ticket type, section and seat; a count of admitted against sold; the terminal bell on a refusal.

A keyboard-wedge scanner types the token and Enter into the scan box. Each scan goes to the door's group-commit
writer (services/door_writer.py, as the line-mode door): scans that arrive while a commit is on its way share the
next one, and an answer is shown only once its check-in is on disk. Answers are shown in the order scanned, however
fast they come, and the last few stay listed under the big one so a steward who looked away sees each.

While scans are outstanding the writer's thread owns the database connection, so this screen reads nothing else
(counts, status bar) until they are all answered, and closes the writer then: the other screens find the
connection free.
"""

from __future__ import annotations

import asyncio
from collections import deque
from concurrent.futures import Future
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from boxoffice.domain.shown import shown
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.door import DoorEvent, ScanAnswer, check_direction, door_event, stats
from boxoffice.services.door_writer import DoorWriter
from boxoffice.tui.screens.base import DeskScreen
from boxoffice.tui.text import crop, ljust
from boxoffice.tui.widgets.banner import banner
from boxoffice.tui.widgets.scan_input import ScanInput
from boxoffice.tui.widgets.status import StatusBar

RECENT = 4  # answers kept listed under the big one
BANNER_FROM_ROWS = 22  # a terminal this tall has room for the answer in letters five rows high

# result -> (symbol, word, css class); the word and symbol say it without the colour. The word is translated where
# shown; the letters five rows high stay the English word's (the font has Latin capitals only), the line under them
# says it in the language of the screen.
LOOKS = {
    "admit": ("✔", N_("ADMIT"), "admit"),
    "exit": ("⇦", N_("EXIT"), "exit"),
    "refused": ("✘", N_("REFUSED"), "refused"),
}


def facts_line(ans: dict[str, Any]) -> str:
    """Ticket type, section and seat as a steward reads them (what the answer knows of them)."""
    bits = []
    if ans.get("ticket_type"):
        bits.append(_("Type: {type}").format(type=shown(ans["ticket_type"])))
    if ans.get("section"):
        bits.append(_("Section: {section}").format(section=shown(ans["section"])))
        bits.append(_("Seat: {seat}").format(seat=shown(ans["seat"])) if ans.get("seat") else _("Standing"))
    return "   ".join(bits)


class DoorScreen(DeskScreen):
    """Scan box, the big answer, admitted against sold, and the last few answers; F6 switches entry and exit."""

    MODE = "door"

    BINDINGS = [
        Binding("f6", "toggle_exit", N_("In/out")),
        Binding("escape", "clear", N_("Clear"), show=False),  # said in the scan box's placeholder
    ]

    DEFAULT_CSS = """
    DoorScreen #door-mode { height: 1; padding: 0 1; text-style: bold; }
    DoorScreen #door-mode.exit-mode { background: $warning; color: black; }
    DoorScreen #scan { margin: 0 0; }
    DoorScreen #answer { height: 1fr; min-height: 5; content-align: center middle; text-align: center;
                         padding: 0 1; background: $panel; }
    DoorScreen #answer.admit { background: green; color: white; }
    DoorScreen #answer.exit { background: blue; color: white; }
    DoorScreen #answer.refused { background: red; color: white; }
    DoorScreen #counts { height: 1; padding: 0 1; text-style: bold; }
    DoorScreen #recent { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, desk: Any) -> None:
        super().__init__(desk)
        self._event: DoorEvent | None = None
        self._writer: DoorWriter | None = None
        self._pending: deque[tuple[str, Future[ScanAnswer]]] = deque()
        self._draining = False
        self.answers: list[dict[str, Any]] = []  # every answer shown this session, in order (newest last)

    def body(self) -> ComposeResult:
        with Vertical(id="door"):
            yield Static("", id="door-mode")
            yield ScanInput(placeholder=_("scan a ticket (or type it and Enter; Esc clears)"), id="scan")
            yield Static("", id="answer")
            yield Static("", id="counts")
            yield Static("", id="recent")

    def on_mount(self) -> None:
        self._load_event()
        self._show_mode()
        self._show_idle()
        self._refresh_counts()
        self.query_one("#scan", Input).focus()

    def on_screen_resume(self) -> None:
        before = self._event.id if self._event else None
        self._load_event()  # the sale screen may have put another event on the desk
        if self._event is not None and self._event.id != before:
            self._show_idle()  # the last answer was for another event
        self._show_mode()
        self._refresh_counts()
        self.query_one("#scan", Input).focus()

    def on_screen_suspend(self) -> None:
        self._close_writer()  # answers what is queued (milliseconds) so the next screen has the connection

    def on_unmount(self) -> None:
        self._close_writer()

    # --- the event and the direction ---------------------------------------------------------------------------

    def _load_event(self) -> None:
        if self._pending:
            return
        try:
            self._event = door_event(self.desk.ctx, self.desk.event_id)
        except BoxOfficeError as exc:
            self._event = None
            self._answer_panel("refused", N_("NO EVENT"), exc.message, "", bell=False)
            return
        self.desk.event_id = self._event.id
        if self.desk.exit_mode and not self._event.reentry:
            self.desk.exit_mode = False  # an event with no re-entry has no exit scans

    def _show_mode(self) -> None:
        mode = self.query_one("#door-mode", Static)
        name = shown(self._event.name) if self._event else _("no event")
        if self.desk.exit_mode:
            mode.update(Text(_("⇦ EXIT mode: scans let people out · {event}").format(event=name)))
        else:
            mode.update(Text(_("⇨ ENTRY mode: scans let people in · {event}").format(event=name)))
        mode.set_class(self.desk.exit_mode, "exit-mode")

    def action_toggle_exit(self) -> None:
        """Switch between entry and exit scans (exit only where the event lets people back in)."""
        if self._event is None:
            return
        if not self.desk.exit_mode:
            try:
                check_direction(self._event, "out")
            except BoxOfficeError as exc:
                self._answer_panel("refused", N_("NO EXIT MODE"), exc.message, "", bell=True)
                return
        self.desk.exit_mode = not self.desk.exit_mode
        self._show_mode()

    def action_clear(self) -> None:
        """Clear the scan box and the last answer (the next customer)."""
        self.query_one("#scan", Input).value = ""
        self._show_idle()

    # --- scanning ----------------------------------------------------------------------------------------------

    def on_input_submitted(self, message: Input.Submitted) -> None:
        """Queue the scan at once (the scanner may already be typing the next) and answer in order when durable."""
        message.stop()
        text = message.value
        if not text.strip():
            return
        if self._event is None:
            self._load_event()
            if self._event is None:
                return
        direction = "out" if self.desk.exit_mode else "in"
        if self._writer is None:
            self._writer = DoorWriter(self.desk.ctx)
        try:
            answer = self._writer.submit(self._event, text, direction)
        except BoxOfficeError as exc:  # the writer closed under us, or no exit scans here: nothing was recorded
            self._show_failure(exc.code, exc.message)
            return
        self.desk.notes["door_busy"] = True
        self._pending.append((text, answer))
        if not self._draining:
            self._draining = True
            self.run_worker(self._drain(), group="door-answers")

    async def _drain(self) -> None:
        """Show each answer in scan order once its commit is done; then give the connection back."""
        try:
            while self._pending:
                _ticket, answer = self._pending[0]
                try:
                    done = await asyncio.wrap_future(answer)
                except BoxOfficeError as exc:  # a pause, a permission, recovery: refused, nothing recorded
                    self._show_failure(exc.code, exc.message)
                except Exception as exc:  # noqa: BLE001 - the disk or database: never an ADMIT, say why
                    self._show_failure("not_recorded", _("scan not recorded: {error}").format(error=exc))
                else:
                    self._show_answer(done)
                self._pending.popleft()
        finally:
            self._draining = False
            self._close_writer()
        self._refresh_counts()
        self.query_one(StatusBar).refresh_status()

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if not self._pending:
            self.desk.notes["door_busy"] = False

    # --- what is shown -----------------------------------------------------------------------------------------

    def _show_answer(self, ans: ScanAnswer) -> None:
        symbol, word, _css = LOOKS[ans["result"]]
        refused = ans["result"] == "refused"
        reason = ans["message"] if refused else ""
        if not refused and not ans["seen_in_sync"]:
            reason = _("not seen in synced data: genuine signature, checked offline")
        if "flag" in ans:
            reason = (reason + " · " if reason else "") + _("order code shared by two orders: tell a supervisor")
        lines = [facts_line(dict(ans))]
        if "holder" in ans:  # a real-name event: the steward compares the holder with the ID document
            lines.append(_("HOLDER {holder}: compare with the ID document").format(holder=shown(ans["holder"]["line"])))
        self._answer_panel(ans["result"], word, reason, "\n".join(x for x in lines if x), bell=refused)
        self._remember({"result": ans["result"], "word": word, "symbol": symbol, "code": ans["code"],
                        "message": ans["message"], "place": ans["place"], "ticket_type": ans.get("ticket_type"),
                        "section": ans.get("section"), "seat": ans.get("seat"),
                        "holder": ans.get("holder", {}).get("line")})

    def _show_failure(self, code: str, message: str) -> None:
        self._answer_panel("refused", N_("REFUSED"), message, "", bell=True)
        self._remember({"result": "refused", "word": "REFUSED", "symbol": "✘", "code": code, "message": message,
                        "place": None, "ticket_type": None, "section": None, "seat": None, "holder": None})

    def _answer_panel(self, result: str, word: str, reason: str, facts: str, *, bell: bool) -> None:
        symbol, _word, css = LOOKS[result]
        text = Text(justify="center")
        big = banner(word) if self.app.size.height >= BANNER_FROM_ROWS else None
        if big is not None:
            text.append(big + "\n", style="bold")
        text.append(f"{symbol} {_(word)} {symbol}", style="bold reverse" if big is None else "bold")
        if reason:  # names and reasons may come from elsewhere (a central pause, a peer's sale): no controls
            text.append(f"\n{shown(reason)}")
        if facts:
            text.append(f"\n{facts}", style="bold")
        panel = self.query_one("#answer", Static)
        panel.update(text)
        for name in ("admit", "exit", "refused"):
            panel.set_class(name == css, name)
        if bell:
            self.app.bell()

    def _show_idle(self) -> None:
        panel = self.query_one("#answer", Static)
        if self._event is None:
            return  # the panel keeps saying why there is no event
        panel.update(Text(_("READY: scan a ticket") + "\n\n" + _("F6 switches entry and exit") if self._event.reentry
                          else _("READY: scan a ticket"), justify="center", style="bold"))
        for name in ("admit", "exit", "refused"):
            panel.remove_class(name)

    def _remember(self, answer: dict[str, Any]) -> None:
        self.answers.append(answer)
        recent = Text()
        for a in reversed(self.answers[-RECENT:]):
            where = " ".join(x for x in (a["section"], a["seat"], a["ticket_type"]) if x)
            tail = shown(a["message"] if a["result"] == "refused" else where)
            recent.append(("\n" if recent.plain else "") + crop(f"{a['symbol']} {ljust(_(a['word']), 7)} {tail}", 78))
        self.query_one("#recent", Static).update(recent)

    def _refresh_counts(self) -> None:
        if self._event is None or self._pending:
            return
        s = stats(self.desk.ctx, self._event.id)
        line = _("Admitted {admitted} of {sold} sold · in now {inside}").format(
            admitted=s["checked_in"], sold=s["tickets_here"], inside=s["in_now"])
        if self._event.reentry:
            line += _(" · exits {count}").format(count=s["exits"])
        line += _(" · refused {count}").format(count=s["refused"])
        self.query_one("#counts", Static).update(Text(line))
