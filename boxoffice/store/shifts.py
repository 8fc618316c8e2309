"""Shifts, cash movements, and the sums an X or Z report is made of.

Every sum here comes from the rows that moved the money (payments, cash_movements, refund_items), never from the
journal, so a report can be checked against the journal independently.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from boxoffice.store.db import one, rows


def insert(conn: sqlite3.Connection, shift: dict[str, Any]) -> None:
    conn.execute("INSERT INTO shifts (id, operator_id, terminal_id, currency, opened_at, float)"
                 " VALUES (:id, :operator_id, :terminal_id, :currency, :opened_at, :float)", shift)


def open_for(conn: sqlite3.Connection, operator_id: str, terminal_id: str) -> dict | None:
    """The operator's open shift at this terminal (the partial UNIQUE index allows at most one)."""
    return one(conn, "SELECT * FROM shifts WHERE operator_id = ? AND terminal_id = ? AND closed_at IS NULL",
               (operator_id, terminal_id))


def get(conn: sqlite3.Connection, shift_id: str) -> dict | None:
    return one(conn, "SELECT * FROM shifts WHERE id = ?", (shift_id,))


def close(conn: sqlite3.Connection, shift_id: str, *, at: str, by: str | None, counted: int, expected: int) -> bool:
    """Close an open shift; False if it was closed meanwhile (the caller refuses)."""
    cur = conn.execute("UPDATE shifts SET closed_at = ?, closed_by = ?, counted = ?, expected = ?, variance = ?"
                       " WHERE id = ? AND closed_at IS NULL",
                       (at, by, counted, expected, counted - expected, shift_id))
    return cur.rowcount == 1


def record_count(conn: sqlite3.Connection, shift_id: str, *, at: str, total: int, pieces: str | None) -> bool:
    """Fix the drawer's blind count on an open shift not counted yet; False if it was counted or closed meanwhile."""
    cur = conn.execute("UPDATE shifts SET drawer_count = ?, drawer_counted_at = ?, drawer_pieces = ?"
                       " WHERE id = ? AND closed_at IS NULL AND drawer_count IS NULL", (total, at, pieces, shift_id))
    return cur.rowcount == 1


def approve_variance(conn: sqlite3.Connection, shift_id: str, *, note: str | None, by: str | None) -> None:
    """Keep why the drawer did not match and who approved it (inside the close's transaction)."""
    conn.execute("UPDATE shifts SET variance_note = ?, variance_approved_by = ? WHERE id = ?", (note, by, shift_id))


def insert_movement(conn: sqlite3.Connection, movement: dict[str, Any]) -> None:
    conn.execute("INSERT INTO cash_movements (id, shift_id, kind, amount, reason, at, operator_id)"
                 " VALUES (:id, :shift_id, :kind, :amount, :reason, :at, :operator_id)", movement)


def movements(conn: sqlite3.Connection, shift_id: str) -> list[dict]:
    return rows(conn, "SELECT * FROM cash_movements WHERE shift_id = ? ORDER BY at, rowid", (shift_id,))


def recent(conn: sqlite3.Connection, terminal_id: str, limit: int = 20) -> list[dict]:
    return rows(conn, "SELECT s.*, o.name AS operator_name FROM shifts s LEFT JOIN operators o ON o.id = s.operator_id"
                      " WHERE s.terminal_id = ? ORDER BY s.opened_at DESC, s.rowid DESC LIMIT ?", (terminal_id, limit))


def payment_totals(conn: sqlite3.Connection, shift_id: str) -> list[dict]:
    """Money taken and given back in the shift, by kind (payment, refund) and tender."""
    return rows(conn, "SELECT kind, tender, count(*) AS n, coalesce(sum(amount), 0) AS amount FROM payments"
                      " WHERE shift_id = ? GROUP BY kind, tender ORDER BY kind, tender", (shift_id,))


def movement_totals(conn: sqlite3.Connection, shift_id: str) -> list[dict]:
    return rows(conn, "SELECT kind, count(*) AS n, coalesce(sum(amount), 0) AS amount FROM cash_movements"
                      " WHERE shift_id = ? GROUP BY kind", (shift_id,))


_TYPE = ("LEFT JOIN ticket_types tt ON tt.event_id = t.event_id AND tt.id = t.ticket_type_id")


def sold_by_type(conn: sqlite3.Connection, shift_id: str) -> list[dict]:
    """Tickets of the sales paid in this shift (an exchange's new tickets are counted apart), by ticket type."""
    return rows(conn, f"""
        SELECT t.ticket_type_id AS type, coalesce(tt.name, t.ticket_type_id) AS name, count(*) AS n,
               sum(t.price) AS amount
        FROM tickets t {_TYPE}
        WHERE t.order_id IN (SELECT order_id FROM payments WHERE shift_id = ? AND kind = 'payment')
          AND t.order_id NOT IN (SELECT to_order_id FROM exchanges)
        GROUP BY t.ticket_type_id ORDER BY name""", (shift_id,))


