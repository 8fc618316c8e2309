"""A stolen door terminal admits tickets it never saw before it is revoked, and every other door then refuses their
real holders ("already in at another door"). `boxoffice central withdraw-checkins` lets those tickets out again on
every door, through a real central service on SQLite and PostgreSQL and real terminals."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sync_helpers import Central, forged_entry, pg_schema_url, push_as, sell, sync

from boxoffice.services.door import door_event, scan

pytest_plugins = ["sync_support"]


def _scan(ctx: Any, token: str, event: str) -> dict[str, Any]:
    return scan(ctx, token, door_event(ctx, event))


def _withdraw(cli: Any, central: Central, terminal: Any, since: str, *extra: str) -> Any:
    return cli("central", "withdraw-checkins", terminal.terminal["id"], "--since", since, "--db", central.db_url,
               *extra)


@pytest.fixture
def night(central: Central, terminals: Any, demo_events: tuple[str, str], clock: Any) -> dict[str, Any]:
    """A counter that sold three tickets; an honest door and a stolen one, both synced, on the gala's evening."""
    counter, door, stolen = terminals(3)
    ev = demo_events[0]
    sold = [sell(counter, ev)["tickets"][0] for _ in range(3)]
    for t in (counter, door, stolen):
        sync(t)
    clock.set(clock() + timedelta(days=7, hours=9))
    return {"ev": ev, "door": door, "stolen": stolen, "tickets": sold}


def test_a_revoked_doors_admissions_are_withdrawn_and_the_real_holders_get_in(
        central: Central, night: dict[str, Any], cli: Any, clock: Any) -> None:
    ev, door, stolen, tickets = night["ev"], night["door"], night["stolen"], night["tickets"]
    first, second, third = tickets
    assert _scan(stolen, first["token"], ev)["result"] == "admit"  # before anyone knew it was stolen
    sync(stolen)
    time.sleep(0.01)
    since = datetime.now(UTC).isoformat()
    for t in (second, third):
        assert _scan(stolen, t["token"], ev)["result"] == "admit"
    assert _scan(stolen, third["token"], ev)["result"] == "refused"  # already in
    sync(stolen)
    sync(door)
    assert _scan(door, second["token"], ev)["code"] == "already_checked_in"  # the real holder, refused

    live = _withdraw(cli, central, stolen, since, "--json")
    assert live.exit_code == 4 and "is not revoked" in live.stdout, live.output  # a working door's are real
    assert cli("central", "revoke", stolen.terminal["id"], "--db", central.db_url).exit_code == 0

    clock.advance(minutes=5)
    done = _withdraw(cli, central, stolen, since, "--json")
    assert done.exit_code == 0, done.output
    out = done.json()
    assert out["admissions"] == 2 and sorted(out["tickets"]) == sorted([second["id"], third["id"]])
    assert (out["handed_back"], out["dated_ahead"], out["kept_before_since"]) == ([], [], 1)
    skipped = central.query("SELECT c.state, c.result FROM pretix_checkins c JOIN journal j ON j.id = c.entry_id"
                            " WHERE j.terminal_id = ?", (stolen.terminal["id"],))
    assert [(r["state"], r["result"]) for r in skipped] == [("skipped", "withdrawn by the admin")] * 2  # not to pretix
    assert central.scalar("SELECT count(*) FROM claims WHERE action = 'checkin' AND terminal_id = ?",
                          (stolen.terminal["id"],)) == 1  # the one received before --since stays

    sync(door)
    assert _scan(door, second["token"], ev)["result"] == "admit"  # the real holder gets in
    assert _scan(door, second["token"], ev)["code"] == "already_checked_in"  # and once only
    assert _scan(door, first["token"], ev)["code"] == "already_checked_in"  # before --since: untouched
    pushed = sync(door)
    assert not pushed["conflicts"], pushed  # the claim was given back: a real admission is no conflict

    again = _withdraw(cli, central, stolen, since, "--json")
    assert again.exit_code == 0 and again.json()["admissions"] == 0

    report = cli("central", "report", "checkins", "--by", "terminal", "--db", central.db_url, "--json")
    assert report.exit_code == 0, report.output
    rows = {x["terminal"]: x for g in report.json()["events"] if g["event"] == ev for x in g["by_terminal"]}
    name = stolen.terminal["name"]
    assert (rows[name]["admitted"], rows[name]["withdrawn"]) == (1, 2)  # the two withdrawn let nobody in
    assert rows[door.terminal["name"]]["admitted"] == 1
    assert report.json()["total"]["withdrawn"] == 2
    table = cli("central", "report", "checkins", "--db", central.db_url)
    assert "withdrawn" in table.stdout.splitlines()[0], table.output


