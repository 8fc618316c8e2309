"""Who may push what: the central service is the authority, a terminal owns only what it made.

A terminal's token speaks for that terminal alone, within the roles it was enrolled for (central/services/
terminals.py: ``sell``, ``pickup``, ``door``). Before a pushed entry's effects are applied (central/services/
ingest.py) it is judged here:

- a **sale** (and the new order of an **exchange**) needs the ``sell`` role; its order code must carry the sender's
  own tag (domain/codes.py: ``TTTS-SSSC``, or ``CODE~ID`` for a code a restored terminal reused), never another
  terminal's tag and never a web shop ``W`` code; its order id and ticket ids must be new, or already the sender's
  own. Ticket and order ids are UUIDv7 (domain/ids.py) with 74 random bits: they cannot carry the terminal, and
  nobody can guess another terminal's next one, but ids travel before their sale does (a door's check-in of an
  offline counter's ticket reaches every terminal, and so does a printed code). So being first with an id is not
  enough: each new ticket's token must verify under the sender's own enrolled key and name that very ticket, event,
  section and place (central/services/entry_checks.py), else the entry is refused (``ticket_token_invalid``) and
  takes no id (a stolen terminal can still sign a token of its own for an id it read: see entry_checks.py);
- a **pickup** needs the ``pickup`` role; an **order paid** at a desk (``order.paid``) the ``sell`` role; a
  **check-in** or **exit** the ``door`` role;
- a **refund**, an exchange's **old tickets** and a **revocation** of a ticket the sender did not sell (another
  terminal's, the web shop's, or one the central service has never seen) follow the refund rules: the terminal
  alone cannot decide about another's ticket (services/refunds.py asks for the central service or a supervisor),
  so it is applied only when the entry carries a supervisor's override (``override`` and ``approved_by`` on the
  refund or exchange row, as services/refunds.py and services/exchanges.py journal them) and the sender has the
  ``sell`` or ``pickup`` role (a door scanner pays nothing back). Such an override is applied and flagged
  (``foreign_refund_override``) for the admin to review. Without it the entry is refused. The sender's own tickets
  it refunds as it likes: the money was taken there. The override is a flag the sender writes, so a stolen
  terminal could set it on every ticket: one terminal gets at most ``FOREIGN_PER_HOUR`` such entries
  (``FOREIGN_TICKETS_PER_HOUR`` tickets) an hour (by the central clock) applied this way, and an entry past that
  is held (``foreign_refund_held``: kept, not applied, flagged) until the admin releases it whole
  (`boxoffice central release-held ENTRY`, central/services/held.py). A bare revocation (``revoke``,
  ``ticket.revoke``, ``holder_change``) carries no refund row, so no override.

**What a refusal does (the rule).** A refused entry is *kept in the journal but not applied*: none of its effects
(order, tickets, claims, revocations) reach the central tables or the feed, and a conflict is recorded for the
admin (``boxoffice central conflicts``) and published to the sender alone (its ``boxoffice sync`` shows it as
FLAGGED). It is never a 403 for the whole batch: the central service keeps each terminal's hash chain, and a batch
refused whole would be sent again at every sync and hold back every honest entry after it for good. Keeping the
entry moves the sender's chain on, so the sender's own sync keeps moving, and nothing of the refused entry reaches
another terminal or the web shop: no order under their codes, no revocation of their tickets. The batch-wide
refusals stay where the batch itself is wrong: entries written as another terminal (403 ``wrong_terminal``),
entries that do not match their hashes (422).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from boxoffice.central.services import entry_checks
from boxoffice.central.services.effects import (
    CHECKIN_KINDS,
    EXIT_KINDS,
    PAID_KINDS,
    PICKUP_KINDS,
    REFUND_KINDS,
    Effect,
)
from boxoffice.central.store import conflicts
from boxoffice.central.store import ownership as rows
from boxoffice.central.store import sales as rows_sales
from boxoffice.central.store.db import CentralDB
from boxoffice.central.store.held import HELD
from boxoffice.domain.clock import iso, parse_iso
from boxoffice.domain.codes import CENTRAL_TAG_PREFIX, code_parts
from boxoffice.domain.ids import is_uuid, uuid_or_none
from boxoffice.wire import codec

SELL, PICKUP, DOOR = "sell", "pickup", "door"
ROLE_RULE = "a terminal acts only within the roles it was enrolled for; the entry is kept, not applied"
CODE_RULE = ("a terminal numbers its orders under its own tag only; an order under another terminal's tag or a web "
             "code is kept in its journal, not applied")
ID_RULE = "an order or ticket id belongs to whoever made it first; the entry is kept, not applied"
FOREIGN_RULE = ("a terminal refunds or revokes another's ticket only with a supervisor's override (or through the "
                "central admin); the entry is kept, not applied")
REVIEW_RULE = "another's ticket refunded under a supervisor's override: applied, flagged for review"
FOREIGN_PER_HOUR = 20  # entries refunding another's tickets one terminal may have applied under overrides in an hour
FOREIGN_TICKETS_PER_HOUR = 200  # and tickets in them (a school's booking of 30 is one refund, not thirty)
HELD_RULE = (f"a terminal refunds another's tickets under overrides in at most {FOREIGN_PER_HOUR} entries "
             f"({FOREIGN_TICKETS_PER_HOUR} tickets) an hour; the entry is kept, not applied, until the admin, having "
             "checked it, releases it (boxoffice central release-held ENTRY)")
EXIT_RULE = ("an exit lets a ticket in again at every door; an event without re-entry has none (its doors refuse exit "
             "scans), so one pushed for it is kept, not applied")
CENTRAL = "central"


@dataclass(frozen=True)
class Verdict:
    """Why an entry is refused (``apply`` False) or applied but flagged for review (``apply`` True)."""

    kind: str
    subject: str
    owner: str  # whose thing it is: a terminal id, 'web', or 'central' for a rule of the service itself
    rule: str
    order_id: str | None = None
    ticket_id: str | None = None
    apply: bool = False


class Known:
    """Who owns the orders and tickets a batch names: read from the database once for the whole batch, then kept up
    to date with the batch's own sales as they are applied (one query per batch, not one per entry)."""

    def __init__(self, db: CentralDB, effects: list[Effect]) -> None:
        orders = [e.order["id"] for e in effects if e.order is not None]
        tickets = [t["id"] for e in effects for t in e.tickets]
        tickets += [c.subject for e in effects for c in e.claims if c.action == "refund"]
        tickets += [t for e in effects for t, _ in e.revoked]
        self.orders = rows.order_owners(db, list(dict.fromkeys(orders))) if orders else {}
        self.tickets = rows.ticket_owners(db, list(dict.fromkeys(tickets))) if tickets else {}
        self.reentries: dict[str, bool | None] = {}  # event id -> re-entry as published (None: not known here)

    def reentry(self, db: CentralDB, named: Any, ticket_id: str) -> bool:
        """Whether the ticket's event lets its tickets out and in again, as published; True when the service cannot
        tell (an event it has no model of), which leaves such an exit as it always was. The ticket's own event when
        the service knows the ticket (a door decides by the ticket, whatever event an exit names); the event the
        entry names only for a ticket it does not know."""
        event_id = rows.ticket_event(db, ticket_id) or (named if isinstance(named, str) else None)
        return event_id is None or self._published(db, event_id) is not False

    def event_reentry(self, db: CentralDB, event_id: str) -> bool:
        """Whether the event ``event_id`` is published here with re-entry (False when it is not known here)."""
        return bool(event_id) and self._published(db, event_id) is True

    def _published(self, db: CentralDB, event_id: str) -> bool | None:
        """The event's re-entry as its published model says (None: no model here), read once per batch."""
        if event_id not in self.reentries:
            self.reentries[event_id] = rows.event_reentry(db, event_id)
        return self.reentries[event_id]

    def sold(self, terminal_id: str, order_id: str, ticket_ids: list[str]) -> None:
        """Note a sale of this batch applied: its order and tickets are the sender's from now on."""
        self.orders.setdefault(order_id, terminal_id)
        for t in ticket_ids:
            self.tickets.setdefault(t, {"order_id": order_id, "owner": terminal_id})


