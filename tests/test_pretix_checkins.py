"""Pickups and door check-ins going up to a real pretix (bridge step `checkins`), from real terminals through a real
central service: each ticket checked in once on the right list, nothing added by a second run or by a repeated
redeem, a ticket pretix let in already flagged as a conflict, pretix's refusals shown with its reason.

The tickets are pretix orders bought through its API; their central copies are web orders imported into the central
service, and their pretix secrets are linked in ``pretix_tickets`` here (what the web-orders step does in a round).
"""

from __future__ import annotations

import secrets
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pretix_kit import buy, cancel, checkin_list, make_event
from pretix_server import PretixServer
from sync_helpers import Central, sync

from boxoffice.central.store.db import connect
from boxoffice.domain.ids import uuid7
from boxoffice.services.door import door_event, scan
from boxoffice.services.pickup import pick_up

pytest_plugins = ["sync_support"]

# --- pretix and central set-up ------------------------------------------------------------------------------


def _pretix_event(px: PretixServer, *, entry_list: str | None = "Main entrance") -> dict[str, Any]:
    """A pretix event of this helper's own (slug pxcheck-...), one item in one quota, and (unless None) an entry
    list made by the venue before the bridge ever ran."""
    slug = f"pxcheck-{secrets.token_hex(3)}"
    made = make_event(px, slug, name="Check-in night", quotas={"Standing": 100},
                      items={"Adult": ("22.50", ["Standing"])}, date_from=datetime(2026, 12, 8, 19, 30, tzinfo=UTC))
    lst = checkin_list(px, slug, entry_list)["id"] if entry_list else None
    return {"slug": slug, "item": made["items"]["Adult"], "entry_list": lst}


def _buy(px: PretixServer, ev: dict[str, Any], n: int) -> dict[str, Any]:
    """A paid pretix order of ``n`` tickets."""
    return buy(px, ev["slug"], ev["item"], n, email="guest@example.org", price="22.50")


def _publish(central: Central, slug: str, tmp: Path) -> None:
    """The demo catalogue and the pretix event as a boxoffice event (id = its slug), on the demo gala's night."""
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    doc = demo_catalog(T0.date())
    night = dict(doc["events"][0])
    night.update(id=slug, name="Check-in night", reentry=True,
                 sections=[{"id": "standing", "name": "Standing", "kind": "general", "capacity": 100}],
                 ticket_types=[{"id": "adult", "name": "Adult", "prices": {"standing": "22.50"}}])
    doc["events"].append(night)
    central.publish(doc, tmp)


def _import(central: Central, ev: dict[str, Any], order: dict[str, Any], tmp: Path,
            link: int | None = None) -> dict[str, Any]:
    """The pretix order as the central web order the pickup desks see, its first ``link`` tickets (all: None)
    linked to their pretix positions and secrets. Returns the code and the central ticket ids in position order."""
    out = central.web_orders([{"ref": f"pretix:{order['code']}", "event_id": ev["slug"], "customer_name": "Guest",
                               "tickets": [{"section_id": "standing", "type": "adult"}] * len(order["positions"])}],
                             tmp)
    code = out["codes"][0]
    rows = central.query("SELECT t.id, t.order_id FROM tickets t JOIN orders o ON o.id = t.order_id"
                         " WHERE o.code = ? ORDER BY t.id", (code,))
    for row, pos in list(zip(rows, order["positions"], strict=True))[:link]:
        _link(central, row["id"], row["order_id"], ev["slug"], pos)
    return {"code": code, "tickets": [r["id"] for r in rows], "order": order}


def _link(central: Central, ticket_id: str, order_id: str, slug: str, pos: dict[str, Any]) -> None:
    with connect(central.db_url) as db, db.transaction():
        db.execute("INSERT INTO pretix_tickets (ticket_id, order_id, pretix_event, position_id, secret)"
                   " VALUES (?, ?, ?, ?, ?)", (ticket_id, order_id, slug, pos["id"], pos["secret"]))


def _bridge(cli: Any, px: PretixServer, central: Central, slug: str, *args: str) -> Any:
    return cli("central", "pretix", "sync", "--url", px.url, "--organizer", px.organizer, "--event", slug,
               "--token-file", px.token_file, "--step", "checkins", "--db", central.db_url, "--json", *args)


