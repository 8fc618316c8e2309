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
    return Chain(conn, after=after).append(terminal_id=terminal_id, kind=kind, operator_id=operator_id, at=at,
                                         payload=payload, entry_id=entry_id)


def head_and_recovery(conn: sqlite3.Connection) -> tuple[tuple[int, str], tuple[str, str] | None]:
    """The journal's head (seq, hash; (0, GENESIS) when empty) and ``store.recovery.state`` (what gates every
    entry), in one query: both are read before each entry inside its transaction, and :func:`append` takes the
    head as ``after`` instead of reading it again."""
    GENESIS = _hashing()[0]
    try:
        row = conn.execute("SELECT j.seq, j.hash, r.state, r.message FROM (SELECT 1) LEFT JOIN"
                           " (SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1) j"
                           " LEFT JOIN recovery r ON r.id = 1").fetchone()
    except sqlite3.OperationalError:  # a database that predates the recovery table, before its migration
        last = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        return ((last[0], last[1]) if last else (0, GENESIS)), None
    head = (row[0], row[1]) if row[0] is not None else (0, GENESIS)
    return head, ((row[2], row[3]) if row[2] is not None else None)


class Chain:
    """The journal's head read once, then entries appended after it and chained in memory: for many entries in
    one transaction (the door's group of scans), where :func:`append` would read the head again for each.

    Made inside ``store.db.write`` and used only within that transaction, by the only code appending to the journal
    in it: an entry appended meanwhile by :func:`append` would take the next number first, and this one's INSERT
    then fails on the journal's primary key (the transaction rolls back whole; nothing is chained wrongly).
    :meth:`add` keeps entries to write them together (:meth:`flush`); :meth:`append` writes each at once.
    Entries are hashed exactly as ``domain.chain.entry_hash`` does (what ``boxoffice audit verify`` recomputes)."""

    def __init__(self, conn: sqlite3.Connection, after: tuple[int, str] | None = None) -> None:
        GENESIS = _hashing()[0]
        self.conn = conn
        if after is None:
            last = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
            after = (last[0], last[1]) if last else (0, GENESIS)
        self.seq: int = after[0]
        self.hash: str = after[1]
        self._waiting: list[tuple[Any, ...]] = []

    def append(self, *, terminal_id: str, kind: str, operator_id: str | None, at: str, payload: dict[str, Any],
               entry_id: str | None = None) -> dict[str, Any]:
        """Add one entry after the last one this chain wrote (or the head it read): as :func:`append` does."""
        entry = self.add(terminal_id=terminal_id, kind=kind, operator_id=operator_id, at=at, payload=payload,
                         entry_id=entry_id)
        self.flush()
        return entry

    def add(self, *, terminal_id: str, kind: str, operator_id: str | None, at: str, payload: dict[str, Any],
            entry_id: str | None = None) -> dict[str, Any]:
        """Chain one entry in memory; it is written to the journal by the next :meth:`flush` (one statement for
        all those waiting), which must come before the transaction commits or anything reads the journal."""
        _genesis, canonical, entry_hash, uuid7 = _hashing()
        seq, prev = self.seq + 1, self.hash
        text = canonical(payload)
        eid = entry_id or uuid7()
        h = entry_hash(prev, id=eid, seq=seq, terminal_id=terminal_id, kind=kind, operator_id=operator_id, at=at,
                       payload=text)
        self._waiting.append((seq, eid, terminal_id, kind, operator_id, at, text, prev, h))
        self.seq, self.hash = seq, h
        return {"seq": seq, "id": eid, "hash": h}

    def flush(self) -> None:
        """Write the entries chained since the last flush."""
        if self._waiting:
            self.conn.executemany(
                "INSERT INTO journal (seq, id, terminal_id, kind, operator_id, at, payload, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._waiting)
            self._waiting.clear()


def _hashing() -> tuple[str, Any, Any, Any]:
    """domain.chain's GENESIS, canonical and entry_hash and domain.ids.uuid7, imported on the first entry (a command
    that records nothing does without them) and kept: import statements run on every entry cost more than the
    lookups they repeat."""
    global _HASHING
    if _HASHING is None:
        from boxoffice.domain.chain import GENESIS, canonical, entry_hash
        from boxoffice.domain.ids import uuid7

        _HASHING = (GENESIS, canonical, entry_hash, uuid7)
    return _HASHING


_HASHING: tuple[str, Any, Any, Any] | None = None


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
