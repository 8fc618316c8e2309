"""A group of scanned tokens' signatures checked on several threads at once, before the door records them.

cryptography's Ed25519 verification lets go of the interpreter's lock while it runs, so threads that verify
signatures run side by side on a machine's cores. Each token is first decoded and its key looked up
(:func:`prepare`, on the door's own thread: the look-up may read the database); then only the verifications are
shared out (:func:`confirm`, on helper threads, a pure function of the token's bytes and the key), so a helper
runs from one verification to the next without waiting for the lock between them. The door still decides: it
takes a signature checked here only when :meth:`Pending.stands_for` says so: a :class:`Checked` (which only
:func:`confirm` makes), for the same text, and the key it trusts for that key id at the time of the check-in is
the very key the signature was checked with (services.door._decide); anything else (an unknown key, a forgery, a
pretix secret, a token decoded but not verified) goes through the door's full check, which words the refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from boxoffice.errors import BoxOfficeError
from boxoffice.tickets.token import DecodedToken, decode_token, key_verifier


class Pending:
    """A scanned text decoded, with the trusted key for its key id: its signature not verified yet."""

    __slots__ = ("text", "decoded", "public")

    def __init__(self, text: str, decoded: DecodedToken, public: bytes) -> None:
        self.text, self.decoded, self.public = text, decoded, public

    def stands_for(self, text: str, trusted: bytes | None) -> bool:
        """Whether this vouches for ``text`` given the key trusted for its key id now: never, unverified."""
        return False


class Checked(Pending):
    """A scanned text whose signature verified against ``public``: made only by :func:`confirm`."""

    __slots__ = ()

    def stands_for(self, text: str, trusted: bytes | None) -> bool:
        """The same text, and the key trusted for its key id now is the very key its signature verified with."""
        return text == self.text and trusted is not None and trusted == self.public


def prepare(text: str, public_key_for: Callable[[bytes], bytes | None]) -> Pending | None:
    """The scanned ``text`` decoded, with the trusted key for its key id, its signature not checked yet
    (:func:`confirm`); None when it is not a token or its key is unknown."""
    try:
        decoded = decode_token(text)
    except BoxOfficeError:
        return None
    public = public_key_for(decoded.key_id)
    return None if public is None else Pending(text, decoded, public)


def confirm(prepared: Sequence[Pending | None]) -> list[Checked | None]:
    """A :class:`Checked` for each prepared token whose signature verifies against its key, in order; None for the
    others (a forgery, a key that is not Ed25519)."""
    confirmed: list[Checked | None] = []
    for item in prepared:
        checked = None
        if item is not None:
            try:
                key_verifier(item.public).verify(item.decoded.signature, item.decoded.signed_part)
            except Exception:  # noqa: BLE001 - InvalidSignature, or a key that is not Ed25519
                pass
            else:
                checked = Checked(item.text, item.decoded, item.public)
        confirmed.append(checked)
    return confirmed
