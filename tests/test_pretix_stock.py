"""Stock without oversell, against a real pretix: the places the central service grants a terminal are blocked in
pretix by the terminal's voucher, so pretix's web shop cannot sell them, and a grant pretix has no room for is
refused. Through `boxoffice central allocate`, `central write-off`, `central recall`, `central pretix sync --step
stock` and a terminal's `boxoffice sync` against `central serve --pretix`.

The central catalogue and its links to pretix (section -> quota, seat -> guid) are made by the bridge's own
catalogue step (`central pretix sync --step catalogue`), from events tests/pretix_kit.py makes.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pretix_kit import WEB_PAYMENT, availability, bridge_sync, cancel, make_event
from sync_helpers import Central, CentralServer, central_db, enroll, free_port

from boxoffice.central.services import stock_gate

pytest_plugins = ["sync_support"]

BRIDGE_ENV = "BOXOFFICE_PRETIX_BRIDGE"
SECTION = "stalls"


@pytest.fixture(scope="module")
def px(pretix_server: Any) -> Any:
    """The pretix of the bridge tests (tests/pretix_server.py)."""
    return pretix_server


@pytest.fixture(autouse=True)
def _no_gate_left() -> Iterator[None]:
    """The CLI runs in-process here: a gate one command installed must not reach the next test."""
    yield
    stock_gate.install(None)


# -- pretix, through its API -------------------------------------------------------------------------------------

def make_pretix_event(px: Any, size: int = 10, *, seating: bool = False) -> dict[str, Any]:
    """A live event with one item (adult) in one quota (stalls) of ``size``; with ``seating``, sold by seat from a
    plan whose category "stalls" has rows A and B of 5 seats (guids "stalls-A-1"...)."""
    slug = f"pxstock-{secrets.token_hex(3)}"
    made = make_event(px, slug, quotas={"stalls": size}, items={"adult": ("25.00", ["stalls"])}, seating=seating)
    return {"slug": slug, "item": made["items"]["adult"], "quota": made["quotas"]["stalls"]}


def available(px: Any, ev: dict[str, Any]) -> int:
    return int(availability(px, ev["slug"], ev["quota"])["available_number"])


def vouchers(px: Any, ev: dict[str, Any]) -> list[dict[str, Any]]:
    with px.client() as c:
        return c.get(f"events/{ev['slug']}/vouchers/", params={"tag": "boxoffice"}).json()["results"]


def web_order(px: Any, ev: dict[str, Any], n: int) -> httpx.Response:
    """A web shop order of ``n`` places, as pretix takes one (its quota check, no force)."""
    with px.client() as c:
        return c.post(f"events/{ev['slug']}/orders/", json={
            "email": "buyer@example.org", "locale": "en", "sales_channel": "web", "status": "p",
            "payment_provider": WEB_PAYMENT, "send_email": False,
            "positions": [{"item": ev["item"], "price": "25.00"}] * n})


def patch_voucher(px: Any, ev: dict[str, Any], voucher_id: int, n: int) -> None:
    with px.client() as c:
        assert c.patch(f"events/{ev['slug']}/vouchers/{voucher_id}/", json={"max_usages": n}).status_code == 200


# -- the central service, its catalogue pulled from the pretix event -----------------------------------------------

def pull_catalogue(cli: Any, px: Any, db: str, slug: str) -> None:
    """The bridge's catalogue step: the pretix event becomes the central catalogue's event ``slug``, linked."""
    r = cli("central", "pretix", "sync", "--url", px.url, "--organizer", px.organizer, "--event", slug,
            "--token-file", str(px.token_file), "--step", "catalogue", "--db", db, "--json", now=None)
    assert r.exit_code == 0 and r.json()["ok"], r.stdout + r.stderr


def bridge_env(px: Any, slug: str) -> dict[str, str]:
    """What `central serve --pretix` hands its workers, which puts a `central` command in bridge mode."""
    return {BRIDGE_ENV: json.dumps({"url": px.url, "organizer": px.organizer, "events": [slug],
                                    "token_file": str(px.token_file)})}


@pytest.fixture
def bridged(px: Any, tmp_path: Path, request: pytest.FixtureRequest, cli: Any) -> Iterator[dict[str, Any]]:
    """A pretix event with a quota of 10; a central service, its catalogue pulled from the event; the environment
    that puts a `central` command in bridge mode. The parameter: "sqlite-pretix" (the default) serves SQLite with
    --pretix; "sqlite" or "pg" serve without it, so no round of the service's own runs while the test looks."""
    ev = make_pretix_event(px, 10)
    param = getattr(request, "param", "sqlite-pretix")
    backend = param.split("-")[0]
    url = central_db(backend, tmp_path, request)
    pull_catalogue(cli, px, url, ev["slug"])
    server = CentralServer(url, tmp_path / "serve.log", args=(
        "--pretix", px.url, "--pretix-organizer", px.organizer, "--pretix-event", ev["slug"],
        "--pretix-token-file", str(px.token_file), "--pretix-every", "3600") if param.endswith("-pretix") else ())
    try:
        yield {"ev": ev, "central": Central(backend, url, server), "db": url, "env": bridge_env(px, ev["slug"])}
    finally:
        server.stop()


