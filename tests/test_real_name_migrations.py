"""The real-name migrations keep what was there: a terminal database at 0015 moves to 0016 (events keep their rows,
gain ``real_name`` 0, and the holder tables start empty), and a central database at schema 7 moves to 9 keeping its
orders (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sync_helpers import pg_schema_url

from boxoffice.central.store import schema
from boxoffice.central.store.db import connect as central_connect
from boxoffice.store import migrations
from boxoffice.store.db import connect

pytest_plugins = ["sync_support"]

NOW = "2026-12-01T10:00:00.000000Z"


def test_a_terminal_database_at_0015_gains_the_holder_tables_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    assert migrations.ensure_current(old, upto="0015_venue_secret")[-1] == "0015_venue_secret"
    old.execute("INSERT INTO venue (id, name, timezone, currency) VALUES ('hall', 'Hall', 'Europe/London', 'GBP')")
    old.execute("INSERT INTO events (id, venue_id, name, starts_at, timezone, currency, updated_at) VALUES "
                "('ev1', 'hall', 'Old Show', '2026-12-08T19:30:00.000000Z', 'Europe/London', 'GBP', 'x')")
    old.close()

    conn = connect(path)
    assert migrations.applied(conn)[-1] == migrations.KNOWN[-1] and "0016_real_name" in migrations.applied(conn)
    row = conn.execute("SELECT name, real_name, holder_changes_max FROM events WHERE id = 'ev1'").fetchone()
    assert tuple(row) == ("Old Show", 0, None)
    assert conn.execute("SELECT count(*) FROM ticket_holders").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM holder_changes").fetchone()[0] == 0
    conn.close()


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "pg":
        return pg_schema_url(request.getfixturevalue("pg_database"))
    return str(tmp_path / "central.db")


def test_a_central_database_at_schema_7_moves_to_9_keeping_its_orders(empty_db: str) -> None:
    with central_connect(empty_db) as db:
        schema.migrate(db, NOW, upto=7)
        db.execute("INSERT INTO orders (id, code, event_id, channel, terminal_id, status, total, tax, currency,"
                   " created_at) VALUES ('o1', 'ABC-DEF', 'ev', 'box_office', 't1', 'paid', 3500, 0, 'GBP', ?)",
                   (NOW,))
        assert schema.version(db) == 7
    with central_connect(empty_db) as db:
        moved = schema.migrate(db, NOW)
        assert 9 in moved["migrations"] and schema.version(db) == schema.LATEST
        assert db.scalar("SELECT code FROM orders WHERE id = 'o1'") == "ABC-DEF"
        assert db.scalar("SELECT count(*) FROM ticket_holders") == 0