def roles_of(terminal: dict[str, Any]) -> frozenset[str]:
    return _roles(str(terminal.get("roles") or ""))


@cache
def _roles(text: str) -> frozenset[str]:
    """The roles a terminal row's ``roles`` text names (read once per text, not once per pushed entry)."""
    return frozenset(r for r in text.split(",") if r)


def judge(db: CentralDB, terminal: dict[str, Any], entry: dict[str, Any], eff: Effect,
          known: Known, now: str, cap: bool = True) -> Verdict | None:
    """The verdict on one readable entry (None: apply it as it is). ``known`` holds who owns what the batch names;
    the caller notes each applied sale in it (``Known.sold``). ``now`` is the central clock: the hourly cap on
    overrides is counted by it, never by the time the sender wrote. ``cap`` off: an admin releases a held entry
    (central/services/held.py), every other rule still holds."""
    kind, roles = entry["kind"], roles_of(terminal)
    need = _role_needed(kind, eff)
    if need is not None and need not in roles:
        return Verdict(conflicts.ROLE_MISSING, f"{kind}: this terminal was enrolled without the {need} role"[:300],
                       CENTRAL, ROLE_RULE, uuid_or_none(eff.order["id"]) if eff.order else None)
    if eff.release and eff.change is not None and eff.change[1].get("direction") == "out":
        body = eff.change[1]  # a door's exit: every door would let the ticket in again
        if not known.reentry(db, body.get("event_id"), body["ticket_id"]):
            return Verdict(conflicts.EXIT_REFUSED, body["ticket_id"], CENTRAL, EXIT_RULE,
                           uuid_or_none(body.get("order_id")), uuid_or_none(body["ticket_id"]))
    if eff.exit_event is not None and not known.event_reentry(db, eff.exit_event):
        # an exit by pretix secret alone: no ticket to find the event by, so the event it names must be one known
        # here to let tickets out and in again (an honest door names its own, and refuses exits where there is none)
        return Verdict(conflicts.EXIT_REFUSED, eff.release[0].subject, CENTRAL, EXIT_RULE, None, None)
    if eff.order is not None:
        found = _foreign_order(db, terminal, eff, known) or _forged(terminal, eff)
        if found is not None:
            return found
    retired = [c.subject for c in eff.claims if c.action == "refund"] + [t for t, _ in eff.revoked]
    if retired:
        return _foreign_tickets(db, terminal, entry, list(dict.fromkeys(retired)), roles, known, now, cap)
    return None


