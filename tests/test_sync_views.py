"""Three terminals sell, pick up and refund while cut off from each other, then sync in every order: afterwards
each knows the same orders, tickets, pickups, revocations and keys as the others and as the central service."""

from __future__ import annotations

import itertools

import pytest
from sync_helpers import Central, sell, sync, view

pytest_plugins = ["sync_support"]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=lambda p: "".join("abc"[i] for i in p))
def test_every_sync_order_ends_with_identical_views(central: Central, terminals, tmp_path, demo_events,
                                                    order) -> None:
    from boxoffice.services.pickup import pick_up
    from boxoffice.services.refunds import RefundRequest, refund

    gala, jazz = demo_events
    a, b, c = ts = terminals(3)
    tag = a.terminal["tag"]
    web = central.web_orders([
        {"ref": f"views-{tag}-{i}", "event_id": gala, "customer_name": f"Web {i}",
         "tickets": [{"section_id": "standing", "type": "adult"}] * (i + 1)} for i in range(3)], tmp_path)["codes"]
    for i in order:
        sync(ts[i])

    # cut off from each other from here on
    s1 = sell(a, gala, n=2)
    sell(a, jazz, section="stalls", n=2)
    sell(b, gala, section="stalls", n=3)
    sell(c, jazz, n=1)
    pick_up(c, web[0], print_now=False)
    pick_up(b, web[1], print_now=False, count=1)
    refund(a, RefundRequest(code=s1["order"]["code"], tickets=[s1["tickets"][0]["id"]], print_receipt=False))

    for _ in range(2):  # a second round tells the first to sync what the later ones pushed
        for i in order:
            sync(ts[i])

    views = [view(t) for t in ts]
    assert views[0] == views[1] == views[2]
    v = views[0]
    marks = ",".join("?" * len(v["orders"]))
    on_central = central.query(f"SELECT id FROM orders WHERE id IN ({marks})", tuple(o[0] for o in v["orders"]))
    assert len(on_central) == len(v["orders"])
    assert s1["tickets"][0]["id"] in v["revoked"]

    def web_tickets(code: str) -> set[str]:
        return {r[0] for r in a.conn.execute("SELECT t.id FROM tickets t JOIN orders o ON o.id = t.order_id"
                                             " WHERE o.code = ?", (code,))}

    picked = set(v["picked_up"])
    assert web_tickets(web[0]) <= picked and len(web_tickets(web[1]) & picked) == 1
    assert not web_tickets(web[2]) & picked
    assert {o[1] for o in v["orders"]} >= set(web)
    for t in ts:  # nothing parked, nothing waiting
        assert t.conn.execute("SELECT count(*) FROM sync_parked").fetchone()[0] == 0
    waiting = [t.conn.execute("SELECT count(*) FROM journal WHERE pushed_at IS NULL").fetchone()[0] for t in ts]
    assert waiting == [0, 0, 0]
    for t in ts:  # the central service has every entry of every terminal, once
        n_local = t.conn.execute("SELECT count(*) FROM journal").fetchone()[0]
        assert central.scalar("SELECT count(*) FROM journal WHERE terminal_id = ?", (t.terminal["id"],)) == n_local
