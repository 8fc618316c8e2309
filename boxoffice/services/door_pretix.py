"""The door's pretix tickets: a scanned text that is not a boxoffice token, tried as a pretix ticket secret.

An event the pretix bridge mirrors sells on pretix's web shop too, and those customers bring pretix's QR code.

1. The secret on the revoked list (pretix's revoked secrets: an order canceled, a secret changed) is refused.
2. The secret of a ticket synced here (a pretix web order pulled down, each ticket keeping its pretix secret) is that
   ticket: checked in as if its boxoffice token had been scanned, every rule the same, once only.
3. A ``pretix_sig1`` secret (pretix's signed secrets, tickets/pretix_sig1.py) whose signature one of the event's
   keys verifies, within its validity, is admitted although its order has not synced yet (marked "not seen in
   synced data"), and recorded with the secret and no ticket id; a second scan of it here is "already in". Nothing
   the secret says (its item, its event) is believed before the signature verified.

Anything else is not a pretix ticket: :func:`decide_pretix` gives None and the door says ``malformed_token`` as
before. A random pretix secret (pretix's default scheme) can only be known by sync: before it, it is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.services.door_verdict import NOT_SEEN, DoorEvent, ScanVerdict, refused, today_and_place_refused
from boxoffice.store import catalog as catalog_store
from boxoffice.store import checkins as store

MAX_SECRET = 400  # pretix's secrets are 32 (random) to ~130 (sig1) characters
_REFUSE = N_("refuse entry; send the customer to the box office")


@dataclass(frozen=True)
class Synced:
    """A pretix secret of a ticket synced here: the door decides on that ticket's own boxoffice token, as if it had
    been scanned (services/door.py), every rule the same."""

    token: str
    secret: str


def decide_pretix(ctx: Ctx, text: str, ev: DoorEvent, direction: str) -> ScanVerdict | Synced | None:
    """The door's answer for a pretix secret, the synced ticket it names, or None when ``text`` is no pretix ticket
    this terminal knows of."""
    from boxoffice.tickets import pretix_sig1

    secret = text.strip()
    if not secret or len(secret) > MAX_SECRET or not secret.isascii() or not secret.isprintable():
        return None
    refuse = _(_REFUSE)
    if store.secret_revoked(ctx.conn, secret):
        return _with(refused("revoked", _("pretix ticket was canceled or replaced: {refuse}").format(
            refuse=refuse)), secret)
    ticket = store.ticket_by_secret(ctx.conn, secret)
    if ticket is not None and ticket["token"] and ticket["token"] != text:
        return Synced(ticket["token"], secret)
    if not pretix_sig1.looks_like(secret):
        return None
    found = pretix_sig1.check(secret, event_keys(ctx, ev.id), int(ctx.now().timestamp()))
    if found.status == pretix_sig1.BAD_SIGNATURE:
        other = _signed_for(ctx, secret, ev.id)
        if other is not None:
            return refused("wrong_event", _("ticket is for {other}, not {event}").format(other=other,
                                                                                         event=ev.name))
        return refused("bad_signature", _("pretix ticket not signed by {event}'s keys: forged, or for another "
                                          "event; {refuse}").format(event=ev.name, refuse=refuse))
    if found.status == pretix_sig1.MALFORMED or found.ticket is None:
        return refused("malformed_token", _("not a ticket this door can read: {refuse}").format(refuse=refuse))
    item = found.ticket.item
    if found.status == pretix_sig1.NOT_YET_VALID:
        return _with(refused("wrong_day", _("pretix ticket is not valid yet: {refuse}").format(refuse=refuse)),
                     secret, item)
    if found.status == pretix_sig1.EXPIRED:
        return _with(refused("wrong_day", _("pretix ticket is no longer valid: {refuse}").format(refuse=refuse)),
                     secret, item)
    last = store.last_by_secret(ctx.conn, secret) or {}
    when = today_and_place_refused(ctx, ev, direction, {"last_direction": last.get("direction"),
                                                        "last_at": last.get("at"),
                                                        "last_terminal": last.get("terminal_id")}, None, None, False)
    if when is not None:
        return _with(when, secret, item)
    message = _("pretix ticket (item {item}) ({not_seen}: genuine signature, checked offline)").format(
        item=item, not_seen=_(NOT_SEEN))
    verdict: ScanVerdict = {"result": "admit" if direction == "in" else "exit", "code": None, "message": message,
                            "ticket_id": None, "place": None, "seen_in_sync": False}
    return _with(verdict, secret, item)


def _with(verdict: ScanVerdict, secret: str, item: int | None = None) -> ScanVerdict:
    """The verdict carrying the pretix secret (and the item its signature names), for the scan and its journal."""
    verdict["external_secret"] = secret
    if item is not None:
        verdict["pretix_item"] = item
    return verdict


def event_keys(ctx: Ctx, event_id: str) -> tuple[Any, ...]:
    """The event's pretix_sig1 public keys, loaded once per session (keys that do not load are left out)."""
    from boxoffice.tickets.pretix_sig1 import load_key

    cache = ctx.cache.setdefault("pretix_keys", {})
    if event_id not in cache:
        block = pretix_block(catalog_store.get_event(ctx.conn, event_id))
        cache[event_id] = tuple(k for k in (load_key(t) for t in block.get("sig1_keys", [])) if k is not None)
    return tuple(cache[event_id])


def pretix_block(event: dict[str, Any] | None) -> dict[str, Any]:
    """An event row's pretix block ({"event": slug, "sig1_keys": [...]}), or {} when it has none."""
    text = (event or {}).get("pretix")
    if not text:
        return {}
    try:
        block = json.loads(text)
    except ValueError:
        return {}
    return block if isinstance(block, dict) else {}


def _signed_for(ctx: Ctx, secret: str, but_not: str) -> str | None:
    """The name of another event here whose keys verify this secret (a customer at the wrong door), or None."""
    from boxoffice.tickets import pretix_sig1

    now = int(ctx.now().timestamp())
    for e in catalog_store.list_events(ctx.conn):
        if e["id"] == but_not:
            continue
        keys = event_keys(ctx, e["id"])
        if keys and pretix_sig1.check(secret, keys, now).status != pretix_sig1.BAD_SIGNATURE:
            return str(e["name"])
    return None
