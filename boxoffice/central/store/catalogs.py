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


def insert_document(db: CentralDB, sha: str, text: str, now: str) -> bool:
    """Store a catalogue document once by its sha256; True when it is new."""
    return bool(db.insert_returning("catalogs", ("sha256", "doc", "published_at"), [(sha, text, now)],
                                    "sha256", "sha256"))


def newest_sha(db: CentralDB) -> str | None:
    """The sha256 of the newest published catalogue, or None before the first."""
    return db.scalar("SELECT sha256 FROM catalogs ORDER BY published_at DESC, sha256 LIMIT 1")


def touch_document(db: CentralDB, sha: str, now: str) -> None:
    """Make a catalogue published before the newest again (published at ``now``)."""
    db.execute("UPDATE catalogs SET published_at = ? WHERE sha256 = ?", (now, sha))


def upsert_event(db: CentralDB, event: dict[str, str], model_json: str, now: str) -> None:
    db.execute("INSERT INTO events (id, name, starts_at, currency, model, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
               " ON CONFLICT (id) DO UPDATE SET name = excluded.name, starts_at = excluded.starts_at,"
               " currency = excluded.currency, model = excluded.model, updated_at = excluded.updated_at",
               (event["id"], event["name"], event["starts_at"], event["currency"], model_json, now))


def newest_document(db: CentralDB) -> str | None:
    """The JSON text of the newest published catalogue, or None before the first."""
    row = db.one("SELECT doc FROM catalogs ORDER BY published_at DESC, sha256 LIMIT 1")
    return None if row is None else row["doc"]


def event_exists(db: CentralDB, event_id: str) -> bool:
    return db.one("SELECT id FROM events WHERE id = ?", (event_id,)) is not None
