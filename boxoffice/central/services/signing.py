"""The central service's Ed25519 key, which signs web-order tickets and the feed changes terminals must trust.

It lives in the central database (table ``signing_keys``), not in a file: every service process and every admin
command, on whichever machine, then signs with the same key, and a PostgreSQL backup carries it. The cost is that
the database must be guarded like a key file. The public half goes on the change feed, so terminals verify web
tickets offline like any other, and the enrollment answer carries it so a terminal pins it (feed signatures are
checked against that pin: wire/feed_sig.py).
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.services import feed_signing
from boxoffice.central.services.feed import Change, central_key_change
from boxoffice.central.store import feed_backlog
from boxoffice.central.store import keys as key_rows
from boxoffice.central.store.db import CentralDB
from boxoffice.wire import codec
from boxoffice.wire.feed_sig import SIG_FIELD, SIGNED_KINDS

BACKLOG_PAGE = 500


def ensure_key(db: CentralDB, now: str) -> tuple[dict[str, Any], bool]:
    """The current key row, made on first use. Returns (row, created)."""
    return feed_signing.ensure_key_row(db, now)


def current(db: CentralDB) -> dict[str, Any] | None:
    return key_rows.current(db)


def private_key(row: dict[str, Any]) -> Any:
    """The Ed25519 private key object of a key row."""
    return feed_signing.private_key(row)


def key_change(row: dict[str, Any]) -> Change:
    """The feed change that tells terminals to trust this key for web tickets."""
    return central_key_change(row)


def sign_feed_backlog(db: CentralDB, now: str) -> int:
    """Sign the stored changes of the checked kinds that carry no signature (central schema migration 6: a
    database written by a release before signed feeds). Runs inside the migration's transaction; returns how many
    it signed. Safe to repeat: a signed change is left as it is."""
    after, signed = 0, 0
    signer = None
    while True:
        found = feed_backlog.of_kinds(db, sorted(SIGNED_KINDS), after, BACKLOG_PAGE)
        if not found:
            return signed
        for row in found:
            after = int(row["pos"])
            body = codec.loads(row["body"])
            if isinstance(body, dict) and SIG_FIELD in body:
                continue
            if signer is None:
                key, _ = feed_signing.ensure_key_row(db, now)
                signer = feed_signing.Signer(key)
            feed_backlog.set_body(db, after, codec.dumps(signer.signed(after, row["kind"], row["audience"], body)))
            signed += 1
