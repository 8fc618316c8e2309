"""Applying pulled changes to a terminal, inside the transaction that also moves its cursor.

Each kind goes through the code that owns it where there is one: catalogues through services.catalog (as `catalog
import` would, without an operator: the central admin published it), check-ins through services.door.record_checkin,
pauses through services.pauses.apply_remote. Orders (web orders and other terminals' sales) are written in bulk,
because a large event brings a hundred thousand of them at once; services.sync indexes them for the pickup desk
once the pull is done.

An order whose code another order here holds already is kept under CODE~ID (domain.codes.reused_code), as the
central service keeps it. A change that cannot apply yet (an order for an event with no catalogue here, a pickup of
an order not here) is parked, not dropped, and tried again after the next catalogue and at the end of every sync.
A change that is wrong (a key id that is not its key's hash, a key id known here with another key) is parked with
the reason and never applied: nothing pulled can replace a trusted key.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.store import customer_keys
from boxoffice.store import sync_inbox as inbox
from boxoffice.store import sync_state as state
from boxoffice.store import terminal as terminal_store

_PICKUP_NS = uuid.UUID("5b0c1f7e-8a39-4c7e-9a55-0f6d2c8e1b42")  # pickups rows from elsewhere get stable ids


class Inbox:
    """Applies changes one by one (orders gathered and written together) for one page or one retry of parked."""

    def __init__(self, ctx: Ctx, now: str) -> None:
        self.ctx, self.now = ctx, now
        self.counts: Counter[str] = Counter()
        self.new_conflicts: list[dict[str, Any]] = []
        self.catalog_applied = False
        self.parked_now: set[int] = set()
        self._orders: list[tuple[int, str, dict[str, Any]]] = []

    # -- dispatch ---------------------------------------------------------------------------------------------

    def apply(self, change: dict[str, Any]) -> None:
        kind, body, cursor = change["kind"], change["body"], change["cursor"]
        if kind in ("order", "web_order"):
            self._orders.append((cursor, kind, body))
            return
        self.flush()
        handler = getattr(self, f"_{kind}", None)
        if handler is None:  # a kind this release does not know: keep it for a later one
            self._park(cursor, kind, body, f"kind {kind!r} is unknown to this release")
            return
        handler(cursor, body)

    def finish(self) -> None:
        """Write what is gathered (the pickup desk's search index is brought up to date after the whole pull)."""
        self.flush()

    def _park(self, cursor: int, kind: str, body: dict[str, Any], reason: str) -> None:
        state.park(self.ctx.conn, cursor, kind, body, reason, self.now)
        self.parked_now.add(cursor)
        self.counts["parked"] += 1

    # -- orders -----------------------------------------------------------------------------------------------

    def flush(self) -> None:
        if not self._orders:
            return
        from boxoffice.domain.codes import reused_code
        from boxoffice.domain.search_text import phone_digits

        batch, self._orders = self._orders, []
        conn = self.ctx.conn
        events = inbox.known_events(conn, (b["order"]["event_id"] for _, _, b in batch))
        clash = inbox.codes_taken(conn, [(b["order"]["id"], b["order"]["code"]) for _, _, b in batch])
        orders, tickets, keys = [], [], []
        in_batch: dict[str, str] = {}
        for cursor, kind, body in batch:
            o = body["order"]
            if o["event_id"] not in events:
                self._park(cursor, kind, body, f"event {o['event_id']!r} is not in this terminal's catalogue yet")
                continue
            if o["code"] in clash or in_batch.setdefault(o["code"], o["id"]) != o["id"]:
                # Two real orders with one printed code (a terminal put back from an older copy sold again):
                # kept under CODE~ID, as the central service keeps it, and flagged there; the ticket id admits.
                o = {**o, "code": reused_code(o["code"], o["id"])}
            orders.append({**o, "phone_digits": phone_digits(o.get("phone")) or None})
            tickets += [{**t, "order_id": o["id"], "event_id": o["event_id"]} for t in body["tickets"]]
            # its customers as keyed hashes, counted against the event's limit per customer offline too
            keys += [(o["id"], o["event_id"], k["key"], k["places"], "pulled", None)
                     for k in body.get("customer_keys") or []]
            self.counts[kind] += 1
        if orders:
            inbox.insert_orders(conn, orders, tickets)
            customer_keys.add(conn, keys)

    # -- the other kinds --------------------------------------------------------------------------------------

    def _catalog(self, cursor: int, body: dict[str, Any]) -> None:
        from boxoffice.services.catalog import import_catalog

        try:
            import_catalog(self.ctx, body["doc"], check_permission=False, from_central=True)
        except BoxOfficeError as exc:
            self._park(cursor, "catalog", body, exc.message)
            return
        self.catalog_applied = True
        self.ctx.cache.pop("pretix_keys", None)  # a door keeps scanning: new pretix keys count at once
        self.counts["catalog"] += 1

    def _key(self, cursor: int, body: dict[str, Any]) -> None:
        from boxoffice.tickets.keys import key_id_hex, public_from_b64

        try:
            ok = key_id_hex(public_from_b64(body["public_key"])) == body["key_id"]
        except BoxOfficeError:
            ok = False
        if not ok:
            self._park(cursor, "key", body, "the key id is not the id of this public key: not trusted")
            return
        known = terminal_store.public_key(self.ctx.conn, body["key_id"])
        if known is not None and known["public_key"] != body["public_key"]:
            self._park(cursor, "key", body, f"key {body['key_id']} is known here with another public key: kept ours")
            return
        if known is None:
            terminal_store.add_key(self.ctx.conn, body["key_id"], body["public_key"], body["owner"], self.now)
            self.ctx.cache.pop("public_keys", None)
        self.counts["key"] += 1

    def _terminal_revoked(self, cursor: int, body: dict[str, Any]) -> None:
        state.peer_revoked(self.ctx.conn, body["terminal_id"], body["name"], body["key_id"], body["at"])
        # The key stays known, marked: the door admits its tickets only where a synced sale shows they were sold
        # before this time (services/door.py).
        terminal_store.revoke_terminal_key(self.ctx.conn, body["key_id"], body["at"])
        self.counts["terminal_revoked"] += 1

    def _privacy_purge(self, cursor: int, body: dict[str, Any]) -> None:
        """A purge the central admin ordered (signed): noted now, carried out after the pull
        (services/privacy_feed.py)."""
        from boxoffice.services.privacy_feed import note

        note(self.ctx, cursor, body)
        self.counts["privacy_purge"] += 1

    def _holders(self, cursor: int, body: dict[str, Any]) -> None:
        """Real-name holders another terminal recorded (a door or pickup desk receives them). Stored as sent: the
        door checks each one's binding signature against the ticket before it trusts it (services/holders.py)."""
        from boxoffice.store import holders as holder_store

        holder_store.insert(self.ctx.conn, [{**h, "changes": h.get("changes") or 0} for h in body["holders"]])
        self.counts["holders"] += 1

    def _revocation(self, cursor: int, body: dict[str, Any]) -> None:
        inbox.retire_ticket(self.ctx.conn, body["ticket_id"], body["reason"], body["at"])
        self.counts["revocation"] += 1

    def _pickup(self, cursor: int, body: dict[str, Any]) -> None:
        here = inbox.tickets_here(self.ctx.conn, body["ticket_ids"])
        if not body["ticket_ids"] or len(here) != len(set(body["ticket_ids"])):
            self._park(cursor, "pickup", body, "the order picked up is not on this terminal yet")
            return
        inbox.add_remote_pickups(self.ctx.conn, [
            {"id": str(uuid.uuid5(_PICKUP_NS, f"{body['entry_id']}/{t}")), "order_id": here[t]["order_id"],
             "ticket_id": t, "at": body["at"], "operator_id": body.get("operator_id"),
             "terminal_id": body["terminal_id"]} for t in body["ticket_ids"]])
        self.counts["pickup"] += 1

    def _paid(self, cursor: int, body: dict[str, Any]) -> None:
        """An unpaid order paid at another terminal's desk: paid here too, so this desk hands it out (the money is
        in that terminal's drawer, not this one's)."""
        if not inbox.order_exists(self.ctx.conn, body["order_id"]):
            self._park(cursor, "paid", body, "the order paid is not on this terminal yet")
            return
        inbox.mark_paid(self.ctx.conn, body["order_id"])
        self.counts["paid"] += 1

    def _checkin(self, cursor: int, body: dict[str, Any]) -> None:
        from boxoffice.services.door import record_checkin

        event_id = body.get("event_id")
        if not event_id:
            t = self.ctx.conn.execute("SELECT event_id FROM tickets WHERE id = ?", (body.get("ticket_id"),)).fetchone()
            event_id = t[0] if t else None
        if not event_id:
            self._park(cursor, "checkin", body, "the ticket checked in is not on this terminal yet")
            return
        try:
            record_checkin(self.ctx, body.get("nonce") or body["entry_id"], ticket_id=body.get("ticket_id"),
                           event_id=event_id, direction=body["direction"], at=body["at"],
                           operator_id=body.get("operator_id"), terminal_id=body["terminal_id"], journal=False,
                           external_secret=body.get("external_secret"))
        except BoxOfficeError as exc:
            self._park(cursor, "checkin", body, exc.message)
            return
        self.counts["checkin"] += 1

    def _revoked_secret(self, cursor: int, body: dict[str, Any]) -> None:
        """A pretix secret that no longer admits (pretix's revoked secrets, through the bridge): the door refuses it
        (services/door_pretix.py), whether or not its ticket is here."""
        secret, event_id = body.get("secret"), body.get("event_id")
        if not isinstance(secret, str) or not isinstance(event_id, str) or not secret or len(secret) > 400:
            self._park(cursor, "revoked_secret", body, "a revoked secret names its event and the secret")
            return
        inbox.revoke_external_secret(self.ctx.conn, event_id, secret, self.now)
        self.counts["revoked_secret"] += 1

    def _conflict(self, cursor: int, body: dict[str, Any]) -> None:
        if state.add_conflict(self.ctx.conn, body, self.now):
            self.new_conflicts.append(body)
        self.counts["conflict"] += 1

    def _pause(self, cursor: int, body: dict[str, Any]) -> None:
        from boxoffice.services import pauses

        try:
            pauses.apply_remote(self.ctx, body)
        except (BoxOfficeError, KeyError) as exc:
            self._park(cursor, "pause", body, f"pause not applied: {exc}")
            return
        self.counts["pause"] += 1


def retry_parked(ctx: Ctx, now: str) -> Inbox:
    """Try every parked change again, oldest first, in the caller's transaction; unpark what applied."""
    box = Inbox(ctx, now)
    items = state.parked(ctx.conn)
    for item in items:
        box.apply({"cursor": item["cursor"], "kind": item["kind"], "body": item["body"]})
    box.finish()
    for item in items:
        if item["cursor"] not in box.parked_now:
            state.unpark(ctx.conn, item["cursor"])
    box.counts["parked"] = 0
    return box
