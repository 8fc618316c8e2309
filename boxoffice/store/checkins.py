"""The SQL of the door: what a scan needs to know about a ticket, recording a scan once, and the counts.

A scan is on the hot path of a queue at the doors, so what it reads is one statement on primary keys and the
checkins_ticket index, and what it writes is one row.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from boxoffice.store.db import one


def ticket_state(conn: sqlite3.Connection, ticket_id: str) -> dict[str, Any]:
    """Everything the door checks after the signature, in one statement.

    revoked: on the revocation list; token/status/order_status: the ticket as this terminal knows it (None when the
    ticket is not here, e.g. a web ticket not imported yet); code_twin: another order carries the same printed code
    as CODE~ID (domain.codes.reused_code; a code holding "~" is itself such a copy): one probe of the unique index
    on codes; last_*: the ticket's latest admitted scan, by its id or, for a pretix ticket, by its pretix secret (a
    scan made before its order synced here has only the secret).
    """
    row = conn.execute("""
        SELECT EXISTS (SELECT 1 FROM revocations WHERE ticket_id = :t) AS revoked,
               t.token, t.status, t.ticket_type_id, o.status AS order_status, o.code AS order_code,
               EXISTS (SELECT 1 FROM orders s WHERE s.code > o.code || '~' AND s.code < o.code || char(127))
                   AS code_twin,
               l.direction AS last_direction, l.at AS last_at, l.terminal_id AS last_terminal
        FROM (SELECT 1)
        LEFT JOIN tickets t ON t.id = :t
        LEFT JOIN orders o ON o.id = t.order_id
        LEFT JOIN (SELECT direction, at, terminal_id FROM checkins
                   WHERE result = 'admitted' AND (ticket_id = :t OR external_secret =
                         (SELECT external_secret FROM tickets WHERE id = :t))
                   ORDER BY at DESC, rowid DESC LIMIT 1) l""",
                       {"t": ticket_id}).fetchone()
    return dict(row)


def insert(conn: sqlite3.Connection, checkin: dict[str, Any]) -> bool:
    """Record a scan unless its nonce is here already; True when this call recorded it."""
    cur = conn.execute(
        "INSERT INTO checkins (id, ticket_id, event_id, direction, at, operator_id, terminal_id, result,"
        " external_secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        (checkin["id"], checkin["ticket_id"], checkin["event_id"], checkin["direction"], checkin["at"],
         checkin["operator_id"], checkin["terminal_id"], checkin["result"], checkin.get("external_secret")))
    return cur.rowcount == 1


def ticket_by_secret(conn: sqlite3.Connection, secret: str) -> dict | None:
    """The ticket a pretix secret belongs to (a pretix web order synced here), or None."""
    return one(conn, "SELECT id, token, event_id FROM tickets WHERE external_secret = ? ORDER BY id LIMIT 1",
               (secret,))


def secret_revoked(conn: sqlite3.Connection, secret: str) -> bool:
    """Is this pretix secret on the revoked list (of any event)?"""
    return conn.execute("SELECT 1 FROM revoked_external_secrets WHERE secret = ? LIMIT 1",
                        (secret,)).fetchone() is not None


def last_by_secret(conn: sqlite3.Connection, secret: str) -> dict | None:
    """The latest admitted scan of a pretix secret (direction, at, terminal_id), or None."""
    return one(conn, "SELECT direction, at, terminal_id FROM checkins WHERE external_secret = ?"
                     " AND result = 'admitted' ORDER BY at DESC, rowid DESC LIMIT 1", (secret,))


def by_nonce(conn: sqlite3.Connection, nonce: str) -> dict | None:
    return one(conn, "SELECT * FROM checkins WHERE id = ?", (nonce,))


def stats(conn: sqlite3.Connection, event_id: str) -> dict[str, int]:
    """In now (latest admitted scan is an entry), tickets ever admitted, entries, exits, refusals, tickets here."""
    counts = dict.fromkeys(("entries", "exits", "refused"), 0)
    for result, direction, n in conn.execute(
            "SELECT result, direction, count(*) FROM checkins WHERE event_id = ? GROUP BY result, direction",
            (event_id,)):
        if result != "admitted":
            counts["refused"] += n
        elif direction == "in":
            counts["entries"] += n
        else:
            counts["exits"] += n
    # SQLite's bare-column rule: with max(at), direction comes from the ticket's latest admitted scan. A pretix
    # ticket admitted before its order synced has no ticket id here: its secret stands for it.
    in_now, ever = conn.execute("""
        SELECT coalesce(sum(direction = 'in'), 0), count(*) FROM (
            SELECT ticket_id, direction, max(at) FROM checkins
            WHERE event_id = ? AND result = 'admitted'
            GROUP BY coalesce(ticket_id, 'secret:' || external_secret))""", (event_id,)).fetchone()
    issued = conn.execute("SELECT count(*) FROM tickets WHERE event_id = ? AND status = 'valid'",
                          (event_id,)).fetchone()[0]
    return counts | {"in_now": in_now, "checked_in": ever, "tickets_here": issued}
