"""The catalogue step against a real pretix: quotas become sections, items priced ticket types, seat categories
reserved sections; names in the venue's language; an enrolled counter sells from it; a price change arrives at the
next round, no change publishes nothing. And the mapping alone on hostile input (missing fields, huge numbers...)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pretix_server import PretixServer
from sync_helpers import Central, CentralServer, central_db, enroll, sync

pytest_plugins = ["sync_support"]

# --- events made in pretix for one test ---------------------------------------------------------------------------


class PxEvent:
    """One pretix event made through the REST API (slug ``pxcat-...``), deleted after the test."""

    def __init__(self, server: PretixServer, name: dict[str, str]) -> None:
        self.server, self.http = server, server.client()
        self.slug = f"pxcat-{secrets.token_hex(4)}"
        self.items: dict[str, int] = {}
        self.quotas: dict[str, int] = {}
        self.plans: list[int] = []
        self._ok(self.http.post("events/", json={
            "name": name, "slug": self.slug, "currency": "EUR", "timezone": "Europe/Berlin",
            "date_from": "2027-03-20T18:30:00Z", "date_admission": "2027-03-20T17:30:00Z"}))

    @staticmethod
    def _ok(resp: Any) -> Any:
        assert resp.status_code < 300, resp.text
        return resp.json() if resp.content else None

    def item(self, key: str, name: dict[str, str], price: str, **more: Any) -> int:
        body = {"name": name, "default_price": price, "admission": True, "active": True, **more}
        self.items[key] = self._ok(self.http.post(f"events/{self.slug}/items/", json=body))["id"]
        return self.items[key]

    def quota(self, key: str, name: str, size: int | None, items: list[str]) -> int:
        body = {"name": name, "size": size, "items": [self.items[i] for i in items], "variations": []}
        self.quotas[key] = self._ok(self.http.post(f"events/{self.slug}/quotas/", json=body))["id"]
        return self.quotas[key]

    def rename(self, what: str, key: str, name: Any) -> None:
        ids = self.items if what == "items" else self.quotas
        self._ok(self.http.patch(f"events/{self.slug}/{what}/{ids[key]}/", json={"name": name}))

    def resize(self, key: str, size: int) -> None:
        self._ok(self.http.patch(f"events/{self.slug}/quotas/{self.quotas[key]}/", json={"size": size}))

    def set_price(self, key: str, price: str) -> None:
        self._ok(self.http.patch(f"events/{self.slug}/items/{self.items[key]}/", json={"default_price": price}))

    def seating(self, rows: dict[str, tuple[str, list[str]]]) -> dict[str, str]:
        """A seating plan of ``rows`` (row number -> (category, seat numbers)), each category sold as the item of
        the same key; returns seat guids by "row/number"."""
        tag = secrets.token_hex(3)
        guids = {f"{r}/{n}": f"{tag}-{r}-{n}" for r, (_, nums) in rows.items() for n in nums}
        layout = {"name": "Hall", "size": {"width": 400, "height": 400},
                  "categories": [{"name": c} for c in sorted({c for c, _ in rows.values()})],
                  "zones": [{"name": "Main", "position": {"x": 0, "y": 0}, "areas": [], "rows": [
                      {"row_number": r, "position": {"x": 0, "y": 10 * i}, "seats": [
                          {"seat_guid": guids[f"{r}/{n}"], "seat_number": n, "position": {"x": 10 * j, "y": 0},
                           "category": c} for j, n in enumerate(nums)]}
                      for i, (r, (c, nums)) in enumerate(rows.items())]}]}
        plan = self._ok(self.http.post("seatingplans/", json={"name": f"{self.slug} hall", "layout": layout}))
        self.plans.append(plan["id"])
        mapping = {c: self.items[c] for c, _ in rows.values()}
        self._ok(self.http.patch(f"events/{self.slug}/", json={"seating_plan": plan["id"],
                                                              "seat_category_mapping": mapping}))
        return guids

    def delete(self) -> None:
        self.http.delete(f"events/{self.slug}/")
        for plan in self.plans:
            self.http.delete(f"seatingplans/{plan}/")
        self.http.close()


@pytest.fixture
def px_event(pretix_server: PretixServer) -> Iterator[Callable[..., PxEvent]]:
    made: list[PxEvent] = []

    def make(name: dict[str, str] | None = None) -> PxEvent:
        made.append(PxEvent(pretix_server, name or {"en": "Spring Concert"}))
        return made[-1]

    yield make
    for ev in made:
        ev.delete()


def concert(make: Callable[..., PxEvent]) -> PxEvent:
    """Two quotas and three items: adult and child in the stalls, the balcony's own ticket."""
    ev = make()
    ev.item("adult", {"en": "Adult"}, "25.00")
    ev.item("child", {"en": "Child"}, "12.50")
    ev.item("balcony", {"en": "Balcony seat"}, "40.00")
    ev.quota("stalls", "Stalls", 120, ["adult", "child"])
    ev.quota("balcony", "Balcony", 30, ["balcony"])
    return ev


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Central]:
    """A central service with nothing published yet, on loopback."""
    url = central_db(request.param, tmp_path, request)
    server = CentralServer(url, tmp_path / "serve.log")
    try:
        yield Central(request.param, url, server)
    finally:
        server.stop()


