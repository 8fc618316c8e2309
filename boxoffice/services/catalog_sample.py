"""The sample catalogue that ships with the package (boxoffice/samples/venue.json), for a newcomer to start from.

The file's events have fixed dates, which pass; what `catalog sample` writes and `catalog import --sample` imports
has them moved by whole days so that the first starts a week from today (local times and the days between events
kept), so a terminal set up with it can sell at once.
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

SAMPLE = "venue.json"
LEAD = timedelta(days=7)


def sample_text() -> str:
    """The shipped document, as the package holds it."""
    return resources.files("boxoffice.samples").joinpath(SAMPLE).read_text(encoding="utf-8")


def _moved(text: str, days: timedelta) -> str:
    dt = datetime.fromisoformat(text)
    return (dt + days).isoformat(timespec="minutes" if not dt.second else "seconds")


def sample_catalog(today: date) -> dict[str, Any]:
    """The sample document with its events moved so that the first starts a week after ``today``."""
    doc: dict[str, Any] = json.loads(sample_text())
    out = copy.deepcopy(doc)
    first = min(datetime.fromisoformat(ev["starts_at"]).date() for ev in doc["events"])
    days = today + LEAD - first
    for ev in out["events"]:
        for key in ("starts_at", "doors_at"):
            if key in ev:
                ev[key] = _moved(ev[key], days)
    return out
