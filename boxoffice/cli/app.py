"""The root app, and the one place where refusals become a message and an exit status."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from functools import partial
from typing import Any

import typer

from boxoffice.cli.coercion import use_plain_coercion
from boxoffice.cli.common import echo, json_text, secho
from boxoffice.cli.lazy import HELP_OPTIONS, Entry, LazyGroup, translate_help
from boxoffice.domain.shown import shown
from boxoffice.errors import INTERNAL_ERROR_STATUS, BoxOfficeError
from boxoffice.i18n import N_, SOURCE_LANGUAGE, _, for_scripts, language


class BoxOfficeGroup(LazyGroup):
    """The root group. Catches BoxOfficeError from any sub-command: one line on stderr (or JSON with --json), the
    documented status; a bug gets one line and INTERNAL_ERROR_STATUS."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        use_plain_coercion(self)
        translate_help(self)  # also settles the language, so Click's own words ("Usage:") follow it

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        ctx.meta.setdefault("argv", list(args))
        if "--json" in args:  # what scripts read is the same in every language (docs/i18n.md)
            for_scripts()
        use_plain_coercion(self)  # the completion options Typer adds after __init__ skip pydantic too
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as exc:
            _mask_usage_error(exc)
            raise

    def invoke(self, ctx: typer.Context):  # noqa: ANN201 - click's signature
        try:
            _refuse_undecodable(ctx.meta.get("argv", []))
            return super().invoke(ctx)
        except BoxOfficeError as exc:
            report_error(exc, json_mode="--json" in ctx.meta.get("argv", []))
            ctx.exit(exc.exit_status)
        except typer.TyperException as exc:
            _mask_usage_error(exc)
            raise
        except (typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except KeyboardInterrupt:
            echo(_("interrupted: nothing was left half-done"), err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug: say so plainly, keep the traceback for BOXOFFICE_DEBUG=1
            if os.environ.get("BOXOFFICE_DEBUG") == "1":
                raise
            from boxoffice.domain.card_numbers import mask_card_numbers

            echo(_("error: internal error ({problem}); run again with BOXOFFICE_DEBUG=1 and report it").format(
                problem=f"{type(exc).__name__}: {mask_card_numbers(str(exc))}"), err=True)
            ctx.exit(INTERNAL_ERROR_STATUS)


def _kind_of(exc: Exception, name: str) -> bool:
    """Whether ``exc`` is a Click exception of that class (by name: Typer ships Click in a private module)."""
    return any(cls.__name__ == name for cls in type(exc).__mro__)


def _mask_usage_error(exc: Exception) -> None:
    """A usage error repeats what was typed ("No such option: --4111...", "Invalid value ...: '4111 ...'"): its
    message is shown with long digit runs masked and control characters replaced, like every refusal."""
    from boxoffice.domain.card_numbers import mask_card_numbers  # only on an error: start-up skips its patterns

    message = getattr(exc, "message", None)
    help_page = _kind_of(exc, "NoArgsIsHelpError")
    if isinstance(message, str) and not help_page:  # that one's message is the help page
        exc.message = shown(mask_card_numbers(message))  # type: ignore[attr-defined]
    if _kind_of(exc, "UsageError") and not help_page and language() != SOURCE_LANGUAGE:
        exc.show = partial(_show_translated, exc)  # type: ignore[method-assign]


# The messages of Typer's usage errors, which it writes in English without asking gettext: each pattern, and the
# message that says it in the language in force. Compiled the first time a usage error is shown, not at start-up.
_USAGE_MESSAGES = (
    (r"No such option: (?P<name>\S+)(?: \(Possible options: (?P<options>.+)\))?",
     N_("No such option: {name}")),
    (r"Missing argument (?P<name>.+)\.", N_("Missing argument {name}.")),
    (r"Missing option (?P<name>.+)\.", N_("Missing option {name}.")),
    (r"Missing parameter (?P<name>.+)\.", N_("Missing parameter {name}.")),
    (r"Invalid value for (?P<name>.+?): (?P<message>.*)", N_("Invalid value for {name}: {message}")),
    (r"Invalid value: (?P<message>.*)", N_("Invalid value: {message}")),
    (r"Got unexpected extra arguments? \((?P<args>.*)\)",
     N_("Got unexpected extra argument(s) ({args})")),
    (r"Option (?P<name>.+) requires an argument\.", N_("Option {name} requires an argument.")),
    (r"Option (?P<name>.+) requires (?P<count>\d+) arguments\.",
     N_("Option {name} requires {count} arguments.")),
    (r"Option (?P<name>.+) does not take a value\.", N_("Option {name} does not take a value.")),
)


def translated_usage_message(message: str) -> str:
    """A usage error's message as Typer words it, in the language in force (as it is, when it is none of
    Typer's: a refusal of ours is translated where it is raised)."""
    for pattern, text in _USAGE_MESSAGES:
        found = re.fullmatch(pattern, message, re.S)
        if found:
            fields = found.groupdict()
            out = _(text).format(**{k: v for k, v in fields.items() if k != "options"})
            if fields.get("options"):
                out += " " + _("(Possible options: {options})").format(options=fields["options"])
            return out
    return message


def _show_translated(exc: Any, file: Any = None) -> None:
    """UsageError.show, its words translated: the usage line, the hint, "Error:" and the message."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = _("Try '{command} {option}' for help.").format(command=ctx.command_path,
                                                                  option=ctx.help_option_names[0]) + "\n"
        echo(f"{ctx.get_usage()}\n{hint}", err=True, nl=True)
    echo(_("Error: {message}").format(message=translated_usage_message(exc.format_message())), err=True)


def _surrogate(char: str) -> bool:
    return "\ud800" <= char <= "\udfff"


def _refuse_undecodable(args: list[str]) -> None:
    """Bytes that are not UTF-8 in an argument (Python keeps them as lone surrogates) cannot be stored or printed:
    refuse them up front, unless the argument names a file that exists (file names on Linux may be any bytes)."""
    for arg in args:
        if isinstance(arg, str) and not arg.isascii() and any(map(_surrogate, arg)) and not os.path.exists(arg):
            shown = "".join("\ufffd" if _surrogate(char) else char for char in arg[:80])
            raise BoxOfficeError("bad_input", _("an argument is not valid UTF-8 text ({text!r}): type it again").format(
                text=shown))


def report_error(exc: BoxOfficeError, json_mode: bool) -> None:
    """Print a refusal: JSON on stdout for scripts, else one line (plus located document errors) on stderr.

    A message may quote what was typed or imported (a schema problem repeats the value): every run of 13 or more
    digits in it is masked, so a card number typed into the wrong field never comes back on screen."""
    from boxoffice.domain.card_numbers import mask_card_numbers, masked  # only on an error: start-up skips it

    if json_mode:
        sys.stdout.write(json_text(masked(exc.to_dict()), indent=None) + "\n")
        return
    secho(_("error: {message}").format(message=mask_card_numbers(exc.message)), err=True, fg="red")
    for line in exc.details.get("errors", [])[:50]:
        echo(f"  {mask_card_numbers(str(line))}", err=True)


def make_app(help_text: str, entries: Mapping[str, Entry]) -> typer.Typer:
    """The root app: its own options come from a callback registered on it, its commands from `entries`.
    ``help_text`` is English (marked with ``N_``): the group translates it when built."""
    return typer.Typer(cls=type("BoxOfficeRoot", (BoxOfficeGroup,), {"entries": entries}), help=help_text,
                       rich_markup_mode=None, no_args_is_help=True, pretty_exceptions_enable=False,
                       add_completion=True, context_settings=dict(HELP_OPTIONS))


def sub_app(help_text: str) -> typer.Typer:
    """A family of sub-commands, such as `boxoffice shift`. ``help_text`` is English, marked with ``N_`` where it
    is written (``sub_app(N_("..."))``): the command builder translates it (cli/lazy.py)."""
    return typer.Typer(help=help_text, rich_markup_mode=None, no_args_is_help=True, add_completion=False,
                       context_settings=dict(HELP_OPTIONS))
