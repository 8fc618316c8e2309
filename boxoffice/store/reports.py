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
