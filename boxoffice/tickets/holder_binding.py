"""The signature that binds a real-name ticket to its holder (docs/real-name.md).

Why a separate signature and not more bytes in the token: the QR stays exactly as it is (version 6 at error
correction M, tickets/token.py), and the holder's name never goes on paper in a machine-readable form. The key that
signs the ticket's token also signs, when the ticket is issued, one message that names the ticket id, a digest of
its token and the holder's fields (name, ID kind, keyed hash of the ID number, its last four). The door checks that
signature with the same trusted public key it checks the token with, so a holder row edited by hand (another name,
another ID hash), or copied from another ticket, is refused: nobody can make the signature without the private key.
The binding travels with the holder row through the journal, so any door that has the row can check it offline.

A privacy purge clears the name after the event; a row without a name is reported as purged, not as forged.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DOMAIN = b"boxoffice ticket holder v1"


@dataclass(frozen=True)
class Holder:
    """What the binding covers: who may use the ticket, never their ID number."""

    name: str
    id_kind: str
    id_hash: str
    id_last4: str


def message(ticket_id: str, token: str, holder: Holder) -> bytes:
    """The bytes signed: fields joined by NUL (none may hold one), the name in NFC so a re-typed name compares."""
    fields = (ticket_id, hashlib.sha256(token.encode("utf-8")).hexdigest(),
              unicodedata.normalize("NFC", holder.name), holder.id_kind, holder.id_hash, holder.id_last4)
    if any("\x00" in f for f in fields):
        raise BoxOfficeError("bad_input", _("a holder field holds a NUL character"))
    return DOMAIN + b"\x00" + "\x00".join(fields).encode("utf-8")


def sign(ticket_id: str, token: str, holder: Holder, private_key: Ed25519PrivateKey) -> str:
    """The binding signature as hex (128 characters)."""
    return private_key.sign(message(ticket_id, token, holder)).hex()


def verify(ticket_id: str, token: str, holder: Holder | None, key_id_hex: str, signature_hex: str,
           token_key_id_hex: str, public_key_for: Callable[[bytes], bytes | None]) -> None:
    """Check a stored binding against the ticket's token; raises ``holder_tampered`` when it does not hold.

    The binding must be made by the key that signed the token (``token_key_id_hex``): a holder row signed by some
    other terminal's key is not this ticket's.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    refuse = BoxOfficeError("holder_tampered", _("the holder record of this ticket does not match the ticket's "
                                                 "signature (edited or copied): refuse entry; send the customer to "
                                                 "the box office"), ticket_id=ticket_id)
    if holder is None or key_id_hex != token_key_id_hex:
        raise refuse
    try:
        raw_key = public_key_for(bytes.fromhex(key_id_hex))
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        raise refuse from None
    if raw_key is None:
        raise refuse
    try:
        Ed25519PublicKey.from_public_bytes(bytes(raw_key)).verify(signature, message(ticket_id, token, holder))
    except (InvalidSignature, ValueError, BoxOfficeError):
        raise refuse from None
