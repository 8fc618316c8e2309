"""Bridge step `web_orders` (see runner.py). Not written yet: it does nothing."""

from __future__ import annotations

from boxoffice.central.pretix.bridge import Bridge


def run(bridge: Bridge) -> dict[str, int]:
    """One pass of this step; returns counts of what it did."""
    return {}
