"""Shifts through the services: one open shift per person and terminal, money booked to the right shift, the
require_shift setting, cash in and out, the drawer kick, and the X and Z reports (printed and kept as a PDF)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import shifts
from boxoffice.services.blind_close import count_drawer
from boxoffice.services.context import Ctx
from boxoffice.services.operators import login
from boxoffice.services.refunds import RefundRequest, refund
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store.db import one, rows


@pytest.fixture
def sam(terminal: Ctx) -> Ctx:
    login(terminal, "sam", "1111")
    return terminal


def sale(ctx: Ctx, event: str, tenders: list[Tender], counts: dict[str, int] | None = None,
         section: str = "standing") -> dict[str, Any]:
    return sell(ctx, SaleRequest(event, section, counts or {"adult": 2}, tenders))


def test_one_open_shift_per_operator_and_terminal(sam: Ctx) -> None:
    first = shifts.open_shift(sam, 15000)
    with pytest.raises(BoxOfficeError) as err:
        shifts.open_shift(sam, 15000)
    assert err.value.code == "shift_open" and "close it first" in err.value.message
    login(sam, "sue", "222222")
    other = shifts.open_shift(sam, 5000)  # another person at the same terminal has a drawer of their own
    assert other["id"] != first["id"]
    with pytest.raises(sqlite3.IntegrityError):  # and the database holds the rule even without the service
        sam.conn.execute("INSERT INTO shifts (id, operator_id, terminal_id, currency, opened_at, float)"
                         " VALUES ('x', ?, ?, 'GBP', 'now', 0)", (first["operator_id"], first["terminal_id"]))
    login(sam, "sam", "1111")
    shifts.close_shift(sam, 15000)
    assert shifts.open_shift(sam, 10000)["id"] != first["id"]


def test_sales_and_refunds_are_booked_to_the_operators_open_shift(sam: Ctx, demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    before = sale(sam, gala, [Tender("cash", 5000)])
    assert {p["shift_id"] for p in before["payments"]} == {None}  # no shift: not counted in any drawer
    shift = shifts.open_shift(sam, 10000)
    during = sale(sam, gala, [Tender("cash", 5000)])
    assert {p["shift_id"] for p in during["payments"]} == {shift["id"]}
    back = refund(sam, RefundRequest(before["order"]["code"]))
    assert {p["shift_id"] for p in back["payments"]} == {shift["id"]}
    assert one(sam.conn, "SELECT shift_id FROM refunds")["shift_id"] == shift["id"]


def test_require_shift_refuses_sales_and_refunds_until_one_is_open(sam: Ctx, demo_events: tuple[str, str]) -> None:
    order = sale(sam, demo_events[0], [Tender("cash", 5000)])
    sam.config.values["require_shift"] = True
    for action in (lambda: sale(sam, demo_events[0], [Tender("cash", 5000)]),
                   lambda: refund(sam, RefundRequest(order["order"]["code"]))):
        with pytest.raises(BoxOfficeError) as err:
            action()
        assert err.value.code == "shift_required" and "shift open --float" in err.value.message
    shifts.open_shift(sam, 0)
    assert sale(sam, demo_events[0], [Tender("card", None, "4242")])["order"]["code"]


def test_a_shift_closed_after_the_sales_check_refuses_the_sale_inside_its_transaction(
        sam: Ctx, demo_events: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """With require_shift set, the shift is asked for again where the payments are booked: a shift closed between
    the sale's first check and its transaction (another window, another process) refuses the sale whole instead of
    booking its money to no shift."""
    sam.config.values["require_shift"] = True
    shifts.open_shift(sam, 0)
    checked = shifts.require_open_shift

    def checked_then_closed(ctx: Ctx) -> None:
        checked(ctx)
        shifts.close_shift(ctx, 0)

    from boxoffice.services import sales as sales_service

    monkeypatch.setattr(sales_service, "require_open_shift", checked_then_closed)  # the check the sale makes first
    orders = one(sam.conn, "SELECT COUNT(*) AS n FROM orders")["n"]
    with pytest.raises(BoxOfficeError) as err:
        sale(sam, demo_events[0], [Tender("cash", 5000)])
    assert err.value.code == "shift_required"
    assert one(sam.conn, "SELECT COUNT(*) AS n FROM orders")["n"] == orders
    assert one(sam.conn, "SELECT COUNT(*) AS n FROM payments WHERE shift_id IS NULL")["n"] == 0


def test_cash_in_and_out_need_a_reason_and_taking_out_too_much_shows_at_the_close(sam: Ctx) -> None:
    shifts.open_shift(sam, 10000)
    with pytest.raises(BoxOfficeError) as err:
        shifts.cash_move(sam, "in", 5000, "  ")
    assert err.value.code == "bad_input"
    with pytest.raises(BoxOfficeError) as err:
        shifts.cash_move(sam, "out", 0, "nothing")
    assert err.value.code == "bad_input"
    shifts.cash_move(sam, "in", 5000, "change from the safe")
    # more than the drawer should hold (150.00) is taken, not refused: a refusal would tell a seller the figure
    # before the blind count, one "does it hold at least X?" at a time
    shifts.cash_move(sam, "out", 15001, "to the safe")
    assert shifts.status(sam)["cash"] == {"float": 10000, "sales": None, "refunds": None, "in": 5000, "out": 15001,
                                          "expected": None}
    count_drawer(sam, 0)
    assert shifts.status(sam)["cash"] == {"float": 10000, "sales": 0, "refunds": 0, "in": 5000, "out": 15001,
                                          "expected": -1}
    with pytest.raises(BoxOfficeError) as err:  # the penny too many is a variance: a note and a supervisor
        shifts.close_shift(sam)
    assert err.value.code == "variance_unapproved"
    z = shifts.close_shift(sam, note="a penny too many to the safe", supervisor=("sue", "222222"))
    assert (z["cash"]["expected"], z["cash"]["variance"], z["approved_by"]) == (-1, 1, "sue")


def test_cash_movements_need_an_open_shift(sam: Ctx) -> None:
    with pytest.raises(BoxOfficeError) as err:
        shifts.cash_move(sam, "in", 100, "float top-up")
    assert err.value.code == "shift_required"


def test_a_cash_refund_past_what_the_drawer_holds_is_paid_and_shows_at_the_close(
        sam: Ctx, demo_events: tuple[str, str]) -> None:
    order = sale(sam, demo_events[0], [Tender("cash", 4500)])  # sold with no shift open
    shifts.open_shift(sam, 2000)
    # 45.00 back from a drawer that should hold 20.00: paid (a refusal would tell the figure before the count)
    assert refund(sam, RefundRequest(order["order"]["code"]))["amount"] == 4500
    assert shifts.status(sam)["cash"]["expected"] is None  # blind until counted
    count_drawer(sam, 0)
    assert shifts.status(sam)["cash"]["expected"] == -2500


def test_a_cash_refund_after_cash_in_from_the_safe_leaves_the_drawer_even(
        sam: Ctx, demo_events: tuple[str, str]) -> None:
    order = sale(sam, demo_events[0], [Tender("cash", 4500)])
    shifts.open_shift(sam, 2000)
    shifts.cash_move(sam, "in", 2500, "from the safe for a refund")
    assert refund(sam, RefundRequest(order["order"]["code"]))["amount"] == 4500
    assert shifts.status(sam)["cash"]["expected"] is None  # blind until counted
    count_drawer(sam, 0)
    assert shifts.status(sam)["cash"]["expected"] == 0


def test_the_x_report_counts_the_shift_so_far(sam: Ctx, demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    shifts.open_shift(sam, 10000)
    cash = sale(sam, gala, [Tender("cash", 5000)])                                    # 45.00 kept, 5.00 change
    sale(sam, gala, [Tender("card", None, "4242")], counts={"adult": 1, "child": 1})  # 32.50 by card
    sale(sam, gala, [Tender("card", 1000, "1111"), Tender("cash", 2000)], counts={"adult": 1})  # 10 + 12.50
    refund(sam, RefundRequest(cash["order"]["code"], tickets=[cash["tickets"][0]["id"]]))      # 22.50 cash
    blind = shifts.status(sam)  # sam's own drawer, not counted: counts, no money
    assert blind["blind"] and blind["cash"]["expected"] is None and blind["totals"]["sales"] is None
    assert {t["tender"]: (t["sales"], t["sales_amount"]) for t in blind["tenders"]} == {"cash": (2, None),
                                                                                        "card": (2, None)}
    assert blind["cash"]["float"] == 10000 and blind["counts"]["sales"] == 3
    text = "\n".join(f"{label} {value}" for label, value in shifts.report_lines(blind))
    for amount in ("135.00", "57.50", "42.50", "77.50", "90.00"):  # expected, cash and card sales, net, adult
        assert amount not in text, amount
    login(sam, "sue", "222222")  # a supervisor sees it all
    x = shifts.status(sam, "sam")
    assert x["kind"] == "X" and x["closed_at"] is None and not x["blind"]
    tenders = {t["tender"]: t for t in x["tenders"]}
    assert (tenders["cash"]["sales_amount"], tenders["cash"]["refund_amount"]) == (4500 + 1250, 2250)
    assert (tenders["card"]["sales_amount"], tenders["card"]["refund_amount"]) == (3250 + 1000, 0)
    assert x["totals"] == {"sales": 10000, "refunds": 2250, "net": 7750}
    types = {t["type"]: t for t in x["types"]}
    assert (types["adult"]["sold"], types["adult"]["sold_amount"]) == (4, 9000)
    assert (types["child"]["sold"], types["child"]["sold_amount"]) == (1, 1000)
    assert (types["adult"]["refunded"], types["adult"]["refunded_amount"]) == (1, 2250)
    assert x["cash"]["expected"] == 10000 + 4500 + 1250 - 2250
    assert x["counts"]["sales"] == 3 and x["counts"]["refunds"] == 1
    login(sam, "sam", "1111")  # and sam once the drawer is counted
    count_drawer(sam, 15000)
    assert shifts.status(sam)["cash"]["expected"] == 13500 and not shifts.status(sam)["blind"]


def test_closing_fixes_the_z_report_prints_it_and_keeps_a_pdf(sam: Ctx, demo_events: tuple[str, str]) -> None:
    import json

    import pypdfium2

    from boxoffice.services.printing import run_jobs

    shift = shifts.open_shift(sam, 10000)
    sale(sam, demo_events[0], [Tender("cash", 5000)])
    z = shifts.close_shift(sam, 14000, note="a fiver short", supervisor=("sue", "222222"))  # 145.00 expected
    assert z["kind"] == "Z"
    assert (z["cash"]["expected"], z["cash"]["counted"], z["cash"]["variance"]) == (14500, 14000, -500)
    row = one(sam.conn, "SELECT * FROM shifts WHERE id = ?", (shift["id"],))
    assert (row["counted"], row["expected"], row["variance"], row["closed_by"]) == \
        (14000, 14500, -500, shift["operator_id"])
    entry = json.loads(one(sam.conn, "SELECT payload FROM journal WHERE kind = 'shift.close'")["payload"])
    assert (entry["expected"], entry["counted"], entry["variance"]) == (14500, 14000, -500)
    assert shifts.current(sam) is None
    with pytest.raises(BoxOfficeError) as err:
        shifts.status(sam)
    assert err.value.code == "shift_required"
    text = "\n".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(z["pdf"]))
    for expected in ("Z REPORT", "Float", "100.00", "Expected", "145.00", "Counted", "140.00", "Variance", "-5.00",
                     "Adult sold x2", "45.00", "Counted by"):
        assert expected in text, expected
    printed = run_jobs(sam, z["jobs"])
    assert printed[0]["status"] == "printed" and printed[0]["to"].endswith(".pdf")


def test_a_supervisor_may_close_someone_elses_shift_a_seller_may_not(sam: Ctx) -> None:
    shifts.open_shift(sam, 10000)
    login(sam, "sue", "222222")
    shifts.open_shift(sam, 0)
    assert shifts.status(sam, "sam")["operator"] == "sam"
    login(sam, "sam", "1111")
    with pytest.raises(BoxOfficeError) as err:
        shifts.close_shift(sam, 0, "sue")
    assert err.value.code == "permission_denied" and "supervisor" in err.value.message
    login(sam, "sue", "222222")
    z = shifts.close_shift(sam, 9000, "sam", note="10.00 short")  # sue, logged in, approves
    assert (z["operator"], z["cash"]["variance"]) == ("sam", -1000)
    assert one(sam.conn, "SELECT o.name FROM shifts s JOIN operators o ON o.id = s.closed_by WHERE s.float = 10000")[
        "name"] == "sue"


def test_a_pickup_volunteer_opens_a_shift_but_holds_no_cash(terminal: Ctx) -> None:
    login(terminal, "pat", "3333")
    with pytest.raises(BoxOfficeError) as err:
        shifts.open_shift(terminal, 5000)
    assert err.value.code == "permission_denied"
    assert shifts.open_shift(terminal, 0)["float"] == 0
    with pytest.raises(BoxOfficeError) as err:
        shifts.cash_move(terminal, "in", 100, "tips")
    assert err.value.code == "permission_denied"


def test_drawer_open_is_recorded_and_sends_only_a_kick(sam: Ctx, tmp_path: Any) -> None:
    from boxoffice.services.printing import run_jobs

    with pytest.raises(BoxOfficeError) as err:
        shifts.drawer_open(sam, "change")
    assert err.value.code == "shift_required"
    shift = shifts.open_shift(sam, 10000)
    out = shifts.drawer_open(sam, "change for a note")
    move = one(sam.conn, "SELECT * FROM cash_movements")
    assert (move["kind"], move["amount"], move["reason"], move["shift_id"]) == ("drawer", 0, "change for a note",
                                                                             shift["id"])
    assert one(sam.conn, "SELECT count(*) AS n FROM journal WHERE kind = 'drawer.open'")["n"] == 1
    assert shifts.status(sam)["counts"]["drawer_opens"] == 1
    assert run_jobs(sam, out["jobs"])[0]["to"].startswith("nowhere")  # a PDF printer has no drawer
    # on a receipt printer the job is the drawer pulse and nothing else: ESC p, no paper, no cut
    target = tmp_path / "printer.bin"
    sam.config.values["printer"] = f"file://{target}"
    again = shifts.drawer_open(sam)
    assert run_jobs(sam, again["jobs"])[0]["status"] == "printed"
    data = target.read_bytes()
    assert b"\x1bp" in data and b"\x1dV" not in data
    jobs = rows(sam.conn, "SELECT kind, status FROM print_jobs ORDER BY rowid")
    assert [j["kind"] for j in jobs] == ["drawer", "drawer"]


def test_the_z_report_is_kept_even_if_the_printer_is_down(sam: Ctx, tmp_path: Any) -> None:
    from boxoffice.services.printing import run_jobs

    sam.config.values["printer"] = "tcp://127.0.0.1:9"  # nothing listens there
    shifts.open_shift(sam, 1000)
    z = shifts.close_shift(sam, 1000)
    assert z["pdf"] and z["cash"]["variance"] == 0
    result = run_jobs(sam, z["jobs"])[0]
    assert result["status"] == "failed" and result["code"] == "printer_offline"
    assert one(sam.conn, "SELECT closed_at FROM shifts")["closed_at"] is not None
