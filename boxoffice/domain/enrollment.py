"""Rules of enrollment both sides share: the message a terminal signs to prove it holds its key, and which central
URLs a terminal may use without TLS.

Why a signed challenge: the public key a terminal registers is public (it is in every terminal's key list), so a
code and that key alone would let anyone register as that terminal. The central service hands out a nonce bound
to the code; only the holder of the private key can sign it. The message is domain-separated (its first line names
what it is for) so that no other signature the terminal makes (tickets, checkpoints) can be replayed as a proof.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

PROOF_DOMAIN = "boxoffice.enroll-proof/1"
CHALLENGE_SECONDS = 120


def proof_message(nonce: str, terminal_id: str, key_id: str) -> bytes:
    """The bytes a terminal signs with its Ed25519 key to enroll: purpose, nonce, terminal id and key id."""
    return f"{PROOF_DOMAIN}\n{nonce}\n{terminal_id}\n{key_id}".encode()


def same_name(a: str, b: str) -> bool:
    """Whether two terminal names are the same name, whatever the case and surrounding spaces."""
    return a.strip().casefold() == b.strip().casefold()


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: traffic that never leaves the machine."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, insecure: bool = False) -> str:
    """The central URL without a trailing slash, or a refusal: https, or plain http to loopback only, unless
    ``insecure`` says plain http to another host was meant (then the token and every sale cross the network
    readable by anyone on it)."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BoxOfficeError("bad_input",
            _("the central URL must be https://HOST[:PORT], not {url!r}").format(url=url[:80]))
    if parts.username or parts.password or parts.query or parts.fragment:
        raise BoxOfficeError("bad_input", _("the central URL carries no user, password, query or fragment"))
    if parts.scheme == "http" and not insecure and not is_loopback(parts.hostname):
        raise BoxOfficeError("insecure_url", _("{url} is plain http to another machine: the token and every sale "
                                               "would cross the network unencrypted. Use https:// (with --ca-bundle "
                                               "for a private CA), or --insecure if this network is trusted").format(
            url=url))
    return url


def plain_http_elsewhere(url: str) -> bool:
    """Whether ``url`` is plain http to a host other than loopback (allowed only with --insecure, and shown)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and not is_loopback(parts.hostname or "")
