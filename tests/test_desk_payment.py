"""Paying an unpaid web order at the will-call desk: taken once, by someone who may take money, in the shift's
drawer and the journal, then handed out; `boxoffice pickup pay` does the same from the command line."""

from __future__ import annotations

import json

import pytest
from pickup_fixtures import query, seller_desk

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import shifts
from boxoffice.services.desk_payment import amount_due, pay_order, tenders
from boxoffice.services.pickup import pick_up


@pytest.fixture
def desk(terminal, demo_events, login) -> dict[str, dict]:  # noqa: ANN001
    return seller_desk(terminal, demo_events, login)


def test_cash_paid_once_in_the_drawer_and_journal_then_handed_out(terminal, desk) -> None:  # noqa: ANN001
    code = desk["anna"]["code"]
    shift = shifts.open_shift(terminal, 100_00)
    with pytest.raises(BoxOfficeError) as unpaid:
        pick_up(terminal, code)
    assert unpaid.value.code == "unpaid"
    due = amount_due(terminal, code)
    assert (due["total"], due["currency"], due["total_text"]) == (22_50, "GBP", "22.50")
    out = pay_order(terminal, code, tenders("50", [], "GBP"))
    assert (out["change"], out["change_text"]) == (27_50, "27.50")
    assert query(terminal, "SELECT status FROM orders WHERE code = ?", (code,)) == [("paid",)]
    pays = query(terminal, "SELECT tender, amount, tendered, change, shift_id FROM payments WHERE order_id = ?",
                 (desk["anna"]["id"],))
    assert pays == [("cash", 22_50, 50_00, 27_50, shift["id"])]
    assert shifts.cash_summary(terminal, shifts.current(terminal))["expected"] == 100_00 + 22_50
    entry = query(terminal, "SELECT payload, operator_id FROM journal WHERE kind = 'order.paid'")
    assert len(entry) == 1 and entry[0][1] == terminal.operator["id"]
    payload = json.loads(entry[0][0])
    assert payload["order"] == desk["anna"]["id"] and payload["payments"][0]["amount"] == 22_50
    with pytest.raises(BoxOfficeError) as twice:
        pay_order(terminal, code, tenders("50", [], "GBP"))
    assert twice.value.code == "already_paid" and "paid already" in twice.value.message
    assert len(query(terminal, "SELECT 1 FROM payments WHERE order_id = ?", (desk["anna"]["id"],))) == 1
    handed = pick_up(terminal, code)
    assert len(handed["handed_out"]) == 1 and handed["remaining"] == 0


def test_amounts_are_checked_and_nothing_is_left_half_paid(terminal, desk) -> None:  # noqa: ANN001
    code = desk["anna"]["code"]
    for bad, want in ((tenders("20", [], "GBP"), "insufficient_payment"), ([], "insufficient_payment"),
                      ([Tender("comp", reason="friend")], "bad_input"),
                      (tenders(None, ["4242:30"], "GBP"), None)):
        with pytest.raises(BoxOfficeError) as exc:
            pay_order(terminal, code, bad)
        if want:
            assert exc.value.code == want
    with pytest.raises(BoxOfficeError) as full_number:
        tenders(None, ["4242424242424242"], "GBP")
    assert full_number.value.code == "bad_card_number"
    assert query(terminal, "SELECT status FROM orders WHERE code = ?", (code,)) == [("unpaid",)]
    assert query(terminal, "SELECT count(*) FROM payments WHERE order_id = ?", (desk["anna"]["id"],)) == [(0,)]
    assert query(terminal, "SELECT count(*) FROM journal WHERE kind = 'order.paid'") == [(0,)]
    out = pay_order(terminal, code, tenders("10", ["4242"], "GBP"))  # split: 10.00 cash, the rest on the card
    assert [(p["tender"], p["amount"], p["card_last4"]) for p in out["payments"]] == [("cash", 10_00, None),
                                                                                     ("card", 12_50, "4242")]


def test_only_who_may_take_money_pays_and_a_paid_order_is_not_paid_again(terminal, desk, login) -> None:  # noqa: ANN001
    code = desk["anna"]["code"]
    login(terminal, "pat")  # pickup volunteer: hands out, takes no money
    with pytest.raises(BoxOfficeError) as pat:
        pay_order(terminal, code, tenders("50", [], "GBP"))
    assert pat.value.code == "permission_denied"
    login(terminal, "dan")  # door
    with pytest.raises(BoxOfficeError) as dan:
        amount_due(terminal, code)
    assert dan.value.code == "permission_denied"
    login(terminal, "sue")
    assert pay_order(terminal, code, tenders(None, ["4242"], "GBP"))["payments"][0]["amount"] == 22_50
    with pytest.raises(BoxOfficeError) as paid_web:
        amount_due(terminal, desk["zoe"]["code"])
    assert paid_web.value.code == "already_paid"
    with pytest.raises(BoxOfficeError) as missing:
        amount_due(terminal, "ZZZZ-ZZZZ")
    assert missing.value.code in ("not_found", "bad_input")


