"""The SQL of recovering a terminal: its recovery row, the journal as recovery reads and writes it, order numbers,
and the central allocations held at zero meanwhile."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from boxoffice.store.db import one, rows

JOURNAL_COLUMNS = ("seq", "id", "terminal_id", "kind", "operator_id", "at", "payload", "prev_hash", "hash")


# --- the recovery row ---------------------------------------------------------------------------------------


def get(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The recovery in progress, or None (also on a database that predates the table, before its migration)."""
    try:
        row = one(conn, "SELECT * FROM recovery WHERE id = 1")
    except sqlite3.OperationalError:
        return None
    if row is not None:
        for key in ("held", "kept", "missing"):
            row[key] = json.loads(row[key]) if row[key] else None
    return row


def state(conn: sqlite3.Connection) -> tuple[str, str] | None:
    """(state, message) of the recovery in progress, or None: read before every journal entry, so kept light."""
    try:
        row = conn.execute("SELECT state, message FROM recovery WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return None
    return (row[0], row[1]) if row else None


def put(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Start (or replace) the recovery row."""
    conn.execute("DELETE FROM recovery")
    conn.execute(
        "INSERT INTO recovery (id, state, source, since, backup_seq, marks_seq, marks_hash, next_order_seq,"
        " restore_seq, held, kept, missing, message) VALUES (1, :state, :source, :since, :backup_seq, :marks_seq,"
        " :marks_hash, :next_order_seq, :restore_seq, :held, :kept, :missing, :message)",
        {**row, **{k: json.dumps(row[k]) if row.get(k) is not None else None for k in ("held", "kept", "missing")},
         "restore_seq": row.get("restore_seq")})


def clear(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM recovery")


# --- the journal --------------------------------------------------------------------------------------------


def head(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The newest entry (seq, hash), or None for an empty journal."""
    return one(conn, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")


def contiguous_end(conn: sqlite3.Connection) -> int:
    """The last seq S such that entries 1..S are all here (0 when entry 1 is missing)."""
    row = conn.execute("SELECT min(seq) FROM journal j WHERE NOT EXISTS (SELECT 1 FROM journal n WHERE n.seq ="
                       " j.seq + 1)").fetchone()
    first = conn.execute("SELECT min(seq) FROM journal").fetchone()[0]
    return int(row[0]) if row[0] is not None and first == 1 else 0


def entry_at(conn: sqlite3.Connection, seq: int) -> dict[str, Any] | None:
    return one(conn, "SELECT * FROM journal WHERE seq = ?", (seq,))


def entries_from(conn: sqlite3.Connection, first_seq: int) -> list[dict[str, Any]]:
    return rows(conn, "SELECT * FROM journal WHERE seq >= ? ORDER BY seq", (first_seq,))


def ids_between(conn: sqlite3.Connection, first_seq: int, last_seq: int) -> dict[int, str]:
    """seq -> id of the entries here in [first_seq, last_seq]."""
    return {r[0]: r[1] for r in conn.execute("SELECT seq, id FROM journal WHERE seq >= ? AND seq <= ?",
                                             (first_seq, last_seq))}


def insert_entry(conn: sqlite3.Connection, entry: dict[str, Any], pushed_at: str | None) -> None:
    """Write an entry exactly as it was made (its id, seq and hashes), as the central service sent it back."""
    conn.execute(f"INSERT INTO journal ({', '.join(JOURNAL_COLUMNS)}, pushed_at)"
                 f" VALUES ({', '.join('?' * len(JOURNAL_COLUMNS))}, ?)",
                 (*(entry[c] for c in JOURNAL_COLUMNS), pushed_at))


def delete_entries(conn: sqlite3.Connection, seqs: list[int]) -> None:
    conn.executemany("DELETE FROM journal WHERE seq = ?", [(s,) for s in seqs])


def mark_pushed(conn: sqlite3.Connection, seqs: list[int], at: str) -> None:
    conn.executemany("UPDATE journal SET pushed_at = ? WHERE seq = ? AND pushed_at IS NULL", [(at, s) for s in seqs])


def kinds_after(conn: sqlite3.Connection, seq: int) -> dict[str, dict[str, int]]:
    """Entries after ``seq`` by kind: how many, and how many of them the central service has acknowledged."""
    return {r[0]: {"entries": r[1], "pushed": r[2]} for r in conn.execute(
        "SELECT kind, count(*), count(pushed_at) FROM journal WHERE seq > ? GROUP BY kind ORDER BY kind", (seq,))}


def seqs_after(conn: sqlite3.Connection, seq: int, leave_out: tuple[str, ...] = ()) -> list[int]:
    """The numbers of the entries after ``seq``, in order, but those of the kinds ``leave_out``."""
    marks = ", ".join("?" * len(leave_out))
    return [r[0] for r in conn.execute(f"SELECT seq FROM journal WHERE seq > ? AND kind NOT IN ({marks}) ORDER BY seq",
                                       (seq, *leave_out))]


# --- order numbers ------------------------------------------------------------------------------------------


def ever_put_back(conn: sqlite3.Connection) -> bool:
    """Whether the journal holds a restore from an older copy (services/recovery_state.begin writes its source)."""
    return conn.execute("SELECT 1 FROM journal WHERE kind = 'restore' AND json_extract(payload, '$.source') IS NOT"
                        " NULL LIMIT 1").fetchone() is not None


def next_order_seq(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT next_order_seq FROM terminal").fetchone()[0])


def raise_next_order_seq(conn: sqlite3.Connection, at_least: int) -> None:
    """Order numbers go on from ``at_least`` (or where they are, if further)."""
    conn.execute("UPDATE terminal SET next_order_seq = max(next_order_seq, ?)", (at_least,))


def order_holding_code(conn: sqlite3.Connection, code: str) -> dict[str, Any] | None:
    return one(conn, "SELECT id, code, terminal_id, created_at FROM orders WHERE code = ?", (code,))


def rename_order_code(conn: sqlite3.Connection, order_id: str, code: str) -> None:
    conn.execute("UPDATE orders SET code = ? WHERE id = ?", (code, order_id))


# --- central allocations held at zero -----------------------------------------------------------------------


def hold_central_allocations(conn: sqlite3.Connection) -> dict[str, Any]:
    """Take every unsold place of the events the central service governs out of sale here, and return what was
    held (to put back before the recovery replays what the terminal did since the copy)."""
    general = [list(r) for r in conn.execute(
        "SELECT s.event_id, s.id, s.allocated FROM sections s JOIN allocation_events a ON a.event_id = s.event_id"
        " WHERE s.kind = 'general' AND s.allocated > s.sold ORDER BY s.event_id, s.id")]
    seats = [list(r) for r in conn.execute(
        "SELECT x.event_id, x.section_id, x.label FROM seats x JOIN allocation_events a ON a.event_id = x.event_id"
        " WHERE x.allocated = 1 AND x.status = 'free' ORDER BY x.event_id, x.section_id, x.label")]
    conn.execute("UPDATE sections SET allocated = sold WHERE kind = 'general'"
                 " AND event_id IN (SELECT event_id FROM allocation_events)")
    conn.executemany("UPDATE seats SET allocated = 0 WHERE event_id = ? AND section_id = ? AND label = ?", seats)
    return {"general": general, "seats": seats}


def unhold_central_allocations(conn: sqlite3.Connection, held: dict[str, Any]) -> None:
    """Put back what ``hold_central_allocations`` took out."""
    conn.executemany("UPDATE sections SET allocated = max(?, sold) WHERE event_id = ? AND id = ?",
                     [(n, e, s) for e, s, n in held.get("general", [])])
    conn.executemany("UPDATE seats SET allocated = 1 WHERE event_id = ? AND section_id = ? AND label = ?",
                     [tuple(x) for x in held.get("seats", [])])


def keep_sold(conn: sqlite3.Connection, places: dict[str, Any]) -> None:
    """Count places sold by entries lost for good: standing places sold (the allocation grows to hold them if it
    must), seats marked sold to no ticket known here. Never sold again here."""
    conn.executemany("UPDATE sections SET allocated = max(allocated, sold + ?), sold = sold + ? WHERE event_id = ?"
                     " AND id = ? AND kind = 'general'", [(n, n, e, s) for e, s, n in places.get("general", [])])
    conn.executemany("UPDATE seats SET status = 'sold', ticket_id = NULL, allocated = 1 WHERE event_id = ?"
                     " AND section_id = ? AND label = ? AND status <> 'sold'",
                     [tuple(x) for x in places.get("seats", [])])


def unpushed_after(conn: sqlite3.Connection, seq: int) -> list[dict[str, Any]]:
    """Entries after ``seq`` the central service never acknowledged (seq, id, kind, payload, hash), in order."""
    return rows(conn, "SELECT seq, id, kind, payload, hash FROM journal WHERE seq > ? AND pushed_at IS NULL"
                      " ORDER BY seq",
                (seq,))


def holdings(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per section of a central event: places held here and sold here (reserved: seats)."""
    return rows(conn, """
        SELECT s.event_id, s.id AS section_id, s.kind,
          CASE s.kind WHEN 'general' THEN s.allocated
            ELSE (SELECT count(*) FROM seats x WHERE x.event_id = s.event_id AND x.section_id = s.id
                  AND x.allocated = 1) END AS held,
          CASE s.kind WHEN 'general' THEN s.sold
            ELSE (SELECT count(*) FROM seats x WHERE x.event_id = s.event_id AND x.section_id = s.id
                  AND x.status = 'sold') END AS sold
        FROM sections s JOIN allocation_events a ON a.event_id = s.event_id ORDER BY s.event_id, s.position""")