def _checkins(px: PretixServer, slug: str, code: str) -> list[list[tuple[int, str]]]:
    """Each position's check-ins in pretix, as (list, type) in time order."""
    with px.client() as c:
        order = c.get(f"events/{slug}/orders/{code}/").json()
    return [[(ci["list"], ci["type"]) for ci in sorted(p["checkins"], key=lambda ci: ci["datetime"])]
            for p in order["positions"]]


def _lists(px: PretixServer, slug: str) -> dict[str, dict[str, Any]]:
    with px.client() as c:
        return {cl["name"]: cl for cl in c.get(f"events/{slug}/checkinlists/").json()["results"]}


def _status(cli: Any, central: Central) -> dict[str, Any]:
    """What `central pretix status --json` says of the check-ins going up."""
    out = cli("central", "pretix", "status", "--db", central.db_url, "--json")
    assert out.exit_code == 0, out.output
    return out.json()["checkins"]


def _token(ctx: Any, ticket_id: str) -> str:
    return ctx.conn.execute("SELECT token FROM tickets WHERE id = ?", (ticket_id,)).fetchone()[0]


def _doors_open(clock: Any) -> None:
    from conftest import T0

    clock.set(T0 + timedelta(days=7, hours=9))  # 19:00 on the night: the doors opened at 18:45


# --- the tests ----------------------------------------------------------------------------------------------


def test_pickups_and_door_scans_reach_pretix_once_on_their_lists(central, terminals, pretix_server, cli, clock,
                                                                tmp_path) -> None:  # noqa: ANN001
    px = pretix_server
    ev = _pretix_event(px)
    _publish(central, ev["slug"], tmp_path)
    web = _import(central, ev, _buy(px, ev, 3), tmp_path, link=2)  # the third ticket's secret comes later
    desk, door = terminals(2)
    for t in (desk, door):
        sync(t)
    assert pick_up(desk, web["code"], print_now=False)["handed_out"] == web["tickets"]  # one entry, three tickets
    _doors_open(clock)
    first, second, _third = web["tickets"]
    gate = door_event(door, ev["slug"])
    assert scan(door, _token(door, first), gate)["result"] == "admit"
    assert scan(door, _token(door, first), gate, "out")["result"] == "exit"
    assert scan(door, _token(door, second), gate)["result"] == "admit"
    for t in (desk, door):
        sync(t)
    before = _status(cli, central)

    done = _bridge(cli, px, central, ev["slug"])
    assert done.exit_code == 0, done.output
    assert done.json()["steps"]["checkins"] == {"sent": 5, "waiting": 1}
    lists = _lists(px, ev["slug"])
    pickup, entry = lists["boxoffice pickup"]["id"], ev["entry_list"]
    assert set(lists) == {"boxoffice pickup", "Main entrance"}  # the venue's list is the door's; no other made
    assert lists["boxoffice pickup"]["ignore_in_statistics"] is True
    assert lists["boxoffice pickup"]["consider_tickets_used"] is False
    code = web["order"]["code"]
    assert _checkins(px, ev["slug"], code) == [[(pickup, "entry"), (entry, "entry"), (entry, "exit")],
                                               [(pickup, "entry"), (entry, "entry")], []]
    shown = _status(cli, central)
    assert (shown["pending"], shown["sent"] - before["sent"], shown["refused"]) == (1, 5, before["refused"])

    _link(central, web["tickets"][2], central.scalar("SELECT order_id FROM tickets WHERE id = ?",
                                                     (web["tickets"][2],)), ev["slug"], web["order"]["positions"][2])
    again = _bridge(cli, px, central, ev["slug"])
    assert again.json()["steps"]["checkins"] == {"sent": 1}
    assert _bridge(cli, px, central, ev["slug"]).json()["steps"]["checkins"] == {}
    after = _checkins(px, ev["slug"], code)
    assert after == [[(pickup, "entry"), (entry, "entry"), (entry, "exit")], [(pickup, "entry"), (entry, "entry")],
                     [(pickup, "entry")]]
    shown = _status(cli, central)
    assert (shown["pending"], shown["sent"] - before["sent"]) == (0, 6)
    text = cli("central", "pretix", "status", "--db", central.db_url).stdout
    assert f"pickups and check-ins up: 0 pending, {shown['sent']} sent," in text


