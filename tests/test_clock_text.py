"""Times as text (domain/clock.py): stored ISO text and the English "Fri 4 Dec 19:30" lines are written without
strftime on the hot path; they must be the very text strftime gives, for every day, hour and zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from boxoffice.domain.clock import iso, parse_iso, when_text
from boxoffice.i18n import use_language


def _moments() -> list[datetime]:
    start = datetime(2023, 12, 25, 23, 59, 58, 999_999, tzinfo=UTC)
    # Every day of two years and more (two leap days), each at another time of day and microsecond, in three zones.
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-9))]
    return [(start + timedelta(days=d, seconds=d * 3_617, microseconds=d * 7)).astimezone(zones[d % 3])
            for d in range(800)] + [datetime(1000, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
                                    datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)]


def test_stored_text_is_strftimes_and_reads_back() -> None:
    for dt in _moments():
        text = iso(dt)
        assert text == dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert parse_iso(text) == dt
    assert iso(datetime(999, 12, 31, 23, 0, tzinfo=UTC)) == "999-12-31T23:00:00.000000Z", "strftime's, as before"


def test_english_times_are_strftimes_in_the_venues_zone() -> None:
    with use_language("en"):
        for dt in _moments()[:-3]:
            for tz in ("Europe/London", "Asia/Kolkata", "America/New_York"):
                local = dt.astimezone(ZoneInfo(tz))
                for year in (False, True):
                    for seconds in (False, True):
                        clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
                        expected = (f"{local.strftime('%a')} {local.day} {local.strftime('%b')}"
                                    f"{f' {local.year}' if year else ''} {clock}")
                        assert when_text(iso(dt), tz, year=year, seconds=seconds) == expected
                        assert when_text(dt, tz, year=year, seconds=seconds) == expected
