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


# An order whose money this terminal took: payments never travel by sync, so a payment row here is this desk's.
PAID_HERE = "EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.kind = 'payment')"


def ticket_rows(conn: sqlite3.Connection, event: str | None = None, since: str | None = None,
                until: str | None = None, terminal_id: str | None = None, paid: bool = True) -> list[dict]:
    """Every ticket of every paid order in the window (``paid`` False: of every unpaid one instead), with its
    order's time, channel, terminal, operator and event; only orders sold by ``terminal_id`` when it is given.

    A refunded or exchanged ticket stays: it was sold. An unpaid order (the web shop's, not paid yet) is no sale.
    """
    extra, params = _window("o", event, since, until)
    if terminal_id is not None:  # its own sales, and web orders paid at its desk (services/desk_payment.py)
        extra += f" AND (o.terminal_id = ? OR {PAID_HERE})"
        params.append(terminal_id)
    extra += " AND o.status = 'unpaid' AND t.status = 'valid'" if not paid else " AND o.status <> 'unpaid'"
    extra += " AND t.id NOT IN (SELECT old_ticket_id FROM holder_changes)"  # a holder change: the place once
    return rows(conn, f"""
        SELECT t.id, t.event_id, e.name AS event_name, e.timezone, t.section_id, t.ticket_type_id,
               coalesce(tt.name, t.ticket_type_id) AS type_name, t.price, t.tax, t.status, t.picked_up_at,
               o.id AS order_id, o.code, o.channel, o.terminal_id, o.created_at, o.currency,
               coalesce(op.name, '-') AS operator, {PAID_HERE} AS paid_here
        FROM tickets t JOIN orders o ON o.id = t.order_id
        LEFT JOIN events e ON e.id = t.event_id
        LEFT JOIN ticket_types tt ON tt.event_id = t.event_id AND tt.id = t.ticket_type_id
        LEFT JOIN operators op ON op.id = o.operator_id
        WHERE 1 = 1{extra} ORDER BY o.created_at""", tuple(params))


def payment_rows(conn: sqlite3.Connection, event: str | None = None, since: str | None = None,
                 until: str | None = None) -> list[dict]:
    """Every payment and refund payment in the window (by the payment's own time).

    These are all this terminal's own: payments never travel by sync, so other terminals' are not here.
    """
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


def exchange_credits(conn: sqlite3.Connection, event: str | None = None, since: str | None = None,
                     until: str | None = None) -> list[dict]:
    """Per exchange in the window (all made here): the part of its new tickets paid by the old tickets' value.

    That is the new total less what the customer paid on top (the credit beyond a cheaper new total went back as a
    refund); with the payments it makes the money behind every ticket sold.
    """
    extra, params = _between("x.at", since, until)
    if event:
        extra += " AND o.event_id = ?"
        params.append(event)
    return rows(conn, f"""
        SELECT x.id, x.at, x.new_total - max(x.difference, 0) AS amount, o.currency
        FROM exchanges x JOIN orders o ON o.id = x.to_order_id
        WHERE x.new_total - max(x.difference, 0) > 0 {extra} ORDER BY x.at""", tuple(params))


