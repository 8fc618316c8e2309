"""The change feed terminals pull by cursor: append inside a writer's transaction, read a page after a cursor.

Positions come from the ``counters('feed')`` row, updated in the same transaction as the inserts. That row lock
makes feed writers commit one after another in position order (PostgreSQL and SQLite alike), so every committed
position at or below the head a reader has seen is already visible to it: a reader that moves its cursor to the
head can never step over a change that commits later. Writers take it last, just before commit, to hold it briefly.

Bodies of ``catalog``, ``key``, ``terminal_revoked``, ``revocation``, ``privacy_purge`` and ``revoked_secret`` carry
``sig``, the central key's signature (made in :func:`append`; wire/feed_sig.py says what it covers). Terminals refuse
a page where one is wrong.

Change kinds (bodies are described in schemas/sync-changes.schema.json):

``catalog``           a published catalogue document, applied like `boxoffice catalog import`
``key``               a public key to trust for ticket signatures (a terminal's on enrollment, the central key)
``terminal_revoked``  a terminal whose credential was withdrawn (its key stays known, marked revoked from ``at``:
                      doors admit its tickets only where synced data shows them: services/door.py)
``revocation``        a ticket that must not be admitted any more (refunded, exchanged or revoked by an admin)
``revoked_secret``    a shop's ticket secret (pretix) that must not be admitted any more: {event_id, secret}
``web_order``         an order sold by the web shop, with its tickets signed by the central key (a ticket may
                      carry ``external_secret``, its secret in the shop, for doors that scan the shop's tickets)
``order``             an order another terminal sold, with its tickets (so any desk can find any order)
                      (both: the customer's name, e-mail, phone and notes only for a pickup desk; see page())
``pickup``            tickets handed out by another terminal
``paid``              an unpaid (web) order paid at another terminal's desk: it may be handed out anywhere now
``checkin``           a ticket admitted (or let out) at another terminal's door
``conflict``          a flag for the terminals involved: two of them did a once-only thing to the same ticket
``pause``             reserved for the emergency pause (a later release): stored and shown, not yet enforced
``holders``           real-name ticket holders of a sale or holder change (name, ID kind, keyed hash, last four,
                      binding; never a number): only for door and pickup terminals (terminals.sees_holders)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from boxoffice.central.errors import CentralError
from boxoffice.central.services import feed_signing
from boxoffice.central.store import feed as rows
from boxoffice.central.store.db import CentralDB
from boxoffice.i18n import _
from boxoffice.wire import codec
from boxoffice.wire.feed_sig import SIGNED_KINDS

KINDS = ("catalog", "key", "terminal_revoked", "revocation", "web_order", "order", "pickup", "checkin",
         "conflict", "pause", "holders", "privacy_purge", "paid", "revoked_secret")
MAX_PAGE = 1000
# The body bytes one page carries at most (plus the change that reaches them: a page always holds one change, so the
# cursor moves on). Bodies can be large (a catalogue with its seat plans, an order of a thousand tickets), and a page
# capped by count alone held every one of them in the service's memory at once; past this cap the page ends early
# and says ``more`` with the cursor at its last change, as a full page does (services/sync/pull.py asks again).
MAX_PAGE_BYTES = 4_000_000


@dataclass(frozen=True)
class Change:
    """One change to append: ``audience`` None means every terminal but ``origin``."""

    kind: str
    body: dict[str, Any]
    origin: str | None = None
    audience: str | None = None


def append(db: CentralDB, changes: Sequence[Change], at: str) -> int:
    """Append changes in order inside the caller's transaction; return the new head position.

    Changes of the kinds a terminal checks (catalogue, keys, revocations: wire/feed_sig.py) are signed here with
    the central key over their position, kind, audience and body, so none is ever stored unsigned.
    """
    if not changes:
        return 0
    signer = None
    if any(c.kind in SIGNED_KINDS for c in changes):
        key, created = feed_signing.ensure_key_row(db, at)
        if created:  # a database older than `central init`'s key: terminals learn the key first, as before
            changes = [central_key_change(key), *changes]
        signer = feed_signing.Signer(key)
    head = _take(db, "feed", len(changes))
    first = head - len(changes) + 1
    out = []
    for i, c in enumerate(changes):
        pos = first + i
        doc = signer.signed(pos, c.kind, c.audience, c.body) if signer else c.body
        public = rows.without_customer(c.kind, doc)  # None: no customer data to keep apart (see page())
        body, private = (codec.dumps(doc), None) if public is None else (codec.dumps(public), codec.dumps(doc))
        out.append((pos, c.kind, body, c.origin, c.audience, at, private))
    rows.insert(db, out)
    return head


def central_key_change(row: dict[str, Any]) -> Change:
    """The feed change that tells terminals to trust the central key for web tickets."""
    return Change("key", {"key_id": row["key_id"], "public_key": row["public_key"], "owner": "central"})


def _take(db: CentralDB, counter: str, n: int) -> int:
    """Advance a counter by ``n`` under its row lock; return its new value."""
    value = rows.advance(db, counter, n)
    assert value is not None, f"counter {counter} missing: run central init"
    return value


def take_numbers(db: CentralDB, counter: str, n: int) -> range:
    """``n`` consecutive numbers from a counter, for the caller's transaction."""
    last = _take(db, counter, n)
    return range(last - n + 1, last + 1)


