"""The SQL of the pickup desk: the order search index, order summaries, web-order bookkeeping and pickups.

Every lookup here is one statement on an index (the unique order code, the ticket's primary key, the e-mail index,
the FTS5 index), so a search costs the same on a small night and on an event of a million tickets.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from boxoffice.store.db import one, rows

# What a search result needs of an order: the order itself and how many of its tickets are valid and handed out.
_SUMMARY = """
    o.id, o.code, o.event_id, o.channel, o.status, o.customer_name, o.email, o.phone, o.phone_digits, o.notes,
    o.created_at, o.currency, o.total,
    (SELECT count(*) FROM tickets t WHERE t.order_id = o.id AND t.status = 'valid') AS tickets,
    (SELECT count(*) FROM tickets t WHERE t.order_id = o.id AND t.status = 'valid'
        AND t.picked_up_at IS NOT NULL) AS picked"""

CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit


def _chunks(items: list[Any], n: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


# --- the search index ---------------------------------------------------------------------------------------


def index_state(conn: sqlite3.Connection) -> tuple[int, int, bool]:
    """(last indexed rowid, highest order rowid, whether the last indexed order still has its rowid).

    One statement, so checking that the index is current costs a search almost nothing.
    """
    row = conn.execute(
        "SELECT s.rowid, (SELECT rowid FROM orders WHERE id = s.order_id) = s.rowid,"
        " (SELECT max(rowid) FROM orders) FROM order_search s ORDER BY s.rowid DESC LIMIT 1").fetchone()
    if row is None:
        top = conn.execute("SELECT max(rowid) FROM orders").fetchone()[0]
        return 0, top or 0, True
    return row[0], row[2] or 0, bool(row[1])


def orders_to_index(conn: sqlite3.Connection, after_rowid: int) -> list[tuple]:
    """(rowid, id, name, email, phone digits) of orders added since ``after_rowid``."""
    return [tuple(r) for r in conn.execute(
        "SELECT rowid, id, customer_name, email, phone_digits FROM orders WHERE rowid > ? ORDER BY rowid",
        (after_rowid,))]


def add_to_index(conn: sqlite3.Connection, entries: Iterable[tuple[int, str, str, str, str]]) -> None:
    """Index (rowid, name text, email text, reversed phone, order id) rows prepared by domain.search_text."""
    conn.executemany("INSERT INTO order_search (rowid, name, email, phone_rev, order_id) VALUES (?, ?, ?, ?, ?)",
                     entries)


def reindex_order(conn: sqlite3.Connection, order_id: str, name: str, email: str, phone_rev: str) -> None:
    """Replace one order's index entry (its name, e-mail or phone changed)."""
    conn.execute("UPDATE order_search SET name = ?, email = ?, phone_rev = ? WHERE order_id = ?",
                 (name, email, phone_rev, order_id))


def clear_index(conn: sqlite3.Connection) -> None:
    """Empty the index (rebuilt from the orders table after a VACUUM renumbered rowids)."""
    conn.execute("DELETE FROM order_search")


def search(conn: sqlite3.Connection, match: str, limit: int, event_id: str | None = None,
           exclude: Iterable[str] = ()) -> list[dict]:
    """Orders whose index entry matches the FTS5 expression, best first (bm25: a name counts most, then e-mail).

    The ranked LIMIT runs inside FTS5 before the join, so only the rows shown are looked up in orders.
    """
    skip = list(exclude)
    fetch = limit + len(skip) + (limit * 4 if event_id else 0)
    sql = (f"SELECT {_SUMMARY}, s.rank AS score FROM (SELECT order_id, rank FROM order_search"
           " WHERE order_search MATCH ? AND rank MATCH 'bm25(10.0, 3.0, 1.0, 0.0)' ORDER BY rank LIMIT ?) s"
           " JOIN orders o ON o.id = s.order_id")
    params: list[Any] = [match, fetch]
    if event_id:
        sql += " WHERE o.event_id = ?"
        params.append(event_id)
    sql += " ORDER BY s.rank"
    out = [r for r in rows(conn, sql, tuple(params)) if r["id"] not in skip]
    return out[:limit]


# --- single orders ------------------------------------------------------------------------------------------


def summary_by_code(conn: sqlite3.Connection, code: str) -> dict | None:
    """An order and its ticket counts by its code (the unique index on orders.code)."""
    return one(conn, f"SELECT {_SUMMARY} FROM orders o WHERE o.code = ?", (code,))


