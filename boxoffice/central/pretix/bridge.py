"""What every step of a bridge round works with: the central database, the pretix client, the settings, a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from boxoffice.central.pretix.client import PretixClient
from boxoffice.central.pretix.settings import PretixSettings
from boxoffice.central.store.db import CentralDB


@dataclass
class Bridge:
    """One round's context. ``now`` gives the current UTC time as ISO text (the central service's clock)."""

    db: CentralDB
    client: PretixClient
    settings: PretixSettings
    now: Callable[[], str]
