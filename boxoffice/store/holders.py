"""The SQL of real-name ticket holders (schema_0016_real_name.sql): one row a ticket, never an ID number."""

from __future__ import annotations

import sqlite3
from typing import Any

from boxoffice.store.db import one, rows

COLUMNS = ("ticket_id", "order_id", "event_id", "name", "id_kind", "id_hash", "id_last4", "changes", "binding_key",
           "binding", "created_at")


def insert(conn: sqlite3.Connection, items: list[dict[str, Any]]) -> None:
    """Store holder rows (a sale's, a holder change's, or ones synced from elsewhere: kept as first stored)."""
    conn.executemany(f"INSERT OR IGNORE INTO ticket_holders ({', '.join(COLUMNS)}) "
                     f"VALUES ({', '.join('?' * len(COLUMNS))})", [tuple(h[c] for c in COLUMNS) for h in items])


def for_ticket(conn: sqlite3.Connection, ticket_id: str) -> dict | None:
    return one(conn, "SELECT * FROM ticket_holders WHERE ticket_id = ?", (ticket_id,))


def for_order(conn: sqlite3.Connection, order_id: str) -> list[dict]:
    """The holders of an order's tickets that are still valid (a changed holder's old ticket is not one)."""
    return rows(conn, "SELECT h.* FROM ticket_holders h JOIN tickets t ON t.id = h.ticket_id"
                      " WHERE h.order_id = ? AND t.status = 'valid' ORDER BY h.created_at, h.ticket_id", (order_id,))


def move_seat(conn: sqlite3.Connection, old_ticket_id: str, new_ticket_id: str) -> None:
    """A reserved seat held by a ticket passes to the ticket that replaces it (a holder change keeps the place)."""
    conn.execute("UPDATE seats SET ticket_id = ? WHERE ticket_id = ?", (new_ticket_id, old_ticket_id))


def record_change(conn: sqlite3.Connection, old_ticket_id: str, new_ticket_id: str, order_id: str, at: str,
                  approved_by: str) -> None:
    """Note which ticket replaced which (so that the order's prices count the place once)."""
    conn.execute("INSERT INTO holder_changes (old_ticket_id, new_ticket_id, order_id, changed_at, approved_by)"
                 " VALUES (?, ?, ?, ?, ?)", (old_ticket_id, new_ticket_id, order_id, at, approved_by))
