"""The sale screen and the pay screen driven through Pilot on a real terminal: places into a basket, the quote on
screen before anything is taken, then cash, card, split or a comp, and the print after the sale."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Digits
from textual.widgets._footer import FooterKey
from tui_helpers import drive, sold, text

from boxoffice.services.context import Ctx
from boxoffice.services.orders import order_details
from boxoffice.services.printing import list_jobs
from boxoffice.tui.app import CounterApp
from boxoffice.tui.screens.pay import PayScreen
from boxoffice.tui.screens.sale import SaleScreen


async def standing(pilot: Pilot[None], *keys: str) -> None:
    """Section 'standing' (the second of the demo's sections), then the keys that choose types and counts."""
    await pilot.press("s", *keys, "a")


def file_printer(ctx: Ctx, path: Path) -> Path:
    ctx.config.values["printer"] = f"file://{path}"
    return path


def footer_keys(app: CounterApp) -> list[str]:
    """The descriptions of the keys shown at the bottom of the screen in view, left to right."""
    keys = [k for k in app.screen.query(FooterKey) if k.display]
    return [k.description for k in sorted(keys, key=lambda k: k.region.x)]


def codes(app: CounterApp) -> list[str]:
    line = text(app, "#sold")
    return line.split("SOLD ", 1)[1].split(" · ", 1)[0].split(", ")


def test_a_cash_sale_shows_the_quote_first_then_the_change_large_and_prints(terminal: Ctx, tmp_path: Path) -> None:
    out = file_printer(terminal, tmp_path / "printer.bin")
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        assert isinstance(app.screen, SaleScreen)
        await standing(pilot, "plus", "plus", "down", "down", "plus")
        seen["basket"] = text(app, "#basket")
        seen["sold_before_pay"] = sold(terminal)
        await pilot.press("p")
        assert isinstance(app.screen, PayScreen)
        await pilot.press(*"100")
        seen["preview"] = text(app, "#cash-preview")
        await pilot.press("enter")
        seen["change"] = app.screen.query_one("#change", Digits).value
        seen["codes"] = codes(app)
        seen["prints"] = text(app, "#prints")
        seen["paid"] = text(app, "#due")
        await pilot.press("enter")
        seen["after"] = (type(app.screen).__name__, text(app, "#basket"), text(app, "#sale-msg"),
                         text(app, "#sale-top"))

    drive(terminal, steps)
    basket = seen["basket"]
    assert "2 x Adult 22.50 = 45.00" in basket and "1 x Child 10.00 = 10.00  (-12.50)" in basket
    assert "TOTAL            55.00 GBP" in basket and "incl. tax         9.17" in basket
    assert "Discounts       -12.50" in basket
    assert seen["sold_before_pay"] == 0
    assert seen["preview"] == "change 45.00"
    assert seen["change"] == "45.00" and seen["paid"] == "PAID 55.00 GBP"
    order = order_details(terminal, seen["codes"][0])
    assert order["total_text"] == "55.00" and len(order["tickets"]) == 3
    assert [(p["tender"], p["amount"], p["change"]) for p in order["payments"]] == [("cash", "55.00", "45.00")]
    assert "✓ printed" in seen["prints"] and out.stat().st_size > 0
    assert seen["after"][0] == "SaleScreen" and "empty" in seen["after"][1] and "SOLD" in seen["after"][2]
    assert "Standing (general) · 297 left here" in seen["after"][3]  # read again after the sale


def test_a_card_sale_says_what_to_take_and_keeps_only_the_last_four(terminal: Ctx, tmp_path: Path) -> None:
    file_printer(terminal, tmp_path / "printer.bin")
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        await standing(pilot, "plus", "plus")
        await pilot.press("p", "f7")
        seen["ask"] = " ".join(str(w.render()) for w in app.screen.query("#card Label"))
        await pilot.press(*"4242", "enter")
        seen["codes"] = codes(app)
        seen["change_shown"] = app.screen.query_one("#change", Digits).display

    drive(terminal, steps)
    assert "take 45.00 GBP on the card machine now" in seen["ask"]
    order = order_details(terminal, seen["codes"][0])
    assert [(p["tender"], p["amount"], p["card_last4"]) for p in order["payments"]] == [("card", "45.00", "4242")]
    assert seen["change_shown"] is False


def test_a_split_pay_of_a_basket_of_two_events_is_one_payment_and_two_orders(terminal: Ctx, tmp_path: Path) -> None:
    file_printer(terminal, tmp_path / "printer.bin")
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        await standing(pilot, "plus", "plus")  # Winter Gala, 2 x 22.50
        await pilot.press("e", "s", "down", "plus", "a")  # Late Night Jazz, 1 x Concession 18.00
        seen["basket"] = text(app, "#basket")
        await pilot.press("p", "f8")
        seen["due"] = text(app, "#due")
        await pilot.press(*"30", "enter", *"1234", "enter", *"40", "enter")
        seen["codes"] = codes(app)
        seen["change"] = app.screen.query_one("#change", Digits).value

    drive(terminal, steps)
    assert "Winter Gala · Standing" in seen["basket"] and "Late Night Jazz · Standing" in seen["basket"]
    assert "TOTAL            63.00 GBP" in seen["basket"] and "sold as 2 orders" in seen["basket"]
    assert "TO PAY 63.00 GBP" in seen["due"] and "2 orders, paid once" in seen["due"]
    gala, jazz = (order_details(terminal, c) for c in seen["codes"])
    assert gala["total_text"] == "45.00" and jazz["total_text"] == "18.00"
    assert [(p["tender"], p["amount"]) for p in gala["payments"]] == [("card", "30.00"), ("cash", "15.00")]
    assert [(p["tender"], p["amount"], p["change"]) for p in jazz["payments"]] == [("cash", "18.00", "7.00")]
    assert seen["change"] == "7.00"


def test_a_comp_needs_the_supervisors_pin_on_the_same_screen(terminal: Ctx, tmp_path: Path,
                                                             login: Callable[..., Any]) -> None:
    file_printer(terminal, tmp_path / "printer.bin")
    login(terminal, "sam")  # a seller may not give comps alone
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        await standing(pilot, "up", "plus")  # the last type: Complimentary
        seen["basket"] = text(app, "#basket")
        await pilot.press("p", "f9", *"press night", "enter", *"sue", "enter", *"999999", "enter")
        seen["refused"] = text(app, "#pay-msg")
        seen["sold_after_wrong_pin"] = sold(terminal)
        seen["pin_box"] = app.screen.query_one("#comp-pin").value  # type: ignore[attr-defined]
        app.screen.query_one("#comp-pin").focus()
        await pilot.press(*"222222", "enter")
        seen["codes"] = codes(app)
        pay = app.screen
        await pilot.press("enter")  # the next customer: the pay screen is kept, the PIN typed in it is not
        seen["pin_kept"] = pay.query_one("#comp-pin").value  # type: ignore[attr-defined]

    drive(terminal, steps)
    assert "1 x Complimentary 0.00 = 0.00" in seen["basket"]
    assert "✗ NOT SOLD" in seen["refused"] and "PIN" in seen["refused"]
    assert seen["sold_after_wrong_pin"] == 0 and seen["pin_box"] == "" and seen["pin_kept"] == ""
    order = order_details(terminal, seen["codes"][0])
    assert [(p["tender"], p["amount"]) for p in order["payments"]] == [("comp", "0.00")]
    assert order["operator_id"] == terminal.operator["id"]  # type: ignore[index]


def test_a_failed_print_leaves_the_sale_and_a_key_retries_it(terminal: Ctx, tmp_path: Path) -> None:
    target = tmp_path / "not-yet" / "printer.bin"
    file_printer(terminal, target)  # its folder is missing: the printer "is off"
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        await standing(pilot, "plus")
        await pilot.press("p", *"22.50", "enter")
        seen["codes"] = codes(app)
        seen["failed"] = text(app, "#prints")
        seen["sold"] = sold(terminal)
        target.parent.mkdir()  # the printer is back
        await pilot.press("r")
        seen["retried"] = text(app, "#prints")

    drive(terminal, steps)
    assert "✗ PRINT FAILED" in seen["failed"] and "R retries" in seen["failed"]
    assert seen["sold"] == 1 and order_details(terminal, seen["codes"][0])["total_text"] == "22.50"
    assert "✓ printed" in seen["retried"] and "FAILED" not in seen["retried"]
    assert target.stat().st_size > 0
    assert [j["status"] for j in list_jobs(terminal)] == ["printed"]


def test_restricted_view_and_wheelchair_places_are_agreed_before_payment(terminal: Ctx, tmp_path: Path,
                                                                         demo_events: tuple[str, str]) -> None:
    from boxoffice.services import seat_holds
    from boxoffice.services.basket import BasketLine
    from boxoffice.tui.screens.places_confirm import PlacesConfirmScreen

    file_printer(terminal, tmp_path / "printer.bin")
    gala, _ = demo_events
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, SaleScreen)
        seat_holds.hold(terminal, gala, "stalls", ["A1", "T1"], screen.basket_id)  # as the seat map holds them
        screen._add(BasketLine(gala, "stalls", {"adult": 2}, ["A1", "T1"]))
        await pilot.press("p")
        assert isinstance(app.screen, PlacesConfirmScreen)
        seen["asked"] = text(app, "#confirm-places")
        await pilot.press("n")
        seen["declined"] = (type(app.screen).__name__, text(app, "#sale-msg"), sold(terminal))
        await pilot.press("p", "y")
        seen["then"] = type(app.screen).__name__
        await pilot.press(*"70", "enter")
        seen["codes"] = codes(app)

    drive(terminal, steps, event_id=gala)
    assert "A1: restricted view" in seen["asked"] and "T1: wheelchair place" in seen["asked"]
    assert seen["declined"] == ("SaleScreen", "not paid: change the seats (Backspace removes the last line)", 0)
    assert seen["then"] == "PayScreen"
    tickets = order_details(terminal, seen["codes"][0])["tickets"]
    assert sorted(f"{t['row']}{t['seat']}" for t in tickets) == ["A1", "T1"]


