"""Command groups whose commands are imported and built only when one of them runs.

`boxoffice sell` should not pay for importing and building the other forty commands. A group here holds a table:
command name -> the module and attribute that define it, and the short help its --help lists, so listing the
commands imports nothing. It uses only Typer's public API: a TyperGroup subclass (the `cls=` hook) and
`typer.main.get_command` to build each family.

Help is written in English in the code (docstrings, the tables' texts, sub-apps' help) and translated here, when a
command is built or listed, so it is read in the language in force when it is shown (``BOXOFFICE_LANG``, else the
system's: --help reads no configuration).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import re
from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from boxoffice.cli.coercion import use_plain_coercion
from boxoffice.domain.widths import display_width
from boxoffice.i18n import N_, _

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


class Entry:
    """One command of a group: where it is defined, and the first sentence of its help for the group's listing.

    The attribute is a typer.Typer (a family of sub-commands, maybe a lazy one of its own) or a function (a single
    command). tests/test_foundation_cli.py checks that each listing text reads as the command's own help does.
    A plain class: every command of the tables makes one at every start, and a dataclass would compile its methods
    first.
    """

    __slots__ = ("module", "attribute", "help", "context_settings")

    def __init__(self, module: str, attribute: str, help: str,  # noqa: A002 - the field is the command's help
                 context_settings: Mapping[str, Any] | None = None) -> None:
        self.module, self.attribute, self.help, self.context_settings = module, attribute, help, context_settings

    def __repr__(self) -> str:
        return f"Entry({self.module!r}, {self.attribute!r}, {self.help!r}, {self.context_settings!r})"


_TRANSLATED = "_boxoffice_help_translated"
# Help texts Typer writes in English without asking gettext, and what the catalogue calls them.
_FRAMEWORK_HELP = {text: text for text in (
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
)}


# Typer's Context and Click's under it, and the help formatter a Context makes: reached through the public
# Context class (its bases, its ``formatter_class``), since Typer keeps the Click it ships in a private module.
_PLAIN_CONTEXTS = inspect.getmro(typer.Context)[:-1]  # Typer's Context, then Click's (not object)
HelpFormatter = typer.Context.formatter_class


class TranslatedFormatter(HelpFormatter):  # type: ignore[valid-type,misc]
    """Click's help formatter (as Typer ships it), with the words it writes itself in the language in force:
    "Usage:" and the help of the options Typer adds (--help, the completion options). Section titles ("Options",
    "Commands") Typer already asks gettext for (cli/click_words.py)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = _("Usage:")
            prefix += "" if _has_wide(prefix[-1:]) else " "
        super().write_usage(prog, args, prefix)

    def write_heading(self, heading: str) -> None:
        if _has_wide(heading):  # a translated heading ends with a full-width colon
            self.write(f"{'':>{self.current_indent}}{heading}：\n")
        else:
            super().write_heading(heading)

    def write_text(self, text: str) -> None:
        if not _has_wide(text):
            super().write_text(text)
            return
        indent = " " * self.current_indent
        self.write(_wrap_wide(text, self.width, indent) + "\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(first, _(second) if second in _FRAMEWORK_HELP else second) for first, second in rows]
        if not any(_has_wide(second) for _first, second in rows):
            super().write_dl(rows, col_max, col_spacing)
            return
        first_col = min(max(display_width(first) for first, _second in rows), col_max) + col_spacing
        for first, second in rows:  # as Click lays it out, the second column wrapped by display width
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _wrap_wide(second, max(self.width - first_col - 2, 10), "").splitlines() or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


_NO_LINE_START = set("，。、；：！？）」』》〉】,.;:!?)]}")  # punctuation that never begins a line of Chinese
_NO_LINE_END = set("（「『《〈【([{")  # nor ends one


def _fill_wide(text: str, width: int, indent: str) -> list[str]:
    """One paragraph wrapped to ``width`` columns, a wide character taking two and a line broken between any two of
    them (Chinese has no spaces), between words elsewhere, never before closing punctuation nor after opening."""
    lines: list[str] = []
    line, used, gap = indent, display_width(indent), ""
    for token in re.findall(rf"\s+|[{_WIDE_RANGES}]|[^\s{_WIDE_RANGES}]+", text):
        if token.isspace():
            gap = token.replace("\n", " ") if line.strip() else ""
            continue
        size = display_width(token)
        if line.strip() and used + len(gap) + size > width and token[0] not in _NO_LINE_START:
            carry = ""
            while line.strip() and line[-1] in _NO_LINE_END:
                line, carry = line[:-1], line[-1] + carry
            lines.append(line.rstrip())
            line, used, gap = indent + carry, display_width(indent + carry), ""
        line += gap + token
        used += len(gap) + size
        gap = ""
    lines.append(line.rstrip())
    return lines


def _wrap_wide(text: str, width: int, indent: str) -> str:
    """Click's wrap_text with its paragraphs (one starting with ``\\b`` kept as written), for text with wide
    characters."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.expandtabs()):
        raw = paragraph.splitlines()
        if not raw:
            continue
        extra = " " * (len(raw[0]) - len(raw[0].lstrip()))
        if raw[0].strip() == "\b":
            out.append("\n".join(indent + extra + line for line in raw[1:]))
        else:
            out.append("\n".join(_fill_wide(" ".join(line.strip() for line in raw), width, indent + extra)))
    return "\n\n".join(out)


class TranslatedContext(typer.Context):
    """The context of every command built here: help pages and usage lines come out of TranslatedFormatter."""

    formatter_class = TranslatedFormatter
# Wide characters (Han, kana, Hangul, full-width forms), as code point ranges. Looked up without a regular
# expression: compiling a class of tens of thousands of characters costs a few milliseconds, which a command's run
# or its help should not pay; the pattern that splits wide text into lines is compiled only to lay out such text.
_WIDE_SPANS = ((0x1100, 0x115F), (0x2E80, 0xA4CF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFE30, 0xFE4F),
               (0xFF00, 0xFF60), (0xFFE0, 0xFFE6))
_WIDE_RANGES = "".join(f"{chr(low)}-{chr(high)}" for low, high in _WIDE_SPANS)


def _is_wide(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _WIDE_SPANS)


def _wide_count(text: str) -> int:
    return 0 if text.isascii() else sum(map(_is_wide, text))


def _has_wide(text: str) -> bool:
    return not text.isascii() and any(map(_is_wide, text))


def translate_help(command: Any) -> None:
    """Translate the help of a built command and of every sub-command built under it, once each.

    The English texts are the catalogue's msgids: a command's docstring as Typer cleaned it (the catalogue tool
    extracts the same text), a sub-app's ``help=`` (marked with ``N_``). A text already in another language is
    left alone (mostly wide characters), so a help translated where it was written is not looked up again."""
    if getattr(command, _TRANSLATED, False):
        return
    if getattr(command, "context_class", None) in _PLAIN_CONTEXTS:
        command.context_class = TranslatedContext
    for attr in ("help", "short_help"):
        text = getattr(command, attr, None)
        if isinstance(text, str) and text and not _translated(text):
            setattr(command, attr, _(text))
    setattr(command, _TRANSLATED, True)
    for sub in getattr(command, "commands", {}).values():
        translate_help(sub)


def short_help(command: Any, limit: int) -> str:
    """The command's help shortened to its first sentence for a group's listing, ``limit`` columns at most.

    Click's own shortening knows English sentences and counts characters; a Chinese text ends its sentence with
    "。" and each of its characters takes two columns."""
    text = command.help or ""
    if command.short_help or not _translated(text):
        return str(command.get_short_help_str(limit))
    text = " ".join(text.partition("\n\n")[0].split())
    end = text.find("。")
    if end >= 0:
        text = text[:end + 1]
    if display_width(text) <= limit:
        return text
    out, width = "", 0
    for char in text:
        width += display_width(char)
        if width > limit - 1:
            break
        out += char
    return out.rstrip("，、；：,;: ") + "…"


def _translated(text: str) -> bool:
    """Whether a help text is already in a language written in wide characters (Chinese): more than a fifth of its
    letters are wide (an English help quoting a Chinese name in an example is not)."""
    letters = sum(1 for char in text if not char.isspace())
    return letters > 0 and _wide_count(text) * 5 > letters




def _only(family: typer.Typer, word: str | None) -> typer.Typer:
    """The family with only the sub-command ``word`` names, when it names one of its commands and the family has
    no sub-families: building the others (their signatures, their options) is work a run of one does not need.
    A copy: the family itself keeps all its commands for its help, its listing and a later build."""
    if not word or family.registered_groups:
        return family
    named = [info for info in family.registered_commands
             if (info.name or (info.callback and info.callback.__name__.lower().replace("_", "-"))) == word]
    if len(named) != 1:
        return family
    only = copy.copy(family)
    only.registered_commands = named
    return only


_PARTIAL = "_boxoffice_one_of_its_family"


def build(name: str, entry: Entry, word: str | None = None) -> Any:
    """Import the entry's module and build its command with Typer's public get_command.

    A family is added to a holder app under its name and taken back out of the holder's group, so a family of
    one sub-command stays a group (`boxoffice drawer open`), exactly as when it was registered on the root.
    ``word``: what follows the family's name on the command line; when it names one of its sub-commands, only that
    one is built (its help and usage read the same; the family's help, a mistyped sub-command or none given build
    them all).
    """
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    if isinstance(target, typer.Typer):
        family = _only(target, word)
        holder.add_typer(family, name=name)
        command = typer.main.get_command(holder).commands[name]
        setattr(command, _PARTIAL, family is not target)
    else:
        holder.command(name, context_settings=dict(entry.context_settings or {}))(target)
        command = typer.main.get_command(holder)
    use_plain_coercion(command)
    translate_help(command)
    from boxoffice.cli.help_text import set_examples_apart  # with the command: the list of commands needs neither

    set_examples_apart(command)
    return command


class LazyGroup(TyperGroup):
    """A group whose commands come from `entries`, each imported and built the first time it is looked up."""

    entries: Mapping[str, Entry] = {}
    context_class = TranslatedContext

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*self.commands, *(name for name in self.entries if name not in self.commands)]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in self.entries:
            command = build(cmd_name, self.entries[cmd_name])
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        """The command list of --help, from the table's texts: nothing is imported to list the commands."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or TyperCommand(name=name, help=_(self.entries[name].help))
            if not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _command in rows)
            with formatter.section(_("Commands")):
                formatter.write_dl([(name, short_help(command, limit)) for name, command in rows])

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:
        """A mistyped command name gets the same "Did you mean" hint as in any Typer group.

        A family named with one of its sub-commands after it is built with only that one (:func:`build`); such a
        group is not kept for a later lookup, which builds the family whole."""
        name = args[0] if args else None
        if name in self.entries and name not in self.commands and len(args) > 1:
            command = build(name, self.entries[name], args[1])
            if not getattr(command, _PARTIAL, False):
                self.add_command(command, name)
            return name, command, args[1:]
        if args and args[0][:1].isalnum() and self.suggest_commands and not ctx.resilient_parsing \
                and self.get_command(ctx, args[0]) is None:
            matches = get_close_matches(args[0], self.list_commands(ctx))
            if matches:
                ctx.fail(_("No such command {name!r}. Did you mean {matches}?").format(
                    name=args[0], matches=", ".join(repr(m) for m in matches)))
        return super().resolve_command(ctx, args)


def lazy_app(help_text: str, entries: Mapping[str, Entry]) -> typer.Typer:
    """A family (such as `boxoffice central`) whose sub-commands come from a table; shows its help when given
    nothing. ``help_text`` is English, marked with ``N_`` where it is written: it is translated when built."""
    return typer.Typer(cls=type("LazyCommands", (LazyGroup,), {"entries": entries}), help=help_text,
                       rich_markup_mode=None, no_args_is_help=True, add_completion=False,
                       context_settings=dict(HELP_OPTIONS))
