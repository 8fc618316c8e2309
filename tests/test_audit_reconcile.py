"""`boxoffice audit verify` holds tickets, revocations, pickups and operators against the journal too: a row added,
deleted or changed by hand in any of them is named in one clear line, and the command exits 9."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pickup_fixtures import Central, Seat, setup_desk, web_order

from boxoffice.domain.tenders import Tender
from boxoffice.services.context import Ctx
from boxoffice.services.pickup import pick_up
from boxoffice.services.refunds import RefundRequest, refund
from boxoffice.services.sales import SaleRequest, sell

AUDIT_FAILED = 9


@pytest.fixture
def worked(terminal: Ctx, login: Any) -> Iterator[dict[str, Any]]:
    """A terminal where ada sold two tickets, refunded one and handed out a web order, and sue is logged in; its
    database closed, to be tampered with."""
    gala = terminal.conn.execute("SELECT id FROM events ORDER BY starts_at").fetchone()[0]
    login(terminal, "ada")
    web_shop = Central.make()
    web = web_order(web_shop, gala, "Anna Smith", [Seat("standing", price="22.50")])
    setup_desk(terminal, web_shop, {"anna": web})
    a = sell(terminal, SaleRequest(gala, "stalls", {"adult": 2}, [Tender("cash", 10000)], print_receipt=False))
    refund(terminal, RefundRequest(a["order"]["code"], tickets=[a["tickets"][0]["id"]]))
    pick_up(terminal, web["code"], print_now=False)
    login(terminal, "sue")
    terminal.close()
    yield {"db": terminal.config.db_path, "refunded": a["tickets"][0]["id"], "kept": a["tickets"][1]["id"],
           "picked": web["tickets"][0]["id"]}


def by_hand(db: Path, *statements: tuple[str, tuple]) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        for sql, params in statements:
            conn.execute(sql, params)
    finally:
        conn.close()


def failed(cli: Any, db: Path) -> str:
    out = cli("audit", "verify", db=db)
    assert out.exit_code == AUDIT_FAILED, out.output
    return out.stdout


def test_the_worked_terminal_is_intact(worked: dict[str, Any], cli: Any) -> None:
    out = cli("audit", "verify", db=worked["db"])
    assert out.exit_code == 0, out.output


def test_a_ticket_added_by_hand_has_no_sale(worked: dict[str, Any], cli: Any) -> None:
    by_hand(worked["db"], ("INSERT INTO tickets (id, order_id, event_id, section_id, row, seat, ticket_type_id, price,"
                           " tax, token, status) SELECT 'forged-ticket', order_id, event_id, section_id, row, seat,"
                           " ticket_type_id, price, tax, 'forged-token', 'valid' FROM tickets WHERE id = ?",
                           (worked["kept"],)))
    assert "tickets row forged-ticket (order" in failed(cli, worked["db"])
    assert "has no sale entry" in failed(cli, worked["db"])


def test_a_ticket_repriced_by_hand_is_a_mismatch(worked: dict[str, Any], cli: Any) -> None:
    by_hand(worked["db"], ("UPDATE tickets SET price = 1 WHERE id = ?", (worked["kept"],)))
    assert f"tickets row {worked['kept']}: price is 1 but entry" in failed(cli, worked["db"])


def test_a_revocation_deleted_would_readmit_a_refunded_ticket(worked: dict[str, Any], cli: Any) -> None:
    by_hand(worked["db"], ("DELETE FROM revocations WHERE ticket_id = ?", (worked["refunded"],)),
            ("UPDATE tickets SET status = 'valid' WHERE id = ?", (worked["refunded"],)))
    out = failed(cli, worked["db"])
    assert f"ticket {worked['refunded']} was refunded at entry" in out
    assert "is not on the revocation list: the door would admit it" in out
    assert f"tickets row {worked['refunded']} is valid but entry" in out


def test_a_pickup_deleted_would_hand_the_ticket_out_again(worked: dict[str, Any], cli: Any) -> None:
    by_hand(worked["db"], ("DELETE FROM pickups WHERE ticket_id = ?", (worked["picked"],)),
            ("UPDATE tickets SET picked_up_at = NULL, picked_up_by = NULL WHERE id = ?", (worked["picked"],)))
    out = failed(cli, worked["db"])
    assert f"of ticket {worked['picked']} at entry" in out
    assert "is not in the pickups table: the ticket could be handed out again" in out


def test_an_operator_promoted_by_hand_is_a_mismatch(worked: dict[str, Any], cli: Any) -> None:
    by_hand(worked["db"], ("UPDATE operators SET role = 'admin' WHERE name = 'sam'", ()))
    out = cli("audit", "verify", "--json", db=worked["db"])
    assert out.exit_code == AUDIT_FAILED
    breaks = out.json()["error"]["details"]["breaks"]
    assert [b["problem"].split(" (entry")[0] for b in breaks] == \
        ["operators row sam: role is 'admin' but the journal says 'seller'"]


def test_an_operator_added_by_hand_has_no_entry(worked: dict[str, Any], cli: Any) -> None:
    by_hand(worked["db"], ("INSERT INTO operators (id, name, role, pin_hash, created_at) SELECT 'op-x', 'mallory',"
                           " 'admin', pin_hash, created_at FROM operators WHERE name = 'ada'", ()))
    assert "operators row mallory has no operator.add entry: added by hand" in failed(cli, worked["db"])


def test_cash_taken_at_the_desk_for_a_web_order_is_held_against_its_entry(terminal: Ctx, login: Any,
                                                                            cli: Any) -> None:
    """Money a seller took at the desk for an unpaid web order is this terminal's to answer for: a cash row made a
    card one by hand (the drawer then expects less, and the cash is pocketed) fails the audit, as a sale's would."""
    from boxoffice.services import shifts
    from boxoffice.services.desk_payment import pay_order

    gala = terminal.conn.execute("SELECT id FROM events ORDER BY starts_at").fetchone()[0]
    web_shop = Central.make()
    web = web_order(web_shop, gala, "Anna Smith", [Seat("standing", price="22.50")], status="unpaid")
    setup_desk(terminal, web_shop, {"anna": web})
    login(terminal, "sam")
    shifts.open_shift(terminal, 100_00)
    paid = pay_order(terminal, web["code"], [Tender("cash", 50_00)])
    login(terminal, "sue")
    terminal.close()
    assert cli("audit", "verify", db=terminal.config.db_path).exit_code == 0
    by_hand(terminal.config.db_path, ("UPDATE payments SET tender = 'card', card_last4 = '4242' WHERE id = ?",
                                      (paid["payments"][0]["id"],)))
    out = failed(cli, terminal.config.db_path)
    assert f"payments row {paid['payments'][0]['id']}" in out and "'cash'" in out
