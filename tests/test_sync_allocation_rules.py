"""What the central service hands out matches what can be sold: only terminals enrolled to sell get places, top-ups
stop at the terminal's cap, and house seats stay with the central service unless the box office releases them to a
terminal on purpose. Checked through the CLI a manager types and the services underneath, on SQLite and PostgreSQL,
with `central allocations` adding up after every step."""

from __future__ import annotations

from typing import Any

import pytest
from sync_helpers import Central, client, sell, sync

from boxoffice.central.services import allocation_topup
from boxoffice.central.services import allocations as central_alloc
from boxoffice.central.services.admin import enroll_code
from boxoffice.central.store.db import connect
from boxoffice.errors import BoxOfficeError
from boxoffice.services import allocations as service
from boxoffice.services.sync.rounds import enroll as do_enroll

pytest_plugins = ["sync_support"]

NOT_PERMITTED, CONFLICTS, BAD_INPUT = 5, 4, 2
TEST_TOP_UP = {"top_up_below": 5, "top_up_to": 10}  # as sync_support's terminals: many share one service


def _enrolled(make_terminal: Any, central: Central, name: str, roles: str | None = None, **top_up: int) -> Any:
    ctx = make_terminal(name=name, fresh=True)
    ctx.config.values["allocation"] = top_up or dict(TEST_TOP_UP)
    code = enroll_code(central.db_url, name, roles=roles) if roles else enroll_code(central.db_url, name)
    with client(central.url) as c:
        do_enroll(ctx, central.url, code["code"], c)
    return ctx


def _rows(cli: Any, central: Central, event: str) -> dict[str, dict[str, Any]]:
    """`central allocations --json`, checked to add up: web sold + allocated + held + free = capacity."""
    r = cli("central", "allocations", event, "--db", central.db_url, "--json")
    assert r.exit_code == 0, r.output
    rows = {row["section_id"]: row for row in r.json()}
    for row in rows.values():
        assert row["web_sold"] + row["allocated_total"] + row["held"] + row["free"] == row["capacity"], row
        assert row["balanced"] and row["allocated_total"] == sum(row["allocated"].values())
    return rows


def _terminal_row(cli: Any, central: Central, terminal_id: str) -> dict[str, Any]:
    listed = cli("central", "terminals", "--db", central.db_url, "--json").json()
    return next(t for t in listed if t["id"] == terminal_id)


def test_a_terminal_enrolled_for_pickup_and_door_never_gets_stock(central: Central, make_terminal, cli,
                                                                   demo_events) -> None:
    gala, _ = demo_events
    bad = cli("central", "enroll-code", "--name", "Door 9", "--roles", "door,cook", "--db", central.db_url)
    assert bad.exit_code == BAD_INPUT and "sell, pickup, door" in bad.stderr
    made = cli("central", "enroll-code", "--name", "Door 9", "--roles", "door, pickup", "--db", central.db_url,
               "--json", now=None)  # the service checks the code's expiry against the real clock
    assert made.exit_code == 0 and made.json()["roles"] == ["pickup", "door"]

    door = make_terminal(name="Door 9", fresh=True)
    door.config.values["allocation"] = dict(TEST_TOP_UP)
    with client(central.url) as c:
        do_enroll(door, central.url, made.json()["code"], c)
    seller = _enrolled(make_terminal, central, "Counter 9")  # a code made without --roles: every role, as before
    assert _terminal_row(cli, central, door.terminal["id"])["roles"] == ["pickup", "door"]
    assert _terminal_row(cli, central, seller.terminal["id"])["roles"] == ["sell", "pickup", "door"]

    out = sync(door)  # it asks like any terminal (it cannot know its roles) and is answered with nothing
    assert out["top_up_requests"] == 4 and out["top_up_granted"] == 0
    reasons = {r[0] for r in door.conn.execute("SELECT reason FROM allocation_requests")}
    assert len(reasons) == 1 and "sell role" in reasons.pop()
    assert sync(seller)["top_up_granted"] == 40  # 2 events x 2 sections x 10
    rows = _rows(cli, central, gala)
    assert door.terminal["id"] not in rows["standing"]["allocated"]
    assert rows["standing"]["allocated"][seller.terminal["id"]] == 10
    with pytest.raises(BoxOfficeError) as refused:
        sell(door, gala)
    assert refused.value.code == "not_allocated"

    by_hand = cli("central", "allocate", gala, "--terminal", "Door 9", "--section", "standing", "--count", "2",
                  "--db", central.db_url, "--json")
    assert by_hand.exit_code == NOT_PERMITTED
    error = by_hand.json()["error"]
    assert error["code"] == "permission_denied" and "--roles sell" in error["message"]
    assert _rows(cli, central, gala) == rows  # nothing moved


