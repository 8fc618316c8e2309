"""Command groups whose commands are imported and built only when one of them runs.

`boxoffice sell` should not pay for importing and building the other forty commands. A group here holds a table:
command name -> the module and attribute that define it, and the short help its --help lists, so listing the
commands imports nothing. It uses only Typer's public API: a TyperGroup subclass (the `cls=` hook) and
`typer.main.get_command` to build each family.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from boxoffice.cli.coercion import use_plain_coercion

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


@dataclass(frozen=True)
class Entry:
    """One command of a group: where it is defined, and the first sentence of its help for the group's listing.

    The attribute is a typer.Typer (a family of sub-commands, maybe a lazy one of its own) or a function (a single
    command). tests/test_foundation_cli.py checks that each listing text reads as the command's own help does.
    """

    module: str
    attribute: str
    help: str
    context_settings: Mapping[str, Any] | None = None


def build(name: str, entry: Entry) -> Any:
    """Import the entry's module and build its command with Typer's public get_command.

    A family is added to a holder app under its name and taken back out of the holder's group, so a family of
    one sub-command stays a group (`boxoffice drawer open`), exactly as when it was registered on the root.
    """
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
        command = typer.main.get_command(holder).commands[name]
    else:
        holder.command(name, context_settings=dict(entry.context_settings or {}))(target)
        command = typer.main.get_command(holder)
    use_plain_coercion(command)
    from boxoffice.cli.help_text import set_examples_apart  # with the command: the list of commands needs neither

    set_examples_apart(command)
    return command


class LazyGroup(TyperGroup):
    """A group whose commands come from `entries`, each imported and built the first time it is looked up."""

    entries: Mapping[str, Entry] = {}

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
            command = self.commands.get(name) or TyperCommand(name=name, help=self.entries[name].help)
            if not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in rows])

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:
        """A mistyped command name gets the same "Did you mean" hint as in any Typer group."""
        if args and args[0][:1].isalnum() and self.suggest_commands and not ctx.resilient_parsing \
                and self.get_command(ctx, args[0]) is None:
            matches = get_close_matches(args[0], self.list_commands(ctx))
            if matches:
                ctx.fail(f"No such command {args[0]!r}. Did you mean {', '.join(repr(m) for m in matches)}?")
        return super().resolve_command(ctx, args)


def lazy_app(help_text: str, entries: Mapping[str, Entry]) -> typer.Typer:
    """A family (such as `boxoffice central`) whose sub-commands come from a table; shows its help when given
    nothing."""
    return typer.Typer(cls=type("LazyCommands", (LazyGroup,), {"entries": entries}), help=help_text,
                       rich_markup_mode=None, no_args_is_help=True, add_completion=False,
                       context_settings=dict(HELP_OPTIONS))
