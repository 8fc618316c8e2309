"""One stolen or careless terminal cannot take down or turn the others: a terminal owns only what it made.

Each test is an attack that worked before the ownership rules (central/services/ownership.py): a terminal pushing a
sale under another terminal's next order code or the web shop's next code (the victim's sales then failed for good,
the web import too), a door scanner selling or handing out, a terminal refunding or revoking another's ticket on its
own say-so, a top-up asking for the whole stock. The hostile entries carry valid hashes (domain/chain.py) and go
through the real client (sync/client.py) to the real service on loopback, on SQLite and on PostgreSQL. The refused
entry is kept in the sender's journal, not applied, and flagged: to the admin (`boxoffice central conflicts`) and to
the sender (its `boxoffice sync`).
"""

from __future__ import annotations

import json
import time
from typing import Any

from sync_helpers import (
    Central,
    client,
    conflict_kinds,
    flagged,
    forged_entry,
    push_as,
    sell,
    sync,
    write_entry,
    write_text_entry,
)

from boxoffice.domain.codes import code_parts, make_order_code
from boxoffice.domain.ids import uuid7
from boxoffice.services.sync.rounds import credentials
from boxoffice.store import journal as journal_store
from boxoffice.wire import codec

pytest_plugins = ["sync_support"]

NOT_APPLIED = ("order_code_foreign", "role_missing", "foreign_ticket", "order_id_taken", "ticket_id_taken")








def _sale_like(ctx: Any, code: str) -> dict[str, Any]:
    """A copy of the terminal's own last sale, made a new order (new ids) under ``code``."""
    sale = codec.loads(list(journal_store.iter_entries(ctx.conn, kind="sale"))[-1]["payload"])
    sale["order"] = {**sale["order"], "id": uuid7(), "code": code}
    sale["tickets"] = [{**t, "id": uuid7()} for t in sale["tickets"]]
    return sale


def _next_code(code: str) -> str:
    parts = code_parts(code)
    assert parts is not None
    return make_order_code(parts[0], parts[1] + 1)


def test_a_sale_under_another_terminals_next_code_is_refused_and_the_victim_sells_on(
        central: Central, terminals, demo_events, cli) -> None:
    gala, _ = demo_events
    attacker, victim = terminals(2)
    sync(attacker)
    sync(victim)
    sell(attacker, gala)
    mine = sell(victim, gala)
    sync(victim)
    squatted = _next_code(mine["order"]["code"])
    sync(attacker)  # its honest sale first
    forged = forged_entry(attacker, "sale", _sale_like(attacker, squatted))
    answer = push_as(central, attacker, [forged])
    assert answer["applied"] == 1 and conflict_kinds(answer) == ["order_code_foreign"]
    assert central.scalar("SELECT count(*) FROM orders WHERE code = ?", (squatted,)) == 0
    assert central.scalar("SELECT count(*) FROM journal WHERE id = ?", (forged["id"],)) == 1  # kept, not applied
    # the victim pulls nothing under its code, sells its next order under it, and pushes it as ever
    sync(victim)
    assert victim.conn.execute("SELECT count(*) FROM orders WHERE code = ?", (squatted,)).fetchone()[0] == 0
    again = sell(victim, gala)
    assert again["order"]["code"] == squatted
    out = sync(victim)
    assert not out["conflicts"] and not out["new_conflicts"]
    rows = central.query("SELECT terminal_id FROM orders WHERE code = ?", (squatted,))
    assert rows == [{"terminal_id": victim.terminal["id"]}]
    assert sell(victim, gala)["order"]["code"] == _next_code(squatted)
    shown = flagged(cli, central, "order_code_foreign")
    assert [(c["subject"], c["second_terminal"], c["first_terminal"]) for c in shown] == [
        (squatted, attacker.terminal["id"], victim.terminal["id"])]
    listed = cli("central", "conflicts", "--db", central.db_url)
    assert "order code foreign" in listed.stdout and attacker.terminal["name"] in listed.stdout


