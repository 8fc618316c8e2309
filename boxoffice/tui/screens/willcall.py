"""The will-call screen: find an order however the customer names it, see what is left, hand it out, take payment.

One search box takes what `boxoffice pickup find` takes (code, scanned QR, name with or without accents, e-mail,
phone digits). One match shows the order at once; several are listed to pick with the arrows and Enter. Handing out
and paying are the same service calls as `boxoffice pickup` and `boxoffice pickup pay`, so the journal, the drawer
and sync see no difference. Every refusal is shown with its reason on the message line, marked with a symbol as well
as a colour (✓ done, ✗ refused, ! look first, $ money owed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.tui.screens.base import DeskScreen
from boxoffice.tui.screens.willcall_dialogs import AskText, ConfirmNote, PayAnswer, PayDialog
from boxoffice.tui.text import fit, ljust, put

HOLD_S = 1 / 60  # at most a frame of Textual's clock: how long a search typed at the order holds the screen

# An order's or a ticket's state as the screen says it (the stored value is a code).
STATES = {"paid": N_("paid"), "unpaid": N_("unpaid"), "refunded": N_("refunded"), "part_refunded": N_("part refunded"),
          "revoked": N_("revoked"), "part_revoked": N_("part revoked"), "exchanged": N_("exchanged"),
          "valid": N_("valid")}


def state_text(state: str) -> str:
    return _(STATES[state]) if state in STATES else state


class OrderPanel(Static, can_focus=True):
    """The order found: who, which event, each ticket and whether it is out. Focused, Enter hands it all out.

    A character that is none of the screen's keys (a scanned code, a name typed) starts the next search with it,
    so the next customer's code goes straight in after the last one was handed out, with no Escape or / first.
    """

    async def on_key(self, event: events.Key) -> None:
        screen = self.screen
        if not isinstance(screen, WillCallScreen):
            return
        search = screen.query_one("#search", Input)
        if screen.focused is search:
            # A scanner's keys reach the app faster than it handles them: those sent on to the panel before its
            # first character moved the focus to the search box follow that character there, in order.
            event.stop()
            event.prevent_default()
            if event.key == "enter":
                await search.action_submit()
            elif event.is_printable and event.character:
                search.insert_text_at_cursor(event.character)
            return
        if event.key in _screen_keys():
            return
        if event.is_printable and event.character and event.character.strip():
            event.stop()
            event.prevent_default()
            screen.start_search(event.character)


class WillCallScreen(DeskScreen):
    """Will-call: / or s search, Enter hand out all, n hand out some, p take payment, Escape clear."""

    MODE = "willcall"

    DEFAULT_CSS = """
    WillCallScreen #search { margin: 0 1; }
    WillCallScreen #message { height: auto; padding: 0 1; }
    WillCallScreen #message.ok { color: $success; text-style: bold; }
    WillCallScreen #message.bad { color: $error; text-style: bold; }
    WillCallScreen #message.warn { color: $warning; text-style: bold; }
    WillCallScreen #results { height: 1fr; margin: 0 1; display: none; }
    WillCallScreen #order { height: 1fr; padding: 0 1; border: round $primary; display: none; }
    WillCallScreen #order:focus { border: round $accent; }
    """
    BINDINGS = [
        Binding("slash", "focus_search", N_("Search")),
        Binding("s", "focus_search", N_("Search"), show=False),
        Binding("enter", "give_all", N_("Hand out")),
        Binding("n", "give_some", N_("Some")),
        Binding("p", "pay", N_("Pay")),
        Binding("escape", "clear", N_("Clear")),
    ]

    code: str | None = None
    view: dict[str, Any] | None = None
    _held: ExitStack | None = None  # the app's frames held while a scanned search runs (start_search)

    def body(self) -> ComposeResult:
        yield Input(placeholder=_("Code, QR, name, e-mail or phone digits, then Enter"), id="search")
        yield Static("", id="message")
        yield OptionList(id="results")
        yield OrderPanel("", id="order")

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()

    # -- messages --------------------------------------------------------------------------------------------

    def say(self, text: str, tone: str = "") -> None:
        """The message line: ``tone`` ok, bad or warn colours it; the text carries its own symbol. What it shows
        already is left alone (a class set again restyles the line, a text written again lays the screen out)."""
        msg = self.query_one("#message", Static)
        if msg.classes != ({tone} if tone else set()):
            msg.set_classes(tone)
        put(msg, text)

    def refused(self, exc: BoxOfficeError) -> None:
        self.say(_("✗ REFUSED ({code}): {message}").format(code=exc.code, message=exc.message), "bad")

    # -- finding ---------------------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self.search(event.value)
        finally:
            self._release()

    def search(self, query: str) -> None:
        """Run the desk's search; one result is shown, several are listed to pick from."""
        from boxoffice.services.pickup import find

        try:
            out = find(self.desk.ctx, query)
        except BoxOfficeError as exc:
            self.refused(exc)
            return
        results = out["results"]
        if len(results) == 1:
            self.show(results[0]["code"], note=out["note"])
            return
        listing = self.query_one("#results", OptionList)
        listing.clear_options()
        listing.add_options([Option(_result_line(r), id=r["code"]) for r in results])
        listing.display = True
        self.query_one("#order", OrderPanel).display = False
        self.code, self.view = None, None
        self.say(_("{count} orders match: ↑↓ to choose, Enter to open").format(count=len(results)) +
                 (f" ({out['note']})" if out["note"] else ""), "warn" if out["note"] else "")
        listing.highlighted = 0
        listing.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.show(event.option.id)

    def show(self, code: str, note: str | None = None, said: tuple[str, str] | None = None) -> None:
        """Show one order and focus it, so Enter hands it out; ``said`` is the message line to show instead of the
        order's state (what was just done to it)."""
        from boxoffice.services.pickup import order_view

        try:
            self.view = order_view(self.desk.ctx, code)
        except BoxOfficeError as exc:
            if said is None:
                self.refused(exc)
            else:
                self.say(*said)
            return
        self.code = self.view["code"]
        self.query_one("#results", OptionList).display = False
        panel = self.query_one("#order", OrderPanel)
        panel.update(_order_text(self.view), layout=False)  # its size is the screen's (1fr), not its text's
        panel.display = True
        self._focus(panel)
        if said is not None:
            self.say(*said)
            return
        waiting = _waiting(self.view)
        if self.view["status"] == "unpaid":
            self.say(_("$ NOT PAID: press p to take payment for {code}, then Enter to hand it out").format(
                code=self.code), "warn")
        elif self.view["channel"] == "box_office":
            self.say(_("! {code} was sold at the window: its tickets were printed then").format(code=self.code), "warn")
        elif not waiting:
            out = [t for t in self.view["tickets"] if t["picked_up"]]
            who = _(" by {who} on {when}").format(who=out[0]["by"], when=out[0]["picked_up"]) \
                if out and out[0]["by"] else ""
            self.say(_("✗ ALL HANDED OUT{who}: nothing left on {code}; a supervisor can reprint "
                       "(boxoffice order reprint {code})").format(who=who, code=self.code), "bad")
        else:
            self.say(_("{count} ticket(s) to hand out: Enter all, n some").format(count=len(waiting))
                     + (f" ({note})" if note else ""),
                     "warn" if note else "")

    def _focus(self, widget: Widget) -> None:
        """Focus ``widget`` now, and show the keys that work there in the same frame. (``Widget.focus`` moves the
        focus a turn later and Textual shows the new keys only after the next refresh: a found order was drawn
        with the search box's two keys, then again a frame later with its five.)"""
        self.set_focus(widget)
        self.refresh_bindings()

    # -- handing out -----------------------------------------------------------------------------------------

    def action_give_all(self) -> None:
        if self._need_order():
            self.give()

    def action_give_some(self) -> None:
        if not self._need_order():
            return
        assert self.view is not None
        waiting = _waiting(self.view)
        shown = ", ".join(f"{t['place']} ({t['short']})" for t in waiting[:6])
        self.app.push_screen(AskText(_("How many of {count}? Or which, comma separated: {tickets}").format(
            count=len(waiting), tickets=shown), placeholder=_("e.g. 1, or F10,F11")), self._some_chosen)

    def _some_chosen(self, answer: str | None) -> None:
        if not answer or self.view is None:
            return
        if answer.isdigit():
            self.give(count=int(answer))
            return
        try:
            ids = [_ticket_for(self.view, part) for part in answer.split(",") if part.strip()]
        except BoxOfficeError as exc:
            self.refused(exc)
            return
        self.give(ticket_ids=ids)

    def give(self, ticket_ids: list[str] | None = None, count: int | None = None, holder_id: str | None = None,
             confirmed: bool = False) -> None:
        """Plan the pickup (asking for a holder's ID or the note's confirmation when the order needs one), then
        hand it out: the same calls as `boxoffice pickup`."""
        from boxoffice.services.pickup import pick_up, plan_pickup

        assert self.code is not None
        code = self.code
        last4, number = (holder_id, None) if holder_id and len(holder_id) == 4 else (None, holder_id)
        ctx = self.desk.ctx
        try:
            plan = plan_pickup(ctx, code, ticket_ids, count, id_last4=last4, id_number=number)
        except BoxOfficeError as exc:
            if exc.code == "holder_required":
                self.app.push_screen(
                    AskText(_("! {code} has real-name tickets: a holder's ID, its last 4 characters or the whole "
                              "number").format(code=code), placeholder=_("ID last 4 or number"), password=True),
                    lambda got: self.give(ticket_ids, count, got, confirmed) if got else None)
                return
            if exc.code == "unpaid":
                self.say(_("$ NOT PAID: {reason}. Press p to take payment first").format(
                    reason=re.split("[:：]", exc.message)[0]), "warn")
                return
            self.refused(exc)
            return
        if plan["notes"] and not confirmed:
            self.app.push_screen(ConfirmNote(code, plan["notes"], len(plan["chosen"])),
                                 lambda yes: self.give(ticket_ids, count, holder_id, True) if yes else
                                 self.say(_("! not handed out: the note on {code} was not confirmed").format(code=code),
                                          "warn"))
            return
        try:
            out = pick_up(ctx, code, ticket_ids=ticket_ids, count=count, confirmed=confirmed, id_last4=last4,
                          id_number=number)
        except BoxOfficeError as exc:
            self.refused(exc)
            return
        text = _("✓ HANDED OUT {count} ticket(s) of {order}: {places}").format(
            count=len(out["handed_out"]), order=out["order"], places=", ".join(out["places"]))
        if out["remaining"]:
            text += _("; {count} still to hand out").format(count=out["remaining"])
        if out["holder"]:
            text += _("; ID checked: {holder}").format(holder=out["holder"]["line"])
        failed = [r for r in out["print"] if r["status"] == "failed"]
        if failed:
            text += _(" ! NOT PRINTED ({error}): the job waits for print retry").format(error=failed[0]["error"])
        self.show(code, said=(text, "warn" if failed else "ok"))

    # -- paying ----------------------------------------------------------------------------------------------

    def action_pay(self) -> None:
        if not self._need_order():
            return
        from boxoffice.services.desk_payment import amount_due

        assert self.code is not None
        try:
            due = amount_due(self.desk.ctx, self.code)
        except BoxOfficeError as exc:
            self.refused(exc)
            return
        self.app.push_screen(PayDialog(due["code"], due["total_text"], due["currency"]),
                             lambda answer: self._paid(answer, due["currency"]))

    def _paid(self, answer: PayAnswer | None, currency: str) -> None:
        from boxoffice.services.desk_payment import pay_order, tenders
        from boxoffice.services.printing import run_jobs

        if answer is None or self.code is None:
            self.say(_("! nothing was taken"), "warn")
            return
        code = self.code
        try:
            out = pay_order(self.desk.ctx, code, tenders(answer.cash, [answer.card] if answer.card else [],
                                                         currency))
        except BoxOfficeError as exc:
            self.refused(exc)
            return
        run_jobs(self.desk.ctx, out["jobs"])
        change = _("  CHANGE {change}").format(change=out["change_text"]) \
            if any(p["tender"] == "cash" for p in out["payments"]) else ""
        paid = _("✓ PAID {order}: {total} {currency}{change}. Enter hands it out").format(
            order=out["order"], total=out["total_text"], currency=out["currency"], change=change)
        if out["outside_shift"]:
            from boxoffice.services.counter_replies import outside_shift_text

            self.show(code, said=(f"{paid}  ⚠ {outside_shift_text()}", "warn"))
            return
        self.show(code, said=(paid, "ok"))

    # -- the rest --------------------------------------------------------------------------------------------

    def _need_order(self) -> bool:
        if self.code is None or self.view is None:
            self.say(_("! find an order first: / to search"), "warn")
            return False
        return True

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear(self) -> None:
        """Forget the order on the screen and start a new search."""
        self.code, self.view = None, None
        search = self.query_one("#search", Input)
        search.value = ""
        # At once, not after the keys already waiting: a scanner's code sent right behind this key goes in the box.
        self._focus(search)
        self.query_one("#results", OptionList).display = False
        self.query_one("#order", OrderPanel).display = False
        self.say("")

    def start_search(self, first: str) -> None:
        """A new search whose box holds ``first`` already (the order panel passes on what was typed at it).

        A barcode scanner sends the rest of the code and its Enter right behind this character: the screen draws
        nothing until that search is done, or a frame's time has passed (a person typing a name sees the first
        character then). A frame drawn in between, the order gone and half a code in the box, was never seen, and
        made the frame with the next order wait for the next tick of Textual's 60-a-second frame clock."""
        if self._held is None:
            self._held = ExitStack()
            self._held.enter_context(self.app.batch_update())
            self.app.set_timer(HOLD_S, self._release)
        self.action_clear()
        self.query_one("#search", Input).insert_text_at_cursor(first)

    def _release(self) -> None:
        """Draw again (see :meth:`start_search`)."""
        if self._held is not None:
            held, self._held = self._held, None
            held.close()
            self.check_idle()


