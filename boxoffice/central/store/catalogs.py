"""Queries of the published catalogues (``catalogs``, one row per document by its sha256) and their events."""

from __future__ import annotations

from boxoffice.central.store.db import CentralDB


def document(db: CentralDB, sha: str) -> str | None:
    """The JSON text of one published catalogue, or None."""
    row = db.one("SELECT doc FROM catalogs WHERE sha256 = ?", (sha,))
    return None if row is None else row["doc"]


def shas_newest_first(db: CentralDB) -> list[str]:
    return [r["sha256"] for r in db.all("SELECT sha256 FROM catalogs ORDER BY published_at DESC, sha256")]


def documents_newest_first(db: CentralDB) -> list[str]:
    return [r["doc"] for r in db.all("SELECT doc FROM catalogs ORDER BY published_at DESC, sha256")]


def event_model(db: CentralDB, event_id: str) -> str | None:
    """The JSON text of an event's model (sections, seats, types, prices) as published, or None."""
    return db.scalar("SELECT model FROM events WHERE id = ?", (event_id,))
