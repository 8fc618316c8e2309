"""The counter: what a desk left running all evening does with each line typed or scanned. No I/O here.

`boxoffice counter` reads a line, hands it to :meth:`Counter.handle`, and shows the :class:`Reply`. Keeping the
rules here (and the terminal, screen and Ctrl-C in cli/) means the whole dialogue can be driven and tested line by
line, and the process keeps one open database and warm caches (keys, events) for hours.

Two modes, desk (pickup and walk-up sales) and door (check-in): HELP below lists what each takes.

Every action is one service call and so one transaction: it is done, or nothing of it is. A question (an order's
"ID required" note) is answered on the next line: y hands out, anything else cancels.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boxoffice.domain.card_numbers import mask_card_numbers
from boxoffice.domain.numbers import is_whole, parse_whole
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.services.counter_replies import (
    Line,
    Reply,
    door_reply,
    handout_state,
    outside_shift_text,
    print_lines,
)
from boxoffice.services.quick_sale import parse_sale

__all__ = ["Counter", "Line", "Reply", "parse_sale"]  # what the screens and tests take from here

if TYPE_CHECKING:
    from boxoffice.services.door_writer import DoorWriter

# What `h` shows: the commands of each mode (translated where shown).
HELP = N_("""\
desk (pickup and walk-up sales)
    CODE, scanned ticket, name, e-mail, phone digits   find the order; one match comes up, several are numbered
    1..N                    pick one of a numbered list
    Enter or p              hand out the order on screen (all tickets still waiting)
    p N                     hand out N of them (the rest later)
    s SECTION TYPE=N... PAY quick sale for the counter's event, e.g.  s standing adult=2 cash 50
                            PAY is  cash AMOUNT  |  card LAST4  |  card LAST4:AMOUNT  (several allowed)
                            a real-name event: then one  / NAME,KIND,NUMBER  a ticket (docs/real-name.md)
    e EVENT                 the event for sales and the door
door (check-in)
    scanned ticket          ADMIT or REFUSED: why
    x                       exit mode on/off (where the event allows re-entry)
