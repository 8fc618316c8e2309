"""Reading the conflicts the service flagged, for the admin API and `boxoffice central conflicts`."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store import conflicts as rows
from boxoffice.central.store.db import CentralDB


def newest(db: CentralDB, limit: int) -> list[dict[str, Any]]:
    """The newest conflicts as stored (the admin API's answer)."""
    return rows.newest(db, limit)