def _role_needed(kind: str, eff: Effect) -> str | None:
    if eff.order is not None:
        return SELL
    if kind in PICKUP_KINDS and eff.claims:
        return PICKUP
    if kind in PAID_KINDS:
        return SELL  # money taken at a desk
    if kind in CHECKIN_KINDS | EXIT_KINDS and (eff.claims or eff.release):
        return DOOR
    return None


def _foreign_order(db: CentralDB, terminal: dict[str, Any], eff: Effect, known: Known) -> Verdict | None:
    """A sale's order under a code or with ids that are not the sender's own."""
    assert eff.order is not None
    order, tid = eff.order, terminal["id"]
    code = str(order["code"])
    parts = code_parts(code.split("~", 1)[0])
    if parts is None or parts[0] != terminal["tag"]:
        owner = "web" if code.upper().startswith(CENTRAL_TAG_PREFIX) else None
        if owner is None and parts is not None:
            owner = rows.terminal_with_tag(db, parts[0])
        return Verdict("order_code_foreign", code[:300], owner or CENTRAL, CODE_RULE, uuid_or_none(order["id"]))
    oid = order["id"]
    owner = known.orders.get(oid)
    if owner is not None and owner != tid:
        return Verdict("order_id_taken", oid, owner, ID_RULE, None)
    ticket_ids = [t["id"] for t in eff.tickets]
    if len(set(ticket_ids)) != len(ticket_ids):
        return Verdict("ticket_id_taken", code, CENTRAL, ID_RULE, uuid_or_none(oid))
    for t in ticket_ids:
        other = known.tickets.get(t)
        if other is not None and (other["order_id"] != oid or other["owner"] != tid):
            return Verdict("ticket_id_taken", t, other["owner"], ID_RULE, uuid_or_none(oid), None)
    return None


