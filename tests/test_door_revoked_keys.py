"""The door and a revoked terminal's key: a ticket signed with it is admitted only where what the door synced shows
it was sold before the revocation (a token carries no issue time). Before, anyone holding a stolen terminal's key
file could mint tickets after its revocation and every door admitted them offline. Also: a token naming a section
or an event that does not exist is refused with its reason (it used to be admitted with section "?"), and a
genuine ticket never seen in synced data is admitted but marked, on screen and in --json (``seen_in_sync``)."""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
from sync_helpers import Central, sell, sync

from boxoffice.services.door import door_event, scan

pytest_plugins = ["sync_support"]

GALA_EVENING = "2026-12-08T19:00:00Z"  # doors open at 18:45


def _scan(ctx, token: str, event: str) -> dict:  # noqa: ANN001
    return scan(ctx, token, door_event(ctx, event))


def _cli_scan(cli, ctx, token: str, event: str, json_out: bool = True):  # noqa: ANN001, ANN202
    args = ["scan", "check", "--event", event] + (["--json"] if json_out else [])
    return cli(*args, db=ctx, input=token + "\n")


@pytest.fixture
def seller_and_door(central: Central, terminals, demo_events, clock, login):  # noqa: ANN001, ANN201
    """A counter that sold one ticket and synced it, then was revoked; a door that synced after the revocation."""
    from boxoffice.central.services.admin import revoke_terminal
    from boxoffice.central.services.allocation_admin import allocate

    seller, door = terminals(2)
    ev = demo_events[0]
    allocate(central.db_url, ev, seller.terminal["id"], "standing", 5, [])
    sync(seller)
    before = sell(seller, ev)["tickets"][0]["token"]
    sync(seller)
    unpushed = sell(seller, ev)["tickets"][0]["token"]  # sold before the revocation, never reached the service
    clock.advance(minutes=10)
    revoke_terminal(central.db_url, seller.terminal["id"], clock=clock)
    clock.advance(hours=1)
    after = sell(seller, ev)["tickets"][0]["token"]  # the stolen counter goes on minting, offline
    sync(door)
    clock.set(GALA_EVENING)
    login(door, "dan")
    return {"ev": ev, "seller": seller, "door": door, "before": before, "unpushed": unpushed, "after": after}


def test_a_ticket_minted_after_the_revocation_is_refused_at_the_door(seller_and_door, cli) -> None:  # noqa: ANN001
    s = seller_and_door
    door, ev = s["door"], s["ev"]
    late = _scan(door, s["after"], ev)
    assert (late["result"], late["code"]) == ("refused", "key_revoked")
    assert "revoked 01 Dec 10:10" in late["message"] and late["seen_in_sync"] is False
    out = _cli_scan(cli, door, s["after"], ev)
    assert out.exit_code == 6
    assert json.loads(out.stdout)["error"]["code"] == "key_revoked"
    screen = _cli_scan(cli, door, s["after"], ev, json_out=False)
    assert screen.exit_code == 6 and "REFUSED" in screen.stdout and "revoked" in screen.stdout


def test_a_ticket_synced_as_sold_before_the_revocation_is_admitted(seller_and_door, cli) -> None:  # noqa: ANN001
    s = seller_and_door
    ok = _scan(s["door"], s["before"], s["ev"])
    assert (ok["result"], ok["seen_in_sync"]) == ("admit", True)
    assert "not seen in synced data" not in ok["message"]


def test_a_ticket_of_a_revoked_key_that_nothing_synced_shows_is_refused(seller_and_door) -> None:  # noqa: ANN001
    s = seller_and_door
    # Sold before the revocation, but the central service never had it: nothing tells it from one minted after.
    out = _scan(s["door"], s["unpushed"], s["ev"])
    assert out["code"] == "key_revoked" and "not seen in synced data" in out["message"]


def test_the_key_registry_carries_the_revocation_time(seller_and_door) -> None:  # noqa: ANN001
    s = seller_and_door
    row = s["door"].conn.execute("SELECT revoked_at, terminal_revoked_at FROM keys WHERE key_id = ?",
                                 (s["seller"].terminal["key_id"],)).fetchone()
    assert row[0] is None and row[1] is not None  # still known (its earlier tickets stay good), revoked from then