def _screen_keys() -> set[str]:
    """The keys the will-call screen binds (they keep their meaning on the order panel)."""
    return {key.strip() for b in WillCallScreen.BINDINGS if isinstance(b, Binding) for key in b.key.split(",")}


def _waiting(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in view["tickets"] if t["status"] == "valid" and not t["picked_up"]]


def _ticket_for(view: dict[str, Any], typed: str) -> str:
    """A waiting ticket by the end of its id or its place as shown (F10, Stalls F10)."""
    want = typed.strip().upper()
    found = [t for t in _waiting(view)
             if t["short"].upper().endswith(want) or t["place"].upper() == want
             or t["place"].upper().endswith(f" {want}")]
    if len(found) != 1:
        raise BoxOfficeError("bad_input" if found else "not_found",
                             (_("{typed} names more than one ticket still to hand out") if found
                              else _("{typed} names no ticket still to hand out")).format(typed=repr(typed.strip())))
    return str(found[0]["id"])


def _result_line(r: Mapping[str, Any]) -> str:
    state = (_("sold here") if r["channel"] == "box_office" else _("$ NOT PAID") if r["status"] == "unpaid"
             else _("✓ all out") if r["tickets"] and r["picked_up"] >= r["tickets"]
             else _("{out}/{count} out").format(out=r["picked_up"], count=r["tickets"]))
    # Cut and padded by screen cells: a Chinese name takes two columns a character, and the columns still line up.
    return f"{r['code']}  {fit(r['name'] or '', 24)} {fit(r['event'], 18)} {state}"


def _order_text(view: dict[str, Any]) -> str:
    waiting = _waiting(view)
    valid = [t for t in view["tickets"] if t["status"] == "valid"]
    status = _("$ NOT PAID") if view["status"] == "unpaid" else state_text(view["status"])
    lines = [f"{view['name'] or _('(no name)')}  ·  {view['code']}  ·  {view['event']}",
             _("{status}  ·  {count} ticket(s): {out} handed out, {left} left").format(
                 status=status, count=len(valid), out=len(valid) - len(waiting), left=len(waiting))]
    if view["notes"]:
        lines.append(_("! NOTE: {note}").format(note=view["notes"]))
    for t in view["tickets"]:
        if t["status"] != "valid":
            mark, when = "✗", state_text(t["status"])
        elif t["picked_up"]:
            mark, when = "✓", _("out {when}").format(when=t["picked_up"]) + (
                _(" by {who}").format(who=t["by"]) if t["by"] else "")
        else:
            mark, when = "·", _("waiting")
        lines.append(f" {mark} {ljust(t['place'], 16)} {fit(str(t['type']), 10)} {t['short']}  {when}")
    return "\n".join(lines)
