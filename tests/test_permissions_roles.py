"""Each role refused what it may not do, through the CLI as staff meet it: exit status 5, nothing changed, and a
message naming the role that may."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from boxoffice.domain.tenders import Tender
from boxoffice.services.context import Ctx
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store.db import rows

SELLERS = "seller or supervisor or admin"
SUPERVISORS = "supervisor or admin"
SHIFT_ROLES = "seller or pickup or supervisor or admin"


@pytest.fixture
def order(terminal: Ctx, demo_events: tuple[str, str]) -> dict[str, Any]:
    """An order sold by ada (admin), for the others to try things on."""
    return sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 2}, [Tender("cash", 10000)]))


def commands(order: dict[str, Any], gala: str) -> dict[str, list[str]]:
    code = order["order"]["code"]
    return {
        "sell": ["sell", gala, "--section", "standing", "--type", "adult=1", "--cash", "30"],
        "refund": ["refund", code, "--yes"],
        "exchange": ["exchange", code, "--section", "standing", "--yes"],
        "shift open": ["shift", "open", "--float", "100"],
        "shift open, no float": ["shift", "open", "--float", "0"],
        "cash in": ["shift", "cash-in", "10", "--reason", "change"],
        "drawer": ["drawer", "open"],
        "audit log": ["audit", "log"],
        "audit verify": ["audit", "verify"],
        "comp": ["sell", gala, "--section", "stalls", "--type", "comp=1", "--comp", "press night"],
        "someone's shift": ["shift", "status", "--operator", "ada"],
    }


def state(ctx: Ctx) -> list[Any]:
    return [rows(ctx.conn, f"SELECT * FROM {t} ORDER BY rowid") for t in
            ("orders", "tickets", "payments", "refunds", "exchanges", "shifts", "cash_movements", "print_jobs")]


@pytest.mark.parametrize(("who", "action", "needed"), [
    # a pickup volunteer hands out orders: no selling, no refunds, no cash
    ("pat", "sell", SELLERS), ("pat", "refund", SELLERS), ("pat", "exchange", SELLERS),
    ("pat", "shift open", "seller or supervisor or admin"), ("pat", "cash in", SELLERS), ("pat", "drawer", SELLERS),
    ("pat", "audit log", SUPERVISORS),
    # door staff scan and nothing else
    ("dan", "sell", SELLERS), ("dan", "refund", SELLERS), ("dan", "exchange", SELLERS),
    ("dan", "shift open, no float", SHIFT_ROLES), ("dan", "cash in", SELLERS), ("dan", "drawer", SELLERS),
    ("dan", "audit verify", SUPERVISORS), ("dan", "comp", SELLERS),
    # a seller sells and refunds within the limit, but no comps, no audit, no one else's drawer
    ("sam", "comp", "supervisor"), ("sam", "audit log", SUPERVISORS), ("sam", "audit verify", SUPERVISORS),
    ("sam", "someone's shift", SUPERVISORS),
])
def test_each_role_is_refused_with_the_role_needed(cli: Any, terminal: Ctx, login: Any, order: dict,
                                                   demo_events: tuple[str, str], who: str, action: str,
                                                   needed: str) -> None:
    if action == "someone's shift":
        from boxoffice.services.shifts import open_shift

        open_shift(terminal, 0)  # ada's shift, for sam to try to read
    login(terminal, who)
    before = state(terminal)
    out = cli(*commands(order, demo_events[0])[action], db=terminal)
    assert out.exit_code == 5, out.output
    assert who in out.stderr and needed in out.stderr, out.stderr
    assert "Traceback" not in out.output
    assert state(terminal) == before


def test_a_seller_cannot_refund_above_the_limit_but_can_below(cli: Any, terminal: Ctx, login: Any,
                                                              demo_events: tuple[str, str]) -> None:
    big = sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 3}, [Tender("card", None, "4242")]))
    small = sell(terminal, SaleRequest(demo_events[0], "stalls", {"adult": 2}, [Tender("card", None, "4242")]))
    login(terminal, "sam")
    refused = cli("refund", big["order"]["code"], "--yes", db=terminal)
    assert refused.exit_code == 5 and "above the refund limit" in refused.stderr and SUPERVISORS in refused.stderr
    assert cli("refund", small["order"]["code"], "--yes", db=terminal).exit_code == 0


def test_door_staff_can_scan(cli: Any, terminal: Ctx, login: Any, clock: Any, order: dict,
                             demo_events: tuple[str, str]) -> None:
    clock.set(datetime(2026, 12, 8, 19, 0, tzinfo=UTC))
    login(terminal, "dan")
    out = cli("scan", "check", "--event", demo_events[0], db=terminal, input=order["tickets"][0]["token"] + "\n")
    assert out.exit_code == 0 and "ADMIT" in out.stdout
    assert cli("ticket", "verify", order["tickets"][1]["token"], db=terminal).exit_code == 0


def test_a_pickup_volunteer_may_open_a_shift_without_cash(cli: Any, terminal: Ctx, login: Any) -> None:
    login(terminal, "pat")
    out = cli("shift", "open", "--float", "0", db=terminal)
    assert out.exit_code == 0, out.output


def test_nobody_logged_in_is_told_to_log_in(cli: Any, terminal: Ctx, order: dict, demo_events: tuple[str, str]
                                            ) -> None:
    cli("logout", db=terminal)
    for action, argv in commands(order, demo_events[0]).items():
        out = cli(*argv, db=terminal)
        assert out.exit_code == 5 and "boxoffice login" in out.stderr, action
