"""Time: stored in UTC as ISO 8601 text, shown in the venue's zone. Services take a clock so tests can set time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from boxoffice.errors import BoxOfficeError

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """UTC ISO text with seconds and microseconds, sortable as text."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    """Read a stored timestamp back."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name, or bad_input."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise BoxOfficeError("bad_input", f"unknown time zone {name!r} (use an IANA name like Europe/London)") from None


def local_text(stored: str, tz: str, fmt: str = "%a %d %b %Y %H:%M") -> str:
    """A stored UTC time shown in the venue's zone."""
    return parse_iso(stored).astimezone(zone(tz)).strftime(fmt)


def to_utc(local: str, tz: str) -> datetime:
    """A naive local time in zone ``tz`` (or an aware one) as UTC."""
    try:
        dt = datetime.fromisoformat(local)
    except ValueError:
        raise BoxOfficeError("bad_input", f"not a date and time: {local!r} (use 2026-12-01T19:30)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone(tz))
    return dt.astimezone(UTC)
