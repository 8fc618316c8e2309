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
# A join with GROUP BY rather than two correlated subqueries: one pass over the order's tickets (tickets_order).
_SUMMARY = """
    SELECT o.id, o.code, o.event_id, o.channel, o.status, o.customer_name, o.email, o.phone, o.phone_digits,
           o.notes, o.created_at, o.currency, o.total,
           count(t.id) AS tickets, count(t.picked_up_at) AS picked, count(rv.ticket_id) AS revoked
    FROM orders o LEFT JOIN tickets t ON t.order_id = o.id AND t.status = 'valid'
    LEFT JOIN revocations rv ON rv.ticket_id = t.id"""

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


def clear_index(conn: sqlite3.Connection) -> None:
    """Empty the index (rebuilt from the orders table after a VACUUM renumbered rowids)."""
    conn.execute("DELETE FROM order_search")


def reindex_all(conn: sqlite3.Connection) -> int:
    """Write the whole index again from the orders table (the upgrade that added pinyin, migration 0025), in
    batches so a large database is never held in memory at once. Returns how many orders were indexed."""
    from boxoffice.domain.search_text import index_entry

    clear_index(conn)
    last = done = 0
    while True:
        batch = conn.execute(
            "SELECT rowid, id, customer_name, email, phone_digits FROM orders WHERE rowid > ? ORDER BY rowid"
            " LIMIT ?", (last, REINDEX_BATCH)).fetchall()
        if not batch:
            return done
        add_to_index(conn, (index_entry(rowid, oid, name, email, digits) for rowid, oid, name, email, digits in batch))
        last, done = batch[-1][0], done + len(batch)


REINDEX_BATCH = 5000

_MATCH_COLUMNS = {None: "order_search", "phone_rev": "phone_rev"}


def match(conn: sqlite3.Connection, expression: str, cap: int, column: str | None = None) -> list[tuple]:
    """(order id, indexed name text, reversed phone) of up to ``cap`` index entries matching an FTS5 expression.

    Unranked on purpose: bm25 needs each term's document count, which costs a pass over the term's whole doclist,
    more than the match itself; the service ranks the few rows it gets. ``column`` limits the match to one column.
    """
    target = _MATCH_COLUMNS[column]
    return [tuple(r) for r in conn.execute(
        f"SELECT order_id, name, phone_rev FROM order_search WHERE {target} MATCH ? LIMIT ?", (expression, cap))]


def summaries(conn: sqlite3.Connection, order_ids: list[str], event_id: str | None = None) -> dict[str, dict]:
    """Orders with their ticket counts by id (optionally only those of one event), keyed by id."""
    out: dict[str, dict] = {}
    for part in _chunks(order_ids):
        sql = f"{_SUMMARY} WHERE o.id IN ({','.join('?' * len(part))})"
        params: list[Any] = list(part)
        if event_id:
            sql += " AND o.event_id = ?"
            params.append(event_id)
        for r in rows(conn, sql + " GROUP BY o.id", tuple(params)):
            out[r["id"]] = r
    return out


# --- single orders ------------------------------------------------------------------------------------------


def summary_by_code(conn: sqlite3.Connection, code: str) -> dict | None:
    """An order and its ticket counts by its code (the unique index on orders.code)."""
    # Two plain statements cost less than one with a join and GROUP BY: this is the desk's commonest lookup.
    order = one(conn, "SELECT id, code, event_id, channel, status, customer_name, email, phone, phone_digits, notes,"
                      " created_at, currency, total FROM orders WHERE code = ?", (code,))
    if order is not None:
        order["tickets"], order["picked"], order["revoked"] = conn.execute(
            "SELECT count(*), count(picked_up_at), count(rv.ticket_id) FROM tickets t"
            " LEFT JOIN revocations rv ON rv.ticket_id = t.id WHERE t.order_id = ? AND t.status = 'valid'",
            (order["id"],)).fetchone()
    return order


def summary_by_ticket(conn: sqlite3.Connection, ticket_id: str) -> dict | None:
    """The order a ticket belongs to, with its counts, plus the ticket's own token and status."""
    t0 = one(conn, "SELECT order_id, token, status FROM tickets WHERE id = ?", (ticket_id,))
    if t0 is None:
        return None
    found = summaries(conn, [t0["order_id"]]).get(t0["order_id"])
    return found | {"ticket_token": t0["token"], "ticket_status": t0["status"]} if found else None


def summaries_by_email(conn: sqlite3.Connection, email: str, limit: int) -> list[dict]:
    """Orders with exactly this e-mail, case ignored (the orders_email index)."""
    return rows(conn, f"{_SUMMARY} WHERE o.email = ? COLLATE NOCASE GROUP BY o.id"
                      " ORDER BY o.created_at DESC LIMIT ?", (email, limit))


def summaries_by_shop_ref(conn: sqlite3.Connection, shop_ref: str, limit: int) -> list[dict]:
    """Web orders whose shop reference (a pretix order code) is exactly this, case ignored (orders_shop_ref)."""
    return rows(conn, f"{_SUMMARY} WHERE o.shop_ref = ? COLLATE NOCASE GROUP BY o.id"
                      " ORDER BY o.created_at DESC LIMIT ?", (shop_ref, limit))


def ticket_by_external_secret(conn: sqlite3.Connection, secret: str) -> str | None:
    """The id of the ticket whose shop secret (a pretix ticket's QR) is exactly this (tickets_external_secret)."""
    row = conn.execute("SELECT id FROM tickets WHERE external_secret = ? ORDER BY rowid DESC LIMIT 1",
                       (secret,)).fetchone()
    return row[0] if row else None


def tickets_for_pickup(conn: sqlite3.Connection, order_id: str) -> list[dict]:
    """An order's tickets with who handed each out and when (operator name, terminal name where known here)."""
    return rows(conn, """
        SELECT t.id, t.section_id, t.row, t.seat, t.ticket_type_id, t.price, t.status, t.picked_up_at,
               t.picked_up_by, t.copies, EXISTS (SELECT 1 FROM revocations rv WHERE rv.ticket_id = t.id) AS revoked,
               s.name AS section_name, tt.name AS type_name, op.name AS picked_up_by_name,
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


def mark_paid(conn: sqlite3.Connection, order_id: str) -> bool:
    """An unpaid order paid at the desk; False when it was not unpaid any more (another desk was first)."""
    return conn.execute("UPDATE orders SET status = 'paid' WHERE id = ? AND status = 'unpaid'",
                        (order_id,)).rowcount == 1
