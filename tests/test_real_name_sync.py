"""Real-name holders travel to a real central service on loopback (SQLite and PostgreSQL): the sale's holders are
stored there with the name, the keyed hash and the last four only; a holder change revokes the old ticket there
and records the new holder; a pushed holder that could carry a whole ID number is not applied."""

from __future__ import annotations

import json
from pathlib import Path

from realname_kit import LI, LI_NUMBER, WANG, WANG_NUMBER, sell_named
from sync_support import Central, sync

from boxoffice.domain.holders import parse_holder
from boxoffice.services.holder_change import change_holder

pytest_plugins = ["sync_support"]


def _publish_real_name(central: Central, tmp: Path) -> str:
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    doc = demo_catalog(T0.date())
    doc["events"][0] |= {"real_name": True, "holder_changes_max": 2}
    central.publish(doc, tmp)
    return str(doc["events"][0]["id"])


def test_holders_and_a_holder_change_reach_the_central_service(central, terminals, login, tmp_path) -> None:  # noqa: ANN001
    gala = _publish_real_name(central, tmp_path)
    (counter,) = terminals(1)
    sync(counter)  # the catalogue (real-name now) and places to sell
    assert counter.conn.execute("SELECT real_name, holder_changes_max FROM events WHERE id = ?",
                                (gala,)).fetchone()[:] == (1, 2)
    sale = sell_named(counter, gala, LI, WANG, section="standing")
    sync(counter)
    rows = central.query("SELECT ticket_id, name, id_kind, id_hash, id_last4, changes FROM ticket_holders"
                         " WHERE order_id = ? ORDER BY id_last4", (sale["order"]["id"],))
    assert [(r["name"], r["id_kind"], r["id_last4"], r["changes"]) for r in rows] == [
        ("王芳", "resident", "0024", 0), ("李小明", "resident", "002X", 0)]
    local = dict(counter.conn.execute("SELECT ticket_id, id_hash FROM ticket_holders").fetchall())
    assert {r["ticket_id"]: r["id_hash"] for r in rows} == local
    stored = json.dumps(central.query("SELECT payload FROM journal WHERE terminal_id = ?",
                                      (counter.terminal["id"],)), ensure_ascii=False)
    assert LI_NUMBER not in stored and WANG_NUMBER not in stored and "李小明" in stored

    login(counter, "sue")
    old = sale["tickets"][0]
    changed = change_holder(counter, old["id"], parse_holder(WANG))
    sync(counter)
    revoked = central.query("SELECT reason FROM revocations WHERE ticket_id = ?", (old["id"],))
    assert [r["reason"] for r in revoked] == ["exchanged"]
    new = central.query("SELECT name, id_last4, changes FROM ticket_holders WHERE ticket_id = ?",
                        (changed["ticket"]["id"],))
    assert [(r["name"], r["id_last4"], r["changes"]) for r in new] == [("王芳", "0024", 1)]
    assert central.query("SELECT order_id FROM tickets WHERE id = ?", (changed["ticket"]["id"],)) == [
        {"order_id": sale["order"]["id"]}]
    from boxoffice.central.store.db import connect
    from boxoffice.central.store.reports import order_tickets

    with connect(central.db_url) as db:
        counted = [t["id"] for t in order_tickets(db, gala) if t["order_id"] == sale["order"]["id"]]
    assert sorted(counted) == sorted([sale["tickets"][1]["id"], changed["ticket"]["id"]])  # each place once
    assert not central.query("SELECT id FROM conflicts WHERE second_terminal = ? OR first_terminal = ?",
                             (counter.terminal["id"], counter.terminal["id"]))


def test_a_pushed_holder_in_another_shape_is_not_applied() -> None:
    from boxoffice.central.services.effects import read

    order = {"id": "o1", "code": "ABC", "event_id": "ev", "channel": "box_office", "status": "paid", "total": 1,
             "tax": 0, "currency": "GBP", "created_at": "x"}
    ticket = {"id": "t1", "section_id": "s", "row": None, "seat": None, "ticket_type_id": "a", "price": 1, "tax": 0,
              "token": "T"}
    good = {"ticket_id": "t1", "name": "李小明", "id_kind": "resident", "id_hash": "a" * 64, "id_last4": "002X",
            "changes": 0, "binding_key": "k", "binding": "b" * 128, "created_at": "x"}
    entry = {"kind": "sale", "terminal_id": "term", "id": "e", "at": "x"}

    def effect(holders: list) -> object:
        payload = {"order": order, "tickets": [ticket], "payments": [], "holders": holders}
        return read(entry | {"payload": json.dumps(payload)})

    assert [h["id_last4"] for h in effect([good]).holders] == ["002X"]  # type: ignore[attr-defined]
    for bad in (good | {"id_last4": LI_NUMBER}, good | {"id_hash": LI_NUMBER}, good | {"ticket_id": "other"},
                good | {"id_kind": "licence"}):
        assert isinstance(effect([bad]), str)


