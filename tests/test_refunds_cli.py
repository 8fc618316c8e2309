"""`boxoffice refund` and `boxoffice exchange` as a user runs them: the amount shown before confirming, the time
from BOXOFFICE_NOW, the supervisor's PIN, exit statuses, --json, and a refunded ticket refused at the door."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boxoffice.domain.tenders import Tender
from boxoffice.services.context import Ctx
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store.db import one

GALA_START = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)


@pytest.fixture
def order(terminal: Ctx, login: Any, demo_events: tuple[str, str]) -> dict[str, Any]:
    """Two adults in the stalls (70.00), paid 40.00 by card and the rest in cash; sam logged in."""
    login(terminal, "sam")
    return sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 2},
                                      [Tender("card", 4000, card_last4="4242"), Tender("cash", 5000)],
                                      seats=["F10", "F11"]))


def refunds(ctx: Ctx) -> int:
    return one(ctx.conn, "SELECT count(*) AS n FROM refunds")["n"]


def test_the_amount_is_shown_and_confirmed_before_anything_happens(cli: Any, terminal: Ctx, order: dict) -> None:
    code = order["order"]["code"]
    no = cli("refund", code, db=terminal, input="n\n")
    assert no.exit_code == 1 and "Refund 70.00 GBP to Card ****4242 40.00, Cash 30.00" in no.stdout
    assert refunds(terminal) == 0
    yes = cli("refund", code, db=terminal, input="y\n")
    assert yes.exit_code == 0, yes.output
    assert "REFUNDED 70.00 GBP" in yes.stdout and "GIVE CASH 30.00" in yes.stdout
    assert "Printed to" in yes.stdout  # the receipt, as a PDF with no printer configured
    assert refunds(terminal) == 1


def test_boxoffice_now_sets_the_policy_tier(cli: Any, terminal: Ctx, order: dict, clock: Any, login: Any) -> None:
    clock.set(GALA_START - timedelta(hours=100))
    login(terminal, "sam")  # a new day: log in again
    out = cli("refund", order["order"]["code"], "--tickets", "F10", "--yes", "--json", db=terminal)
    assert out.exit_code == 0, out.output
    data = out.json()
    assert (data["amount"], data["override"], data["to"]) == ("31.50", False, "Card ****4242 31.50")
    assert data["tickets"] == [order["tickets"][0]["id"]]


def test_a_refunded_ticket_is_refused_by_ticket_verify_and_at_the_door(cli: Any, terminal: Ctx, order: dict,
                                                                       clock: Any, login: Any,
                                                                       demo_events: tuple[str, str]) -> None:
    assert cli("refund", order["order"]["code"], "--tickets", "F10", "--yes", db=terminal).exit_code == 0
    gone, kept = order["tickets"][0]["token"], order["tickets"][1]["token"]
    refused = cli("ticket", "verify", gone, "--json", db=terminal)
    assert refused.exit_code == 6 and refused.json()["error"]["code"] == "revoked"
    assert cli("ticket", "verify", kept, db=terminal).exit_code == 0
    clock.set(GALA_START - timedelta(minutes=20))
    login(terminal, "dan")
    door = cli("scan", "check", "--event", demo_events[0], db=terminal, input=f"{gone}\n{kept}\n")
    assert door.exit_code == 6
    assert "REFUSED" in door.stdout and "ADMIT" in door.stdout


def test_a_second_refund_exits_4(cli: Any, terminal: Ctx, order: dict) -> None:
    code = order["order"]["code"]
    assert cli("refund", code, "--yes", db=terminal).exit_code == 0
    again = cli("refund", code, "--yes", "--json", db=terminal)
    assert again.exit_code == 4 and again.json()["error"]["code"] == "already_refunded"
    plain = cli("refund", code, "--tickets", "F11", "--yes", db=terminal)
    assert plain.exit_code == 4 and "F11" in plain.stderr and "refunded already" in plain.stderr
    assert "Traceback" not in plain.output


def test_outside_the_policy_the_supervisor_approves_with_a_pin(cli: Any, terminal: Ctx, order: dict, clock: Any,
                                                               login: Any) -> None:
    code = order["order"]["code"]
    clock.set(GALA_START - timedelta(hours=1))
    login(terminal, "sam")
    refused = cli("refund", code, "--yes", db=terminal)
    assert refused.exit_code == 4 and "outside the refund policy" in refused.stderr
    assert "supervisor" in refused.stderr
    asked = cli("refund", code, db=terminal, input="y\n")  # refused before any question: the answer is not read
    assert asked.exit_code == 4 and "?" not in asked.stdout and refunds(terminal) == 0
    shown = cli("refund", code, "--supervisor", "sue", db=terminal, pin="222222", input="n\n")
    assert shown.exit_code == 1 and "OVERRIDE needed: outside the refund policy" in shown.stdout
    wrong = cli("refund", code, "--supervisor", "sue", "--yes", db=terminal, pin="0000")
    assert wrong.exit_code == 5 and refunds(terminal) == 0
    ok = cli("refund", code, "--reason", "cancelled", "--supervisor", "sue", "--yes", "--json", db=terminal,
             pin="222222")
    assert ok.exit_code == 0, ok.output
    data = ok.json()
    assert (data["amount"], data["override"], data["overrides"], data["approved_by"]) == \
        ("70.00", True, ["outside_policy"], "sue")


def test_above_the_limit_a_seller_is_refused_naming_the_role(cli: Any, terminal: Ctx, login: Any,
                                                             demo_events: tuple[str, str]) -> None:
    login(terminal, "sam")
    big = sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 4}, [Tender("card", None, "4242")]))
    out = cli("refund", big["order"]["code"], "--yes", db=terminal)
    assert out.exit_code == 5
    assert "above the refund limit" in out.stderr and "ask a supervisor or admin" in out.stderr


def test_the_limit_is_on_what_an_order_gives_back_so_refunding_it_in_parts_needs_the_supervisor_too(
        cli: Any, terminal: Ctx, login: Any, demo_events: tuple[str, str]) -> None:
    login(terminal, "sam")
    big = sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 4}, [Tender("card", None, "4242")]))
    seats = [f"{t['row']}{t['seat']}" for t in big["tickets"]]  # 4 x 35.00: 140.00, above the 100.00 limit
    code = big["order"]["code"]
    first = cli("refund", code, "--tickets", ",".join(seats[:2]), "--yes", db=terminal)
    assert first.exit_code == 0, first.output  # 70.00: under the limit
    rest = cli("refund", code, "--tickets", ",".join(seats[2:]), "--yes", db=terminal)
    assert rest.exit_code == 5, rest.output  # another 70.00 would make 140.00 back on one order
    assert "above the refund limit" in rest.stderr and "ask a supervisor or admin" in rest.stderr
    assert refunds(terminal) == 1
    approved = cli("refund", code, "--tickets", ",".join(seats[2:]), "--supervisor", "sue", "--yes", "--json",
                   db=terminal, pin="222222")
    assert approved.exit_code == 0, approved.output
    assert approved.json()["overrides"] == ["above_limit"] and approved.json()["approved_by"] == "sue"

    # Nor does an exchange start the count again: the new order is the same purchase.
    again = sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 4}, [Tender("card", None, "4242")]))
    seats = [f"{t['row']}{t['seat']}" for t in again["tickets"]]
    assert cli("refund", again["order"]["code"], "--tickets", ",".join(seats[:2]), "--yes", db=terminal).exit_code == 0
    swapped = cli("exchange", again["order"]["code"], "--tickets", ",".join(seats[2:]), "--section", "stalls",
                  "--yes", "--json", db=terminal)
    assert swapped.exit_code == 0, swapped.output  # other seats at the same price: nothing goes back
    rest = cli("refund", swapped.json()["order"], "--yes", db=terminal)
    assert rest.exit_code == 5 and "above the refund limit" in rest.stderr, rest.output


def test_inside_the_no_refund_window_an_exchange_to_another_event_or_for_less_needs_the_supervisor(
        cli: Any, terminal: Ctx, order: dict, clock: Any, login: Any, demo_events: tuple[str, str]) -> None:
    """Where the gala's policy gives nothing back, an exchange into another event (whose own policy would then
    refund the new tickets in full) or for cheaper tickets (paying the difference back) is a refund outside the
    policy: a seller cannot do it alone."""
    code, jazz = order["order"]["code"], demo_events[1]
    clock.set(GALA_START - timedelta(hours=2, minutes=30))
    login(terminal, "sam")
    assert cli("refund", code, "--yes", db=terminal).exit_code == 4  # outside the refund policy
    moved = cli("exchange", code, "--event", jazz, "--section", "stalls", "--yes", db=terminal)
    assert moved.exit_code == 4 and "outside the refund policy" in moved.stderr, moved.output
    cheaper = cli("exchange", code, "--section", "standing", "--yes", db=terminal)
    assert cheaper.exit_code == 4 and "outside the refund policy" in cheaper.stderr, cheaper.output
    same = cli("exchange", code, "--tickets", "F10", "--seats", "F12", "--yes", db=terminal)
    assert same.exit_code == 0, same.output  # another seat at the same price: nothing goes back
    approved = cli("exchange", code, "--event", jazz, "--section", "stalls", "--supervisor", "sue", "--yes", "--json",
                   db=terminal, pin="222222")
    assert approved.exit_code == 0, approved.output


def test_inside_a_fee_tier_an_exchange_to_another_event_needs_the_supervisor(
        cli: Any, terminal: Ctx, order: dict, clock: Any, login: Any, demo_events: tuple[str, str]) -> None:
    """Refunded now, the gala keeps a fee; moved to the jazz night at full credit, the tickets would come back
    whole under the jazz night's policy. That move is a refund outside the policy too."""
    code, jazz = order["order"]["code"], demo_events[1]
    clock.set(GALA_START - timedelta(hours=80))
    login(terminal, "sam")
    kept = cli("refund", code, db=terminal, input="n\n")
    assert kept.exit_code == 1 and "for 63.00 GBP" in kept.output, kept.output  # 10% of 70.00 kept in this tier
    moved = cli("exchange", code, "--event", jazz, "--section", "stalls", "--yes", db=terminal)
    assert moved.exit_code == 4 and "outside the refund policy" in moved.stderr, moved.output
    same = cli("exchange", code, "--tickets", "F10", "--seats", "F12", "--yes", db=terminal)
    assert same.exit_code == 0, same.output  # another seat at the same price, same night: no override


