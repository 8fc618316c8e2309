"""The root Typer app and the one place where refusals become a message and an exit status."""

from __future__ import annotations

import json
import os
import sys

import typer
from typer.core import TyperGroup

from boxoffice.errors import INTERNAL_ERROR_STATUS, BoxOfficeError


class BoxOfficeGroup(TyperGroup):
    """Catches BoxOfficeError from any sub-command: one line on stderr (or JSON with --json), documented status."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        ctx.meta.setdefault("argv", list(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context):  # noqa: ANN201 - click's signature
        try:
            return super().invoke(ctx)
        except BoxOfficeError as exc:
            report_error(exc, json_mode="--json" in ctx.meta.get("argv", []))
            ctx.exit(exc.exit_status)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except KeyboardInterrupt:
            typer.echo("interrupted: nothing was left half-done", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug: say so plainly, keep the traceback for BOXOFFICE_DEBUG=1
            if os.environ.get("BOXOFFICE_DEBUG") == "1":
                raise
            typer.echo(f"error: internal error ({type(exc).__name__}: {exc}); run again with BOXOFFICE_DEBUG=1 "
                       "and report it", err=True)
            ctx.exit(INTERNAL_ERROR_STATUS)


def report_error(exc: BoxOfficeError, json_mode: bool) -> None:
    """Print a refusal: JSON on stdout for scripts, else one line (plus located document errors) on stderr."""
    if json_mode:
        sys.stdout.write(json.dumps(exc.to_dict(), ensure_ascii=False) + "\n")
        return
    typer.secho(f"error: {exc.message}", err=True, fg="red")
    for line in exc.details.get("errors", [])[:50]:
        typer.echo(f"  {line}", err=True)


def make_app(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, cls=BoxOfficeGroup, rich_markup_mode=None, no_args_is_help=True,
                       pretty_exceptions_enable=False, add_completion=False,
                       context_settings={"help_option_names": ["-h", "--help"]})


def sub_app(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, rich_markup_mode=None, no_args_is_help=True, add_completion=False,
                       context_settings={"help_option_names": ["-h", "--help"]})
