"""Time: stored in UTC as ISO 8601 text, shown in the venue's zone. Services take a clock so tests can set time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import SOURCE_LANGUAGE, _, language

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


class FixedClock:
    """A clock that always says one time, set from outside the program (BOXOFFICE_NOW).

    A distinct type so that opening a terminal can tell it from the real clock: a fixed time lifts lockouts and moves
    refund tiers, so it is honoured only on a demo terminal (services/opening.py).
    """

    def __init__(self, when: datetime, source: str = "BOXOFFICE_NOW") -> None:
        self.when, self.source = when, source

    def __call__(self) -> datetime:
        return self.when


def iso(dt: datetime) -> str:
    """UTC ISO text with seconds and microseconds, sortable as text."""
    utc = dt.astimezone(UTC)
    if utc.year < 1000:  # strftime writes such a year unpadded ("999-"), isoformat pads it: keep strftime's text
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), without strftime's format parsing (four times a sale).
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"


def parse_iso(text: str) -> datetime:
    """Read a stored timestamp back."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name, or bad_input. zoneinfo is imported here (its search path is worked out at import,
    through sysconfig): a command that shows no local time does without it. A zone found is kept by name (ZoneInfo
    keeps it too; this spares the import statement and the call, twice a printed sale)."""
    found = _ZONES.get(name) if type(name) is str else None
    if found is not None:
        return found
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        found = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise BoxOfficeError("bad_input", _("unknown time zone {name!r} (use an IANA name like Europe/London)").format(
            name=name)) from None
    _ZONES[name] = found
    return found


_ZONES: dict[str, ZoneInfo] = {}  # zones found, by name


def local_text(stored: str, tz: str, fmt: str = "%a %d %b %Y %H:%M") -> str:
    """A stored UTC time shown in the venue's zone. Outside English a format naming the weekday or the month
    (``%a``, ``%b``) is written by Babel in the language in force, as :func:`when_text` does."""
    dt = parse_iso(stored).astimezone(zone(tz))
    if language() != SOURCE_LANGUAGE and ("%a" in fmt or "%b" in fmt):
        return _localised_format(dt, fmt)
    return dt.strftime(fmt)


def _localised_format(dt: datetime, fmt: str) -> str:
    """``local_text`` outside English: the same parts (weekday, day and month, year, clock) in the language's
    order and words, by Babel ("12月4日 周五 19:30")."""
    from babel.dates import format_datetime

    lang = language()
    weekday, year = "%a" in fmt, "%Y" in fmt
    if lang in _PATTERNS:
        day = _PATTERNS[lang][1 if year else 0]
        if not weekday:
            day = day.removesuffix(" EEE")
    else:
        day = ("EEE " if weekday else "") + ("d MMM y" if year else "d MMM")
    clock = " HH:mm:ss" if "%S" in fmt else " HH:mm" if "%H" in fmt else ""
    return format_datetime(dt, day + clock, tzinfo=dt.tzinfo, locale=lang)


def when_text(value: str | datetime | None, tz: str, *, year: bool = False, seconds: bool = False,
              missing: str = "-") -> str:
    """A time as people read it, in the venue's zone: "Fri 4 Dec 19:30" (``year``: "Fri 4 Dec 2026 19:30";
    ``seconds``: "19:30:05"). Every screen and printed line shows times this way; ``--json`` keeps ISO text.

    ``value`` is stored ISO text or an aware datetime; None (never happened) is ``missing``.
    """
    if value is None or value == "":
        return missing
    dt = (parse_iso(value) if isinstance(value, str) else value).astimezone(zone(tz))
    if language() != SOURCE_LANGUAGE:
        return _localised(dt, year=year, seconds=seconds)
    # strftime's %a, %b, %H:%M(:%S) in the C locale (the program never sets LC_TIME), from tables: three strftime
    # calls a line cost more than the rest of it, and a printed sale writes two such lines.
    clock = f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}" if seconds else f"{dt.hour:02d}:{dt.minute:02d}"
    return f"{_WEEKDAYS[dt.weekday()]} {dt.day} {_MONTHS[dt.month - 1]}{f' {dt.year}' if year else ''} {clock}"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# The same three parts (weekday, day and month, clock) in the order and words of each language with a catalogue.
_PATTERNS = {"zh_CN": ("M月d日 EEE", "y年M月d日 EEE")}


def _localised(dt: datetime, *, year: bool, seconds: bool) -> str:
    """``when_text`` outside English, by Babel's locale data ("12月4日 周五 19:30")."""
    from babel.dates import format_datetime

    lang = language()
    day = _PATTERNS.get(lang, ("EEE d MMM", "EEE d MMM y"))[1 if year else 0]
    return format_datetime(dt, f"{day} HH:mm{':ss' if seconds else ''}", tzinfo=dt.tzinfo, locale=lang)


def to_utc(local: str, tz: str) -> datetime:
    """A naive local time in zone ``tz`` (or an aware one) as UTC."""
    try:
        dt = datetime.fromisoformat(local)
    except ValueError:
        raise BoxOfficeError("bad_input", _("not a date and time: {local!r} (use 2026-12-01T19:30)").format(
            local=local)) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone(tz))
    return dt.astimezone(UTC)
