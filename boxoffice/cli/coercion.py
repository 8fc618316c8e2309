"""Plain command-line values (str, int, bool, Path and lists of them) turned into Python values directly.

Typer builds a pydantic TypeAdapter for every parameter it processes (even one left unset, even --help), and
importing pydantic costs a short command more than its own work. This gives the plain parameters of a built
command a direct conversion instead. It reads Typer's parameter description (type_descriptor) and leaves any
parameter alone when that is missing or differs, so a Typer release that works differently only costs speed;
pyproject pins the Typer releases it is tested with.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from boxoffice.errors import BoxOfficeError


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


def use_plain_coercion(command: Any) -> None:
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
        use_plain_coercion(sub)
