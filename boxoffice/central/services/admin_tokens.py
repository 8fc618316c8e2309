"""Admin tokens (`boxoffice central admin-token list | new | revoke`): the bearer tokens of /v1/admin/*.

An admin token is shown once, when it is made; the service keeps only its SHA-256 (services/tokens.py). To name one
later it has an ``id`` (the first 12 hex digits of that hash: it says nothing about the token) and a ``prefix``
(its first 8 characters, "bxa_" and 4 random ones, so an admin can tell which of the tokens they hold a listed one
is; tokens made before schema version 7 have none). Revoking one works at once: every admin request looks its
token up in the database (terminals.authenticate_admin), so the next one answers 401.

Revoking the last live admin token closes /v1/admin/* until someone with access to the database makes a new one
(`central admin-token new`, or `central init`, which makes one when none is live). That is refused without
``force``, so nobody locks the venue's remote tools out by a slip. These commands work on the database directly:
whoever can run them holds the database's credentials, which are worth more than any admin token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from boxoffice.central.services import tokens
from boxoffice.central.services.admin import new_admin_token, open_db
from boxoffice.central.store import terminals as rows
from boxoffice.domain.clock import iso, system_clock
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

Clock = Callable[[], datetime]
MIN_ID_CHARS = 4
MAX_NAME = 80
_HEX = re.compile(r"^[0-9a-f]+$")


def listing(url: str) -> list[dict[str, Any]]:
    """Every admin token, oldest first: id, prefix, name, created_at, revoked_at and ``live``. Never the token."""
    with open_db(url) as db:
        found = rows.admin_tokens(db)
    return [{**r, "live": r["revoked_at"] is None} for r in found]


def issue(url: str, name: str | None = None, clock: Clock = system_clock) -> dict[str, Any]:
    """A new admin token, returned this once with its id and prefix."""
    if name is not None:
        name = name.strip() or None
        if name is not None and (len(name) > MAX_NAME or any(ord(c) < 32 for c in name)):
            raise BoxOfficeError("bad_input", _("a token's name is up to {count} printable characters").format(
                count=MAX_NAME))
    token = new_admin_token(url, clock, name)
    return {"token": token, "id": tokens.digest(token)[:12], "prefix": tokens.shown_prefix(token), "name": name}


def revoke(url: str, which: str, *, force: bool = False, clock: Clock = system_clock) -> dict[str, Any]:
    """Withdraw one admin token, named by its id (or the id's first characters, at least 4) or by the token itself.

    Refused with ``last_admin_token`` when it is the only live one, unless ``force``. Revoking one that was revoked
    already changes nothing and says so."""
    which = which.strip()
    is_token = which.startswith(tokens.ADMIN_PREFIX)
    start = "" if is_token else which.lower()
    if not is_token and (len(start) < MIN_ID_CHARS or not _HEX.match(start)):
        raise BoxOfficeError("bad_input", _("name the admin token by its id as `central admin-token list` shows it "
                                            "(at least {count} of its hex digits), or give the token itself").format(
                                                count=MIN_ID_CHARS))
    now = iso(clock())
    with open_db(url) as db, db.transaction():
        live = rows.lock_live_admin_tokens(db)
        found = rows.admin_tokens_named(db, start or "-", tokens.digest(which) if is_token else "-")
        if not found:
            raise BoxOfficeError("not_found", _("no such admin token: `boxoffice central admin-token list` shows them"))
        if len(found) > 1:
            raise BoxOfficeError("bad_input", _("{count} admin tokens have an id starting {start!r}: give more "
                                                "of it").format(count=len(found), start=start))
        token = found[0]
        if token["revoked_at"] is None and live <= 1 and not force:
            raise BoxOfficeError("last_admin_token", _("admin token {id} is the last live one: revoking it closes "
                                                       "/v1/admin/* until `boxoffice central admin-token new`. Make "
                                                       "a new one first, or add --force").format(id=token["id"]))
        done = rows.revoke_admin_token(db, token["id"], now)
        left = live - 1 if done else live
    return {"id": token["id"], "prefix": token["prefix"], "name": token["name"], "revoked": done,
            "already_revoked": not done, "revoked_at": now if done else token["revoked_at"], "live_left": left}
