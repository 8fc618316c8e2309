"""Queries of ``venue_secrets`` (central schema 8): the one secret customers are matched by."""

from __future__ import annotations

from boxoffice.central.store.db import CentralDB


def get(db: CentralDB) -> str | None:
    """The secret as hex, or None before one was made."""
    row = db.one("SELECT secret FROM venue_secrets WHERE id = 1")
    return row["secret"] if row else None


def insert_if_missing(db: CentralDB, secret_hex: str, now: str) -> None:
    """Store a secret unless one is there already (two processes racing keep the first)."""
    db.execute("INSERT INTO venue_secrets (id, secret, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
               (secret_hex, now))
