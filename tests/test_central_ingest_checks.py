"""Holes in the central service's ingest that one hostile push could use, each closed (central/services/
entry_checks.py, ingest.py, ownership.py, store/sale_entries.py).

Every push goes through the terminal's own client and token to the real service on loopback, on SQLite and on
PostgreSQL; the hostile entries carry valid hashes (domain/chain.py), as a stolen or tampered terminal sends them.
What is checked is what the admin (`boxoffice central conflicts`, the central tables) and the terminals (their
sync answers and pulls) see:

- a "sale" of another counter's ticket ids (which reach every terminal before their sale does) with tokens the
  sender did not sign for them is refused and takes no id: the real sale is applied when its counter comes online
  and its ticket is revoked nowhere;
- a payload nested hundreds deep is refused whole, never stored, and the admin's privacy purge still runs;
- an entry pushed ahead of its predecessor is checked against it when that arrives, and a number far past the
  journal's end is refused unless a restore entry declares the gap;
- a reused order code names the first sale's entry by a keyed lookup, not by matching every sale payload the
  terminal ever pushed with LIKE.
"""

from __future__ import annotations

from typing import Any

import pytest
from sync_helpers import Central, conflict_kinds, flagged, forged_entry, push_as, sell, sync, view, write_text_entry

from boxoffice.domain.codes import code_parts, make_order_code
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.store import journal as journal_store
from boxoffice.wire import codec

pytest_plugins = ["sync_support"]


def _sales(ctx: Any) -> list[dict[str, Any]]:
    """The terminal's own sale entries, oldest first, each with its payload read."""
    return [{**e, "sale": codec.loads(e["payload"])} for e in journal_store.iter_entries(ctx.conn, kind="sale")]


def _next_code(code: str, step: int = 1) -> str:
    parts = code_parts(code)
    assert parts is not None
    return make_order_code(parts[0], parts[1] + step)


def _last(ctx: Any) -> dict[str, Any]:
    return list(journal_store.iter_entries(ctx.conn))[-1]


def _signed_sale(ctx: Any, template: dict[str, Any], code: str) -> dict[str, Any]:
    """A new order (fresh ids) like the template under ``code``, each ticket's token signed by the terminal's own
    key for that ticket, as its sale service signs them: what a tampered terminal with its own key can push."""
    from boxoffice.services.signing import key_id_bytes, private_key
    from boxoffice.tickets.token import TicketClaims, sign_token

    event = template["order"]["event_id"]
    tickets = []
    for t in template["tickets"]:
        tid = uuid7()
        token = sign_token(TicketClaims(tid, event, t["section_id"], t["row"], t["seat"]), private_key(ctx),
                           key_id_bytes(ctx))
        tickets.append({**t, "id": tid, "token": token})
    return {**template, "order": {**template["order"], "id": uuid7(), "code": code}, "tickets": tickets,
            "holders": None}


# --- A: a sale's tickets must be the sender's own, signed for them -----------------------------------------------


def test_a_sale_of_another_counters_ticket_ids_with_tokens_it_did_not_sign_takes_nothing(
        central: Central, terminals, demo_events, cli) -> None:
    gala, _ = demo_events
    seller, thief, door = terminals(3)
    for ctx in (seller, thief, door):
        sync(ctx)
    sell(thief, gala)  # the stolen counter's own honest sale: its code, a template
    sync(thief)
    honest = sell(seller, gala)  # sold offline: not on the central service yet
    order_id, ticket = honest["order"]["id"], _sales(seller)[-1]["sale"]["tickets"][0]
    own = _sales(thief)[-1]
    code = _next_code(own["sale"]["order"]["code"])
    # the ids reached the thief (a door's check-in, a printed code); it writes them into sales of its own with a
    # made-up token, with the real ticket's token copied off the QR code, and with a token of its own ticket
    tokens = ["A" * 140, ticket["token"], own["sale"]["tickets"][0]["token"]]
    entries: list[dict[str, Any]] = []
    for n, token in enumerate(tokens):
        sale = {**own["sale"], "order": {**own["sale"]["order"], "id": order_id, "code": _next_code(code, n)},
                "tickets": [{**own["sale"]["tickets"][0], "id": ticket["id"], "token": token}], "holders": None}
        entries.append(forged_entry(thief, "sale", sale, after=entries[-1] if entries else None))
    entries.append(forged_entry(thief, "refund", {"order_id": order_id, "tickets": [ticket["id"]]},
                                after=entries[-1]))
    answer = push_as(central, thief, entries)
    assert answer["applied"] == 4
    assert conflict_kinds(answer) == ["ticket_token_invalid"] * 3 + ["foreign_ticket"]
    problems = [c["subject"] for c in answer["conflicts"][:3]]
    assert "not a ticket token" in problems[0]
    assert f"not this terminal's own ({thief.terminal['key_id']})" in problems[1]
    assert f"token is for ticket {own['sale']['tickets'][0]['id']}" in problems[2]
    assert central.scalar("SELECT count(*) FROM orders WHERE id = ?", (order_id,)) == 0
    assert central.scalar("SELECT count(*) FROM tickets WHERE id = ?", (ticket["id"],)) == 0
    # the honest counter comes online: its sale is applied, and no door is told its ticket was refunded
    out = sync(seller)
    assert out["conflicts"] == [] and not out["new_conflicts"]
    assert central.query("SELECT terminal_id, code FROM orders WHERE id = ?", (order_id,)) == [
        {"terminal_id": seller.terminal["id"], "code": honest["order"]["code"]}]
    assert central.scalar("SELECT status FROM tickets WHERE id = ?", (ticket["id"],)) == "valid"
    assert central.scalar("SELECT count(*) FROM revocations WHERE ticket_id = ?", (ticket["id"],)) == 0
    sync(door)
    seen = view(door)
    assert ticket["id"] not in seen["revoked"]
    assert (ticket["id"], order_id, ticket["token"], "valid") in seen["tickets"]
    shown = flagged(cli, central, "ticket_token_invalid")
    assert {(c["second_terminal"], c["ticket_id"]) for c in shown} == {(thief.terminal["id"], ticket["id"])}


