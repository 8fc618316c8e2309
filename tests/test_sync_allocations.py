"""Allocations end to end: the central service grants, terminals sell only what they hold, give back what they do
not need, and the web shop sells only what no terminal holds; every grant and release counts once."""

from __future__ import annotations

from typing import Any

import pytest
from sync_helpers import Central, sell, sync

from boxoffice.central.services import allocations as central_alloc
from boxoffice.central.services.allocation_admin import allocate, summary
from boxoffice.central.store.db import connect
from boxoffice.errors import BoxOfficeError
from boxoffice.services import allocations as service

pytest_plugins = ["sync_support"]


def _gala(ctx: Any) -> str:
    return ctx.conn.execute("SELECT id FROM events WHERE id LIKE 'gala%'").fetchone()[0]


def _row(central: Central, event: str, section: str) -> dict[str, Any]:
    return next(r for r in summary(central.db_url, event) if r["section_id"] == section)


def _held(ctx: Any, event: str, section: str) -> dict[str, Any]:
    return next(r for r in service.holdings(ctx, event) if r["section_id"] == section)


def _by_hand_only(*ctxs: Any) -> None:
    """No top-up at sync: these terminals hold exactly what the box office grants them by hand."""
    for ctx in ctxs:
        ctx.config.values["allocation"] = {"top_up_below": 0}


def test_grant_sell_release_and_the_web_shop(central: Central, terminals, tmp_path) -> None:
    a, b = terminals(2)
    _by_hand_only(a, b)
    sync(a), sync(b)
    event = _gala(a)
    before = _row(central, event, "standing")
    out = allocate(central.db_url, event, a.terminal["id"], "standing", 5, [])
    assert out["count"] == 5 and out["free"] == before["free"] - 5
    with pytest.raises(BoxOfficeError) as too_many:
        allocate(central.db_url, event, b.terminal["id"], "standing", out["free"] + 1, [])
    assert too_many.value.code == "sold_out"
    got = sync(a)
    assert got["grants_applied"] == 1 and a.terminal["owns_inventory"] == 0
    assert _held(a, event, "standing")["held"] == 5
    assert sync(a)["grants_applied"] == 0  # pulled again: nothing added
    sell(a, event, n=4)
    with pytest.raises(BoxOfficeError) as outside:
        sell(a, event, n=2)
    assert outside.value.code == "not_allocated"
    # seats: one seat in one allocation only
    allocate(central.db_url, event, b.terminal["id"], "stalls", 0, ["A1", "A2"])
    with pytest.raises(BoxOfficeError):
        allocate(central.db_url, event, a.terminal["id"], "stalls", 0, ["A2"])
    sync(b)
    sellable = {r[0] for r in b.conn.execute("SELECT label FROM seats WHERE event_id = ? AND section_id = 'stalls'"
                                             " AND allocated = 1 AND status = 'free'", (event,))}
    assert sellable == {"A1", "A2"}
    # release: only unsold places, out at once, freed centrally once when pushed
    with pytest.raises(BoxOfficeError):
        service.release(a, event, "standing", 2)
    service.release(a, event, "standing", 1)
    assert _held(a, event, "standing")["left"] == 0
    free_before = _row(central, event, "standing")["free"]
    sync(a), sync(a)
    row = _row(central, event, "standing")
    assert row["free"] == free_before + 1 and row["allocated"][a.terminal["id"]] == 4
    # the web shop sells only what is free
    orders = [{"ref": f"alloc-{i}", "event_id": event, "customer_name": "W", "email": "w@example.com",
               "tickets": [{"section_id": "standing", "type": "adult"}]} for i in range(row["free"] + 1)]
    with pytest.raises(BoxOfficeError) as web:
        central.web_orders(orders, tmp_path)
    assert "not sold or allocated" in web.value.message
    seat_order = [{"ref": "alloc-seat", "event_id": event, "customer_name": "W", "email": "w@example.com",
                   "tickets": [{"section_id": "stalls", "type": "adult", "seat": "A1"}]}]
    with pytest.raises(BoxOfficeError):
        central.web_orders(seat_order, tmp_path)
    central.web_orders(orders[:2], tmp_path)
    after = _row(central, event, "standing")
    assert after["web_sold"] + sum(after["allocated"].values()) + after["free"] == after["capacity"]


def test_a_terminal_restarted_in_the_middle_of_a_grant_applies_it_once(central: Central, terminals) -> None:
    (a,) = terminals(1)
    _by_hand_only(a)
    sync(a)
    event = _gala(a)
    allocate(central.db_url, event, a.terminal["id"], "standing", 3, [])
    with connect(central.db_url) as db:
        page = central_alloc.grants_after(db, a.terminal["id"], 0)

    class Crashing:
        """Answers with the grants, then the process dies before the transaction commits."""

        def allocations(self, after: int, limit: int = 500) -> Any:
            return page

    original = service.apply_grant

    def die(ctx: Any, grant: dict[str, Any]) -> bool:
        original(ctx, grant)
        raise KeyboardInterrupt  # the power goes inside the transaction

    service.apply_grant = die
    try:
        with pytest.raises(KeyboardInterrupt):
            service.pull_grants(a, Crashing())
    finally:
        service.apply_grant = original
    assert a.conn.execute("SELECT COUNT(*) FROM allocation_grants").fetchone()[0] == 0
    assert service.pull_grants(a, Crashing())["grants_applied"] == 1
    assert service.pull_grants(a, Crashing())["grants_applied"] == 0  # the same answer again: nothing added
    held = _held(a, event, "standing")
    assert held["held"] - held["sold"] == 3
