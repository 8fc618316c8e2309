"""Orders, tickets, payments and the stock they take: the SQL of a sale, a pickup and a refund."""

from __future__ import annotations

import sqlite3
from typing import Any

from boxoffice.store.db import one, rows


def take_general(conn: sqlite3.Connection, event_id: str, section_id: str, n: int) -> bool:
    """Take ``n`` general-admission places from this terminal's allocation; False when fewer are left."""
    cur = conn.execute(
        "UPDATE sections SET sold = sold + ? WHERE event_id = ? AND id = ? AND kind = 'general'"
        " AND sold + ? <= allocated",
        (n, event_id, section_id, n),
    )
    return cur.rowcount == 1


def give_back_general(conn: sqlite3.Connection, event_id: str, section_id: str, n: int) -> None:
    conn.execute("UPDATE sections SET sold = sold - ? WHERE event_id = ? AND id = ?", (n, event_id, section_id))


def take_seat(conn: sqlite3.Connection, event_id: str, section_id: str, label: str, ticket_id: str) -> bool:
    """Mark one free, allocated seat sold; False if somebody else has it (the caller then rolls back)."""
    cur = conn.execute(
        "UPDATE seats SET status = 'sold', ticket_id = ? WHERE event_id = ? AND section_id = ? AND label = ?"
        " AND status = 'free' AND allocated = 1",
        (ticket_id, event_id, section_id, label),
    )
    return cur.rowcount == 1


def free_seat(conn: sqlite3.Connection, event_id: str, section_id: str, label: str) -> None:
    conn.execute("UPDATE seats SET status = 'free', ticket_id = NULL WHERE event_id = ? AND section_id = ?"
                 " AND label = ?", (event_id, section_id, label))


def general_left(conn: sqlite3.Connection, event_id: str, section_id: str) -> int:
    r = conn.execute("SELECT allocated - sold FROM sections WHERE event_id = ? AND id = ?",
                     (event_id, section_id)).fetchone()
    return r[0] if r else 0


_TICKET_COLS = ("id", "order_id", "event_id", "section_id", "row", "seat", "ticket_type_id", "price", "tax", "token")
_TICKET_SQL = f"INSERT INTO tickets ({', '.join(_TICKET_COLS)}) VALUES ({', '.join('?' * len(_TICKET_COLS))})"
_PAYMENT_COLS = ("id", "order_id", "kind", "tender", "amount", "tendered", "change", "card_last4", "reference",
                 "comp_reason", "approved_by", "shift_id", "created_at")
_PAYMENT_SQL = f"INSERT INTO payments ({', '.join(_PAYMENT_COLS)}) VALUES ({', '.join('?' * len(_PAYMENT_COLS))})"


def insert_order(conn: sqlite3.Connection, order: dict[str, Any]) -> None:
    cols = list(order)  # the same text for the same columns: sqlite3's statement cache prepares it once
    conn.execute(f"INSERT INTO orders ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})", order)


def insert_tickets(conn: sqlite3.Connection, tickets: list[dict[str, Any]]) -> None:
    conn.executemany(_TICKET_SQL, [tuple(t[c] for c in _TICKET_COLS) for t in tickets])


def insert_payments(conn: sqlite3.Connection, payments: list[dict[str, Any]]) -> None:
    conn.executemany(_PAYMENT_SQL, [tuple(p.get(c) for c in _PAYMENT_COLS) for p in payments])


def order_by_code(conn: sqlite3.Connection, code: str) -> dict | None:
    return one(conn, "SELECT * FROM orders WHERE code = ?", (code,))


def order_by_id(conn: sqlite3.Connection, order_id: str) -> dict | None:
    return one(conn, "SELECT * FROM orders WHERE id = ?", (order_id,))


def tickets_of(conn: sqlite3.Connection, order_id: str) -> list[dict]:
    return rows(conn, "SELECT t.*, tt.name AS type_name, s.name AS section_name,"
                      " EXISTS (SELECT 1 FROM revocations rv WHERE rv.ticket_id = t.id) AS revoked FROM tickets t"
                      " LEFT JOIN ticket_types tt ON tt.event_id = t.event_id AND tt.id = t.ticket_type_id"
                      " LEFT JOIN sections s ON s.event_id = t.event_id AND s.id = t.section_id"
                      " WHERE t.order_id = ? ORDER BY t.rowid", (order_id,))


def payments_of(conn: sqlite3.Connection, order_id: str) -> list[dict]:
    return rows(conn, "SELECT * FROM payments WHERE order_id = ? ORDER BY created_at, rowid", (order_id,))


def ticket_by_id(conn: sqlite3.Connection, ticket_id: str) -> dict | None:
    return one(conn, "SELECT * FROM tickets WHERE id = ?", (ticket_id,))


def count_copy(conn: sqlite3.Connection, ticket_ids: list[str]) -> None:
    conn.executemany("UPDATE tickets SET copies = copies + 1 WHERE id = ?", [(t,) for t in ticket_ids])


def is_revoked(conn: sqlite3.Connection, ticket_id: str) -> bool:
    return conn.execute("SELECT 1 FROM revocations WHERE ticket_id = ?", (ticket_id,)).fetchone() is not None


def revoke(conn: sqlite3.Connection, ticket_id: str, at: str, reason: str) -> None:
    conn.execute("INSERT OR IGNORE INTO revocations (ticket_id, revoked_at, reason) VALUES (?, ?, ?)",
                 (ticket_id, at, reason))
