"""The SQL of replaying a terminal's own journal entries into its tables (services/replay.py): the few writes that
differ from the original actions' because the replay records what was done rather than deciding it again."""

from __future__ import annotations

import sqlite3
from typing import Any


def event_exists(conn: sqlite3.Connection, event_id: str) -> bool:
    return conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is not None


def order_exists(conn: sqlite3.Connection, order_id: str) -> bool:
    return conn.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone() is not None


def section_kind(conn: sqlite3.Connection, event_id: str, section_id: str) -> str | None:
    row = conn.execute("SELECT kind FROM sections WHERE event_id = ? AND id = ?", (event_id, section_id)).fetchone()
    return row[0] if row else None


def take_general(conn: sqlite3.Connection, event_id: str, section_id: str, n: int) -> int:
    """Count ``n`` standing places sold, as the sale did; returns how many it had to add to the allocation first
    (0 unless the allocation here is short of what was sold: the caller reports it)."""
    row = conn.execute("SELECT allocated, sold FROM sections WHERE event_id = ? AND id = ?",
                       (event_id, section_id)).fetchone()
    short = max(0, row[1] + n - row[0]) if row else 0
    conn.execute("UPDATE sections SET allocated = max(allocated, sold + ?), sold = sold + ? WHERE event_id = ?"
                 " AND id = ?", (n, n, event_id, section_id))
    return short


def take_seat(conn: sqlite3.Connection, event_id: str, section_id: str, label: str, ticket_id: str,
              kept: bool = False) -> str | None:
    """Mark a seat sold to ``ticket_id`` (a seat this terminal sold was in its allocation); None when done, else
    the ticket that holds it already (the seat was sold twice: the caller flags it). ``kept``: the sale was given
    up as lost and its seat kept sold to no known ticket: it is that ticket's again."""
    cur = conn.execute("UPDATE seats SET status = 'sold', ticket_id = ?, allocated = 1 WHERE event_id = ?"
                       " AND section_id = ? AND label = ? AND (status <> 'sold' OR ticket_id = ?"
                       " OR (? AND ticket_id IS NULL))",
                       (ticket_id, event_id, section_id, label, ticket_id, kept))
    if cur.rowcount:
        return None
    row = conn.execute("SELECT ticket_id FROM seats WHERE event_id = ? AND section_id = ? AND label = ?",
                       (event_id, section_id, label)).fetchone()
    return row[0] if row else f"no seat {label}"


def release_general(conn: sqlite3.Connection, event_id: str, section_id: str, n: int) -> None:
    """Standing places given back to the central service (never below what is sold)."""
    conn.execute("UPDATE sections SET allocated = max(sold, allocated - ?) WHERE event_id = ? AND id = ?"
                 " AND kind = 'general'", (n, event_id, section_id))


def release_seats(conn: sqlite3.Connection, event_id: str, section_id: str, labels: list[str]) -> None:
    conn.executemany("UPDATE seats SET allocated = 0 WHERE event_id = ? AND section_id = ? AND label = ?"
                     " AND status <> 'sold'", [(event_id, section_id, s) for s in labels])


def picked_up(conn: sqlite3.Connection, ticket_id: str, at: str, operator_id: str | None) -> None:
    """The ticket handed out here at ``at`` (the earliest handing out is the one a ticket shows)."""
    conn.execute("UPDATE tickets SET picked_up_at = ?, picked_up_by = ? WHERE id = ?"
                 " AND (picked_up_at IS NULL OR picked_up_at > ?)", (at, operator_id, ticket_id, at))


def add_pickups(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    conn.executemany("INSERT OR IGNORE INTO pickups (id, order_id, ticket_id, at, operator_id, terminal_id)"
                     " VALUES (:id, :order_id, :ticket_id, :at, :operator_id, :terminal_id)", rows)


def ticket_rows(conn: sqlite3.Connection, ticket_ids: list[str]) -> list[dict[str, Any]]:
    """The tickets as a refund or an exchange sees them (place, event), in the order given."""
    out = []
    for tid in ticket_ids:
        row = conn.execute("SELECT id, order_id, event_id, section_id, row, seat, status FROM tickets WHERE id = ?",
                           (tid,)).fetchone()
        if row is not None:
            out.append(dict(zip(("id", "order_id", "event_id", "section_id", "row", "seat", "status"), row,
                                strict=True)))
    return out


def add_operator(conn: sqlite3.Connection, operator_id: str, name: str, role: str, at: str) -> bool:
    """An operator added after the copy: no PIN (it never left the terminal), so they cannot log in until an
    admin gives them one again; False when they are here already."""
    cur = conn.execute("INSERT OR IGNORE INTO operators (id, name, role, pin_hash, created_at) VALUES (?, ?, ?, '', ?)",
                       (operator_id, name, role, at))
    return cur.rowcount == 1


def insert_checkin(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute("INSERT INTO checkins (id, ticket_id, event_id, direction, at, operator_id, terminal_id, result,"
                 " external_secret) VALUES (:id, :ticket_id, :event_id, :direction, :at, :operator_id, :terminal_id,"
                 " :result, :external_secret) ON CONFLICT(id) DO NOTHING", {"external_secret": None} | row)


def revoked_reasons(conn: sqlite3.Connection, ticket_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Tickets already on the revocation list (pulled before their sale was replayed): id -> (reason, at)."""
    out = {}
    for tid in ticket_ids:
        row = conn.execute("SELECT reason, revoked_at FROM revocations WHERE ticket_id = ?", (tid,)).fetchone()
        if row is not None:
            out[tid] = (row[0], row[1])
    return out
