"""A night against a real pretix: the central service serves in bridge mode (`central serve --pretix`), two counters
sell offline from their allocations while the web shop sells in pretix, then everything meets.

At the end: pretix's quota was never oversold, pretix's orders are exactly what the counters sold (refunds
cancelled), the web orders reached the pickup desk and were handed out once, the doors admitted pretix tickets by
their secrets and refused a cancelled order's, and every check-in reached pretix once, a ticket also scanned by
pretix's own scanner flagged as a conflict.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from night_kit import act_as, refund, sell
from pretix_kit import PretixKitError, availability, buy, cancel, checkin_list, make_event
from sync_helpers import Central, CentralServer, enroll, sync

from boxoffice.central.services import stock_gate
from boxoffice.services.door import door_event, scan
from boxoffice.services.pickup import pick_up

pytest_plugins = ["sync_support"]

NIGHT = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)  # pretix's event; the counters' clock is set around it
SIZE = 30


@pytest.fixture
def night(pretix_server: Any, tmp_path: Path, cli: Any) -> Iterator[dict[str, Any]]:
    """A pretix event with signed (pretix_sig1) secrets, one quota of 30 holding two products; a central database
    whose catalogue the bridge pulled from it; `central serve` in bridge mode on loopback."""
    px = pretix_server
    slug = f"night-{secrets.token_hex(3)}"
    made = make_event(px, slug, quotas={"stalls": SIZE},
                      items={"adult": ("25.00", ["stalls"]), "child": ("10.00", ["stalls"])}, sig1=True,
                      date_from=NIGHT)
    checkin_list(px, slug, "Main entrance")  # the venue's own door list, which pretix's scanners use too
    db = str(tmp_path / "central.db")
    assert cli("central", "init", "--db", db, "--json").exit_code == 0
    first = bridge(cli, px, db, slug, "--step", "catalogue")
    assert first["ok"] and first["steps"]["catalogue"]["published"] == 1, first
    server = CentralServer(db, tmp_path / "serve.log", args=(
        "--pretix", px.url, "--pretix-organizer", px.organizer, "--pretix-event", slug,
        "--pretix-token-file", str(px.token_file), "--pretix-every", "3600"))
    try:
        _wait_for_the_services_own_round(cli, db, first["at"], tmp_path / "serve.log")
        yield {"px": px, "slug": slug, "items": made["items"], "quota": made["quotas"]["stalls"], "db": db,
               "central": Central("sqlite", db, server)}
    finally:
        server.stop()
        stock_gate.install(None)


def _wait_for_the_services_own_round(cli: Any, db: str, after: str, log: Path, timeout: float = 120) -> None:
    """`central serve --pretix` runs a round as it starts (and tries a failed one again soon): the test's own
    rounds come after a good one, not beside it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cli("central", "pretix", "status", "--db", db, "--json", now=None).json()["last_round"]
        if last and last["at"] > after and last["ok"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"the service's first good bridge round did not end; last round: {last}; "
                         f"the service's log ends: {log.read_text()[-1500:]}")


def bridge(cli: Any, px: Any, db: str, slug: str, *args: str) -> dict[str, Any]:
    """One bridge round through the CLI (exit 0 and ok, or the outcome says why not)."""
    r = cli("central", "pretix", "sync", "--url", px.url, "--organizer", px.organizer, "--event", slug,
            "--token-file", str(px.token_file), "--db", db, "--json", *args, now=None)
    assert r.exit_code == 0, r.stdout + r.stderr
    return dict(r.json())


