"""The journal table: append inside the caller's transaction, read in order."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any


def append(conn: sqlite3.Connection, *, terminal_id: str, kind: str, operator_id: str | None, at: str,
           payload: dict[str, Any], entry_id: str | None = None,
           after: tuple[int, str] | None = None) -> dict[str, Any]:
    """Add one entry after the last, chained to it. Must run inside ``store.db.write`` with the action's changes.

    ``after`` (seq, hash) chains it to an entry that is not here instead: a restore entry follows the last entry
    the terminal is known to have made, which the older copy put back lacks (domain.chain.declared_gap)."""
    from boxoffice.domain.chain import GENESIS, canonical, entry_hash  # hashlib: only when writing
    from boxoffice.domain.ids import uuid7

    if after is not None:
        seq, prev = after[0] + 1, after[1]
    else:
        last = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        seq = (last["seq"] + 1) if last else 1
        prev = last["hash"] if last else GENESIS
    text = canonical(payload)
    eid = entry_id or uuid7()
    h = entry_hash(prev, id=eid, seq=seq, terminal_id=terminal_id, kind=kind, operator_id=operator_id, at=at,
                   payload=text)
    conn.execute(
        "INSERT INTO journal (seq, id, terminal_id, kind, operator_id, at, payload, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, eid, terminal_id, kind, operator_id, at, text, prev, h),
    )
    return {"seq": seq, "id": eid, "hash": h}


def iter_entries(conn: sqlite3.Connection, *, kind: str | None = None, operator_id: str | None = None,
                 since: str | None = None, until: str | None = None, limit: int | None = None) -> Iterator[dict]:
    """Entries in sequence order, optionally filtered."""
    where, params = [], []
    if kind:
        where.append("kind = ?")
        params.append(kind)
    if operator_id:
        where.append("operator_id = ?")
        params.append(operator_id)
    if since:
        where.append("at >= ?")
        params.append(since)
    if until:
        where.append("at < ?")
        params.append(until)
    sql = "SELECT * FROM journal" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
    if limit:
        sql += f" LIMIT {int(limit)}"
    for row in conn.execute(sql, params):
        yield dict(row)


def count(conn: sqlite3.Connection) -> int:
    """How many entries the journal holds."""
    return conn.execute("SELECT count(*) FROM journal").fetchone()[0]
