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
    from boxoffice.domain.chain import GENESIS

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
        from boxoffice.domain.chain import GENESIS

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
        from boxoffice.domain.ids import uuid7

        seq, prev = self.seq + 1, self.hash
        text = canonical_text(payload)
        eid = entry_id or uuid7()
        h = hash_entry(prev, eid, seq, terminal_id, kind, operator_id, at, text)
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


def _orjson() -> Any:
    """The orjson module, or None where it is not installed (a dependency, but a sale must not fail for its lack:
    ``domain.chain`` writes the same text). Imported here, not at the top: a command that writes nothing never
    loads it."""
    try:
        import orjson
    except ImportError:
        return None
    return orjson


_FLAT = frozenset((str, int, bool, type(None)))  # values orjson writes exactly as json.dumps does (canonical_text)


def _exact(value: Any) -> bool:
    """True when ``value`` (a dict or a list) holds, at any depth, only dicts, lists, strings, integers, booleans
    and nulls of exactly those types: what orjson writes as json.dumps does. A float (orjson writes 1e16 where
    json.dumps writes 1e+16, and null for NaN), a tuple or a subclass is not."""
    for v in (value.values() if type(value) is dict else value):
        t = type(v)
        if t in _FLAT:
            continue
        if (t is not dict and t is not list) or not _exact(v):
            return False
    return True


def canonical_text(payload: dict[str, Any]) -> str:
    """``domain.chain.canonical(payload)``, the same text, written by orjson when the payload holds, nested or not,
    only strings, integers, booleans, nulls, dicts and lists (orjson writes those, and sorts the keys of every
    dict, exactly as json.dumps(sort_keys=True, ensure_ascii=False) does: tests/test_journal_chain.py compares every
    code point and nested payloads); anything else (a float, a lone surrogate, an integer past 64 bits, a key that
    is not a string) goes through ``canonical`` itself."""
    from boxoffice.domain.chain import canonical

    orjson = _orjson()
    if orjson is not None and _exact(payload):
        try:
            return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:
            pass
    return canonical(payload)


def hash_entry(prev_hash: str, entry_id: str, seq: int, terminal_id: str, kind: str, operator_id: str | None,
               at: str, payload: str) -> str:
    """``domain.chain.entry_hash``, the same hash (the list of fields as JSON, SHA-256), written by orjson."""
    import hashlib

    from boxoffice.domain.chain import entry_hash

    orjson = _orjson()
    try:
        if orjson is None:
            raise TypeError
        body = orjson.dumps([prev_hash, entry_id, seq, terminal_id, kind, operator_id, at, payload])
    except TypeError:  # a lone surrogate: json.dumps writes it, and the UTF-8 encoding then refuses it there too
        return entry_hash(prev_hash, id=entry_id, seq=seq, terminal_id=terminal_id, kind=kind,
                          operator_id=operator_id, at=at, payload=payload)
    return hashlib.sha256(body).hexdigest()


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
