"""Seats in a counter basket are held: another basket, a named-seat sale and best available pass them by, the basket
holding them can sell them, and the hold ends on cancel, on sale, or when its minutes are up (by the clock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import seat_holds
from boxoffice.services.context import Ctx
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.services.seat_map import section_seats


def _states(ctx: Ctx, event: str, basket: str | None = None) -> dict[str, tuple[str, bool]]:
    rows = section_seats(ctx, event, "stalls", basket)
    return {s["label"]: (s["state"], s["mine"]) for r in rows for s in r["seats"]}


def _sale(event: str, seats: list[str] | None = None, basket: str | None = None, n: int = 2) -> SaleRequest:
    return SaleRequest(event_id=event, section_id="stalls", counts={"adult": n}, seats=seats,
                       tenders=[Tender("card", card_last4="4242")], basket_id=basket)


def test_a_held_seat_is_refused_to_another_basket_and_to_a_named_sale(terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    out = seat_holds.hold(terminal, gala, "stalls", ["k10", "K11"], "basket-1")
    assert out["seats"] == ["K10", "K11"] and out["minutes"] == 5
    assert _states(terminal, gala, "basket-1")["K10"] == ("held", True)
    assert _states(terminal, gala, "basket-2")["K10"] == ("held", False)

    with pytest.raises(BoxOfficeError) as refused:
        seat_holds.hold(terminal, gala, "stalls", ["K12", "K11"], "basket-2")
    assert refused.value.code == "seat_unavailable" and refused.value.details["unavailable"] == ["K11"]
    assert _states(terminal, gala)["K12"] == ("free", False)  # all or nothing: K12 was not held either

    with pytest.raises(BoxOfficeError) as named:
        sell(terminal, _sale(gala, ["K10", "K12"]))
    assert named.value.code == "seat_unavailable" and named.value.details["unavailable"] == ["K10"]


def test_best_available_passes_held_seats_by_and_the_holding_basket_sells_them(terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    first = sell(terminal, _sale(gala))  # where best available goes on an empty house
    best = [f"{t['row']}{t['seat']}" for t in first["tickets"]]
    following = [best[0][0] + str(int(best[0][1:]) - 2), best[0][0] + str(int(best[0][1:]) - 1)]
    seat_holds.hold(terminal, gala, "stalls", following + [best[1][0] + str(int(best[1][1:]) + n)
                                                          for n in (1, 2)], "basket-1")
    again = sell(terminal, _sale(gala))
    assert not {f"{t['row']}{t['seat']}" for t in again["tickets"]} & set(seat_holds.holders(terminal, gala, "stalls"))

    mine = sell(terminal, _sale(gala, following, basket="basket-1"))
    assert sorted(f"{t['row']}{t['seat']}" for t in mine["tickets"]) == sorted(following)
    assert [h["label"] for h in seat_holds.held(terminal, "basket-1")] == [
        best[1][0] + str(int(best[1][1:]) + n) for n in (1, 2)]  # the sold ones need no hold any more


def test_holds_end_when_their_minutes_are_up_and_on_cancel(terminal: Ctx, demo_events, clock) -> None:  # noqa: ANN001
    gala = demo_events[0]
    seat_holds.hold(terminal, gala, "stalls", ["M1", "M2"], "basket-1")
    clock.advance(minutes=4)
    seat_holds.hold(terminal, gala, "stalls", ["M3"], "basket-1")  # a new seat restarts the basket's time
    clock.advance(minutes=4)
    assert [h["label"] for h in seat_holds.held(terminal, "basket-1")] == ["M1", "M2", "M3"]
    clock.advance(minutes=1, seconds=1)
    assert seat_holds.held(terminal, "basket-1") == []
    assert _states(terminal, gala)["M1"] == ("free", False)
    assert seat_holds.hold(terminal, gala, "stalls", ["M1"], "basket-2")["seats"] == ["M1"]  # free again

    seat_holds.hold(terminal, gala, "stalls", ["M2"], "basket-2", minutes=1)
    assert seat_holds.release(terminal, "basket-2", ["M1"]) == 1
    assert [h["label"] for h in seat_holds.held(terminal, "basket-2")] == ["M2"]
    assert seat_holds.release(terminal, "basket-2") == 1
    assert seat_holds.held(terminal, "basket-2") == [] and _states(terminal, gala)["M2"] == ("free", False)


def test_the_hold_time_is_a_setting(make_terminal, demo_events, clock, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = make_terminal()
    ctx.config.values["hold_minutes"] = 2
    out = seat_holds.hold(ctx, demo_events[0], "stalls", ["N5"], "b")
    assert out["minutes"] == 2
    clock.advance(minutes=2)
    assert seat_holds.held(ctx, "b") == []


def test_seats_not_sellable_here_cannot_be_held(terminal: Ctx, demo_events) -> None:  # noqa: ANN001
    gala = demo_events[0]
    sell(terminal, _sale(gala, ["C5", "C6"]))
    for seats in (["C5"], ["H13"], ["Z99"]):  # sold; a house seat; no such seat
        with pytest.raises(BoxOfficeError) as refused:
            seat_holds.hold(terminal, gala, "stalls", seats, "b")
        assert refused.value.code == "seat_unavailable"
    with pytest.raises(BoxOfficeError) as standing:
        seat_holds.hold(terminal, gala, "standing", ["A1"], "b")
    assert standing.value.code == "bad_input"


def test_a_database_of_the_previous_schema_gains_the_holds_table(tmp_path: Path) -> None:
    from boxoffice.store import migrations
    from boxoffice.store.db import connect

    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    migrations.ensure_current(old, upto="0021_central_purges")
    old.execute("INSERT INTO venue (id, name, timezone, currency) VALUES ('hall', 'Old Hall', 'Europe/London', 'GBP')")
    old.commit()
    old.close()

    conn = connect(path)
    assert "0022_seat_holds" in migrations.applied(conn)
    assert conn.execute("SELECT count(*) FROM seat_holds").fetchone()[0] == 0
    assert conn.execute("SELECT name FROM venue").fetchone()[0] == "Old Hall"
    conn.close()
