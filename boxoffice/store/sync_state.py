"""The SQL of sync on the terminal: enrollment, what is left to push, the pull cursor, flags and parked changes."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from boxoffice.store.db import one, rows

JOURNAL_FIELDS = "seq, id, terminal_id, kind, operator_id, at, payload, prev_hash, hash"


def get(conn: sqlite3.Connection) -> dict | None:
    """The sync row, or None when this terminal was never enrolled."""
    return one(conn, "SELECT * FROM sync_state WHERE id = 1")


def enroll(conn: sqlite3.Connection, url: str, token: str, at: str, central_key: dict[str, str],
           insecure: bool = False, ca_bundle: str | None = None) -> None:
    """Store the central URL, this terminal's token and the central service's public key (pinned: what the terminal
    pulls is checked against it), whether plain http to another host was allowed (``insecure``) and the CA bundle
    https is verified with. A different URL starts over: cursor 0, all to push again."""
    old = get(conn)
    pin = (central_key["key_id"], central_key["public_key"], int(insecure), ca_bundle)
    if old is not None and old["central_url"] == url:
        conn.execute("UPDATE sync_state SET token = ?, enrolled_at = ?, last_error = NULL, central_key_id = ?, "
                     "central_public_key = ?, insecure = ?, ca_bundle = ? WHERE id = 1", (token, at, *pin))
        return
    conn.execute("DELETE FROM sync_state")
    conn.execute("INSERT INTO sync_state (id, central_url, token, enrolled_at, central_key_id, central_public_key, "
                 "insecure, ca_bundle) VALUES (1, ?, ?, ?, ?, ?, ?, ?)", (url, token, at, *pin))
    if old is not None:
        conn.execute("UPDATE journal SET pushed_at = NULL WHERE pushed_at IS NOT NULL")


def central_key(conn: sqlite3.Connection) -> dict[str, str] | None:
    """The central service's public key pinned at enrollment ({key_id, public_key}), or None (not enrolled, or
    enrolled by a release that pinned none: such a terminal enrolls again)."""
    row = one(conn, "SELECT central_key_id AS key_id, central_public_key AS public_key FROM sync_state WHERE id = 1")
    return row if row and row["public_key"] else None


# --- push ---------------------------------------------------------------------------------------------------


def pending_count(conn: sqlite3.Connection) -> int:
    """Entries not yet acknowledged by the central service (answered from the partial index)."""
    return conn.execute("SELECT count(*) FROM journal WHERE pushed_at IS NULL").fetchone()[0]


def pending_batch(conn: sqlite3.Connection, after_seq: int, limit: int, upto_seq: int | None = None) -> list[dict]:
    """The next ``limit`` unpushed entries after ``after_seq`` (and up to ``upto_seq``), oldest first (keyset
    paging: flat memory)."""
    if upto_seq is None:
        return rows(conn, f"SELECT {JOURNAL_FIELDS} FROM journal WHERE pushed_at IS NULL AND seq > ?"
                          " ORDER BY seq LIMIT ?", (after_seq, limit))
    return rows(conn, f"SELECT {JOURNAL_FIELDS} FROM journal WHERE pushed_at IS NULL AND seq > ? AND seq <= ?"
                      " ORDER BY seq LIMIT ?", (after_seq, upto_seq, limit))


def last_seq(conn: sqlite3.Connection) -> int:
    """The newest journal entry's number (0 for an empty journal)."""
    return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0])


def mark_pushed(conn: sqlite3.Connection, first_seq: int, last_seq: int, at: str) -> int:
    """Mark entries first..last acknowledged (called only after the central service answered)."""
    return conn.execute("UPDATE journal SET pushed_at = ? WHERE seq >= ? AND seq <= ? AND pushed_at IS NULL",
                        (at, first_seq, last_seq)).rowcount


