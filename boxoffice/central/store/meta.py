"""Queries of ``meta``, the service's own settings by key (schema version, allocation cap, venue time zone...)."""

from __future__ import annotations

from boxoffice.central.store.db import CentralDB


def get(db: CentralDB, key: str) -> str | None:
    return db.scalar("SELECT value FROM meta WHERE key = ?", (key,))


def put(db: CentralDB, key: str, value: str) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
               (key, value))


def delete(db: CentralDB, key: str) -> None:
    db.execute("DELETE FROM meta WHERE key = ?", (key,))


COUNTED = ("terminals", "journal", "orders", "conflicts")


def row_counts(db: CentralDB) -> dict[str, int]:
    """How many terminals, journal entries, orders and conflicts the database holds."""
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in COUNTED}
