"""A stolen terminal's token and key cannot erase customers' data or revoke the venue's tickets at will.

Each test is an attack that worked before: a ``privacy.purge`` entry dated 2099 with ``keep_days`` 1 erased the
names and e-mails of tonight's event on the central service (web orders included); a bare revocation carrying
``"override": true`` revoked a web ticket everywhere; an override on a refund row revoked as many foreign tickets as
the sender named. The hostile entries carry valid hashes and go through the terminal's own client and token to the
real service on loopback, on SQLite and on PostgreSQL. What is refused or held is kept, not applied, and flagged to
the admin (`boxoffice central conflicts`) and the sender; the honest rest of the batch is applied.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sync_helpers import Central, client, flagged, forged_entry, push_as, resigned, sell, sync, write_entry

from boxoffice.central.services.ownership import FOREIGN_PER_HOUR
from boxoffice.domain.clock import iso
from boxoffice.domain.codes import code_parts, make_order_code
from boxoffice.domain.ids import uuid7
from boxoffice.store import journal as journal_store
from boxoffice.wire import codec

pytest_plugins = ["sync_support"]

WEB_CUSTOMER = {"customer_name": "Hortensia Quillfeather", "email": "hortensia.q@example.org"}








def _own_next_sale(ctx: Any) -> dict[str, Any]:
    """A copy of the terminal's last sale as its next order under its own tag: an honest entry."""
    sale = codec.loads(list(journal_store.iter_entries(ctx.conn, kind="sale"))[-1]["payload"])
    parts = code_parts(sale["order"]["code"])
    assert parts is not None
    sale["order"] = {**sale["order"], "id": uuid7(), "code": make_order_code(parts[0], parts[1] + 1)}
    sale["tickets"] = [{**t, "id": uuid7()} for t in sale["tickets"]]
    return resigned(ctx, sale)


def _purge(event: str, keep_days: int = 1) -> dict[str, Any]:
    return {"event_id": event, "keep_days": keep_days, "origin": "terminal", "rows": {}, "erased": []}


def _web_order(central: Central, event: str, tmp_path: Any, n: int = 1) -> tuple[str, list[str]]:
    """A web order of ``n`` standing tickets with a named customer: its code and ticket ids."""
    got = central.web_orders([{"ref": f"abuse-{uuid7()}", "event_id": event, **WEB_CUSTOMER,
                               "tickets": [{"section_id": "standing", "type": "adult"}] * n}], tmp_path)
    code = got["codes"][0]
    order = central.query("SELECT id FROM orders WHERE code = ?", (code,))[0]["id"]
    return code, [r["id"] for r in central.query("SELECT id FROM tickets WHERE order_id = ? ORDER BY id", (order,))]


def _customer(central: Central, code: str) -> dict[str, Any]:
    return central.query("SELECT customer_name, email FROM orders WHERE code = ?", (code,))[0]


def _dated_back(central: Central, event: str, days: int) -> None:
    """The central catalogue dates the event ``days`` before the central service's own clock."""
    from boxoffice.central.store.db import connect

    with connect(central.db_url) as db, db.transaction():
        db.execute("UPDATE events SET starts_at = ? WHERE id = ?", (iso(datetime.now(UTC) - timedelta(days=days)),
                                                                    event))


