"""A command group with a default sub-command: `boxoffice pickup CODE` is `pickup give CODE`."""

from __future__ import annotations

import typer
from typer.core import TyperGroup


class DefaultCommandGroup(TyperGroup):
    """A group whose first argument, when it is no sub-command, goes to a default command.

    So `boxoffice pickup WQ72-2248` means `boxoffice pickup give WQ72-2248`, and `boxoffice scan --event E` means
    `boxoffice scan check --event E`, while `pickup find` and `scan stats` stay sub-commands (codes never clash with
    command names). With nothing after it the group shows its help, as every group does.
    """

    default_command = ""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def default_command_app(help_text: str, default_command: str) -> typer.Typer:
    """A family of sub-commands whose first argument, when it names none of them, goes to `default_command`."""
    cls = type(f"DefaultTo{default_command.title()}", (DefaultCommandGroup,), {"default_command": default_command})
    return typer.Typer(help=help_text, cls=cls, rich_markup_mode=None, no_args_is_help=True, add_completion=False,
                       context_settings={"help_option_names": ["-h", "--help"]})