# --- B: a payload nested deep is refused whole -------------------------------------------------------------------


def test_a_payload_nested_hundreds_deep_is_refused_and_the_privacy_purge_still_runs(
        central: Central, terminals, demo_events, clock, tmp_path, cli) -> None:
    _, jazz = demo_events
    (counter,) = terminals(1)
    sync(counter)
    central.web_orders([{"ref": f"deep-{uuid7()}", "event_id": jazz, "customer_name": "Ingrid Quillfeather",
                         "email": "ingrid@example.org", "tickets": [{"section_id": "standing", "type": "adult"}]}],
                       tmp_path)
    text = '{"customer_name":"x","deep":' + "[" * 600 + "]" * 600 + ',"event_id":"' + jazz + '"}'
    write_text_entry(counter, "note", text)  # a tampered database: its next sync pushes it
    deep = _last(counter)
    with pytest.raises(BoxOfficeError) as refused:
        sync(counter)
    assert refused.value.details["status"] == 422
    (where,) = refused.value.details["errors"]
    assert where.startswith("/entries/") and where.endswith("/payload: nests more than 64 deep")
    assert "nests lists and objects too deeply (more than 64 levels)" in refused.value.message
    assert central.scalar("SELECT count(*) FROM journal WHERE id = ?", (deep["id"],)) == 0
    clock.advance(days=60)
    out = cli("central", "privacy", "purge", "--event", jazz, "--db", central.db_url, "--json")
    assert out.exit_code == 0, out.output
    assert central.scalar("SELECT count(*) FROM orders WHERE customer_name = 'Ingrid Quillfeather'") == 0


# --- C: the chain is checked whichever end of a link arrives last ------------------------------------------------


def test_an_entry_pushed_ahead_of_its_predecessor_is_checked_when_it_arrives_and_far_numbers_are_refused(
        central: Central, terminals, cli) -> None:
    (counter,) = terminals(1)
    sync(counter)
    first = forged_entry(counter, "note", {"n": 1})
    ahead = forged_entry(counter, "note", {"n": 2}, after={**first, "hash": "f" * 64})  # follows no entry
    assert push_as(central, counter, [ahead])["conflicts"] == []  # its predecessor is not here: nothing to check
    answer = push_as(central, counter, [first])
    assert [(c["kind"], c["subject"], c["second"]["entry_id"]) for c in answer["conflicts"]] == [
        ("chain_break", f"journal/{counter.terminal['id']}/{ahead['seq']}", ahead["id"])]
    assert [c["second_entry"] for c in flagged(cli, central, "chain_break")
            if c["second_terminal"] == counter.terminal["id"]] == [ahead["id"]]
    # a number far past the journal's end is refused, and nothing of the batch is kept
    for seq in (2**53 - 1, ahead["seq"] + 100_001):
        far = forged_entry(counter, "note", {"n": 3}, after={**ahead, "seq": seq - 1})
        with pytest.raises(BoxOfficeError) as refused:
            push_as(central, counter, [far])
        assert refused.value.details["central_code"] == "journal_too_far_ahead"
        assert refused.value.details["status"] == 409
        assert central.scalar("SELECT count(*) FROM journal WHERE id = ?", (far["id"],)) == 0
    assert central.scalar("SELECT last_seq FROM terminals WHERE id = ?", (counter.terminal["id"],)) == ahead["seq"]
    # a restore entry numbered after every entry the terminal made, declaring the gap, is what may jump
    seq = ahead["seq"] + 200_000
    restore = forged_entry(counter, "restore", {"gap": {"after": ahead["seq"], "upto": seq - 1}},
                           after={**ahead, "seq": seq - 1})
    answer = push_as(central, counter, [restore])
    assert conflict_kinds(answer) == ["journal_gap"]
    assert central.scalar("SELECT last_seq FROM terminals WHERE id = ?", (counter.terminal["id"],)) == seq


