"""A COMMIT that fails (here a deferred foreign key; on a counter, a full disk or an I/O error) must not leave its
transaction open: the action is undone, the next action commits for real, and a print job's outcome puts the
connection back to flushing every commit (store/db.write, store/print_jobs.outcome_write)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from boxoffice.store.db import write
from boxoffice.store.print_jobs import outcome_write

FULL = 2


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY)")
    conn.execute("CREATE TABLE IF NOT EXISTS tickets (id TEXT PRIMARY KEY, order_id TEXT"
                 " REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED)")
    return conn


def seen_elsewhere(path: Path) -> list[str]:
    other = sqlite3.connect(path)
    try:
        return [r[0] for r in other.execute("SELECT id FROM tickets ORDER BY id")]
    finally:
        other.close()


def test_a_failed_commit_is_undone_and_the_next_action_commits(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    conn = connect(db)
    with pytest.raises(sqlite3.IntegrityError), write(conn):
        conn.execute("INSERT INTO tickets VALUES ('t1', 'no such order')")  # refused only at COMMIT
    assert not conn.in_transaction
    with write(conn):
        conn.execute("INSERT INTO orders VALUES ('o1')")
        conn.execute("INSERT INTO tickets VALUES ('t2', 'o1')")
    assert seen_elsewhere(db) == ["t2"], "the next action is on disk, and nothing of the failed one"


def test_a_failed_outcome_commit_leaves_the_connection_flushing_every_commit(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    conn = connect(db)
    with pytest.raises(sqlite3.IntegrityError), outcome_write(conn):
        conn.execute("INSERT INTO tickets VALUES ('t1', 'no such order')")
    assert not conn.in_transaction
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == FULL
