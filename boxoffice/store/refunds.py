"""Refunds and exchanges: their rows, the tickets they concern, and what each payment has had back already."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from boxoffice.store.db import one, rows


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    cols = list(row)
    conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})", row)


def insert_refund(conn: sqlite3.Connection, refund: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """A refund and its tickets. A ticket refunded before violates refund_items' UNIQUE: the caller rolls back."""
    _insert(conn, "refunds", refund)
    conn.executemany("INSERT INTO refund_items (refund_id, ticket_id, price, fee, amount) VALUES (?, ?, ?, ?, ?)",
                     [(refund["id"], i["ticket_id"], i["price"], i["fee"], i["amount"]) for i in items])


def insert_exchange(conn: sqlite3.Connection, exchange: dict[str, Any], ticket_ids: list[str]) -> None:
    _insert(conn, "exchanges", exchange)
    conn.executemany("INSERT INTO exchange_items (exchange_id, ticket_id) VALUES (?, ?)",
                     [(exchange["id"], t) for t in ticket_ids])


def retire_tickets(conn: sqlite3.Connection, ticket_ids: list[str], status: str) -> int:
    """Mark valid tickets refunded or exchanged; returns how many changed (fewer: one was taken meanwhile)."""
    changed = 0
    for tid in ticket_ids:
        changed += conn.execute("UPDATE tickets SET status = ? WHERE id = ? AND status = 'valid'",
                                (status, tid)).rowcount
    return changed


def set_order_status(conn: sqlite3.Connection, order_id: str, status: str) -> None:
    conn.execute("UPDATE orders SET status = ? WHERE id = ?", (status, order_id))


def seat_holder(conn: sqlite3.Connection, event_id: str, section_id: str, label: str) -> str | None:
    """The ticket that holds a sold seat on this terminal, if any."""
    r = conn.execute("SELECT ticket_id FROM seats WHERE event_id = ? AND section_id = ? AND label = ?"
                     " AND status = 'sold'", (event_id, section_id, label)).fetchone()
    return r[0] if r else None


def given_back(conn: sqlite3.Connection, order_id: str) -> int:
    """The money paid back so far on an order and on every order exchanges link it to, earlier or later (their
    refund payments: refunds, and cheaper exchanges' differences): one purchase, however often its tickets were
    exchanged."""
    seen, todo = {order_id}, [order_id]
    while todo:
        oid = todo.pop()
        for pair in conn.execute("SELECT from_order_id, to_order_id FROM exchanges WHERE from_order_id = ?"
                                 " OR to_order_id = ?", (oid, oid)):
            for linked in pair:
                if linked not in seen:
                    seen.add(linked)
                    todo.append(linked)
    marks = ", ".join("?" * len(seen))
    r = conn.execute(f"SELECT coalesce(sum(amount), 0) FROM payments WHERE kind = 'refund' AND order_id IN ({marks})",
                     tuple(seen)).fetchone()
    return int(r[0])


def refunded_against(conn: sqlite3.Connection, payment_ids: Iterable[str]) -> dict[str, int]:
    """For each payment, the money already given back against it (refund rows name it in ``reference``)."""
    ids = list(payment_ids)
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    got = {r[0]: r[1] for r in conn.execute(
        f"SELECT reference, sum(amount) FROM payments WHERE kind = 'refund' AND reference IN ({marks})"
        " GROUP BY reference", ids)}
    return {pid: got.get(pid, 0) for pid in ids}


def exchanged_from(conn: sqlite3.Connection, order_id: str) -> str | None:
    """The order whose tickets were exchanged into ``order_id`` (its credit came from there), if any."""
    r = conn.execute("SELECT from_order_id FROM exchanges WHERE to_order_id = ?", (order_id,)).fetchone()
    return r[0] if r else None


def moved_into(conn: sqlite3.Connection, order_id: str) -> dict | None:
    """The exchange that made ``order_id`` (its tickets came from another order): that order's id and event, when
    (``at``) and which overrides a supervisor approved (``override_why``); None for an order no exchange made."""
    return one(conn, "SELECT x.from_order_id, x.at, x.override_why, o.event_id FROM exchanges x"
                     " JOIN orders o ON o.id = x.from_order_id WHERE x.to_order_id = ?", (order_id,))


def exchange_of_ticket(conn: sqlite3.Connection, ticket_id: str) -> dict | None:
    """The exchange that took an old ticket, with the code of the order it became."""
    return one(conn, "SELECT x.*, o.code AS to_code FROM exchange_items i JOIN exchanges x ON x.id = i.exchange_id"
                     " JOIN orders o ON o.id = x.to_order_id WHERE i.ticket_id = ?", (ticket_id,))