def test_a_redeem_sent_again_with_its_nonce_adds_nothing_in_pretix(central, terminals, pretix_server, cli, clock,
                                                                  tmp_path) -> None:  # noqa: ANN001
    """What makes the step safe to repeat: a central service that died after pretix answered and before it kept
    the answer sends the same redeem again, and pretix knows the nonce."""
    px = pretix_server
    ev = _pretix_event(px, entry_list=None)
    _publish(central, ev["slug"], tmp_path)
    web = _import(central, ev, _buy(px, ev, 1), tmp_path)
    (door,) = terminals(1)
    sync(door)
    _doors_open(clock)
    assert scan(door, _token(door, web["tickets"][0]), door_event(door, ev["slug"]))["result"] == "admit"
    sync(door)
    assert _bridge(cli, px, central, ev["slug"]).json()["steps"]["checkins"] == {"sent": 1}
    lists = _lists(px, ev["slug"])
    assert set(lists) == {"boxoffice pickup", "boxoffice door"}  # the event had no list: the bridge made one
    entry_id = central.scalar("SELECT entry_id FROM pretix_checkins WHERE pretix_event = ?", (ev["slug"],))
    with connect(central.db_url) as db, db.transaction():  # as if the answer had never been kept
        db.execute("DELETE FROM pretix_checkins WHERE entry_id = ?", (entry_id,))
    assert _bridge(cli, px, central, ev["slug"]).json()["steps"]["checkins"] == {"sent": 1}
    with px.client() as c:  # and once more by hand, the same nonce and list
        r = c.post("checkinrpc/redeem/", json={"secret": web["order"]["positions"][0]["secret"], "nonce": entry_id,
                                                "lists": [lists["boxoffice door"]["id"]], "type": "entry"})
        assert r.status_code == 201 and r.json()["status"] == "ok", r.text
    assert _checkins(px, ev["slug"], web["order"]["code"]) == [[(lists["boxoffice door"]["id"], "entry")]]


def test_a_ticket_pretix_let_in_first_is_flagged_as_a_conflict(central, terminals, pretix_server, cli, clock,
                                                              tmp_path) -> None:  # noqa: ANN001
    px = pretix_server
    ev = _pretix_event(px)
    _publish(central, ev["slug"], tmp_path)
    order = _buy(px, ev, 1)
    web = _import(central, ev, order, tmp_path)
    (door,) = terminals(1)
    sync(door)
    with px.client() as c:  # pretix's own scanner at another gate, ten minutes before the boxoffice door
        r = c.post("checkinrpc/redeem/", json={"secret": order["positions"][0]["secret"], "type": "entry",
                                                "lists": [ev["entry_list"]], "datetime": "2026-12-08T18:50:00Z"})
        assert r.json()["status"] == "ok", r.text
    _doors_open(clock)
    assert scan(door, _token(door, web["tickets"][0]), door_event(door, ev["slug"]))["result"] == "admit"
    sync(door)

    done = _bridge(cli, px, central, ev["slug"])
    assert done.json()["steps"]["checkins"] == {"conflict": 1, "conflicts": 1}
    listed = cli("central", "conflicts", "--db", central.db_url, "--json").json()
    (flag,) = [f for f in listed if f["ticket_id"] == web["tickets"][0]]
    assert flag["kind"] == "checked_in_twice" and flag["first_terminal"] == "pretix"
    assert flag["second_terminal"] == door.terminal["id"] and "pretix" in flag["rule"]
    assert flag["first_at"].startswith("2026-12-08T18:50")
    assert flag["order_code"] == web["code"]
    text = cli("central", "conflicts", "--db", central.db_url).stdout
    assert "checked in twice" in text and "pretix" in text and web["code"] in text
    sync(door)  # the flag comes down to the door whose scan it was
    assert [tuple(r) for r in door.conn.execute("SELECT first_terminal FROM sync_conflicts WHERE ticket_id = ?",
                                                (web["tickets"][0],))] == [("pretix",)]
    assert _bridge(cli, px, central, ev["slug"]).json()["steps"]["checkins"] == {}
    assert _checkins(px, ev["slug"], order["code"]) == [[(ev["entry_list"], "entry")]]  # pretix's own, once
    assert _status(cli, central)["conflict"] >= 1


