"""Complaints reach the central service at sync (SQLite and PostgreSQL): the admin lists every terminal's, closes
arrive too, and the complaints alert counts across terminals: 11 within 5 minutes at two terminals fire it, 10 do
not, nor 11 spread over more than 5 minutes. A tampered complaint entry is kept in the journal and not applied."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PINS, T0
from night_kit import act_as
from sync_helpers import Central, sync

from boxoffice.central.services.alerts import alerts as central_alerts
from boxoffice.services import complaints

pytest_plugins = ["sync_support"]  # the central service on loopback (SQLite and PostgreSQL), enrolled terminals


def _complaints_alerts(central: Central, clock) -> list[dict]:  # noqa: ANN001
    return [a for a in central_alerts(central.db_url, None, clock) if a["code"] == "complaints_high"]


def test_every_terminals_complaints_reach_the_admin_and_the_alert_counts_across_them(  # noqa: ANN001
        central: Central, terminals, clock, cli, demo_events) -> None:
    gala, _ = demo_events
    clock.set(T0 + timedelta(hours=1))  # each test here its own hour: the central service is shared by the module
    a, b = terminals(2)
    for i in range(10):
        clock.advance(seconds=20)
        complaints.add(a if i % 2 else b, "queue", f"waited, complaint {i + 1}", event=gala)
    sync(a)
    sync(b)
    assert _complaints_alerts(central, clock) == [], "ten complaints in 5 minutes is the threshold, not over it"
    quiet = cli("central", "alerts", "--db", central.db_url, "--json")
    assert "complaints_high" not in [x["code"] for x in quiet.json()]

    clock.advance(seconds=20)
    assert complaints.add(b, "safety", "crowd pushing at door B", event=gala)["alerts"] == [], \
        "b alone has six: only the central service sees eleven"
    sync(b)
    (alert,) = _complaints_alerts(central, clock)
    assert (alert["event"], alert["value"], alert["source"]) == (gala, 11, "central")
    assert sorted(alert["terminals"]) == sorted([a.terminal["name"], b.terminal["name"]])
    assert alert["severity"] == "major", "complaints at two terminals: at least major"
    assert alert["categories"] == {"queue": 10, "safety": 1}
    shown = cli("central", "alerts", "--db", central.db_url)
    assert shown.exit_code == 0 and "11 complaints at 2 terminals in the last 5 minutes about" in shown.stdout
    assert "MAJOR" in shown.stdout
    clock.advance(minutes=5)
    assert _complaints_alerts(central, clock) == [], "five minutes on, the burst is over"

    listed = cli("central", "complaints", "--db", central.db_url, "--json")
    assert listed.exit_code == 0, listed.output
    hour = (T0 + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")  # London is on UTC in December
    assert len([c for c in listed.json() if c["event_id"] == gala]) >= 11
    mine = cli("central", "complaints", "--db", central.db_url, "--since", hour, "--until",
               (T0 + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "--event", gala, "--json").json()
    assert len(mine) == 11 and all(c["at"] >= hour for c in mine)
    assert {c["terminal"] for c in mine} == {a.terminal["name"], b.terminal["name"]}
    by_b = cli("central", "complaints", "--db", central.db_url, "--terminal", b.terminal["name"], "--category",
               "safety", "--json").json()
    assert [c["note"] for c in by_b] == ["crowd pushing at door B"]
    table = cli("central", "complaints", "--db", central.db_url, "--category", "safety")
    assert "crowd pushing at door B" in table.stdout and b.terminal["name"] in table.stdout

    act_as(b, "sue")
    complaints.close(b, by_b[0]["id"], "steward posted at door B")
    assert cli("central", "complaints", "--db", central.db_url, "--terminal", b.terminal["name"], "--category",
               "safety", "--open", "--json").json() != [], "not synced yet"
    sync(b)
    (closed,) = cli("central", "complaints", "--db", central.db_url, "--terminal", b.terminal["name"],
                    "--category", "safety", "--json").json()
    assert (closed["close_note"], closed["closed_at"] is not None) == ("steward posted at door B", True)
    assert cli("central", "complaints", "--db", central.db_url, "--category", "noise").exit_code == 2
    assert cli("central", "complaints", "--db", central.db_url, "--terminal", "nobody").exit_code == 3


def test_eleven_complaints_spread_over_more_than_five_minutes_never_alert_centrally(  # noqa: ANN001
        central: Central, terminals, clock, demo_events) -> None:
    _, jazz = demo_events
    clock.set(T0 + timedelta(hours=3))
    a, b = terminals(2)
    times = []
    for i in range(11):
        clock.advance(seconds=31)                   # 11 complaints over 5 min 10 s
        complaints.add(a if i < 6 else b, "price", event=jazz)
        times.append(clock.now)
    sync(a)
    sync(b)
    for when in times:
        clock.set(when)
        assert _complaints_alerts(central, clock) == [], f"an alert at {when}"


def test_a_tampered_complaint_entry_is_kept_but_not_applied(  # noqa: ANN001
        central: Central, terminals, clock, cli) -> None:
    clock.set(T0 + timedelta(hours=5))
    (a,) = terminals(1)
    from boxoffice.store.db import write

    with write(a.conn):
        a.journal("complaint.add", {"id": "not-a-real-one", "category": "noise", "note": "made up",
                                    "at": clock.iso()})
    sync(a)
    assert central.scalar("SELECT count(*) FROM journal WHERE kind = 'complaint.add' AND terminal_id = ?",
                          (a.terminal["id"],)) == 1
    assert central.scalar("SELECT count(*) FROM complaints WHERE terminal_id = ?", (a.terminal["id"],)) == 0
    assert cli("login", "pat", pin=PINS["pat"], db=a).exit_code == 0
    added = cli("complaint", "add", "access", "no step-free route to the balcony", "--json", db=a)
    assert added.exit_code == 0, added.output
    sync(a)
    rows = central.query("SELECT category, note, operator_id FROM complaints WHERE terminal_id = ?",
                         (a.terminal["id"],))
    assert [(r["category"], r["note"]) for r in rows] == [("access", "no step-free route to the balcony")]


def test_a_card_number_written_past_the_terminals_check_is_refused_by_the_central_service(  # noqa: ANN001
        central: Central, terminals, clock) -> None:
    from boxoffice.errors import BoxOfficeError
    from boxoffice.store.db import write

    clock.set(T0 + timedelta(hours=6))
    (a,) = terminals(1)
    with write(a.conn):  # as an older release, or a hand edit, would have written it
        a.journal("complaint.add", {"id": "0193a000-0000-7000-8000-000000000001", "category": "refund",
                                    "note": "refund to 4111 1111 1111 1111 please", "at": clock.iso()})
    with pytest.raises(BoxOfficeError) as refused:
        sync(a)
    assert "card_number_in_text" in str(refused.value.code) + str(refused.value.message)
    assert "4111" not in refused.value.message
    assert central.scalar("SELECT count(*) FROM complaints WHERE terminal_id = ?", (a.terminal["id"],)) == 0


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def empty_db(request: pytest.FixtureRequest, tmp_path) -> str:  # noqa: ANN001
    """A central database URL with nothing in it yet, on SQLite and on PostgreSQL."""
    from sync_helpers import pg_schema_url

    if request.param == "pg":
        return pg_schema_url(request.getfixturevalue("pg_database"))
    return str(tmp_path / "central.db")


def test_schema_10_adds_the_complaints_table_to_a_database_of_the_previous_release(empty_db: str) -> None:
    from boxoffice.central.store import schema
    from boxoffice.central.store.db import connect

    now = "2026-12-01T10:00:00.000000Z"
    with connect(empty_db) as db:
        schema.migrate(db, now, upto=max(n for n, _ in schema.MIGRATIONS if n < 10))  # the release before
        db.execute("INSERT INTO terminals (id, name, tag, key_id, public_key, token_hash, enrolled_at) VALUES"
                   " ('t1', 'Old counter', 'OLD', '0badc0de', 'key', 'hash', ?)", (now,))
        db.execute("INSERT INTO journal (id, terminal_id, seq, kind, at, operator_id, payload, prev_hash, hash,"
                   " received_at) VALUES ('e1', 't1', 1, 'terminal.init', ?, NULL, '{}', 'p', 'h', ?)", (now, now))
        moved = schema.migrate(db, now)
        assert 10 in moved["migrations"] and schema.version(db) == schema.LATEST
        assert db.all("SELECT name FROM terminals") == [{"name": "Old counter"}]
        assert db.scalar("SELECT count(*) AS n FROM journal") == 1
        assert db.scalar("SELECT count(*) AS n FROM complaints") == 0