def test_a_sale_under_the_web_shops_next_code_is_refused_and_the_web_import_goes_on(
        central: Central, terminals, demo_events, tmp_path, cli) -> None:
    gala, _ = demo_events
    (attacker, reader) = terminals(2)
    sync(attacker)
    sell(attacker, gala)
    sync(attacker)
    first = central.web_orders([{"ref": f"own-{uuid7()}", "event_id": gala, "customer_name": "Web One",
                                 "tickets": [{"section_id": "standing", "type": "adult"}]}], tmp_path)
    squatted = _next_code(first["codes"][0])
    # what the attacker sent through its own `boxoffice sync`: the refused sale is shown to it, flagged
    write_entry(attacker, "sale", _sale_like(attacker, squatted))
    shown = cli("sync", db=attacker)
    assert shown.exit_code == 0, shown.stderr
    assert "FLAGGED" in shown.stderr and "order code foreign" in shown.stderr and squatted in shown.stderr
    assert central.scalar("SELECT count(*) FROM orders WHERE code = ?", (squatted,)) == 0
    second = central.web_orders([{"ref": f"own-{uuid7()}", "event_id": gala, "customer_name": "Web Two",
                                  "tickets": [{"section_id": "standing", "type": "adult"}]}], tmp_path)
    assert second["imported"] == 1 and second["codes"] == [squatted]
    sync(reader)
    row = reader.conn.execute("SELECT channel, customer_name FROM orders WHERE code = ?", (squatted,)).fetchone()
    assert tuple(row) == ("web", "Web Two")
    assert [c["first_terminal"] for c in flagged(cli, central, "order_code_foreign") if c["subject"] == squatted] \
        == ["web"]


def test_the_web_import_passes_over_a_code_some_order_already_holds(central: Central, demo_events,
                                                                     tmp_path) -> None:
    """A W code held already (pushed before the rule existed) never stops the web shop: the next free one is used."""
    gala, _ = demo_events
    first = central.web_orders([{"ref": f"own-{uuid7()}", "event_id": gala,
                                 "tickets": [{"section_id": "standing", "type": "adult"}]}], tmp_path)
    held = _next_code(first["codes"][0])
    from boxoffice.central.store.db import connect

    with connect(central.db_url) as db, db.transaction():
        db.execute("INSERT INTO orders (id, code, event_id, channel, terminal_id, status, total, tax, currency,"
                   " created_at) VALUES (?, ?, ?, 'box_office', NULL, 'paid', 0, 0, 'GBP', ?)",
                   (uuid7(), held, gala, "2026-12-01T10:00:00Z"))
    got = central.web_orders([{"ref": f"own-{uuid7()}", "event_id": gala,
                               "tickets": [{"section_id": "standing", "type": "adult"}]}], tmp_path)
    assert got["imported"] == 1 and got["codes"] == [_next_code(held)]


