"""Alert rules with no I/O: how severe a problem is, and what "the usual rate" for an hour is.

Shared by a terminal's alerts (services/alerts.py) and the central service's (central/alerts.py), so a manager reads
the same severities in both places.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from boxoffice.domain.clock import iso, parse_iso
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

ORDER = {"critical": 0, "major": 1, "minor": 2}

DEFAULTS = {
    "sales_change_percent": 30,      # last hour vs usual for that hour, either way
    "sales_min_usual": 5,            # tickets an hour below which the usual rate is too small to judge
    "refunds_over_percent": 50,      # refunds in the last hour over the usual
    "refunds_min": 3,
    "refused_scans": 10,             # refused scans in the last 10 minutes...
    "refused_share_percent": 20,     # ...that are at least this share of all scans
    "failed_prints": 3,              # failed print jobs in the last 15 minutes
    "stock_left_percent": 10,        # a section with this share (or less) of its places left here
    "history_days": 7,
    "sync_stale_minutes": 15,        # an enrolled terminal with no good sync for this long (as `sync status` warns)
    "complaints_over": 10,           # more complaints than this about one event...
    "complaints_venue_over": 10,     # ...or about everything together...
    "complaints_minutes": 5,         # ...within this many minutes (domain/complaints.py)
}


def thresholds_in_force(thresholds: dict[str, Any] | None) -> dict[str, Any]:
    """The defaults with the config's [alerts] over them.

    An unknown threshold name is refused rather than ignored: a typo in the config would otherwise leave the
    default in force while the manager believes it changed.
    """
    unknown = sorted(set(thresholds or {}) - set(DEFAULTS))
    if unknown:
        raise BoxOfficeError("bad_input",
            _("unknown alert threshold {names} in the config's [alerts]: use {known}").format(
            names=", ".join(unknown), known=", ".join(DEFAULTS)))
    return DEFAULTS | (thresholds or {})


def severity(customers: int, terminals: int = 1) -> str:
    """minor under 20 customers on one terminal, major under 100 or on several, critical beyond."""
    if customers >= 100 or terminals >= 3:
        return "critical"
    if customers >= 20 or terminals >= 2:
        return "major"
    return "minor"


def usual(now: datetime, days: int, first_sale: str | None, count: Callable[[str, str], int]) -> float | None:
    """Mean count in the same clock hour on previous days since the first sale; None without history.

    The same hour rather than the day's average, so a quiet Monday afternoon is not compared with a Saturday rush.
    """
    if first_sale is None:
        return None
    first = parse_iso(first_sale)
    values = []
    for d in range(1, days + 1):
        start = now - timedelta(days=d, hours=1)
        if start < first - timedelta(hours=1):
            break
        values.append(count(iso(start), iso(start + timedelta(hours=1))))
    return sum(values) / len(values) if values else None


def most_severe_first(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(alerts, key=lambda a: ORDER[a["severity"]])


def key(alert: dict[str, Any]) -> str:
    """What makes two alerts the same one: the check, and the event and section it is about (if any)."""
    return "/".join(str(alert.get(k) or "") for k in ("code", "event", "section")).rstrip("/")
