"""Sync takes its write locks by trying every millisecond (store.db.polling_for_lock): it still waits for a lock
another writer holds, gives up as a plain write does when the lock never comes, and leaves the connection as it
found it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from boxoffice.store import db


def _pair(tmp_path: Path) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    first = db.connect(tmp_path / "t.db", create=True, migrate=False)
    first.execute("CREATE TABLE t (x INTEGER)")
    return first, db.connect(tmp_path / "t.db", migrate=False)


def test_a_polling_write_waits_for_the_other_writer_then_commits(tmp_path: Path) -> None:
    counter, syncer = _pair(tmp_path)
    counter.execute("BEGIN IMMEDIATE")
    counter.execute("INSERT INTO t VALUES (1)")
    threading.Timer(0.05, lambda: counter.execute("COMMIT")).start()
    with db.polling_for_lock(syncer), db.write(syncer):
        syncer.execute("INSERT INTO t VALUES (2)")
    assert [r[0] for r in syncer.execute("SELECT x FROM t ORDER BY x")] == [1, 2]
    assert syncer.lock_poll is None  # type: ignore[attr-defined]
    assert syncer.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS


def test_a_polling_write_gives_up_like_any_write_when_the_lock_never_comes(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 100)
    counter, syncer = _pair(tmp_path)
    counter.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"), db.polling_for_lock(syncer), db.write(syncer):
        syncer.execute("INSERT INTO t VALUES (2)")
    counter.execute("ROLLBACK")
    assert not syncer.in_transaction
    assert syncer.execute("PRAGMA busy_timeout").fetchone()[0] == 100
    with db.write(syncer):  # and the next write takes the lock as usual
        syncer.execute("INSERT INTO t VALUES (3)")
    assert [r[0] for r in counter.execute("SELECT x FROM t")] == [3]


def test_a_plain_sqlite_connection_is_left_to_sqlite(tmp_path: Path) -> None:
    plain = sqlite3.connect(tmp_path / "plain.db", isolation_level=None)
    with db.polling_for_lock(plain), db.write(plain):
        plain.execute("CREATE TABLE t (x INTEGER)")
    assert plain.execute("SELECT count(*) FROM t").fetchone()[0] == 0
