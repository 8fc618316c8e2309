"""What the central key signs on the change feed, in one place for both sides.

The catalogue (prices, policies), the keys a terminal trusts for tickets and the revocations decide what a terminal
sells and what its door admits, so they must come from the central service and from nowhere else: not from a rogue
service at the enrolled address, not from a proxy in between. The central service signs each change of these kinds
when it appends it (central/services/feed_signing.py); the terminal checks each against the key it pinned at
enrollment before it applies a page (services/sync/feed_check.py).

The signed message is a domain-separated, canonical encoding of everything that gives the change its meaning:

- a fixed prefix, so a signature made for a feed change can never pass for a ticket, a checkpoint or anything else
  the same key might one day sign;
- the feed position: a signed change cannot be replayed later on the feed (an old catalogue with old prices after a
  new one), because the terminal's cursor only moves forward and a change copied to another position fails;
- the kind: a body cannot be moved under another kind;
- the audience (``*`` for every terminal, else the one terminal it is for): a change meant for one terminal cannot
  be shown to another;
- the body without its ``sig`` field, as canonical JSON (sorted keys, no spaces, UTF-8 kept).

The signature travels in the body (``body.sig = {key_id, value}``), so the feed stores it with the body and
``feed.page`` keeps copying stored text. No I/O and no key objects here: only the bytes.
"""

from __future__ import annotations

import json
from typing import Any

SIGNED_KINDS = frozenset({"catalog", "key", "terminal_revoked", "revocation", "privacy_purge", "revoked_secret"})
PREFIX = b"boxoffice feed change v1\x00"
EVERYONE = "*"
SIG_FIELD = "sig"


def message(pos: int, kind: str, audience: str | None, body: dict[str, Any]) -> bytes:
    """The bytes the central key signs for the change at ``pos`` (``body`` with or without its ``sig``)."""
    unsigned = {k: v for k, v in body.items() if k != SIG_FIELD}
    doc = [pos, kind, audience or EVERYONE, unsigned]
    return PREFIX + json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
