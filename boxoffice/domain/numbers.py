"""Whole numbers read from a person or a file (quantities, counts, ids, list positions): one parser for all.

Python's ``int()`` takes any Unicode digit ('²' passes ``str.isdigit`` and then fails) and stops with an error past
4,300 digits; a number typed at the counter or read from a file must end in a plain refusal instead, so every such
number is checked here first: ASCII digits only, and no longer than any number the box office has a use for.
"""

from __future__ import annotations

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

MAX_DIGITS = 18  # beyond any count, amount in minor units or position the box office handles; fits a SQLite integer


def is_whole(text: str) -> bool:
    """Whether ``text`` (trimmed) is a plain whole number this parser would accept: for menus that try a number
    first and something else after."""
    t = text.strip()
    return 0 < len(t) <= MAX_DIGITS and t.isascii() and t.isdigit()


def parse_whole(text: str | int, what: str, *, low: int = 0, high: int | None = None, signed: bool = False) -> int:
    """``text`` as an int between ``low`` and ``high``, or ``bad_input`` naming ``what``."""
    if isinstance(text, bool):
        raise BoxOfficeError("bad_input", _("{what} must be a whole number, not {text!r}").format(what=what, text=text))
    t = str(text).strip()
    digits = t[1:] if signed and t[:1] in "+-" and len(t) > 1 else t
    if not digits:
        raise BoxOfficeError("bad_input", _("{what} is missing: give a whole number").format(what=what))
    if len(digits) > MAX_DIGITS:
        raise BoxOfficeError("bad_input", _("{what} is too long ({count} digits): at most {most}").format(
            what=what, count=len(digits), most=MAX_DIGITS))
    if not (digits.isascii() and digits.isdigit()):
        raise BoxOfficeError("bad_input", _("{what} must be a whole number, like 3: {text}").format(
            what=what, text=_shown(t)))
    value = int(t)
    if value < low or (high is not None and value > high):
        if high is not None:
            raise BoxOfficeError("bad_input", _("{what} must be {low} to {high}, not {value}").format(
                what=what, low=low, high=high, value=value))
        raise BoxOfficeError("bad_input", _("{what} must be {low} or more, not {value}").format(
            what=what, low=low, value=value))
    return value


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
