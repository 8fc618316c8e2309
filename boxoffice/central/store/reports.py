"""Queries behind the central reports: plain rows of the central tables and the terminals' journal.

The journal's payloads come back as the text the terminal sent: central/services/reports.py parses them, because an
entry the service kept but could not read must not stop a report, and SQLite and PostgreSQL JSON functions would each
stop on it differently.
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB


def _window(column: str, event_col: str | None, event: str | None, since: str | None,
            until: str | None) -> tuple[str, list[Any]]:
    """The ``AND ...`` conditions (and their parameters) of an event and a time window [since, until)."""
    where, params = "", []
    if event and event_col:
        where += f" AND {event_col} = ?"
        params.append(event)
    if since:
        where += f" AND {column} >= ?"
        params.append(since)
    if until:
        where += f" AND {column} < ?"
        params.append(until)
    return where, params


def operator_add_payloads(db: CentralDB) -> list[str]:
    """The payload text of every ``operator.add`` entry, in journal order (a later entry renames)."""
    return [r["payload"] for r in db.all(
        "SELECT payload FROM journal WHERE kind = 'operator.add' ORDER BY terminal_id, seq")]


def journal_entries(db: CentralDB, kinds: tuple[str, ...], since: str | None = None,
                    until: str | None = None) -> list[dict[str, Any]]:
    """Journal entries of some kinds by the entry's time, in journal order: ``id``, ``terminal_id``, ``kind``,
    ``at``, ``operator_id`` and the unparsed ``payload``."""
    where, params = _window("at", None, None, since, until)
    return db.all(f"SELECT id, terminal_id, kind, at, operator_id, payload FROM journal WHERE kind IN "
                  f"({', '.join('?' * len(kinds))}){where} ORDER BY terminal_id, seq", (*kinds, *params))


def orders_by_id(db: CentralDB) -> dict[str, dict[str, Any]]:
    """Every order's ``event_id``, ``currency``, ``channel`` and ``terminal_id``, by order id."""
    return {r["id"]: r for r in db.all("SELECT id, event_id, currency, channel, terminal_id FROM orders")}


def order_tickets(db: CentralDB, event: str | None = None, since: str | None = None, until: str | None = None,
                  paid: bool = True) -> list[dict[str, Any]]:
    """Tickets of paid orders in the window by the order's time, with their order's columns (``paid`` False: the
    valid tickets of unpaid orders instead), oldest order first."""
    where, params = _window("o.created_at", "t.event_id", event, since, until)
    where += " AND o.status <> 'unpaid'" if paid else " AND o.status = 'unpaid' AND t.status = 'valid'"
    return db.all(f"""
        SELECT t.id, t.event_id, t.section_id, t.ticket_type_id, t.price, t.tax, t.status, o.id AS order_id,
               o.code, o.channel, o.created_at, o.currency, o.terminal_id
        FROM tickets t JOIN orders o ON o.id = t.order_id
        WHERE t.id NOT IN (SELECT replaces FROM ticket_holders WHERE replaces IS NOT NULL){where}
        ORDER BY o.created_at, t.id""", params)


def desk_tickets(db: CentralDB, event: str | None = None) -> list[dict[str, Any]]:
    """Valid tickets of orders handed out at a desk (every channel but the box office): ``id``, ``event_id``,
    ``order_id``, and the order's ``channel`` and ``status``."""
    where = " AND t.event_id = ?" if event else ""
    return db.all(f"""
        SELECT t.id, t.event_id, t.order_id, o.channel, o.status
        FROM tickets t JOIN orders o ON o.id = t.order_id
        WHERE t.status = 'valid' AND o.channel <> 'box_office'{where}
        ORDER BY t.event_id, o.channel, t.id""", (event,) if event else ())


def valid_tickets_per_event(db: CentralDB, event: str | None = None) -> dict[str, int]:
    """How many valid tickets of paid orders each event has, sold anywhere."""
    where = " AND t.event_id = ?" if event else ""
    return {r["event_id"]: int(r["n"]) for r in db.all(
        f"SELECT t.event_id, count(*) AS n FROM tickets t JOIN orders o ON o.id = t.order_id"
        f" WHERE t.status = 'valid' AND o.status <> 'unpaid'{where} GROUP BY t.event_id",
        (event,) if event else ())}


def sold_per_section(db: CentralDB, event: str | None = None) -> dict[tuple[str, str, bool], int]:
    """Valid tickets per (event, section, paid), sold anywhere: "capacity used" in the end-of-day report (paid),
    and what unpaid web orders hold besides."""
    where = " AND t.event_id = ?" if event else ""
    return {(r["event_id"], r["section_id"], bool(r["paid"])): int(r["n"]) for r in db.all(
        f"SELECT t.event_id, t.section_id, CASE WHEN o.status = 'unpaid' THEN 0 ELSE 1 END AS paid, count(*) AS n"
        f" FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.status = 'valid'{where}"
        " GROUP BY t.event_id, t.section_id, CASE WHEN o.status = 'unpaid' THEN 0 ELSE 1 END",
        (event,) if event else ())}
