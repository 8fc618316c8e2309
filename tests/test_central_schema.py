"""The central database's schema: made by `central init`, moved forward by `central migrate` or by `central serve`
from the database the previous release made (keeping every row), refused by every other command until then, refused
when a newer release wrote it; and no request or admin path changes the schema: the whole service runs as a
PostgreSQL user that may only read and write rows (and `central serve` as that user refuses a database left behind,
saying who must migrate it)."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Central, CentralServer, pg_schema_url, sell, sync

from boxoffice.central.services import allocation_topup, allocations, catalog
from boxoffice.central.services.admin import init
from boxoffice.central.store import schema
from boxoffice.central.store.db import connect
from boxoffice.domain.ids import uuid7
from boxoffice.services import allocations as terminal_alloc

pytest_plugins = ["sync_support"]

NOW = "2026-12-01T10:00:00.000000Z"
DATABASE, NOT_FOUND = 9, 3


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A central database URL with nothing in it yet, on SQLite and on PostgreSQL."""
    if request.param == "pg":
        return pg_schema_url(request.getfixturevalue("pg_database"))
    return str(tmp_path / "central.db")


def _previous_release(url: str, used: bool) -> dict[str, Any]:
    """What the previous release left: its `central init` (schema version 1: schema.sql), a published catalogue and
    an enrolled terminal; ``used`` adds the allocation tables it created on first use, with a grant of 7 standing
    places, a grant of seat A1 made by a top-up request, and the counter those moves took their positions from."""
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    tid = uuid7()
    with connect(url) as db:
        schema.migrate(db, NOW, upto=1)
        catalog.publish(db, demo_catalog(T0.date()), NOW)
        gala = db.scalar("SELECT id FROM events WHERE id LIKE 'gala%'")
        db.execute("INSERT INTO terminals (id, name, tag, key_id, public_key, token_hash, enrolled_at) VALUES"
                   " (?, 'Old counter', 'OLD', '0badc0de', 'key', 'hash', ?)", (tid, NOW))
        if used:
            for statement in schema.statements("allocations.sql"):
                db.execute(statement)
            db.execute("INSERT INTO counters (name, value) VALUES ('allocation', 2)")
            db.execute("INSERT INTO allocations (event_id, section_id, terminal_id, count)"
                       " VALUES (?, 'standing', ?, 7)", (gala, tid))
            db.execute("INSERT INTO allocated_seats (event_id, section_id, label, terminal_id) VALUES"
                       " (?, 'stalls', 'A1', ?)", (gala, tid))
            moves = [(uuid7(), 1, "standing", 7, "[]"), (uuid7(), 2, "stalls", 1, '["A1"]')]
            for mid, pos, sid, n, seats in moves:
                db.execute("INSERT INTO allocation_moves (id, pos, terminal_id, kind, event_id, section_id, count,"
                           " seats, entry_id, at) VALUES (?, ?, ?, 'grant', ?, ?, ?, ?, NULL, ?)",
                           (mid, pos, tid, gala, sid, n, seats, NOW))
            rid = uuid7()
            db.execute("INSERT INTO allocation_requests (id, terminal_id, event_id, section_id, asked, granted,"
                       " move_id, reason, at) VALUES (?, ?, ?, 'stalls', 1, 1, ?, NULL, ?)",
                       (rid, tid, gala, moves[1][0], NOW))
        assert db.scalar("SELECT value FROM meta WHERE key = 'schema_version'") == "1"
    return {"terminal_id": tid, "gala": gala, "request_id": rid if used else None}


