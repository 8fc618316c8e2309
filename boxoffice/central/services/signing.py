"""The central service's Ed25519 key, which signs web-order tickets.

It lives in the central database (table ``signing_keys``), not in a file: every service process and every admin
command, on whichever machine, then signs with the same key, and a PostgreSQL backup carries it. The cost is that
the database must be guarded like a key file. The public half goes on the change feed, so terminals verify web
tickets offline like any other.
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.services.feed import Change
from boxoffice.central.store import keys as key_rows
from boxoffice.central.store.db import CentralDB


def ensure_key(db: CentralDB, now: str) -> tuple[dict[str, Any], bool]:
    """The current key row, made on first use. Returns (row, created)."""
    row = current(db)
    if row is not None:
        return row, False
    from cryptography.hazmat.primitives import serialization

    from boxoffice.tickets import keys

    private, public = keys.generate_keypair()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    key_rows.insert(db, keys.key_id_hex(public), keys.public_b64(public), pem, now)
    return current(db), True  # type: ignore[return-value]


def current(db: CentralDB) -> dict[str, Any] | None:
    return key_rows.current(db)


def private_key(row: dict[str, Any]) -> Any:
    """The Ed25519 private key object of a key row."""
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(row["private_pem"].encode("ascii"), password=None)


def key_change(row: dict[str, Any]) -> Change:
    """The feed change that tells terminals to trust this key for web tickets."""
    return Change("key", {"key_id": row["key_id"], "public_key": row["public_key"], "owner": "central"})