def head(db: CentralDB) -> int:
    return rows.counter(db, "feed")


def page(db: CentralDB, terminal_id: str, after: int, limit: int, *, customers: bool = False,
         holders: bool = False) -> str:
    """Changes for ``terminal_id`` after position ``after`` as the JSON text of sync-changes.schema.json.

    The head is read first: everything up to it is committed, so when the page is not full the cursor may jump
    to the head even over changes meant for other terminals, and a quiet terminal does not rescan them. Bodies are
    stored as JSON text and copied into the answer as they are, never parsed and dumped again.

    Customer data (the name, e-mail, phone and notes of an order or web order) is in the page only with
    ``customers`` (central/services/terminals.py ``sees_customers``: a pickup desk). Without it an order's customer
    fields are null: the service stores each such change twice, with and without them (central/store/feed.py), so
    either page is copied text and nothing leaves that the terminal may not have. ``holders`` changes (real-name
    ticket holders) are in the page only with ``holders`` (a door or a pickup desk).

    A page holds at most ``limit`` changes and about ``MAX_PAGE_BYTES`` of bodies (its first change whatever its
    size); cut by either, it is full: its cursor is its last change and ``more`` is true.
    """
    limit = max(1, min(limit, MAX_PAGE))
    top = head(db)
    if after > top:
        raise CentralError(409, "cursor_ahead", _("cursor {after} is past this service's last change {top}: the "
                                                  "terminal was enrolled with another central database; enroll "
                                                  "again").format(after=after, top=top))
    found, spent = rows.for_terminal(db, terminal_id, after, top, limit, budget=MAX_PAGE_BYTES,
                                     customers=customers, holders=holders)
    full = len(found) == limit or spent  # spent: later changes may wait (if none does, the next page is empty)
    cursor = int(found[-1]["pos"]) if full else top
    dumps = _short_text
    items = ",".join(f'{{"cursor":{int(r["pos"])},"kind":{dumps(r["kind"])},"at":{dumps(r["at"])},'
                     f'"origin":{dumps(r["origin"])},"body":{r["body"]}}}' for r in found)
    more = "true" if full and cursor < top else "false"
    return f'{{"changes":[{items}],"cursor":{cursor},"more":{more},"head":{top}}}'


def _short_text(value: str | None) -> str:
    """``json.dumps(value)`` of a page row's kind, time or origin, written by orjson when that is the same text (null,
    or printable ASCII: orjson escapes only the quote and the backslash there, as json.dumps does) in a third of the
    time, which counts because every change is copied into the pages of every other terminal; anything else (a
    control character, non-ASCII text, which json.dumps writes as escapes) and a service without orjson take
    json.dumps itself."""
    if codec.orjson is not None and (value is None or (value.isascii() and value.isprintable())):
        return codec.orjson.dumps(value).decode("ascii")
    return json.dumps(value)

