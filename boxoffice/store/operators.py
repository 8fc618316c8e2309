"""Operators and the terminal's login session."""

from __future__ import annotations

import sqlite3

from boxoffice.store.db import one, rows


def by_name(conn: sqlite3.Connection, name: str) -> dict | None:
    return one(conn, "SELECT * FROM operators WHERE name = ? COLLATE NOCASE", (name,))


def by_id(conn: sqlite3.Connection, operator_id: str) -> dict | None:
    return one(conn, "SELECT * FROM operators WHERE id = ?", (operator_id,))


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM operators").fetchone()[0]


def insert(conn: sqlite3.Connection, row: dict) -> None:
    conn.execute(
        "INSERT INTO operators (id, name, role, pin_hash, created_at, language)"
        " VALUES (:id, :name, :role, :pin_hash, :created_at, :language)",
        row,
    )


def list_all(conn: sqlite3.Connection) -> list[dict]:
    return rows(conn, "SELECT id, name, role, disabled, locked_until, created_at, language FROM operators"
                      " ORDER BY name")


def set_language(conn: sqlite3.Connection, operator_id: str, language: str | None) -> None:
    conn.execute("UPDATE operators SET language = ? WHERE id = ?", (language, operator_id))


def set_disabled(conn: sqlite3.Connection, operator_id: str, disabled: bool) -> None:
    conn.execute("UPDATE operators SET disabled = ? WHERE id = ?", (int(disabled), operator_id))


def set_failures(conn: sqlite3.Connection, operator_id: str, failures: int, locked_until: str | None) -> None:
    """Record the wrong PINs in a row and the lock they earned (None: no lock, or the last one has run out)."""
    conn.execute("UPDATE operators SET failed_attempts = ?, locked_until = ? WHERE id = ?",
                 (failures, locked_until, operator_id))


def reset_failures(conn: sqlite3.Connection, operator_id: str) -> None:
    conn.execute("UPDATE operators SET failed_attempts = 0, locked_until = NULL WHERE id = ?", (operator_id,))


def set_pin(conn: sqlite3.Connection, operator_id: str, pin_hash: str) -> None:
    conn.execute("UPDATE operators SET pin_hash = ? WHERE id = ?", (pin_hash, operator_id))


def session(conn: sqlite3.Connection) -> dict | None:
    return one(conn, "SELECT * FROM session WHERE id = 1")


def start_session(conn: sqlite3.Connection, operator_id: str, at: str, expires_at: str, seal: str) -> None:
    conn.execute(
        "INSERT INTO session (id, operator_id, since, last_seen, expires_at, seal) VALUES (1, ?, ?, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET operator_id=excluded.operator_id, since=excluded.since,"
        " last_seen=excluded.last_seen, expires_at=excluded.expires_at, seal=excluded.seal",
        (operator_id, at, at, expires_at, seal),
    )


def touch_session(conn: sqlite3.Connection, at: str) -> None:
    conn.execute("UPDATE session SET last_seen = ? WHERE id = 1", (at,))


def end_session(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM session")
