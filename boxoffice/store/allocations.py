"""The terminal's side of allocations: grants applied once by id, and what it holds per section."""

from __future__ import annotations

import json
import sqlite3
from typing import Any


def applied(conn: sqlite3.Connection, grant_id: str) -> bool:
    return conn.execute("SELECT 1 FROM allocation_grants WHERE id = ?", (grant_id,)).fetchone() is not None


def last_pos(conn: sqlite3.Connection) -> int:
    """The position of the newest grant or stop applied here: the next pull asks for what comes after it."""
    return int(conn.execute("SELECT MAX(COALESCE((SELECT MAX(pos) FROM allocation_grants), 0),"
                            " COALESCE((SELECT MAX(pos) FROM allocation_stops), 0))").fetchone()[0])


def event_known(conn: sqlite3.Connection, event_id: str) -> bool:
    return conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is not None


def governed(conn: sqlite3.Connection, event_id: str) -> bool:
    return conn.execute("SELECT 1 FROM allocation_events WHERE event_id = ?", (event_id,)).fetchone() is not None


def take_over(conn: sqlite3.Connection, event_id: str, at: str) -> None:
    """From the first grant on, the event's places here are what was sold here plus what is granted: the rest
    belongs to the central service. This terminal no longer owns any event's inventory outright."""
    conn.execute("UPDATE sections SET allocated = sold WHERE event_id = ?", (event_id,))
    conn.execute("UPDATE seats SET allocated = 0 WHERE event_id = ? AND status <> 'sold'", (event_id,))
    conn.execute("INSERT INTO allocation_events (event_id, since) VALUES (?, ?)", (event_id, at))
    conn.execute("UPDATE terminal SET owns_inventory = 0")


def record_grant(conn: sqlite3.Connection, grant: dict[str, Any], at: str) -> None:
    conn.execute("INSERT INTO allocation_grants (id, pos, event_id, section_id, count, seats, applied_at)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)", (grant["id"], grant["pos"], grant["event_id"], grant["section_id"],
                                                   grant["count"], json.dumps(grant["seats"]), at))


def add_general(conn: sqlite3.Connection, event_id: str, section_id: str, n: int) -> bool:
    cur = conn.execute("UPDATE sections SET allocated = allocated + ? WHERE event_id = ? AND id = ?"
                       " AND kind = 'general'", (n, event_id, section_id))
    return cur.rowcount == 1


def add_seats(conn: sqlite3.Connection, event_id: str, section_id: str, labels: list[str]) -> int:
    cur = conn.executemany("UPDATE seats SET allocated = 1 WHERE event_id = ? AND section_id = ? AND label = ?",
                           [(event_id, section_id, s) for s in labels])
    return cur.rowcount


def unhold_seats(conn: sqlite3.Connection, event_id: str, section_id: str, labels: list[str]) -> None:
    """Seats the catalogue holds back, released to this terminal by the central service: free to sell here."""
    conn.executemany("UPDATE seats SET status = 'free' WHERE event_id = ? AND section_id = ? AND label = ?"
                     " AND status = 'held'", [(event_id, section_id, s) for s in labels])


def section_row(conn: sqlite3.Connection, event_id: str, section_id: str) -> dict[str, Any] | None:
    r = conn.execute("SELECT kind, capacity, allocated, sold FROM sections WHERE event_id = ? AND id = ?",
                     (event_id, section_id)).fetchone()
    return None if r is None else {"kind": r[0], "capacity": r[1], "allocated": r[2], "sold": r[3]}


def release_general(conn: sqlite3.Connection, event_id: str, section_id: str, n: int) -> bool:
    """Take ``n`` unsold places out of the allocation; False (nothing changed) when fewer are unsold."""
    cur = conn.execute("UPDATE sections SET allocated = allocated - ? WHERE event_id = ? AND id = ?"
                       " AND kind = 'general' AND allocated - sold >= ?", (n, event_id, section_id, n))
    return cur.rowcount == 1


def releasable_seats(conn: sqlite3.Connection, event_id: str, section_id: str, labels: list[str]) -> list[str]:
    """Of ``labels``, the seats held here and still free (a sold or held seat stays)."""
    marks = ", ".join("?" * len(labels))
    return [r[0] for r in conn.execute(
        f"SELECT label FROM seats WHERE event_id = ? AND section_id = ? AND label IN ({marks})"
        " AND allocated = 1 AND status = 'free'", (event_id, section_id, *labels))]