def refund_of_ticket(conn: sqlite3.Connection, ticket_id: str) -> dict | None:
    return one(conn, "SELECT r.* FROM refund_items i JOIN refunds r ON r.id = i.refund_id WHERE i.ticket_id = ?",
               (ticket_id,))


def get_refund(conn: sqlite3.Connection, refund_id: str) -> dict | None:
    return one(conn, "SELECT * FROM refunds WHERE id = ?", (refund_id,))


def refund_items(conn: sqlite3.Connection, refund_id: str) -> list[dict]:
    """A refund's tickets with their type and place (the section's name, for the receipt), in the order sold."""
    return rows(conn, "SELECT i.*, t.section_id, s.name AS section_name, t.row, t.seat, t.ticket_type_id,"
                      " tt.name AS type_name FROM refund_items i JOIN tickets t ON t.id = i.ticket_id"
                      " LEFT JOIN ticket_types tt ON tt.event_id = t.event_id AND tt.id = t.ticket_type_id"
                      " LEFT JOIN sections s ON s.event_id = t.event_id AND s.id = t.section_id"
                      " WHERE i.refund_id = ? ORDER BY t.rowid", (refund_id,))


# The records every one of which a journal entry holds a copy of (services.audit.reconcile): box-office orders,
# every payment (web orders arrive by import, with their own record, but money taken for one at the desk is this
# terminal's: its order.paid entry holds the rows), refunds, exchanges, shifts, cash movements.
_AUDITED = {
    # Orders this terminal sold: those another terminal sold arrive by sync, recorded in that terminal's journal.
    "orders": "SELECT * FROM orders WHERE channel = 'box_office'"
              " AND (terminal_id IS NULL OR terminal_id = (SELECT id FROM terminal)) ORDER BY rowid",
    # Every row: only this terminal's own actions write payments (a sale, a desk payment, an exchange, a refund;
    # other terminals' payments never come here), so each has a copy in this journal.
    "payments": "SELECT * FROM payments ORDER BY rowid",
    "refunds": "SELECT * FROM refunds ORDER BY rowid",
    "exchanges": "SELECT * FROM exchanges ORDER BY rowid",
    "shifts": "SELECT * FROM shifts ORDER BY rowid",
    "cash_movements": "SELECT * FROM cash_movements ORDER BY rowid",
}


def money_records(conn: sqlite3.Connection, tables: Iterable[str]) -> dict[str, list[dict]]:
    """The audited records of the named tables, each in the order they were written."""
    return {t: rows(conn, _AUDITED[t]) for t in tables}


# What came in for an order: its payments (any tender), the credit an exchange brought into it, the central
# service's total for an order with neither (a web order, or one another terminal sold), and what its tickets say.
_TAKINGS = (
    "SELECT o.id, o.code, o.total, o.channel, o.terminal_id,"
    " (SELECT count(*) FROM payments p WHERE p.order_id = o.id AND p.kind = 'payment') AS tenders,"
    " (SELECT coalesce(sum(p.amount), 0) FROM payments p WHERE p.order_id = o.id AND p.kind = 'payment') AS paid,"
    " (SELECT count(*) FROM exchanges e WHERE e.to_order_id = o.id) AS exchanges,"
    " (SELECT coalesce(sum(min(e.credit, e.new_total)), 0) FROM exchanges e WHERE e.to_order_id = o.id) AS credit,"
    " (SELECT coalesce(sum(t.price), 0) FROM tickets t WHERE t.order_id = o.id"
    "  AND t.id NOT IN (SELECT old_ticket_id FROM holder_changes)) AS priced"
    " FROM orders o"
)


def takings(conn: sqlite3.Connection, order_id: str | None = None) -> list[dict]:
    """For one order (or every order): tenders taken, exchange credit, total and the sum of its ticket prices."""
    if order_id is None:
        return rows(conn, _TAKINGS + " WHERE o.status != 'unpaid' ORDER BY o.rowid")
    return rows(conn, _TAKINGS + " WHERE o.id = ?", (order_id,))


def ticket_prices(conn: sqlite3.Connection, order_id: str) -> list[dict]:
    """Every ticket the order ever held (refunded and exchanged too) with its stored price, in the order sold; a
    ticket replaced by a holder change is left out (its replacement, same price, holds its share)."""
    return rows(conn, "SELECT id, price FROM tickets WHERE order_id = ? AND id NOT IN"
                      " (SELECT old_ticket_id FROM holder_changes) ORDER BY rowid", (order_id,))