def test_a_venue_that_makes_moves_between_nights_free_lets_a_seller_move_tickets_inside_a_fee_tier(
        cli: Any, terminal: Ctx, order: dict, clock: Any, login: Any, demo_events: tuple[str, str]) -> None:
    """With the catalogue's policy ``exchange_between_events = "free"`` a move to another night at the same price
    needs no supervisor while the gala keeps a fee on refunds; paying money back still does, and so does any move
    once the gala has started."""
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.demo_catalog import demo_catalog
    from boxoffice.services.exchanges import ExchangeRequest, preview

    code, jazz = order["order"]["code"], demo_events[1]
    login(terminal, "ada")
    import_catalog(terminal, demo_catalog(GALA_START.date()) | {"policy": {"exchange_between_events": "free"}})
    clock.set(GALA_START - timedelta(hours=80))
    login(terminal, "sam")
    assert preview(terminal, ExchangeRequest(code, event_id=jazz, section_id="stalls"))["overrides"] == []
    cheaper = preview(terminal, ExchangeRequest(code, section_id="standing"))
    assert cheaper["overrides"] == ["outside_policy"], "paying the difference back is a refund under the fee tier"
    refused = cli("exchange", code, "--section", "standing", "--yes", db=terminal)
    assert refused.exit_code == 4 and "outside the refund policy" in refused.stderr, refused.output
    moved = cli("exchange", code, "--event", jazz, "--section", "stalls", "--yes", "--json", db=terminal)
    assert moved.exit_code == 0, moved.output
    assert moved.json()["override"] is False, "no supervisor was asked"

    clock.set(GALA_START + timedelta(minutes=5))
    login(terminal, "sam")  # the morning's login has lapsed
    late = sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 1}, [Tender("card", None, "4242")]))
    started = cli("exchange", late["order"]["code"], "--event", jazz, "--section", "stalls", "--yes", db=terminal)
    assert started.exit_code == 4 and "outside the refund policy" in started.stderr, started.output