def test_the_command_asks_first_and_says_what_it_did(central: Central, night: dict[str, Any], cli: Any) -> None:
    ev, stolen, tickets = night["ev"], night["stolen"], night["tickets"]
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    assert _scan(stolen, tickets[0]["token"], ev)["result"] == "admit"
    sync(stolen)
    assert cli("central", "revoke", stolen.terminal["id"], "--db", central.db_url).exit_code == 0

    declined = cli("central", "withdraw-checkins", stolen.terminal["name"], "--since", since, "--db", central.db_url,
                   input="n\n")
    assert declined.exit_code == 1 and "Withdraw the 1 admission(s)" in declined.output, declined.output
    assert central.scalar("SELECT count(*) FROM claims WHERE action = 'checkin' AND subject = ?",
                          (tickets[0]["id"],)) == 1
    said = _withdraw(cli, central, stolen, since, "--yes")
    assert said.exit_code == 0 and "Withdrew 1 admission(s)" in said.stdout, said.output
    unknown = cli("central", "withdraw-checkins", "No Such Door", "--since", since, "--db", central.db_url, "--yes")
    assert unknown.exit_code == 3 and "no terminal 'No Such Door'" in unknown.stderr
    bad = _withdraw(cli, central, stolen, "yesterday evening", "--yes")
    assert bad.exit_code == 2 and "not a date and time" in bad.stderr


def test_a_holder_another_door_let_in_first_stays_in(central: Central, night: dict[str, Any], terminals: Any,
                                                    cli: Any) -> None:
    ev, door, stolen, tickets = night["ev"], night["door"], night["stolen"], night["tickets"]
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    token = tickets[0]["token"]
    assert _scan(door, token, ev)["result"] == "admit"  # the real holder, at a door that has not synced yet
    assert _scan(stolen, token, ev)["result"] == "admit"
    sync(stolen)  # the stolen terminal's admission reaches the service first and holds the claim
    flagged = sync(door)
    assert [c["kind"] for c in flagged["conflicts"]] == ["checked_in_twice"]
    assert cli("central", "revoke", stolen.terminal["id"], "--db", central.db_url).exit_code == 0

    asked = cli("central", "withdraw-checkins", stolen.terminal["id"], "--since", since, "--db", central.db_url,
                input="n\n")  # the question counts what would be withdrawn, and says what stays
    assert asked.exit_code == 1 and "1 stay in (another door let their holders in first)" in asked.output
    assert "Withdraw the 0 admission(s)" in asked.output, asked.output
    done = _withdraw(cli, central, stolen, since, "--yes")
    assert done.exit_code == 0, done.output
    assert "Withdrew 0 admission(s)" in done.stdout and "1 ticket(s) stay in" in done.stdout
    assert central.scalar("SELECT terminal_id FROM claims WHERE action = 'checkin' AND subject = ?",
                          (tickets[0]["id"],)) == door.terminal["id"]
    (third,) = terminals(1)
    sync(third)
    assert _scan(third, token, ev)["code"] == "already_checked_in"  # a copy of the ticket stays out


def test_an_admission_dated_ahead_is_left_and_named(central: Central, night: dict[str, Any], cli: Any,
                                                    clock: Any) -> None:
    ev, door, stolen, tickets = night["ev"], night["door"], night["stolen"], night["tickets"]
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    evening = clock()
    clock.set(evening + timedelta(hours=3))  # the stolen terminal's clock set late into the night
    assert _scan(stolen, tickets[1]["token"], ev)["result"] == "admit"
    sync(stolen)
    clock.set(evening)
    assert cli("central", "revoke", stolen.terminal["id"], "--db", central.db_url).exit_code == 0

    done = _withdraw(cli, central, stolen, since, "--yes")
    assert done.exit_code == 0, done.output
    assert "ahead of now, a forged one" in done.stderr and tickets[1]["id"] in done.stderr
    out = _withdraw(cli, central, stolen, since, "--json").json()
    assert (out["admissions"], out["dated_ahead"]) == (0, [tickets[1]["id"]])
    sync(door)
    # an 'out' dated after 22:xx would have let anyone in with this ticket until then: nothing was sent
    assert _scan(door, tickets[1]["token"], ev)["code"] == "already_checked_in"