def test_a_purge_dated_2099_erases_nothing_of_an_upcoming_event_and_the_batch_goes_on(
        central: Central, terminals, demo_events, tmp_path, cli) -> None:
    gala, _ = demo_events
    (attacker,) = terminals(1)
    sync(attacker)
    code, _ = _web_order(central, gala, tmp_path)
    mine = sell(attacker, gala)
    sync(attacker)
    purge = forged_entry(attacker, "privacy.purge", _purge(gala), at="2099-01-01T00:00:00.000000Z")
    honest = forged_entry(attacker, "sale", _own_next_sale(attacker), after=purge)
    answer = push_as(central, attacker, [purge, honest])
    assert answer["applied"] == 2 and [c["kind"] for c in answer["conflicts"]] == ["privacy_purge_refused"]
    assert _customer(central, code) == {"customer_name": WEB_CUSTOMER["customer_name"],
                                        "email": WEB_CUSTOMER["email"]}
    assert central.scalar("SELECT count(*) AS n FROM orders WHERE id = ?", (mine["order"]["id"],)) == 1
    honest_code = codec.loads(honest["payload"])["order"]["code"]
    assert central.scalar("SELECT count(*) AS n FROM orders WHERE code = ?", (honest_code,)) == 1  # applied
    assert central.query("SELECT status FROM privacy_purges WHERE entry_id = ?", (purge["id"],)) == [
        {"status": "refused"}]
    shown = [c for c in flagged(cli, central, "privacy_purge_refused") if c["second_entry"] == purge["id"]]
    assert len(shown) == 1 and shown[0]["subject"].startswith(f"{gala}: not past 30 days here")
    listed = cli("central", "conflicts", "--db", central.db_url)
    assert "privacy purge refused" in listed.stdout


def test_a_purge_is_judged_by_the_central_clock_and_its_keep_days(central: Central, terminals, make_terminal,
                                                                  demo_events, tmp_path, cli) -> None:
    """An event that started 5 days ago here is not purged by a terminal keeping 30 days; once it started 40 days
    ago the terminal's own sales are, as documented, and the web order's customer stays for the admin's purge
    (flagged); a door scanner, which holds no customers, purges nothing."""
    from boxoffice.central.services.admin import enroll_code
    from boxoffice.services.sync.rounds import enroll as do_enroll

    _, jazz = demo_events
    (counter,) = terminals(1)
    sync(counter)
    code, _ = _web_order(central, jazz, tmp_path)
    now = iso(datetime.now(UTC))
    _dated_back(central, jazz, 5)
    early = forged_entry(counter, "privacy.purge", _purge(jazz, keep_days=30), at=now)
    assert [c["kind"] for c in push_as(central, counter, [early])["conflicts"]] == ["privacy_purge_refused"]
    assert _customer(central, code)["email"] == WEB_CUSTOMER["email"]

    door = make_terminal(name="Door abuse", fresh=True)
    with client(central.url) as c:
        do_enroll(door, central.url, enroll_code(central.db_url, "Door abuse", roles="door")["code"], c)
    sync(door)
    _dated_back(central, jazz, 40)
    scanner = forged_entry(door, "privacy.purge", _purge(jazz), at=now)
    answer = push_as(central, door, [scanner])
    assert [c["subject"] for c in answer["conflicts"]] == [
        f"{jazz}: the sender has neither the sell nor the pickup role"]
    assert _customer(central, code)["email"] == WEB_CUSTOMER["email"]

    legit = forged_entry(counter, "privacy.purge", _purge(jazz, keep_days=30), after=early, at=now)
    assert [c["kind"] for c in push_as(central, counter, [legit])["conflicts"]] == ["privacy_purge_partial"]
    assert _customer(central, code)["email"] == WEB_CUSTOMER["email"], "a web order is the admin's to purge"
    assert central.query("SELECT status FROM privacy_purges WHERE entry_id = ?", (legit["id"],)) == [
        {"status": "done"}]
    assert cli("central", "privacy", "purge", "--event", jazz, "--db", central.db_url).exit_code == 0
    assert _customer(central, code) == {"customer_name": None, "email": None}


def test_an_override_flag_on_a_bare_revocation_revokes_nothing(central: Central, terminals, demo_events, tmp_path,
                                                               cli) -> None:
    gala, _ = demo_events
    attacker, other = terminals(2)
    _, (ticket,) = _web_order(central, gala, tmp_path)
    write_entry(attacker, "ticket.revoke", {"revoked": [ticket], "override": True, "approved_by": "nobody"})
    out = cli("sync", "--json", db=attacker)
    assert out.exit_code == 0, out.stderr
    assert [c["kind"] for c in out.json()["conflicts"]] == ["foreign_ticket"]
    assert central.scalar("SELECT status FROM tickets WHERE id = ?", (ticket,)) == "valid"
    assert central.scalar("SELECT count(*) AS n FROM revocations WHERE ticket_id = ?", (ticket,)) == 0
    sync(other)
    assert other.conn.execute("SELECT count(*) FROM revocations WHERE ticket_id = ?", (ticket,)).fetchone()[0] == 0


