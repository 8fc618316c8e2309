"""A stolen door terminal admits tickets it never saw before it is revoked, and every other door then refuses their
real holders ("already in at another door"). `boxoffice central withdraw-checkins` lets those tickets out again on
every door, through a real central service on SQLite and PostgreSQL and real terminals."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sync_helpers import Central, sell, sync

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


def test_the_command_asks_first_and_says_what_it_did(central: Central, night: dict[str, Any], cli: Any) -> None:
    ev, stolen, tickets = night["ev"], night["stolen"], night["tickets"]
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    assert _scan(stolen, tickets[0]["token"], ev)["result"] == "admit"
    sync(stolen)
    assert cli("central", "revoke", stolen.terminal["id"], "--db", central.db_url).exit_code == 0

    declined = cli("central", "withdraw-checkins", stolen.terminal["name"], "--since", since, "--db", central.db_url,
                   input="n\n")
    assert declined.exit_code == 1 and "Withdraw 1 admission(s)" in declined.output
    assert central.scalar("SELECT count(*) FROM claims WHERE action = 'checkin' AND subject = ?",
                          (tickets[0]["id"],)) == 1
    said = _withdraw(cli, central, stolen, since, "--yes")
    assert said.exit_code == 0 and "Withdrew 1 admission(s)" in said.stdout, said.output
    unknown = cli("central", "withdraw-checkins", "No Such Door", "--since", since, "--db", central.db_url, "--yes")
    assert unknown.exit_code == 3 and "no terminal 'No Such Door'" in unknown.stderr
    bad = _withdraw(cli, central, stolen, "yesterday evening", "--yes")
    assert bad.exit_code == 2 and "not a date and time" in bad.stderr
