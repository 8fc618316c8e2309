"""The queries the central alerts read: who is out of touch, what sold and was refunded when, scans refused, and
the alerts terminals raised in their journals. Read only."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB


def active_terminals(db: CentralDB) -> list[dict[str, Any]]:
    """Terminals not revoked, by name: ``id``, ``name``, ``enrolled_at``, ``last_seen_at``."""
    return db.all("SELECT id, name, enrolled_at, last_seen_at FROM terminals WHERE revoked_at IS NULL ORDER BY name")


def events_from(db: CentralDB, since: str) -> list[str]:
    """The ids of events starting at or after ``since``, soonest first."""
    return [r["id"] for r in db.all("SELECT id FROM events WHERE starts_at >= ? ORDER BY starts_at, id", (since,))]


def sold_by_section_and_terminal(db: CentralDB, event_id: str) -> dict[tuple[str, str], int]:
    """Valid tickets of an event sold by terminals, per (section, terminal)."""
    return {(r["section_id"], r["terminal_id"]): int(r["n"]) for r in db.all(
        "SELECT t.section_id, o.terminal_id, count(*) AS n FROM tickets t JOIN orders o ON o.id = t.order_id"
        " WHERE t.event_id = ? AND t.status = 'valid' AND o.terminal_id IS NOT NULL"
        " GROUP BY t.section_id, o.terminal_id", (event_id,))}


def first_box_office_sale(db: CentralDB) -> str | None:
    return db.scalar("SELECT min(created_at) AS first FROM orders WHERE channel = 'box_office'")


def box_office_tickets_between(db: CentralDB, start: str, end: str) -> int:
    return int(db.scalar("SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id WHERE"
                         " o.channel = 'box_office' AND o.created_at >= ? AND o.created_at < ?", (start, end)) or 0)


def refunds_between(db: CentralDB, start: str, end: str) -> int:
    return int(db.scalar("SELECT count(*) FROM revocations WHERE reason = 'refunded' AND revoked_at >= ?"
                         " AND revoked_at < ?", (start, end)) or 0)


def box_office_sellers_between(db: CentralDB, start: str, end: str) -> list[str]:
    """The names of the terminals that sold at the box office in a period, by name."""
    return [r["name"] for r in db.all(
        "SELECT DISTINCT m.name FROM orders o JOIN terminals m ON m.id = o.terminal_id WHERE o.channel ="
        " 'box_office' AND o.created_at >= ? AND o.created_at < ? ORDER BY m.name", (start, end))]


def scans_between(db: CentralDB, start: str, end: str) -> list[dict[str, Any]]:
    """Admissions and refused scans in a period, per kind and door name (``kind``, ``name``, ``n``)."""
    return db.all("SELECT j.kind, m.name, count(*) AS n FROM journal j JOIN terminals m ON m.id = j.terminal_id"
                  " WHERE j.kind IN ('checkin', 'scan.refused') AND j.at >= ? AND j.at < ? GROUP BY j.kind, m.name",
                  (start, end))


def alert_entries(db: CentralDB, raised: str, cleared: str) -> list[dict[str, Any]]:
    """Every alert raised or cleared in any terminal's journal, per terminal in journal order."""
    return db.all("SELECT terminal_id, kind, at, payload FROM journal WHERE kind IN (?, ?) ORDER BY terminal_id,"
                  " seq", (raised, cleared))