def test_a_door_only_terminal_can_neither_sell_nor_hand_out(central: Central, make_terminal, terminals,
                                                            demo_events, tmp_path, cli) -> None:
    from boxoffice.central.services.admin import enroll_code
    from boxoffice.services.sync.rounds import enroll as do_enroll

    gala, _ = demo_events
    (seller,) = terminals(1)
    sync(seller)
    sell(seller, gala)
    sync(seller)
    web = central.web_orders([{"ref": f"door-{uuid7()}", "event_id": gala, "customer_name": "Pat Web",
                               "tickets": [{"section_id": "standing", "type": "adult"}]}], tmp_path)
    door = make_terminal(name="Door scanner", fresh=True)
    with client(central.url) as c:
        do_enroll(door, central.url, enroll_code(central.db_url, "Door scanner", roles="door")["code"], c)
    sync(door)
    sale = _sale_like(seller, make_order_code(door.terminal["tag"], 0))
    order = central.query("SELECT id FROM orders WHERE code = ?", (web["codes"][0],))[0]["id"]
    tickets = [r["id"] for r in central.query("SELECT id FROM tickets WHERE order_id = ?", (order,))]
    e1 = forged_entry(door, "sale", sale)
    answer = push_as(central, door, [e1])
    assert conflict_kinds(answer) == ["role_missing"]
    e2 = forged_entry(door, "pickup", {"order": order, "code": web["codes"][0], "tickets": tickets}, after=e1)
    answer = push_as(central, door, [e2])
    assert conflict_kinds(answer) == ["role_missing"]
    assert central.scalar("SELECT count(*) FROM orders WHERE code = ?", (sale["order"]["code"],)) == 0
    assert central.scalar("SELECT count(*) FROM claims WHERE action = 'pickup'") == 0
    assert len(flagged(cli, central, "role_missing")) == 2
    # the seller still hands out the web order as the first (no conflict from the refused pickup)
    from boxoffice.services.pickup import pick_up

    sync(seller)
    pick_up(seller, web["codes"][0], print_now=False)
    out = sync(seller)
    assert not out["conflicts"]
    assert central.scalar("SELECT terminal_id FROM claims WHERE action = 'pickup'") == seller.terminal["id"]
    # a door-only terminal asks for places and gets none
    with client(central.url, credentials(door)[1]) as c:
        got = c.top_up({"id": uuid7(), "event_id": gala, "section_id": "standing", "count": 10})
    assert got["granted"] == 0 and "sell role" in got["reason"]


def test_another_terminals_ticket_is_refunded_or_revoked_only_under_an_override(
        central: Central, terminals, demo_events, cli) -> None:
    gala, _ = demo_events
    owner, other = terminals(2)
    sync(owner)
    sold = sell(owner, gala, n=3)
    sync(owner)
    sync(other)
    t1, t2, t3 = (t["id"] for t in sold["tickets"])
    oid = sold["order"]["id"]

    def refund(ticket: str, override: bool) -> dict[str, Any]:
        row = {"id": uuid7(), "order_id": oid, "override": int(override),
               "approved_by": uuid7() if override else None, "override_why": "other_terminal" if override else None}
        return {"refund": row, "items": [{"ticket_id": ticket}], "revoked": [ticket]}

    write_entry(other, "refund", refund(t1, False))
    write_entry(other, "ticket.revoke", {"revoked": [t2]})
    out = cli("sync", "--json", db=other)
    assert out.exit_code == 0, out.stderr
    assert [c["kind"] for c in out.json()["conflicts"]] == ["foreign_ticket", "foreign_ticket"]
    statuses = {r["id"]: r["status"] for r in central.query("SELECT id, status FROM tickets WHERE order_id = ?",
                                                            (oid,))}
    assert statuses == {t1: "valid", t2: "valid", t3: "valid"}
    assert central.scalar("SELECT count(*) FROM revocations WHERE ticket_id IN (?, ?)", (t1, t2)) == 0
    sync(owner)
    assert owner.conn.execute("SELECT count(*) FROM revocations").fetchone()[0] == 0
    # under a supervisor's override it is applied, and flagged for review
    write_entry(other, "refund", refund(t3, True))
    again = sync(other)
    assert [c["kind"] for c in again["conflicts"]] == ["foreign_refund_override"]
    assert central.scalar("SELECT status FROM tickets WHERE id = ?", (t3,)) == "refunded"
    sync(owner)
    assert [r[0] for r in owner.conn.execute("SELECT ticket_id FROM revocations")] == [t3]
    # the owner refunds its own ticket as it likes
    write_entry(owner, "refund", refund(t1, False))
    assert not sync(owner)["conflicts"]
    assert central.scalar("SELECT status FROM tickets WHERE id = ?", (t1,)) == "refunded"
    assert {c["ticket_id"] for c in flagged(cli, central, "foreign_ticket")} == {t1, t2}