def refunded_by_type(conn: sqlite3.Connection, shift_id: str) -> list[dict]:
    """Tickets refunded in this shift by type: face value, fee kept, and money given back."""
    return rows(conn, f"""
        SELECT t.ticket_type_id AS type, coalesce(tt.name, t.ticket_type_id) AS name, count(*) AS n,
               sum(i.price) AS price, sum(i.fee) AS fee, sum(i.amount) AS amount
        FROM refund_items i JOIN refunds r ON r.id = i.refund_id JOIN tickets t ON t.id = i.ticket_id {_TYPE}
        WHERE r.shift_id = ? GROUP BY t.ticket_type_id ORDER BY name""", (shift_id,))


def exchanged_out_by_type(conn: sqlite3.Connection, shift_id: str) -> list[dict]:
    """Old tickets given up in this shift's exchanges, by type (their price is the credit)."""
    return rows(conn, f"""
        SELECT t.ticket_type_id AS type, coalesce(tt.name, t.ticket_type_id) AS name, count(*) AS n,
               sum(t.price) AS amount
        FROM exchange_items i JOIN exchanges x ON x.id = i.exchange_id JOIN tickets t ON t.id = i.ticket_id {_TYPE}
        WHERE x.shift_id = ? GROUP BY t.ticket_type_id ORDER BY name""", (shift_id,))


def exchanged_in_by_type(conn: sqlite3.Connection, shift_id: str) -> list[dict]:
    """New tickets issued by this shift's exchanges, by type."""
    return rows(conn, f"""
        SELECT t.ticket_type_id AS type, coalesce(tt.name, t.ticket_type_id) AS name, count(*) AS n,
               sum(t.price) AS amount
        FROM exchanges x JOIN tickets t ON t.order_id = x.to_order_id {_TYPE}
        WHERE x.shift_id = ? GROUP BY t.ticket_type_id ORDER BY name""", (shift_id,))


def counts(conn: sqlite3.Connection, shift_id: str) -> dict[str, int]:
    """How many sales, refunds, overrides and exchanges the shift saw."""
    r = conn.execute("""
        SELECT (SELECT count(DISTINCT order_id) FROM payments WHERE shift_id = ?1 AND kind = 'payment'
                  AND order_id NOT IN (SELECT to_order_id FROM exchanges)),
               (SELECT count(*) FROM refunds WHERE shift_id = ?1),
               (SELECT count(*) FROM refunds WHERE shift_id = ?1 AND override = 1)
                 + (SELECT count(*) FROM exchanges WHERE shift_id = ?1 AND override = 1),
               (SELECT count(*) FROM exchanges WHERE shift_id = ?1)""", (shift_id,)).fetchone()
    return {"sales": r[0], "refunds": r[1], "overrides": r[2], "exchanges": r[3]}


def kept_here(conn: sqlite3.Connection, terminal_id: str, since: str) -> bool:
    """Whether a shift is open here now, or was open here at some time since ``since`` (services/shifts.py
    shifts_kept_here: a terminal that keeps shifts)."""
    return conn.execute("SELECT EXISTS (SELECT 1 FROM shifts WHERE terminal_id = ? AND (closed_at IS NULL"
                        " OR closed_at >= ?))", (terminal_id, since)).fetchone()[0] == 1


def cash_outside(conn: sqlite3.Connection, since: str | None, until: str | None = None,
                 event: str | None = None) -> list[dict]:
    """Cash taken (payments) and given back (refunds) in [``since``, ``until``) (None: unbounded), for ``event``'s
    orders (None: any), and booked to no shift, by currency: how many such rows, and the two sums in minor units."""
    return rows(conn, "SELECT o.currency, count(*) AS n,"
                      " coalesce(sum(CASE p.kind WHEN 'payment' THEN p.amount END), 0) AS taken,"
                      " coalesce(sum(CASE p.kind WHEN 'refund' THEN p.amount END), 0) AS given"
                      " FROM payments p JOIN orders o ON o.id = p.order_id"
                      " WHERE p.tender = 'cash' AND p.shift_id IS NULL AND p.created_at >= ?"
                      " AND (? IS NULL OR p.created_at < ?) AND (? IS NULL OR o.event_id = ?)"
                      " GROUP BY o.currency ORDER BY o.currency", (since or "", until, until, event, event))


def orders_with_cash_outside(conn: sqlite3.Connection, since: str | None, most: int,
                             until: str | None = None, event: str | None = None) -> list[str]:
    """The codes of the orders whose cash in [``since``, ``until``) was booked to no shift, latest first, ``most``
    at most: what a supervisor looks up (`order show CODE` names who sold or refunded it, and when)."""
    return [r[0] for r in conn.execute(
        "SELECT o.code FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.tender = 'cash'"
        " AND p.shift_id IS NULL AND p.created_at >= ? AND (? IS NULL OR p.created_at < ?)"
        " AND (? IS NULL OR o.event_id = ?)"
        " GROUP BY o.code ORDER BY max(p.created_at) DESC LIMIT ?", (since or "", until, until, event, event, most))]
