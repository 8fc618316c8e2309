"""Operator PINs, hashed with scrypt (stdlib) and never stored plain."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from boxoffice.errors import BoxOfficeError

# Cost chosen so a login takes tens of milliseconds on a counter PC while an offline guess at a 4-6 digit PIN
# from a stolen database costs real time; the lockout covers guessing at the terminal itself.
_N, _R, _P = 2**14, 8, 1


def validate_pin(pin: str) -> str:
    """PINs are 4 to 12 digits: typed on a keypad under pressure."""
    if not (pin.isdigit() and pin.isascii() and 4 <= len(pin) <= 12):
        raise BoxOfficeError("bad_input", "a PIN is 4 to 12 digits")
    return pin


def hash_pin(pin: str) -> str:
    """A self-describing scrypt hash: scrypt$N$r$p$salt$digest."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_pin(pin: str, stored: str) -> bool:
    """Constant-time comparison of a typed PIN against its stored hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False
