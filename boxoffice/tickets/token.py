"""The signed ticket token: a compact binary record, Ed25519-signed, written as Base45 text for the QR code.

Layout (all multi-byte fields as raw bytes; see schemas/ticket-token.md for the full description). Version 2 is
what :func:`sign_token` writes; version 1 tokens (printed before) are still read and verified:

    version 2                                   version 1
    offset  size  field                         offset  size  field
    0       1     version (= 2)                 0       1     version (= 1)
    1       1     place length L (0..10)        1       4     key id
    2       4     key id                        5       16    ticket id
    6       16    ticket id                     21      4     event ref
    22      4     event ref                     25      2     section ref
    26      2     section ref                   27      1     place length L (0..10)
    28      L     place, UTF-8                  28      L     place
    28+L    64    Ed25519 signature over bytes 0 .. 28+L, in both

key id: SHA-256(raw public key)[:4]; ticket id: the UUID's 16 bytes; event ref: SHA-256(event id, UTF-8)[:4];
section ref: SHA-256("event_id/section_id", UTF-8)[:2]; place: "ROW:SEAT" for a reserved seat, empty for general
admission.

Why version 2. Base45 has a space in its alphabet, and a token's first character is fixed by its first two bytes.
In version 1 those are the version and the key id's first byte, so one signing key in about 43 made every one of
its tokens begin with a space, which any tool that trims its input (a form, a shell, a spreadsheet) silently cut
off. Version 2 puts the place length second: the first pair is 2 * 256 + L with L at most 10, 512..522, so the
token always begins with one of the letters H to R, then B, then 0, whatever the key. The last character is never
a space in either version (a final group of three ends in at most the 33rd character, W; an odd last byte's pair
in 0, an Ed25519 signature's last byte being below 16). The fields and the lengths are the same, so the longest
token is still 102 bytes, 153 Base45 characters, which fits a version 6 QR code at error correction M (154
alphanumeric characters) and stays inside the QR alphanumeric character set, so a keyboard-wedge scanner can type
it.

Reading. A scanner adds a line ending or a tab; those are dropped, but a space is never dropped before the text
as given has been tried, because it may be a version 1 token's first character (see :func:`decode_token`).

The token carries hashes of the event and section ids, not the ids themselves. Parsing (:func:`decode_token`) is
kept apart from trusting (:func:`verify_token`) so callers can show what a refused ticket claims to be.
Everything that is not a well-formed token raises ``malformed_token``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from boxoffice.domain.records import FrozenRecord  # methods written once, not generated a class
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.tickets.base45 import BASE45_ALPHABET as BASE45_ALPHABET
from boxoffice.tickets.base45 import b45decode as b45decode
from boxoffice.tickets.base45 import b45encode as b45encode
from boxoffice.tickets.base45 import base45_length as base45_length
from boxoffice.tickets.refs import EVENT_REF_LEN as EVENT_REF_LEN
from boxoffice.tickets.refs import SECTION_REF_LEN as SECTION_REF_LEN
from boxoffice.tickets.refs import event_ref as event_ref
from boxoffice.tickets.refs import match_place as match_place
from boxoffice.tickets.refs import section_ref as section_ref
from boxoffice.tickets.refs import section_ref_clashes as section_ref_clashes

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

VERSION = 2  # what sign_token writes
VERSIONS = (1, 2)  # what decode_token reads
KEY_ID_LEN = 4
TICKET_ID_LEN = 16
MAX_PLACE_BYTES = 10
SIGNATURE_LEN = 64
PUBLIC_KEY_LEN = 32

_FIELDS_LEN = KEY_ID_LEN + TICKET_ID_LEN + EVENT_REF_LEN + SECTION_REF_LEN  # 26: key id, ticket id, refs
HEADER_LEN = 2 + _FIELDS_LEN  # 28 in both versions: version byte, place length, the fields
# Where the place length and the fixed fields are, by version (module docstring).
_PLACE_LEN_OFFSET = {1: 1 + _FIELDS_LEN, 2: 1}
_FIELDS_OFFSET = {1: 1, 2: 2}
# What a scanner or a line of input adds around a token; never a space, which can be part of one.
SCANNER_ENDINGS = "\r\n\t\v\f"
MIN_TOKEN_BYTES = HEADER_LEN + SIGNATURE_LEN  # 92: general admission
MAX_TOKEN_BYTES = HEADER_LEN + MAX_PLACE_BYTES + SIGNATURE_LEN  # 102: longest seat label

PLACE_SEPARATOR = ":"

_REFUSE = N_("refuse entry; send the customer to the box office")  # translated where a refusal says it

MAX_TOKEN_CHARS = base45_length(MAX_TOKEN_BYTES)  # 153
TOKEN_MIN_CHARS = 120  # below the shortest token (138): where a query this long is read as a token


# --- claims and refs ------------------------------------------------------------------------------------


class TicketClaims(FrozenRecord):
    """What a ticket says, in full; the token carries refs (hashes) of the event and section ids."""

    ticket_id: str  # canonical UUID text (lower case, hyphenated)
    event_id: str
    section_id: str
    row: str | None  # None for general admission
    seat: str | None
    _fields = ("ticket_id", "event_id", "section_id", "row", "seat")

    def __init__(self, ticket_id: str, event_id: str, section_id: str, row: str | None, seat: str | None) -> None:
        self._assign(ticket_id, event_id, section_id, row, seat)


class DecodedToken(FrozenRecord):
    """A parsed token, not yet trusted; :func:`verify_token` returns one only once its signature checks."""

    version: int
    key_id: bytes
    ticket_id: str
    event_ref: bytes
    section_ref: bytes
    row: str | None
    seat: str | None
    signed_part: bytes
    signature: bytes
    # The token's one Base45 text form, as it was issued and as a terminal stores it. Compare this, never the text
    # that was scanned or typed, with a stored token: the input may have lost a version 1 token's leading space or
    # gained a scanner's line ending and still be this token. (The reading that parsed is this text: Base45 as
    # decoded here has one text per byte string.)
    text: str
    _fields = ("version", "key_id", "ticket_id", "event_ref", "section_ref", "row", "seat", "signed_part",
               "signature", "text")

    def __init__(self, version: int, key_id: bytes, ticket_id: str, event_ref: bytes, section_ref: bytes,
                 row: str | None, seat: str | None, signed_part: bytes, signature: bytes, text: str) -> None:
        self._assign(version, key_id, ticket_id, event_ref, section_ref, row, seat, signed_part, signature, text)

    @property
    def key_id_hex(self) -> str:
        return self.key_id.hex()

    def to_dict(self, event_id: str | None = None, section_id: str | None = None) -> dict[str, Any]:
        """The claims as ``boxoffice ticket verify --json`` prints them (schemas/ticket-token.schema.json).

        ``event_id`` and ``section_id`` are the catalogue names the caller resolved the refs to, if any.
        """
        body: dict[str, Any] = {
            "version": self.version,
            "key_id": self.key_id.hex(),
            "ticket_id": self.ticket_id,
            "event_ref": self.event_ref.hex(),
            "section_ref": self.section_ref.hex(),
            "row": self.row,
            "seat": self.seat,
        }
        if event_id is not None:
            body["event_id"] = event_id
        if section_id is not None:
            body["section_id"] = section_id
        return body


# --- place ----------------------------------------------------------------------------------------------


def _place_text(row: str | None, seat: str | None) -> str:
    """Check a row/seat pair and join it as the token stores it; raises ValueError saying what is wrong."""
    if row is None and seat is None:
        return ""
    if row is None or seat is None:
        raise ValueError("a reserved place needs both a row and a seat; general admission has neither")
    for label, value in (("row", row), ("seat", seat)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"the {label} must be non-empty text")
        if PLACE_SEPARATOR in value:
            raise ValueError(f"the {label} {value!r} must not contain {PLACE_SEPARATOR!r}")
        if not value.isprintable() or value != value.strip():
            raise ValueError(f"the {label} {value!r} has control characters or surrounding spaces")
    place = f"{row}{PLACE_SEPARATOR}{seat}"
    if len(place.encode("utf-8")) > MAX_PLACE_BYTES:
        raise ValueError(f"the place {place!r} is longer than {MAX_PLACE_BYTES} bytes of UTF-8")
    return place


def _parse_place(raw: bytes) -> tuple[str | None, str | None]:
    if not raw:
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the place is not UTF-8 text") from None
    row, sep, seat = text.partition(PLACE_SEPARATOR)
    if not sep:
        raise ValueError("the place has no row/seat separator")
    _place_text(row, seat)  # same rules as signing, so only places sign_token could write are accepted
    return row, seat


# --- signing --------------------------------------------------------------------------------------------


def _pack_signed_part(claims: TicketClaims, key_id: bytes, version: int = VERSION) -> bytes:
    """The bytes the signature covers; raises ``bad_input`` for claims that cannot go in a token."""
    if version not in VERSIONS:
        raise BoxOfficeError("bad_input", _("token version {version!r} is not one of {versions}").format(
            version=version, versions=VERSIONS))
    if not isinstance(key_id, bytes | bytearray) or len(key_id) != KEY_ID_LEN:
        raise BoxOfficeError("bad_input", _("a key id is exactly {length} bytes").format(length=KEY_ID_LEN))
    try:
        tid = uuid.UUID(claims.ticket_id)
    except (ValueError, TypeError, AttributeError):
        raise BoxOfficeError("bad_input", _("ticket id {id!r} is not a UUID").format(id=claims.ticket_id)) from None
    if str(tid) != claims.ticket_id:
        # Decoding yields the canonical form; insisting on it here keeps ids comparable as plain strings.
        raise BoxOfficeError(
            "bad_input", _("ticket id {id!r} is not in canonical UUID form ({canonical})").format(
                id=claims.ticket_id, canonical=tid)
        )
    for value, problem in ((claims.event_id, N_("the event id must be non-empty text")),
                           (claims.section_id, N_("the section id must be non-empty text"))):
        if not isinstance(value, str) or not value:
            raise BoxOfficeError("bad_input", _(problem))
    try:
        place = _place_text(claims.row, claims.seat).encode("utf-8")
    except ValueError as exc:
        raise BoxOfficeError("bad_input",
            _("cannot put this place in a ticket: {problem}").format(problem=exc)) from None
    fields = bytes(key_id) + tid.bytes + _refs(claims.event_id, claims.section_id)
    if version == 1:
        return bytes((1,)) + fields + bytes((len(place),)) + place
    return bytes((version, len(place))) + fields + place


@functools.lru_cache(maxsize=256)
def _refs(event_id: str, section_id: str) -> bytes:
    """The event ref and section ref a signed token carries (pure functions of the ids: the same for every ticket of
    a section, so hashed once)."""
    return event_ref(event_id) + section_ref(event_id, section_id)


def _signing() -> tuple[type, Any]:
    """cryptography's Ed25519 private key class and tickets.keys, imported on the first signature (a command that
    only reads tokens does without them) and kept: two import statements a ticket cost more than the packing."""
    global _SIGNING
    if _SIGNING is None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from boxoffice.tickets import keys

        _SIGNING = (Ed25519PrivateKey, keys)
    return _SIGNING


_SIGNING: tuple[type, Any] | None = None


def sign_token(claims: TicketClaims, private_key: Ed25519PrivateKey, key_id: bytes, *,
               version: int = VERSION) -> str:
    """Sign the claims and return the token's Base45 text, ready for a QR code.

    ``key_id`` must be the id of ``private_key``'s public half; a mismatch is refused here, because a ticket
    labelled with the wrong key would be refused at every door. ``version`` 1 is only for making the tokens that
    were issued before version 2 (tests, tools); every ticket sold now is version 2 (module docstring).
    """
    private_key_type, keys = _signing()
    if not isinstance(private_key, private_key_type):
        raise BoxOfficeError("bad_input", _("tickets are signed with an Ed25519 private key"))
    signed_part = _pack_signed_part(claims, key_id, version)
    if keys.private_key_id(private_key) != bytes(key_id):
        raise BoxOfficeError("bad_input",
            _("key id {id} is not the id of the signing key").format(id=bytes(key_id).hex()))
    return b45encode(signed_part + private_key.sign(signed_part))


# --- decoding and verification --------------------------------------------------------------------------


def _malformed(reason: str) -> BoxOfficeError:
    return BoxOfficeError(
        "malformed_token", _("not a ticket token ({reason}): scan again, or {refuse}").format(
            reason=reason, refuse=_(_REFUSE)), reason=reason
    )


def _parse_text(text: str) -> DecodedToken:
    """Parse one exact candidate text; raises ValueError with the reason it is not a token."""
    if not text:
        raise ValueError("empty")
    if len(text) > MAX_TOKEN_CHARS:
        raise ValueError(f"longer than {MAX_TOKEN_CHARS} characters")
    raw = b45decode(text)
    version = raw[0]
    if version not in VERSIONS:
        raise ValueError(f"unknown token version {version}")
    if len(raw) < MIN_TOKEN_BYTES:
        raise ValueError("too short")
    place_len = raw[_PLACE_LEN_OFFSET[version]]
    if place_len > MAX_PLACE_BYTES:
        raise ValueError(f"place length {place_len} is over {MAX_PLACE_BYTES}")
    if len(raw) != HEADER_LEN + place_len + SIGNATURE_LEN:
        raise ValueError("length does not match the place length")
    signed_end = HEADER_LEN + place_len
    row, seat = _parse_place(raw[HEADER_LEN:signed_end])
    o = _FIELDS_OFFSET[version]
    kid = raw[o : o + KEY_ID_LEN]
    o += KEY_ID_LEN
    h = raw[o : o + TICKET_ID_LEN].hex()  # str(uuid.UUID(bytes=...)), the same text, without building a UUID
    tid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    o += TICKET_ID_LEN
    eref = raw[o : o + EVENT_REF_LEN]
    o += EVENT_REF_LEN
    sref = raw[o : o + SECTION_REF_LEN]
    return DecodedToken(
        version=version,
        key_id=kid,
        ticket_id=tid,
        event_ref=eref,
        section_ref=sref,
        row=row,
        seat=seat,
        signed_part=raw[:signed_end],
        signature=raw[signed_end:],
        text=text,
    )


def scanned_text(text: str) -> str:
    """What a scanner or a line of input gave, without the line endings and tabs around it; spaces are kept."""
    return text.strip(SCANNER_ENDINGS)


def looks_like_token(text: str) -> bool:
    """Whether typed or scanned text is long enough to be read as a token rather than a code, name or id.

    A token is at least 138 characters; nothing else a person types where a token is taken comes near 120.
    """
    return len(text.strip()) >= TOKEN_MIN_CHARS


def decode_token(text: str) -> DecodedToken:
    """Parse a token's text without trusting it; anything not a well-formed token is ``malformed_token``.

    A scanner's line endings and tabs around the text are ignored. Then three readings are tried, in order: the
    text as given, the text with surrounding spaces removed (a pasted token with a space too many), and that text
    after one space (a version 1 token whose leading space a trimming tool cut off; schemas/ticket-token.md). At
    most one of them can be a token: a token's first two bytes make 256 to 522, so its second character is one of
    5 to B and its third is 0. A space too many before a token moves that second character into third place,
    where a token has 0; a version 1 token read without its leading space has its 0 in second place, where a
    token has 5 to B. A refusal gives the reason for the trimmed reading, the one a person would expect.
    """
    if not isinstance(text, str):
        raise _malformed("not text")
    given = scanned_text(text)
    trimmed = given.strip()
    if len(trimmed) > MAX_TOKEN_CHARS:
        # Checked before anything else so a huge input costs nothing more than strip().
        raise _malformed(f"longer than {MAX_TOKEN_CHARS} characters")
    if given is trimmed or given == trimmed:  # the usual scan: one reading, tried first below in any case
        try:
            return _parse_text(given)
        except ValueError:
            pass
    readings = [given, trimmed]
    if 0 < len(trimmed) < MAX_TOKEN_CHARS:
        readings.append(" " + trimmed)
    reason = ""
    for reading in dict.fromkeys(readings):
        if len(reading) > MAX_TOKEN_CHARS:
            continue
        try:
            return _parse_text(reading)
        except ValueError as exc:
            if reading == trimmed:
                reason = str(exc)
    raise _malformed(reason)


_VERIFIERS: dict[bytes, Any] = {}  # raw public key -> its Ed25519PublicKey (at most _MOST_VERIFIERS)
_MOST_VERIFIERS = 64


def key_verifier(public: object) -> Any:
    """The Ed25519 public key object for raw key bytes, made once per key (a door checks thousands of tickets
    against a handful of keys); ValueError when the bytes are not an Ed25519 public key. Kept by the key's bytes
    themselves, so nothing in it can go stale."""
    if not isinstance(public, bytes | bytearray) or len(public) != PUBLIC_KEY_LEN:
        raise ValueError("wrong length")
    raw = bytes(public)
    verifier = _VERIFIERS.get(raw)
    if verifier is None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        verifier = Ed25519PublicKey.from_public_bytes(raw)
        if len(_VERIFIERS) >= _MOST_VERIFIERS:
            _VERIFIERS.clear()
        _VERIFIERS[raw] = verifier
    return verifier


def verify_token(
    text: str,
    public_key_for: Callable[[bytes], bytes | None],
    is_revoked: Callable[[str], bool] = lambda tid: False,
) -> DecodedToken:
    """Decode a token and check it may be admitted: known key, valid signature, not revoked.

    ``public_key_for`` maps the token's 4-byte key id to a raw 32-byte public key, or None if unknown. The
    revocation list is consulted only after the signature verifies, so a forged ticket id is reported as a
    forgery, not as somebody's refunded ticket.
    """
    from cryptography.exceptions import InvalidSignature

    decoded = decode_token(text)
    kid = decoded.key_id.hex()
    public = public_key_for(decoded.key_id)
    if public is None:
        raise BoxOfficeError(
            "unknown_key",
            _("ticket signed by unknown key {key}: sync to fetch new keys; if still unknown, {refuse}").format(
                key=kid, refuse=_(_REFUSE)),
            key_id=kid,
            ticket_id=decoded.ticket_id,
        )
    try:
        verifier = key_verifier(public)
    except ValueError:
        raise BoxOfficeError(
            "unknown_key",
            _("the public key stored for key {key} is not an Ed25519 key: sync keys; meanwhile {refuse}").format(
                key=kid, refuse=_(_REFUSE)),
            key_id=kid,
            ticket_id=decoded.ticket_id,
        ) from None
    try:
        verifier.verify(decoded.signature, decoded.signed_part)
    except InvalidSignature:
        raise BoxOfficeError(
            "bad_signature",
            _("the ticket's signature does not verify (forged or damaged): {refuse}").format(refuse=_(_REFUSE)),
            key_id=kid,
            ticket_id=decoded.ticket_id,
        ) from None
    if is_revoked(decoded.ticket_id):
        raise BoxOfficeError(
            "revoked",
            _("ticket {id} was refunded or re-issued: {refuse}").format(id=decoded.ticket_id, refuse=_(_REFUSE)),
            key_id=kid,
            ticket_id=decoded.ticket_id,
        )
    return decoded
