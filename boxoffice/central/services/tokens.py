"""Secrets the central service hands out (bearer tokens, enrollment codes) and how it recognises them.

Only a SHA-256 of each secret is stored, so a copy of the central database lets nobody act as a terminal or admin.
A plain hash is enough (no slow KDF): the secrets are 256 random bits, not guessable passwords. Enrollment codes
are shorter, typed by a person, and made safe by being single-use and expiring within hours.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TERMINAL_PREFIX = "bxt_"
ADMIN_PREFIX = "bxa_"
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # the order-code alphabet: nothing to misread
CODE_GROUPS = 4
SHOWN = 8  # characters of a token kept to recognise it ("bxa_" and 4 random ones: 24 of its 256 bits)


def new_token(prefix: str) -> str:
    """A fresh bearer token; the prefix says what it is for when one turns up in a log or a config file."""
    return prefix + secrets.token_urlsafe(32)


def shown_prefix(token: str) -> str:
    """The start of a token, kept and listed so an admin can tell which of their tokens a listed one is."""
    return token[:SHOWN]


def new_code() -> str:
    """A one-time enrollment code a person can read out and type: XXXX-XXXX-XXXX-XXXX (about 79 bits)."""
    groups = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(CODE_GROUPS)]
    return "-".join(groups)


def normalise_code(text: str) -> str:
    """Codes are forgiven case, spaces and hyphens, the way people type them."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def digest(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
