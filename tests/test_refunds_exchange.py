"""Exchanges through the services: up and down in price, to another event, same seats with another type, and the
refusals that must leave the old tickets exactly as they were."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.services.exchanges import ExchangeRequest, exchange, preview
from boxoffice.services.operators import login
from boxoffice.services.refunds import RefundRequest, refund
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.services.tickets import verify
from boxoffice.store.db import one, rows

GALA_START = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)


@pytest.fixture
def seller(terminal: Ctx) -> Ctx:
    login(terminal, "sam", "1111")
    return terminal


def sale(ctx: Ctx, event: str, section: str = "stalls", counts: dict[str, int] | None = None,
         tenders: list[Tender] | None = None, seats: list[str] | None = None) -> dict[str, Any]:
    return sell(ctx, SaleRequest(event, section, counts or {"adult": 2}, tenders or [Tender("cash", 10000)],
                                 seats=seats))


def standing_sold(ctx: Ctx, event: str) -> int:
    return one(ctx.conn, "SELECT sold FROM sections WHERE event_id = ? AND id = 'standing'", (event,))["sold"]


def state(ctx: Ctx) -> dict[str, list[dict]]:
    return {t: rows(ctx.conn, f"SELECT * FROM {t} ORDER BY rowid") for t in
            ("tickets", "orders", "payments", "revocations", "exchanges", "journal", "seats", "sections")}


def test_exchange_up_in_price_is_paid_and_swaps_the_tickets(seller: Ctx, demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    old = sale(seller, gala, section="standing", tenders=[Tender("cash", 5000)])  # 2 x 22.50
    before = standing_sold(seller, gala)
    p = preview(seller, ExchangeRequest(old["order"]["code"], section_id="stalls", seats=["F10", "F11"]))
    assert (p["credit"], p["new_total"], p["difference"], p["settle"]) == ("45.00", "70.00", 2500,
                                                                          "customer pays 25.00")
    out = exchange(seller, ExchangeRequest(old["order"]["code"], section_id="stalls", seats=["F10", "F11"],
                                           tenders=[Tender("card", None, card_last4="4242")]))
    assert out["difference"] == 2500
    assert [(p["tender"], p["amount"], p["card_last4"]) for p in out["payments"]] == [("card", 2500, "4242")]
    assert out["refunds"] == []
    assert sorted(f"{t['row']}{t['seat']}" for t in out["tickets"]) == ["F10", "F11"]
    assert standing_sold(seller, gala) == before - 2
    for t in old["tickets"]:
        assert one(seller.conn, "SELECT status FROM tickets WHERE id = ?", (t["id"],))["status"] == "exchanged"
        with pytest.raises(BoxOfficeError) as err:
            verify(seller, t["token"])
        assert err.value.code == "revoked"
    for t in out["tickets"]:
        assert verify(seller, t["token"])["valid"]
    new = one(seller.conn, "SELECT * FROM orders WHERE id = ?", (out["order"]["id"],))
    assert (new["total"], new["status"], new["notes"]) == (7000, "paid", f"exchange of {old['order']['code']}")
    x = one(seller.conn, "SELECT * FROM exchanges")
    assert (x["credit"], x["new_total"], x["difference"], x["override"]) == (4500, 7000, 2500, 0)


def test_exchange_down_in_price_refunds_the_difference_to_the_original_tenders(seller: Ctx,
                                                                               demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    old = sale(seller, gala, seats=["F10", "F11"], tenders=[Tender("card", 5000, card_last4="4242"),
                                                            Tender("cash", 2000)])
    out = exchange(seller, ExchangeRequest(old["order"]["code"], section_id="standing"))
    assert out["difference"] == -2500 and out["payments"] == []
    assert [(r["tender"], r["amount"], r["card_last4"], r["order_id"]) for r in out["refunds"]] == \
        [("card", 2500, "4242", old["order"]["id"])]
    assert {r["label"]: r["status"] for r in rows(seller.conn, "SELECT label, status FROM seats WHERE event_id = ?"
                                                               " AND label IN ('F10', 'F11')", (gala,))} == \
        {"F10": "free", "F11": "free"}
    # refunding the new order later draws on the old order's tenders, which paid for it
    back = refund(seller, RefundRequest(out["order"]["code"]))
    assert [(p["tender"], p["amount"]) for p in back["payments"]] == [("card", 2500), ("cash", 2000)]
    refunded = one(seller.conn, "SELECT sum(amount) AS n FROM payments WHERE kind = 'refund'")["n"]
    assert refunded == 7000  # all that was paid, and no more


def test_exchange_to_another_event(seller: Ctx, demo_events: tuple[str, str]) -> None:
    gala, jazz = demo_events
    old = sale(seller, gala, counts={"adult": 1, "child": 1}, tenders=[Tender("cash", 5000)])
    out = exchange(seller, ExchangeRequest(old["order"]["code"], event_id=jazz, section_id="stalls"))
    assert out["order"]["event_id"] == jazz and out["difference"] == 0
    assert sorted(t["ticket_type_id"] for t in out["tickets"]) == ["adult", "child"]
    assert all(verify(seller, t["token"])["claims"]["event_id"] == jazz for t in out["tickets"])


def test_same_seat_another_ticket_type(seller: Ctx, demo_events: tuple[str, str]) -> None:
    old = sale(seller, demo_events[0], counts={"adult": 1}, seats=["F10"], tenders=[Tender("cash", 3500)])
    out = exchange(seller, ExchangeRequest(old["order"]["code"], seats=["F10"], counts={"child": 1}))
    assert out["difference"] == 1500 - 3500
    assert [(r["tender"], r["amount"]) for r in out["refunds"]] == [("cash", 2000)]
    seat = one(seller.conn, "SELECT status, ticket_id FROM seats WHERE event_id = ? AND label = 'F10'",
               (demo_events[0],))
    assert seat == {"status": "sold", "ticket_id": out["tickets"][0]["id"]}


def test_one_ticket_of_an_order(seller: Ctx, demo_events: tuple[str, str]) -> None:
    old = sale(seller, demo_events[0], seats=["F10", "F11"])
    out = exchange(seller, ExchangeRequest(old["order"]["code"], tickets=["F11"], seats=["G11"]))
    statuses = {t["id"]: t["status"] for t in rows(seller.conn, "SELECT id, status FROM tickets WHERE order_id = ?",
                                                   (old["order"]["id"],))}
    assert sorted(statuses.values()) == ["exchanged", "valid"]
    assert [f"{t['row']}{t['seat']}" for t in out["tickets"]] == ["G11"]


@pytest.mark.parametrize(("req", "code"), [
    ({"section_id": "stalls", "seats": ["F10", "F11"]}, "insufficient_payment"),
    ({"section_id": "stalls", "seats": ["F10", "F11"], "tenders": [Tender("comp", reason="x")]}, "bad_input"),
    ({"section_id": "stalls", "seats": ["A12", "A13"], "tenders": [Tender("cash", 5000)]}, "seat_unavailable"),
    ({"event_id": "nope", "section_id": "stalls"}, "not_found"),
])
def test_refused_exchanges_change_nothing(seller: Ctx, demo_events: tuple[str, str], req: dict, code: str) -> None:
    gala = demo_events[0]
    sale(seller, gala, seats=["A12", "A13"])  # someone else has A12 and A13
    old = sale(seller, gala, section="standing", tenders=[Tender("cash", 5000)])
    before = state(seller)
    with pytest.raises(BoxOfficeError) as err:
        exchange(seller, ExchangeRequest(old["order"]["code"], **req))
    assert err.value.code == code
    assert state(seller) == before


def test_tenders_for_a_cheaper_exchange_are_refused(seller: Ctx, demo_events: tuple[str, str]) -> None:
    old = sale(seller, demo_events[0])
    with pytest.raises(BoxOfficeError) as err:
        exchange(seller, ExchangeRequest(old["order"]["code"], section_id="standing", tenders=[Tender("cash", 100)]))
    assert err.value.code == "bad_input" and "nothing is due" in err.value.message


def test_refunded_or_exchanged_tickets_cannot_be_exchanged(seller: Ctx, demo_events: tuple[str, str]) -> None:
    old = sale(seller, demo_events[0], seats=["F10", "F11"])
    code = old["order"]["code"]
    refund(seller, RefundRequest(code, tickets=["F10"]))
    with pytest.raises(BoxOfficeError) as err:
        exchange(seller, ExchangeRequest(code, tickets=["F10"], seats=["G10"]))
    assert err.value.code == "already_refunded"
    new = exchange(seller, ExchangeRequest(code, tickets=["F11"], seats=["G11"]))
    for again in (lambda: exchange(seller, ExchangeRequest(code, tickets=["F11"], seats=["H11"])),
                  lambda: refund(seller, RefundRequest(code, tickets=["F11"]))):
        with pytest.raises(BoxOfficeError) as err:
            again()
        assert err.value.code == "conflict" and new["order"]["code"] in err.value.message


def test_after_the_start_an_exchange_is_an_override(seller: Ctx, clock: Any, demo_events: tuple[str, str]) -> None:
    old = sale(seller, demo_events[0])
    clock.set(GALA_START)
    req = ExchangeRequest(old["order"]["code"], event_id=demo_events[1], section_id="stalls")
    with pytest.raises(BoxOfficeError) as err:
        exchange(seller, req)
    assert err.value.code == "not_refundable"
    req.supervisor = ("sue", "222222")
    out = exchange(seller, req)
    assert out["override"] and out["approved_by"] == "sue"
    assert one(seller.conn, "SELECT override_why FROM exchanges")["override_why"] == "outside_policy"


def test_exchange_prints_new_tickets_and_a_slip(seller: Ctx, demo_events: tuple[str, str]) -> None:
    import pypdfium2

    from boxoffice.services.printing import run_jobs

    old = sale(seller, demo_events[0], seats=["F10", "F11"])
    out = exchange(seller, ExchangeRequest(old["order"]["code"], section_id="standing"))
    results = run_jobs(seller, out["jobs"])
    assert [r["status"] for r in results] == ["printed", "printed"]
    tickets, slip = (pypdfium2.PdfDocument(r["to"]) for r in results)
    assert len(tickets) == 2
    text = slip[0].get_textpage().get_text_range()
    for expected in ("EXCHANGE", out["order"]["code"], old["order"]["code"], "Credit", "70.00", "45.00",
                     "REFUNDED", "25.00", "Customer signature"):
        assert expected in text, expected