def test_foreign_refunds_past_the_hourly_cap_are_held_for_the_admin(central: Central, terminals, demo_events,
                                                                    tmp_path, cli) -> None:
    gala, _ = demo_events
    attacker, other = terminals(2)
    sync(other)

    def refund(tickets: list[str]) -> dict[str, Any]:
        row = {"id": uuid7(), "order_id": None, "override": 1, "approved_by": uuid7(),
               "override_why": "other_terminal"}
        return {"refund": row, "items": [{"ticket_id": t} for t in tickets], "revoked": tickets}

    _, group = _web_order(central, gala, tmp_path, n=25)
    _, singles = _web_order(central, gala, tmp_path, n=FOREIGN_PER_HOUR - 1)
    _, late = _web_order(central, gala, tmp_path, n=4)
    write_entry(attacker, "refund", refund(group))  # a school's booking refunded whole under a supervisor: one entry
    for t in singles:  # then one entry a ticket, up to the hourly cap of entries
        write_entry(attacker, "refund", refund([t]))
    write_entry(attacker, "refund", refund(late))  # a family's four tickets: the entry past the cap
    out = cli("sync", "--json", db=attacker)
    assert out.exit_code == 0, out.stderr
    assert [c["kind"] for c in out.json()["conflicts"]] == ["foreign_refund_override"] * FOREIGN_PER_HOUR + [
        "foreign_refund_held"]
    every = group + singles + late
    status = {r["id"]: r["status"] for r in central.query(
        f"SELECT id, status FROM tickets WHERE id IN ({', '.join('?' * len(every))})", tuple(every))}
    assert {status[t] for t in group + singles} == {"refunded"} and {status[t] for t in late} == {"valid"}
    sync(other)
    revoked = {r[0] for r in other.conn.execute("SELECT ticket_id FROM revocations")}
    assert set(group) <= revoked and not set(late) & revoked
    held = [c for c in flagged(cli, central, "foreign_refund_held") if c["second_terminal"] == attacker.terminal["id"]]
    assert [c["ticket_id"] for c in held] == [late[0]] and "release-held" in held[0]["rule"]
    assert held[0]["released_at"] is None
    entry = held[0]["second_entry"]
    listed = cli("central", "conflicts", "--db", central.db_url)
    assert entry in listed.stdout and "release-held" in listed.stdout
    # newer flags do not push it out of sight: a refund of a web ticket with no override, refused
    bare = {"refund": {"id": uuid7(), "order_id": None}, "items": [{"ticket_id": group[0]}], "revoked": [group[0]]}
    write_entry(other, "refund", bare)
    sync(other)
    newest = cli("central", "conflicts", "--limit", "1", "--json", "--db", central.db_url).json()
    assert newest[0]["kind"] == "foreign_ticket" and entry in [c["second_entry"] for c in newest]

    # the admin, having checked the refund was real, releases it: the whole entry, once
    assert cli("central", "release-held", "not-an-id", "--db", central.db_url).exit_code == 2
    honest = central.scalar("SELECT id FROM journal WHERE terminal_id = ? AND seq = 1", (attacker.terminal["id"],))
    assert cli("central", "release-held", honest, "--db", central.db_url).exit_code == 3  # held entries only
    done = cli("central", "release-held", entry, "--db", central.db_url)
    assert done.exit_code == 0, done.stderr
    assert "Released: 4 tickets" in done.stdout
    assert {central.scalar("SELECT status FROM tickets WHERE id = ?", (t,)) for t in late} == {"refunded"}
    again = cli("central", "release-held", entry, "--db", central.db_url, "--json")
    assert again.exit_code == 4 and "released already" in again.stdout + again.stderr
    sync(other)
    assert set(late) <= {r[0] for r in other.conn.execute("SELECT ticket_id FROM revocations")}
    assert [c["released_at"] is not None for c in flagged(cli, central, "foreign_refund_held")
            if c["second_entry"] == entry] == [True]
    assert entry not in cli("central", "conflicts", "--db", central.db_url).stdout.split("release-held")[-1]


