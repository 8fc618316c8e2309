"""Plain command-line values (str, bool, Path and lists of them, whole numbers) turned into Python values directly.

Typer converts every parameter's value (even one left unset) through a pydantic TypeAdapter, and importing pydantic
costs a short command more than its own work. Typer 0.29 has no public per-parameter setting that avoids it (its
`parser=` goes through pydantic too). So the parameters of a built command become instances of the subclasses
below, which override click's public `Parameter.process_value`: a plain parameter, as its function declares it
(read with the public `typer.utils.get_params_from_function`), is converted here, and anything else, a missing
required value included, is handed to Typer unchanged. Only public names of Typer are used.

A whole number (``--limit 20``) is converted here when it is written as plain digits, the value pydantic would give
it; anything else typed for one (``5.0``, ``1_000``, ``abc``) goes to Typer, so what it accepts and the message it
refuses with stay Typer's, and pydantic is imported only then.
"""

from __future__ import annotations

import os
import types
import weakref
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import typer
from typer.core import TyperArgument, TyperOption
from typer.models import ParameterInfo
from typer.utils import get_params_from_function

from boxoffice.i18n import _

# What PlainCoercion returns for a value it leaves to Typer to convert (a whole number not written as digits).
TO_TYPER = object()


class PlainCoercion:
    """Turns a command-line value into str, bool or Path (or a list of one of them), with the messages the
    project's commands have always given for them, or a whole number written as digits."""

    _TRUE = {"1", "true", "t", "yes", "y", "on"}
    _FALSE = {"0", "false", "f", "no", "n", "off", ""}

    def __init__(self, kind: type, multiple: bool) -> None:
        self.kind, self.multiple = kind, multiple

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if self.multiple else None
        if self.multiple:
            if isinstance(value, str):
                raise typer.BadParameter(_("Value must be an iterable."), ctx=ctx, param=param)
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
            raise typer.BadParameter(_("{value!r} is not true or false.").format(value=value), ctx=ctx, param=param)
        if self.kind is int:
            return _whole_number(value)
        if self.kind is Path:
            path = value if isinstance(value, Path) else Path(value)
            if path.exists() and not os.access(path, os.R_OK):
                raise typer.BadParameter(_("path {path!r} is not readable.").format(path=str(path)), ctx=ctx,
                                         param=param)
            return path
        return str(value)


def _whole_number(value: Any) -> Any:
    """An int as pydantic's lax mode gives it for digits with an optional sign (``20``, ``-3``, ``007``, ``+5``);
    TO_TYPER for anything else, bool included."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and len(value) <= 18:
        digits = value[1:] if value[:1] in ("+", "-") else value
        if digits.isdigit():
            return int(value)
    return TO_TYPER


# A whole number with bounds (min=, max=) is left to Typer, which checks them with its own messages.
_PLAIN_TYPES = {str: str, bool: bool, Path: Path, int: int, list[str]: str, list[Path]: Path}
_PATH_DEFAULTS = {"exists": False, "file_okay": True, "dir_okay": True, "writable": False, "readable": True,
                  "resolve_path": False, "allow_dash": False, "path_type": None}


def _declared_type(annotation: Any) -> Any:
    """The annotation without `| None`, as Typer reads it; a union of two real types is not plain."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        return rest[0] if len(rest) == 1 else None
    return annotation


def plain_coercion_for(meta: Any, param: Any) -> PlainCoercion | None:
    """The direct conversion for a parameter declared as `meta` (a typer.models.ParamMeta), or None when Typer
    should convert it: another type, a custom parser or path checks."""
    kind = _PLAIN_TYPES.get(_declared_type(meta.annotation))
    info = meta.default if isinstance(meta.default, ParameterInfo) else None
    if kind is None:
        return None
    if info is not None:
        if info.parser is not None:
            return None
        if any(getattr(info, k) != v for k, v in _PATH_DEFAULTS.items()):
            return None
        if kind is int and (info.min is not None or info.max is not None or info.clamp):
            return None
    multiple = get_origin(_declared_type(meta.annotation)) is list
    if multiple != bool(param.multiple or param.nargs == -1) or (not multiple and param.nargs != 1):
        return None
    return PlainCoercion(kind, multiple)


_BY_COMMAND: weakref.WeakKeyDictionary[Any, dict[str, PlainCoercion | None]] = weakref.WeakKeyDictionary()


