"""The rows ``audit verify`` holds against the journal beyond the money: tickets, revocations, pickups, operators.

Only what this terminal did itself is in its journal: tickets of its own box-office orders and its own pickups.
Another terminal's sales and pickups arrive by sync and are in that terminal's journal (checked by the central
service), so they are left out here.
"""

from __future__ import annotations

import sqlite3
from typing import Any

_OWN = "(SELECT id FROM terminal)"


def own_tickets(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Tickets of the box-office orders this terminal sold (a sale or an exchange wrote each)."""
    return [dict(r) for r in conn.execute(
        "SELECT t.id, t.order_id, o.code, t.section_id, t.row, t.seat, t.ticket_type_id, t.price, t.tax, t.token"
        " FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.channel = 'box_office'"
        f" AND (o.terminal_id IS NULL OR o.terminal_id = {_OWN}) ORDER BY t.rowid")]


def ticket_states(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every ticket here by id: its status and whether it was handed out."""
    return {r["id"]: dict(r) for r in conn.execute("SELECT id, status, picked_up_at FROM tickets")}


def revoked(conn: sqlite3.Connection) -> set[str]:
    """The ticket ids on the revocation list."""
    return {r[0] for r in conn.execute("SELECT ticket_id FROM revocations")}


def own_pickups(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The pickups made at this terminal."""
    return [dict(r) for r in conn.execute(
        f"SELECT id, order_id, ticket_id FROM pickups WHERE terminal_id = {_OWN} ORDER BY rowid")]


def operators(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every operator, as the audit compares them (no PIN hash)."""
    return [dict(r) for r in conn.execute("SELECT id, name, role, disabled FROM operators ORDER BY rowid")]


_MONEY_TABLES = ("orders", "payments", "refunds", "exchanges", "shifts", "cash_movements")


def ids_in(conn: sqlite3.Connection, tables: tuple[str, ...]) -> dict[str, set[str]]:
    """Every row id of each of the money tables named (whoever wrote the row)."""
    return {t: {r[0] for r in conn.execute(f"SELECT id FROM {t}")} for t in tables if t in _MONEY_TABLES}