def test_two_boxoffice_doors_admitting_one_ticket_are_flagged_once(central, terminals, pretix_server, cli, clock,
                                                                   tmp_path) -> None:  # noqa: ANN001
    """Two doors cut off from each other let the same ticket in: the central service flags the pair when they are
    pushed; pretix takes the earlier scan and refuses the later one, and that is no second flag."""
    px = pretix_server
    ev = _pretix_event(px)
    _publish(central, ev["slug"], tmp_path)
    order = _buy(px, ev, 1)
    web = _import(central, ev, order, tmp_path)
    early, late = terminals(2)
    for t in (early, late):
        sync(t)
    _doors_open(clock)
    ticket = web["tickets"][0]
    assert scan(early, _token(early, ticket), door_event(early, ev["slug"]))["result"] == "admit"
    clock.set(clock() + timedelta(minutes=1))
    assert scan(late, _token(late, ticket), door_event(late, ev["slug"]))["result"] == "admit"
    sync(late)  # the later scan reaches the central service first: the earlier one is flagged against it
    (flag,) = sync(early)["conflicts"]
    assert flag["kind"] == "checked_in_twice" and flag["first"]["terminal_id"] == late.terminal["id"]

    assert _bridge(cli, px, central, ev["slug"]).json()["steps"]["checkins"] == {"sent": 1, "conflict": 1}
    assert central.scalar("SELECT count(*) FROM conflicts WHERE ticket_id = ?", (ticket,)) == 1
    (sent,) = central.query("SELECT entry_id FROM pretix_checkins WHERE ticket_id = ? AND state = 'sent'", (ticket,))
    assert central.scalar("SELECT terminal_id FROM journal WHERE id = ?", (sent["entry_id"],)) == early.terminal["id"]
    assert _checkins(px, ev["slug"], order["code"]) == [[(ev["entry_list"], "entry")]]


def test_pretix_refusals_are_kept_with_its_reason_and_shown(central, terminals, pretix_server, cli, clock,
                                                           tmp_path) -> None:  # noqa: ANN001
    px = pretix_server
    ev = _pretix_event(px)
    _publish(central, ev["slug"], tmp_path)
    order = _buy(px, ev, 1)
    web = _import(central, ev, order, tmp_path)
    (door,) = terminals(1)
    sync(door)
    cancel(px, ev["slug"], order["code"])  # canceled in pretix; the door has not heard yet
    _doors_open(clock)
    assert scan(door, _token(door, web["tickets"][0]), door_event(door, ev["slug"]))["result"] == "admit"
    sync(door)
    done = _bridge(cli, px, central, ev["slug"])
    assert done.exit_code == 0 and done.json()["steps"]["checkins"] == {"refused": 1}
    shown = _status(cli, central)
    (refusal,) = [r for r in shown["refused_recent"] if r["ticket_id"] == web["tickets"][0]]
    assert refusal["result"].startswith("canceled") and refusal["kind"] == "entry"
    text = cli("central", "pretix", "status", "--db", central.db_url).stdout
    assert f"refused: entry of ticket {web['tickets'][0]}" in text and "canceled" in text
    assert _bridge(cli, px, central, ev["slug"]).json()["steps"]["checkins"] == {}


def test_a_door_scan_of_a_pretix_secret_alone_goes_up_by_its_secret(central, terminals, pretix_server, cli, clock,
                                                                   tmp_path) -> None:  # noqa: ANN001
    """A door that admitted a signed pretix ticket no central data knew journals the secret itself
    (``external_secret``, no ticket id): it is redeemed by that secret on the event's entry list."""
    from boxoffice.store.db import write

    px = pretix_server
    ev = _pretix_event(px)
    _publish(central, ev["slug"], tmp_path)
    order = _buy(px, ev, 1)
    (door,) = terminals(1)
    sync(door)
    _doors_open(clock)
    with write(door.conn):
        door.journal("checkin", {"nonce": uuid7(), "ticket": None, "event": ev["slug"], "direction": "in",
                                 "at": door.now_iso(), "terminal": door.terminal["id"],
                                 "external_secret": order["positions"][0]["secret"]})
    sync(door)
    assert _bridge(cli, px, central, ev["slug"]).json()["steps"]["checkins"] == {"sent": 1}
    assert _checkins(px, ev["slug"], order["code"]) == [[(ev["entry_list"], "entry")]]
    assert _bridge(cli, px, central, ev["slug"]).json()["steps"]["checkins"] == {}


