"""Terminals and admins: one-time enrollment codes, bearer tokens, who a request comes from, revocation, roles.

Roles: an enrollment code names what the terminal it enrolls is for (``sell``, ``pickup``, ``door``; all three
unless the admin says otherwise), and the terminal keeps the roles of the code it last enrolled with. Only a
terminal with ``sell`` holds places (central/allocations.py): a pickup desk or a door scanner enrolled for just that
never takes stock from the sellers.

What revoking a terminal does, exactly:
- its bearer token stops working at once (401 on every request): it can neither push nor pull;
- it is marked revoked (``revoked_at``) and a ``terminal_revoked`` change tells every other terminal;
- its public key stays known, marked revoked from that time (the signed ``terminal_revoked`` change): a door admits
  a ticket it signed only when synced data shows the sale (the central service took it before the revocation),
  since a token carries no signing time and anything else could have been minted later with the key file. A ticket
  that must stop working is revoked one by one (``boxoffice central revoke-ticket``), which puts it on every
  terminal's revocation list;
- what it pushed stays; what it did after and never pushed does not reach the central service until an admin
  issues a new code and the same machine (same key) enrolls again, which clears the revocation.
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.errors import CentralError
from boxoffice.central.services import feed, signing, tokens
from boxoffice.central.store import terminals as rows
from boxoffice.central.store.db import CentralDB

CODE_HOURS = 24
ROLES = ("sell", "pickup", "door")
DEFAULT_ROLES = ",".join(ROLES)
SEEN_EVERY_SECONDS = 1  # a pull updates last_seen_at at most this often; far below any stale-terminal threshold


def parse_roles(text: str) -> str:
    """Roles as a code stores them ("sell,pickup,door" order), from a comma-separated list; bad_input otherwise."""
    from boxoffice.errors import BoxOfficeError

    asked = {r.strip().lower() for r in text.split(",") if r.strip()}
    unknown = sorted(asked - set(ROLES))
    if unknown or not asked:
        raise BoxOfficeError("bad_input", f"roles are one or more of {', '.join(ROLES)} separated by commas"
                                          + (f", not {unknown[0][:20]!r}" if unknown else ""))
    return ",".join(r for r in ROLES if r in asked)


def create_code(db: CentralDB, name: str, now: str, expires_at: str, roles: str = DEFAULT_ROLES) -> str:
    """A one-time enrollment code for a terminal with these roles (shown once; only its hash is kept)."""
    code = tokens.new_code()
    rows.add_enroll_code(db, tokens.digest(code), name, now, expires_at, parse_roles(roles))
    return code


def enroll(db: CentralDB, body: dict[str, Any], now: str) -> dict[str, Any]:
    """Spend a code and register (or re-register) the terminal; return its new bearer token."""
    from boxoffice.errors import BoxOfficeError
    from boxoffice.tickets.keys import key_id_hex, public_from_b64

    try:
        if key_id_hex(public_from_b64(body["public_key"])) != body["key_id"]:
            raise CentralError(422, "invalid_document", "key_id is not the id of public_key",
                               errors=["/key_id: does not match /public_key"])
    except BoxOfficeError as exc:
        raise CentralError(422, "invalid_document", exc.message, errors=[f"/public_key: {exc.message}"]) from None
    token = tokens.new_token(tokens.TERMINAL_PREFIX)
    with db.transaction():
        spent = rows.spend_enroll_code(db, tokens.digest(tokens.normalise_code(body["code"])), body["terminal_id"],
                                       now)
        if spent is None:
            raise CentralError(403, "bad_code", "the enrollment code is unknown, used already or expired: ask the "
                                                "admin for a new one (`boxoffice central enroll-code`)")
        existing = rows.by_id(db, body["terminal_id"])
        clash = rows.other_with_tag(db, body["tag"], body["terminal_id"])
        if clash is not None:
            raise CentralError(409, "tag_taken", f"another terminal has order-code tag {body['tag']}: make this "
                                                 "one anew (`boxoffice init` with another --db) and enroll that")
        if existing is not None:
            if existing["public_key"] != body["public_key"] or existing["tag"] != body["tag"]:
                raise CentralError(409, "terminal_exists", "a terminal with this id and another key is enrolled "
                                                           "already: this machine cannot take its place")
            rows.re_enroll(db, body["terminal_id"], body["name"], tokens.digest(token), spent["roles"])
        else:
            rows.enroll(db, {"id": body["terminal_id"], "name": body["name"], "tag": body["tag"],
                             "key_id": body["key_id"], "public_key": body["public_key"],
                             "token_hash": tokens.digest(token), "enrolled_at": now, "roles": spent["roles"]})
            feed.append(db, [feed.Change("key", {"key_id": body["key_id"], "public_key": body["public_key"],
                                                 "owner": f"terminal:{body['terminal_id']}"},
                                         origin=body["terminal_id"])], now)
        key, created = signing.ensure_key(db, now)  # made by `central init`; a database from before that made here
        if created:
            feed.append(db, [signing.key_change(key)], now)
    return {"token": token, "terminal_id": body["terminal_id"],
            "central_key": {"key_id": key["key_id"], "public_key": key["public_key"]}}


def authenticate(db: CentralDB, header: str | None) -> dict[str, Any]:
    """The enrolled, unrevoked terminal a request's bearer token belongs to, else 401."""
    token = tokens.bearer(header)
    if token is None or not token.startswith(tokens.TERMINAL_PREFIX):
        raise CentralError(401, "unauthorized", "send the terminal's token: Authorization: Bearer bxt_...")
    row = rows.by_token_hash(db, tokens.digest(token))
    if row is None:
        raise CentralError(401, "unauthorized", "this token is not known here: enroll the terminal again")
    if row["revoked_at"]:
        raise CentralError(401, "terminal_revoked", f"this terminal was revoked at {row['revoked_at']}: ask the "
                                                    "admin for a new enrollment code")
    return row