def release_seats(conn: sqlite3.Connection, event_id: str, section_id: str, labels: list[str]) -> None:
    conn.executemany("UPDATE seats SET allocated = 0 WHERE event_id = ? AND section_id = ? AND label = ?",
                     [(event_id, section_id, s) for s in labels])


def holdings(conn: sqlite3.Connection, event_id: str | None = None) -> list[dict[str, Any]]:
    """Per section: what this terminal holds and how much of it is sold (reserved: seats held and sold)."""
    rows = conn.execute(
        "SELECT s.event_id, s.id, s.name, s.kind, s.capacity,"
        " CASE s.kind WHEN 'general' THEN s.allocated ELSE (SELECT COUNT(*) FROM seats x WHERE x.event_id ="
        " s.event_id AND x.section_id = s.id AND x.allocated = 1) END AS held,"
        " CASE s.kind WHEN 'general' THEN s.sold ELSE (SELECT COUNT(*) FROM seats x WHERE x.event_id = s.event_id"
        " AND x.section_id = s.id AND x.allocated = 1 AND x.status = 'sold') END AS sold,"
        " EXISTS (SELECT 1 FROM allocation_events a WHERE a.event_id = s.event_id) AS central"
        " FROM sections s WHERE (? IS NULL OR s.event_id = ?) ORDER BY s.event_id, s.position",
        (event_id, event_id)).fetchall()
    return [{"event_id": r[0], "section_id": r[1], "name": r[2], "kind": r[3], "capacity": r[4], "held": r[5],
             "sold": r[6], "left": r[5] - r[6], "granted_by_central": bool(r[7])} for r in rows]


# -- what the central service governs here ----------------------------------------------------------------------

def govern(conn: sqlite3.Connection, event_id: str, at: str) -> bool:
    """Mark an event's inventory as the central service's (take_over when it was this terminal's); False if it
    was already."""
    if governed(conn, event_id):
        return False
    take_over(conn, event_id, at)
    return True


def snapshot(conn: sqlite3.Connection, event_id: str) -> dict[str, Any]:
    """What this terminal holds of an event, to put back after the event's rows are rewritten (a re-published
    catalogue of an event with no sales here yet must not lose the places granted for it)."""
    return {"general": dict(conn.execute("SELECT id, allocated FROM sections WHERE event_id = ? AND kind = 'general'",
                                         (event_id,)).fetchall()),
            "seats": [tuple(r) for r in conn.execute("SELECT section_id, label, status FROM seats WHERE event_id = ?"
                                                     " AND allocated = 1", (event_id,))]}


def restore(conn: sqlite3.Connection, event_id: str, held: dict[str, Any]) -> None:
    """Put back what ``snapshot`` took; a seat that was sellable here stays so even where the new catalogue holds
    it back (a house seat the central service released to this terminal)."""
    conn.executemany("UPDATE sections SET allocated = MIN(?, capacity) WHERE event_id = ? AND id = ?",
                     [(n, event_id, sid) for sid, n in held["general"].items()])
    conn.executemany("UPDATE seats SET allocated = 1, status = CASE WHEN ? = 'free' AND status = 'held' THEN 'free'"
                     " ELSE status END WHERE event_id = ? AND section_id = ? AND label = ?",
                     [(status, event_id, sid, label) for sid, label, status in held["seats"]])


def governed_events(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT a.event_id FROM allocation_events a JOIN events e ON e.id = a.event_id"
                                       " ORDER BY a.event_id")]


def unsold(conn: sqlite3.Connection, event_id: str) -> list[dict[str, Any]]:
    """Per section of an event: its kind and how many places held here are unsold and sellable."""
    return [{"section_id": r[0], "kind": r[1], "unsold": r[2]} for r in conn.execute(
        "SELECT s.id, s.kind, CASE s.kind WHEN 'general' THEN s.allocated - s.sold ELSE (SELECT COUNT(*) FROM seats x"
        " WHERE x.event_id = s.event_id AND x.section_id = s.id AND x.allocated = 1 AND x.status = 'free') END"
        " FROM sections s WHERE s.event_id = ? ORDER BY s.position", (event_id,))]


# -- top-up requests --------------------------------------------------------------------------------------------

def open_request(conn: sqlite3.Connection, event_id: str, section_id: str) -> dict[str, Any] | None:
    """The request for this section sent and not answered yet: it goes again with the same id."""
    r = conn.execute("SELECT id, count FROM allocation_requests WHERE event_id = ? AND section_id = ?"
                     " AND answered_at IS NULL ORDER BY asked_at LIMIT 1", (event_id, section_id)).fetchone()
    return None if r is None else {"id": r[0], "count": r[1]}


