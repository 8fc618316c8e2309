"""The central service's venue secret: the HMAC key that makes an ID number, phone or e-mail the same customer at
every terminal (boxoffice/domain/customer_ids.py says why a keyed hash). Made once, on first use; never rotated,
as every hash stored under it would stop matching."""

from __future__ import annotations

import secrets

from boxoffice.central.store import venue_secret as rows
from boxoffice.central.store.db import CentralDB

SECRET_BYTES = 32


def ensure(db: CentralDB, now: str) -> str:
    """The secret as hex, made and stored if there is none yet."""
    found = rows.get(db)
    if found is None:
        rows.insert_if_missing(db, secrets.token_hex(SECRET_BYTES), now)
        found = rows.get(db)
    assert found is not None
    return found


def secret(db: CentralDB, now: str) -> bytes:
    """The secret as bytes, for matching on the central service itself (web-shop customers, limits)."""
    return bytes.fromhex(ensure(db, now))
