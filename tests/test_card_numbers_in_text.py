"""A whole card number typed into any free-text field is refused, on the terminal, through the CLI and the services,
and the refusal never repeats it; messages that echo what was typed mask it too. (The central
side: test_card_numbers_central.py.)"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from night_kit import act_as, sell
from pickup_fixtures import Central as Signer
from pickup_fixtures import Seat, orders_doc, web_order

from boxoffice.domain.card_numbers import holds_card_number, mask_card_numbers
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx

CARD = "4111 1111 1111 1111"          # a Visa test number, as people write it
DIGITS = CARD.replace(" ", "")
DASHED = "5555-5555-5555-4444"        # Mastercard's test number, with dashes


def _no_number(*texts: str) -> None:
    """None of the texts holds the card number, in any of the ways it was written or any part of 8 digits."""
    for text in texts:
        flat = re.sub(r"[\s-]", "", text)
        assert DIGITS not in flat and "55555555" not in flat and "41111111" not in flat, text


def _stored_nowhere(ctx: Ctx) -> None:
    """Not in the database file, its WAL, or the journal: nothing was written."""
    for path in Path(ctx.config.db_path).parent.glob(Path(ctx.config.db_path).name + "*"):
        data = path.read_bytes()
        assert DIGITS.encode() not in data and CARD.encode() not in data and DASHED.encode() not in data, path


def _refused(result: Any, field: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "card number" in result.stderr and field in result.stderr, result.stderr
    _no_number(result.stdout, result.stderr)


# --- the detector ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [CARD, DIGITS, DASHED, "Ann 378282246310005", "call 6011111111111117 please",
                                  "4111111111111111 12/27", "card ４１１１１１１１１１１１１１１１",
                                  "4111 1111 1111 1111 1225"])
def test_card_numbers_are_found_however_they_are_written(text: str) -> None:
    assert holds_card_number(text)
    _no_number(mask_card_numbers(text))


@pytest.mark.parametrize("text", ["Ann Smith", "4242", "+49 1512 3456789", "+44 7911 123456", "0049 151 23456789",
                                  "4111111111111112", "order K7M2-4XQ9", "2026-12-03 19:30", "王小明 13800138000",
                                  "12345678901234567890123"])
def test_phones_dates_codes_and_other_digits_pass(text: str) -> None:
    assert not holds_card_number(text)


# --- through the CLI ------------------------------------------------------------------------------------------


def test_a_sale_refuses_a_card_number_in_the_name_email_phone_and_comp_reason(
        cli: Callable, terminal: Ctx, demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    base = ["sell", gala, "-s", "standing", "-t", "adult=1", "--cash", "100"]
    _refused(cli(*base, "--name", f"Ann {CARD}", db=terminal), "customer name")
    _refused(cli(*base, "--email", f"{DIGITS}@example.com", db=terminal), "e-mail")
    _refused(cli(*base, "--phone", DASHED, db=terminal), "phone")
    as_json = cli(*base, "--name", CARD, "--json", db=terminal)
    assert as_json.exit_code == 2 and as_json.json()["error"]["code"] == "card_number_in_text"
    _no_number(as_json.stdout)
    comp = cli("sell", gala, "-s", "standing", "-t", "comp=1", "--comp", f"guest of {CARD}", "--supervisor", "sue",
               db=terminal, pin="222222")
    assert comp.exit_code == 2 and "card number" in comp.stderr, comp.stderr
    _no_number(comp.stdout, comp.stderr)
    ok = cli(*base, "--name", "Ann Smith", "--phone", "+49 1512 3456789", db=terminal)
    assert ok.exit_code == 0, ok.stderr
    _stored_nowhere(terminal)


def test_refund_and_exchange_notes_refuse_a_card_number(cli: Callable, terminal: Ctx,
                                                        demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    code = sell(terminal, gala, "standing", {"adult": 1})["order"]["code"]
    _refused(cli("refund", code, "--reason", "other", "--note", f"back to {CARD}", "--yes", db=terminal),
             "refund note")
    _refused(cli("exchange", code, "--section", "standing", "--note", DASHED, "--yes", db=terminal), "exchange note")
    _stored_nowhere(terminal)


def test_incidents_pauses_cash_moves_and_operator_names_refuse_a_card_number(cli: Callable, terminal: Ctx) -> None:
    _refused(cli("incident", "open", f"card {CARD} left at the desk", db=terminal), "title")
    opened = cli("incident", "open", "card left at the desk", "--json", db=terminal)
    assert opened.exit_code == 0, opened.stderr
    inc = opened.json()["id"]
    _refused(cli("incident", "note", inc, f"it reads {DASHED}", db=terminal), "note")
    _refused(cli("incident", "close", inc, "--resolution", f"returned {DIGITS}", db=terminal), "resolution")
    _refused(cli("pause", "sales", "--reason", f"card {CARD} fraud", db=terminal), "pause reason")
    assert cli("shift", "open", "--float", "100", db=terminal).exit_code == 0
    _refused(cli("shift", "cash-in", "10", "--reason", f"refund {CARD}", db=terminal), "cash reason")
    _refused(cli("drawer", "open", "--reason", DASHED, db=terminal), "cash reason")
    _refused(cli("operator", "add", DIGITS, "--role", "seller", db=terminal, pin="5678"), "operator name")
    _stored_nowhere(terminal)


def test_imported_orders_and_catalogues_refuse_a_card_number(cli: Callable, terminal: Ctx, write_json: Callable,
                                                             demo_events: tuple[str, str]) -> None:
    from boxoffice.services.demo_catalog import demo_catalog

    signer = Signer.make()
    keys = write_json(signer.keys_doc(), "keys.json")
    assert cli("keys", "import", keys, db=terminal).exit_code == 0
    order = web_order(signer, demo_events[0], "Web Buyer", [Seat("standing")], phone=CARD)
    refused = cli("orders", "import", write_json(orders_doc([order]), "orders.json"), db=terminal)
    _refused(refused, "orders document")
    assert "/orders/0/customer/phone" in refused.stderr
    doc = copy.deepcopy(demo_catalog(terminal.clock().date()))
    doc["events"][0]["name"] = f"Gala {DASHED}"
    _refused(cli("catalog", "import", write_json(doc, "catalog.json"), db=terminal), "catalogue")
    _stored_nowhere(terminal)


def test_messages_that_repeat_the_input_mask_it(cli: Callable, terminal: Ctx, demo_events: tuple[str, str]) -> None:
    """An order code, a ticket type, an unknown option: whatever the command echoes back, no card number."""
    looked_up = cli("order", "show", CARD, db=terminal)
    assert looked_up.exit_code != 0
    counts = cli("sell", demo_events[0], "-s", "standing", "-t", f"{DIGITS}=1", "--cash", "1", db=terminal)
    assert counts.exit_code != 0
    unknown = cli("sell", demo_events[0], f"--{DIGITS}", db=terminal)
    assert unknown.exit_code == 2
    not_int = cli("report", "sales", "--by", DASHED, db=terminal)
    assert not_int.exit_code != 0
    searched = cli("pickup", "find", CARD, db=terminal)
    assert searched.exit_code == 3
    at_the_desk = cli("counter", "--event", demo_events[0], db=terminal, input=f"{CARD}\n{DIGITS}\nq\n")
    assert "nothing matches" in at_the_desk.stdout, at_the_desk.output
    _no_number(*(r.stdout + r.stderr for r in (looked_up, counts, unknown, not_int, searched, at_the_desk)))


# --- through the services -------------------------------------------------------------------------------------


def _code(call: Callable[[], Any]) -> BoxOfficeError:
    with pytest.raises(BoxOfficeError) as refused:
        call()
    assert refused.value.code == "card_number_in_text"
    _no_number(refused.value.message)
    return refused.value


def test_the_services_refuse_a_card_number_in_every_free_text_field(terminal: Ctx,
                                                                    demo_events: tuple[str, str]) -> None:
    from boxoffice.services import incidents, pauses, shifts
    from boxoffice.services.operators import add_operator

    gala = demo_events[0]
    for field in ("customer_name", "email", "phone"):
        err = _code(lambda f=field: sell(terminal, gala, "standing", {"adult": 1}, **{f: CARD}))
        assert err.details["field"] in ("customer name", "e-mail", "phone")
    _code(lambda: incidents.open_incident(terminal, f"found {CARD}"))
    _code(lambda: pauses.pause(terminal, f"fraud {DASHED}"))
    act_as(terminal, "sam")
    shifts.open_shift(terminal, 100_00)
    _code(lambda: shifts.cash_move(terminal, "in", 10_00, f"from {CARD}"))
    act_as(terminal, "ada")
    _code(lambda: add_operator(terminal, CARD, "seller", "5678"))
    _stored_nowhere(terminal)
