"""A refund pays back what was paid for the ticket (its share of the order's tenders), never a price stored on the
ticket: a price raised in the database pays out nothing extra, and the audit names the order."""

from __future__ import annotations

from typing import Any

from boxoffice.domain.paid_share import paid_shares
from boxoffice.domain.tenders import Tender
from boxoffice.services.audit import priced_as_paid
from boxoffice.services.context import Ctx
from boxoffice.services.refunds import RefundRequest, refund
from boxoffice.services.sales import SaleRequest, sell


def _sold_and_repriced(terminal: Ctx, login: Any, gala: str, count: int = 1) -> dict[str, Any]:
    """Adults standing at 22.50 each, by card; then the first ticket's price raised to 3,500.00 behind the tool."""
    login(terminal, "sue")
    sale = sell(terminal, SaleRequest(gala, "standing", {"adult": count}, [Tender("card", None, card_last4="4242")]))
    terminal.conn.execute("UPDATE tickets SET price = 350000 WHERE id = ?", (sale["tickets"][0]["id"],))
    terminal.conn.commit()
    return sale


def test_a_raised_price_is_not_paid_out_and_the_audit_names_it(cli: Any, terminal: Ctx, login: Any,
                                                                demo_events: tuple[str, str]) -> None:
    sale = _sold_and_repriced(terminal, login, demo_events[0])
    code = sale["order"]["code"]
    audit = cli("audit", "verify", "--json", db=terminal, pin="1234")
    assert audit.exit_code == 9
    assert code in audit.stderr + audit.stdout
    out = cli("refund", code, "--yes", "--json", db=terminal, pin="2222")
    assert out.exit_code == 0, out.output
    assert out.json()["amount"] == "22.50" and out.json()["to"] == "Card ****4242 22.50"


def test_the_service_refunds_the_tenders_share(terminal: Ctx, login: Any, demo_events: tuple[str, str]) -> None:
    sale = _sold_and_repriced(terminal, login, demo_events[0], count=2)
    assert [p["problem"] for p in priced_as_paid(terminal)][0].startswith(f"order {sale['order']['code']}:")
    done = refund(terminal, RefundRequest(code=sale["order"]["code"], reason="customer_request"))
    assert done["amount"] == 4500  # both tickets: what the card paid, however the prices were changed
    assert sum(p["amount"] for p in done["payments"]) == 4500


def test_honest_prices_are_each_tickets_share() -> None:
    assert paid_shares(9000, [("a", 3500), ("b", 3500), ("c", 2000)]) == {"a": 3500, "b": 3500, "c": 2000}
    shares = paid_shares(2250, [("a", 350000), ("b", 2250)])
    assert shares["a"] <= 2250 and sum(shares.values()) <= 2250


def test_an_exchange_credits_what_was_paid(cli: Any, terminal: Ctx, login: Any,
                                           demo_events: tuple[str, str]) -> None:
    sale = _sold_and_repriced(terminal, login, demo_events[0])
    out = cli("exchange", sale["order"]["code"], "--section", "stalls", "--type", "adult=1", "--card", "4242",
              "--yes", "--json", db=terminal, pin="2222")
    assert out.exit_code == 0, out.output
    assert out.json()["difference"] == "12.50"  # credited 22.50, not 3,500.00: the stalls seat costs 12.50 more