def test_only_a_held_refund_is_released_through_the_service(central: Central) -> None:
    import pytest

    from boxoffice.central.services.held import release
    from boxoffice.errors import BoxOfficeError

    before = central.scalar("SELECT count(*) FROM held_releases")  # the module's central service is shared
    for entry, code in ((uuid7(), "not_found"), ("'; DROP TABLE journal; --", "bad_input")):
        with pytest.raises(BoxOfficeError) as err:
            release(central.db_url, entry)
        assert err.value.code == code
    assert central.scalar("SELECT count(*) FROM held_releases") == before
    assert central.scalar("SELECT count(*) FROM journal") > 0


def _override_refund(tickets: list[str]) -> dict[str, Any]:
    row = {"id": uuid7(), "order_id": None, "override": 1, "approved_by": uuid7(), "override_why": "other_terminal"}
    return {"refund": row, "items": [{"ticket_id": t} for t in tickets], "revoked": tickets}


def _past_the_cap(ctx: Any, central: Central, event: str, tmp_path: Any) -> None:
    """``ctx`` refunds FOREIGN_PER_HOUR web tickets under overrides: its next one this hour is held."""
    _, tickets = _web_order(central, event, tmp_path, n=FOREIGN_PER_HOUR)
    for t in tickets:
        write_entry(ctx, "refund", _override_refund([t]))
    sync(ctx)


def _seated(ctx: Any, seat: str, bump: int) -> dict[str, Any]:
    """The terminal's next sale, of one seat of the stalls."""
    s = _own_next_sale(ctx)
    parts = code_parts(s["order"]["code"])
    assert parts is not None
    s["order"]["code"] = make_order_code(parts[0], parts[1] + bump)
    s["tickets"] = [{**s["tickets"][0], "section_id": "stalls", "row": seat[0], "seat": seat[1:]}]
    return resigned(ctx, s)


def _seat_holder(central: Central, subject: str) -> list[Any]:
    return [r["terminal_id"] for r in central.query("SELECT terminal_id FROM claims WHERE action = 'seat' AND"
                                                    " subject = ?", (subject,))]


def _sold_then_held(owner: Any, busy: Any, central: Central, event: str, seat: str, tmp_path: Any,
                    cli: Any) -> tuple[dict, dict, str, str]:
    """``owner`` sells ``seat``; ``busy``, past its hourly cap, refunds that ticket under an override: held. (The
    sale's entry, the sale, its ticket, the held entry's id.)"""
    first = _seated(owner, seat, 3)
    sold = forged_entry(owner, "sale", first)
    push_as(central, owner, [sold])
    ticket = first["tickets"][0]["id"]
    _past_the_cap(busy, central, event, tmp_path)
    write_entry(busy, "refund", _override_refund([ticket]))
    sync(busy)
    (held,) = [c["second_entry"] for c in flagged(cli, central, "foreign_refund_held")
               if c["second_terminal"] == busy.terminal["id"]]
    return sold, first, ticket, held


def _own_refund(sale: dict[str, Any], ticket: str) -> dict[str, Any]:
    return {"refund": {"id": uuid7(), "order_id": sale["order"]["id"]}, "items": [{"ticket_id": ticket}],
            "revoked": [ticket]}


def test_a_refund_released_late_does_not_free_a_seat_sold_again_since(central: Central, terminals, demo_events,
                                                                        tmp_path, cli) -> None:
    gala, _ = demo_events
    busy, owner, resale, third = terminals(4)
    for t in (busy, owner, resale, third):
        sell(t, gala)
        sync(t)
    subject = f"{gala}/stalls/J9"
    # a busy counter's supervisor refunds J9 too: held
    sold, first, ticket, held = _sold_then_held(owner, busy, central, gala, "J9", tmp_path, cli)
    # the selling counter refunds its own ticket (J9 free), another counter sells J9 again
    push_as(central, owner, [forged_entry(owner, "refund", _own_refund(first, ticket), after=sold)])
    push_as(central, resale, [forged_entry(resale, "sale", _seated(resale, "J9", 3))])
    assert _seat_holder(central, subject) == [resale.terminal["id"]]
    done = cli("central", "release-held", held, "--db", central.db_url)  # hours later
    assert done.exit_code == 0, done.stderr
    assert _seat_holder(central, subject) == [resale.terminal["id"]]  # the resale keeps its seat
    answer = push_as(central, third, [forged_entry(third, "sale", _seated(third, "J9", 3))])
    assert "seat_sold_twice" in [c["kind"] for c in answer["conflicts"]]