def test_a_sale_reusing_another_terminals_ticket_or_order_id_is_refused(central: Central, terminals,
                                                                       demo_events) -> None:
    gala, _ = demo_events
    owner, copier = terminals(2)
    sync(owner)
    sync(copier)
    sold = sell(owner, gala)
    sync(owner)
    sell(copier, gala)
    sync(copier)
    tag = copier.terminal["tag"]
    stolen_ticket = _sale_like(copier, make_order_code(tag, 900))
    stolen_ticket["tickets"][0]["id"] = sold["tickets"][0]["id"]
    stolen_order = _sale_like(copier, make_order_code(tag, 901))
    stolen_order["order"]["id"] = sold["order"]["id"]
    e1 = forged_entry(copier, "sale", stolen_ticket)
    e2 = forged_entry(copier, "sale", stolen_order, after=e1)
    answer = push_as(central, copier, [e1, e2])
    assert conflict_kinds(answer) == ["ticket_id_taken", "order_id_taken"]
    assert central.scalar("SELECT count(*) FROM orders WHERE code IN (?, ?)",
                          (make_order_code(tag, 900), make_order_code(tag, 901))) == 0
    assert central.scalar("SELECT order_id FROM tickets WHERE id = ?", (sold["tickets"][0]["id"],)) == \
        sold["order"]["id"]


def test_a_huge_top_up_gets_no_more_than_the_cap_alone_or_summed(central: Central, terminals, demo_events) -> None:
    from concurrent.futures import ThreadPoolExecutor

    gala, jazz = demo_events
    greedy, other = terminals(2)
    cap = int(central.scalar("SELECT value FROM meta WHERE key = 'allocation_cap'"))
    _, token = credentials(greedy)

    def ask(event: str) -> int:
        with client(central.url, token) as c:
            return int(c.top_up({"id": uuid7(), "event_id": event, "section_id": "standing", "count": 10_000})
                       ["granted"])

    one = ask(gala)
    assert 0 < one <= cap
    assert sum(ask(gala) for _ in range(3)) == cap - one  # one after another: never past the cap
    with ThreadPoolExecutor(6) as pool:  # all at once: the sum stays under the cap too
        at_once = list(pool.map(ask, [jazz] * 6))
    assert sum(at_once) == cap
    for event in (gala, jazz):
        held = central.scalar("SELECT count FROM allocations WHERE terminal_id = ? AND event_id = ? AND section_id ="
                              " 'standing'", (greedy.terminal["id"], event))
        assert held == cap
    # the rest stays for the others
    with client(central.url, credentials(other)[1]) as c:
        got = c.top_up({"id": uuid7(), "event_id": gala, "section_id": "standing", "count": 5})
    assert got["granted"] == 5


def test_a_seller_refunds_another_terminals_sale_only_with_a_supervisor(central: Central, terminals, demo_events,
                                                                        cli, login) -> None:
    """The honest path of the rule above, as the counter runs it: `boxoffice refund` of a sale made at another
    terminal asks for a supervisor before any money moves; with one, the central service applies it (flagged)."""
    gala, _ = demo_events
    owner, other = terminals(2)
    sync(owner)
    sold = sell(owner, gala, n=2)
    sync(owner)
    sync(other)
    code, first = sold["order"]["code"], sold["tickets"][0]["id"]
    login(other, "sam")  # a seller
    refused = cli("refund", code, "--tickets", first, "--yes", "--json", db=other)
    assert refused.exit_code != 0 and refused.json()["error"]["code"] == "permission_denied"
    assert "another terminal" in refused.json()["error"]["message"]
    assert other.conn.execute("SELECT count(*) FROM refunds").fetchone()[0] == 0
    done = cli("refund", code, "--tickets", first, "--supervisor", "sue", "--yes", "--json", db=other, pin="222222")
    assert done.exit_code == 0, done.stderr
    assert "other_terminal" in done.json()["overrides"]
    out = sync(other)
    assert [c["kind"] for c in out["conflicts"]] == ["foreign_refund_override"]
    assert central.scalar("SELECT status FROM tickets WHERE id = ?", (first,)) == "refunded"
    sync(owner)  # the seller's terminal learns it: that ticket is refused at its door, the other one still admits
    revoked = {r[0] for r in owner.conn.execute("SELECT ticket_id FROM revocations")}
    assert first in revoked and sold["tickets"][1]["id"] not in revoked


