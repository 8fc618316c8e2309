"""A counter basket: quoted without selling, its tenders shared between its orders, sold whole or not at all."""

from __future__ import annotations

from typing import Any

import pytest

from boxoffice.domain.basket import split_tenders
from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import basket, sales
from boxoffice.services.context import Ctx
from boxoffice.services.events import list_events
from boxoffice.services.orders import order_details


def sold(ctx: Ctx) -> int:
    return sum(e["sold"] for e in list_events(ctx))


def test_cash_for_several_orders_gives_the_change_once_on_the_last() -> None:
    shares = split_tenders([4500, 1800], [Tender("cash", 10000)], "GBP")
    assert shares == [[Tender("cash", 4500)], [Tender("cash", 5500)]]


def test_a_card_amount_and_cash_are_cut_along_the_orders() -> None:
    shares = split_tenders([4500, 1800], [Tender("card", 5000, card_last4="4242"), Tender("cash", 2000)], "GBP")
    assert shares == [[Tender("card", 4500, card_last4="4242")],
                      [Tender("card", 500, card_last4="4242"), Tender("cash", 2000)]]  # 13.00 + 7.00 change


def test_a_card_for_the_rest_keeps_its_approval_code() -> None:
    shares = split_tenders([3500, 1000], [Tender("card", reference="A1B2C3")], "GBP")
    assert shares == [[Tender("card", 3500, reference="A1B2C3")], [Tender("card", 1000, reference="A1B2C3")]]


def test_short_cash_and_free_tickets_in_a_paid_basket_are_refused() -> None:
    with pytest.raises(BoxOfficeError) as short:
        split_tenders([4500, 1800], [Tender("cash", 6000)], "GBP")
    assert short.value.code == "insufficient_payment"
    with pytest.raises(BoxOfficeError) as free:
        split_tenders([4500, 0], [Tender("cash", 5000)], "GBP")
    assert "comps" in free.value.message
    assert split_tenders([0, 0], [Tender("comp", reason="guest")], "GBP") == [[Tender("comp", reason="guest")]] * 2


def test_the_quote_groups_sections_and_events_and_sells_nothing(terminal: Ctx, demo_events: tuple[str, str]) -> None:
    gala, jazz = demo_events
    lines = [basket.BasketLine(gala, "standing", {"adult": 1}), basket.BasketLine(gala, "stalls", {"adult": 2}),
             basket.BasketLine(gala, "standing", {"child": 1}), basket.BasketLine(jazz, "standing", {"adult": 1})]
    q = basket.quote(terminal, lines)
    assert [(s["event_id"], s["section_id"], s["total"]) for s in q["sales"]] == [
        (gala, "standing", 3250), (gala, "stalls", 7000), (jazz, "standing", 2250)]
    assert q["total"] == 12500 and q["total_text"] == "125.00"
    assert q["tax"] == 542 + 1167 + 375  # each order's own tax share, as its receipt shows it
    assert q["discount"] == 1250 and q["confirm"] == []
    assert sold(terminal) == 0


def test_restricted_view_and_wheelchair_places_are_named_for_the_customer(terminal: Ctx,
                                                                          demo_events: tuple[str, str]) -> None:
    gala, _ = demo_events
    q = basket.quote(terminal, [basket.BasketLine(gala, "stalls", {"adult": 3}, ["A1", "T1", "T3"])])
    assert q["confirm"] == ["A1: restricted view", "T1: wheelchair place (no seat)",
                            "T3: companion seat beside a wheelchair place"]