def test_top_ups_are_cut_to_the_terminal_cap(central: Central, make_terminal, cli, demo_events) -> None:
    gala, _ = demo_events
    a = _enrolled(make_terminal, central, "Capped 1")
    tid = a.terminal["id"]
    for wrong in (["--max", "-1"], [], ["--clear"], ["--max", "3", "--clear", "--terminal", "Capped 1"]):
        r = cli("central", "terminal", "set-cap", *wrong, "--db", central.db_url)
        assert r.exit_code == BAD_INPUT, (wrong, r.output)
    set_ = cli("central", "terminal", "set-cap", "--terminal", "Capped 1", "--max", "4", "--db", central.db_url,
               "--json")
    assert set_.exit_code == 0 and set_.json() | {"terminal_id": tid} == set_.json()
    assert set_.json()["allocation_cap"] == 4 and set_.json()["own_cap"]
    assert _terminal_row(cli, central, tid)["allocation_cap"] == 4

    first = sync(a)  # asks for 10 of each section, gets 4: cut, not refused
    assert first["top_up_requests"] == 4 and first["top_up_granted"] == 16
    assert all(t["granted"] == 4 and "cap of 4" in t["reason"] for t in first["top_ups"])
    assert _rows(cli, central, gala)["standing"]["allocated"][tid] == 4
    sell(a, gala, n=3)
    again = sync(a)  # central knows 3 sold: 1 unsold, room for 3 under the cap (asked 9)
    standing = next(t for t in again["top_ups"] if t["event_id"] == gala and t["section_id"] == "standing")
    assert standing["asked"] == 9 and standing["granted"] == 3 and "cap of 4" in standing["reason"]
    assert _rows(cli, central, gala)["standing"]["allocated"][tid] == 7
    with connect(central.db_url) as db:  # on the service: what it holds unsold already leaves no room
        from boxoffice.domain.ids import uuid7

        answer = allocation_topup.top_up(db, tid, gala, "stalls", 5, uuid7(), "2026-12-01T10:00:00Z")
    assert answer["granted"] == 0 and "holds that many already" in answer["reason"]

    try:
        default = cli("central", "terminal", "set-cap", "--max", "6", "--db", central.db_url, "--json").json()
        assert default["default_cap"] == 6 and default["terminal_id"] is None
        assert _terminal_row(cli, central, tid)["allocation_cap"] == 4  # its own cap wins
        cleared = cli("central", "terminal", "set-cap", "--terminal", "Capped 1", "--clear", "--db", central.db_url)
        assert cleared.exit_code == 0 and "default of 6 applies" in cleared.stdout
        row = _terminal_row(cli, central, tid)
        assert row["allocation_cap"] == 6 and not row["own_cap"]
        listing = cli("central", "terminals", "--db", central.db_url)
        assert "6 (default)" in listing.stdout
    finally:
        cli("central", "terminal", "set-cap", "--max", "50", "--db", central.db_url)