def terminal(make_terminal: Any, central: Central, name: str) -> Any:
    ctx = make_terminal(name=name, fresh=True)
    enroll(ctx, central)
    return ctx


def allocated(cli: Any, b: dict[str, Any], terminal_id: str) -> int:
    r = cli("central", "allocations", b["ev"]["slug"], "--db", b["db"], "--json")
    assert r.exit_code == 0, r.stderr
    row = next(x for x in r.json() if x["section_id"] == SECTION)
    assert row["balanced"]
    return int(row["allocated"].get(terminal_id, 0))


def allocate(cli: Any, b: dict[str, Any], terminal_id: str, n: int, *, bridge: bool = True) -> Any:
    return cli("central", "allocate", b["ev"]["slug"], "--terminal", terminal_id, "--section", SECTION, "--count",
               str(n), "--db", b["db"], "--json", env=b["env"] if bridge else {})


# -- the tests ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bridged", ["sqlite"], indirect=True)
def test_a_grant_blocks_its_places_in_pretix_and_pretix_refuses_what_it_has_no_room_for(
        px: Any, bridged: dict[str, Any], make_terminal: Any, cli: Any) -> None:
    b, ev = bridged, bridged["ev"]
    ctx = terminal(make_terminal, b["central"], "Stock counter")
    tid = ctx.terminal["id"]

    r = allocate(cli, b, tid, 6)
    assert r.exit_code == 0, r.stderr + r.stdout
    (v,) = vouchers(px, ev)
    assert v["max_usages"] == 6 and v["quota"] == ev["quota"] and v["block_quota"] and v["redeemed"] == 0
    assert v["code"].startswith("BX-") and len(v["code"]) >= 30 and tid in v["comment"]
    assert available(px, ev) == 4

    # the web shop cannot sell the terminal's places: 5 would oversell, 4 go through
    assert web_order(px, ev, 5).status_code == 400
    assert web_order(px, ev, 4).status_code == 201, "pretix refused the 4 places that were free"
    assert available(px, ev) == 0

    # central still sees 4 free (the web orders are not down yet), but pretix has no room: refused, nothing moved
    r = allocate(cli, b, tid, 1)
    assert r.exit_code == 4, r.stdout + r.stderr
    assert "pretix" in r.stdout + r.stderr
    assert allocated(cli, b, tid) == 6
    assert [x["max_usages"] for x in vouchers(px, ev)] == [6]

    # an admin shell that was told nothing of the bridge: the database remembers where pretix is (its last round),
    # so the grant goes through pretix all the same, and is refused by it
    stock_gate.install(None)  # as a new process would be: the command above installed the gate in this one
    r = allocate(cli, b, tid, 1, bridge=False)
    assert r.exit_code == 4 and "pretix has no room" in r.stdout + r.stderr, r.stdout + r.stderr
    # a database that never ran a round but holds linked sections: refused outright (it could not block the places)
    stock_gate.install(None)
    from boxoffice.central.store.db import connect

    with connect(b["db"]) as db, db.transaction():
        remembered = db.scalar("SELECT value FROM pretix_state WHERE name = 'bridge'")
        db.execute("DELETE FROM pretix_state WHERE name = 'bridge'")
    r = allocate(cli, b, tid, 1, bridge=False)
    assert r.exit_code == 2 and "pretix" in r.stdout + r.stderr, r.stdout + r.stderr
    assert allocated(cli, b, tid) == 6
    with connect(b["db"]) as db, db.transaction():
        db.execute("INSERT INTO pretix_state (name, value) VALUES ('bridge', ?)", (remembered,))

    # pretix out of reach: a grant is refused (exit 8), nothing moves
    away = {BRIDGE_ENV: json.dumps({"url": f"http://127.0.0.1:{free_port()}", "organizer": px.organizer,
                                    "events": [ev["slug"]], "token_file": str(px.token_file)})}
    r = cli("central", "allocate", ev["slug"], "--terminal", tid, "--section", SECTION, "--count", "1", "--db",
            b["db"], "--json", env=away)
    assert r.exit_code == 8, r.stdout + r.stderr
    assert allocated(cli, b, tid) == 6

    # ... but a write-off stands: its places are freed at once, the voucher stays too high (pretix sells less, never
    # more) until the bridge's next round lowers it, and then pretix may sell them
    r = cli("central", "write-off", ev["slug"], "--terminal", tid, "--by", "Ann Lee", "--reason", "stolen",
            "--yes", "--db", b["db"], "--json", env=away)
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "pretix" in r.stderr
    assert allocated(cli, b, tid) == 0
    assert [x["max_usages"] for x in vouchers(px, ev)] == [6] and available(px, ev) == 0
    r = cli("central", "pretix", "sync", "--url", px.url, "--organizer", px.organizer, "--event", ev["slug"],
            "--token-file", str(px.token_file), "--step", "stock", "--db", b["db"], "--json")
    assert r.exit_code == 0 and r.json()["steps"]["stock"]["lowered"] == 1, r.stdout + r.stderr
    assert [x["max_usages"] for x in vouchers(px, ev)] == [0]
    assert available(px, ev) == 6