def pretix_orders(px: Any, slug: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with px.client() as c:
        page = 1
        while True:
            body = c.get(f"events/{slug}/orders/", params={"page": page}).json()
            out += body["results"]
            if not body["next"]:
                return out
            page += 1


def test_a_night_against_pretix(night: dict[str, Any], make_terminal: Any, clock: Any, cli: Any) -> None:
    px, slug, items, db = night["px"], night["slug"], night["items"], night["db"]
    central: Central = night["central"]
    clock.set(NIGHT - timedelta(hours=3))

    # two counters enrolled; each is granted 10 places, set aside in pretix by its voucher first
    counters = []
    for name in ("Counter 1", "Counter 2"):
        ctx = make_terminal(name=name, fresh=True)
        ctx.config.values["allocation"] = {"top_up_below": 0}  # the box office hands out places itself tonight
        enroll(ctx, central)
        assert sync(ctx)["parked"] == 0
        r = cli("central", "allocate", slug, "--terminal", ctx.terminal["id"], "--section", "stalls", "--count",
                "10", "--db", db, "--json", now=None)
        assert r.exit_code == 0, r.stdout + r.stderr
        sync(ctx)
        counters.append(ctx)
    one, two = counters
    assert availability(px, slug, night["quota"])["available_number"] == SIZE - 20

    # the network goes down: the counters sell from what they hold, the web shop from what is left in pretix
    for ctx in counters:
        act_as(ctx, "sam")
    sold_one = [sell(one, slug, "stalls", {"adult": 2, "child": 1}), sell(one, slug, "stalls", {"adult": 4})]
    sold_two = [sell(two, slug, "stalls", {"adult": 3}), sell(two, slug, "stalls", {"child": 2, "adult": 1})]
    web_a = buy(px, slug, items["adult"], 3, email="mei.lin@example.org", attendee_names=["Mei Lin"] * 3)
    web_b = buy(px, slug, items["child"], 2, email="tom.hart@example.org", attendee_names=["Tom Hart"] * 2)
    with pytest.raises(PretixKitError):  # 6 would take places the counters hold: pretix refuses, no oversell
        buy(px, slug, items["adult"], 6)
    assert availability(px, slug, night["quota"])["available_number"] == SIZE - 20 - 5

    # a refund at counter 1 while still offline (by its supervisor): the place goes back to its allocation
    act_as(one, "ada")
    refund(one, sold_one[1]["order"]["code"], tickets=[sold_one[1]["tickets"][0]["id"]])

    # back online: the counters push, a round mirrors both ways, the counters pull
    for ctx in counters:
        sync(ctx)
    done = bridge(cli, px, db, slug)
    assert done["ok"], done
    for ctx in counters:
        sync(ctx)

    # pretix's orders are what the counters sold, on their vouchers, the refunded ticket cancelled
    ours = {o["code"]: o for o in pretix_orders(px, slug) if o["payment_provider"] == "boxoffice"}
    counter_tickets = sum(len(s["tickets"]) for s in sold_one + sold_two)
    live = [p for o in ours.values() for p in o["positions"] if not p.get("canceled")]
    assert len(ours) == 4 and len(live) == counter_tickets - 1 == 12
    assert all(p["voucher"] for o in ours.values() for p in o["positions"])
    # the ticket refunded before it went up never reached pretix: nothing to refund there
    assert sorted(o["total"] for o in ours.values()) == ["45.00", "60.00", "75.00", "75.00"]
    assert all(not o["refunds"] for o in ours.values())
    # the quota, counted by pretix: never more sold than it holds
    counted = availability(px, slug, night["quota"])
    assert counted["paid_orders"] <= SIZE and counted["available_number"] >= 0
    assert counted["paid_orders"] == 12 + 5

    # the pickup desk (counter 1) finds Mei Lin's web order and hands it out once
    found = cli("pickup", "find", "Mei Lin", "--json", db=one, pin="1111")
    assert found.exit_code == 0, found.stdout + found.stderr
    (hit,) = [h for h in found.json()["results"] if h["event_id"] == slug]
    handed = pick_up(one, hit["code"], print_now=False, confirmed=True)
    assert len(handed["handed_out"]) == 3
    again = cli("pickup", hit["code"], "--json", db=one, pin="1111")
    assert again.exit_code == 4 and again.json()["error"]["code"] == "already_picked_up"

    # counter 2's supervisor refunds a child ticket that went up already: cancelled in pretix at the next round,
    # and the 10.00 paid back recorded there as a refund done by the box office
    act_as(two, "ada")
    child = next(t["id"] for t in sold_two[1]["tickets"] if t["ticket_type_id"] == "child")
    refund(two, sold_two[1]["order"]["code"], tickets=[child])

    # the doors open; door staff at counter 2 scan pretix tickets by their secrets and counter tickets by token
    clock.set(NIGHT - timedelta(minutes=30))
    act_as(two, "dan")
    gate = door_event(two, slug)
    for pos in web_a["positions"][:2]:
        assert scan(two, pos["secret"], gate)["result"] == "admit"
    token = two.conn.execute("SELECT token FROM tickets WHERE id = ?",
                             (sold_two[0]["tickets"][0]["id"],)).fetchone()[0]
    assert scan(two, token, gate)["result"] == "admit"
    # Tom Hart's order is cancelled in pretix; its tickets must not get in once the doors have synced
    cancel(px, slug, web_b["code"])
    # and Mei Lin's third ticket is scanned by pretix's own app at another door first
    with px.client() as c:
        r = c.post("checkinrpc/redeem/", json={"secret": web_a["positions"][2]["secret"], "lists": [
            next(cl["id"] for cl in c.get(f"events/{slug}/checkinlists/").json()["results"]
                 if cl["name"] != "boxoffice pickup")], "nonce": secrets.token_hex(8), "type": "entry"})
        assert r.status_code == 201 and r.json()["status"] == "ok", r.text
    assert scan(two, web_a["positions"][2]["secret"], gate)["result"] == "admit"  # offline, it cannot know

    for ctx in counters:
        sync(ctx)
    done = bridge(cli, px, db, slug)
    assert done["ok"], done
    sync(two)
    refused = scan(two, web_b["positions"][0]["secret"], gate)
    assert refused["result"] == "refused" and refused["code"] == "revoked"

    # every check-in reached pretix once; the ticket pretix let in first is a conflict for a supervisor
    with px.client() as c:
        mei = c.get(f"events/{slug}/orders/{web_a['code']}/").json()
    entries = [[ci for ci in p["checkins"] if ci["type"] == "entry"] for p in mei["positions"]]
    pickup_list = next(cl["id"] for cl in c_lists(px, slug) if cl["name"] == "boxoffice pickup")
    assert [sum(ci["list"] == pickup_list for ci in e) for e in entries] == [1, 1, 1]
    assert [sum(ci["list"] != pickup_list for ci in e) for e in entries] == [1, 1, 1]
    # the counter's own ticket scanned at the door: checked in once on its pretix order too
    (pos_id,) = [r["position_id"] for r in central.query("SELECT position_id FROM pretix_tickets WHERE ticket_id = ?",
                                                         (sold_two[0]["tickets"][0]["id"],))]
    mine = [p for o in pretix_orders(px, slug) for p in o["positions"] if p["id"] == pos_id]
    assert [ci["type"] for ci in mine[0]["checkins"]] == ["entry"]
    conflicts = cli("central", "conflicts", "--db", db, "--json", now=None)
    assert conflicts.exit_code == 0
    flagged = [x for x in conflicts.json() if x["kind"] == "checked_in_twice"]
    assert len(flagged) == 1 and "pretix" in str(flagged[0]), conflicts.stdout
    (refunded,) = [o for o in pretix_orders(px, slug) if o["payment_provider"] == "boxoffice" and o["refunds"]]
    assert [(r["state"], r["provider"], r["amount"]) for r in refunded["refunds"]] == [("done", "boxoffice", "10.00")]
    assert sorted(p["price"] for p in refunded["positions"]) == ["10.00", "25.00"]  # the cancelled child left out
    # a further round changes nothing in pretix
    before = [(o["code"], o["status"], len(o["positions"])) for o in pretix_orders(px, slug)]
    assert bridge(cli, px, db, slug)["ok"]
    assert [(o["code"], o["status"], len(o["positions"])) for o in pretix_orders(px, slug)] == before


def c_lists(px: Any, slug: str) -> list[dict[str, Any]]:
    with px.client() as c:
        return list(c.get(f"events/{slug}/checkinlists/").json()["results"])