def test_pretix_out_of_reach_stops_the_step_and_the_next_round_sends(central, terminals, pretix_server, cli, clock,
                                                                    tmp_path) -> None:  # noqa: ANN001
    px = pretix_server
    ev = _pretix_event(px)
    _publish(central, ev["slug"], tmp_path)
    web = _import(central, ev, _buy(px, ev, 1), tmp_path)
    (desk,) = terminals(1)
    sync(desk)
    pick_up(desk, web["code"], print_now=False)
    sync(desk)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    down = cli("central", "pretix", "sync", "--url", closed, "--organizer", px.organizer, "--event", ev["slug"],
               "--token-file", px.token_file, "--step", "checkins", "--db", central.db_url, "--json")
    assert down.exit_code == 8 and down.json()["error"]["code"] == "pretix_unreachable"
    shown = cli("central", "pretix", "status", "--db", central.db_url, "--json").json()
    assert shown["last_round"]["error"]["step"] == "checkins" and shown["checkins"]["pending"] >= 1
    assert _bridge(cli, px, central, ev["slug"]).json()["steps"]["checkins"] == {"sent": 1}
    pickup = _lists(px, ev["slug"])["boxoffice pickup"]["id"]
    assert _checkins(px, ev["slug"], web["order"]["code"]) == [[(pickup, "entry")]]
    assert _bridge(cli, px, central, ev["slug"]).json()["steps"] == {"checkins": {}}


def test_a_central_database_at_schema_13_gains_the_check_in_indexes_keeping_its_rows(tmp_path: Path) -> None:
    from boxoffice.central.store import schema

    url = str(tmp_path / "central.db")
    with connect(url) as db:
        schema.migrate(db, "2026-12-01T10:00:00Z", upto=13)
        with db.transaction():
            db.execute("INSERT INTO pretix_checkins (entry_id, ticket_id, kind, pretix_event, state, updated_at)"
                       " VALUES ('e1', 't1', 'entry', 'gala', 'sent', '2026-12-01T10:00:00Z')")
        moved = schema.migrate(db, "2026-12-01T11:00:00Z")
        assert 15 in moved["migrations"] and schema.version(db) == schema.LATEST
        assert db.scalar("SELECT state FROM pretix_checkins WHERE entry_id = 'e1'") == "sent"
        names = {r["name"] for r in db.all("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"journal_kind_at", "pretix_checkins_state"} <= names


def test_a_linked_list_gone_from_pretix_is_looked_for_again(central, terminals, pretix_server, cli, clock,
                                                            tmp_path) -> None:  # noqa: ANN001
    px = pretix_server
    ev = _pretix_event(px)
    _publish(central, ev["slug"], tmp_path)
    order = _buy(px, ev, 1)
    web = _import(central, ev, order, tmp_path)
    (door,) = terminals(1)
    sync(door)
    _doors_open(clock)
    assert scan(door, _token(door, web["tickets"][0]), door_event(door, ev["slug"]))["result"] == "admit"
    sync(door)
    with connect(central.db_url) as db, db.transaction():  # a list deleted in pretix since the bridge linked it
        db.execute("INSERT INTO pretix_links (kind, local_id, pretix_event, pretix_id) VALUES ('checkin_list', ?, ?,"
                   " '987654321')", (f"{ev['slug']}/entry", ev["slug"]))
    stopped = _bridge(cli, px, central, ev["slug"])
    assert stopped.exit_code == 8 and stopped.json()["error"]["code"] == "pretix_refused"
    assert _bridge(cli, px, central, ev["slug"]).json()["steps"]["checkins"] == {"sent": 1}
    assert _checkins(px, ev["slug"], order["code"]) == [[(ev["entry_list"], "entry")]]
    assert central.scalar("SELECT pretix_id FROM pretix_links WHERE kind = 'checkin_list' AND local_id = ?",
                          (f"{ev['slug']}/entry",)) == str(ev["entry_list"])