@pytest.mark.parametrize("used", [False, True], ids=["fresh", "with-allocations"])
def test_a_database_of_the_previous_release_is_upgraded_keeping_its_rows(empty_db: str, used: bool, cli) -> None:
    old = _previous_release(empty_db, used)
    tid, gala = old["terminal_id"], old["gala"]
    refused = cli("central", "terminals", "--db", empty_db)
    assert refused.exit_code == DATABASE and "`boxoffice central migrate" in refused.stderr

    moved = cli("central", "migrate", "--db", empty_db, "--json")
    assert moved.exit_code == 0, moved.output
    assert moved.json() | {"database": None} == {"database": None, "from": 1, "schema_version": schema.LATEST,
                                                 "migrations": [n for n, _ in schema.MIGRATIONS if n > 1]}
    again = cli("central", "migrate", "--db", empty_db)
    assert again.exit_code == 0 and "nothing to do" in again.stdout
    checked = cli("central", "init", "--db", empty_db, "--json").json()
    assert not checked["created"] and checked["migrations"] == [] and checked["admin_token"]  # none was made before

    listed = cli("central", "terminals", "--db", empty_db, "--json").json()
    assert [(t["id"], t["roles"], t["allocation_cap"], t["own_cap"]) for t in listed] == \
        [(tid, ["sell", "pickup", "door"], 50, False)]
    rows = {r["section_id"]: r for r in cli("central", "allocations", gala, "--db", empty_db, "--json").json()}
    assert all(r["balanced"] for r in rows.values())
    assert rows["stalls"]["held"] == 4
    with connect(empty_db) as db:
        if used:
            assert rows["standing"]["allocated"] == {tid: 7} and rows["stalls"]["allocated"] == {tid: 1}
            page = allocations.grants_after(db, tid, 0)
            assert [(g["pos"], g["seats"]) for g in page["grants"]] == [(1, []), (2, ["A1"])]
            assert all("held_released" not in g for g in page["grants"])
            replay = allocation_topup.top_up(db, tid, gala, "stalls", 1, old["request_id"], NOW)
            assert replay["replayed"] and replay["seats"] == ["A1"]
        else:
            assert rows["standing"]["allocated"] == {}
        more = allocation_topup.top_up(db, tid, gala, "standing", 5, uuid7(), NOW)
        assert more["granted"] == 5 and not more["replayed"]
        move = allocations.grants_after(db, tid, 0)["grants"][-1]
        assert move["pos"] == (3 if used else 1) and move["count"] == 5  # positions carry on from the old counter


@pytest.mark.parametrize("used", [False, True], ids=["fresh", "with-allocations"])
def test_serve_upgrades_a_database_of_the_previous_release_and_says_so(empty_db: str, used: bool,
                                                                       tmp_path: Path) -> None:
    old = _previous_release(empty_db, used)
    log = tmp_path / "serve.log"
    server = CentralServer(empty_db, log)
    try:
        import httpx

        assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    finally:
        server.stop()
    said = [ln for ln in log.read_text().splitlines() if "central database upgraded" in ln]
    assert said == [f"central database upgraded from schema 1 to {schema.LATEST}"]
    with connect(empty_db) as db:
        assert schema.version(db) == schema.LATEST
        assert db.scalar("SELECT name FROM terminals WHERE id = ?", (old["terminal_id"],)) == "Old counter"
    again = CentralServer(empty_db, tmp_path / "again.log")  # at the latest schema: nothing to say
    again.stop()
    assert "central database upgraded" not in (tmp_path / "again.log").read_text()


def test_init_makes_the_latest_schema_and_a_newer_one_is_refused(empty_db: str, cli) -> None:
    missing = cli("central", "migrate", "--db", empty_db)
    assert missing.exit_code == NOT_FOUND and "central init" in missing.stderr
    made = cli("central", "init", "--db", empty_db, "--json").json()
    assert made["created"] and made["schema_version"] == schema.LATEST and made["migrations"] == [n for n, _ in schema.MIGRATIONS]
    with connect(empty_db) as db:
        assert schema.version(db) == schema.LATEST
        assert {r["name"] for r in db.all("SELECT name FROM counters")} == {"feed", "web_order", "allocation"}
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    for args in (["terminals"], ["migrate"], ["init"], ["serve", "--port", "1"]):  # serve: before it listens
        r = cli("central", *args, "--db", empty_db)
        assert r.exit_code == DATABASE and "upgrade boxoffice" in r.stderr, (args, r.output)