def bridge(cli: Callable[..., Any], server: PretixServer, db: str, *slugs: str, config: Path | None = None) -> Any:
    """`boxoffice central pretix sync --step catalogue --json` (the real clock: each round's own time)."""
    args = [*(["--config", str(config)] if config else []), "central", "pretix", "sync", "--url", server.url,
            "--organizer", server.organizer, "--token-file", server.token_file, "--step", "catalogue", "--db", db,
            "--json"]
    for slug in slugs:
        args += ["--event", slug]
    result = cli(*args, now=None)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = result.json()
    assert out["ok"], out
    return out["steps"]["catalogue"]


def grant(db_url: str, event_id: str, terminal_id: str, section_id: str, count: int, seats: list[str]) -> None:
    """Places for a counter, as `boxoffice central allocate` grants them on a database a bridge round ran on:
    through the pretix gate, which blocks them in pretix (a section pretix sells is refused without it)."""
    from boxoffice.central.pretix.gate import install_for
    from boxoffice.central.services import stock_gate
    from boxoffice.central.services.allocation_admin import allocate

    assert install_for(db_url)
    try:
        allocate(db_url, event_id, terminal_id, section_id, count, seats)
    finally:
        stock_gate.install(None)


def exported(cli: Callable[..., Any], db: str) -> dict[str, Any]:
    result = cli("central", "catalog", "export", "--db", db, "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def catalog_feed_items(central: Central) -> int:
    return int(central.scalar("SELECT COUNT(*) FROM changes WHERE kind = 'catalog'"))


# --- against pretix -----------------------------------------------------------------------------------------------


def test_two_quotas_three_items_reach_a_counter_that_sells_them(central: Central, pretix_server: PretixServer, px_event,
                                                                cli, make_terminal, tmp_path: Path) -> None:
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.sales import SaleRequest, sell

    ev = concert(px_event)
    counts = bridge(cli, pretix_server, central.db_url, ev.slug)
    assert counts == {"events": 1, "sections": 2, "ticket_types": 3, "seats": 0, "skipped": 0, "published": 1}

    doc = exported(cli, central.db_url)
    assert doc["venue"]["currency"] == "EUR" and doc["venue"]["timezone"] == "Europe/Berlin"
    (event,) = doc["events"]
    assert event["id"] == ev.slug and event["name"] == "Spring Concert"
    assert event["starts_at"] == "2027-03-20T19:30:00" and event["doors_at"] == "2027-03-20T18:30:00"
    assert {s["id"]: (s["kind"], s["capacity"]) for s in event["sections"]} == {"stalls": ("general", 120),
                                                                                "balcony": ("general", 30)}
    assert {t["id"]: t["prices"] for t in event["ticket_types"]} == {
        "adult": {"stalls": "25.00"}, "child": {"stalls": "12.50"}, "balcony-seat": {"balcony": "40.00"}}
    assert event["pretix"] == {"event": ev.slug, "sig1_keys": []}
    shown = cli("central", "catalog", "export", "--db", central.db_url)
    assert "stalls 25.00" in shown.stdout and "balcony 40.00" in shown.stdout
    links = {(r["kind"], r["local_id"]): r["pretix_id"] for r in central.query(
        "SELECT kind, local_id, pretix_id FROM pretix_links WHERE pretix_event = ?", (ev.slug,))}
    assert links[("section", f"{ev.slug}/stalls")] == str(ev.quotas["stalls"])
    assert links[("ticket_type", f"{ev.slug}/balcony-seat")] == str(ev.items["balcony"])

    # a counter enrolled with the central service pulls it, is granted places, and sells
    ctx = make_terminal(name="Counter px", fresh=True, catalog=False)
    ctx.config.values["allocation"] = {"top_up_below": 0}
    enroll(ctx, central)
    got = sync(ctx)
    assert got["by_kind"].get("catalog") == 1 and got["parked"] == 0  # the pretix block passed the terminal's check
    grant(central.db_url, ev.slug, ctx.terminal["id"], "stalls", 4, [])
    sync(ctx)

    def sale(n: int) -> dict[str, Any]:
        return sell(ctx, SaleRequest(event_id=ev.slug, section_id="stalls", counts={"adult": n},
                                     tenders=[Tender("cash", 100_00 * n)], print_receipt=False))

    assert sale(2)["total"] == 50_00

    # a second round with nothing new in pretix publishes nothing
    feed_before = catalog_feed_items(central)
    again = bridge(cli, pretix_server, central.db_url, ev.slug)
    assert again["published"] == 0 and catalog_feed_items(central) == feed_before

    # a price changed in pretix reaches the counter after the next round
    ev.set_price("adult", "27.50")
    changed = bridge(cli, pretix_server, central.db_url, ev.slug)
    assert changed["published"] == 1 and catalog_feed_items(central) == feed_before + 1
    assert exported(cli, central.db_url)["events"][0]["ticket_types"][0]["prices"] == {"stalls": "27.50"}
    sync(ctx)
    assert sale(1)["total"] == 27_50
    # and back again: the first catalogue once more, published again as the newest
    ev.set_price("adult", "25.00")
    assert bridge(cli, pretix_server, central.db_url, ev.slug)["published"] == 1
    assert exported(cli, central.db_url)["events"][0]["ticket_types"][0]["prices"] == {"stalls": "25.00"}
    sync(ctx)
    assert sale(1)["total"] == 25_00
    stored = ctx.conn.execute("SELECT name FROM events WHERE id = ?", (ev.slug,)).fetchone()
    assert stored[0] == "Spring Concert"
    # the venue resizes a quota after the counter sold: the central service owns its places, so the counter takes
    # the new catalogue (a price change with it) instead of parking it
    ev.resize("stalls", 150)
    ev.set_price("adult", "26.00")
    assert bridge(cli, pretix_server, central.db_url, ev.slug)["published"] == 1
    grant(central.db_url, ev.slug, ctx.terminal["id"], "stalls", 1, [])
    resized = sync(ctx)
    assert resized["parked"] == 0
    assert sale(1)["total"] == 26_00


def test_names_in_the_venue_language_and_other_events_kept(central: Central, pretix_server: PretixServer, px_event, cli,
                                                           tmp_path: Path) -> None:
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    central.publish(demo_catalog(T0.date()), tmp_path)
    before = {e["id"] for e in exported(cli, central.db_url)["events"]}
    ev = px_event({"en": "Spring Concert", "zh-hans": "春季音乐会"})
    ev.item("adult", {"en": "Adult", "zh-hans": "成人票"}, "25.00")
    ev.item("child", {"de": "Kind"}, "12.50")  # neither Chinese nor English: the one there is
    ev.quota("stalls", "Stalls", 50, ["adult", "child"])
    config = tmp_path / "boxoffice.toml"
    config.write_text('[venue]\nlanguage = "zh_CN"\n', encoding="utf-8")
    assert bridge(cli, pretix_server, central.db_url, ev.slug, config=config)["published"] == 1
    doc = exported(cli, central.db_url)
    event = next(e for e in doc["events"] if e["id"] == ev.slug)
    assert event["name"] == "春季音乐会"
    assert {t["id"]: t["name"] for t in event["ticket_types"]} == {"adult": "成人票", "kind": "Kind"}
    assert {e["id"] for e in doc["events"]} == before | {ev.slug}  # the demo's events are still there
    # in English the same pretix state is a change of names: ids stay, names follow
    assert bridge(cli, pretix_server, central.db_url, ev.slug)["published"] == 1
    event = next(e for e in exported(cli, central.db_url)["events"] if e["id"] == ev.slug)
    assert event["name"] == "Spring Concert" and [t["id"] for t in event["ticket_types"]] == ["adult", "kind"]
    assert bridge(cli, pretix_server, central.db_url, ev.slug)["published"] == 0


def test_what_the_counter_cannot_sell_is_skipped_and_counted(central: Central, pretix_server: PretixServer, px_event,
                                                             cli) -> None:
    ev = px_event()
    ev.item("adult", {"en": "Adult"}, "25.00")
    ev.item("both", {"en": "Day pass"}, "30.00")
    ev.item("free", {"en": "Unlimited"}, "5.00")
    ev.item("orphan", {"en": "Not in a quota"}, "1.00")
    ev.quota("stalls", "Stalls", 80, ["adult", "both"])
    ev.quota("garden", "Garden", 20, ["both"])  # the day pass is in two quotas: skipped
    ev.quota("open", "Open air", None, ["free"])  # no size: skipped, and its item with it
    counts = bridge(cli, pretix_server, central.db_url, ev.slug)
    # skipped: the unlimited quota; the day pass, the unlimited item, the orphan; the garden (nothing sold in it)
    assert counts == {"events": 1, "sections": 1, "ticket_types": 1, "seats": 0, "skipped": 5, "published": 1}
    status = cli("central", "pretix", "status", "--db", central.db_url, "--json").json()
    assert sorted(json.loads(status["state"]["catalogue_skipped"])) == sorted([
        f"quota:{ev.quotas['open']}:size", f"item:{ev.items['both']}:quotas", f"item:{ev.items['free']}:quotas",
        f"item:{ev.items['orphan']}:quotas", "section:garden:nothing_on_sale"])
    (event,) = exported(cli, central.db_url)["events"]
    assert [s["id"] for s in event["sections"]] == ["stalls"]
    assert [t["id"] for t in event["ticket_types"]] == ["adult"]
    # renamed in pretix: the names follow, the ids stay (a counter with sales refuses a changed layout)
    ev.rename("quotas", "stalls", "Main floor")
    ev.rename("items", "adult", {"en": "Grown-up"})
    assert bridge(cli, pretix_server, central.db_url, ev.slug)["published"] == 1
    (event,) = exported(cli, central.db_url)["events"]
    assert [(s["id"], s["name"]) for s in event["sections"]] == [("stalls", "Main floor")]
    assert [(t["id"], t["name"], t["prices"]) for t in event["ticket_types"]] == [
        ("adult", "Grown-up", {"stalls": "25.00"})]


def test_a_seating_plan_becomes_reserved_sections_a_counter_sells_seats_of(
        central: Central, pretix_server: PretixServer, px_event, cli, make_terminal) -> None:
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.sales import SaleRequest, sell

    ev = px_event()
    ev.item("front", {"en": "Front"}, "50.00")
    ev.item("back", {"en": "Back"}, "20.00")
    ev.item("floor", {"en": "Standing"}, "10.00")
    ev.quota("seats", "Seats", 9, ["front", "back"])
    ev.quota("floor", "Floor", 40, ["floor"])
    guids = ev.seating({"1": ("front", ["1", "2", "3"]), "2": ("front", ["1", "2"]), "3": ("back", ["1", "2", "3"])})
    counts = bridge(cli, pretix_server, central.db_url, ev.slug)
    assert counts == {"events": 1, "sections": 3, "ticket_types": 3, "seats": 8, "skipped": 0, "published": 1}
    (event,) = exported(cli, central.db_url)["events"]
    sections = {s["id"]: s for s in event["sections"]}
    assert sections["floor"] == {"id": "floor", "name": "Floor", "kind": "general", "capacity": 40}
    assert sections["front"]["kind"] == "reserved" and sections["front"]["rows"] == [
        {"row": "A", "seats": ["1", "2", "3"]}, {"row": "B", "seats": ["1", "2"]}]
    assert sections["back"]["rows"] == [{"row": "C", "seats": ["1", "2", "3"]}]
    assert {t["id"]: t["prices"] for t in event["ticket_types"]} == {
        "front": {"front": "50.00"}, "back": {"back": "20.00"}, "standing": {"floor": "10.00"}}
    seat_links = {r["local_id"]: (r["pretix_id"], json.loads(r["data"])) for r in central.query(
        "SELECT local_id, pretix_id, data FROM pretix_links WHERE kind = 'seat' AND pretix_event = ?", (ev.slug,))}
    assert len(seat_links) == 8
    assert seat_links[f"{ev.slug}/front/B2"] == (guids["2/2"], {"item": ev.items["front"]})

    ctx = make_terminal(name="Counter seats", fresh=True, catalog=False)
    ctx.config.values["allocation"] = {"top_up_below": 0}
    enroll(ctx, central)
    sync(ctx)
    grant(central.db_url, ev.slug, ctx.terminal["id"], "front", 0, ["B2"])
    sync(ctx)
    out = sell(ctx, SaleRequest(event_id=ev.slug, section_id="front", counts={"front": 1}, seats=["B2"],
                                tenders=[Tender("cash", 50_00)], print_receipt=False))
    assert out["total"] == 50_00 and [(t["row"], t["seat"]) for t in out["tickets"]] == [("B", "2")]
    assert bridge(cli, pretix_server, central.db_url, ev.slug)["published"] == 0


# --- the mapping alone, on hostile input --------------------------------------------------------------------------


def _checked(event: dict[str, Any]) -> None:
    """What the mapping made passes the catalogue's schema and rules, as central publish checks them."""
    from boxoffice.domain.catalog import build_catalog
    from boxoffice.wire.schemas import validate

    doc = {"format": "boxoffice.catalog/1", "events": [event],
           "venue": {"id": "venue", "name": "Venue", "timezone": "Europe/Berlin", "currency": "EUR"}}
    validate(doc, "catalog.schema.json", "catalogue")
    build_catalog(doc)


BASE_EVENT = {"slug": "Gala.2027", "name": {"en": "Gala"}, "currency": "EUR", "timezone": "Europe/Berlin",
              "date_from": "2027-03-20T18:30:00Z"}


def test_the_mapping_takes_what_it_can_of_hostile_input() -> None:
    from boxoffice.central.pretix.catalog_map import map_event

    items = [
        {"id": 1, "name": {"en": "Adult\x00\x1b[31m\nticket\u202e"}, "default_price": "25.00"},
        {"id": 2, "name": {"en": "Huge"}, "default_price": "1" + "0" * 30},
        {"id": 3, "name": {"en": "Fraction"}, "default_price": "1.005"},
        {"id": 4, "name": None, "default_price": "-5.00"},
        {"id": 5, "default_price": "NaN"},
        {"id": True, "name": "bool id"},
        {"id": 6, "name": {"en": "4111 1111 1111 1111"}, "default_price": "1e3"},
        {"id": 7, "name": {"en": "x" * 10_000}, "default_price": ["9"]},
        {"id": 8, "name": {"en": "Variations"}, "default_price": "5", "has_variations": True},
        "not an object",
    ]
    quotas = [{"id": 10, "name": "Stalls\x07", "size": 100, "items": [1, 2, 3, 4, 5, 6, 7, 8, "x", None]},
              {"id": 11, "name": "Too big", "size": 10**12, "items": []},
              {"id": 12, "name": "Negative", "size": -1, "items": []},
              {"id": 13, "name": "Text size", "size": "100", "items": []},
              {"id": 14}]
    m = map_event({"event": BASE_EVENT, "items": items, "quotas": quotas, "seats": None, "checkinlists": "x"},
                  language="en", known={})
    assert m.event is not None
    _checked(m.event)
    assert m.event["id"] == "gala-2027" and m.event["starts_at"] == "2027-03-20T19:30:00"
    assert [s["id"] for s in m.event["sections"]] == ["stalls"] and m.event["sections"][0]["name"] == "Stalls"
    types = {t["name"]: t["prices"]["stalls"] for t in m.event["ticket_types"]}
    assert types["Adult [31m ticket"] == "25.00"  # control characters gone, one line
    assert types["[digits hidden]"] == "1000.00"  # never a card number on a receipt
    assert len(m.event["ticket_types"]) == 2
    assert sorted(m.skipped) == sorted([*(f"item:{i}:price" for i in (2, 3, 4, 5, 7)), "item:8:variations",
                                        *(f"quota:{q}:size" for q in (11, 12, 13, 14))])


@pytest.mark.parametrize("event", [
    {}, {"slug": None}, {**BASE_EVENT, "currency": "euro"}, {**BASE_EVENT, "timezone": "Mars/Olympus"},
    {**BASE_EVENT, "date_from": "tomorrow"}, {**BASE_EVENT, "date_from": "2027-03-20T18:30:00"},
    {**BASE_EVENT, "slug": "x" * 60}, {**BASE_EVENT, "has_subevents": True}, {**BASE_EVENT, "date_from": 12},
])
def test_an_event_the_catalogue_cannot_hold_is_skipped(event: dict[str, Any]) -> None:
    from boxoffice.central.pretix.catalog_map import map_event

    m = map_event({"event": event, "items": [{"id": 1, "name": "A", "default_price": "1.00"}],
                   "quotas": [{"id": 2, "name": "S", "size": 5, "items": [1]}]}, language="en", known={})
    assert m.event is None and m.links == [] and m.skipped


def test_seat_categories_become_reserved_sections_and_ids_stay_with_links() -> None:
    from boxoffice.central.pretix.catalog_map import map_event

    ev = {**BASE_EVENT, "seating_plan": 1, "seat_category_mapping": {"Front": 1, "Back": 2, "Nobody": "x"},
          "valid_keys": {"pretix_sig1": ["LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0=", "not base64!"]}}
    seats = [{"seat_guid": f"g{r}{n}", "row_name": r, "seat_number": n, "product": 1 if r in ("1", "2") else 2,
              "blocked": (r, n) == ("2", "3")} for r in ("1", "2", "Z") for n in ("1", "2", "3")]
    seats += [{"seat_guid": "dup", "row_name": "A", "seat_number": "01", "product": 1},  # A1 again
              {"seat_guid": "odd", "row_name": "Row 9", "seat_number": "1", "product": 1},
              {"seat_guid": "big", "row_name": "B", "seat_number": "123456", "product": 2},
              {"seat_guid": "nocat", "row_name": "C", "seat_number": "1", "product": None}]
    items = [{"id": 1, "name": {"en": "Front seat"}, "default_price": "50.00"},
             {"id": 2, "name": {"en": "Back seat"}, "default_price": "20.00"},
             {"id": 3, "name": {"en": "Standing"}, "default_price": "10.00"}]
    quotas = [{"id": 20, "name": "Seats", "size": 9, "items": [1, 2]},  # the seats' quota: no general section
              {"id": 21, "name": "Floor", "size": 40, "items": [3]}]
    m = map_event({"event": ev, "items": items, "quotas": quotas, "seats": seats, "checkinlists": [
        {"id": 5, "name": "Door"}, {"id": 6, "name": "boxoffice pickup"}]}, language="en",
        known={("section", "21"): "ground", ("ticket_type", "1"): "vip"})
    assert m.event is not None
    _checked(m.event)
    sections = {s["id"]: s for s in m.event["sections"]}
    assert set(sections) == {"ground", "front", "back"}
    assert sections["front"]["rows"] == [{"row": "A", "seats": ["1", "2", "3"]}, {"row": "B", "seats": ["1", "2", "3"]}]
    assert sections["front"]["held"] == ["B3"] and sections["back"]["rows"] == [{"row": "Z", "seats": ["1", "2", "3"]}]
    assert {t["id"]: t["prices"] for t in m.event["ticket_types"]} == {
        "vip": {"front": "50.00"}, "back-seat": {"back": "20.00"}, "standing": {"ground": "10.00"}}
    assert m.event["pretix"] == {"event": "Gala.2027", "sig1_keys": ["LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0="]}
    links = {(lk.kind, lk.local_id): lk.pretix_id for lk in m.links}
    assert links[("seat", "gala-2027/front/B3")] == "g23" and links[("section", "gala-2027/ground")] == "21"
    assert links[("checkin_list", "gala-2027/pickup")] == "6" and links[("checkin_list", "gala-2027/entry")] == "5"
    assert len(m.skipped) == 4  # the duplicate A1, row "Row 9", seat 123456, the seat of no category


def test_names_in_each_language() -> None:
    from boxoffice.central.pretix.catalog_map import pick_text

    names = {"en": "Adult", "zh-hans": "成人", "zh-hant": "成人票", "de": "Erwachsene"}
    assert pick_text(names, "zh_CN") == "成人" and pick_text(names, "en") == "Adult"
    assert pick_text({"zh-hant": "成人票", "en": "Adult"}, "zh_CN") == "Adult"  # never traditional for zh_CN
    assert pick_text({"de": "Erwachsene"}, "zh_CN") == "Erwachsene" and pick_text({"en": " "}, "en") == ""
    assert pick_text("plain", "zh_CN") == "plain" and pick_text(None, "en") == "" and pick_text(["x"], "en") == ""
