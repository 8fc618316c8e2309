"""The terminal database: made from nothing, moved forward from an older release, refused when newer, and opened
with WAL, foreign keys and synchronous=FULL in force."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from boxoffice.errors import BoxOfficeError
from boxoffice.store import migrations
from boxoffice.store.db import connect


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def test_a_new_database_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    conn = connect(path, create=True)
    assert migrations.applied(conn) == migrations.KNOWN
    assert {"terminal", "events", "sections", "seats", "orders", "tickets", "journal", "operators"} <= _tables(conn)
    assert "phone_digits" in _columns(conn, "orders")
    conn.close()

    again = connect(path)
    assert migrations.ensure_current(again) == []  # nothing left to run
    names = [r[0] for r in again.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert names == migrations.KNOWN  # each recorded once, in order
    again.close()


def test_opening_a_missing_database_without_create_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(BoxOfficeError) as err:
        connect(tmp_path / "nowhere.db")
    assert err.value.code == "not_initialised"
    assert "boxoffice init" in err.value.message
    assert not (tmp_path / "nowhere.db").exists()


def test_a_database_from_the_first_release_moves_forward_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    assert migrations.ensure_current(old, upto="0001_initial") == ["0001_initial"]
    assert migrations.applied(old) == ["0001_initial"]
    assert "phone_digits" not in _columns(old, "orders")
    old.execute("INSERT INTO venue (id, name, timezone, currency) VALUES ('hall', 'Old Hall', 'Europe/London', 'GBP')")
    old.execute("INSERT INTO events (id, venue_id, name, starts_at, timezone, currency, updated_at) VALUES "
                "('ev1', 'hall', 'Old Show', '2026-12-08T19:30:00.000000Z', 'Europe/London', 'GBP', 'x')")
    old.execute("INSERT INTO orders (id, code, event_id, customer_name, email, total, currency, created_at) VALUES "
                "('o1', 'ABC-123', 'ev1', 'Grace Hopper', 'grace@example.org', 3500, 'GBP', 'x')")
    old.execute("INSERT INTO operators (id, name, role, pin_hash, created_at) VALUES ('op1', 'ada', 'admin', 'h', 'x')")
    old.close()

    conn = connect(path)  # what every command does on open
    assert migrations.applied(conn) == migrations.KNOWN
    assert "phone_digits" in _columns(conn, "orders")
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"orders_phone", "orders_email"} <= indexes
    order = conn.execute("SELECT code, customer_name, email, total, phone_digits FROM orders").fetchone()
    assert tuple(order) == ("ABC-123", "Grace Hopper", "grace@example.org", 3500, None)
    assert conn.execute("SELECT name FROM events WHERE id = 'ev1'").fetchone()[0] == "Old Show"
    assert conn.execute("SELECT name FROM operators").fetchone()[0] == "ada"
    conn.close()


def test_a_database_written_by_a_newer_release_is_refused_untouched(tmp_path: Path, cli) -> None:  # noqa: ANN001
    path = tmp_path / "newer.db"
    conn = connect(path, create=True)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('boxoffice', '0099_from_the_future', '2030-01-01')")
    conn.close()
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    before = path.read_bytes()

    with pytest.raises(BoxOfficeError) as err:
        connect(path)
    assert err.value.code == "database_newer"
    assert "0099_from_the_future" in err.value.message
    assert "upgrade" in err.value.message

    result = cli("event", "list", db=path)
    assert result.exit_code == 9
    assert "newer boxoffice" in result.stderr
    assert "Traceback" not in result.output
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_a_database_error_not_a_crash(tmp_path: Path, cli) -> None:  # noqa: ANN001
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is a shopping list, not a database\n" * 200)
    before = path.read_bytes()
    with pytest.raises(BoxOfficeError) as err:
        connect(path)
    assert err.value.code == "database_error"
    result = cli("event", "list", "--json", db=path)
    assert result.exit_code == 9
    assert result.json()["error"]["code"] == "database_error"
    assert path.read_bytes() == before


def test_an_opened_connection_has_wal_foreign_keys_and_full_sync(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.db", create=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    conn.close()


def test_a_terminal_opened_for_a_command_enforces_foreign_keys(terminal) -> None:  # noqa: ANN001
    conn = terminal.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert Path(f"{terminal.config.db_path}-wal").exists()
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO tickets (id, order_id, event_id, section_id, ticket_type_id, price, token) "
                     "VALUES ('t1', 'no-such-order', 'e', 's', 'adult', 100, 'tok')")
