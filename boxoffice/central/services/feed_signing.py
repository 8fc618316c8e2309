"""The central key signs the changes that decide what a terminal sells and admits (wire/feed_sig.py says which and
what the signature covers).

Signing happens in ``feed.append``, inside the writer's transaction, so no change of those kinds is ever stored
unsigned: the signature is part of the stored body and ``feed.page`` copies it like the rest. Changes stored by a
release before this one are signed by central schema migration 6 (``signing.sign_feed_backlog``).

The key is the one in ``signing_keys`` (central/services/signing.py explains why it lives in the database). It is
made here when a database has none yet (a database from before `central init` made keys): ``feed.append`` then puts
the key's own change on the feed first, so terminals learn it for web tickets as they always did.
"""

from __future__ import annotations

import base64
from typing import Any

from boxoffice.central.store import keys as key_rows
from boxoffice.central.store.db import CentralDB
from boxoffice.wire import feed_sig


def ensure_key_row(db: CentralDB, now: str) -> tuple[dict[str, Any], bool]:
    """The central key row, made on first use. Returns (row, created)."""
    row = key_rows.current(db)
    if row is not None:
        return row, False
    from cryptography.hazmat.primitives import serialization

    from boxoffice.tickets import keys

    private, public = keys.generate_keypair()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    key_rows.insert(db, keys.key_id_hex(public), keys.public_b64(public), pem, now)
    return key_rows.current(db), True  # type: ignore[return-value]


def private_key(row: dict[str, Any]) -> Any:
    """The Ed25519 private key object of a key row."""
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(row["private_pem"].encode("ascii"), password=None)


class Signer:
    """Signs feed changes with one key row (the private key parsed once per append, not once per change)."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.key_id = row["key_id"]
        self._private = private_key(row)

    def signed(self, pos: int, kind: str, audience: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with its ``sig`` when ``kind`` is one the terminal checks, else ``body`` as it is."""
        if kind not in feed_sig.SIGNED_KINDS:
            return body
        value = self._private.sign(feed_sig.message(pos, kind, audience, body))
        unsigned = {k: v for k, v in body.items() if k != feed_sig.SIG_FIELD}
        return {**unsigned, feed_sig.SIG_FIELD: {"key_id": self.key_id,
                                                 "value": base64.b64encode(value).decode("ascii")}}