def _held_exchange(ctx: Any, central: Central, event: str, tmp_path: Any) -> tuple[dict, dict, str]:
    """``ctx``, past its hourly cap, exchanges a web ticket under an override for a new order of its own: the
    entry is held. (The entry, the new sale, the web ticket.)"""
    _past_the_cap(ctx, central, event, tmp_path)
    _, (web_ticket,) = _web_order(central, event, tmp_path)
    new = _own_next_sale(ctx)
    payload = {**new, "exchange": {"id": uuid7(), "override": 1, "approved_by": uuid7(), "from_order_id": None},
               "old_tickets": [web_ticket]}
    entry = forged_entry(ctx, "exchange", payload)
    assert [c["kind"] for c in push_as(central, ctx, [entry])["conflicts"]] == ["foreign_refund_held"]
    return entry, new, web_ticket


def test_a_held_exchange_of_a_terminal_revoked_since_needs_force_and_names_its_new_order(
        central: Central, terminals, demo_events, tmp_path, cli) -> None:
    gala, _ = demo_events
    (counter,) = terminals(1)
    sell(counter, gala)
    sync(counter)
    entry, new, web_ticket = _held_exchange(counter, central, gala, tmp_path)
    assert cli("central", "revoke", counter.terminal["id"], "--db", central.db_url).exit_code == 0
    refused = cli("central", "release-held", entry["id"], "--db", central.db_url)
    assert refused.exit_code == 4 and "--force" in refused.stderr
    assert central.scalar("SELECT count(*) FROM orders WHERE id = ?", (new["order"]["id"],)) == 0
    done = cli("central", "release-held", entry["id"], "--force", "--db", central.db_url)
    assert done.exit_code == 0, done.stderr
    assert new["order"]["code"] in done.stdout and "revoked" in done.stdout
    assert central.scalar("SELECT status FROM tickets WHERE id = ?", (web_ticket,)) == "exchanged"


def test_a_held_entry_is_judged_again_when_released(central: Central, terminals, demo_events, tmp_path,
                                                    cli) -> None:
    gala, _ = demo_events
    counter, other = terminals(2)
    for t in (counter, other):
        sell(t, gala)
        sync(t)
    entry, new, web_ticket = _held_exchange(counter, central, gala, tmp_path)
    # meanwhile another terminal's sale brings in the ticket id the held exchange would sell
    theirs = _own_next_sale(other)
    theirs = resigned(other, {**theirs, "tickets": [{**theirs["tickets"][0], "id": new["tickets"][0]["id"]}]})
    push_as(central, other, [forged_entry(other, "sale", theirs)])
    refused = cli("central", "release-held", entry["id"], "--db", central.db_url)
    assert refused.exit_code == 4 and "ticket_id_taken" in refused.stderr
    assert central.scalar("SELECT status FROM tickets WHERE id = ?", (web_ticket,)) == "valid"
    assert central.scalar("SELECT count(*) FROM held_releases WHERE entry_id = ?", (entry["id"],)) == 0