def _coercion(command: Any, param: Any) -> PlainCoercion | None:
    """The conversion of `param` of `command`, worked out from the command's function once per command."""
    table = _BY_COMMAND.get(command)
    if table is None:
        callback = getattr(command, "callback", None)
        try:
            declared = get_params_from_function(callback) if callback is not None else {}
        except Exception:  # a function Typer reads differently: leave every parameter to Typer
            declared = {}
        table = {}
        for other in command.params:
            meta = declared.get(other.name)
            if meta is not None:
                table[other.name] = plain_coercion_for(meta, other)
            else:  # an option Typer adds itself (--install-completion, --show-completion): a flag, or Typer's
                table[other.name] = PlainCoercion(bool, False) if getattr(other, "is_bool_flag", False) else None
        _BY_COMMAND[command] = table
    if param.name not in table and getattr(param, "is_bool_flag", False):
        return PlainCoercion(bool, False)  # an option the command adds itself, such as --help
    return table.get(param.name)


def _process_value(param: Any, ctx: typer.Context, value: Any, typer_process_value: Any) -> Any:
    """click's process_value with the direct conversion for a plain parameter; Typer's own for anything else."""
    plain = _coercion(ctx.command, param)
    if plain is None:
        return typer_process_value(param, ctx, value)
    converted = plain.coerce(value, param=param, ctx=ctx)
    if converted is TO_TYPER:
        return typer_process_value(param, ctx, value)
    if param.required and param.value_is_missing(converted):
        return typer_process_value(param, ctx, value)  # Typer's own "Missing ..." error
    if param.callback is not None:
        converted = param.callback(ctx, param, converted)
    return converted


def _shown_choices(param: Any, ctx: typer.Context, typer_display: Any) -> str | None:
    """The choices of a parameter that has some (``<a|b>``), which say what to type; None for any other.

    Typer's own display is asked (its public method) and kept only when it lists choices: a Python type name such
    as ``<list[str]>`` says nothing to a person at the counter."""
    shown = typer_display(param, ctx)
    return shown if isinstance(shown, str) and "|" in shown else None


class PlainOption(TyperOption):
    """A Typer option whose plain values skip pydantic, and whose help names its value in capitals (``--type
    TYPE``, as its metavar says, or as the option is called) rather than by a Python type (``<list[str]>``)."""

    def process_value(self, ctx: typer.Context, value: Any) -> Any:
        return _process_value(self, ctx, value, TyperOption.process_value)

    def display_type_rich(self, ctx: typer.Context) -> str | None:
        if self.metavar is not None or self.is_flag:
            return TyperOption.display_type_rich(self, ctx)
        longest = max(self.opts, key=len, default=self.name or "value")
        return _shown_choices(self, ctx, TyperOption.display_type_rich) or \
            longest.lstrip("-").replace("-", "_").upper()


class PlainArgument(TyperArgument):
    """A Typer argument whose plain values skip pydantic, and whose help shows its name and help, not a Python
    type (``event <str>``)."""

    def process_value(self, ctx: typer.Context, value: Any) -> Any:
        return _process_value(self, ctx, value, TyperArgument.process_value)

    def display_type_rich(self, ctx: typer.Context) -> str | None:
        return _shown_choices(self, ctx, TyperArgument.display_type_rich)


_PLAIN_CLASSES: dict[type, type] = {TyperOption: PlainOption, TyperArgument: PlainArgument}


def _plain_param(param: Any) -> Any:
    """The parameter, made an instance of the subclass above when it is a Typer option or argument."""
    plain_class = _PLAIN_CLASSES.get(type(param))
    if plain_class is not None:
        param.__class__ = plain_class
    return param


def _plain_command_class(command_class: type) -> type:
    """A subclass of the command's own class (the same layout) whose --help option skips pydantic too."""
    plain_class = _PLAIN_CLASSES.get(command_class)
    if plain_class is None and command_class not in _PLAIN_CLASSES.values():
        def get_help_option(self: Any, ctx: typer.Context) -> Any:
            option = command_class.get_help_option(self, ctx)
            return _plain_param(option) if option is not None else None

        plain_class = type(command_class.__name__, (command_class,), {
            "get_help_option": get_help_option, "__module__": command_class.__module__,
            "__doc__": command_class.__doc__})
        _PLAIN_CLASSES[command_class] = plain_class
    return plain_class or command_class


def use_plain_coercion(command: Any) -> None:
    """Make every Typer parameter in the command tree, and the --help options, the subclasses above (same state,
    same help text)."""
    for param in getattr(command, "params", ()):
        _plain_param(param)
    command.__class__ = _plain_command_class(type(command))
    for sub in getattr(command, "commands", {}).values():
        use_plain_coercion(sub)