def test_recovery_brings_back_holders_and_a_holder_change(central, terminals, login, cli, tmp_path) -> None:  # noqa: ANN001
    import sqlite3

    gala = _publish_real_name(central, tmp_path)
    (counter,) = terminals(1)
    sync(counter)
    made = cli("backup", "--to", tmp_path / "usb", "--json", db=counter)
    assert made.exit_code == 0, made.output
    sale = sell_named(counter, gala, LI, section="standing")
    login(counter, "sue")
    changed = change_holder(counter, sale["tickets"][0]["id"], parse_holder(WANG))
    login(counter, "ada")
    sync(counter)  # everything made since the backup is on the central service
    restored = cli("restore", made.json()["file"], "--yes", db=counter)
    assert restored.exit_code == 0, restored.output
    recovered = cli("sync", "recover", "--json", db=counter)
    assert recovered.exit_code == 0, recovered.output
    assert recovered.json()["by_kind"] == recovered.json()["by_kind"] | {"sale": 1, "holder_change": 1}
    conn = sqlite3.connect(counter.config.db_path)
    try:
        holders = conn.execute("SELECT ticket_id, name, id_last4, changes FROM ticket_holders WHERE order_id = ?"
                               " ORDER BY changes", (sale["order"]["id"],))
        assert holders.fetchall() == [(sale["tickets"][0]["id"], "李小明", "002X", 0),
                                      (changed["ticket"]["id"], "王芳", "0024", 1)]
        assert conn.execute("SELECT old_ticket_id, new_ticket_id FROM holder_changes WHERE order_id = ?",
                            (sale["order"]["id"],)).fetchall() == [
            (sale["tickets"][0]["id"], changed["ticket"]["id"])]
        assert conn.execute("SELECT status FROM tickets WHERE id = ?", (sale["tickets"][0]["id"],)).fetchone() == (
            "exchanged",)
    finally:
        conn.close()
    assert cli("audit", "verify", "--json", db=counter).exit_code == 0


def _enrolled_as(make_terminal, central: Central, roles: str):  # noqa: ANN001, ANN202
    """A fresh terminal enrolled for ``roles`` only (comma separated: sell, pickup, door)."""
    import secrets

    from sync_helpers import client

    from boxoffice.central.services.admin import enroll_code
    from boxoffice.services.sync.rounds import enroll

    ctx = make_terminal(name=f"{roles} {secrets.token_hex(4)}", fresh=True)
    code = enroll_code(central.db_url, ctx.terminal["name"], roles=roles)["code"]
    with client(central.url) as c:
        enroll(ctx, central.url, code, c)
    return ctx


def test_a_door_elsewhere_receives_the_holders_and_a_seller_does_not(central, terminals, make_terminal, login,  # noqa: ANN001
                                                                       clock, tmp_path) -> None:
    from boxoffice.services.door import door_event, scan

    gala = _publish_real_name(central, tmp_path)
    (counter,) = terminals(1)
    door = _enrolled_as(make_terminal, central, "door")
    seller = _enrolled_as(make_terminal, central, "sell")
    sync(counter)
    sale = sell_named(counter, gala, LI, WANG, section="standing")
    login(counter, "sue")
    changed = change_holder(counter, sale["tickets"][1]["id"], parse_holder(LI))
    sync(counter)
    sync(door)
    sync(seller)
    assert seller.conn.execute("SELECT count(*) FROM ticket_holders").fetchone()[0] == 0  # a seller gets none
    assert seller.conn.execute("SELECT count(*) FROM tickets WHERE order_id = ?", (sale["order"]["id"],)).fetchone()[0]
    here = door.conn.execute("SELECT name, id_last4, changes FROM ticket_holders WHERE order_id = ?"
                             " ORDER BY changes, id_last4", (sale["order"]["id"],))
    assert [tuple(r) for r in here] == [("王芳", "0024", 0), ("李小明", "002X", 0), ("李小明", "002X", 1)]

    clock.set("2026-12-08T19:00:00Z")
    login(door, "dan")
    ev = door_event(door, gala)
    first = scan(door, sale["tickets"][0]["token"], ev)
    assert first["result"] == "admit" and first["holder"]["line"] == "李小明 · ID ****002X"
    assert scan(door, sale["tickets"][1]["token"], ev)["code"] == "revoked"  # the holder changed since
    new = scan(door, changed["ticket"]["token"], ev)
    assert new["result"] == "admit" and new["holder"]["line"] == "李小明 · ID ****002X"


def test_a_central_purge_erases_the_holders_and_their_feed_changes(central, terminals, login, cli, clock,  # noqa: ANN001
                                                                   tmp_path) -> None:
    """After `central privacy purge` of a past real-name event the central database holds no holder name (the
    holder rows, the sale's journal copy, and the holder changes on the feed that doors pull are gone), while the
    tickets and their money stay."""
    gala = _publish_real_name(central, tmp_path)
    (counter,) = terminals(1)
    sync(counter)
    sale = sell_named(counter, gala, LI, WANG, section="standing")
    sync(counter)
    assert central.query("SELECT pos FROM changes WHERE kind = 'holders' AND body LIKE ?", (f"%{gala}%",))
    clock.advance(days=60)
    out = cli("central", "privacy", "purge", "--event", gala, "--json", "--db", central.db_url)
    assert out.exit_code == 0, out.output
    assert central.query("SELECT pos FROM changes WHERE kind = 'holders' AND body LIKE ?", (f"%{gala}%",)) == []
    held = central.query("SELECT name, id_hash, binding FROM ticket_holders WHERE order_id = ?", (sale["order"]["id"],))
    assert len(held) == 2 and all(not (r["name"] or r["id_hash"] or r["binding"]) for r in held)
    text = json.dumps(central.query("SELECT payload FROM journal WHERE terminal_id = ?", (counter.terminal["id"],)),
                      ensure_ascii=False)
    assert "李小明" not in text and "王芳" not in text
    assert len(central.query("SELECT id FROM tickets WHERE order_id = ?", (sale["order"]["id"],))) == 2