# -- no schema work on any path: the service as a user that may only read and write rows -------------------------


@pytest.fixture
def rows_only(pg_database: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(owner URL, URL of a role with SELECT/INSERT/UPDATE/DELETE on the central tables and nothing else)."""
    import psycopg
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    owner = pg_schema_url(pg_database)
    init(owner)
    doc = tmp_path / "catalog.json"
    doc.write_text(json.dumps(demo_catalog(T0.date())))
    from boxoffice.central.services.admin import publish_catalog

    publish_catalog(owner, doc)
    name = re.search(r"search_path%3D(s_[0-9a-f]+)", owner).group(1)  # type: ignore[union-attr]
    role = f"bx_rows_{secrets.token_hex(4)}"
    with psycopg.connect(pg_database, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT USAGE ON SCHEMA {name} TO {role}")
        admin.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {name} TO {role}")
    try:
        yield owner, owner.replace("://postgres@", f"://{role}@", 1)
    finally:
        with psycopg.connect(pg_database, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


@pytest.mark.pg
def test_the_service_and_the_box_office_need_no_right_to_change_the_schema(rows_only, make_terminal, cli,
                                                                           demo_events, write_json,
                                                                           tmp_path: Path) -> None:
    owner, url = rows_only
    gala, _ = demo_events
    with connect(url) as db, pytest.raises(Exception, match="permission denied"):  # it really cannot make a table
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    server = CentralServer(url, tmp_path / "serve.log")
    try:
        central = Central("pg", url, server)
        from sync_helpers import enroll

        a = make_terminal(name="Rows only", fresh=True)
        a.config.values["allocation"] = {"top_up_below": 5, "top_up_to": 10}
        enroll(a, central)
        first = sync(a)  # push, pull, grants, top-ups
        assert first["top_up_granted"] == 40
        sell(a, gala, n=2)
        terminal_alloc.release(a, gala, "standing", 1)
        assert sync(a)["pushed"] >= 2  # the sale and the release, applied centrally

        def run(*args: str) -> Any:
            r = cli("central", *args, "--db", url)
            assert r.exit_code == 0, (args, r.output)
            return r

        run("allocate", gala, "--terminal", "Rows only", "--section", "standing", "--count", "3")
        run("allocate", gala, "--terminal", "Rows only", "--section", "stalls", "--seats", "H13", "--include-held")
        orders = write_json({"format": "boxoffice.web-orders/1", "orders": [
            {"ref": "rows-1", "event_id": gala, "customer_name": "W", "email": "w@example.com",
             "tickets": [{"section_id": "standing", "type": "adult"}]}]}, "web.json")
        run("orders", "import", str(orders))
        run("terminal", "set-cap", "--terminal", "Rows only", "--max", "20")
        rows = {r["section_id"]: r for r in json.loads(run("allocations", gala, "--json").stdout)}
        assert rows["standing"]["allocated"][a.terminal["id"]] == 10 - 1 + 3 and rows["standing"]["web_sold"] == 1
        assert all(r["balanced"] for r in rows.values())
        run("seats", gala)
        run("alerts")
        run("recall", gala, "--terminal", "Rows only", "--section", "stalls", "--reason", "closing")
        sync(a)
        run("write-off", gala, "--terminal", "Rows only", "--by", "Ann", "--reason", "stolen", "--yes")
        assert sync(a)["stops_applied"] >= 1
    finally:
        server.stop()
    with connect(owner) as db:
        assert schema.version(db) == schema.LATEST


@pytest.mark.pg
def test_serve_as_a_rows_only_user_refuses_a_database_left_behind(rows_only, cli) -> None:
    owner, url = rows_only
    with connect(owner) as db:  # as if the previous release had written it: the version says 2
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    r = cli("central", "serve", "--db", url, "--port", "1")  # refused before it listens
    assert r.exit_code == DATABASE, r.output
    assert "may not change the schema" in r.stderr and "`boxoffice central migrate" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    with connect(owner) as db:
        assert schema.version(db) == 2  # nothing half-done
