"""`boxoffice audit log`: who did what and when, filtered by operator, kind and a time window in venue time."""

from __future__ import annotations

from typing import Any

import pytest

from boxoffice.domain.tenders import Tender
from boxoffice.services import shifts
from boxoffice.services.context import Ctx
from boxoffice.services.refunds import RefundRequest, refund
from boxoffice.services.sales import SaleRequest, sell


@pytest.fixture
def evening(terminal: Ctx, clock: Any, login: Any, demo_events: tuple[str, str]) -> dict[str, Any]:
    """10:00 sam opens a shift and sells; 11:00 sam refunds; 12:00 sue cashes out; then sue is at the terminal."""
    login(terminal, "sam")
    shifts.open_shift(terminal, 10000)
    order = sell(terminal, SaleRequest(demo_events[0], "standing", {"adult": 2}, [Tender("cash", 5000)]))
    clock.advance(hours=1)
    refund(terminal, RefundRequest(order["order"]["code"], reason="duplicate"))
    clock.advance(hours=1)
    login(terminal, "sue")
    shifts.open_shift(terminal, 2000)
    shifts.cash_move(terminal, "out", 1500, "to the safe")
    return order


def test_the_log_says_who_did_what(cli: Any, terminal: Ctx, evening: dict) -> None:
    out = cli("audit", "log", db=terminal)
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    sale = next(x for x in lines if " sale " in x)
    assert "sam" in sale and f"order {evening['order']['code']}: 2 ticket(s), 45.00" in sale
    assert any("refund 45.00 (fee 0.00) of 2 ticket(s), reason duplicate" in x and "sam" in x for x in lines)
    assert any("cash out 15.00: to the safe" in x and "sue" in x for x in lines)
    assert any("Tue 1 Dec 2026 11:00:00" in x and "refund" in x for x in lines)  # venue time (London = UTC now)


def test_filter_by_kind_operator_and_time(cli: Any, terminal: Ctx, evening: dict) -> None:
    def kinds(*args: str) -> list[str]:
        out = cli("audit", "log", *args, "--json", db=terminal)
        assert out.exit_code == 0, out.output
        return [e["kind"] for e in out.json()]

    assert kinds("--kind", "refund") == ["refund"]
    assert kinds("--kind", "shift") == ["shift.open", "shift.open"]
    assert set(kinds("--operator", "sue")) == {"operator.login", "shift.open", "cash.out"}
    assert "refund" in kinds("--operator", "sam") and "cash.out" not in kinds("--operator", "sam")
    assert kinds("--since", "2026-12-01T10:30", "--until", "2026-12-01T11:30") == ["refund"]
    assert kinds("--since", "2026-12-01T11:00", "--until", "2026-12-01T11:00") == []
    assert kinds("--since", "2026-12-01T11:00", "--kind", "cash") == ["cash.out"]
    assert len(kinds("--limit", "2")) == 2


def test_json_entries_carry_seq_time_and_operator(cli: Any, terminal: Ctx, evening: dict) -> None:
    entries = cli("audit", "log", "--kind", "refund", "--json", db=terminal).json()
    assert entries[0]["operator"] == "sam" and entries[0]["at"] == "2026-12-01T11:00:00.000000Z"
    assert isinstance(entries[0]["seq"], int) and entries[0]["id"]


def test_unknown_operator_and_bad_time(cli: Any, terminal: Ctx, evening: dict) -> None:
    assert cli("audit", "log", "--operator", "nobody", db=terminal).exit_code == 3
    bad = cli("audit", "log", "--since", "yesterday", db=terminal)
    assert bad.exit_code == 2 and "not a date" in bad.stderr


def test_only_supervisors_and_admins_read_the_audit(cli: Any, terminal: Ctx, evening: dict, login: Any) -> None:
    login(terminal, "sam")
    for args in (("audit", "log"), ("audit", "verify")):
        out = cli(*args, db=terminal)
        assert out.exit_code == 5 and "ask a supervisor or admin" in out.stderr