def test_tickets_moved_for_free_keep_the_terms_of_the_night_they_left(
        cli: Any, terminal: Ctx, order: dict, clock: Any, login: Any, demo_events: tuple[str, str]) -> None:
    """A free move and then a refund, or a cheaper exchange, would give back what the gala's policy keeps: money back
    on tickets moved for free is judged by the gala's terms too, so a seller cannot do it alone (a fee dodged in two
    steps, the no-refund window in three)."""
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.demo_catalog import demo_catalog
    from boxoffice.services.refunds import preview as refund_preview

    code, jazz = order["order"]["code"], demo_events[1]
    second = sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 2}, [Tender("card", None, "4242")],
                                        seats=["G10", "G11"]))["order"]["code"]
    early = sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 1}, [Tender("card", None, "4242")],
                                       seats=["H10"]))["order"]["code"]
    login(terminal, "ada")
    import_catalog(terminal, demo_catalog(GALA_START.date()) | {"policy": {"exchange_between_events": "free"}})
    login(terminal, "sam")
    moved_early = cli("exchange", early, "--event", jazz, "--section", "stalls", "--yes", "--json", db=terminal)
    assert moved_early.exit_code == 0, moved_early.output  # the gala still refunds in full: nothing carried

    clock.set(GALA_START - timedelta(hours=80))  # the gala keeps 10% now
    login(terminal, "sam")
    assert "outside_policy" not in refund_preview(terminal, moved_early.json()["order"])["overrides"], \
        "moved while the gala refunded in full: judged by the jazz night's policy alone"
    moved = cli("exchange", code, "--event", jazz, "--section", "stalls", "--yes", "--json", db=terminal)
    assert moved.exit_code == 0, moved.output
    on_jazz = moved.json()["order"]
    assert refund_preview(terminal, on_jazz)["overrides"] == ["outside_policy"]
    refused = cli("refund", on_jazz, "--yes", db=terminal)
    assert refused.exit_code == 4 and "outside the refund policy" in refused.stderr, refused.output

    clock.set(GALA_START - timedelta(hours=2, minutes=30))  # the gala gives nothing back now
    login(terminal, "sam")
    moved = cli("exchange", second, "--event", jazz, "--section", "stalls", "--yes", "--json", db=terminal)
    assert moved.exit_code == 0, moved.output
    down = cli("exchange", moved.json()["order"], "--section", "standing", "--yes", db=terminal)
    assert down.exit_code == 4 and "outside the refund policy" in down.stderr, down.output
    login(terminal, "ada")
    import_catalog(terminal, demo_catalog(GALA_START.date()))  # free moves turned off again: the default
    login(terminal, "sam")
    assert refund_preview(terminal, on_jazz)["overrides"] == ["outside_policy"], "the moves made under it stay judged"
    approved = cli("refund", on_jazz, "--supervisor", "sue", "--yes", "--json", db=terminal, pin="222222")
    assert approved.exit_code == 0 and approved.json()["overrides"] == ["outside_policy"], approved.output


