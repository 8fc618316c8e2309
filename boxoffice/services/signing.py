"""This terminal's signing key, loaded once per process, and the keys it trusts for verification."""

from __future__ import annotations

from typing import Any

from boxoffice.services.context import Ctx
from boxoffice.store import orders as order_store
from boxoffice.store import terminal as terminal_store


def private_key(ctx: Ctx) -> Any:
    """The terminal's Ed25519 private key (kept in memory for a long-running counter)."""
    if "private_key" not in ctx.cache:
        from boxoffice.tickets.keys import load_private_key

        ctx.cache["private_key"] = load_private_key(ctx.config.key_path)
    return ctx.cache["private_key"]


def key_id_bytes(ctx: Ctx) -> bytes:
    return bytes.fromhex(ctx.terminal["key_id"])


def public_key_for(ctx: Ctx):  # noqa: ANN201 - a callable for tickets.token.verify_token
    """Look up trusted public keys by the 4-byte id in a token (cached; keys change only by sync or import)."""
    from boxoffice.tickets.keys import public_from_b64

    cache: dict[bytes, bytes | None] = ctx.cache.setdefault("public_keys", {})

    def lookup(kid: bytes) -> bytes | None:
        if kid not in cache:
            row = terminal_store.public_key(ctx.conn, kid.hex())
            cache[kid] = public_from_b64(row["public_key"]) if row and not row["revoked_at"] else None
        return cache[kid]

    return lookup


def is_revoked(ctx: Ctx):  # noqa: ANN201
    return lambda ticket_id: order_store.is_revoked(ctx.conn, ticket_id)