def test_seats_are_picked_on_the_map_held_and_released_when_the_basket_is_cancelled(
        terminal: Ctx, tmp_path: Path, demo_events: tuple[str, str]) -> None:
    from boxoffice.services import seat_holds

    file_printer(terminal, tmp_path / "printer.bin")
    gala, _ = demo_events
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, SaleScreen)
        await pilot.press("plus", "plus", "a")  # Stalls is the first section: reserved
        seen["picker"] = type(app.screen).__name__
        await pilot.press("b", "enter")  # best available, taken
        seen["held"] = sorted(h["label"] for h in seat_holds.held(terminal, screen.basket_id))
        seen["basket"] = text(app, "#basket")
        first_basket = screen.basket_id
        await pilot.press("escape")
        seen["after_cancel"] = (seat_holds.held(terminal, first_basket), text(app, "#basket"))
        await pilot.press("plus", "a", "b", "enter")
        seen["held_again"] = [h["label"] for h in seat_holds.held(terminal, screen.basket_id)]
        await pilot.press("p", *"40", "enter")
        seen["codes"] = codes(app)
        seen["held_after_sale"] = seat_holds.held(terminal, screen.basket_id)

    drive(terminal, steps, event_id=gala)
    assert seen["picker"] == "SeatPickScreen"
    assert len(seen["held"]) == 2 and all(label in seen["basket"] for label in seen["held"])
    assert seen["after_cancel"][0] == [] and "empty" in seen["after_cancel"][1]
    tickets = order_details(terminal, seen["codes"][0])["tickets"]
    assert [f"{t['row']}{t['seat']}" for t in tickets] == seen["held_again"]
    assert seen["held_after_sale"] == []


