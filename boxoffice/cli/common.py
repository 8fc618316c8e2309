"""Shared CLI plumbing: the configuration and terminal for a command, PIN prompts, JSON and table output.

Every line the CLI prints goes through :func:`echo` or :func:`secho` here (tests/test_shown.py checks that no
command module calls ``typer.echo`` itself), and those pass it through ``domain.shown``: a name synced from the
central service that holds an escape sequence, a C1 control or a bidi override is shown with U+FFFD in its place,
whatever screen or report prints it. ``--json`` output keeps the data as it is, with those characters written as
``\\uXXXX`` escapes (:func:`json_text`), so a script reads the same string and a terminal shows nothing raw.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

from boxoffice.domain.shown import escape_for_json, shown, shown_lines
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

if TYPE_CHECKING:
    from boxoffice.config import Config

JSON_HELP = N_("Print the result as JSON for scripts.")  # translated where used: help=_(JSON_HELP)

# For commands whose argument may be a scanned ticket: a version 1 token can begin with "-" (its first character
# followed the signing key's id), and it is the argument, not an unknown option.
TOKEN_ARGUMENT: dict[str, Any] = {"ignore_unknown_options": True}


# The root options of the command being run (--db, --config), set by the root callback.
ROOT_OPTIONS: dict[str, str | None] = {}


def config() -> Config:
    """The configuration in force, from the root options (--db, --config) and the environment.

    Security settings a local file tried to set are not applied (config.SECURITY_KEYS): said once on stderr.
    Imported here: `--help` and a mistyped command need no configuration (tests/test_startup_imports.py)."""
    from boxoffice.config import load

    cfg = load(ROOT_OPTIONS.get("config"), ROOT_OPTIONS.get("db"))
    if cfg.venue_language:
        from boxoffice.i18n import set_language

        set_language(cfg.venue_language)  # BOXOFFICE_LANG and the operator's own language still come first
    if cfg.ignored and not ROOT_OPTIONS.get("_warned"):
        ROOT_OPTIONS["_warned"] = "1"
        echo(_("warning: {file} sets {settings}: ignored; security and money settings come from the catalogue's "
               "policy").format(file=cfg.file, settings=", ".join(cfg.ignored)), err=True)
    return cfg


def clock() -> Callable[[], datetime]:
    """The real clock, or a fixed one from BOXOFFICE_NOW (ISO time) for rehearsals and tests."""
    fixed = os.environ.get("BOXOFFICE_NOW")
    if not fixed:
        from boxoffice.domain.clock import system_clock

        return system_clock
    try:
        when = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
    except ValueError:
        raise BoxOfficeError("bad_input", _("BOXOFFICE_NOW={value!r} is not an ISO date and time").format(
            value=fixed)) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if not 1900 <= when.year <= 9998:  # the clock is shown, stored and added to: keep it inside the calendar
        raise BoxOfficeError("bad_input", _("BOXOFFICE_NOW={value!r} is outside the years 1900 to 9998").format(
            value=fixed))
    from boxoffice.domain.clock import FixedClock

    return FixedClock(when)  # honoured on demo terminals only: services/opening.refuse_fixed_clock


@contextmanager
def terminal() -> Iterator[Any]:
    """Open this terminal for one command and close it after."""
    from boxoffice.services.opening import open_terminal

    ctx = open_terminal(config(), clock())
    ctx.cache["central_client"] = _quick_client  # services/customer_limits.py asks the central service with it
    ctx.operator  # noqa: B018 (read now: from here on the screen speaks the logged-in operator's language)
    for notice in ctx.notices:
        echo(notice, err=True)
    try:
        yield ctx
    finally:
        ctx.close()


def _quick_client(url: str, token: str, ca_bundle: str | None) -> Any:
    """A client of the central service for a question asked during a sale: one try, a short timeout, so a
    network that is down costs the counter about two seconds and the sale goes on counted offline."""
    from boxoffice.services.customer_limits import ASK_TIMEOUT
    from boxoffice.sync.client import CentralClient

    return CentralClient(url, token, timeout=ASK_TIMEOUT, retries=0, ca_bundle=ca_bundle)


def ask_pin(prompt: str | None = None, confirm: bool = False) -> str:
    """A PIN typed without echo at the terminal, or one line read from stdin when it is piped in.

    BOXOFFICE_PIN still works for scripts and tests, but a PIN there lands in shell history and in the process
    list of anyone on the machine: the prompt is the default. A piped PIN is read as a line, without the prompt's
    echo-off dance (which only warns when there is no terminal); with ``confirm`` a second line must match.
    """
    env = os.environ.get("BOXOFFICE_PIN")
    if env:
        return env
    prompt = _("PIN") if prompt is None else prompt  # a caller's own prompt comes translated
    if sys.stdin is not None and not sys.stdin.isatty():
        return _piped_pin(prompt, confirm)
    try:
        return typer.prompt(prompt, hide_input=True,
                            confirmation_prompt=_("Repeat for confirmation") if confirm else False)
    except typer.Abort:
        raise  # the operator pressed Ctrl-C or Ctrl-D at the prompt: a plain "Aborted!"


def _piped_pin(prompt: str, confirm: bool) -> str:
    """One PIN (two equal lines with ``confirm``) from a stdin that is not a terminal; the prompts go to stderr,
    as a hidden prompt's do, so that whoever watches the pipe sees what was asked and --json output stays clean."""
    no_pin = BoxOfficeError("bad_input", _("no PIN given: type it at the prompt, or pipe it in, or set "
                                           "BOXOFFICE_PIN for scripts"))

    def line(question: str) -> str:
        echo(f"{question}: ", err=True, nl=False)
        got = sys.stdin.readline() if sys.stdin is not None else ""
        echo("", err=True)
        if not got:
            raise no_pin
        return got.rstrip("\r\n")

    pin = line(prompt)
    if confirm and line(_("Repeat for confirmation")) != pin:
        raise BoxOfficeError("bad_input", _("the two PINs given do not match: nothing was changed"))
    return pin


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """typer.echo for everything the CLI prints: control characters shown as U+FFFD (newlines kept)."""
    typer.echo(shown_lines(message), err=err, nl=nl)