def test_house_seats_stay_central_unless_released_to_a_terminal_on_purpose(central: Central, make_terminal, cli,
                                                                           demo_events, tmp_path) -> None:
    gala, _ = demo_events
    a = _enrolled(make_terminal, central, "House 1", top_up_below=0)  # holds only what is granted by hand
    sync(a)
    tid = a.terminal["id"]
    before = _rows(cli, central, gala)["stalls"]
    assert before["held"] == 4  # H13-H16: not free, nobody's

    def allocate(*args: str) -> Any:
        return cli("central", "allocate", gala, "--terminal", "House 1", "--section", "stalls", *args,
                   "--db", central.db_url, "--json")

    kept = allocate("--seats", "H13,J5")
    assert kept.exit_code == CONFLICTS and kept.json()["error"]["code"] == "seat_unavailable"
    assert "--include-held" in kept.json()["error"]["message"]
    assert tid not in _rows(cli, central, gala)["stalls"]["allocated"]  # J5 was not granted either
    released = allocate("--seats", "H13,H14,J5", "--include-held")
    assert released.exit_code == 0, released.output
    assert released.json()["held_released"] == ["H13", "H14"] and released.json()["seats"] == ["H13", "H14", "J5"]
    rows = _rows(cli, central, gala)
    assert rows["stalls"]["held"] == 2 and rows["stalls"]["allocated"][tid] == 3
    assert rows["stalls"]["free"] == before["free"] - 1
    assert rows["stalls"]["house_seats_released"] == {"H13": tid, "H14": tid}
    shown = cli("central", "allocations", gala, "--db", central.db_url)
    assert "house seats released to House 1: H13, H14" in shown.stdout
    assert "web sold + allocated + held + free = capacity" in shown.stdout
    with connect(central.db_url) as db:  # recorded with the grant, and sent with it
        grant = central_alloc.grants_after(db, tid, 0)["grants"][-1]
    assert grant["held_released"] == ["H13", "H14"]

    # the web shop gets no house seat, released or not
    for seat, why in (("H15", "held back by the venue"), ("H13", "allocated to a terminal")):
        order = [{"ref": f"house-{seat}-{central.backend}", "event_id": gala, "customer_name": "W",
                  "email": "w@example.com", "tickets": [{"section_id": "stalls", "type": "adult", "seat": seat}]}]
        with pytest.raises(BoxOfficeError) as web:
            central.web_orders(order, tmp_path)
        assert web.value.code == "invalid_document" and why in web.value.details["errors"][0]

    # the terminal may sell what was released to it
    assert sync(a)["grants_applied"] == 1
    sold = cli("sell", gala, "--section", "stalls", "--type", "adult=1", "--seats", "H13", "--card", "4242",
               "--json", db=a)
    assert sold.exit_code in (0, 7), sold.output
    code = sold.json()["order"]
    service.release(a, gala, "stalls", seats=["H14"])  # given back: held again centrally, not free
    sync(a)
    rows = _rows(cli, central, gala)
    assert rows["stalls"]["held"] == 3 and rows["stalls"]["allocated"][tid] == 2
    assert rows["stalls"]["free"] == before["free"] - 1

    # refunded at the counter: the seat goes back into this terminal's allocation, still counted once
    refunded = cli("refund", code, "--yes", "--json", db=a)
    assert refunded.exit_code == 0, refunded.output
    sync(a)
    rows = _rows(cli, central, gala)
    assert rows["stalls"]["allocated"][tid] == 2 and rows["stalls"]["held"] == 3
    # recalled: every unsold place leaves the terminal at its next sync; H13 is held again, J5 free
    cli("central", "recall", gala, "--terminal", "House 1", "--section", "stalls", "--reason", "closing",
        "--db", central.db_url)
    sync(a)
    rows = _rows(cli, central, gala)
    assert rows["stalls"]["held"] == 4 and tid not in rows["stalls"]["allocated"]
    assert rows["stalls"]["free"] == before["free"]


def test_a_released_house_seat_stays_sellable_when_the_catalogue_is_published_again(central: Central, make_terminal,
                                                                                    cli, demo_events,
                                                                                    tmp_path) -> None:
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    _, jazz = demo_events
    a = _enrolled(make_terminal, central, "House 2", top_up_below=0)
    sync(a)
    r = cli("central", "allocate", jazz, "--terminal", "House 2", "--section", "stalls", "--seats", "H16",
            "--include-held", "--db", central.db_url)
    assert r.exit_code == 0, r.output
    sync(a)
    doc = demo_catalog(T0.date())
    doc["events"][1]["name"] = "Late Night Jazz (new time)"
    central.publish(doc, tmp_path)
    sync(a)  # the new catalogue replaces the event here (it has no sale yet), keeping what the terminal holds
    assert a.conn.execute("SELECT name FROM events WHERE id = ?", (jazz,)).fetchone()[0] == "Late Night Jazz (new time)"
    assert tuple(a.conn.execute("SELECT allocated, status FROM seats WHERE event_id = ? AND label = 'H16'",
                          (jazz,)).fetchone()) == (1, "free")
    sold = cli("sell", jazz, "--section", "stalls", "--type", "adult=1", "--seats", "H16", "--card", "4242", db=a)
    assert sold.exit_code in (0, 7), sold.output