@pytest.mark.parametrize("bridged", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)], indirect=True)
def test_step_stock_mends_a_voucher_changed_behind_the_bridges_back(
        px: Any, bridged: dict[str, Any], make_terminal: Any, cli: Any) -> None:
    b, ev = bridged, bridged["ev"]
    ctx = terminal(make_terminal, b["central"], "Mended counter")
    assert allocate(cli, b, ctx.terminal["id"], 6).exit_code == 0
    (v,) = vouchers(px, ev)

    def stock() -> dict[str, int]:
        r = cli("central", "pretix", "sync", "--url", px.url, "--organizer", px.organizer, "--event", ev["slug"],
                "--token-file", str(px.token_file), "--step", "stock", "--db", b["db"], "--json")
        assert r.exit_code == 0, r.stdout + r.stderr
        return r.json()["steps"]["stock"]

    patch_voucher(px, ev, v["id"], 2)  # someone in pretix's back office: 4 of the terminal's places for the web
    assert available(px, ev) == 8
    assert stock() == {"raised": 1, "lowered": 0, "unchanged": 0, "refused": 0, "strays": 0}
    assert [x["max_usages"] for x in vouchers(px, ev)] == [6] and available(px, ev) == 4

    patch_voucher(px, ev, v["id"], 9)  # too high: pretix sells less than it could
    assert stock()["lowered"] == 1
    assert [x["max_usages"] for x in vouchers(px, ev)] == [6] and available(px, ev) == 4

    # a reserve a crash left between pretix and the local commit is given back; a calm round changes nothing
    with px.client() as c:
        assert c.post(f"events/{ev['slug']}/vouchers/", json={
            "code": f"BX-LEFT{secrets.token_hex(8).upper()}", "max_usages": 2, "quota": ev["quota"],
            "block_quota": True, "tag": "boxoffice"}).status_code == 201
    assert available(px, ev) == 2
    assert stock() == {"raised": 0, "lowered": 0, "unchanged": 1, "refused": 0, "strays": 1}
    assert available(px, ev) == 4 and len(vouchers(px, ev)) == 1

    # the web shop takes the room; a voucher lowered behind the bridge's back cannot be raised again: refused
    assert web_order(px, ev, 4).status_code == 201
    patch_voucher(px, ev, v["id"], 3)
    assert web_order(px, ev, 3).status_code == 201  # the 3 places pretix was let to sell are gone
    assert stock()["refused"] == 1
    assert [x["max_usages"] for x in vouchers(px, ev)] == [3] and available(px, ev) == 0


