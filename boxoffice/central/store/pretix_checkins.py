"""Queries of the pretix bridge's check-in step (central/pretix/checkins_up.py): which pickups and door check-ins
went up to pretix, the journal entries still to send, the tickets' pretix secrets and the check-in lists used.

``pretix_checkins`` keeps one row per (journal entry, ticket): ``ticket_id`` is '' for a door scan of a pretix
ticket that the central service does not know (the entry carries its ``external_secret``). ``state`` is one of
STATES; only ``waiting`` is looked at again (the ticket's pretix secret was not known yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice.central.store.db import CentralDB

SENT, REFUSED, CONFLICT, WAITING, SKIPPED = "sent", "refused", "conflict", "waiting", "skipped"
STATES = (SENT, REFUSED, CONFLICT, WAITING, SKIPPED)
_ENTRY = "j.id, j.terminal_id, j.kind, j.at, j.operator_id, j.payload"


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def unseen(db: CentralDB, kinds: Sequence[str], limit: int) -> list[dict[str, Any]]:
    """Journal entries of ``kinds`` this step has not looked at yet, oldest first (by the time they happened)."""
    return db.all(f"SELECT {_ENTRY} FROM journal j WHERE j.kind IN ({_marks(kinds)}) AND NOT EXISTS"
                  " (SELECT 1 FROM pretix_checkins c WHERE c.entry_id = j.id) ORDER BY j.at, j.id LIMIT ?",
                  (*kinds, limit))


def waiting_with_secret(db: CentralDB, limit: int) -> list[dict[str, Any]]:
    """Entries with a ticket that was waiting for its pretix secret and now has one, oldest first."""
    return db.all(f"SELECT DISTINCT {_ENTRY} FROM journal j JOIN pretix_checkins c ON c.entry_id = j.id"
                  " JOIN pretix_tickets t ON t.ticket_id = c.ticket_id WHERE c.state = ? ORDER BY j.at, j.id"
                  " LIMIT ?", (WAITING, limit))


def rows_of(db: CentralDB, entry_id: str) -> dict[str, str]:
    """What was recorded for each ticket of one entry: ticket id ('' for an external secret) -> state."""
    return {r["ticket_id"]: r["state"] for r in db.all("SELECT ticket_id, state FROM pretix_checkins"
                                                        " WHERE entry_id = ?", (entry_id,))}


def record(db: CentralDB, entry_id: str, ticket_id: str, kind: str, pretix_event: str, state: str,
           result: str | None, now: str) -> None:
    """Record (or replace) what became of one ticket of one entry."""
    db.execute("INSERT INTO pretix_checkins (entry_id, ticket_id, kind, pretix_event, state, result, updated_at)"
               " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (entry_id, ticket_id) DO UPDATE SET kind = excluded.kind,"
               " pretix_event = excluded.pretix_event, state = excluded.state, result = excluded.result,"
               " updated_at = excluded.updated_at", (entry_id, ticket_id, kind, pretix_event, state, result, now))


def secrets(db: CentralDB, ticket_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The pretix side of each known ticket: ticket id -> ``pretix_event``, ``position_id``, ``secret``."""
    if not ticket_ids:
        return {}
    return {r["ticket_id"]: r for r in db.all(
        f"SELECT ticket_id, pretix_event, position_id, secret FROM pretix_tickets WHERE ticket_id IN"
        f" ({_marks(ticket_ids)})", tuple(ticket_ids))}


