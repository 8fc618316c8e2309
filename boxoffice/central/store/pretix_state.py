"""The pretix bridge's small named values: where each pull stopped, when the last round ran and how it ended."""

from __future__ import annotations

from boxoffice.central.store.db import CentralDB


def get(db: CentralDB, name: str) -> str | None:
    """The value stored under ``name``, if any."""
    row = db.one("SELECT value FROM pretix_state WHERE name = ?", (name,))
    return None if row is None else str(row["value"])


def put(db: CentralDB, name: str, value: str) -> None:
    """Store ``value`` under ``name``, replacing what was there."""
    db.execute("INSERT INTO pretix_state (name, value) VALUES (?, ?) "
               "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))


def all_values(db: CentralDB) -> dict[str, str]:
    """Every stored value, by name."""
    return {r["name"]: str(r["value"]) for r in db.all("SELECT name, value FROM pretix_state ORDER BY name")}