def capacity_rows(conn: sqlite3.Connection, event: str | None = None, terminal_id: str | None = None) -> list[dict]:
    """Per section: capacity, valid tickets of paid orders (only those sold by ``terminal_id`` when given) and valid
    tickets of unpaid orders (none when ``terminal_id`` is given: a terminal sells no unpaid order), for 'capacity
    used' in the end-of-day report."""
    mine = "AND o.terminal_id = ?" if terminal_id is not None else ""
    params: list[Any] = [terminal_id] if terminal_id is not None else []
    where = "WHERE s.event_id = ?" if event else ""
    return rows(conn, f"""
        SELECT s.event_id, s.id AS section_id, s.name, s.capacity,
               (SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id
                WHERE t.event_id = s.event_id AND t.section_id = s.id AND t.status = 'valid'
                AND o.status <> 'unpaid' {mine}) AS sold,
               (SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id
                WHERE t.event_id = s.event_id AND t.section_id = s.id AND t.status = 'valid'
                AND o.status = 'unpaid' {mine}) AS unpaid
        FROM sections s {where} ORDER BY s.event_id, s.position""", (*params, *params, *([event] if event else [])))


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
               (SELECT count(*) FROM refund_items i WHERE i.refund_id = r.id) AS tickets,
               r.demand_sold, r.demand_from_bp, r.demand_scale_bp
        FROM refunds r JOIN orders o ON o.id = r.order_id
        LEFT JOIN events e ON e.id = o.event_id
        LEFT JOIN operators op ON op.id = r.operator_id
        WHERE 1 = 1 {ev_r}{win_r}
        UNION ALL
        SELECT 'exchange', x.id, x.at, 'exchange', -x.difference, 0, x.override,
               o.event_id, e.name, e.timezone, o.currency, coalesce(op.name, '-'), 0, NULL, NULL, NULL
        FROM exchanges x JOIN orders o ON o.id = x.from_order_id
        LEFT JOIN events e ON e.id = o.event_id
        LEFT JOIN operators op ON op.id = x.operator_id
        WHERE x.difference < 0 {ev_r}{win_x}
        ORDER BY 3""", tuple(ev_params + win_r_params + ev_params + win_x_params))


def pickup_rows(conn: sqlite3.Connection, event: str | None = None) -> list[dict]:
    """Valid tickets of orders handed out at a desk (every channel but the box office), and whether they are paid."""
    where = "AND t.event_id = ?" if event else ""
    return rows(conn, f"""
        SELECT t.id, t.event_id, o.channel, o.status <> 'unpaid' AS paid
        FROM tickets t JOIN orders o ON o.id = t.order_id
        WHERE t.status = 'valid' AND o.channel <> 'box_office' {where}
        ORDER BY t.event_id, o.channel""", (event,) if event else ())


def handout_rows(conn: sqlite3.Connection, here: str, event: str | None = None) -> list[dict]:
    """Every desk's handout of a ticket of a desk-handed order known here: one row per ticket and desk.

    A pickup here is a pickups row naming this terminal; one made at another desk arrives by sync as a pickups row
    naming that one, kept beside ours when both desks handed the same ticket out. A ticket marked handed out with
    no pickups row at all was handed out here before pickups rows were kept.
    """
    where = "AND t.event_id = ?" if event else ""
    params = (event,) if event else ()
    return rows(conn, f"""
        SELECT p.ticket_id, p.terminal_id, min(p.at) AS at
        FROM pickups p JOIN tickets t ON t.id = p.ticket_id
        WHERE 1 = 1 {where} GROUP BY p.ticket_id, p.terminal_id
        UNION ALL
        SELECT t.id, ?, t.picked_up_at FROM tickets t
        WHERE t.picked_up_at IS NOT NULL {where}
        AND NOT EXISTS (SELECT 1 FROM pickups p WHERE p.ticket_id = t.id)""", (*params, here, *params))


def checkin_minutes(conn: sqlite3.Connection, event: str | None = None, terminal_id: str | None = None) -> list[dict]:
    """Door scans counted per event, UTC minute, result and direction (only ``terminal_id``'s door when given).

    Counted by the minute rather than the hour so the service can place them in the event's local hour exactly,
    whatever the zone's offset, without reading every scan of a large event. Scans at other doors arrive by sync:
    admissions and exits only (refusals stay on the door that refused).
    """
    where, params = [], []
    if event:
        where.append("c.event_id = ?")
        params.append(event)
    if terminal_id is not None:
        where.append("c.terminal_id = ?")
        params.append(terminal_id)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return rows(conn, f"""
        SELECT c.event_id, substr(c.at, 1, 16) AS minute, c.result, c.direction, count(*) AS n
        FROM checkins c {clause}
        GROUP BY c.event_id, minute, c.result, c.direction
        ORDER BY c.event_id, minute""", tuple(params))


def valid_tickets_per_event(conn: sqlite3.Connection, event: str | None = None) -> dict[str, int]:
    """How many valid tickets of paid orders each event has on this terminal, for 'admitted of issued'."""
    where = "AND t.event_id = ?" if event else ""
    return {r[0]: r[1] for r in conn.execute(
        f"SELECT t.event_id, count(*) FROM tickets t JOIN orders o ON o.id = t.order_id"
        f" WHERE t.status = 'valid' AND o.status <> 'unpaid' {where} GROUP BY t.event_id",
        (event,) if event else ())}


def event_names(conn: sqlite3.Connection) -> dict[str, dict]:
    """id -> {name, timezone} of every event here."""
    return {r["id"]: {"name": r["name"], "timezone": r["timezone"]}
            for r in conn.execute("SELECT id, name, timezone FROM events")}
