"""pretix's signed ticket secrets (``pretix_sig1``): read one offline and check it against an event's public keys.

pretix makes these for an event whose ticket secret generator is "pretix signature scheme 1" (its
base/secrets.py, Sig1TicketSecretGenerator). The secret is base64 text written backwards, of::

    0x01 | payload length (2 bytes, big-endian) | signature length (2 bytes) | payload | Ed25519 signature

where the payload is a protobuf ``Ticket {string seed = 1; int64 item = 2; int64 variation = 3; int64 subevent = 4;
optional int64 validFromUnixTime = 5; optional int64 validUntilUnixTime = 6;}`` (secretgenerators/
pretix_sig1.proto) and the signature covers the payload bytes. The event's public key is given by pretix as base64
of a PEM (``valid_keys.pretix_sig1`` of its event API).

Everything scanned is hostile: the text, the lengths inside it and the protobuf are bounded before they are read,
the signature is checked before any field is believed, and :func:`check` never raises: it gives a :class:`Sig1Check`
whose ``status`` says what was found. The protobuf reader is a dozen lines for six fields; no dependency for it.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

VERSION = 0x01
MAX_TEXT = 400  # a real secret is about 130 characters; this leaves room and stops a pasted novel early
MAX_PAYLOAD = 200  # seed (9 characters) + five integers: some 40 bytes
SIGNATURE_LEN = 64  # Ed25519
MAX_SEED = 64
MAX_KEY_TEXT = 2000  # base64 of a PEM public key is ~150 characters
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")

OK = "ok"
MALFORMED = "malformed"  # not a pretix_sig1 secret at all (or a broken one)
BAD_SIGNATURE = "bad_signature"  # well formed, but none of the keys signed it
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"


@dataclass(frozen=True)
class Sig1Ticket:
    """The signed fields of a secret. ``valid_from``/``valid_until`` are Unix seconds, None when unbounded."""

    seed: str
    item: int
    variation: int
    subevent: int
    valid_from: int | None
    valid_until: int | None


@dataclass(frozen=True)
class Sig1Check:
    """What :func:`check` found: ``status`` (OK, MALFORMED, BAD_SIGNATURE, NOT_YET_VALID, EXPIRED), the ticket when
    its signature verified, the index of the key that verified it, and a short reason (never the secret)."""

    status: str
    ticket: Sig1Ticket | None = None
    key_index: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class _Framed:
    payload: bytes
    signature: bytes


class _Bad(Exception):
    """A secret that is not well formed (internal: :func:`check` turns it into MALFORMED)."""


def _frame(text: Any) -> _Framed:
    """The payload and signature of a secret's text, with every length checked before it is used."""
    if not isinstance(text, str):
        raise _Bad("not text")
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise _Bad("empty or too long")
    forward = text[::-1]
    if len(forward) % 4 or not _B64.fullmatch(forward):
        raise _Bad("not base64")
    try:
        raw = binascii.a2b_base64(forward.encode("ascii"), strict_mode=True)
    except (binascii.Error, ValueError):
        raise _Bad("not base64") from None
    if len(raw) < 5:
        raise _Bad("truncated header")
    if raw[0] != VERSION:
        raise _Bad("not version 1")
    n = int.from_bytes(raw[1:3], "big")
    m = int.from_bytes(raw[3:5], "big")
    if n == 0 or n > MAX_PAYLOAD:
        raise _Bad("payload length out of bounds")
    if m != SIGNATURE_LEN:
        raise _Bad("signature length is not 64")
    if len(raw) != 5 + n + m:
        raise _Bad("lengths do not match the secret")
    return _Framed(raw[5:5 + n], raw[5 + n:])


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """One protobuf varint at ``pos`` (at most 10 bytes): its value and the position after it."""
    value = 0
    for shift in range(0, 70, 7):
        if pos >= len(data):
            raise _Bad("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if value >= 1 << 64:
                raise _Bad("varint past 64 bits")
            return value, pos
    raise _Bad("varint longer than 10 bytes")


def _int64(value: int) -> int:
    """A varint read as protobuf's int64 (two's complement)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_payload(data: bytes) -> Sig1Ticket:
    """Read the Ticket message: fields 1-6 as declared; unknown fields of the plain wire types are skipped, groups
    and wrong wire types refused. Raises _Bad (internal) on anything else."""
    fields: dict[int, Any] = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _Bad("field number 0")
        if wire == 0:
            value, pos = _varint(data, pos)
            if number == 1:
                raise _Bad("seed is not a string")
            if 2 <= number <= 6:
                fields[number] = _int64(value)
        elif wire == 2:
            size, pos = _varint(data, pos)
            if size > len(data) - pos:
                raise _Bad("length past the end")
            chunk, pos = data[pos:pos + size], pos + size
            if 2 <= number <= 6:
                raise _Bad("an integer field sent as bytes")
            if number == 1:
                if size > MAX_SEED:
                    raise _Bad("seed too long")
                try:
                    fields[1] = chunk.decode("utf-8")
                except UnicodeDecodeError:
                    raise _Bad("seed is not UTF-8") from None
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            if 1 <= number <= 6 or width > len(data) - pos:
                raise _Bad("fixed-width field out of place")
            pos += width
        else:
            raise _Bad("groups and unknown wire types are refused")
    if not fields.get(1) or fields.get(2, 0) <= 0:
        raise _Bad("no seed or no item")
    return Sig1Ticket(seed=fields[1], item=fields[2], variation=fields.get(3, 0), subevent=fields.get(4, 0),
                      valid_from=fields.get(5) or None, valid_until=fields.get(6) or None)


def load_key(key_b64_pem: Any) -> Any | None:
    """An Ed25519 public key from pretix's form (base64 of a PEM); None for anything else."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if not isinstance(key_b64_pem, str) or not key_b64_pem or len(key_b64_pem) > MAX_KEY_TEXT:
        return None
    try:
        pem = base64.b64decode(key_b64_pem, validate=True)
        key = load_pem_public_key(pem)
    except (ValueError, TypeError, binascii.Error):
        return None
    return key if isinstance(key, Ed25519PublicKey) else None


def looks_like(text: Any) -> bool:
    """Cheaply: could this be a pretix_sig1 secret (framing only, nothing verified)?"""
    try:
        _frame(text)
    except _Bad:
        return False
    return True


def check(text: Any, keys: Iterable[Any], now_unix: int) -> Sig1Check:
    """Verify a scanned secret against the event's keys (loaded with :func:`load_key`, or pretix's base64 PEM
    text) and its validity window at ``now_unix``. Never raises; the fields are read only once a key verified."""
    from cryptography.exceptions import InvalidSignature

    try:
        framed = _frame(text)
    except _Bad as exc:
        return Sig1Check(MALFORMED, reason=str(exc))
    index = None
    for i, key in enumerate(keys):
        loaded = load_key(key) if isinstance(key, str) else key
        if loaded is None:
            continue
        try:
            loaded.verify(framed.signature, framed.payload)
        except (InvalidSignature, ValueError, TypeError, AttributeError):
            continue
        index = i
        break
    if index is None:
        return Sig1Check(BAD_SIGNATURE, reason="no key of the event signed it")
    try:
        ticket = parse_payload(framed.payload)
    except _Bad as exc:
        return Sig1Check(MALFORMED, reason=f"signed, but {exc}")
    if ticket.valid_from is not None and now_unix < ticket.valid_from:
        return Sig1Check(NOT_YET_VALID, ticket, index, "before its validity")
    if ticket.valid_until is not None and now_unix > ticket.valid_until:
        return Sig1Check(EXPIRED, ticket, index, "after its validity")
    return Sig1Check(OK, ticket, index)