def tickets(db: CentralDB, ticket_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The central copy of tickets: ticket id -> ``event_id``, ``order_id``."""
    if not ticket_ids:
        return {}
    return {r["id"]: r for r in db.all(f"SELECT id, event_id, order_id FROM tickets WHERE id IN"
                                       f" ({_marks(ticket_ids)})", tuple(ticket_ids))}


def flagged(db: CentralDB, entry_ids: Sequence[str]) -> dict[str, set[str]]:
    """The kinds of conflict the central service flagged on each of these entries (as the later party)."""
    out: dict[str, set[str]] = {}
    if entry_ids:
        for r in db.all(f"SELECT second_entry, kind FROM conflicts WHERE second_entry IN ({_marks(entry_ids)})",
                        tuple(entry_ids)):
            out.setdefault(r["second_entry"], set()).add(r["kind"])
    return out


def sent_by_another(db: CentralDB, ticket_id: str, kind: str, entry_id: str) -> bool:
    """Whether another entry's check-in of this kind for this ticket went up to pretix."""
    return db.one("SELECT 1 AS x FROM pretix_checkins WHERE ticket_id = ? AND kind = ? AND state = ? AND"
                  " entry_id <> ? LIMIT 1", (ticket_id, kind, SENT, entry_id)) is not None


def link(db: CentralDB, kind: str, local_id: str) -> dict[str, Any] | None:
    """A pretix link (``pretix_event``, ``pretix_id``), if there is one."""
    return db.one("SELECT pretix_event, pretix_id FROM pretix_links WHERE kind = ? AND local_id = ?",
                  (kind, local_id))


def event_links(db: CentralDB) -> dict[str, str]:
    """Boxoffice event id -> pretix event slug, as the catalogue step linked them."""
    return {r["local_id"]: r["pretix_event"] for r in db.all(
        "SELECT local_id, pretix_event FROM pretix_links WHERE kind = 'event'")}


def put_link(db: CentralDB, kind: str, local_id: str, pretix_event: str, pretix_id: str) -> None:
    """Link a boxoffice thing to a pretix one, replacing an older link."""
    db.execute("INSERT INTO pretix_links (kind, local_id, pretix_event, pretix_id) VALUES (?, ?, ?, ?)"
               " ON CONFLICT (kind, local_id) DO UPDATE SET pretix_event = excluded.pretix_event,"
               " pretix_id = excluded.pretix_id", (kind, local_id, pretix_event, pretix_id))


def drop_links(db: CentralDB, kind: str, local_ids: Sequence[str]) -> None:
    """Forget links (a check-in list deleted in pretix is looked for again)."""
    if local_ids:
        db.execute(f"DELETE FROM pretix_links WHERE kind = ? AND local_id IN ({_marks(local_ids)})",
                   (kind, *local_ids))


def counts(db: CentralDB, kinds: Sequence[str]) -> dict[str, int]:
    """How many tickets' check-ins are in each state, and how many entries of ``kinds`` were not looked at yet."""
    out = {state: 0 for state in STATES}
    for r in db.all("SELECT state, count(*) AS n FROM pretix_checkins GROUP BY state"):
        out[r["state"]] = int(r["n"])
    out["unseen"] = int(db.scalar(f"SELECT count(*) AS n FROM journal j WHERE j.kind IN ({_marks(kinds)}) AND NOT"
                                  " EXISTS (SELECT 1 FROM pretix_checkins c WHERE c.entry_id = j.id)",
                                  tuple(kinds)) or 0)
    return out


def refused(db: CentralDB, limit: int) -> list[dict[str, Any]]:
    """The newest check-ins pretix refused, with its reason."""
    return db.all("SELECT entry_id, ticket_id, kind, pretix_event, result, updated_at FROM pretix_checkins"
                  " WHERE state = ? ORDER BY updated_at DESC, entry_id LIMIT ?", (REFUSED, limit))


def withdraw(db: CentralDB, entry_id: str, ticket_id: str, now: str) -> None:
    """Never send one ticket's admission of this entry to pretix (the admin withdrew it: central/services/
    withdrawals.py): recorded as skipped unless it went up already (or was refused or flagged there)."""
    db.execute("INSERT INTO pretix_checkins (entry_id, ticket_id, kind, pretix_event, state, result, updated_at)"
               " VALUES (?, ?, 'checkin', '', ?, 'withdrawn by the admin', ?) ON CONFLICT (entry_id, ticket_id)"
               " DO UPDATE SET state = excluded.state, result = excluded.result, updated_at = excluded.updated_at"
               " WHERE pretix_checkins.state = ?", (entry_id, ticket_id, SKIPPED, now, WAITING))
