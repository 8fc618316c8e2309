"""Operator PINs, hashed with scrypt (stdlib) and never stored plain.

A 4-digit PIN has ten thousand values: whoever copies the database can try them all offline, so the hash must cost
real time and memory per guess. scrypt with N=2**15, r=8 takes 32 MiB and tens of milliseconds per guess here
(``benchmarks/bench_pin.py``): every 6-digit PIN is then days of one core's work, and the memory makes a graphics
card's thousands of cores little faster. Supervisors and admins, whose PINs approve refunds and manage people, need
6 digits; sellers keep 4 for speed at the window, and the lockout covers guessing at the terminal itself.

Hashes made with other parameters (an older release's N=2**14) still verify, and ``needs_rehash`` says when the
next good login should store a new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024  # OpenSSL's default ceiling (32 MiB) is just below what N=2**15, r=8 needs
_LIMIT_N = 2**20  # a stored hash asking for more than this is not ours: refuse rather than spend a gigabyte on it

# The fewest digits a PIN of each role may have: the roles that approve and manage need more.
MIN_DIGITS = {"supervisor": 6, "admin": 6}
DEFAULT_MIN_DIGITS = 4
MAX_DIGITS = 12


_WHO = {"admin": N_("an admin's PIN"), "supervisor": N_("a supervisor's PIN")}  # the roles of MIN_DIGITS


def min_digits(role: str | None) -> int:
    return MIN_DIGITS.get(role or "", DEFAULT_MIN_DIGITS)


def validate_pin(pin: str, role: str | None = None) -> str:
    """PINs are digits (typed on a keypad under pressure): 4 to 12, at least 6 for a supervisor or an admin."""
    least = min_digits(role)
    if not (pin.isdigit() and pin.isascii() and least <= len(pin) <= MAX_DIGITS):
        who = _(_WHO[role]) if role in _WHO else _("a PIN")
        raise BoxOfficeError("bad_input", _("{who} is {least} to {most} digits").format(
            who=who, least=least, most=MAX_DIGITS))
    return pin


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=max(_MAXMEM, 256 * n * r))


def hash_pin(pin: str) -> str:
    """A self-describing scrypt hash: scrypt$N$r$p$salt$digest."""
    salt = os.urandom(16)
    digest = _scrypt(pin, salt, _N, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_pin(pin: str, stored: str) -> bool:
    """Constant-time comparison of a typed PIN against its stored hash, whatever scrypt cost it was made with."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or not (1 < int(n) <= _LIMIT_N and 0 < int(r) <= 32 and 0 < int(p) <= 16):
            return False
        got = _scrypt(pin, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError, MemoryError):
        return False


def needs_rehash(stored: str) -> bool:
    """True for a hash made with other parameters than today's: store a new one at the next good login."""
    parts = stored.split("$")
    return len(parts) != 6 or parts[:4] != ["scrypt", str(_N), str(_R), str(_P)]