def secho(message: object = "", *, err: bool = False, nl: bool = True, **styles: Any) -> None:
    """typer.secho with the text made safe first, so the styling is the only escape sequence printed."""
    typer.secho(shown_lines(message), err=err, nl=nl, **styles)


def styled(text: object, **styles: Any) -> str:
    """One piece of text made safe, then styled (for lines built of differently coloured pieces, printed with
    :func:`echo_styled`)."""
    return typer.style(shown(text), **styles)


def echo_styled(pieces: Sequence[str], *, err: bool = False) -> None:
    """A line made only of :func:`styled` pieces (already safe): printed as they are."""
    typer.echo("".join(pieces), err=err)


def confirm(question: str, **kwargs: Any) -> bool:
    """typer.confirm with a question that may quote a name: made safe first."""
    return bool(typer.confirm(shown_lines(question), **kwargs))


def prompt(question: str, **kwargs: Any) -> Any:
    """typer.prompt with the question made safe first (it may carry a currency or a name from the catalogue)."""
    return typer.prompt(shown_lines(question), **kwargs)


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """JSON for scripts: the data unchanged, but every control or bidi character escaped (domain.shown).
    json is imported here: --help and a command printing text need none of it."""
    import json

    return escape_for_json(json.dumps(data, ensure_ascii=False, indent=indent, default=str))


def emit_json(data: Any, *, indent: int | None = 2) -> None:
    sys.stdout.write(json_text(data, indent=indent) + "\n")


def display_width(text: str) -> int:
    """Columns a string takes on a terminal (domain/widths.py: a Chinese character takes two)."""
    from boxoffice.domain.widths import display_width as width

    return width(text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain aligned text table (no heavy rendering library on the hot path of a counter), aligned by display
    width so that names in any script line up."""
    cells = [[shown(v) for v in r] for r in rows]
    headers = [shown(h) for h in headers]
    widths = [display_width(h) for h in headers]
    for r in cells:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], display_width(v))
    line = "  ".join(_pad(h, widths[i]) for i, h in enumerate(headers)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(_pad(v, widths[i]) for i, v in enumerate(r)).rstrip() for r in cells]
    return "\n".join(out)


def warn_outside_shift(flag: bool) -> None:
    """Say on stderr that cash just changed hands with no shift open, at a terminal that keeps shifts."""
    if flag:
        from boxoffice.services.counter_replies import outside_shift_text

        secho(_("warning: {what}").format(what=outside_shift_text()), fg="yellow", err=True)


def finish_printing(results: list[dict], json_out: bool, *, pdf_only: bool = False) -> None:
    """Say where the print jobs went, or why not, and end with status 7 when one failed.

    The action itself (sale, pickup, refund, shift) is saved either way: a printer problem only leaves a job for
    `boxoffice print retry`. ``pdf_only`` names only PDF files, for commands whose receipts are incidental.
    """
    from boxoffice.errors import EXIT_STATUSES

    failed = [r for r in results if r["status"] == "failed"]
    if not json_out:
        for r in results:
            if r["status"] == "printed" and r.get("to") and (not pdf_only or r["to"].endswith(".pdf")):
                echo(_("Printed to {path}").format(path=r["to"]))
        for r in failed:
            secho(_("NOT PRINTED: {error}").format(error=r["error"]), fg="yellow", err=True)
    if failed:
        raise typer.Exit(EXIT_STATUSES["printer_offline"][0])
