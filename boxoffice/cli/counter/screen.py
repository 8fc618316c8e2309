"""`boxoffice counter`: the desk screen. It reads lines, hands them to services.counter.Counter (where the
rules are) and shows the replies."""

from __future__ import annotations

from typing import Any

import typer

from boxoffice.cli.common import (
    echo,
    secho,
    terminal,
)
from boxoffice.cli.counter.keyboard import _hold_interrupts, _queued_lines
from boxoffice.domain.shown import shown
from boxoffice.i18n import _

_STYLES: dict[str, dict[str, Any]] = {
    "admit": {"fg": "white", "bg": "green", "bold": True},
    "refused": {"fg": "white", "bg": "red", "bold": True},
    "ok": {"fg": "green", "bold": True},
    "warn": {"fg": "yellow", "bold": True},
    "title": {"bold": True},
    "info": {},
}


def counter(event: str = typer.Option(None, "--event", help=_("The event for quick sales and the door (default: "
                                                            "the only event today).")),
            door: bool = typer.Option(False, "--door", help=_("Start in door (check-in) mode.")),
            exit_: bool = typer.Option(False, "--exit", help=_("Start the door in exit mode.")),
            plain: bool = typer.Option(False, "--plain", help=_("The line-by-line prompt instead of the full screen "
                                                             "(what runs anyway when input is piped or there is "
                                                             "no terminal).")),
            warm: bool = typer.Option(False, "--warm", help=_("While the counter runs, keep the program loaded for "
                                                           "`boxoffice sell`, `pickup` and the other short commands "
                                                           "run beside it (see `boxoffice warm start`)."))) -> None:
    """The full-screen desk to leave running: sale with seat map and basket, will-call, door, operators and the
    drawer (--plain: the line prompt).

    Keeps the database and keys open all evening. On a terminal it opens the full screen: F2 sale (basket, seat
    map, quote, then pay), F3 will-call (find, hand out, take payment for an unpaid order), F4 door (ADMIT or
    REFUSED, F6 entry/exit), F5 people and money (shift, X report, blind close, unlock); F9 switches operator, F10
    locks, Ctrl+Q quits. Keys are shown at the bottom of every screen.

    With --plain, a pipe or a scanner feeding stdin: the line prompt. A code, ticket, name, e-mail or phone digits
    finds an order; Enter (or p, or p N) hands it out; s SECTION TYPE=N cash AMOUNT sells; d switches to door
    check-in (x: exit mode); h shows help; q quits. Ctrl-C cancels what is on screen (twice quits) and never
    leaves an action half-done.

    Examples:
      boxoffice counter --event gala
      boxoffice counter --door --event gala
      boxoffice counter --warm
    """
    import sys

    from boxoffice.cli.warm.command import kept_warm

    with kept_warm(warm):
        if not plain and sys.stdin.isatty() and sys.stdout.isatty():
            _full_screen(event, door, exit_)
            return
        from boxoffice.services.counter import Counter

        with terminal() as ctx:
            desk = Counter(ctx, event, door=door, exit_mode=exit_)
            try:
                _loop(ctx, desk)
            finally:
                desk.close()


def _full_screen(event: str | None, door: bool, exit_: bool) -> None:
    """Run the Textual counter on this terminal; it keeps the database open until it quits."""
    from boxoffice.tui.app import CounterApp
    from boxoffice.tui.desk import Desk

    with terminal() as ctx:
        CounterApp(Desk(ctx, event, exit_mode=exit_), start="door" if door else "sale", settle_heap=True).run()


def _loop(ctx: Any, desk: Any) -> None:
    """Read a line (and any queued behind it), hand them to the counter, show the replies, until q or Ctrl-D."""
    op = ctx.operator or {}
    secho(_("{terminal}: {operator} at the desk. h for help, q to quit.").format(
        terminal=ctx.terminal["name"], operator=op.get("name", "?")), bold=True)
    while True:
        try:
            line = input(shown(desk.prompt()))
        except KeyboardInterrupt:
            echo("")
            reply = desk.interrupt()
        except EOFError:
            echo("")
            break
        else:
            lines = [line, *_queued_lines()]
            with _hold_interrupts() as held:
                replies = desk.handle_lines(lines) if len(lines) > 1 else [desk.handle(line)]
            reply = replies[-1]
            if held:
                reply.add("info", _("(Ctrl-C came while saving: the action above was finished first)"))
            for earlier in replies[:-1]:
                _show(earlier)
        _show(reply)
        if reply.quit:
            break


def _show(reply: Any) -> None:
    for ln in reply.lines:
        secho(ln.text, **_STYLES.get(ln.style, {}))
