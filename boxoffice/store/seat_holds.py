"""The SQL of seats held in a counter's basket (schema_0022_seat_holds.sql); the rules are services/seat_holds.py.

Times are the ISO text ``Ctx.now_iso`` writes (fixed width, UTC), so comparing them as text compares the moments.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from boxoffice.store.db import rows


def purge_expired(conn: sqlite3.Connection, now: str) -> int:
    """Delete every hold whose time is up; return how many."""
    return conn.execute("DELETE FROM seat_holds WHERE expires_at <= ?", (now,)).rowcount


def holders(conn: sqlite3.Connection, event_id: str, section_id: str, now: str) -> dict[str, str]:
    """Each seat of a section held now, and the basket holding it."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT label, basket_id FROM seat_holds WHERE event_id = ? AND section_id = ? AND expires_at > ?",
        (event_id, section_id, now))}


def take(conn: sqlite3.Connection, event_id: str, section_id: str, label: str, basket_id: str,
         operator_id: str | None, now: str, expires_at: str) -> bool:
    """Hold one seat for ``basket_id``: True when it is now this basket's (new, already its own, or an expired
    hold taken over), False when another basket holds it."""
    cur = conn.execute(
        "INSERT INTO seat_holds (event_id, section_id, label, basket_id, operator_id, held_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (event_id, section_id, label) DO UPDATE SET basket_id = excluded.basket_id,"
        " operator_id = excluded.operator_id, held_at = excluded.held_at, expires_at = excluded.expires_at"
        " WHERE seat_holds.basket_id = excluded.basket_id OR seat_holds.expires_at <= ?",
        (event_id, section_id, label, basket_id, operator_id, now, expires_at, now))
    return cur.rowcount == 1


def extend(conn: sqlite3.Connection, basket_id: str, now: str, expires_at: str) -> None:
    """Move every live hold of a basket to the new expiry (the customer is still deciding)."""
    conn.execute("UPDATE seat_holds SET expires_at = ? WHERE basket_id = ? AND expires_at > ?",
                 (expires_at, basket_id, now))


def of_basket(conn: sqlite3.Connection, basket_id: str, now: str) -> list[dict]:
    """A basket's live holds, in the order they were made."""
    return rows(conn, "SELECT event_id, section_id, label, basket_id, held_at, expires_at FROM seat_holds"
                      " WHERE basket_id = ? AND expires_at > ? ORDER BY held_at, rowid", (basket_id, now))


def drop(conn: sqlite3.Connection, basket_id: str, labels: Iterable[str] | None = None,
         event_id: str | None = None, section_id: str | None = None) -> int:
    """Release a basket's holds: all of them, or only ``labels`` (of one event and section when given)."""
    sql = "DELETE FROM seat_holds WHERE basket_id = ?"
    args: list[object] = [basket_id]
    if event_id is not None:
        sql += " AND event_id = ?"
        args.append(event_id)
    if section_id is not None:
        sql += " AND section_id = ?"
        args.append(section_id)
    if labels is not None:
        wanted = list(labels)
        if not wanted:
            return 0
        sql += f" AND label IN ({', '.join('?' * len(wanted))})"
        args += wanted
    return conn.execute(sql, args).rowcount


def drop_seats(conn: sqlite3.Connection, event_id: str, section_id: str, labels: Iterable[str]) -> int:
    """Forget the holds on seats just sold, whoever held them (a sold seat needs no hold)."""
    wanted = list(labels)
    if not wanted:
        return 0
    return conn.execute(f"DELETE FROM seat_holds WHERE event_id = ? AND section_id = ?"
                        f" AND label IN ({', '.join('?' * len(wanted))})", (event_id, section_id, *wanted)).rowcount