def seen(db: CentralDB, terminal_id: str, now: str) -> None:
    """Note that a terminal was heard from (a pull), for `central terminals` and the stale-terminal alert: a
    terminal with nothing to push still syncs. Written at most every few seconds per terminal, not on every page."""
    from datetime import timedelta

    from boxoffice.domain.clock import iso, parse_iso

    rows.seen_since(db, terminal_id, now, iso(parse_iso(now) - timedelta(seconds=SEEN_EVERY_SECONDS)))


def authenticate_admin(db: CentralDB, header: str | None) -> None:
    """Pass an admin token, else 401 (a terminal's token is not an admin's)."""
    token = tokens.bearer(header)
    if token is None or not token.startswith(tokens.ADMIN_PREFIX):
        raise CentralError(401, "unauthorized", "this needs the admin token printed by `boxoffice central init`")
    row = rows.admin_token(db, tokens.digest(token))
    if row is None or row["revoked_at"]:
        raise CentralError(401, "unauthorized", "the admin token is not known or was withdrawn")


def find(db: CentralDB, which: str) -> dict[str, Any] | None:
    """A terminal by id, tag or name (case-insensitive)."""
    return rows.by_id(db, which) or rows.by_tag(db, which.upper()) or rows.by_name(db, which)


def revoke(db: CentralDB, terminal: dict[str, Any], now: str) -> bool:
    """Withdraw a terminal's credential (see the module docstring). False if it was revoked already."""
    with db.transaction():
        done = rows.revoke(db, terminal["id"], now)
        if done:
            feed.append(db, [feed.Change("terminal_revoked", {"terminal_id": terminal["id"], "name": terminal["name"],
                                                              "key_id": terminal["key_id"], "at": now})], now)
    return bool(done)


def names(db: CentralDB) -> dict[str, Any]:
    """Every terminal's id and name (schemas/sync-terminals.schema.json), for terminals to name each other."""
    return {"terminals": rows.roster(db)}


def listing(db: CentralDB) -> list[dict[str, Any]]:
    """Every terminal with what it has pushed, when it was last heard from, its roles and its top-up cap (its own,
    else the service's default; ``own_cap`` says which)."""
    from boxoffice.central.services.allocation_topup import default_cap

    default = default_cap(db)
    found = rows.listing(db)
    for r in found:
        own = r.pop("allocation_cap")
        r["roles"] = [x for x in str(r["roles"]).split(",") if x]
        r["allocation_cap"] = default if own is None else int(own)
        r["own_cap"] = own is not None
    return found