def oldest_pending_at(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT at FROM journal WHERE pushed_at IS NULL ORDER BY seq LIMIT 1").fetchone()
    return row[0] if row else None


# --- pull ---------------------------------------------------------------------------------------------------


def advance(conn: sqlite3.Connection, cursor: int, head: int, newest_at: str | None, at: str) -> None:
    """Move the cursor (inside the transaction that applied the page, so both land or neither)."""
    conn.execute("UPDATE sync_state SET cursor = ?, head = ?, last_pull_at = ?,"
                 " newest_change_at = coalesce(?, newest_change_at) WHERE id = 1", (cursor, head, at, newest_at))


def record(conn: sqlite3.Connection, **fields: Any) -> None:
    """Set some of last_attempt_at, last_push_at, last_good_sync, last_error."""
    allowed = {"last_attempt_at", "last_push_at", "last_good_sync", "last_error"}
    cols = [k for k in fields if k in allowed]
    if cols:
        conn.execute(f"UPDATE sync_state SET {', '.join(c + ' = ?' for c in cols)} WHERE id = 1",
                     [fields[c] for c in cols])


# --- flags --------------------------------------------------------------------------------------------------


def add_conflict(conn: sqlite3.Connection, c: dict[str, Any], at: str) -> bool:
    """Keep a flag the central service raised; False if it was here already."""
    cur = conn.execute(
        "INSERT INTO sync_conflicts (id, kind, subject, order_id, ticket_id, first_terminal, first_at,"
        " second_terminal, second_at, rule, flagged_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(id) DO NOTHING",
        (c["id"], c["kind"], c["subject"], c.get("order_id"), c.get("ticket_id"), c["first"]["terminal_id"],
         c["first"]["at"], c["second"]["terminal_id"], c["second"]["at"], c["rule"], c["at"], at))
    return cur.rowcount == 1


def conflicts(conn: sqlite3.Connection, unseen_only: bool = False) -> list[dict]:
    sql = ("SELECT c.*, o.code AS order_code FROM sync_conflicts c LEFT JOIN orders o ON o.id = c.order_id"
           + (" WHERE c.seen_at IS NULL" if unseen_only else "") + " ORDER BY c.flagged_at, c.id")
    return rows(conn, sql)


def mark_seen(conn: sqlite3.Connection, ids: list[str], at: str) -> None:
    conn.executemany("UPDATE sync_conflicts SET seen_at = ? WHERE id = ? AND seen_at IS NULL", [(at, i) for i in ids])


def count_unseen(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM sync_conflicts WHERE seen_at IS NULL").fetchone()[0]


# --- peers and parked changes -------------------------------------------------------------------------------


def peer_revoked(conn: sqlite3.Connection, terminal_id: str, name: str, key_id: str, at: str) -> None:
    conn.execute("INSERT INTO sync_peers (terminal_id, name, key_id, revoked_at) VALUES (?, ?, ?, ?)"
                 " ON CONFLICT(terminal_id) DO UPDATE SET name = excluded.name, revoked_at = excluded.revoked_at",
                 (terminal_id, name, key_id, at))


def revoked_peers(conn: sqlite3.Connection) -> list[dict]:
    return rows(conn, "SELECT * FROM sync_peers WHERE revoked_at IS NOT NULL ORDER BY revoked_at")


def name_peers(conn: sqlite3.Connection, named: list[tuple[str, str]]) -> None:
    """Remember (terminal id, name) pairs the central service sent; a revoked peer keeps its revocation."""
    conn.executemany("INSERT INTO sync_peers (terminal_id, name) VALUES (?, ?)"
                     " ON CONFLICT(terminal_id) DO UPDATE SET name = excluded.name", named)


def peer_names(conn: sqlite3.Connection) -> dict[str, str]:
    """The other terminals' names the central service has told this one, by terminal id."""
    return {r[0]: r[1] for r in conn.execute("SELECT terminal_id, name FROM sync_peers WHERE name IS NOT NULL")}


def park(conn: sqlite3.Connection, cursor: int, kind: str, body: dict[str, Any], reason: str, at: str) -> None:
    conn.execute("INSERT INTO sync_parked (cursor, kind, body, reason, parked_at) VALUES (?, ?, ?, ?, ?)"
                 " ON CONFLICT(cursor) DO UPDATE SET reason = excluded.reason",
                 (cursor, kind, json.dumps(body, ensure_ascii=False), reason, at))


def parked(conn: sqlite3.Connection) -> list[dict]:
    out = rows(conn, "SELECT * FROM sync_parked ORDER BY cursor")
    for r in out:
        r["body"] = json.loads(r["body"])
    return out


def unpark(conn: sqlite3.Connection, cursor: int) -> None:
    conn.execute("DELETE FROM sync_parked WHERE cursor = ?", (cursor,))


def parked_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM sync_parked").fetchone()[0]