def test_seats_whose_hold_ran_out_leave_the_basket(terminal: Ctx, clock: Any, demo_events: tuple[str, str]) -> None:
    from boxoffice.services import seat_holds

    gala, _ = demo_events
    seen: dict[str, Any] = {}

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, SaleScreen)
        await pilot.press("plus", "a", "b", "enter")
        seen["held"] = [h["label"] for h in seat_holds.held(terminal, screen.basket_id)]
        clock.advance(minutes=4)
        screen.check_holds()
        seen["kept"] = len(screen.lines)
        clock.advance(minutes=2)  # past the 5 minutes a basket holds its seats
        screen.check_holds()
        await pilot.pause()
        seen["after"] = (len(screen.lines), text(app, "#basket"), text(app, "#sale-msg"))

    drive(terminal, steps, event_id=gala)
    assert len(seen["held"]) == 1 and seen["kept"] == 1
    assert seen["after"][0] == 0 and "empty" in seen["after"][1]
    assert f"the hold on {seen['held'][0]} ran out" in seen["after"][2]


def test_the_next_customer_starts_on_a_fresh_seat_map_and_pay_screen(terminal: Ctx, tmp_path: Path,
                                                                     demo_events: tuple[str, str]) -> None:
    """The seat picker and the pay screen are kept between customers: nothing of the last sale may show on them."""
    file_printer(terminal, tmp_path / "printer.bin")
    gala, _ = demo_events
    seen: list[dict[str, Any]] = []

    async def steps(app: CounterApp, pilot: Pilot[None]) -> None:
        for count, cash in ((2, "100"), (1, "50")):
            got: dict[str, Any] = {}
            await pilot.press(*["plus"] * count, "a")
            got["title"] = text(app, "#title")
            got["info_before"] = text(app, "#info")
            await pilot.press("b", "enter", "p")
            await pilot.pause()
            got["keys_before"] = footer_keys(app)
            got["due"], got["preview"] = text(app, "#due"), text(app, "#cash-preview")
            got["sold_before"], got["cash_box"] = text(app, "#sold"), app.screen.query_one("#cash-in").value
            await pilot.press(*cash)
            got["preview_typed"] = text(app, "#cash-preview")
            await pilot.press("enter")
            got["codes"] = codes(app)
            got["change"] = app.screen.query_one("#change", Digits).value
            await pilot.pause()
            got["keys_after"] = footer_keys(app)
            await pilot.press("enter")
            seen.append(got)

    drive(terminal, steps, event_id=gala)
    first, second = seen
    assert "choose 2 seats" in first["title"] and "choose 1 seat" in second["title"]
    assert "Chosen 0 of 2: none" in first["info_before"] and "Chosen 0 of 1: none" in second["info_before"]
    assert second["due"].startswith("TO PAY ") and second["due"] != first["due"]
    assert second["sold_before"] == "" and second["cash_box"] == "" and second["preview"] == ""
    assert second["preview_typed"].startswith("change ")
    for got in seen:  # the keys at the bottom follow the pay screen's state every time
        assert got["keys_before"] == ["Cash", "Card", "Split", "Comp", "Take payment", "Back"]
        assert got["keys_after"] == ["Next customer", "Back"]
    seats = [sorted(f"{t['row']}{t['seat']}" for t in order_details(terminal, s["codes"][0])["tickets"])
             for s in seen]
    assert len(seats[0]) == 2 and len(seats[1]) == 1 and not set(seats[0]) & set(seats[1])