def last_answer(conn: sqlite3.Connection, event_id: str, section_id: str) -> dict[str, Any] | None:
    r = conn.execute("SELECT answered_at, granted FROM allocation_requests WHERE event_id = ? AND section_id = ?"
                     " AND answered_at IS NOT NULL ORDER BY answered_at DESC LIMIT 1",
                     (event_id, section_id)).fetchone()
    return None if r is None else {"answered_at": r[0], "granted": r[1]}


def add_request(conn: sqlite3.Connection, request_id: str, event_id: str, section_id: str, count: int,
                at: str) -> None:
    conn.execute("INSERT INTO allocation_requests (id, event_id, section_id, count, asked_at) VALUES (?, ?, ?, ?, ?)",
                 (request_id, event_id, section_id, count, at))


def answer_request(conn: sqlite3.Connection, request_id: str, granted: int, reason: str | None, at: str) -> None:
    conn.execute("UPDATE allocation_requests SET answered_at = ?, granted = ?, reason = ? WHERE id = ?",
                 (at, granted, reason, request_id))


# -- recalls and write-offs -------------------------------------------------------------------------------------

def stop_applied(conn: sqlite3.Connection, stop_id: str) -> bool:
    return conn.execute("SELECT 1 FROM allocation_stops WHERE id = ?", (stop_id,)).fetchone() is not None


def take_out_unsold(conn: sqlite3.Connection, event_id: str, section_id: str) -> tuple[int, list[str]]:
    """Every unsold place of a section's allocation out of it: (standing places, seats) taken."""
    r = conn.execute("SELECT allocated - sold FROM sections WHERE event_id = ? AND id = ? AND kind = 'general'",
                     (event_id, section_id)).fetchone()
    if r is not None:
        conn.execute("UPDATE sections SET allocated = sold WHERE event_id = ? AND id = ?", (event_id, section_id))
        return int(r[0]), []
    labels = [x[0] for x in conn.execute("SELECT label FROM seats WHERE event_id = ? AND section_id = ?"
                                         " AND allocated = 1 AND status <> 'sold' ORDER BY row_index, seat_index",
                                         (event_id, section_id))]
    release_seats(conn, event_id, section_id, labels)
    return len(labels), labels


def record_stop(conn: sqlite3.Connection, stop: dict[str, Any], took: int, seats: list[str], entry_id: str | None,
                at: str) -> None:
    conn.execute("INSERT INTO allocation_stops (id, pos, kind, event_id, section_id, reason, by_name, at, applied_at,"
                 " took, seats, entry_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (stop["id"], stop["pos"], stop["kind"], stop["event_id"], stop["section_id"], stop["reason"],
                  stop["by"], stop["at"], at, took, json.dumps(seats), entry_id))


def open_stop(conn: sqlite3.Connection, event_id: str, section_id: str) -> dict[str, Any] | None:
    """The recall or write-off that stops this section's sales here, if one is in force."""
    r = conn.execute("SELECT kind, reason, by_name, at FROM allocation_stops WHERE event_id = ? AND section_id = ?"
                     " AND lifted_at IS NULL ORDER BY pos DESC LIMIT 1", (event_id, section_id)).fetchone()
    return None if r is None else {"kind": r[0], "reason": r[1], "by": r[2], "at": r[3]}


def stop_and_governed(conn: sqlite3.Connection, event_id: str, section_id: str) -> tuple[dict[str, Any] | None, bool]:
    """:func:`open_stop` and :func:`governed` in one query: a sale asks both before it takes places."""
    r = conn.execute("SELECT s.found, s.kind, s.reason, s.by_name, s.at,"
                     " EXISTS (SELECT 1 FROM allocation_events WHERE event_id = ?1) FROM (SELECT 1) LEFT JOIN"
                     " (SELECT 1 AS found, kind, reason, by_name, at FROM allocation_stops WHERE event_id = ?1"
                     " AND section_id = ?2 AND lifted_at IS NULL ORDER BY pos DESC LIMIT 1) s",
                     (event_id, section_id)).fetchone()
    stop = None if r[0] is None else {"kind": r[1], "reason": r[2], "by": r[3], "at": r[4]}
    return stop, bool(r[5])


def lift_stops(conn: sqlite3.Connection, event_id: str, section_id: str, at: str) -> None:
    conn.execute("UPDATE allocation_stops SET lifted_at = ? WHERE event_id = ? AND section_id = ?"
                 " AND lifted_at IS NULL", (at, event_id, section_id))