def test_a_seat_the_admin_revoked_is_free_again_once_refunded(central: Central, terminals, demo_events, tmp_path,
                                                               cli) -> None:
    """A web ticket revoked by hand (a leaked screenshot), then refunded at a desk; a counter's seat revoked by hand,
    then refunded by its seller: each seat can be sold again, unflagged."""
    from boxoffice.services.refunds import RefundRequest, refund

    gala, _ = demo_events
    desk, owner, resale = terminals(3)
    for t in (desk, owner, resale):
        sell(t, gala)
        sync(t)
    got = central.web_orders([{"ref": f"leak-{uuid7()}", "event_id": gala, **WEB_CUSTOMER,
                               "tickets": [{"section_id": "stalls", "seat": "L3", "type": "adult"}]}], tmp_path)
    code = got["codes"][0]
    web_ticket = central.query("SELECT t.id FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.code = ?",
                               (code,))[0]["id"]
    assert cli("central", "revoke-ticket", web_ticket, "--reason", "leaked screenshot", "--db",
               central.db_url).exit_code == 0
    sync(desk)
    refund(desk, RefundRequest(code, supervisor=("sue", "222222")))
    sync(desk)
    assert _seat_holder(central, f"{gala}/stalls/L3") == []
    first = _seated(owner, "L5", 3)
    sold = forged_entry(owner, "sale", first)
    push_as(central, owner, [sold])
    ticket = first["tickets"][0]["id"]
    assert cli("central", "revoke-ticket", ticket, "--reason", "reported stolen", "--db",
               central.db_url).exit_code == 0
    push_as(central, owner, [forged_entry(owner, "refund", _own_refund(first, ticket), after=sold)])
    answer = push_as(central, resale, [forged_entry(resale, "sale", _seated(resale, "L5", 3))])
    assert "seat_sold_twice" not in [c["kind"] for c in answer["conflicts"]]
    assert _seat_holder(central, f"{gala}/stalls/L5") == [resale.terminal["id"]]


def test_a_late_refund_keeps_the_seat_its_own_terminal_sold_again(central: Central, terminals, demo_events,
                                                                  tmp_path, cli) -> None:
    gala, _ = demo_events
    busy, owner = terminals(2)
    for t in (busy, owner):
        sell(t, gala)
        sync(t)
    sold, first, ticket, held = _sold_then_held(owner, busy, central, gala, "M2", tmp_path, cli)
    refunded = forged_entry(owner, "refund", _own_refund(first, ticket), after=sold)
    again = _seated(owner, "M2", 4)  # the same counter sells M2 again
    push_as(central, owner, [refunded, forged_entry(owner, "sale", again, after=refunded)])
    assert cli("central", "release-held", held, "--db", central.db_url).exit_code == 0
    assert _seat_holder(central, f"{gala}/stalls/M2") == [owner.terminal["id"]]
    assert central.scalar("SELECT status FROM tickets WHERE id = ?", (again["tickets"][0]["id"],)) == "valid"


def test_a_seat_sold_twice_is_free_again_only_once_both_tickets_are_refunded(central: Central, terminals,
                                                                             demo_events, cli) -> None:
    gala, _ = demo_events
    first, second, third = terminals(3)
    for t in (first, second, third):
        sell(t, gala)
        sync(t)
    subject = f"{gala}/stalls/N4"
    one, two = _seated(first, "N4", 3), _seated(second, "N4", 3)
    sold_one, sold_two = forged_entry(first, "sale", one), forged_entry(second, "sale", two)
    push_as(central, first, [sold_one])
    twice = push_as(central, second, [sold_two])
    assert "seat_sold_twice" in [c["kind"] for c in twice["conflicts"]]  # kept: a customer may hold it
    push_as(central, first, [forged_entry(first, "refund", _own_refund(one, one["tickets"][0]["id"]),
                                          after=sold_one)])
    # the second sale's ticket still sits on N4: the seat is not sold a third time
    assert _seat_holder(central, subject) == [first.terminal["id"]]
    push_as(central, second, [forged_entry(second, "refund", _own_refund(two, two["tickets"][0]["id"]),
                                           after=sold_two)])
    assert _seat_holder(central, subject) == []  # nobody sits on it: free, whichever sale held the claim
    third_time = push_as(central, third, [forged_entry(third, "sale", _seated(third, "N4", 3))])
    assert "seat_sold_twice" not in [c["kind"] for c in third_time["conflicts"]]
    assert _seat_holder(central, subject) == [third.terminal["id"]]
