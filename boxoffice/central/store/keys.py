"""Queries of ``signing_keys``: the central service's own key that signs web tickets."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB


def insert(db: CentralDB, key_id: str, public_key: str, private_pem: str, now: str) -> None:
    db.execute("INSERT INTO signing_keys (key_id, public_key, private_pem, created_at) VALUES (?, ?, ?, ?)",
               (key_id, public_key, private_pem, now))


def current(db: CentralDB) -> dict[str, Any] | None:
    """The oldest key not retired (the one in use), or None."""
    return db.one("SELECT * FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at LIMIT 1")