def test_a_terminal_top_up_through_the_service_raises_the_voucher_first(
        px: Any, bridged: dict[str, Any], make_terminal: Any, cli: Any, tmp_path: Path) -> None:
    b, ev = bridged, bridged["ev"]
    ctx = terminal(make_terminal, b["central"], "Top-up counter")
    tid = ctx.terminal["id"]
    conf = tmp_path / "counter.toml"
    conf.write_text("[allocation]\ntop_up_below = 3\ntop_up_to = 5\n", encoding="utf-8")

    r = cli("--config", str(conf), "sync", "--json", db=ctx)
    assert r.exit_code == 0, r.stderr
    assert r.json()["top_up_granted"] == 5
    assert allocated(cli, b, tid) == 5
    assert [x["max_usages"] for x in vouchers(px, ev)] == [5] and available(px, ev) == 5

    def sell(n: int) -> None:
        r = cli("sell", ev["slug"], "--section", SECTION, "--type", f"adult={n}", "--card", "4242", "--json", db=ctx)
        assert r.exit_code == 0, r.stdout + r.stderr

    def sync() -> dict[str, Any]:
        r = cli("--config", str(conf), "sync", "--json", db=ctx)
        assert r.exit_code == 0, r.stdout + r.stderr
        return dict(r.json())

    # the web shop sells 4 in pretix (central does not know yet: 5 free there); the terminal sells 3 and asks for 3
    # more: pretix has room for 1, and 1 is what the terminal gets
    assert web_order(px, ev, 4).status_code == 201
    sell(3)
    done = sync()
    assert done["top_up_requests"] == 1 and done["top_up_granted"] == 1
    assert allocated(cli, b, tid) == 6
    assert [x["max_usages"] for x in vouchers(px, ev)] == [6] and available(px, ev) == 0

    # it sells 1 more and asks again: pretix has none left, it gets none, and nothing moves
    sell(1)
    done = sync()
    assert done["top_up_requests"] == 1 and done["top_up_granted"] == 0
    assert allocated(cli, b, tid) == 6
    assert [x["max_usages"] for x in vouchers(px, ev)] == [6]

    # a recall: the terminal gives back its 2 unsold places at its next sync, and the voucher comes down to its 4
    # sold ones, which pretix may now sell again
    r = cli("central", "recall", ev["slug"], "--terminal", tid, "--by", "Ann Lee", "--reason", "closing",
            "--db", b["db"], "--json", env=b["env"])
    assert r.exit_code == 0, r.stderr
    sync()
    sync()  # the release made at the first is pushed by the second
    assert allocated(cli, b, tid) == 4
    assert [x["max_usages"] for x in vouchers(px, ev)] == [4]
    assert available(px, ev) == 2


# -- reserved seats: a voucher per seat ------------------------------------------------------------------------

def seat_order(px: Any, ev: dict[str, Any], label: str) -> httpx.Response:
    with px.client() as c:
        return c.post(f"events/{ev['slug']}/orders/", json={
            "email": "buyer@example.org", "locale": "en", "sales_channel": "web", "status": "p",
            "payment_provider": WEB_PAYMENT, "send_email": False,
            "positions": [{"item": ev["item"], "price": "25.00", "seat": f"stalls-{label[0]}-{label[1:]}"}]})


@pytest.fixture
def seated(px: Any, tmp_path: Path, request: pytest.FixtureRequest, cli: Any) -> Iterator[dict[str, Any]]:
    """A seated pretix event and a central service whose reserved section "stalls" is its seats, pulled by the
    catalogue step."""
    ev = make_pretix_event(px, 10, seating=True)
    url = central_db("sqlite", tmp_path, request)
    pull_catalogue(cli, px, url, ev["slug"])
    server = CentralServer(url, tmp_path / "serve.log")
    try:
        yield {"ev": ev, "central": Central("sqlite", url, server), "db": url, "env": bridge_env(px, ev["slug"])}
    finally:
        server.stop()


