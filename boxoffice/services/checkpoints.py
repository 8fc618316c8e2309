"""Signing the journal's head with this terminal's key, and checking every checkpoint against the chain now.

Which key: the terminal's own Ed25519 key, the one that signs its tickets. Its private half is the key file
(config ``key_path``, mode 0600, outside the database), so whoever can rewrite the database cannot sign a checkpoint
for the rewritten chain without that file too; and its public half is already what the central service knows the
terminal by, so the central service checks a pushed checkpoint with no new key to enrol. A second key kept next to
the first would stop no one the first does not stop. A key stored in the database would be worthless here.

This module imports no ``Ctx`` (the context calls it on every journal entry): a ``ctx`` here is anything with
``conn``, ``config``, ``terminal``, ``cache`` and ``now_iso``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from boxoffice.domain import checkpoints as rules
from boxoffice.errors import BoxOfficeError
from boxoffice.store import checkpoints as store


def _private_key(ctx: Any) -> Any:
    """The terminal's private key (services/signing.py, cached there), or None when its file cannot be read: the
    checkpoint then waits for the next sync or shift close instead of failing the action that asked for it."""
    from boxoffice.services.signing import private_key

    try:
        return private_key(ctx)
    except BoxOfficeError:
        return None


def sign(ctx: Any, why: str, upto: int | None = None) -> dict[str, Any] | None:
    """Sign the journal's head (or its entry ``upto``: the last one a sync pushed), inside the caller's
    transaction; the latest checkpoint when it covers that entry already; None with no such entry, or no key file
    to sign with (the next sync or shift close signs)."""
    head = store.head(ctx.conn) if upto is None else store.entry(ctx.conn, upto)
    if head is None:
        return None
    last = store.latest(ctx.conn)
    if last is not None and (last["seq"], last["hash"]) == head:
        return last
    key = _private_key(ctx)
    if key is None:
        return None
    from boxoffice.tickets.keys import key_id_hex, public_raw

    seq, hash_ = head
    signature = key.sign(rules.message(ctx.terminal["id"], seq, hash_))
    return store.add(ctx.conn, seq=seq, hash=hash_, key_id=key_id_hex(public_raw(key)),
                     signature=base64.b64encode(signature).decode("ascii"), at=ctx.now_iso(), why=why)


def after_entry(ctx: Any, kind: str, seq: int | None) -> None:
    """Sign every ``rules.EVERY`` entries and at each shift close (called by ``Ctx.journal``)."""
    if rules.due(seq) or kind == "shift.close":
        sign(ctx, "shift.close" if kind == "shift.close" else "entries")


def _public_key(ctx: Any) -> bytes | None:
    """The public half to check against: from the key file when it can be read (what signs), else the terminal's
    record (an evidence copy of the database examined without its key file)."""
    key = _private_key(ctx)
    if key is not None:
        from boxoffice.tickets.keys import public_raw

        return public_raw(key)
    try:
        return base64.b64decode(ctx.terminal["public_key"], validate=True)
    except (binascii.Error, ValueError, KeyError):
        return None


def verifier(terminal_id: str, public: bytes | None):  # noqa: ANN201 - a predicate for domain.checkpoints.check
    """Whether a checkpoint's signature is this terminal's over its (seq, hash)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    pub = Ed25519PublicKey.from_public_bytes(public) if public else None

    def signed(cp: Mapping[str, Any]) -> bool:
        if pub is None:
            return False
        try:
            pub.verify(base64.b64decode(cp["signature"], validate=True),
                       rules.message(terminal_id, cp["seq"], cp["hash"]))
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    return signed


def problems(ctx: Any, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every checkpoint the journal as it is now does not honour (domain.checkpoints.check)."""
    cps = store.all_(ctx.conn)
    if not cps:
        return []
    hashes = {e["seq"]: e["hash"] for e in entries}
    return rules.check(cps, hashes, verifier(ctx.terminal["id"], _public_key(ctx)))


def retire_from(ctx: Any, seq: int) -> None:
    """Drop the checkpoints of entries ``seq`` onwards, inside the caller's transaction: only for a recovery that
    renumbers entries made on a copy of the database (services/sync/recovery.py), which journals each move."""
    store.delete_from(ctx.conn, seq)


def mark_pushed(ctx: Any, checkpoint_id: int) -> None:
    """The central service accepted this checkpoint (inside the caller's transaction)."""
    store.mark_pushed(ctx.conn, checkpoint_id, ctx.now_iso())


def for_push(cp: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint as the push sends it (sync-push.schema.json)."""
    return {k: cp[k] for k in ("seq", "hash", "key_id", "signature", "at")}
