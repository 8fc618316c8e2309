"""Nobody is asked a question whose answer cannot matter: every command checks the permission and every other
precondition (order state, policy, who may approve, shift, pause, payment, cash in the drawer) before it asks to
confirm or asks a supervisor for a PIN. A refund says where the money goes: the card machine, or cash."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import T0
from pickup_fixtures import Central, Seat, setup_desk, web_order

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store.db import one

SUE = "222222"


def asked(result: Any) -> bool:
    """Whether the command put a yes/no question or a PIN prompt to the person at the terminal."""
    return "[y/N]" in result.output or "PIN for" in result.output


def count(ctx: Ctx, table: str) -> int:
    return one(ctx.conn, f"SELECT count(*) AS n FROM {table}")["n"]


def refused_unasked(result: Any, status: int, words: str) -> None:
    """Refused with this exit status and message, one line, and nothing was asked (the runner's 'y' unread)."""
    assert result.exit_code == status, result.output
    assert words in result.stderr, result.stderr
    assert not asked(result), result.output
    assert "Traceback" not in result.output


@pytest.fixture
def sold(terminal: Ctx, login: Callable, demo_events: tuple[str, str]) -> Callable[..., str]:
    """``sold(adults=2, card=None, cash=None, who="sam")``: a stalls sale at the window; returns its order code."""

    def make(adults: int = 2, card: int | None = None, cash: int | None = None, who: str = "sam") -> str:
        login(terminal, who)
        tenders = ([Tender("card", card, card_last4="4242")] if card is not None else []) + \
            ([Tender("cash", cash)] if cash is not None else [])
        return sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": adults}, tenders))["order"]["code"]

    return make


# --- refunds --------------------------------------------------------------------------------------------------------


def test_an_operator_who_may_not_refund_is_refused_and_not_asked(cli: Callable, terminal: Ctx, login: Callable,
                                                                  sold: Callable[..., str]) -> None:
    code = sold(cash=7000)
    login(terminal, "pat")  # pickup: no refunds
    refused_unasked(cli("refund", code, db=terminal, input="y\n"), 5, "may not")
    assert count(terminal, "refunds") == 0


def test_a_refund_above_the_limit_is_refused_before_the_question(cli: Callable, terminal: Ctx,
                                                                   sold: Callable[..., str]) -> None:
    """The reported case: a seller was asked "Refund 140.00?" and only then told a supervisor must approve."""
    from boxoffice.services.refunds import RefundRequest, check

    code = sold(adults=4, cash=14000)  # 140.00, over the 100.00 limit
    refused_unasked(cli("refund", code, db=terminal, input="y\n"), 5, "above the refund limit")
    with pytest.raises(BoxOfficeError) as err:  # the service check says the same, and changes nothing
        check(terminal, RefundRequest(code=code))
    assert err.value.code == "permission_denied"
    # A supervisor named who may not approve is refused before their PIN is asked.
    refused_unasked(cli("refund", code, "--supervisor", "pat", db=terminal, input="y\n"), 5, "pat (pickup)")
    # A wrong PIN is refused before the question.
    wrong = cli("refund", code, "--supervisor", "sue", db=terminal, pin="0000", input="y\n")
    assert wrong.exit_code == 5 and "wrong PIN" in wrong.stderr and "[y/N]" not in wrong.output
    assert count(terminal, "refunds") == 0
    # With the supervisor's PIN the question comes, and the answer counts.
    ok = cli("refund", code, "--supervisor", "sue", db=terminal, pin=SUE, input="y\n")
    assert ok.exit_code == 0 and "[y/N]" in ok.output, ok.output
    assert count(terminal, "refunds") == 1


@pytest.mark.parametrize("case", ["bad_reason", "other_without_note", "already_refunded", "no_shift",
                                  "web_order_offline"])
def test_every_precondition_is_checked_before_the_question(case: str, cli: Callable, terminal: Ctx, login: Callable,
                                                            sold: Callable[..., str], tmp_path: Path,
                                                            demo_events: tuple[str, str]) -> None:
    args: list[str] = []
    code = sold(adults=1, cash=3500)
    if case == "bad_reason":
        args, status, words = ["--reason", "whim"], 2, "unknown reason"
    elif case == "other_without_note":
        args, status, words = ["--reason", "other"], 2, "needs a note"
    elif case == "already_refunded":
        assert cli("refund", code, "--yes", db=terminal).exit_code == 0
        status, words = 4, "refunded or exchanged already"
    elif case == "no_shift":
        from boxoffice.services.catalog import import_catalog
        from boxoffice.services.demo_catalog import demo_catalog

        import_catalog(terminal, demo_catalog(T0.date()) | {"policy": {"require_shift": True}}, check_permission=False)
        status, words = 4, "no open shift"
    else:
        central = Central.make()
        web = web_order(central, demo_events[0], "Ann Web", [Seat("standing", price="22.50")])
        login(terminal, "ada")
        setup_desk(terminal, central, {"web": web})
        code, status, words = web["code"], 8, "needs the central service"
    before = count(terminal, "refunds")
    if args[:1] == ["--config"]:
        result = cli(*args, "refund", code, db=terminal, input="y\n")
    else:
        result = cli("refund", code, *args, db=terminal, input="y\n")
    refused_unasked(result, status, words)
    assert count(terminal, "refunds") == before


def test_a_card_refund_says_to_use_the_card_machine(cli: Callable, terminal: Ctx, sold: Callable[..., str],
                                                    clock: Any, login: Callable) -> None:
    code = sold(adults=1, card=3500)  # 35.00, all by card
    clock.advance(days=1)  # 153 hours before the gala: the tier keeps 10%
    login(terminal, "sam")
    preview = cli("refund", code, db=terminal, input="n\n")
    assert preview.exit_code == 1, preview.output
    amount = "31.50"
    question = f"Refund 1 ticket of {code} for {amount} GBP: refund {amount} on the card machine now (card ****4242)?"
    assert question in preview.stdout, preview.stdout
    done = cli("refund", code, db=terminal, input="y\n")
    assert done.exit_code == 0, done.output
    assert f"REFUNDED {amount} GBP on {code}: refund {amount} on the card machine now (card ****4242)" in done.stdout
    assert "GIVE CASH" not in done.stdout and "in cash" not in done.stdout


def test_a_cash_refund_says_to_give_cash_back(cli: Callable, terminal: Ctx, sold: Callable[..., str]) -> None:
    code = sold(adults=1, cash=5000)
    done = cli("refund", code, db=terminal, input="y\n")
    assert done.exit_code == 0, done.output
    assert f"Refund 1 ticket of {code} for 35.00 GBP: give back 35.00 in cash?" in done.stdout
    assert f"REFUNDED 35.00 GBP on {code}: give back 35.00 in cash" in done.stdout
    mixed = sold(adults=2, card=4000, cash=5000)
    both = cli("refund", mixed, db=terminal, input="y\n")
    assert both.exit_code == 0, both.output
    assert "refund 40.00 on the card machine now (card ****4242), then give back 30.00 in cash" in both.stdout


# --- exchanges ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["unpaid_difference", "sales_paused", "web_order_offline", "no_permission"])
def test_an_exchange_checks_everything_before_the_question(case: str, cli: Callable, terminal: Ctx, login: Callable,
                                                            sold: Callable[..., str],
                                                            demo_events: tuple[str, str]) -> None:
    code = sold(adults=1, cash=3500)
    args = ["--section", "standing"]
    if case == "unpaid_difference":
        args, status, words = ["--type", "adult=2"], 4, "--cash"
    elif case == "sales_paused":
        login(terminal, "sue")
        assert cli("pause", "sales", "--event", demo_events[0], "--reason", "fire alarm", db=terminal).exit_code == 0
        status, words = 10, "fire alarm"
    elif case == "web_order_offline":
        central = Central.make()
        web = web_order(central, demo_events[0], "Ann Web", [Seat("standing", price="22.50")])
        login(terminal, "ada")
        setup_desk(terminal, central, {"web": web})
        code, status, words = web["code"], 8, "needs the central service"
    else:
        login(terminal, "dan")
        status, words = 5, "may not"
    result = cli("exchange", code, *args, db=terminal, input="y\n")
    refused_unasked(result, status, words)
    assert count(terminal, "exchanges") == 0


def test_a_cheaper_exchange_says_where_the_money_goes(cli: Callable, terminal: Ctx, sold: Callable[..., str]) -> None:
    code = sold(adults=1, card=3500)
    out = cli("exchange", code, "--section", "standing", db=terminal, input="y\n")
    assert out.exit_code == 0, out.output
    assert f"Exchange 1 ticket(s) of {code}: refund 12.50 on the card machine now (card ****4242)?" in out.stdout
    assert "Refunded card 12.50: refund 12.50 on the card machine now (card ****4242)" in out.stdout


# --- the pickup desk and the counter --------------------------------------------------------------------------------


@pytest.fixture
def noted(terminal: Ctx, login: Callable, demo_events: tuple[str, str]) -> str:
    """A paid web order with an "ID required" note, on a terminal where pickups are paused; pat logged in."""
    from boxoffice.services.pauses import pause

    central = Central.make()
    order = web_order(central, demo_events[0], "Wang", [Seat("standing", price="22.50")], notes="ID required")
    setup_desk(terminal, central, {"wang": order})
    login(terminal, "sue")
    pause(terminal, "queue outside", what="pickups", event=demo_events[0])
    login(terminal, "pat")
    return order["code"]


def test_a_pickup_with_a_note_is_refused_before_the_note_is_asked_about(cli: Callable, terminal: Ctx,
                                                                        noted: str) -> None:
    result = cli("pickup", noted, db=terminal, input="y\n")
    refused_unasked(result, 10, "queue outside")
    assert "Checked?" not in result.output
    assert count(terminal, "pickups") == 0


def test_the_counter_does_not_ask_about_a_note_it_cannot_act_on(terminal: Ctx, noted: str, login: Callable) -> None:
    from boxoffice.services.counter import Counter

    desk = Counter(terminal)
    desk.handle(noted)
    reply = desk.handle("")  # Enter: hand it out
    assert reply.ask is None and desk.pending is None
    assert "queue outside" in reply.lines[0].text
    login(terminal, "dan")  # door staff: may not hand out
    desk = Counter(terminal)
    desk.handle(noted)
    reply = desk.handle("")
    assert reply.ask is None and "may not" in reply.lines[0].text
    assert count(terminal, "pickups") == 0


# --- restore, comps and reprints ------------------------------------------------------------------------------------


def test_restore_is_refused_to_a_seller_before_the_question(cli: Callable, terminal: Ctx, login: Callable,
                                                           tmp_path: Path) -> None:
    made = cli("backup", "--to", str(tmp_path / "backups"), "--json", db=terminal)
    assert made.exit_code == 0, made.output
    login(terminal, "sam")
    result = cli("restore", made.json()["file"], db=terminal, input="y\n")
    refused_unasked(result, 5, "may not")
    assert "Replace this terminal" not in result.output


def test_a_comp_is_checked_before_a_supervisor_pin_is_asked(cli: Callable, terminal: Ctx, login: Callable,
                                                            demo_events: tuple[str, str]) -> None:
    login(terminal, "sam")
    comp = ["sell", demo_events[0], "-s", "standing", "-t", "comp=1", "--comp", "press"]
    refused_unasked(cli(*comp, "--supervisor", "pat", db=terminal, input="222222\n"), 5, "pat (pickup)")
    refused_unasked(cli(*comp[:3], "balcony", *comp[4:], "--supervisor", "sue", db=terminal, input="222222\n"), 3,
                    "no section 'balcony'")
    too_many = cli(*comp[:5], "comp=301", *comp[6:], "--supervisor", "sue", db=terminal, input="222222\n")
    assert too_many.exit_code in (2, 4) and not asked(too_many), too_many.output
    ok = cli(*comp, "--supervisor", "sue", "--json", db=terminal, input="222222\n")
    assert ok.exit_code == 0, ok.output


def test_a_reprint_is_checked_before_a_supervisor_pin_is_asked(cli: Callable, terminal: Ctx, login: Callable,
                                                               sold: Callable[..., str]) -> None:
    from boxoffice.domain.codes import make_order_code

    code = sold(adults=1, cash=3500)
    nowhere = make_order_code("WQ7", 999)
    refused_unasked(cli("order", "reprint", nowhere, "--supervisor", "sue", db=terminal, input="222222\n"), 3,
                    "no order")
    refused_unasked(cli("order", "reprint", code, db=terminal, input="222222\n"), 5, "may not reprint")
    ok = cli("order", "reprint", code, "--supervisor", "sue", db=terminal, input="222222\n")
    assert ok.exit_code == 0 and "PIN for sue" in ok.output, ok.output