def test_nothing_to_withdraw_is_said_without_a_question(central: Central, night: dict[str, Any], cli: Any) -> None:
    ev, stolen, tickets = night["ev"], night["stolen"], night["tickets"]
    assert _scan(stolen, tickets[2]["token"], ev)["result"] == "admit"
    sync(stolen)
    assert cli("central", "revoke", stolen.terminal["id"], "--db", central.db_url).exit_code == 0
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    said = _withdraw(cli, central, stolen, later)
    assert said.exit_code == 0 and "nothing to withdraw" in said.stdout, said.output
    assert "1 admission(s) it made before" in said.stdout and "earlier --since" in said.stdout


def test_an_exit_for_an_event_without_reentry_is_kept_not_applied(central: Central, night: dict[str, Any],
                                                                   terminals: Any, demo_events: tuple[str, str],
                                                                   clock: Any) -> None:
    """A stolen door letting out tickets other doors admitted would let anyone in with them again; at an event
    without re-entry its doors make no exits, so one pushed is flagged and not passed on."""
    from boxoffice.domain.clock import iso
    from boxoffice.domain.ids import uuid7

    ev, door, stolen, tickets = night["ev"], night["door"], night["stolen"], night["tickets"]
    assert _scan(door, tickets[0]["token"], ev)["result"] == "admit"  # the gala has no re-entry
    sync(door)
    jazz = demo_events[1]  # an event with re-entry, or none at all, named on the exit of a gala ticket
    exits: list[dict[str, Any]] = []
    for named in (ev, jazz, "no-such"):
        exit_ = {"nonce": uuid7(), "ticket": tickets[0]["id"], "event": named, "direction": "out",
                 "at": iso(clock()), "terminal": stolen.terminal["id"]}
        exits.append(forged_entry(stolen, "checkin", exit_, after=exits[-1] if exits else None))
    answer = push_as(central, stolen, exits)
    assert [c["kind"] for c in answer["conflicts"]].count("exit_without_reentry") == 3
    assert central.scalar("SELECT terminal_id FROM claims WHERE action = 'checkin' AND subject = ?",
                          (tickets[0]["id"],)) == door.terminal["id"]
    (third,) = terminals(1)
    sync(third)
    assert _scan(third, tickets[0]["token"], ev)["code"] == "already_checked_in"  # a copy is still refused

    # An exit by a web-shop ticket's pretix secret alone (no ticket to find the event by) is judged by the event it
    # names: one with re-entry is applied, any other is kept, not applied.
    secret = "pretixSECRETxyz0123456789"
    admit = {"nonce": uuid7(), "external_secret": secret, "event": ev, "direction": "in", "at": iso(clock()),
             "terminal": door.terminal["id"]}
    assert not push_as(central, door, [forged_entry(door, "checkin", admit)])["conflicts"]
    held = "SELECT count(*) FROM claims WHERE action = 'checkin' AND subject LIKE 'pretix:%'"
    assert central.scalar(held) == 1
    by_secret: list[dict[str, Any]] = []
    for named in (ev, "no-such", None, jazz):
        exit_ = {"nonce": uuid7(), "external_secret": secret, "event": named, "direction": "out",
                 "at": iso(clock()), "terminal": stolen.terminal["id"]}
        by_secret.append(forged_entry(stolen, "checkin", exit_, after=by_secret[-1] if by_secret else exits[-1]))
    answer = push_as(central, stolen, by_secret[:3])
    assert [c["kind"] for c in answer["conflicts"]].count("exit_without_reentry") == 3
    assert central.scalar(held) == 1, "the admission by secret stands"
    answer = push_as(central, stolen, by_secret[3:])
    assert "exit_without_reentry" not in [c["kind"] for c in answer["conflicts"]]
    assert central.scalar(held) == 0, "an exit at an event with re-entry is applied"


