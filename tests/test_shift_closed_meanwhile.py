"""Cash is booked to the drawer open when it is written, never to one closed from another window meanwhile.

A refund, an exchange and a desk payment are checked (and a PIN asked) before they write. A seller with two windows
could close and count the drawer in the second while the first waited: the cash then went to a shift already
counted, into no Z report and no later drawer's expected total, and nothing flagged it. Now the shift is read again
under the write lock, as a sale's is: the money goes to no shift, the operator is told, and the supervisor's alert
names the order.
"""

from __future__ import annotations

from typing import Any

import pytest
from pickup_fixtures import seller_desk

from boxoffice.domain.tenders import Tender
from boxoffice.services import alerts, blind_close, desk_payment, shifts
from boxoffice.services import refund_authority as authority
from boxoffice.services.context import Ctx
from boxoffice.services.exchanges import ExchangeRequest, exchange
from boxoffice.services.operators import login
from boxoffice.services.refunds import RefundRequest, refund
from boxoffice.services.sales import SaleRequest, sell


def _close_from_another_window(other: Ctx) -> dict[str, Any]:
    """What a second window does: count the drawer blind and close the shift."""
    expected = shifts.cash_summary(other, shifts.current(other))["expected"]
    blind_close.count_drawer(other, expected)
    return shifts.close_shift(other)


def _then_close(step: Any, other: Ctx, closed: list[dict[str, Any]]) -> Any:
    """``step`` (the last thing done before the write), after which the second window closes the shift."""
    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        out = step(*args, **kwargs)
        closed.append(_close_from_another_window(other))
        return out
    return meanwhile


def _shift_rows(terminal: Ctx) -> list[tuple]:
    return [tuple(r) for r in terminal.conn.execute("SELECT tender, kind, amount, shift_id FROM payments"
                                                    " ORDER BY created_at, rowid")]


def _cash_sale(terminal: Ctx, event: str) -> dict[str, Any]:
    login(terminal, "sam", "1111")
    shifts.open_shift(terminal, 100_00)
    return sell(terminal, SaleRequest(event_id=event, section_id="stalls", counts={"adult": 1},
                                      tenders=[Tender("cash", 35_00)]))


def test_a_refund_waiting_on_its_approval_books_no_cash_to_a_drawer_closed_meanwhile(
        terminal: Ctx, demo_events: list[str], open_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sold = _cash_sale(terminal, demo_events[0])
    other = open_ctx(terminal)
    closed: list[dict[str, Any]] = []
    monkeypatch.setattr("boxoffice.services.refunds.authorise", _then_close(authority.authorise, other, closed))
    out = refund(terminal, RefundRequest(sold["order"]["code"]))
    assert closed and closed[0]["cash"]["expected"] == 100_00 + 35_00  # the closed drawer's count stands
    back = [p for p in out["payments"] if p["tender"] == "cash"]
    assert back and all(p["shift_id"] is None for p in back)
    assert out["outside_shift"]
    alert = next(a for a in alerts.check(terminal) if a["code"] == "cash_outside_shift")
    assert sold["order"]["code"] in alert["orders"]


def test_an_exchange_paying_back_cash_books_none_to_a_drawer_closed_meanwhile(
        terminal: Ctx, demo_events: list[str], open_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sold = _cash_sale(terminal, demo_events[0])
    other = open_ctx(terminal)
    closed: list[dict[str, Any]] = []
    monkeypatch.setattr("boxoffice.services.exchanges.rf.authorise", _then_close(authority.authorise, other, closed))
    out = exchange(terminal, ExchangeRequest(sold["order"]["code"], section_id="standing"))
    assert closed and out["difference"] < 0
    assert [r for r in _shift_rows(terminal) if r[1] == "refund"] == [("cash", "refund", -out["difference"], None)]
    assert out["outside_shift"]


def test_a_desk_payment_books_no_cash_to_a_drawer_closed_meanwhile(
        terminal: Ctx, demo_events: tuple[str, str], login: Any, open_ctx: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    orders = seller_desk(terminal, demo_events, login)
    shifts.open_shift(terminal, 100_00)
    other = open_ctx(terminal)
    closed: list[dict[str, Any]] = []
    monkeypatch.setattr(desk_payment, "apply_tenders", _then_close(desk_payment.apply_tenders, other, closed))
    code = orders["anna"]["code"]
    out = desk_payment.pay_order(terminal, code, desk_payment.tenders("50", [], "GBP"))
    assert closed and [p["shift_id"] for p in out["payments"]] == [None] and out["outside_shift"]
    alert = next(a for a in alerts.check(terminal) if a["code"] == "cash_outside_shift")
    assert code in alert["orders"]
