"""Queries behind the ownership checks of pushed entries (central/services/ownership.py): whose orders and tickets
these are, and which terminal holds an order-code tag."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB


def order_owners(db: CentralDB, order_ids: list[str]) -> dict[str, str]:
    """Order id -> who made it: its terminal's id, or ``web`` for the web shop's orders (no terminal)."""
    return {r["id"]: r["terminal_id"] or "web" for r in db.all_in("SELECT id, terminal_id FROM orders WHERE id",
                                                                   order_ids)}


def ticket_owners(db: CentralDB, ticket_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Ticket id -> its ``order_id`` and ``owner`` (the order's terminal id, or ``web``)."""
    return {r["id"]: {"order_id": r["order_id"], "owner": r["terminal_id"] or "web"}
            for r in db.all_in("SELECT t.id, t.order_id, o.terminal_id FROM tickets t"
                               " LEFT JOIN orders o ON o.id = t.order_id WHERE t.id", ticket_ids)}


def terminal_with_tag(db: CentralDB, tag: str) -> str | None:
    """The id of the terminal enrolled with order-code tag ``tag``, if any."""
    value = db.scalar("SELECT id FROM terminals WHERE tag = ?", (tag,))
    return str(value) if value is not None else None


def foreign_refunds_since(db: CentralDB, terminal_id: str, since: str) -> tuple[int, int]:
    """(entries, tickets): the terminal's entries received from ``since`` on that refunded or exchanged tickets it did
    not sell (another terminal's, the web shop's, unknown ones), and how many such tickets (its refund claims)."""
    row = db.one("SELECT count(DISTINCT c.entry_id) AS entries, count(*) AS tickets FROM claims c"
                 " JOIN journal j ON j.id = c.entry_id"
                 " LEFT JOIN tickets t ON t.id = c.subject LEFT JOIN orders o ON o.id = t.order_id"
                 " WHERE c.action = 'refund' AND c.terminal_id = ? AND j.received_at >= ?"
                 " AND (o.terminal_id IS NULL OR o.terminal_id <> ?)", (terminal_id, since, terminal_id))
    return (int(row["entries"] or 0), int(row["tickets"] or 0)) if row else (0, 0)


def admissions_received_since(db: CentralDB, terminal_id: str, since: str) -> list[dict[str, Any]]:
    """The check-in claims ``terminal_id`` still holds (a ticket it admitted and did not let out since) from
    entries this service received at or after ``since``, oldest first: ``subject`` (a ticket id, or a pretix
    secret's digest), the ticket's ``order_id`` and ``event_id`` (None for a secret), ``entry_id``, the time the
    terminal wrote on it (``at``) and when it arrived (``received_at``). Chosen by the time of receipt, which the
    terminal cannot set."""
    return db.all("SELECT c.subject, c.entry_id, c.at, j.received_at, t.order_id, t.event_id FROM claims c"
                  " JOIN journal j ON j.id = c.entry_id LEFT JOIN tickets t ON t.id = c.subject"
                  " WHERE c.action = 'checkin' AND c.terminal_id = ? AND j.received_at >= ?"
                  " ORDER BY j.received_at, c.subject", (terminal_id, since))


def admissions_received_before(db: CentralDB, terminal_id: str, since: str) -> int:
    """How many check-in claims ``terminal_id`` still holds from entries received before ``since``."""
    return int(db.scalar("SELECT count(*) FROM claims c JOIN journal j ON j.id = c.entry_id"
                         " WHERE c.action = 'checkin' AND c.terminal_id = ? AND j.received_at < ?",
                         (terminal_id, since)) or 0)


def admitted_since_by_others(db: CentralDB, held: dict[str, Any]) -> dict[str, Any] | None:
    """The earliest admission of the ticket that a terminal not revoked made while the admission ``held`` (a claim:
    ``subject``, ``entry_id``) held its check-in claim, flagged ``checked_in_twice`` against that very entry:
    ``terminal_id``, ``entry_id``, ``at``; or None."""
    return db.one("SELECT c.second_terminal AS terminal_id, c.second_entry AS entry_id, c.second_at AS at"
                  " FROM conflicts c JOIN terminals t ON t.id = c.second_terminal"
                  " WHERE c.kind = 'checked_in_twice' AND c.subject = ? AND c.first_entry = ?"
                  " AND t.revoked_at IS NULL ORDER BY c.second_at, c.id LIMIT 1", (held["subject"], held["entry_id"]))


def hand_admission(db: CentralDB, terminal_id: str, subject: str, to: dict[str, Any]) -> bool:
    """Give one check-in claim ``terminal_id`` holds to another admission of the same ticket (``to``:
    ``terminal_id``, ``entry_id``, ``at``); True when it did."""
    return db.execute("UPDATE claims SET terminal_id = ?, entry_id = ?, at = ? WHERE action = 'checkin'"
                      " AND subject = ? AND terminal_id = ?",
                      (to["terminal_id"], to["entry_id"], to["at"], subject, terminal_id)) > 0


def release_admission(db: CentralDB, terminal_id: str, subject: str) -> bool:
    """Give back one check-in claim, only while ``terminal_id`` holds it; True when it did."""
    return db.execute("DELETE FROM claims WHERE action = 'checkin' AND subject = ? AND terminal_id = ?",
                      (subject, terminal_id)) > 0


def ticket_event(db: CentralDB, ticket_id: str) -> str | None:
    """The event a ticket is for, or None when the service does not know the ticket."""
    value = db.scalar("SELECT event_id FROM tickets WHERE id = ?", (ticket_id,))
    return None if value is None else str(value)


def event_reentry(db: CentralDB, event_id: str) -> bool | None:
    """Whether an event lets tickets out and in again, as its published model says; None when there is no model."""
    import json

    text = db.scalar("SELECT model FROM events WHERE id = ?", (event_id,))
    if text is None:
        return None
    try:
        event = json.loads(text).get("event") or {}
    except (ValueError, AttributeError):
        return None
    return bool(event.get("reentry")) if "reentry" in event else None


def record_withdrawn(db: CentralDB, entry_id: str, ticket_id: str, now: str) -> None:
    """Note that the admission of ``ticket_id`` (a ticket's id, or a pretix secret's claim) in ``entry_id`` was
    withdrawn: reports count it apart from real admissions. Once per admission, whatever is run again."""
    db.execute("INSERT INTO withdrawn_checkins (entry_id, ticket_id, withdrawn_at) VALUES (?, ?, ?)"
               " ON CONFLICT (entry_id, ticket_id) DO NOTHING", (entry_id, ticket_id, now))


def withdrawn_entries(db: CentralDB) -> set[str]:
    """The journal entries whose admission was withdrawn (a door's check-in entry admits one ticket)."""
    return {str(r["entry_id"]) for r in db.all("SELECT DISTINCT entry_id FROM withdrawn_checkins")}
