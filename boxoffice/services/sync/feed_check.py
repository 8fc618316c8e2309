"""Check the central key's signature on every pulled change that decides what this terminal sells or admits.

The catalogue (prices, refund policies), the keys trusted for tickets and the revocations come from the central
service only (wire/feed_sig.py says which kinds and what the signature covers). The terminal pinned the central
service's public key when it enrolled (store/sync_state.py ``central_key``); a page holding one such change that is
unsigned, signed by another key, or whose signature does not cover what it says (a re-priced catalogue, a key
slipped in, a change moved to another position or meant for another terminal) is refused whole before anything
is applied: ``feed_signature``, nothing changed, the cursor where it was. Refusing the page, rather than parking
the one change, keeps the order of what is applied: a revocation skipped while the changes after it applied would
leave a refunded ticket admitted with nothing on screen to say so. The next sync asks for the same page again, so
a proxy that stops rewriting lets the terminal catch up by itself.

A terminal enrolled by a release that pinned no key cannot check anything: it is refused (``enroll_again``) until
an admin gives it a new code and it enrolls again, which pins the key.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.wire.feed_sig import EVERYONE, SIG_FIELD, SIGNED_KINDS, message


def pinned_key(pin: dict[str, str] | None) -> Any:
    """The pinned central public key object, or ``enroll_again`` when this terminal holds no pin."""
    if pin is None:
        raise BoxOfficeError("enroll_again", _("this terminal was enrolled before the central service's key was "
                                               "pinned, so it cannot check what it pulls: ask the central admin for "
                                               "a new code and run `boxoffice sync enroll URL CODE` again"))
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from boxoffice.tickets.keys import public_from_b64

    return Ed25519PublicKey.from_public_bytes(public_from_b64(pin["public_key"]))


def check_page(page: dict[str, Any], pin: dict[str, str] | None, terminal_id: str) -> int:
    """Refuse the page unless every change of a signed kind is signed by the pinned key; returns how many were."""
    public = pinned_key(pin)
    assert pin is not None
    checked = 0
    for change in page["changes"]:
        if change["kind"] not in SIGNED_KINDS:
            continue
        problem = _problem(change, public, pin["key_id"], terminal_id)
        if problem:
            raise BoxOfficeError("feed_signature", _("change {cursor} ({kind}) {problem}: it "
                                                     "did not come from the central service this terminal enrolled "
                                                     "with; nothing was changed here").format(
                cursor=change["cursor"], kind=change["kind"], problem=problem),
                                 cursor=change["cursor"], kind=change["kind"])
        checked += 1
    return checked


def _problem(change: dict[str, Any], public: Any, key_id: str, terminal_id: str) -> str | None:
    from cryptography.exceptions import InvalidSignature

    sig = change["body"].get(SIG_FIELD)
    if not isinstance(sig, dict) or not isinstance(sig.get("value"), str):
        return _("is not signed")
    if sig.get("key_id") != key_id:
        return _("is signed by key {key}, not the central key {pinned} pinned at enrollment").format(
            key=str(sig.get("key_id"))[:8], pinned=key_id)
    try:
        value = base64.b64decode(sig["value"], validate=True)
    except (binascii.Error, ValueError):
        return _("has a signature that is not Base64")
    for audience in (EVERYONE, terminal_id):
        try:
            public.verify(value, message(change["cursor"], change["kind"], audience, change["body"]))
            return None
        except InvalidSignature:
            continue
    return _("has a signature that does not match it")
