"""Rows for reports: one row per ticket sold and per payment, with the names people read. Grouping is done in
services, where the venue's time zone is known."""

from __future__ import annotations

import sqlite3
from typing import Any

from boxoffice.store.db import rows


def _window(alias: str, event: str | None, since: str | None, until: str | None) -> tuple[str, list[Any]]:
    where, params = [], []
    if event:
        where.append(f"{alias}.event_id = ?")
        params.append(event)
    if since:
        where.append(f"{alias}.created_at >= ?")
        params.append(since)
    if until:
        where.append(f"{alias}.created_at < ?")
        params.append(until)
    return (" AND " + " AND ".join(where)) if where else "", params


def ticket_rows(conn: sqlite3.Connection, event: str | None = None, since: str | None = None,
                until: str | None = None) -> list[dict]:
    """Every ticket of every order in the window, with its order's time, channel, operator and event."""
    extra, params = _window("o", event, since, until)
    return rows(conn, f"""
        SELECT t.id, t.event_id, e.name AS event_name, e.timezone, t.section_id, t.ticket_type_id,
               coalesce(tt.name, t.ticket_type_id) AS type_name, t.price, t.tax, t.status, t.picked_up_at,
               o.code, o.channel, o.created_at, o.currency, coalesce(op.name, '-') AS operator
        FROM tickets t JOIN orders o ON o.id = t.order_id
        LEFT JOIN events e ON e.id = t.event_id
        LEFT JOIN ticket_types tt ON tt.event_id = t.event_id AND tt.id = t.ticket_type_id
        LEFT JOIN operators op ON op.id = o.operator_id
        WHERE 1 = 1{extra} ORDER BY o.created_at""", tuple(params))


def payment_rows(conn: sqlite3.Connection, event: str | None = None, since: str | None = None,
                 until: str | None = None) -> list[dict]:
    """Every payment and refund payment in the window (by the payment's own time)."""
    extra, params = _window("o", event, None, None)
    if since:
        extra += " AND p.created_at >= ?"
        params.append(since)
    if until:
        extra += " AND p.created_at < ?"
        params.append(until)
    return rows(conn, f"""
        SELECT p.kind, p.tender, p.amount, p.created_at, o.event_id, o.currency, e.timezone,
               coalesce(op.name, '-') AS operator
        FROM payments p JOIN orders o ON o.id = p.order_id
        LEFT JOIN events e ON e.id = o.event_id
        LEFT JOIN operators op ON op.id = o.operator_id
        WHERE 1 = 1{extra} ORDER BY p.created_at""", tuple(params))


def capacity_rows(conn: sqlite3.Connection, event: str | None = None) -> list[dict]:
    """Per section: capacity and valid tickets, for 'capacity used' in the end-of-day report."""
    where = "WHERE s.event_id = ?" if event else ""
    return rows(conn, f"""
        SELECT s.event_id, s.id AS section_id, s.name, s.capacity,
               (SELECT count(*) FROM tickets t WHERE t.event_id = s.event_id AND t.section_id = s.id
                AND t.status = 'valid') AS sold
        FROM sections s {where} ORDER BY s.event_id, s.position""", (event,) if event else ())


def _between(column: str, since: str | None, until: str | None) -> tuple[str, list[Any]]:
    where, params = "", []
    if since:
        where += f" AND {column} >= ?"
        params.append(since)
    if until:
        where += f" AND {column} < ?"
        params.append(until)
    return where, params


def refund_rows(conn: sqlite3.Connection, event: str | None = None, since: str | None = None,
                until: str | None = None) -> list[dict]:
    """Every refund in the window (by its own time), and every exchange that paid money back, one row each.

    An exchange whose new tickets cost less returns the difference by the same tenders as a refund, as payment rows
    of kind 'refund'; it is listed here (reason 'exchange', no tickets refunded) so that the money back by reason,
    operator or day adds up to the money back by tender.
    """
    ev_r, ev_params = ("AND o.event_id = ?", [event]) if event else ("", [])
    win_r, win_r_params = _between("r.at", since, until)
    win_x, win_x_params = _between("x.at", since, until)
    return rows(conn, f"""
        SELECT 'refund' AS source, r.id, r.at, r.reason_code AS reason, r.amount, r.fee, r.override,
               o.event_id, e.name AS event_name, e.timezone, o.currency, coalesce(op.name, '-') AS operator,
               (SELECT count(*) FROM refund_items i WHERE i.refund_id = r.id) AS tickets
        FROM refunds r JOIN orders o ON o.id = r.order_id
        LEFT JOIN events e ON e.id = o.event_id
        LEFT JOIN operators op ON op.id = r.operator_id
        WHERE 1 = 1 {ev_r}{win_r}
        UNION ALL
        SELECT 'exchange', x.id, x.at, 'exchange', -x.difference, 0, x.override,
               o.event_id, e.name, e.timezone, o.currency, coalesce(op.name, '-'), 0
        FROM exchanges x JOIN orders o ON o.id = x.from_order_id
        LEFT JOIN events e ON e.id = o.event_id
        LEFT JOIN operators op ON op.id = x.operator_id
        WHERE x.difference < 0 {ev_r}{win_x}
        ORDER BY 3""", tuple(ev_params + win_r_params + ev_params + win_x_params))


def pickup_rows(conn: sqlite3.Connection, event: str | None = None) -> list[dict]:
    """Valid tickets of orders handed out at a desk (every channel but the box office), with their first pickup.

    A pickup is recorded twice, on the ticket (picked_up_at) and as a pickups row naming the terminal; pickups made
    on other terminals arrive by sync as pickups rows. Either is enough to count the ticket as handed out.
    """
    where = "AND t.event_id = ?" if event else ""
    return rows(conn, f"""
        SELECT t.id, t.event_id, o.channel,
               coalesce(t.picked_up_at, (SELECT min(p.at) FROM pickups p WHERE p.ticket_id = t.id)) AS picked_up_at,
               (SELECT p.terminal_id FROM pickups p WHERE p.ticket_id = t.id ORDER BY p.at LIMIT 1) AS terminal_id
        FROM tickets t JOIN orders o ON o.id = t.order_id
        WHERE t.status = 'valid' AND o.channel <> 'box_office' {where}
        ORDER BY t.event_id, o.channel""", (event,) if event else ())


def checkin_minutes(conn: sqlite3.Connection, event: str | None = None) -> list[dict]:
    """Door scans counted per event, UTC minute, result and direction.

    Counted by the minute rather than the hour so the service can place them in the event's local hour exactly,
    whatever the zone's offset, without reading every scan of a large event.
    """
    where = "WHERE c.event_id = ?" if event else ""
    return rows(conn, f"""
        SELECT c.event_id, substr(c.at, 1, 16) AS minute, c.result, c.direction, count(*) AS n
        FROM checkins c {where}
        GROUP BY c.event_id, minute, c.result, c.direction
        ORDER BY c.event_id, minute""", (event,) if event else ())


def valid_tickets_per_event(conn: sqlite3.Connection, event: str | None = None) -> dict[str, int]:
    """How many valid tickets each event has on this terminal, for 'admitted of issued'."""
    where = "AND event_id = ?" if event else ""
    return {r[0]: r[1] for r in conn.execute(
        f"SELECT event_id, count(*) FROM tickets WHERE status = 'valid' {where} GROUP BY event_id",
        (event,) if event else ())}


def event_names(conn: sqlite3.Connection) -> dict[str, dict]:
    """id -> {name, timezone} of every event here."""
    return {r["id"]: {"name": r["name"], "timezone": r["timezone"]}
            for r in conn.execute("SELECT id, name, timezone FROM events")}