def summary_by_ticket(conn: sqlite3.Connection, ticket_id: str) -> dict | None:
    """The order a ticket belongs to, with its counts, plus the ticket's own token and status."""
    return one(conn, f"SELECT {_SUMMARY}, t0.token AS ticket_token, t0.status AS ticket_status FROM tickets t0"
                     " JOIN orders o ON o.id = t0.order_id WHERE t0.id = ?", (ticket_id,))


def summaries_by_email(conn: sqlite3.Connection, email: str, limit: int) -> list[dict]:
    """Orders with exactly this e-mail, case ignored (the orders_email index)."""
    return rows(conn, f"SELECT {_SUMMARY} FROM orders o WHERE o.email = ? COLLATE NOCASE"
                      " ORDER BY o.created_at DESC LIMIT ?", (email, limit))


def tickets_for_pickup(conn: sqlite3.Connection, order_id: str) -> list[dict]:
    """An order's tickets with who handed each out and when (operator name, terminal name where known here)."""
    return rows(conn, """
        SELECT t.id, t.section_id, t.row, t.seat, t.ticket_type_id, t.price, t.status, t.picked_up_at,
               t.picked_up_by, t.copies, s.name AS section_name, tt.name AS type_name, op.name AS picked_up_by_name,
               (SELECT coalesce(tm.name, p.terminal_id) FROM pickups p LEFT JOIN terminal tm ON tm.id = p.terminal_id
                 WHERE p.ticket_id = t.id ORDER BY p.at LIMIT 1) AS picked_up_at_terminal
        FROM tickets t
        LEFT JOIN sections s ON s.event_id = t.event_id AND s.id = t.section_id
        LEFT JOIN ticket_types tt ON tt.event_id = t.event_id AND tt.id = t.ticket_type_id
        LEFT JOIN operators op ON op.id = t.picked_up_by
        WHERE t.order_id = ? ORDER BY t.rowid""", (order_id,))


# --- pickups ------------------------------------------------------------------------------------------------


def mark_picked_up(conn: sqlite3.Connection, ticket_id: str, at: str, operator_id: str) -> bool:
    """Take a ticket for handing out; False when it is gone already (another desk was quicker)."""
    cur = conn.execute("UPDATE tickets SET picked_up_at = ?, picked_up_by = ? WHERE id = ? AND status = 'valid'"
                       " AND picked_up_at IS NULL", (at, operator_id, ticket_id))
    return cur.rowcount == 1


def insert_pickups(conn: sqlite3.Connection, entries: list[dict[str, Any]]) -> None:
    conn.executemany("INSERT INTO pickups (id, order_id, ticket_id, at, operator_id, terminal_id)"
                     " VALUES (:id, :order_id, :ticket_id, :at, :operator_id, :terminal_id)", entries)


def pickups_of(conn: sqlite3.Connection, order_id: str) -> list[dict]:
    return rows(conn, "SELECT * FROM pickups WHERE order_id = ? ORDER BY at, rowid", (order_id,))


# --- web orders ---------------------------------------------------------------------------------------------


def existing_orders(conn: sqlite3.Connection, ids: list[str], codes: list[str]) -> dict[str, dict]:
    """Orders already here with any of these ids or codes, keyed by id (id, code, status, notes, event)."""
    found: dict[str, dict] = {}
    for col, values in (("id", ids), ("code", codes)):
        for part in _chunks(values):
            for r in rows(conn, f"SELECT id, code, status, notes, event_id, channel FROM orders"
                                f" WHERE {col} IN ({','.join('?' * len(part))})", tuple(part)):
                found[r["id"]] = r
    return found


def existing_tickets(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict]:
    """Tickets already here with any of these ids: their order, token and place."""
    found: dict[str, dict] = {}
    for part in _chunks(ids):
        for r in rows(conn, f"SELECT id, order_id, token, section_id, row, seat FROM tickets"
                            f" WHERE id IN ({','.join('?' * len(part))})", tuple(part)):
            found[r["id"]] = r
    return found


def seat_states(conn: sqlite3.Connection, event_id: str, section_id: str) -> dict[str, tuple[str, str | None]]:
    """label -> (status, ticket id) for one reserved section."""
    return {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT label, status, ticket_id FROM seats WHERE event_id = ? AND section_id = ?", (event_id, section_id))}


def update_order_state(conn: sqlite3.Connection, order_id: str, status: str, notes: str | None) -> None:
    """A web order paid since the last import, or its notes changed."""
    conn.execute("UPDATE orders SET status = ?, notes = ? WHERE id = ?", (status, notes, order_id))
