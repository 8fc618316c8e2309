"""Reading the config file: the usual kind of file without importing tomllib (config.py reads it with this).

A terminal's boxoffice.toml is a few ``key = "value"`` lines. tomllib compiles its patterns when imported, about
10 M instructions, more than the rest of reading the configuration: a command that reads such a file does without
it, and any file this reader is not sure of goes to tomllib, which reads it or says what is wrong with it.
"""

from __future__ import annotations

from typing import Any

_BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_NOT_SIMPLE = object()


def _bare(key: str) -> bool:
    return bool(key) and all(c in _BARE_KEY for c in key)


def _tail(rest: str) -> bool:
    """Whether what follows a value or a table's name is nothing, or a comment, on its line."""
    rest = rest.lstrip(" \t")
    return not rest or (rest[0] == "#" and rest[1:].isprintable())


def _simple_value(rest: str) -> tuple[Any, str]:
    """A value of the simple kind and the rest of its line: a string without escapes, a decimal whole number, true
    or false; _NOT_SIMPLE for anything else."""
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        end = rest.find(quote, 1)
        text = rest[1:end]
        if end < 1 or rest.startswith(quote * 3) or (quote == '"' and "\\" in text) or not text.isprintable():
            return _NOT_SIMPLE, ""
        return text, rest[end + 1:]
    end = min([i for i in (rest.find(" "), rest.find("\t"), rest.find("#")) if i >= 0], default=len(rest))
    token = rest[:end]
    if token in ("true", "false"):
        return token == "true", rest[end:]
    digits = token[1:] if token[:1] in ("+", "-") else token
    if digits.isascii() and digits.isdigit() and len(digits) <= 18 and (digits == "0" or digits[0] != "0"):
        return int(token), rest[end:]
    return _NOT_SIMPLE, ""


def simple_toml(text: str) -> dict[str, Any] | None:
    """A config file of the usual kind read without tomllib: ``key = value`` lines (bare keys; values as
    :func:`_simple_value` reads them), ``[table]`` lines, comments and blank lines. None for anything else (another
    kind of value or key, a key or table given twice, a control character...): tomllib then reads it, and says
    what is wrong with it. What this returns is what tomllib.loads returns for the same text
    (tests/test_config_toml.py); importing tomllib, with the patterns it compiles, costs a command about
    10 M instructions, more than the rest of reading its configuration."""
    if "\r" in text:
        return None
    root: dict[str, Any] = {}
    table = root
    for line in text.split("\n"):
        line = line.strip(" \t")
        if not line or line[0] == "#":
            if line[1:].isprintable():
                continue
            return None
        if line[0] == "[":
            name, closed, rest = line[1:].partition("]")
            if not closed or not _bare(name) or name in root or not _tail(rest):
                return None
            table = root[name] = {}
            continue
        key, equals, rest = line.partition("=")
        key = key.rstrip(" \t")
        if not equals or not _bare(key) or key in table:
            return None
        value, rest = _simple_value(rest.lstrip(" \t"))
        if value is _NOT_SIMPLE or not _tail(rest):
            return None
        table[key] = value
    return root


def parse_toml(text: str) -> dict[str, Any]:
    """tomllib.loads, without importing tomllib for a file :func:`simple_toml` reads."""
    simple = simple_toml(text)
    if simple is not None:
        return simple
    import tomllib

    return tomllib.loads(text)


def toml_error() -> type[Exception]:
    """tomllib's error for a file that is not TOML (imported then: only a broken file needs it)."""
    import tomllib

    return tomllib.TOMLDecodeError