both
    d  switch desk/door     h or ?  this help     q  quit
    a  alerts in force now (sales rate, refunds, refused scans, failed prints, stock)""")
YES = {"y", "yes", "j", "ja", "o", "oui", "s", "si", "sí"}
SEVERITIES = {"critical": N_("CRITICAL"), "major": N_("MAJOR"), "minor": N_("MINOR")}
_LONGEST_WORD = len("help")  # the longest command word: a longer line at the door is a scan


@dataclass
class _Pending:
    question: str
    action: Callable[[], Reply]


class Counter:
    """The state of one desk: its mode, event, the order on screen, a numbered result list, a pending question."""

    def __init__(self, ctx: Ctx, event_id: str | None = None, door: bool = False, exit_mode: bool = False) -> None:
        self.ctx = ctx
        self.event_id: str | None = None
        self.mode = "desk"
        self.exit_mode = False
        self.current: str | None = None  # order code on screen
        self.choices: list[str] = []
        self.pending: _Pending | None = None
        self._interrupted = False
        self._door_writer: DoorWriter | None = None
        self._writer_lock = threading.Lock()
        if ctx.operator is None:
            raise BoxOfficeError("not_logged_in", _("nobody is logged in: run `boxoffice login NAME` first"))
        if event_id is not None:
            self._set_event(event_id)
        if door:
            self._door_event()
            self.mode = "door"
        if exit_mode:
            self._toggle_exit()

    # --- the prompt and the loop's entry points ---------------------------------------------------------------

    def prompt(self) -> str:
        if self.pending is not None:
            return _("{question} [y/N] ").format(question=self.pending.question)
        if self.mode == "door":
            ev = self._door_event()
            return (_("door EXIT {event}> ") if self.exit_mode else _("door IN {event}> ")).format(event=ev.name)
        return _("desk {code}> ").format(code=self.current) if self.current else _("desk> ")

    def handle(self, text: str) -> Reply:
        """One line typed or scanned. Refusals come back as lines, never as exceptions (bugs aside).

        In door mode, scans may come from several threads at once (scanner lanes on one terminal): each is answered
        after the commit that holds it, and scans arriving meanwhile share the next commit (services/door_writer).
        Everything else is one desk's dialogue: one thread.
        """
        self._interrupted = False
        line = text.strip()
        try:
            if len(line) > _LONGEST_WORD and self.mode == "door" and self.pending is None:
                # A scan: longer than any command word, it can only be a ticket (lowercasing never shortens a
                # line, and a word followed by more is no command). Every lane's scan comes this way, so it skips
                # the command parsing below.
                return self._scan(text)
            if self.pending is not None:
                pending, self.pending = self.pending, None
                if line.lower() in YES:
                    return pending.action()
                return Reply().add("warn", _("cancelled: nothing was handed out"))
            word, _sep, rest = line.partition(" ")
            cmd = word.lower()
            if cmd == "q" and not rest:
                return Reply(quit=True).add("info", _("bye"))
            if cmd in ("h", "?", "help") and not rest:
                return Reply([Line("info", ln) for ln in _(HELP).splitlines()])
            if cmd == "d" and not rest:
                return self._toggle_door()
            if cmd == "a" and not rest:
                return self._alerts()
            if self.mode == "door":
                if cmd == "x" and not rest:
                    return self._toggle_exit()
                if not line:
                    return Reply()
                return self._scan(text)
            return self._desk(line, cmd, rest, text)
        except BoxOfficeError as exc:
            return Reply().add("refused", mask_card_numbers(exc.message))  # it may repeat what was typed

    def handle_lines(self, lines: list[str]) -> list[Reply]:
        """Several lines that arrived together (a scanner's buffer, a pasted list), answered in order.

        At the door, consecutive scans among them are queued to the door's writer together, which checks them in
        one transaction with a single commit (each still sees the ones before it), so a burst costs one or two disk
        flushes instead of one per ticket; each answer is given only after the commit that holds it.
        Everything else is handled line by line, exactly as :meth:`handle` does.
        """
        replies: list[Reply] = []
        run: list[str] = []

        def flush() -> None:
            if run:
                replies.extend(self._scan_many(run) if len(run) > 1 else [self.handle(run[0])])
                run.clear()

        for text in lines:
            word = text.strip().lower()
            if self.mode == "door" and self.pending is None and word and word not in self._DOOR_WORDS:
                run.append(text)
                continue
            flush()
            replies.append(self.handle(text))
            if replies[-1].quit:
                return replies
        flush()
        return replies

    _DOOR_WORDS = frozenset({"q", "h", "?", "help", "d", "x"})

    def interrupt(self) -> Reply:
        """Ctrl-C at the prompt: drop the question or the order on screen; a second Ctrl-C in a row quits."""
        if self._interrupted:
            return Reply(quit=True).add("info", _("bye"))
        self._interrupted = True
        if self.pending is not None:
            self.pending = None
            return Reply().add("warn", _("cancelled: nothing was handed out (Ctrl-C again to quit)"))
        if self.current is not None or self.choices:
            self.current, self.choices = None, []
            return Reply().add("warn", _("cleared (Ctrl-C again to quit)"))
        return Reply().add("info", _("Ctrl-C again (or q) to quit"))

    def _alerts(self) -> Reply:
        """The alerts of `boxoffice alerts`, at the desk or door left running all evening."""
        from boxoffice.services.alerts import check_and_journal

        items = check_and_journal(self.ctx)
        if not items:
            return Reply().add("ok", _("No alerts."))
        styles = {"critical": "refused", "major": "warn", "minor": "info"}
        return Reply([Line(styles[a["severity"]], f"{_(SEVERITIES.get(a['severity'], a['severity'].upper()))} "
                                                  f"{a['message']}") for a in items],
                     data={"alerts": items})

    # --- desk ---------------------------------------------------------------------------------------------------

    def _desk(self, line: str, cmd: str, rest: str, text: str) -> Reply:
        """``line`` is what was typed, trimmed, for the commands; ``text`` as it came, for a search: a scanned
        ticket's leading space is part of it (tickets/token.py)."""
        if not line or (cmd == "p" and not rest):
            return self._hand_out(None)
        if cmd == "p" and rest.strip().isdigit():
            return self._hand_out(parse_whole(rest, _("the number of tickets to hand out"), low=1))
        if cmd == "s" and rest:
            return self._sell(rest)
        if cmd == "e" and rest:
            self._set_event(rest.strip())
            return Reply().add("ok", _("event: {event}").format(event=self._event_name()))
        if is_whole(line) and self.choices and 1 <= int(line) <= len(self.choices):
            return self._show(self.choices[int(line) - 1])
        return self._find(text)

    def _find(self, query: str) -> Reply:
        from boxoffice.services.pickup import find

        out = find(self.ctx, query, self.event_id)
        results = out["results"]
        reply = Reply(data=out)
        if out["note"]:
            reply.add("warn", out["note"])
        if len(results) == 1:
            return self._show(results[0]["code"], reply)
        self.current, self.choices = None, [r["code"] for r in results]
        reply.add("title", _("{count} orders match; type a number to choose:").format(count=len(results)))
        for i, r in enumerate(results, 1):
            state = handout_state(r)
            reply.add("info", _("{n:>3}  {code}  {name}  {count} ticket(s) {state}").format(
                n=i, code=r["code"], name=r["name"] or "-", count=r["tickets"], state=state)
                + (_("  NOTE: {notes}").format(notes=r["notes"]) if r["notes"] else ""))
        return reply

    def _show(self, code: str, reply: Reply | None = None) -> Reply:
        from boxoffice.services.pickup import order_view

        reply = reply or Reply()
        view = order_view(self.ctx, code)
        self.current, self.choices = view["code"], []
        waiting = [t for t in view["tickets"] if t["status"] == "valid" and not t["picked_up"]]
        reply.add("title", f"{view['code']}  {view['name'] or '-'}  {view['event']}  {view['status']}"
                           f"  ({view['channel']})")
        if view["notes"]:
            reply.add("warn", _("NOTE: {notes}").format(notes=view["notes"]))
        for t in view["tickets"]:
            state = (_("handed out {when} by {who}").format(when=t["picked_up"], who=t["by"] or "?")
                     if t["picked_up"] else t["status"] if t["status"] != "valid" else _("waiting"))
            reply.add("info", f"  {t['short']}  {t['place']:<16} {t['type']:<12} {state}")
        if view["status"] == "unpaid":
            reply.add("refused", _("NOT PAID: take payment first (boxoffice pickup pay {code} --cash AMOUNT, or F3 "
                                   "in the full-screen counter)").format(code=view["code"]))
        elif waiting and view["channel"] != "box_office":
            reply.add("info", _("Enter: hand out {count} ticket(s); p N: hand out N").format(count=len(waiting)))
        else:
            reply.add("info", _("nothing left to hand out"))
        return reply

    def _hand_out(self, count: int | None) -> Reply:
        from boxoffice.services.pickup import plan_pickup

        if self.current is None:
            return Reply().add("info", _("nothing on screen: scan a ticket or type a code, name or phone"))
        code = self.current
        plan = plan_pickup(self.ctx, code, count=count)

        def run() -> Reply:
            return self._do_hand_out(code, count, confirmed=True)

        if plan["notes"]:
            self.pending = _Pending(_("NOTE: {notes} - checked?").format(notes=plan["notes"]), run)
            return Reply(ask=self.pending.question)
        return self._do_hand_out(code, count, confirmed=False)

    def _do_hand_out(self, code: str, count: int | None, confirmed: bool) -> Reply:
        from boxoffice.services.pickup import pick_up

        out = pick_up(self.ctx, code, count=count, confirmed=confirmed)
        reply = Reply(data=out).add("ok", _("HANDED OUT {code}: {count} ticket(s): {places}").format(
            code=out["order"], count=len(out["handed_out"]), places=", ".join(out["places"])))
        if out["remaining"]:
            reply.add("info", _("{count} ticket(s) still to hand out later").format(count=out["remaining"]))
        else:
            self.current = None
        print_lines(reply, out["print"])
        return reply

    def _sell(self, spec: str) -> Reply:
        from boxoffice.services.events import get_event
        from boxoffice.services.printing import run_jobs
        from boxoffice.services.sales import sell

        if self.event_id is None:
            self._set_event(None)
        assert self.event_id is not None
        currency = get_event(self.ctx, self.event_id)["currency"]
        req = parse_sale(spec, self.event_id, currency)
        out = sell(self.ctx, req)
        reply = Reply(data={"order": out["order"]["code"]})
        reply.add("ok", _("SOLD {code}  {count} ticket(s)  total {total} {currency}").format(
            code=out["order"]["code"], count=len(out["tickets"]), total=out["total_text"], currency=out["currency"]))
        if any(p["tender"] == "cash" for p in out["payments"]):
            reply.add("ok", _("CHANGE {change}").format(change=out["change_text"]))
        if out["outside_shift"]:
            reply.add("warn", outside_shift_text())
        print_lines(reply, run_jobs(self.ctx, out["jobs"]))
        self.current = None
        return reply

    def _set_event(self, event_id: str | None) -> None:
        from boxoffice.services.door import door_event

        self.event_id = door_event(self.ctx, event_id).id

    def _event_name(self) -> str:
        return self._door_event().name

    # --- door ---------------------------------------------------------------------------------------------------

    def _door_event(self) -> Any:
        from boxoffice.services.door import door_event

        ev = door_event(self.ctx, self.event_id)
        self.event_id = ev.id
        return ev

    def _toggle_door(self) -> Reply:
        if self.mode == "door":
            self.mode, self.exit_mode = "desk", False
            return Reply().add("ok", _("desk mode: find orders, hand them out, sell"))
        self.ctx.require("scan")
        ev = self._door_event()
        self.mode, self.current, self.choices = "door", None, []
        return Reply().add("ok", _("door mode for {event}: scan tickets (x: exit mode, d: back to the desk)").format(
            event=ev.name))

    def _toggle_exit(self) -> Reply:
        from boxoffice.services.door import check_direction

        ev = self._door_event()
        if not self.exit_mode:
            check_direction(ev, "out")
        self.exit_mode = not self.exit_mode
        return Reply().add("warn" if self.exit_mode else "ok",
                           _("EXIT mode: scans let people out") if self.exit_mode else
                           _("entry mode: scans let people in"))

    def _writer(self) -> DoorWriter:
        """The door's group-commit writer (services/door_writer.py), started at the first scan (once, under a lock;
        every later scan of every lane takes it without one)."""
        writer = self._door_writer
        if writer is not None:
            return writer
        with self._writer_lock:
            if self._door_writer is None:
                from boxoffice.services.door_writer import DoorWriter

                self._door_writer = DoorWriter(self.ctx)
                self._finalizer = weakref.finalize(self, self._door_writer.close)
            return self._door_writer

    def close(self) -> None:
        """Stop the door's writer once everything queued is answered (a no-op when no scan was made)."""
        if self._door_writer is not None:
            self._door_writer.close()

    def _scan(self, text: str) -> Reply:
        """One scan, answered after the commit that holds it; scans from other lanes meanwhile share that commit."""
        return door_reply(self._writer().scan(self._door_event(), text, "out" if self.exit_mode else "in"))

    def _scan_many(self, texts: list[str]) -> list[Reply]:
        self._interrupted = False
        ev, direction, writer = self._door_event(), "out" if self.exit_mode else "in", self._writer()
        waiting = [writer.submit(ev, t, direction) for t in texts]
        replies = []
        for answer in waiting:
            try:
                replies.append(door_reply(answer.result()))
            except BoxOfficeError as exc:
                replies.append(Reply().add("refused", mask_card_numbers(exc.message)))
        return replies