def test_a_refund_naming_a_junk_order_flags_the_owner_without_stopping_its_pulls(
        central: Central, terminals, demo_events) -> None:
    """A terminal refunds, under an override it wrote itself, a ticket the owner refunded already, naming an order
    id that is no id. The conflict goes to the owner too: it carries no such id, and the owner's pulls go on."""
    gala, _ = demo_events
    owner, other = terminals(2)
    sold = sell(owner, gala, n=1)
    (ticket,) = (t["id"] for t in sold["tickets"])
    write_entry(owner, "refund", {"refund": {"id": uuid7(), "order_id": sold["order"]["id"], "override": 0,
                                             "approved_by": None, "override_why": None},
                                  "items": [{"ticket_id": ticket}], "revoked": [ticket]})
    sync(owner)
    sync(other)
    write_entry(other, "refund", {"refund": {"id": uuid7(), "order_id": "not-a-uuid \u202e", "override": 1,
                                             "approved_by": uuid7(), "override_why": "other_terminal"},
                                  "items": [{"ticket_id": ticket}], "revoked": [ticket]})
    pushed = sync(other)
    flagged = [c for c in pushed["conflicts"] if c["kind"] == "refunded_twice"]
    assert flagged and all(c["order_id"] is None for c in flagged), pushed["conflicts"]
    pulled = sync(owner)  # refused whole at that change before
    assert any(c["kind"] == "refunded_twice" for c in pulled["new_conflicts"]), pulled
    assert sync(owner)["caught_up"]


def test_a_release_entry_holding_junk_frees_nothing_and_leaves_no_card_number_in_the_log(
        central: Central, terminals, demo_events) -> None:
    """A tampered terminal's release entry with a card number for a count, or a number for its seats: the push is
    answered (no 5xx), nothing is freed, the terminal's next pushes go on, and the number is in no log line."""
    gala, _ = demo_events
    (term,) = terminals(1)
    sync(term)
    card = "4111 1111 1111 1111"
    write_entry(term, "allocation.release", {"event_id": gala, "section_id": "standing", "count": card})
    write_entry(term, "allocation.release", {"event_id": gala, "section_id": "stalls", "seats": 7})
    write_entry(term, "allocation.release", {"event_id": gala + "\x00", "section_id": "standing", "count": 1})
    write_entry(term, "allocation.release", {"event_id": gala, "section_id": "standing", "count": 0,
                                             "recall_id": "r\x00", "seats": ["A\x001"]})
    odd = json.dumps({"count": 1, "event_id": gala, "recall_id": "r#", "section_id": "standing#"})
    write_text_entry(term, "allocation.release", odd.replace("#", "\\ud800"))  # a lone surrogate no driver encodes
    sync(term)  # a 5xx before (a NUL: PostgreSQL refuses it), and every later push of the terminal failed the same way
    moves = central.query("SELECT m.count FROM allocation_moves m JOIN journal j ON j.id = m.entry_id"
                          " WHERE j.kind = 'allocation.release' AND j.terminal_id = ?", (term.terminal["id"],))
    assert [m["count"] for m in moves] == [0, 0, 0, 0, 0], moves
    assert sell(term, gala, n=1) and sync(term)["caught_up"]  # the next push goes through
    import httpx

    assert httpx.get(f"{central.url}/v1/orders/4111111111111111", timeout=10).status_code in (401, 404)
    time.sleep(0.5)  # the access line is written after the answer
    log = central.server.log_path.read_text(encoding="utf-8", errors="replace")
    assert "/v1/orders/" in log and "4111111111111111" not in log and card not in log