def test_a_seat_pretix_cancels_can_be_granted_again(px: Any, seated: dict[str, Any], make_terminal: Any,
                                                    cli: Any) -> None:
    """A seat bought in pretix's shop is claimed centrally once its order comes down; when pretix cancels the
    order, the bridge frees the claim, so the seat can go to a counter again (before, it stayed taken for good)."""
    s, ev = seated, seated["ev"]
    ctx = terminal(make_terminal, s["central"], "Seat counter")
    tid = ctx.terminal["id"]
    bought = seat_order(px, ev, "B3")
    assert bought.status_code == 201, bought.text
    central = s["central"]
    bridge_sync(cli, central, px, ev["slug"], "web_orders")
    subject = f"{ev['slug']}/{SECTION}/B3"
    assert central.scalar("SELECT count(*) FROM claims WHERE action = 'seat' AND subject = ?", (subject,)) == 1

    def grant(seats: str) -> Any:
        return cli("central", "allocate", ev["slug"], "--terminal", tid, "--section", SECTION, "--seats", seats,
                   "--db", s["db"], "--json", env=s["env"])

    taken = grant("B3")
    assert taken.exit_code == 4, taken.stdout + taken.stderr  # sold on the web: not the counter's to sell

    cancel(px, ev["slug"], bought.json()["code"])
    done = bridge_sync(cli, central, px, ev["slug"], "web_orders")["steps"]["web_orders"]
    assert done["orders_canceled"] == 1 and done["seats_freed"] == 1
    assert central.scalar("SELECT count(*) FROM claims WHERE action = 'seat' AND subject = ?", (subject,)) == 0
    again = grant("B3")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert [v["seat"] for v in vouchers(px, ev)] == ["stalls-B-3"]  # pretix blocks it for the counter


def test_granted_seats_are_blocked_seat_by_seat_and_a_seat_pretix_sold_is_refused(
        px: Any, seated: dict[str, Any], make_terminal: Any, cli: Any) -> None:
    s, ev = seated, seated["ev"]
    ctx = terminal(make_terminal, s["central"], "Seat counter")
    tid = ctx.terminal["id"]

    def grant(seats: str) -> Any:
        return cli("central", "allocate", ev["slug"], "--terminal", tid, "--section", SECTION, "--seats", seats,
                   "--db", s["db"], "--json", env=s["env"])

    r = grant("A1,A2")
    assert r.exit_code == 0, r.stdout + r.stderr
    found = sorted(vouchers(px, ev), key=lambda v: v["seat"])
    assert [(v["seat"], v["max_usages"], v["block_quota"]) for v in found] == [
        ("stalls-A-1", 1, True), ("stalls-A-2", 1, True)]
    assert available(px, ev) == 8

    assert seat_order(px, ev, "A1").status_code == 400  # the terminal's seat: the web shop cannot sell it
    assert seat_order(px, ev, "B2").status_code == 201

    # central does not know B2 is sold yet: pretix does, and refuses; nothing is granted, and A4's voucher, made
    # before pretix refused B2, is given back
    r = grant("A4,B2")
    assert r.exit_code == 4 and "pretix" in r.stdout + r.stderr, r.stdout + r.stderr
    r = cli("central", "allocations", ev["slug"], "--db", s["db"], "--json")
    assert r.json()[0]["allocated"] == {tid: 2}
    assert sorted(v["seat"] for v in vouchers(px, ev)) == ["stalls-A-1", "stalls-A-2"]

    # a write-off gives the seats back to pretix
    r = cli("central", "write-off", ev["slug"], "--terminal", tid, "--by", "Ann Lee", "--reason", "stolen",
            "--yes", "--db", s["db"], "--json", env=s["env"])
    assert r.exit_code == 0, r.stderr
    assert vouchers(px, ev) == []
    assert seat_order(px, ev, "A1").status_code == 201