def test_a_basket_is_sold_whole_or_not_at_all(terminal: Ctx, demo_events: tuple[str, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    gala, jazz = demo_events
    lines = [basket.BasketLine(gala, "standing", {"adult": 2}), basket.BasketLine(jazz, "standing", {"adult": 1})]
    real, calls = sales.sell, []

    def second_fails(ctx: Ctx, req: sales.SaleRequest) -> Any:
        calls.append(req.event_id)
        if len(calls) == 2:
            raise BoxOfficeError("database_error", "the disk filled up")
        return real(ctx, req)

    monkeypatch.setattr(sales, "sell", second_fails)
    with pytest.raises(BoxOfficeError):
        basket.pay(terminal, lines, basket.Payment([Tender("cash", 10000)]))
    assert calls == [gala, jazz] and sold(terminal) == 0
    monkeypatch.setattr(sales, "sell", real)
    done = basket.pay(terminal, lines, basket.Payment([Tender("cash", 10000)]))
    assert sold(terminal) == 3 and done["change_text"] == "32.50"
    assert [order_details(terminal, c)["total_text"] for c in done["orders"]] == ["45.00", "22.50"]


def test_a_refused_order_in_the_basket_sells_none_of_it(terminal: Ctx, demo_events: tuple[str, str]) -> None:
    gala, _ = demo_events
    first = basket.pay(terminal, [basket.BasketLine(gala, "stalls", {"adult": 1}, ["F10"])],
                       basket.Payment([Tender("card", card_last4="4242")]))
    lines = [basket.BasketLine(gala, "standing", {"adult": 1}),
             basket.BasketLine(gala, "stalls", {"adult": 1}, ["F10"])]
    with pytest.raises(BoxOfficeError):
        basket.pay(terminal, lines, basket.Payment([Tender("cash", 10000)]))
    assert sold(terminal) == 1 and first["orders"]


def test_a_comp_by_a_seller_needs_a_supervisors_right_pin(terminal: Ctx, demo_events: tuple[str, str],
                                                          login: Any) -> None:
    gala, _ = demo_events
    login(terminal, "sam")
    lines = [basket.BasketLine(gala, "standing", {"comp": 2})]
    comp = Tender("comp", reason="press night")
    assert basket.check(terminal, lines, basket.Payment([comp]), "sue") is True
    with pytest.raises(BoxOfficeError) as no_one:
        basket.pay(terminal, lines, basket.Payment([comp]))
    assert no_one.value.code == "permission_denied"
    with pytest.raises(BoxOfficeError):
        basket.pay(terminal, lines, basket.Payment([comp], supervisor=("sue", "999999")))
    assert sold(terminal) == 0
    done = basket.pay(terminal, lines, basket.Payment([comp], supervisor=("sue", "222222")))
    assert sold(terminal) == 2 and done["total_text"] == "0.00"


def test_a_card_is_named_by_its_last_four_or_the_approval_code_printed_on_the_receipt(
        terminal: Ctx, demo_events: tuple[str, str]) -> None:
    from boxoffice.domain.tenders import card_reference
    from boxoffice.services.orders import find_order
    from boxoffice.services.printing import receipt_view

    assert card_reference("4242") == Tender("card", card_last4="4242")
    assert card_reference(" a1b2c3 ", 500) == Tender("card", 500, reference="A1B2C3")
    with pytest.raises(BoxOfficeError) as full:
        card_reference("4242 4242 4242 4242")
    assert full.value.code == "bad_card_number"
    with pytest.raises(BoxOfficeError):
        card_reference("12")
    gala, _ = demo_events
    done = basket.pay(terminal, [basket.BasketLine(gala, "standing", {"adult": 1})],
                      basket.Payment([card_reference("a1b2c3")]))
    view = receipt_view(terminal, dict(find_order(terminal, done["orders"][0])))
    assert view.tenders == [("Card ref A1B2C3", "22.50")]


def test_seats_held_for_a_basket_are_sold_by_it_released_on_cancel_and_lapse(terminal: Ctx, clock: Any,
                                                                             demo_events: tuple[str, str]) -> None:
    from boxoffice.services import seat_holds

    gala, _ = demo_events
    seat_holds.hold(terminal, gala, "stalls", ["F10", "F11"], "basket-1")
    line = basket.BasketLine(gala, "stalls", {"adult": 2}, ["F10", "F11"])
    with pytest.raises(BoxOfficeError) as other:  # another basket (or a plain sale) cannot have them
        basket.pay(terminal, [line], basket.Payment([Tender("cash", 7000)]), "basket-2")
    assert other.value.code in ("seat_unavailable", "sold_out")
    basket.cancel(terminal, "basket-1")
    assert seat_holds.held(terminal, "basket-1") == []
    seat_holds.hold(terminal, gala, "stalls", ["F10", "F11"], "basket-3")
    assert basket.lapsed(terminal, "basket-3", [line]) == []
    clock.advance(minutes=6)
    assert basket.lapsed(terminal, "basket-3", [line]) == [line]
    seat_holds.hold(terminal, gala, "stalls", ["F10", "F11"], "basket-4")
    done = basket.pay(terminal, [line], basket.Payment([Tender("cash", 7000)]), "basket-4")
    assert seat_holds.held(terminal, "basket-4") == [] and sold(terminal) == 2
    assert sorted(f"{t['row']}{t['seat']}" for t in order_details(terminal, done["orders"][0])["tickets"]) == [
        "F10", "F11"]