def _forged(ctx, event_id: str, section_id: str) -> str:  # noqa: ANN001
    """A genuine signature of an unrevoked terminal over a ticket of an event or section that does not exist."""
    from boxoffice.services.signing import key_id_bytes, private_key
    from boxoffice.tickets.token import TicketClaims, sign_token

    claims = TicketClaims(ticket_id=str(uuid.uuid4()), event_id=event_id, section_id=section_id, row=None, seat=None)
    return sign_token(claims, private_key(ctx), key_id_bytes(ctx))


def test_unknown_sections_and_events_are_refused_with_their_reason(central: Central, terminals, demo_events,
                                                                   clock, cli, login) -> None:  # noqa: ANN001
    maker, door = terminals(2)
    sync(door)  # learns maker's key
    clock.set(GALA_EVENING)
    login(door, "dan")
    ev = demo_events[0]
    section = _scan(door, _forged(maker, ev, "balcony"), ev)
    assert (section["result"], section["code"]) == ("refused", "unknown_section")
    assert "section" in section["message"] and section["place"] is None
    event = _scan(door, _forged(maker, "no-such-night", "standing"), ev)
    assert (event["result"], event["code"]) == ("refused", "unknown_event")
    assert "does not know" in event["message"]
    out = _cli_scan(cli, door, _forged(maker, ev, "balcony"), ev)
    assert out.exit_code == 6 and json.loads(out.stdout)["error"]["code"] == "unknown_section"


def test_a_ticket_never_seen_in_synced_data_is_admitted_and_marked(central: Central, terminals, demo_events,
                                                                   clock, cli, login) -> None:  # noqa: ANN001
    from boxoffice.central.services.allocation_admin import allocate

    other, door = terminals(2)
    ev = demo_events[0]
    allocate(central.db_url, ev, other.terminal["id"], "standing", 5, [])
    sync(other)
    sync(door)
    first, second, third = (sell(other, ev)["tickets"][0]["token"] for _ in range(3))  # not pushed yet
    clock.set(GALA_EVENING)
    login(door, "dan")
    ans = _scan(door, first, ev)
    assert (ans["result"], ans["seen_in_sync"]) == ("admit", False)
    assert "not seen in synced data" in ans["message"]
    out = _cli_scan(cli, door, second, ev)
    assert out.exit_code == 0 and json.loads(out.stdout)["seen_in_sync"] is False
    screen = _cli_scan(cli, door, second, ev, json_out=False)  # in already now, refused: no marking needed
    assert "REFUSED" in screen.stdout
    screen = _cli_scan(cli, door, third, ev, json_out=False)
    assert screen.exit_code == 0 and "NOT SEEN IN SYNCED DATA" in screen.stdout


def test_migration_0014_takes_revocations_pulled_before_into_the_key_registry(tmp_path) -> None:  # noqa: ANN001
    from boxoffice.store import migrations

    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    migrations.ensure_current(conn, upto="0013_central_pin")
    conn.execute("INSERT INTO keys (key_id, public_key, owner, added_at) VALUES ('0a0b0c0d', ?, 'terminal:x', ?)",
                 ("A" * 43 + "=", "2026-12-01T10:00:00.000000Z"))
    conn.execute("INSERT INTO keys (key_id, public_key, owner, added_at) VALUES ('01020304', ?, 'terminal:y', ?)",
                 ("B" * 43 + "=", "2026-12-01T10:00:00.000000Z"))
    conn.execute("INSERT INTO sync_peers (terminal_id, name, key_id, revoked_at) VALUES ('x', 'Counter X', "
                 "'0a0b0c0d', '2026-12-01T11:00:00.000000Z')")
    assert migrations.ensure_current(conn)[0] == "0014_key_revocations"  # and any later ones
    got = dict(conn.execute("SELECT key_id, terminal_revoked_at FROM keys").fetchall())
    assert got == {"0a0b0c0d": "2026-12-01T11:00:00.000000Z", "01020304": None}




def test_once_the_admin_lets_the_machine_enroll_again_its_pushed_tickets_are_admitted(
        seller_and_door, central: Central) -> None:  # noqa: ANN001
    from sync_helpers import enroll

    s = seller_and_door
    assert _scan(s["door"], s["after"], s["ev"])["code"] == "key_revoked"
    enroll(s["seller"], central, readmit=True)  # the admin lets the machine back
    sync(s["seller"])
    sync(s["door"])
    ok = _scan(s["door"], s["after"], s["ev"])
    assert (ok["result"], ok["seen_in_sync"]) == ("admit", True)