def _forged(terminal: dict[str, Any], eff: Effect) -> Verdict | None:
    """A sale's new ticket whose token the sender did not issue for it under its own enrolled key (entry_checks.py):
    refused, so the ids it names stay free for the sale that did."""
    assert eff.order is not None
    found = entry_checks.forged_ticket(terminal, eff)
    if found is None:
        return None
    ticket_id, problem = found
    return Verdict(entry_checks.TOKEN_INVALID, f"{ticket_id}: {problem}"[:300], CENTRAL, entry_checks.TOKEN_RULE,
                   uuid_or_none(eff.order["id"]), uuid_or_none(ticket_id))


def _foreign_tickets(db: CentralDB, terminal: dict[str, Any], entry: dict[str, Any], tickets: list[str],
                     roles: frozenset[str], known: Known, now: str, cap: bool = True) -> Verdict | None:
    """Refunded, exchanged or revoked tickets the sender did not sell: refused, applied under an override, or
    held when the override would take the sender past its hourly cap."""
    held = known.tickets
    foreign = [t for t in tickets if held.get(t, {}).get("owner") != terminal["id"]]
    if not foreign:
        return None
    first = foreign[0]
    owner = held.get(first, {}).get("owner") or CENTRAL
    order_id = uuid_or_none(held.get(first, {}).get("order_id"))
    if _override(entry) and roles & {SELL, PICKUP}:
        since = iso(parse_iso(now) - timedelta(hours=1))
        entries, done = rows.foreign_refunds_since(db, terminal["id"], since)
        if cap and (entries + 1 > FOREIGN_PER_HOUR or done + len(foreign) > FOREIGN_TICKETS_PER_HOUR):
            return Verdict(HELD, first, owner, HELD_RULE, order_id, uuid_or_none(first))
        return Verdict("foreign_refund_override", first, owner, REVIEW_RULE, order_id, uuid_or_none(first), apply=True)
    return Verdict("foreign_ticket", first, owner, FOREIGN_RULE, order_id, uuid_or_none(first))


def _override(entry: dict[str, Any]) -> bool:
    """Whether the entry carries a supervisor's override: the refund (or exchange) row flagged ``override`` with
    the operator id of who approved it, as services/refunds.py and services/exchanges.py journal it. Only there:
    a flag at the top of a bare revocation is no refund a supervisor approved."""
    key = "refund" if entry["kind"] in REFUND_KINDS else "exchange" if entry["kind"] == "exchange" else None
    if key is None:
        return False
    try:
        payload = codec.loads(entry["payload"])
    except ValueError:
        return False
    row = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(row, dict):
        return False
    approver = row.get("approved_by")
    return bool(row.get("override")) and isinstance(approver, str) and is_uuid(approver)


def free_seat(db: CentralDB, ticket_id: str, place: dict[str, Any] | None) -> bool:
    """Free the seat of the ticket ``ticket_id`` just refunded or canceled (``place``: ``sales.ticket_place``), so
    it can be sold again anywhere, when no other valid ticket sits on it; True when a claim was given back.

    Whose the claim is does not matter; who sits on the seat does. A seat sold again since (even by the same
    counter) stays taken, and so does a seat sold twice (flagged ``seat_sold_twice``, both kept) while either ticket
    is valid: freed, it could be sold a third time. Once every ticket on it is refunded or revoked it is free,
    whichever sale held the claim. A standing ticket has no seat."""
    if place is None or place["row_label"] is None or rows_sales.other_valid_on_seat(db, ticket_id, place):
        return False
    return rows_sales.release_claim(db, "seat", f"{place['event_id']}/{place['section_id']}/{place['row_label']}"
                                               f"{place['seat']}")
