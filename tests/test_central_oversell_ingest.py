"""A sale past what the central service granted its terminal is flagged to the admin at once
(central/services/allocation_ledger.Room).

Each test pushes entries with valid hashes through the real client to the real service on loopback, on SQLite and
on PostgreSQL. Before the check, a terminal granted a few standing places could push one sale of hundreds with
nobody told: a stolen terminal minting tickets went unseen. Now the tickets past its allocation are flagged
``oversold`` to the admin (`boxoffice central conflicts`) and the sender, naming how many; they are applied all the
same (a genuine key signed them: a customer may hold them), and the rest of the batch goes on as before.
"""

from __future__ import annotations

from typing import Any

from sync_helpers import Central, forged_entry, push_as, resigned, sell, sync

from boxoffice.central.services.allocation_admin import allocate
from boxoffice.domain.codes import code_parts, make_order_code
from boxoffice.domain.ids import uuid7
from boxoffice.store import journal as journal_store
from boxoffice.store.db import write
from boxoffice.wire import codec

pytest_plugins = ["sync_support"]






def _last_sale(ctx: Any) -> dict[str, Any]:
    return codec.loads(list(journal_store.iter_entries(ctx.conn, kind="sale"))[-1]["payload"])


def _sale(ctx: Any, template: dict[str, Any], step: int, tickets: list[dict[str, Any]]) -> dict[str, Any]:
    """A new order (new ids, the code ``step`` past the template's) of these tickets, like the template."""
    parts = code_parts(template["order"]["code"])
    assert parts is not None
    order = {**template["order"], "id": uuid7(), "code": make_order_code(parts[0], parts[1] + step)}
    model = template["tickets"][0]
    return resigned(ctx, {**template, "order": order, "holders": None,
                          "tickets": [{**model, "id": uuid7(), **t} for t in tickets]})


def _standing_left(central: Central, ctx: Any, event_id: str) -> int:
    tid = ctx.terminal["id"]
    granted = central.scalar("SELECT count FROM allocations WHERE terminal_id = ? AND event_id = ?"
                             " AND section_id = 'standing'", (tid, event_id))
    sold = central.scalar("SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.terminal_id = ?"
                          " AND t.event_id = ? AND t.section_id = 'standing' AND t.status = 'valid'", (tid, event_id))
    return int(granted or 0) - int(sold)


def _shown(cli: Any, central: Central) -> list[dict[str, Any]]:
    out = cli("central", "conflicts", "--db", central.db_url, "--json")
    assert out.exit_code == 0, out.stderr
    return [c for c in out.json() if c["kind"] == "oversold"]


def test_a_sale_past_the_allocation_is_flagged_oversold_to_the_admin_and_the_sender(
        central: Central, terminals, demo_events, cli) -> None:
    gala, _ = demo_events
    (seller,) = terminals(1)
    sync(seller)
    honest = sell(seller, gala)  # pushed in the same batch, before the forged sale
    left = _standing_left(central, seller, gala) - 1
    assert left > 0
    standing = {"section_id": "standing", "row": None, "seat": None}
    forged = _sale(seller, _last_sale(seller), 1, [standing] * (left + 300))
    with write(seller.conn):
        seller.journal("sale", forged)  # a tampered terminal database: its next sync pushes it
    out = sync(seller)
    assert [c["kind"] for c in out["conflicts"]] == ["oversold"], "the sender is told"
    assert central.scalar("SELECT count(*) FROM tickets WHERE order_id = ?", (honest["order"]["id"],)) == 1
    assert central.scalar("SELECT count(*) FROM tickets WHERE order_id = ?", (forged["order"]["id"],)) == left + 300
    shown = _shown(cli, central)
    assert [(c["second_terminal"], c["order_id"]) for c in shown] == [(seller.terminal["id"], forged["order"]["id"])]
    assert f"300 of {left + 300} tickets past the terminal's allocation" in shown[0]["subject"]
    listed = cli("central", "conflicts", "--db", central.db_url)
    assert "oversold" in listed.stdout and seller.terminal["name"] in listed.stdout


def test_seats_another_terminal_holds_or_the_venue_holds_back_are_flagged_a_free_one_is_not(
        central: Central, terminals, demo_events, cli) -> None:
    gala, _ = demo_events
    seller, holder = terminals(2)
    sync(seller)
    sell(seller, gala)
    sync(seller)
    allocate(central.db_url, gala, holder.terminal["id"], "stalls", 0, ["C5"])
    taken = {r["label"] for r in central.query("SELECT label FROM allocated_seats WHERE event_id = ?", (gala,))}
    free_seat = next(f"T{n}" for n in range(20, 1, -1) if f"T{n}" not in taken)
    seats = [{"section_id": "stalls", "row": "C", "seat": "5"}, {"section_id": "stalls", "row": "H", "seat": "13"},
             {"section_id": "stalls", "row": free_seat[0], "seat": free_seat[1:]}]
    last = list(journal_store.iter_entries(seller.conn))[-1]
    forged = _sale(seller, _last_sale(seller), 1, seats)
    answer = push_as(central, seller, [forged_entry(seller, "sale", forged, last)])
    assert "oversold" in [c["kind"] for c in answer["conflicts"]]
    shown = [c for c in _shown(cli, central) if c["order_id"] == forged["order"]["id"]]
    assert len(shown) == 1 and "stalls: 2 of 3 tickets" in shown[0]["subject"], "C5 and H13; the free seat fits"


def test_a_refunded_place_is_sold_again_unflagged_and_one_more_is_flagged(
        central: Central, terminals, demo_events, cli) -> None:
    gala, _ = demo_events
    (seller,) = terminals(1)
    sync(seller)
    sell(seller, gala)
    sync(seller)
    left = _standing_left(central, seller, gala)
    template = _last_sale(seller)
    standing = [{"section_id": "standing", "row": None, "seat": None}]
    fill = _sale(seller, template, 1, standing * left)
    refunded = fill["tickets"][0]["id"]
    again = _sale(seller, template, 2, standing)
    e1 = forged_entry(seller, "sale", fill, list(journal_store.iter_entries(seller.conn))[-1])
    e2 = forged_entry(seller, "refund", {"order_id": fill["order"]["id"], "ticket_ids": [refunded]}, e1)
    e3 = forged_entry(seller, "sale", again, e2)
    answer = push_as(central, seller, [e1, e2, e3])
    assert answer["applied"] == 3 and answer["conflicts"] == []
    assert central.scalar("SELECT count(*) FROM tickets WHERE order_id = ?", (again["order"]["id"],)) == 1
    one_more = _sale(seller, template, 3, standing)
    answer = push_as(central, seller, [forged_entry(seller, "sale", one_more, e3)])
    assert [c["kind"] for c in answer["conflicts"]] == ["oversold"]
    assert _standing_left(central, seller, gala) == -1