# --- D: a reused code finds the first sale's entry by key --------------------------------------------------------


class _Statements:
    """A database connection that notes every statement run through it (and otherwise is the connection)."""

    def __init__(self, raw: Any) -> None:
        self.raw, self.seen = raw, []

    def execute(self, sql: str, *args: Any, **kw: Any) -> Any:
        self.seen.append(sql)
        return self.raw.execute(sql, *args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def test_a_reused_order_code_names_the_first_sales_entry_without_reading_every_sale_payload(
        central: Central, terminals, demo_events) -> None:
    from boxoffice.central.services import ingest
    from boxoffice.central.store.db import connect

    gala, _ = demo_events
    (counter,) = terminals(1)
    sync(counter)
    sell(counter, gala)
    sync(counter)
    first = _sales(counter)[-1]
    code, order_id = first["sale"]["order"]["code"], first["sale"]["order"]["id"]
    # junk "sale" entries (kept, not applied: they sell nothing), one of them naming the first order's id
    entries: list[dict[str, Any]] = []
    for n in range(4):
        junk = {"junk": "J" * 200_000, "n": n, "note": {"id": order_id} if n == 2 else None}
        entries.append(forged_entry(counter, "sale", junk, after=entries[-1] if entries else None))
    assert conflict_kinds(push_as(central, counter, entries)) == ["unpublishable"] * 4
    # then many sales under the first one's code (a terminal put back from an older copy, or a tampered one)
    for _n in range(12):
        entries.append(forged_entry(counter, "sale", _signed_sale(counter, first["sale"], code), after=entries[-1]))
    answer = push_as(central, counter, entries[4:])
    reused = [c for c in answer["conflicts"] if c["kind"] == "order_code_reused"]
    assert [(c["first"]["entry_id"], c["second"]["entry_id"]) for c in reused] == [
        (first["id"], e["id"]) for e in entries[4:]]
    assert central.scalar("SELECT count(*) FROM orders WHERE code LIKE ?", (code + "~%",)) == 12
    # the lookup the flag makes: by key, not a LIKE over the terminal's payloads
    with connect(central.db_url) as db:
        term = db.one("SELECT * FROM terminals WHERE id = ?", (counter.terminal["id"],))
        spy = _Statements(db.raw)
        db.raw = spy
        again = forged_entry(counter, "sale", _signed_sale(counter, first["sale"], code), after=entries[-1])
        done = ingest.apply_batch(db, term, [again], again["at"])
        db.raw = spy.raw
    assert [(c["first"]["entry_id"], c["second"]["entry_id"]) for c in done["conflicts"]
            if c["kind"] == "order_code_reused"] == [(first["id"], again["id"])]
    assert [s for s in spy.seen if "like" in s.lower() and "payload" in s.lower()] == []
    assert done["applied"] == 1


def test_a_restore_entry_cannot_declare_a_gap_to_the_end_of_the_numbers() -> None:
    """A restore entry may jump past a gap it declares, but not to 2**53 - 1: that would leave no room after it."""
    import json

    from boxoffice.central.errors import CentralError
    from boxoffice.central.services.entry_checks import MAX_DECLARED_GAP, refuse_far_ahead

    def restore(seq: int, after: int, upto: int) -> dict:
        return {"seq": seq, "kind": "restore", "payload": json.dumps({"gap": {"after": after, "upto": upto}})}

    refuse_far_ahead([restore(200_006, 5, 200_005)], 5)  # a week of door scans lost after a backup: accepted
    with pytest.raises(CentralError) as refused:
        refuse_far_ahead([restore(2**53 - 1, 5, 2**53 - 2)], 5)
    assert refused.value.code == "journal_too_far_ahead"
    with pytest.raises(CentralError):
        refuse_far_ahead([restore(MAX_DECLARED_GAP + 7, 5, MAX_DECLARED_GAP + 6)], 5)
