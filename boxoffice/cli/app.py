"""The root Typer app and the one place where refusals become a message and an exit status."""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from boxoffice.errors import INTERNAL_ERROR_STATUS, BoxOfficeError


class _PlainCoercion:
    """Turns a command-line value into str, int, bool or Path directly.

    Typer builds a pydantic TypeAdapter for every parameter it processes (even one left unset, even --help), and
    importing pydantic costs a short command more than its own work. Parameters of these plain types need none of it.
    """

    _TRUE = {"1", "true", "t", "yes", "y", "on"}
    _FALSE = {"0", "false", "f", "no", "n", "off", ""}

    def __init__(self, kind: type, multiple: bool) -> None:
        self.kind, self.multiple = kind, multiple

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if self.multiple else None
        if self.multiple:
            if isinstance(value, str):
                raise typer.BadParameter("Value must be an iterable.", ctx=ctx, param=param)
            return [self._one(v, param, ctx) for v in value]
        return self._one(value, param, ctx)

    def _one(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, bytes):
            value = os.fsdecode(value)
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in self._TRUE or text in self._FALSE:
                return text in self._TRUE
            raise typer.BadParameter(f"{value!r} is not true or false.", ctx=ctx, param=param)
        if self.kind is int:
            from boxoffice.domain.numbers import parse_whole

            try:
                return parse_whole(value, "the value", low=-(10**18), signed=True)
            except BoxOfficeError as exc:
                shown = value if len(str(value)) <= 40 else f"{str(value)[:37]}..."
                raise typer.BadParameter(f"{shown!r} is not a whole number ({exc.message}).", ctx=ctx,
                                         param=param) from None
        if self.kind is Path:
            path = value if isinstance(value, Path) else Path(value)
            if path.exists() and not os.access(path, os.R_OK):
                raise typer.BadParameter(f"path {str(path)!r} is not readable.", ctx=ctx, param=param)
            return path
        return str(value)


_PLAIN_TYPES = {str: str, int: int, bool: bool, Path: Path, list[str]: str, list[int]: int, list[Path]: Path}
_PATH_DEFAULTS = {"exists": False, "file_okay": True, "dir_okay": True, "writable": False, "readable": True,
                  "resolve_path": False, "allow_dash": False, "path_type": None}


def _use_plain_coercion_for(param: Any) -> None:
    desc = getattr(param, "type_descriptor", None)
    if desc is None or getattr(param, "_runtime_param", False) is not None:
        return  # not a Typer parameter, or this Typer release works differently: leave it to Typer
    kind = _PLAIN_TYPES.get(desc.annotation)
    info = desc.parameter_info
    if kind is None or desc.file_annotation is not None or getattr(info, "parser", None) is not None:
        return
    if kind is int and any(getattr(info, k, None) is not None for k in ("min", "max", "clamp")):
        return
    if any(getattr(info, k, v) != v for k, v in _PATH_DEFAULTS.items()):
        return
    multiple = isinstance(desc.annotation, type(list[str]))
    if multiple != bool(param.multiple or param.nargs == -1) or (not multiple and param.nargs != 1):
        return
    param._runtime_param = _PlainCoercion(kind, multiple)


def _use_plain_coercion(command: Any) -> None:
    """Give every plain parameter in the command tree, the --help options included, the direct coercion above."""
    for param in getattr(command, "params", ()):
        _use_plain_coercion_for(param)
    original = getattr(command, "get_help_option", None)
    if original is not None:
        def get_help_option(ctx: Any, _original: Any = original) -> Any:
            option = _original(ctx)
            if option is not None:
                _use_plain_coercion_for(option)
            return option

        command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        _use_plain_coercion(sub)


@dataclass
class _Pending:
    """A top-level command not built yet: how to build it, and what `boxoffice --help` says of it meanwhile."""

    build: Callable[[], Any]
    help: str
    short_help: str | None
    hidden: bool


class _LazyCommands(MutableMapping):
    """The root's commands by name, each built (parameters read from its function) the first time it is looked up.

    Typer builds every command of an app before running one; the cost grows with each command added. A counter
    waiting for `boxoffice sell` needs only `sell` built.
    """

    def __init__(self, built: dict[str, Any], pending: dict[str, _Pending]) -> None:
        self._built = dict(built)
        self._pending = dict(pending)
        self._order = [*built, *(n for n in pending if n not in built)]

    def pending(self, name: str) -> _Pending | None:
        return self._pending.get(name)

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in self._pending:
                raise KeyError(name)
            command = self._pending[name].build()
            _use_plain_coercion(command)
            self._built[name] = command
            del self._pending[name]
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._pending.pop(name, None)
        if name not in self._order:
            self._order.append(name)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._built and name not in self._pending:
            raise KeyError(name)
        self._built.pop(name, None)
        self._pending.pop(name, None)
        self._order.remove(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)