def test_unknown_reason_exits_2(cli: Any, terminal: Ctx, order: dict) -> None:
    out = cli("refund", order["order"]["code"], "--reason", "whim", "--yes", db=terminal)
    assert out.exit_code == 2 and "customer_request" in out.stderr


def test_exchange_up_and_down_through_the_cli(cli: Any, terminal: Ctx, order: dict,
                                              demo_events: tuple[str, str]) -> None:
    code = order["order"]["code"]
    down = cli("exchange", code, "--tickets", "F11", "--section", "standing", "--yes", db=terminal)
    assert down.exit_code == 0, down.output
    assert "credit 35.00, new tickets 22.50: refund 12.50 on the card machine now (card ****4242)" in down.stdout
    assert "EXCHANGED" in down.stdout
    up = cli("exchange", code, "--tickets", "F10", "--event", demo_events[1], "--section", "stalls", "--seats",
             "A1,A2", "--type", "adult=2", "--cash", "50", "--yes", "--json", db=terminal)
    assert up.exit_code == 0, up.output
    data = up.json()
    assert (data["difference"], data["change"]) == ("35.00", "15.00")
    assert sorted(f"{t['row']}{t['seat']}" for t in data["tickets"]) == ["A1", "A2"]
    unpaid = cli("exchange", data["order"], "--seats", "B1,B2", "--type", "adult=3", "--yes", db=terminal)
    assert unpaid.exit_code == 4 and "--cash" in unpaid.stderr


def test_the_refund_commands_need_a_login(cli: Any, terminal: Ctx, order: dict) -> None:
    assert cli("logout", db=terminal).exit_code == 0
    out = cli("refund", order["order"]["code"], "--yes", db=terminal)
    assert out.exit_code == 5 and "login" in out.stderr