def test_cli_pays_with_json_and_refuses_a_second_time(terminal, desk, cli, login) -> None:  # noqa: ANN001
    code = desk["anna"]["code"]
    login(terminal, "pat")
    refused = cli("pickup", "pay", code, "--cash", "50", "--json", db=terminal)
    assert refused.exit_code == 5 and json.loads(refused.stdout)["error"]["code"] == "permission_denied"
    login(terminal, "sam")
    paid = cli("pickup", "pay", code.lower(), "--cash", "50", "--no-receipt", "--json", db=terminal)
    assert paid.exit_code == 0, paid.output
    body = paid.json()
    assert (body["order"], body["total"], body["change"]) == (code, "22.50", "27.50")
    assert body["payments"] == [{"tender": "cash", "amount": 22_50, "card_last4": None}]
    again = cli("pickup", "pay", code, "--card", "4242", "--json", db=terminal)
    assert again.exit_code == 4 and json.loads(again.stdout)["error"]["code"] == "already_paid"
    text = cli("pickup", "pay", desk["zoe"]["code"], "--cash", "100", db=terminal)
    assert text.exit_code == 4 and "paid already" in text.stderr
    given = cli("pickup", code, "--json", db=terminal)
    assert given.exit_code == 0 and len(given.json()["handed_out"]) == 1


def test_a_desk_paid_web_order_is_this_terminals_sale_in_its_reports(terminal, desk, login) -> None:  # noqa: ANN001
    from boxoffice.services import reports

    pay_order(terminal, desk["anna"]["code"], tenders("50", [], "GBP"))
    login(terminal, "sue")
    own = {by: reports.sales(terminal, by=by) for by in ("tender", "type", "channel")}
    assert {r["total"]["amount"] for r in own.values()} == {22_50}
    assert [(g["key"], g["amount"]) for g in own["tender"]["groups"]] == [("cash", 22_50)]
    venue = {by: reports.sales(terminal, by=by, venue=True) for by in ("tender", "type")}
    assert venue["tender"]["total"]["amount"] == venue["type"]["total"]["amount"]
    assert ("cash", 22_50) in [(g["key"], g["amount"]) for g in venue["tender"]["groups"]]


def test_a_terminal_rebuilt_from_its_journal_has_the_order_paid_again(terminal, desk, open_ctx,
                                                                      tmp_path) -> None:  # noqa: ANN001
    import sqlite3

    from boxoffice.services.sync.replay import Replayer
    from boxoffice.store.db import write

    older = tmp_path / "older.db"  # a copy from before the payment
    src, dst = sqlite3.connect(terminal.config.db_path), sqlite3.connect(older)
    src.backup(dst)
    src.close(), dst.close()
    before = terminal.conn.execute("SELECT max(seq) FROM journal").fetchone()[0]
    pay_order(terminal, desk["anna"]["code"], tenders("50", [], "GBP"), print_receipt=False)
    entries = [dict(r) for r in terminal.conn.execute("SELECT * FROM journal WHERE seq > ? ORDER BY seq",
                                                      (before,))]
    assert [e["kind"] for e in entries] == ["order.paid"]
    ctx = open_ctx(older)
    replayer = Replayer(ctx)
    with write(ctx.conn):
        for e in entries:
            replayer.apply(e, "2026-12-01T10:00:00.000000Z")
    assert replayer.notes == []
    assert query(ctx, "SELECT status FROM orders WHERE id = ?", (desk["anna"]["id"],)) == [("paid",)]
    assert query(ctx, "SELECT tender, amount, change FROM payments WHERE order_id = ?",
                 (desk["anna"]["id"],)) == [("cash", 22_50, 27_50)]


def test_an_order_whose_tickets_were_cancelled_elsewhere_takes_no_money(terminal, desk) -> None:  # noqa: ANN001
    ticket = desk["anna"]["tickets"][0]["id"]
    with terminal.conn:
        terminal.conn.execute("INSERT INTO revocations (ticket_id, revoked_at, reason) VALUES (?, ?, 'refunded')",
                              (ticket, "2026-12-01T10:00:00Z"))
    with pytest.raises(BoxOfficeError) as exc:
        pay_order(terminal, desk["anna"]["code"], tenders("50", [], "GBP"))
    assert exc.value.code == "revoked"
    assert query(terminal, "SELECT status FROM orders WHERE code = ?", (desk["anna"]["code"],)) == [("unpaid",)]


def test_cash_with_no_shift_at_a_terminal_that_keeps_shifts_is_said_at_the_desk(terminal, desk, cli,  # noqa: ANN001
                                                                                 login) -> None:
    """The desk takes a web order's cash with no shift open while another operator keeps one: told at once (the
    service's result, the command's stderr and --json)."""
    login(terminal, "sue")
    shifts.open_shift(terminal, 0)
    login(terminal, "sam")
    said = cli("pickup", "pay", desk["anna"]["code"], "--cash", "50", db=terminal)
    assert said.exit_code == 0, said.output
    assert "no shift is open for you here: this cash is in no drawer's count" in said.stderr
    assert query(terminal, "SELECT shift_id FROM payments WHERE order_id = ?", (desk["anna"]["id"],)) == [(None,)]


def test_the_desk_payment_result_says_whether_its_cash_is_outside_a_shift(terminal, desk, login) -> None:  # noqa: ANN001
    login(terminal, "sue")
    shifts.open_shift(terminal, 0)
    assert pay_order(terminal, desk["anna"]["code"], tenders("50", [], "GBP"))["outside_shift"] is False