class BoxOfficeGroup(TyperGroup):
    """Catches BoxOfficeError from any sub-command: one line on stderr (or JSON with --json), documented status."""

    source: BoxOfficeTyper | None = None  # set on the root's own subclass: where its commands are registered

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        _use_plain_coercion(self)
        if self.source is not None:
            self.commands = _LazyCommands(dict(self.commands), self.source.pending_commands())

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(self.commands)  # the names alone: nothing is built to list them

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        """The command list of --help, from each unbuilt command's help text rather than by building it."""
        lazy = self.commands if isinstance(self.commands, _LazyCommands) else None
        entries = []
        for name in self.list_commands(ctx):
            pending = lazy.pending(name) if lazy is not None else None
            if pending is not None:
                if not pending.hidden:
                    entries.append((name, TyperCommand(name=name, help=pending.help, short_help=pending.short_help)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                entries.append((name, command))
        if entries:
            limit = formatter.width - 6 - max(len(name) for name, _ in entries)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in entries])

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        ctx.meta.setdefault("argv", list(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context):  # noqa: ANN201 - click's signature
        try:
            _refuse_undecodable(ctx.meta.get("argv", []))
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_undecodable(args: list[str]) -> None:
    """Bytes that are not UTF-8 in an argument (Python keeps them as lone surrogates) cannot be stored or printed:
    refuse them up front, unless the argument names a file that exists (file names on Linux may be any bytes)."""
    for arg in args:
        if isinstance(arg, str) and _SURROGATE.search(arg) and not os.path.exists(arg):
            shown = _SURROGATE.sub("\ufffd", arg[:80])
            raise BoxOfficeError("bad_input", f"an argument is not valid UTF-8 text ({shown!r}): type it again")


def report_error(exc: BoxOfficeError, json_mode: bool) -> None:
    """Print a refusal: JSON on stdout for scripts, else one line (plus located document errors) on stderr."""
    if json_mode:
        sys.stdout.write(json.dumps(exc.to_dict(), ensure_ascii=False) + "\n")
        return
    typer.secho(f"error: {exc.message}", err=True, fg="red")
    for line in exc.details.get("errors", [])[:50]:
        typer.echo(f"  {line}", err=True)


class BoxOfficeTyper(typer.Typer):
    """The root app. Commands and sub-apps registered on it are kept aside and built one by one on first use
    (see _LazyCommands); everything else is Typer's own, so `typer.main.get_command(app)` gives the same tree."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["cls"] = type("BoxOfficeRoot", (BoxOfficeGroup,), {"source": self})
        super().__init__(**kwargs)
        self._commands_aside: list[Any] = []
        self._groups_aside: list[Any] = []

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().command(*args, **kwargs)

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            result = register(fn)
            self._commands_aside.append(self.registered_commands.pop())
            return result

        return decorator

    def add_typer(self, typer_instance: typer.Typer, *args: Any, **kwargs: Any) -> None:
        super().add_typer(typer_instance, *args, **kwargs)
        self._groups_aside.append(self.registered_groups.pop())

    def pending_commands(self) -> dict[str, _Pending]:
        """Each registered command and sub-app by name, with how to build it and its help text."""
        from typer import main as typer_main

        style = {"pretty_exceptions_short": self.pretty_exceptions_short, "rich_markup_mode": self.rich_markup_mode}
        out: dict[str, _Pending] = {}
        for info in self._commands_aside:
            name = info.name or typer_main.get_command_name(info.callback.__name__)
            text = inspect.cleandoc(info.help) if info.help is not None else inspect.getdoc(info.callback) or ""
            out[name] = _Pending(lambda info=info: typer_main.get_command_from_info(info, **style), text,
                                 info.short_help, bool(info.hidden))
        for info in self._groups_aside:
            solved = typer_main.solve_typer_info_defaults(info)
            if not solved.name:
                raise ValueError("every sub-app of the boxoffice command needs a name")
            out[solved.name] = _Pending(
                lambda info=info: typer_main.get_group_from_info(info, suggest_commands=self.suggest_commands,
                                                                 **style),
                solved.help or "", solved.short_help, bool(solved.hidden))
        return out


def make_app(help_text: str) -> typer.Typer:
    return BoxOfficeTyper(help=help_text, rich_markup_mode=None, no_args_is_help=True,
                          pretty_exceptions_enable=False, add_completion=False,
                          context_settings={"help_option_names": ["-h", "--help"]})


def sub_app(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, rich_markup_mode=None, no_args_is_help=True, add_completion=False,
                       context_settings={"help_option_names": ["-h", "--help"]})
