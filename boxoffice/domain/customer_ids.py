"""Who a customer is, for real-name tickets and limits per customer: ID documents, phones and e-mails in one
normal form, masked for screens and hashed with the venue's secret for matching.

Why a keyed hash and not the number: an ID number is the most sensitive thing a box office handles, and it only
ever needs to be *matched* (is this the holder? has this person bought six already?), never read back. A plain
hash would not do: a resident ID has about 10^11 plausible values (region, birth date, sequence), few enough to try
them all. An HMAC with a secret the venue holds (services/venue_secret.py) can only be matched by someone who has
the secret too. The last four characters are kept apart, for the steward to compare with the document.

Pure functions: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

# The kinds of ID document a holder may show: a mainland resident ID card (its check digit validated), a
# passport, or another document (a Hong Kong, Macau or Taiwan permit, a foreigner's permanent residence card...).
ID_KINDS = ("resident", "passport", "other")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999
_CHECK = "10X98765432"
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
_OTHER = re.compile(r"[A-Z0-9\-]{4,32}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}")


def resident_check_digit(first17: str) -> str:
    """The check character of a resident ID (GB 11643-1999: weighted sum modulo 11)."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _squeeze(number: str) -> str:
    """Full-width forms folded (ＡＢ１２ typed on a Chinese keyboard), spaces and dashes a reader adds removed."""
    text = unicodedata.normalize("NFKC", number or "").strip().upper()
    return re.sub(r"[\s]", "", text)


def normalise_id(kind: str, number: str) -> str:
    """The ID number in its one normal form, or ``bad_id_number``. The message never repeats the number."""
    if kind not in ID_KINDS:
        raise BoxOfficeError("bad_input", _("ID type must be one of {kinds}").format(kinds=", ".join(ID_KINDS)))
    text = _squeeze(number)
    if kind == "resident":
        text = text.replace("-", "")
        if not re.fullmatch(r"\d{17}[\dX]", text):
            raise BoxOfficeError("bad_id_number", _("a resident ID number has 18 characters: 17 digits, then a digit "
                                                    "or X"))
        try:
            date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
        except ValueError:
            raise BoxOfficeError("bad_id_number", _("the resident ID number holds no valid birth date: check the "
                                                    "digits")) from None
        if resident_check_digit(text[:17]) != text[17]:
            raise BoxOfficeError("bad_id_number", _("the resident ID number's check digit does not match: a digit "
                                                    "was mistyped"))
        return text
    pattern = _PASSPORT if kind == "passport" else _OTHER
    if kind == "passport":
        text = text.replace("-", "")
    if not pattern.fullmatch(text):
        if kind == "passport":
            raise BoxOfficeError("bad_id_number", _("a passport document number has 5 to 20 letters and digits"))
        raise BoxOfficeError("bad_id_number", _("a other document number has 4 to 32 letters, digits and dashes"))
    return text


def last4(normal: str) -> str:
    """The last four characters of a normalised number, kept for display and a quick check at the door."""
    return normal[-4:]


def masked(last_four: str) -> str:
    """How a screen shows an ID number: ``****1234``."""
    return f"****{last_four}"


def normalise_phone(phone: str) -> str:
    """A phone in one form for matching: digits only, a mainland country code (+86, 0086) dropped, so that
    ``+86 138-0013-8000``, ``0086 13800138000`` and ``138 0013 8000`` are the same customer."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone or "") if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11 and digits[len(prefix)] == "1":
            digits = digits[len(prefix):]
    if len(digits) < 5 or len(digits) > 15:
        raise BoxOfficeError("bad_input", _("a phone number has 5 to 15 digits"))
    return digits


def normalise_email(email: str) -> str:
    """An e-mail in one form for matching: trimmed, lower case (no provider treats case as different mail)."""
    text = unicodedata.normalize("NFKC", email or "").strip().lower()
    if not _EMAIL.fullmatch(text):
        raise BoxOfficeError("bad_input", _("that is not an e-mail address"))
    return text


def keyed_hash(secret: bytes, kind: str, normal: str) -> str:
    """HMAC-SHA256 of one normalised identifier under the venue secret, as hex. ``kind`` namespaces the value
    (``id:resident``, ``id:passport``, ``id:other``, ``phone``, ``email``) so equal strings of different kinds never
    match."""
    if len(secret) < 32:
        raise ValueError("the venue secret must have at least 32 bytes")
    return hmac.new(secret, f"{kind}\x00{normal}".encode(), hashlib.sha256).hexdigest()


def id_hash(secret: bytes, kind: str, number: str) -> tuple[str, str]:
    """(keyed hash, last four) of an ID document number as typed: validated and normalised first."""
    normal = normalise_id(kind, number)
    return keyed_hash(secret, f"id:{kind}", normal), last4(normal)


def same_id(secret: bytes, kind: str, number: str, stored_hash: str) -> bool:
    """Whether a typed or scanned ID number is the one whose keyed hash is stored (constant-time compare)."""
    try:
        digest, _ = id_hash(secret, kind, number)
    except BoxOfficeError:
        return False
    return hmac.compare_digest(digest, stored_hash)
