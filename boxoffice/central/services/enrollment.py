"""Enrolling a terminal: a one-time code bound to the terminal's name, and proof that the terminal holds the
private half of the key it registers.

Two requests. ``POST /v1/enroll/challenge`` with the code and the terminal's id answers a nonce bound to both, good
for ``CHALLENGE_SECONDS`` and once. ``POST /v1/enroll`` carries the nonce and the terminal's Ed25519 signature of
domain/enrollment.proof_message(nonce, terminal id, key id). What that stops, that a code alone did not:
- a stolen unused code enrolling a machine under another name (the code names its terminal; refused);
- a machine registering someone else's public key (public facts: every terminal has every key) and so taking over
  that terminal's identity: it cannot sign the nonce;
- a revoked terminal coming back with any new code: only a code made with ``--readmit`` lifts a revocation.

The nonce is spent in its own transaction before anything else is checked, so one nonce is one attempt whatever
its outcome; a refused enrollment still does not spend the code (the rest is one transaction that rolls back).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import timedelta
from typing import Any

from boxoffice.central.errors import CentralError
from boxoffice.central.services import feed, free_text, signing, tokens, venue_secret
from boxoffice.central.store import terminals as rows
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.clock import iso, parse_iso
from boxoffice.domain.enrollment import CHALLENGE_SECONDS, proof_message, same_name
from boxoffice.i18n import N_, _

BAD_CODE = N_("the enrollment code is unknown, used already or expired: ask the admin for a new one "
            "(`boxoffice central enroll-code`)")


def challenge(db: CentralDB, body: dict[str, Any], now: str) -> dict[str, Any]:
    """A fresh nonce for one enrollment attempt with a live code (schemas/sync-enroll-challenge*.schema.json)."""
    code_hash = tokens.digest(tokens.normalise_code(body["code"]))
    nonce = secrets.token_urlsafe(32)
    expires = iso(parse_iso(now) + timedelta(seconds=CHALLENGE_SECONDS))
    with db.transaction():
        if rows.live_code(db, code_hash, now) is None:
            raise CentralError(403, "bad_code", _(BAD_CODE))
        rows.add_challenge(db, tokens.digest(nonce), code_hash, body["terminal_id"], now, expires)
    return {"nonce": nonce, "expires_at": expires}


def _check_key_id(body: dict[str, Any]) -> None:
    from boxoffice.errors import BoxOfficeError
    from boxoffice.tickets.keys import key_id_hex, public_from_b64

    try:
        if key_id_hex(public_from_b64(body["public_key"])) != body["key_id"]:
            raise CentralError(422, "invalid_document", _("key_id is not the id of public_key"),
                               errors=["/key_id: does not match /public_key"])
    except BoxOfficeError as exc:
        raise CentralError(422, "invalid_document", exc.message, errors=[f"/public_key: {exc.message}"]) from None


def proves_key(body: dict[str, Any]) -> bool:
    """Whether ``signature`` is the private key's signature of the proof message for this nonce, id and key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"], validate=True))
        key.verify(base64.b64decode(body["signature"], validate=True),
                   proof_message(body["nonce"], body["terminal_id"], body["key_id"]))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def enroll(db: CentralDB, body: dict[str, Any], now: str) -> dict[str, Any]:
    """Spend a nonce and a code and register (or re-register) the terminal; return its new bearer token."""
    prove(db, body, now)
    return register(db, body, now)


def prove(db: CentralDB, body: dict[str, Any], now: str) -> None:
    """Spend the request's nonce (committed: one nonce, one attempt), then check the key id and the signature.

    The name is checked for a card number first, before the nonce is spent.
    Its own unit of work: the HTTP layer retries :func:`register` after a deadlock without asking for the nonce
    twice."""
    free_text.refuse_in_text(body["name"], N_("terminal name"))
    _check_key_id(body)
    code_hash = tokens.digest(tokens.normalise_code(body["code"]))
    with db.transaction():
        fresh = rows.spend_challenge(db, tokens.digest(body["nonce"]), code_hash, body["terminal_id"], now)
    if not fresh:
        raise CentralError(403, "bad_challenge", _("the enrollment challenge is unknown, used already, expired or "
                                                   "was given for another code or terminal: enroll again"))
    if not proves_key(body):
        raise CentralError(403, "key_not_proven", _("the signature does not prove that this machine holds the "
                                                    "private key of the public key it sends: nothing enrolled"))


def register(db: CentralDB, body: dict[str, Any], now: str) -> dict[str, Any]:
    """After :func:`prove`: spend the code (live, made for this name) and register the terminal, or re-register it
    (same key; a revoked one only with a readmit code). One transaction: a refusal spends nothing."""
    code_hash = tokens.digest(tokens.normalise_code(body["code"]))
    token = tokens.new_token(tokens.TERMINAL_PREFIX)
    with db.transaction():
        code = rows.live_code(db, code_hash, now)
        if code is None:
            raise CentralError(403, "bad_code", _(BAD_CODE))
        if not same_name(code["name"], body["name"]):
            raise CentralError(403, "wrong_name", _("this code was made for another terminal, not {name!r}: ask the "
                                                    "admin for a code made for this terminal's name").format(
                                                        name=body["name"]))
        existing = rows.by_id(db, body["terminal_id"])
        clash = rows.other_with_tag(db, body["tag"], body["terminal_id"])
        if clash is not None:
            raise CentralError(409, "tag_taken", _("another terminal has order-code tag {tag}: make this one anew "
                                                   "(`boxoffice init` with another --db) and enroll that").format(
                                                       tag=body["tag"]))
        if existing is not None:
            if existing["public_key"] != body["public_key"] or existing["tag"] != body["tag"]:
                raise CentralError(409, "terminal_exists", _("a terminal with this id and another key is enrolled "
                                                             "already: this machine cannot take its place"))
            if existing["revoked_at"] and not code["readmit"]:
                raise CentralError(403, "readmit_needed", _("this terminal was revoked at {at}: it comes back only "
                                                            "with a code made by `boxoffice central enroll-code "
                                                            "--name NAME --readmit`").format(at=existing["revoked_at"]))
        spent = rows.spend_enroll_code(db, code_hash, body["terminal_id"], now)
        assert spent is not None  # read live above, in this transaction
        if existing is not None:
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
        shared = venue_secret.ensure(db, now)
    return {"token": token, "terminal_id": body["terminal_id"],
            "central_key": {"key_id": key["key_id"], "public_key": key["public_key"]}, "venue_secret": shared}
