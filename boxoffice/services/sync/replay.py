"""Replaying this terminal's own journal entries into its tables, as the actions that made them wrote them.

`boxoffice sync recover` (services/recovery.py) reads back from the central service the entries an older copy of
the database lacks and hands them here one by one, in sequence order, inside its transactions. Each entry's
effects are applied from its payload (the payload holds a copy of every row the action wrote, see services/audit.py
``reconcile``), then the entry itself is written exactly as it was made: same id, sequence number and hashes,
marked pushed. Nothing is decided again: a sale is not priced or checked against the allocation, it is recorded as
it was made.

What a payload cannot give back is said, never guessed (``notes``): an operator added after the copy has no PIN
here (a PIN hash never leaves the terminal); a catalogue or web orders imported from a file after the copy are not
in the journal (only their digest is); an entry of a kind this release does not know. An entry whose effects cannot
be applied keeps its journal row, so the record is whole and the central service still has it.

kind                              effect here
--------------------------------  ------------------------------------------------------------------------------
sale                              order, tickets, payments, customer keys; standing places counted sold, seats
                                  marked sold; a real-name event's holders (services/holders.py)
refund                            refund and items; tickets refunded and revoked, places back; refund payments
exchange                          old tickets exchanged and revoked, places back; the new order as a sale
holder_change                     the old ticket exchanged and revoked, the new one in its place, its holder
pickup                            tickets handed out, pickups rows
checkin, scan.refused             the scan (checkins row, by its nonce)
shift.open, shift.count           the shift opened; its drawer's blind count kept
shift.close                       closed with its count (and the variance's note and approver)
cash.in, cash.out, drawer.open    the cash movement
pause, resume                     the pause set; lifted
incident.open/note/close          the incident, its note, its close
complaint.add, complaint.close    the complaint written down; closed with its note
reprint                           the copies counted on the tickets
operator.add/disable/enable       the operator (without a PIN), disabled or enabled
operator.unlock                   the lockout ended, the wrong PINs forgotten
operator.pin_reset                the lockout ended; the new PIN is not in the journal: noted, the old one holds
keys.import                       the keys trusted
allocation.release/written_off    places out of the allocation; the recall or write-off it answered recorded
catalog.import                    none (the central catalogue comes back by sync); noted if its events are missing
orders.import                     none: noted (the file's orders are not in the journal)
others (login, alerts, restore)   none: the journal row is the record
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from boxoffice.domain.codes import code_parts, reused_code
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.store import allocations as alloc_store
from boxoffice.store import complaints as complaint_store
from boxoffice.store import holders as holder_store
from boxoffice.store import night as night_store
from boxoffice.store import operators as operator_store
from boxoffice.store import orders as order_store
from boxoffice.store import recovery as store
from boxoffice.store import refunds as refund_store
from boxoffice.store import replay as sql
from boxoffice.store import shifts as shift_store
from boxoffice.store import sync_inbox
from boxoffice.store import terminal as terminal_store

PICKUP_NS = uuid.UUID("1f0b3c52-6a55-4d0e-8f53-5b0a3a1d2c77")  # pickups rows of entries that did not name them
ORDER_COLUMNS = ("id", "code", "event_id", "channel", "terminal_id", "status", "customer_name", "email", "phone",
                 "phone_digits", "notes", "total", "tax", "currency", "created_at", "operator_id")
NO_EFFECT = frozenset({"terminal.init", "operator.login", "operator.logout", "operator.locked", "alert.raised",
                       "alert.cleared", "sync.enroll", "restore", "recover", "recover.reappended",
                       "privacy.purge"})  # the entries it erased come back erased: nothing more to rebuild


class CannotRebuild(Exception):
    """An entry whose effects cannot be applied here: its journal row is kept and the reason noted."""


class Replayer:
    """Applies entries one by one in the caller's transaction; gathers what could not be rebuilt and the clashes."""

    def __init__(self, ctx: Ctx, stops: dict[str, dict[str, Any]] | None = None,
                 kept: dict[str, Any] | None = None) -> None:
        self.ctx = ctx
        self.conn = ctx.conn
        self.stops = stops or {}  # recalls and write-offs from the central service, by id
        # Entries a restore gave up as lost, whose places it kept sold (services/recovery.begin): if one comes back
        # after all, its places are counted once.
        self.kept_ids = set((kept or {}).get("ids") or [])
        self.kept_general = {(e, s): n for e, s, n in ((kept or {}).get("places") or {}).get("general", [])}
        self.notes: list[dict[str, Any]] = []
        self.clashes: list[dict[str, Any]] = []
        self.catalogs: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.tid = ctx.terminal["id"]
        self.tag = ctx.terminal["tag"]
        self.handlers: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
            "sale": self._sale, "refund": self._refund, "exchange": self._exchange, "pickup": self._pickup,
            "holder_change": self._holder_change,
            "checkin": self._checkin, "scan.refused": self._checkin, "shift.open": self._shift_open,
            "shift.count": self._shift_count, "shift.close": self._shift_close, "cash.in": self._movement,
            "cash.out": self._movement,
            "drawer.open": self._movement, "pause": self._pause, "resume": self._resume,
            "incident.open": self._incident_open, "incident.note": self._incident_note,
            "incident.close": self._incident_close, "reprint": self._reprint, "operator.add": self._operator_add,
            "operator.disable": self._operator_disabled, "operator.enable": self._operator_disabled,
            "operator.unlock": self._operator_unlock, "operator.pin_reset": self._operator_pin_reset,
            "operator.language": self._operator_language,
            "keys.import": self._keys, "allocation.release": self._release, "allocation.written_off": self._release,
            "catalog.import": self._catalog, "orders.import": self._orders_import, "terminal.tag": self._tag,
            "complaint.add": self._complaint_add, "complaint.close": self._complaint_close,
            "order.paid": self._paid,
        }

    # -- one entry ----------------------------------------------------------------------------------------------

    def apply(self, entry: dict[str, Any], pushed_at: str) -> None:
        """Apply one entry's effects (all or none of them) and write the entry itself as it was made."""
        kind = entry["kind"]
        handler = self.handlers.get(kind)
        if handler is None and kind not in NO_EFFECT:
            self._note(entry, f"an entry of kind {kind!r} is unknown to this release: kept, not applied")
        elif handler is not None:
            self.conn.execute("SAVEPOINT replay_entry")
            try:
                payload = json.loads(entry["payload"])
                if not isinstance(payload, dict):
                    raise CannotRebuild("its payload is not an object")
                handler(entry, payload)
            except CannotRebuild as exc:
                self.conn.execute("ROLLBACK TO replay_entry")
                self._note(entry, str(exc))
            except (BoxOfficeError, KeyError, TypeError, ValueError, AttributeError) as exc:
                self.conn.execute("ROLLBACK TO replay_entry")
                self._note(entry, f"its payload could not be applied ({type(exc).__name__}: {exc})"[:300])
            except Exception as exc:  # noqa: BLE001 - sqlite3 errors: a row that clashes with what is here
                import sqlite3

                if not isinstance(exc, sqlite3.Error):
                    raise
                self.conn.execute("ROLLBACK TO replay_entry")
                self._note(entry, f"its rows clash with what is here ({exc})"[:300])
            self.conn.execute("RELEASE replay_entry")
        store.insert_entry(self.conn, entry, pushed_at)
        self.counts[kind] += 1

    def _note(self, entry: dict[str, Any], what: str) -> None:
        self.notes.append({"seq": entry["seq"], "kind": entry["kind"], "what": what})

    # -- sales, refunds, exchanges ------------------------------------------------------------------------------

    def _tag(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        from boxoffice.store import terminal as terminal_store

        if terminal_store.retag(self.conn, p["old"], p["new"]):
            self.tag = self.ctx.terminal["tag"] = p["new"]

    def _sale(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        from boxoffice.store import customer_keys

        self._order(entry, p["order"], p["tickets"])
        order_store.insert_payments(self.conn, p.get("payments") or [])
        # the customers it counted against an event's limit per customer, counted here again
        customer_keys.add(self.conn, [(p["order"]["id"], p["order"]["event_id"], k["key"], k["places"], "own",
                                       entry["seq"]) for k in p.get("customer_keys") or []])
        holder_store.insert(self.conn, p.get("holders") or [])

    def _holder_change(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        """A real-name ticket given to a new holder: the same place passes to the new ticket (services/
        holder_change.py); no place is given back or taken."""
        x, (old,), (new,) = p["holder_change"], p["old_tickets"], p["tickets"]
        if not sql.ticket_rows(self.conn, [old]):
            raise CannotRebuild(f"the ticket whose holder changed ({old}) is not here")
        refund_store.retire_tickets(self.conn, [old], "exchanged")
        order_store.revoke(self.conn, old, x["at"], "exchanged")
        order_store.insert_tickets(self.conn, [{**new, "order_id": x["order_id"], "event_id": p["order"]["event_id"]}])
        holder_store.move_seat(self.conn, old, new["id"])
        holder_store.record_change(self.conn, old, new["id"], x["order_id"], x["at"], x["approved_by"])
        holder_store.insert(self.conn, p.get("holders") or [])

    def _order(self, entry: dict[str, Any], order: dict[str, Any], tickets: list[dict[str, Any]]) -> None:
        """An order this terminal made, with its tickets and the places they took."""
        event_id = order["event_id"]
        if not sql.event_exists(self.conn, event_id):
            raise CannotRebuild(f"event {event_id!r} is not in this terminal's catalogue (import it, then recover "
                                "again)")
        if sql.order_exists(self.conn, order["id"]):
            return
        holder = store.order_holding_code(self.conn, order["code"])
        if holder is not None:
            # The central service had this order first: the one here took its code later (sold after the copy
            # was put back, before the terminal knew how far it had got). Kept as CODE~ID, as central keeps it.
            renamed = reused_code(order["code"], holder["id"])
            store.rename_order_code(self.conn, holder["id"], renamed)
            self.clashes.append({"kind": "order_code_reused", "code": order["code"], "order_id": holder["id"],
                                 "kept_as": renamed, "first_order_id": order["id"], "seq": entry["seq"]})
        order_store.insert_order(self.conn, {k: order.get(k) for k in ORDER_COLUMNS if k in order})
        order_store.insert_tickets(self.conn, [{**t, "order_id": order["id"], "event_id": event_id}
                                               for t in tickets])
        standing: Counter[str] = Counter()
        for t in tickets:
            if t.get("row") is None:
                standing[t["section_id"]] += 1
                continue
            label = f"{t['row']}{t['seat']}"
            held = sql.take_seat(self.conn, event_id, t["section_id"], label, t["id"], entry["id"] in self.kept_ids)
            if held is not None:
                self.clashes.append({"kind": "seat_sold_twice", "seat": f"{event_id}/{t['section_id']}/{label}",
                                     "ticket_id": t["id"], "held_by": held, "seq": entry["seq"]})
        for section_id, n in standing.items():
            if entry["id"] in self.kept_ids:  # counted sold already, when it was given up as lost
                counted = min(n, self.kept_general.get((event_id, section_id), 0))
                self.kept_general[(event_id, section_id)] = self.kept_general.get((event_id, section_id), 0) - counted
                n -= counted
                if not n:
                    continue
            short = sql.take_general(self.conn, event_id, section_id, n)
            if short:
                self.clashes.append({"kind": "oversold", "section": f"{event_id}/{section_id}", "places": short,
                                     "seq": entry["seq"]})
        parts = code_parts(order["code"])
        if parts is not None and parts[0] == self.tag:
            store.raise_next_order_seq(self.conn, parts[1] + 1)
        # A refund or exchange made elsewhere and pulled before this sale was replayed: as the pull would have.
        for tid, (reason, at) in sql.revoked_reasons(self.conn, [t["id"] for t in tickets]).items():
            sync_inbox.retire_ticket(self.conn, tid, reason, at)

    def _retire(self, order_id: str, ticket_ids: list[str], status: str, at: str) -> None:
        """Tickets refunded or exchanged here: marked, revoked, their places back (as services.refunds.retire)."""
        order = order_store.order_by_id(self.conn, order_id)
        if order is None:
            raise CannotRebuild(f"order {order_id} is not here")
        tickets = sql.ticket_rows(self.conn, ticket_ids)
        if len(tickets) != len(set(ticket_ids)):
            raise CannotRebuild(f"a ticket of order {order['code']} is not here")
        refund_store.retire_tickets(self.conn, ticket_ids, status)
        for tid in ticket_ids:
            order_store.revoke(self.conn, tid, at, status)
        ours = order["channel"] == "box_office" and order["terminal_id"] == self.tid
        for t in tickets:
            if t["row"] is not None:
                label = f"{t['row']}{t['seat']}"
                if refund_store.seat_holder(self.conn, t["event_id"], t["section_id"], label) == t["id"]:
                    order_store.free_seat(self.conn, t["event_id"], t["section_id"], label)
            elif ours:
                order_store.give_back_general(self.conn, t["event_id"], t["section_id"], 1)

    def _refund(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        r, items = p["refund"], p["items"]
        self._retire(r["order_id"], [i["ticket_id"] for i in items], "refunded", r["at"])
        refund_store.insert_refund(self.conn, r, items)
        order_store.insert_payments(self.conn, p.get("payments") or [])
        if p.get("order_status"):
            refund_store.set_order_status(self.conn, r["order_id"], p["order_status"])

    def _exchange(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        x, old = p["exchange"], p["old_tickets"]
        self._retire(x["from_order_id"], old, "exchanged", x["at"])  # first: the same seats may be taken again
        self._order(entry, p["order"], p["tickets"])
        order_store.insert_payments(self.conn, p.get("payments") or [])
        refund_store.insert_exchange(self.conn, x, old)
        holder_store.insert(self.conn, p.get("holders") or [])

    # -- the desk and the door ----------------------------------------------------------------------------------

    def _pickup(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        order_id, tickets = p["order"], list(p["tickets"])
        if not sql.order_exists(self.conn, order_id):
            raise CannotRebuild(f"the order picked up ({p.get('code') or order_id}) is not here")
        at = p.get("at") or entry["at"]
        ids = {r["ticket_id"]: r["id"] for r in p.get("pickups") or []}
        for tid in tickets:
            sql.picked_up(self.conn, tid, at, entry["operator_id"])
        sql.add_pickups(self.conn, [{"id": ids.get(tid) or str(uuid.uuid5(PICKUP_NS, f"{entry['id']}/{tid}")),
                                     "order_id": order_id, "ticket_id": tid, "at": at,
                                     "operator_id": entry["operator_id"], "terminal_id": self.tid}
                                    for tid in tickets])

    def _paid(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        """A web order paid at the desk (services/desk_payment.py): its payments, and the order paid."""
        from boxoffice.store import pickup as pickup_store

        if not sql.order_exists(self.conn, p["order"]):
            raise CannotRebuild(f"the order paid ({p.get('code') or p['order']}) is not here")
        pickup_store.mark_paid(self.conn, p["order"])
        order_store.insert_payments(self.conn, p.get("payments") or [])

    def _checkin(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        admitted = entry["kind"] == "checkin"
        sql.insert_checkin(self.conn, {
            "id": p["nonce"], "ticket_id": p.get("ticket"), "event_id": p["event"], "direction": p["direction"],
            "at": p.get("at") or entry["at"], "operator_id": entry["operator_id"],
            "terminal_id": (p.get("terminal") if admitted else None) or self.tid,
            "result": "admitted" if admitted else p["result"],
            "external_secret": p.get("external_secret")})  # a pretix ticket let in before its order synced

    def _reprint(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        order_store.count_copy(self.conn, list(p["tickets"]))

    # -- shifts and the drawer ----------------------------------------------------------------------------------

    def _shift_open(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        shift_store.insert(self.conn, p["shift"])

    def _shift_close(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        by = entry["operator_id"] or p.get("operator")
        if not shift_store.close(self.conn, p["shift"], at=p.get("closed_at") or entry["at"], by=by,
                                 counted=p["counted"], expected=p["expected"]):
            raise CannotRebuild(f"shift {p['shift']} is not here open")
        if p.get("note") or p.get("approved_by"):
            shift_store.approve_variance(self.conn, p["shift"], note=p.get("note"), by=p.get("approved_by"))

    def _shift_count(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        pieces = json.dumps({str(v): n for v, n in sorted(p["pieces"].items(), key=lambda kv: int(kv[0]))}) \
            if p.get("pieces") else None
        if not shift_store.record_count(self.conn, p["shift"], at=p.get("at") or entry["at"], total=p["counted"],
                                        pieces=pieces):
            raise CannotRebuild(f"shift {p['shift']} is not here open and uncounted")

    def _movement(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        shift_store.insert_movement(self.conn, p["movement"])

    # -- running the night --------------------------------------------------------------------------------------

    def _pause(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        night_store.add_pause(self.conn, {k: p.get(k) for k in ("id", "scope", "target", "what", "reason",
                                                                 "source", "paused_at", "paused_by")})

    def _resume(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        night_store.resume(self.conn, p["pause"], p.get("resumed_at") or entry["at"], entry["operator_id"])

    def _incident_open(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        night_store.add_incident(self.conn, {k: p[k] for k in ("id", "title", "severity", "opened_at", "opened_by")})

    def _incident_note(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        night_store.add_note(self.conn, {k: p[k] for k in ("id", "incident_id", "at", "operator_id", "text")})

    def _incident_close(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        night_store.close_incident(self.conn, p["id"], p.get("closed_at") or entry["at"], entry["operator_id"],
                                   p["resolution"])

    def _complaint_add(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        complaint_store.add(self.conn, {k: p.get(k) for k in complaint_store.COLUMNS} | {"id": p["id"],
                                       "category": p["category"], "at": p.get("at") or entry["at"],
                                       "operator_id": entry["operator_id"]})

    def _complaint_close(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        complaint_store.close(self.conn, p["id"], p.get("closed_at") or entry["at"], entry["operator_id"], p["note"])

    # -- operators, keys, catalogues ----------------------------------------------------------------------------

    def _operator_add(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        added = sql.add_operator(self.conn, p["operator"], p["name"], p["role"], entry["at"])
        if p.get("language"):
            operator_store.set_language(self.conn, p["operator"], p["language"])
        if added:
            self._note(entry, f"operator {p['name']} was added after the copy: their PIN never leaves the "
                              "terminal, so they cannot log in here until an admin adds them again")

    def _operator_disabled(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        operator_store.set_disabled(self.conn, p["operator"], entry["kind"] == "operator.disable")

    def _operator_language(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        operator_store.set_language(self.conn, p["operator"], p.get("language"))

    def _operator_unlock(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        operator_store.reset_failures(self.conn, p["operator"])

    def _operator_pin_reset(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        operator_store.reset_failures(self.conn, p["operator"])
        self._note(entry, f"the PIN of {p['name']} was reset after the copy: a PIN never leaves the terminal, so "
                          "the PIN before it holds here until a supervisor resets it again")

    def _keys(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        for k in p["keys"]:
            if terminal_store.public_key(self.conn, k["key_id"]) is None:
                terminal_store.add_key(self.conn, k["key_id"], k["public_key"], k["owner"], entry["at"])
        self.ctx.cache.pop("public_keys", None)

    def _catalog(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        self.catalogs.add(str(p.get("sha256")))
        missing = [e for e in p.get("events") or [] if not sql.event_exists(self.conn, e)]
        if missing:
            self._note(entry, f"a catalogue imported after the copy is not here ({', '.join(missing)}): import it "
                              "again")

    def _orders_import(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        self._note(entry, f"web orders imported from a file after the copy ({p.get('created', '?')} new) are not in "
                          "the journal: import the file again (orders already here are left as they are)")

    # -- allocations --------------------------------------------------------------------------------------------

    def _release(self, entry: dict[str, Any], p: dict[str, Any]) -> None:
        event_id, section_id = p["event_id"], p["section_id"]
        seats = list(p.get("seats") or [])
        if seats:
            sql.release_seats(self.conn, event_id, section_id, seats)
        elif sql.section_kind(self.conn, event_id, section_id) == "general":
            sql.release_general(self.conn, event_id, section_id, int(p.get("count") or 0))
        stop_id = p.get("recall_id") or p.get("write_off_id")
        if not stop_id or alloc_store.stop_applied(self.conn, stop_id):
            return
        stop = self.stops.get(stop_id) or p.get("stop")
        if stop is None:
            raise CannotRebuild(f"the recall or write-off {stop_id} it answered is not known here")
        stop = {**stop, "id": stop_id}
        if sql.event_exists(self.conn, event_id):
            alloc_store.govern(self.conn, event_id, entry["at"])
        alloc_store.record_stop(self.conn, stop, int(p.get("count") or 0), seats, entry["id"], entry["at"])
        if self.conn.execute("SELECT 1 FROM allocation_grants WHERE event_id = ? AND section_id = ? AND pos > ?",
                             (event_id, section_id, stop["pos"])).fetchone():
            alloc_store.lift_stops(self.conn, event_id, section_id, entry["at"])  # a later grant lifted it