def test_an_honest_admission_let_out_since_is_not_what_a_withdrawal_hands_back(
        central: Central, terminals: Any, demo_events: tuple[str, str], clock: Any, cli: Any) -> None:
    """At an event with re-entry: the stolen door admits, an honest door admits too (flagged), the holder leaves
    through the honest door, the stolen door admits again. The honest admission is over: the withdrawal lets the
    ticket out rather than hand the claim to it."""
    counter, door, stolen = terminals(3)
    jazz = demo_events[1]
    token = sell(counter, jazz)["tickets"][0]["token"]
    for t in (counter, door, stolen):
        sync(t)
    clock.set(clock() + timedelta(days=14, hours=9))
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    assert _scan(stolen, token, jazz)["result"] == "admit"
    sync(stolen)
    assert _scan(door, token, jazz)["result"] == "admit"
    assert [c["kind"] for c in sync(door)["conflicts"]] == ["checked_in_twice"]
    clock.advance(minutes=30)
    assert scan(door, token, door_event(door, jazz), "out")["result"] == "exit"
    sync(door)
    sync(stolen)
    clock.advance(minutes=1)
    assert _scan(stolen, token, jazz)["result"] == "admit"
    sync(stolen)
    assert cli("central", "revoke", stolen.terminal["id"], "--db", central.db_url).exit_code == 0
    clock.advance(minutes=1)
    out = _withdraw(cli, central, stolen, since, "--json").json()
    assert (out["admissions"], out["handed_back"]) == (1, [])
    sync(door)
    assert _scan(door, token, jazz)["result"] == "admit"  # the holder comes back in


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "pg":
        return pg_schema_url(request.getfixturevalue("pg_database"))
    return str(tmp_path / "central.db")


def test_withdrawals_made_before_schema_19_are_counted_apart_after_the_upgrade(empty_db: str, cli: Any) -> None:
    """A withdrawal of the release before left only the pretix bridge's row; the upgrade keeps every row and
    finds the withdrawn admission from it, so the report stops counting it as somebody in."""
    from boxoffice.central.store import schema
    from boxoffice.central.store.db import connect
    from boxoffice.domain.ids import uuid7

    now = "2026-12-01T20:00:00.000000Z"
    tid, real, withdrawn = uuid7(), uuid7(), uuid7()
    with connect(empty_db) as db:
        schema.migrate(db, now, upto=18)
        with db.transaction():
            db.execute("INSERT INTO terminals (id, name, tag, key_id, public_key, token_hash, enrolled_at, last_seq,"
                       " last_hash, revoked_at) VALUES (?, 'Stolen door', 'STL', '0badc0de', 'key', 'hash', ?, 2, ?,"
                       " ?)", (tid, now, "b" * 64, now))
            for seq, (eid, ticket) in enumerate(((real, "t-real"), (withdrawn, "t-forged")), start=1):
                db.execute("INSERT INTO journal (id, terminal_id, seq, kind, at, operator_id, payload, prev_hash,"
                           " hash, received_at) VALUES (?, ?, ?, 'checkin', ?, NULL, ?, ?, ?, ?)",
                           (eid, tid, seq, now, json.dumps({"event": "gala", "ticket_id": ticket, "direction": "in",
                                                            "at": now}), str(seq - 1) * 64, str(seq) * 64, now))
            db.execute("INSERT INTO pretix_checkins (entry_id, ticket_id, kind, pretix_event, state, result,"
                       " updated_at) VALUES (?, 't-forged', 'checkin', '', 'skipped', 'withdrawn by the admin', ?)",
                       (withdrawn, now))
    moved = cli("central", "migrate", "--db", empty_db, "--json")
    assert moved.exit_code == 0 and 19 in moved.json()["migrations"], moved.output
    with connect(empty_db) as db:
        assert db.scalar("SELECT count(*) FROM journal") == 2
        assert db.scalar("SELECT state FROM pretix_checkins WHERE entry_id = ?", (withdrawn,)) == "skipped"
        assert [r["entry_id"] for r in db.all("SELECT entry_id FROM withdrawn_checkins")] == [withdrawn]
    report = cli("central", "report", "checkins", "--db", empty_db, "--json")
    assert report.exit_code == 0, report.output
    total = report.json()["total"]
    assert (total["admitted"], total["withdrawn"], total["in_now"]) == (1, 1, 1)
