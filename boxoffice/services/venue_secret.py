"""The venue secret a terminal matches customers by (domain/customer_ids.py explains why a keyed hash).

A terminal that was never enrolled makes its own on first use ('local'). An enrolled terminal takes the central
service's ('central'), so an ID number hashes alike at every counter and the central service can count a customer's
tickets across terminals. A local secret is replaced by the central one; a central one is never replaced by a local
one, nor by a different central one (that would silently stop every stored hash from matching).
"""

from __future__ import annotations

import secrets

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import venue_secret as rows
from boxoffice.store.db import write

SECRET_BYTES = 32


def venue_secret(ctx: Ctx) -> bytes:
    """The secret, made here (and stored) if this terminal has none yet."""
    row = rows.get(ctx.conn)
    if row is None:
        with write(ctx.conn):
            row = rows.get(ctx.conn)
            if row is None:
                rows.put(ctx.conn, secrets.token_hex(SECRET_BYTES), "local", ctx.now_iso())
                row = rows.get(ctx.conn)
    assert row is not None
    return bytes.fromhex(row["secret"])


def source(ctx: Ctx) -> str | None:
    """'local', 'central', or None before any secret exists."""
    row = rows.get(ctx.conn)
    return row["source"] if row else None


def adopt_central(ctx: Ctx, secret_hex: str) -> bool:
    """Take the central service's secret; True when it was new here. Refuses a malformed one and a second,
    different central secret (``central_refused``): hashes stored under the first would stop matching."""
    try:
        raw = bytes.fromhex(secret_hex)
    except ValueError:
        raw = b""
    if len(raw) < SECRET_BYTES:
        raise BoxOfficeError("central_refused", _("the central service sent a malformed venue secret; nothing stored"))
    with write(ctx.conn):
        row = rows.get(ctx.conn)
        if row is not None and row["source"] == "central":
            if row["secret"] != raw.hex():
                raise BoxOfficeError("central_refused", _("the central service sent a venue secret other than the "
                                                          "one this terminal holds: ask the central admin"))
            return False
        rows.put(ctx.conn, raw.hex(), "central", ctx.now_iso())
    return True
