"""Terminals and admins: one-time enrollment codes, bearer tokens, who a request comes from, revocation, roles.

Roles: an enrollment code names what the terminal it enrolls is for (``sell``, ``pickup``, ``door``; all three
unless the admin says otherwise), and the terminal keeps the roles of the code it last enrolled with. Only a
terminal with ``sell`` holds places (central/allocations.py): a pickup desk or a door scanner enrolled for just that
never takes stock from the sellers.

What revoking a terminal does, exactly:
- its bearer token stops working at once (401 on every request): it can neither push nor pull;
- it is marked revoked (``revoked_at``) and a ``terminal_revoked`` change tells every other terminal;
- its public key stays trusted: tickets it signed stay valid, because a token carries no signing time and an
  honest sale made before the revocation cannot be told from a later one. A ticket that must stop working is
  revoked one by one (``boxoffice central revoke-ticket``), which puts it on every terminal's revocation list;
- what it pushed stays; what it did after and never pushed does not reach the central service until an admin
  issues a new code and the same machine (same key) enrolls again, which clears the revocation.
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.errors import CentralError
from boxoffice.central.services import feed, tokens
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
    db.execute("INSERT INTO enroll_codes (code_hash, name, created_at, expires_at, roles) VALUES (?, ?, ?, ?, ?)",
               (tokens.digest(code), name, now, expires_at, parse_roles(roles)))
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
        spent = db.one("UPDATE enroll_codes SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL"
                       " AND expires_at > ? RETURNING roles", (now, body["terminal_id"],
                                                               tokens.digest(tokens.normalise_code(body["code"])), now))
        if spent is None:
            raise CentralError(403, "bad_code", "the enrollment code is unknown, used already or expired: ask the "
                                                "admin for a new one (`boxoffice central enroll-code`)")
        existing = db.one("SELECT * FROM terminals WHERE id = ?", (body["terminal_id"],))
        clash = db.one("SELECT id FROM terminals WHERE tag = ? AND id <> ?", (body["tag"], body["terminal_id"]))
        if clash is not None:
            raise CentralError(409, "tag_taken", f"another terminal has order-code tag {body['tag']}: make this "
                                                 "one anew (`boxoffice init` with another --db) and enroll that")
        if existing is not None:
            if existing["public_key"] != body["public_key"] or existing["tag"] != body["tag"]:
                raise CentralError(409, "terminal_exists", "a terminal with this id and another key is enrolled "
                                                           "already: this machine cannot take its place")
            db.execute("UPDATE terminals SET name = ?, token_hash = ?, revoked_at = NULL, roles = ? WHERE id = ?",
                       (body["name"], tokens.digest(token), spent["roles"], body["terminal_id"]))
        else:
            db.execute("INSERT INTO terminals (id, name, tag, key_id, public_key, token_hash, enrolled_at, roles)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (body["terminal_id"], body["name"], body["tag"], body["key_id"], body["public_key"],
                        tokens.digest(token), now, spent["roles"]))
            feed.append(db, [feed.Change("key", {"key_id": body["key_id"], "public_key": body["public_key"],
                                                 "owner": f"terminal:{body['terminal_id']}"},
                                         origin=body["terminal_id"])], now)
    return {"token": token, "terminal_id": body["terminal_id"]}


def authenticate(db: CentralDB, header: str | None) -> dict[str, Any]:
    """The enrolled, unrevoked terminal a request's bearer token belongs to, else 401."""
    token = tokens.bearer(header)
    if token is None or not token.startswith(tokens.TERMINAL_PREFIX):
        raise CentralError(401, "unauthorized", "send the terminal's token: Authorization: Bearer bxt_...")
    row = db.one("SELECT * FROM terminals WHERE token_hash = ?", (tokens.digest(token),))
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

    db.execute("UPDATE terminals SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)",
               (now, terminal_id, iso(parse_iso(now) - timedelta(seconds=SEEN_EVERY_SECONDS))))


def authenticate_admin(db: CentralDB, header: str | None) -> None:
    """Pass an admin token, else 401 (a terminal's token is not an admin's)."""
    token = tokens.bearer(header)
    if token is None or not token.startswith(tokens.ADMIN_PREFIX):
        raise CentralError(401, "unauthorized", "this needs the admin token printed by `boxoffice central init`")
    row = db.one("SELECT revoked_at FROM admin_tokens WHERE token_hash = ?", (tokens.digest(token),))
    if row is None or row["revoked_at"]:
        raise CentralError(401, "unauthorized", "the admin token is not known or was withdrawn")


def find(db: CentralDB, which: str) -> dict[str, Any] | None:
    """A terminal by id, tag or name (case-insensitive)."""
    return (db.one("SELECT * FROM terminals WHERE id = ?", (which,))
            or db.one("SELECT * FROM terminals WHERE tag = ?", (which.upper(),))
            or db.one("SELECT * FROM terminals WHERE lower(name) = lower(?)", (which,)))


def revoke(db: CentralDB, terminal: dict[str, Any], now: str) -> bool:
    """Withdraw a terminal's credential (see the module docstring). False if it was revoked already."""
    with db.transaction():
        done = db.execute("UPDATE terminals SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                          (now, terminal["id"]))
        if done:
            feed.append(db, [feed.Change("terminal_revoked", {"terminal_id": terminal["id"], "name": terminal["name"],
                                                              "key_id": terminal["key_id"], "at": now})], now)
    return bool(done)


def names(db: CentralDB) -> dict[str, Any]:
    """Every terminal's id and name (schemas/sync-terminals.schema.json), for terminals to name each other."""
    return {"terminals": db.all("SELECT id AS terminal_id, name FROM terminals ORDER BY enrolled_at, id")}


def listing(db: CentralDB) -> list[dict[str, Any]]:
    """Every terminal with what it has pushed, when it was last heard from, its roles and its top-up cap (its own,
    else the service's default; ``own_cap`` says which)."""
    from boxoffice.central.services.allocation_topup import default_cap

    default = default_cap(db)
    rows = db.all("SELECT id, name, tag, key_id, enrolled_at, revoked_at, last_seen_at, last_seq AS entries, roles,"
                  " allocation_cap FROM terminals ORDER BY enrolled_at, name")
    for r in rows:
        own = r.pop("allocation_cap")
        r["roles"] = [x for x in str(r["roles"]).split(",") if x]
        r["allocation_cap"] = default if own is None else int(own)
        r["own_cap"] = own is not None
    return rows
