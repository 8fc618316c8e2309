"""Refunds through the services on a real terminal: policy tiers on the test clock, partial refunds, fees, tenders,
overrides, places back on sale, revoked tokens, the receipt, and nothing left half-done when refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.services.operators import login
from boxoffice.services.refunds import RefundRequest, preview, refund
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.store.db import one, rows

# The first demo event (the Winter Gala) starts a week and 9.5 hours after the test clock's T0, 19:30 London time.
GALA_START = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def hours_before(h: float) -> datetime:
    return GALA_START - timedelta(hours=h)


def sale(ctx: Ctx, event: str, section: str = "stalls", counts: dict[str, int] | None = None,
         tenders: list[Tender] | None = None, seats: list[str] | None = None) -> dict[str, Any]:
    return sell(ctx, SaleRequest(event, section, counts or {"adult": 2}, tenders or [Tender("cash", 10000)],
                                 seats=seats))


def snapshot(ctx: Ctx) -> dict[str, Any]:
    """Everything a refund touches, to show a refused refund changed nothing."""
    return {t: rows(ctx.conn, f"SELECT * FROM {t} ORDER BY rowid") for t in
            ("refunds", "refund_items", "payments", "revocations", "tickets", "orders", "journal")} | \
        {"seats": rows(ctx.conn, "SELECT label, status, ticket_id FROM seats WHERE status <> 'free' ORDER BY label"),
         "sections": rows(ctx.conn, "SELECT event_id, id, sold FROM sections ORDER BY event_id, id")}


@pytest.fixture
def seller(terminal: Ctx) -> Ctx:
    login(terminal, "sam", "1111")
    return terminal


@pytest.mark.parametrize(("when", "tier", "amount"), [
    (hours_before(177.5), 0, 7000),        # T0 itself: more than a week ahead
    (hours_before(168), 0, 7000),          # exactly a week before: still free
    (hours_before(168) + TICK, 1, 6300),   # a microsecond later: 10% of each 35.00
    (hours_before(48), 1, 6300),
    (hours_before(48) + TICK, 2, 6400),    # 3.00 a ticket
    (hours_before(4), 2, 6400),
])
def test_refund_in_each_tier_and_on_its_boundaries(seller: Ctx, clock: Any, demo_events: tuple[str, str],
                                                   when: datetime, tier: int, amount: int) -> None:
    order = sale(seller, demo_events[0])
    clock.set(when)
    out = refund(seller, RefundRequest(order["order"]["code"]))
    assert (out["amount"], out["refund"]["tier"], out["override"]) == (amount, tier, False)
    assert out["refund"]["fee"] == 7000 - amount
    items = rows(seller.conn, "SELECT price, fee, amount FROM refund_items")
    assert [(i["price"], i["fee"], i["amount"]) for i in items] == [(3500, (7000 - amount) // 2, amount // 2)] * 2
    assert sum(p["amount"] for p in out["payments"]) == amount


def test_after_the_last_tier_a_seller_is_refused_and_nothing_changes(seller: Ctx, clock: Any,
                                                                     demo_events: tuple[str, str]) -> None:
    code = sale(seller, demo_events[0])["order"]["code"]
    clock.set(hours_before(4) + TICK)
    before = snapshot(seller)
    with pytest.raises(BoxOfficeError) as err:
        refund(seller, RefundRequest(code))
    assert err.value.code == "not_refundable"
    assert "supervisor" in err.value.message and "outside the refund policy" in err.value.message
    assert snapshot(seller) == before


def test_a_supervisor_pin_overrides_the_policy_and_the_override_is_flagged(seller: Ctx, clock: Any,
                                                                           demo_events: tuple[str, str]) -> None:
    code = sale(seller, demo_events[0])["order"]["code"]
    clock.set(GALA_START + timedelta(minutes=5))  # after the start
    with pytest.raises(BoxOfficeError) as err:
        refund(seller, RefundRequest(code, supervisor=("sue", "9999")))
    assert err.value.code == "wrong_pin"
    assert one(seller.conn, "SELECT count(*) AS n FROM refunds")["n"] == 0
    out = refund(seller, RefundRequest(code, reason="cancelled", supervisor=("sue", "222222")))
    assert out["amount"] == 7000 and out["override"] and out["overrides"] == ["outside_policy"]
    row = one(seller.conn, "SELECT r.*, o.name AS approver FROM refunds r JOIN operators o ON o.id = r.approved_by")
    assert (row["override"], row["override_why"], row["approver"], row["reason_code"]) == \
        (1, "outside_policy", "sue", "cancelled")
    entry = one(seller.conn, "SELECT * FROM journal WHERE kind = 'refund'")
    payload = json.loads(entry["payload"])
    assert payload["refund"]["override"] == 1 and payload["refund"]["approved_by"] == row["approved_by"]
    assert entry["operator_id"] == row["operator_id"]  # the journal names who refunded; the row who approved


def test_a_seller_cannot_approve_an_override(seller: Ctx, clock: Any, demo_events: tuple[str, str]) -> None:
    code = sale(seller, demo_events[0])["order"]["code"]
    clock.set(GALA_START)
    with pytest.raises(BoxOfficeError) as err:
        refund(seller, RefundRequest(code, supervisor=("sam", "1111")))
    assert err.value.code == "permission_denied" and "supervisor or admin" in err.value.message


def test_a_supervisor_logged_in_overrides_without_a_second_pin_but_is_flagged(terminal: Ctx, clock: Any,
                                                                              demo_events: tuple[str, str]) -> None:
    login(terminal, "sue", "222222")
    code = sale(terminal, demo_events[0])["order"]["code"]
    clock.set(GALA_START)
    out = refund(terminal, RefundRequest(code))
    assert out["override"] and out["approved_by"] == "sue"


def test_above_the_limit_a_supervisor_is_needed(seller: Ctx, demo_events: tuple[str, str]) -> None:
    code = sale(seller, demo_events[0], counts={"adult": 3}, tenders=[Tender("cash", 20000)])["order"]["code"]
    p = preview(seller, code)
    assert (p["amount"], p["overrides"], p["needs_supervisor"]) == (10500, ["above_limit"], True)
    with pytest.raises(BoxOfficeError) as err:
        refund(seller, RefundRequest(code))
    assert err.value.code == "permission_denied"
    assert "above the refund limit" in err.value.message and "supervisor or admin" in err.value.message
    out = refund(seller, RefundRequest(code, supervisor=("sue", "222222")))
    assert (out["overrides"], out["approved_by"], out["amount"]) == (["above_limit"], "sue", 10500)


def test_exactly_the_limit_needs_no_supervisor(make_terminal: Any, demo_events: tuple[str, str]) -> None:
    ctx = make_terminal()
    ctx.config.values["refund_supervisor_above"] = "70.00"
    login(ctx, "sam", "1111")
    code = sale(ctx, demo_events[0])["order"]["code"]
    assert refund(ctx, RefundRequest(code))["override"] is False


def test_refunds_of_one_order_count_together_against_the_limit(make_terminal: Any,
                                                                 demo_events: tuple[str, str]) -> None:
    ctx = make_terminal()
    ctx.config.values["refund_supervisor_above"] = "50.00"
    login(ctx, "sam", "1111")
    order = sale(ctx, demo_events[0])  # two adults in the stalls: 70.00
    code, (one_seat, other) = order["order"]["code"], [f"{t['row']}{t['seat']}" for t in order["tickets"]]
    assert refund(ctx, RefundRequest(code, tickets=[one_seat]))["override"] is False  # 35.00
    p = preview(ctx, code, tickets=[other])
    assert (p["overrides"], p["needs_supervisor"]) == (["above_limit"], True)  # 35.00 more: 70.00 back
    with pytest.raises(BoxOfficeError) as err:
        refund(ctx, RefundRequest(code, tickets=[other]))
    assert err.value.code == "permission_denied"


def test_partial_refunds_then_the_rest(seller: Ctx, demo_events: tuple[str, str]) -> None:
    order = sale(seller, demo_events[0], counts={"adult": 2, "child": 1}, tenders=[Tender("cash", 10000)])
    code = order["order"]["code"]
    child = next(t for t in order["tickets"] if t["ticket_type_id"] == "child")
    out = refund(seller, RefundRequest(code, tickets=[f"{child['row']}{child['seat']}"]))
    assert out["amount"] == 1500 and [i["ticket_id"] for i in out["items"]] == [child["id"]]
    status = {r["id"]: r["status"] for r in rows(seller.conn, "SELECT id, status FROM tickets")}
    assert status[child["id"]] == "refunded" and list(status.values()).count("valid") == 2
    assert one(seller.conn, "SELECT status FROM orders")["status"] == "part_refunded"
    rest = refund(seller, RefundRequest(code))  # no tickets named: every valid ticket left
    assert rest["amount"] == 7000 and len(rest["items"]) == 2
    assert one(seller.conn, "SELECT status FROM orders")["status"] == "refunded"


def test_tickets_are_named_by_seat_id_or_id_ending(seller: Ctx, demo_events: tuple[str, str]) -> None:
    order = sale(seller, demo_events[0], counts={"adult": 3}, tenders=[Tender("cash", 20000)])
    code, (a, b, c) = order["order"]["code"], order["tickets"]
    out = refund(seller, RefundRequest(code, tickets=[a["id"], b["id"][-6:]]))
    assert {i["ticket_id"] for i in out["items"]} == {a["id"], b["id"]}
    with pytest.raises(BoxOfficeError) as err:
        refund(seller, RefundRequest(code, tickets=["Z99"]))
    assert err.value.code == "not_found" and f"{c['row']}{c['seat']}" in err.value.message


def test_a_second_refund_of_a_ticket_is_refused(seller: Ctx, demo_events: tuple[str, str]) -> None:
    order = sale(seller, demo_events[0])
    code, first = order["order"]["code"], order["tickets"][0]
    label = f"{first['row']}{first['seat']}"
    refund(seller, RefundRequest(code, tickets=[label]))
    before = snapshot(seller)
    for again in ([label], [first["id"]]):
        with pytest.raises(BoxOfficeError) as err:
            refund(seller, RefundRequest(code, tickets=again))
        assert err.value.code == "already_refunded" and label in err.value.message
    refund(seller, RefundRequest(code))  # the other ticket still refunds
    with pytest.raises(BoxOfficeError) as err:
        refund(seller, RefundRequest(code))
    assert err.value.code == "already_refunded"
    after = snapshot(seller)
    assert len(after["refunds"]) == 2 and before["refunds"] == after["refunds"][:1]


def test_the_database_itself_refuses_a_ticket_in_two_refunds(seller: Ctx, demo_events: tuple[str, str]) -> None:
    import sqlite3

    order = sale(seller, demo_events[0])
    refund(seller, RefundRequest(order["order"]["code"]))
    rid = one(seller.conn, "SELECT id FROM refunds")["id"]
    with pytest.raises(sqlite3.IntegrityError):
        seller.conn.execute("INSERT INTO refund_items VALUES (?, ?, 3500, 0, 3500)", (rid, order["tickets"][0]["id"]))


def test_money_goes_back_to_cards_first_then_cash(seller: Ctx, demo_events: tuple[str, str]) -> None:
    order = sale(seller, demo_events[0], tenders=[Tender("card", 4000, card_last4="4242"), Tender("cash", 5000)])
    code, (a, b) = order["order"]["code"], order["tickets"]
    first = refund(seller, RefundRequest(code, tickets=[a["id"]]))
    assert [(p["tender"], p["amount"], p["card_last4"]) for p in first["payments"]] == [("card", 3500, "4242")]
    second = refund(seller, RefundRequest(code, tickets=[b["id"]]))
    assert [(p["tender"], p["amount"], p["card_last4"]) for p in second["payments"]] == \
        [("card", 500, "4242"), ("cash", 3000, None)]
    paid = {p["tender"]: p["id"] for p in order["payments"]}
    back = rows(seller.conn, "SELECT tender, reference, sum(amount) AS n FROM payments WHERE kind = 'refund'"
                             " GROUP BY tender, reference ORDER BY tender")
    assert [(r["tender"], r["reference"], r["n"]) for r in back] == [("card", paid["card"], 4000),
                                                                      ("cash", paid["cash"], 3000)]


def test_two_cards_each_get_back_what_they_paid(seller: Ctx, demo_events: tuple[str, str]) -> None:
    order = sale(seller, demo_events[0], counts={"adult": 2},
                 tenders=[Tender("card", 3000, card_last4="1111"), Tender("card", None, card_last4="2222")])
    out = refund(seller, RefundRequest(order["order"]["code"]))
    got = sorted((p["card_last4"], p["amount"]) for p in out["payments"])
    assert got == [("1111", 3000), ("2222", 4000)]


def test_refunded_places_go_back_on_sale(seller: Ctx, demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    seated = sale(seller, gala, seats=["F10", "F11"])
    standing = sale(seller, gala, section="standing", counts={"adult": 3}, tenders=[Tender("cash", 10000)])
    sold = one(seller.conn, "SELECT sold FROM sections WHERE event_id = ? AND id = 'standing'", (gala,))["sold"]
    refund(seller, RefundRequest(seated["order"]["code"], tickets=["F10"]))
    refund(seller, RefundRequest(standing["order"]["code"]))
    seats = {r["label"]: (r["status"], r["ticket_id"]) for r in
             rows(seller.conn, "SELECT label, status, ticket_id FROM seats WHERE label IN ('F10', 'F11')"
                               " AND event_id = ?", (gala,))}
    assert seats["F10"] == ("free", None) and seats["F11"][0] == "sold"
    assert one(seller.conn, "SELECT sold FROM sections WHERE event_id = ? AND id = 'standing'",
               (gala,))["sold"] == sold - 3
    again = sale(seller, gala, counts={"adult": 1}, seats=["F10"], tenders=[Tender("cash", 5000)])
    assert again["tickets"][0]["seat"] == "10"


def test_a_refunded_ticket_is_revoked_at_once(seller: Ctx, demo_events: tuple[str, str]) -> None:
    from boxoffice.services.tickets import verify

    order = sale(seller, demo_events[0])
    keep, gone = order["tickets"]
    refund(seller, RefundRequest(order["order"]["code"], tickets=[gone["id"]]))
    assert verify(seller, keep["token"])["valid"]
    with pytest.raises(BoxOfficeError) as err:
        verify(seller, gone["token"])
    assert err.value.code == "revoked"
    assert one(seller.conn, "SELECT reason FROM revocations WHERE ticket_id = ?", (gone["id"],))["reason"] == \
        "refunded"


def test_reason_codes(seller: Ctx, demo_events: tuple[str, str]) -> None:
    code = sale(seller, demo_events[0])["order"]["code"]
    for bad, word in ((RefundRequest(code, reason="changed_mind"), "cancelled, customer_request"),
                      (RefundRequest(code, reason="other"), "--note")):
        with pytest.raises(BoxOfficeError) as err:
            refund(seller, bad)
        assert err.value.code == "bad_input" and word in err.value.message
    out = refund(seller, RefundRequest(code, reason="other", note="double booking by phone"))
    assert (out["refund"]["reason_code"], out["refund"]["note"]) == ("other", "double booking by phone")


def test_a_confirmed_amount_that_is_no_longer_right_refunds_nothing(seller: Ctx, clock: Any,
                                                                   demo_events: tuple[str, str]) -> None:
    code = sale(seller, demo_events[0])["order"]["code"]
    clock.set(hours_before(168))
    shown = preview(seller, code)["amount"]
    clock.advance(seconds=1)  # the operator took a second to say yes: the tier changed
    with pytest.raises(BoxOfficeError) as err:
        refund(seller, RefundRequest(code, expect_amount=shown))
    assert err.value.code == "conflict" and "63.00" in err.value.message
    assert one(seller.conn, "SELECT count(*) AS n FROM refunds")["n"] == 0


def test_the_receipt_says_what_was_refunded_and_has_a_signature_line(seller: Ctx, clock: Any,
                                                                     demo_events: tuple[str, str]) -> None:
    import pypdfium2

    from boxoffice.services.printing import run_jobs

    order = sale(seller, demo_events[0], tenders=[Tender("card", 4000, card_last4="4242"), Tender("cash", 5000)])
    clock.set(hours_before(100))
    out = refund(seller, RefundRequest(order["order"]["code"], reason="wrong_tickets"))
    results = run_jobs(seller, out["jobs"])
    assert [r["status"] for r in results] == ["printed"]
    pdf = pypdfium2.PdfDocument(results[0]["to"])
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    for expected in ("REFUND", order["order"]["code"], "REFUNDED", "63.00", "fee kept", "-3.50",
                     "To Card ****4242 40.00", "To Cash 23.00", "wrong tickets", "Customer signature",
                     "Refunded by sam"):
        assert expected in text, expected


def test_a_web_order_needs_the_central_service_or_a_flagged_override(seller: Ctx, terminal: Ctx,
                                                                     demo_events: tuple[str, str]) -> None:
    from pickup_fixtures import Central, Seat, orders_doc, web_order

    from boxoffice.services.web_orders import import_keys, import_orders

    gala = demo_events[0]
    login(terminal, "ada", "123456")
    central = Central.make()
    import_keys(terminal, central.keys_doc())
    web = web_order(central, gala, "Web Customer", [Seat("standing", price="22.50")])
    import_orders(terminal, orders_doc([web]))
    login(terminal, "sam", "1111")
    sold_before = one(terminal.conn, "SELECT sold FROM sections WHERE event_id = ? AND id = 'standing'", (gala,))
    with pytest.raises(BoxOfficeError) as err:
        refund(terminal, RefundRequest(web["code"]))
    assert err.value.code == "central_unreachable" and "--supervisor" in err.value.message
    out = refund(terminal, RefundRequest(web["code"], supervisor=("sue", "222222")))
    assert out["override"] and out["overrides"] == ["other_channel"] and out["approved_by"] == "sue"
    assert [(p["tender"], p["amount"], p["reference"]) for p in out["payments"]] == [("cash", 2250, None)]
    # a web order's places were never this terminal's: its stock is untouched
    assert one(terminal.conn, "SELECT sold FROM sections WHERE event_id = ? AND id = 'standing'",
               (gala,)) == sold_before


def test_a_ticket_used_at_the_door_needs_a_supervisor(seller: Ctx, clock: Any, demo_events: tuple[str, str]) -> None:
    from boxoffice.services import door

    order = sale(seller, demo_events[0])
    clock.set(GALA_START - timedelta(minutes=30))
    login(seller, "dan", "4444")
    assert door.scan(seller, order["tickets"][0]["token"], door.door_event(seller, demo_events[0]))["code"] is None
    login(seller, "sue", "222222")
    p = preview(seller, order["order"]["code"])
    assert set(p["overrides"]) == {"outside_policy", "used"}
    assert refund(seller, RefundRequest(order["order"]["code"]))["refund"]["override_why"] == "outside_policy,used"


def test_comp_tickets_refund_nothing_but_are_revoked(terminal: Ctx, demo_events: tuple[str, str]) -> None:
    comp = sell(terminal, SaleRequest(demo_events[0], "stalls", {"comp": 1}, [Tender("comp", reason="press")]))
    out = refund(terminal, RefundRequest(comp["order"]["code"]))
    assert out["amount"] == 0 and out["payments"] == []
    assert one(terminal.conn, "SELECT status FROM tickets")["status"] == "refunded"


def test_pickup_volunteers_and_door_staff_may_not_refund(terminal: Ctx, demo_events: tuple[str, str]) -> None:
    code = sale(terminal, demo_events[0])["order"]["code"]
    for name, pin in (("pat", "3333"), ("dan", "4444")):
        login(terminal, name, pin)
        with pytest.raises(BoxOfficeError) as err:
            refund(terminal, RefundRequest(code))
        assert err.value.code == "permission_denied" and "seller or supervisor or admin" in err.value.message


def test_two_counters_refunding_one_order_never_return_more_than_a_card_paid(
        seller: Ctx, open_ctx: Any, monkeypatch: pytest.MonkeyPatch, demo_events: tuple[str, str]) -> None:
    """Counter 2 refunds one ticket between counter 1's check and counter 1's write: counter 1 splits its refund on
    what the card has really not had back by then."""
    import boxoffice.services.refunds as refunds_module

    order = sale(seller, demo_events[0], tenders=[Tender("card", 4000, card_last4="4242"), Tender("cash", 5000)])
    code, (a, b) = order["order"]["code"], order["tickets"]
    other = open_ctx(seller)  # counter 2: its own connection to the same database, sam logged in there too
    real = refunds_module.authorise

    def meanwhile(*args: Any, **kw: Any) -> Any:
        monkeypatch.setattr(refunds_module, "authorise", real)  # once
        refund(other, RefundRequest(code, tickets=[b["id"]]))   # counter 2 takes card 35.00 first
        return real(*args, **kw)

    monkeypatch.setattr(refunds_module, "authorise", meanwhile)
    out = refund(seller, RefundRequest(code, tickets=[a["id"]]))
    assert [(p["tender"], p["amount"]) for p in out["payments"]] == [("card", 500), ("cash", 3000)]
    card_back = one(seller.conn, "SELECT sum(amount) AS n FROM payments WHERE kind = 'refund' AND tender = 'card'")
    assert card_back["n"] == 4000


def test_a_refund_whose_ticket_was_taken_meanwhile_changes_nothing(
        seller: Ctx, open_ctx: Any, monkeypatch: pytest.MonkeyPatch, demo_events: tuple[str, str]) -> None:
    import boxoffice.services.refunds as refunds_module

    order = sale(seller, demo_events[0])
    code = order["order"]["code"]
    other = open_ctx(seller)
    real = refunds_module.authorise

    def meanwhile(*args: Any, **kw: Any) -> Any:
        monkeypatch.setattr(refunds_module, "authorise", real)
        refund(other, RefundRequest(code))  # counter 2 refunds the whole order first
        return real(*args, **kw)

    monkeypatch.setattr(refunds_module, "authorise", meanwhile)
    with pytest.raises(BoxOfficeError) as err:
        refund(seller, RefundRequest(code))
    assert err.value.code == "already_refunded"
    assert one(seller.conn, "SELECT count(*) AS n FROM refunds")["n"] == 1
    assert one(seller.conn, "SELECT sum(amount) AS n FROM payments WHERE kind = 'refund'")["n"] == 7000


def test_waiving_the_fee_is_a_supervisors_override(seller: Ctx, clock: Any, demo_events: tuple[str, str]) -> None:
    code = sale(seller, demo_events[0])["order"]["code"]
    clock.set(hours_before(100))  # the 10% tier
    assert preview(seller, code, waive_fee=True)["overrides"] == ["fee_waived"]
    with pytest.raises(BoxOfficeError) as err:
        refund(seller, RefundRequest(code, reason="cancelled", waive_fee=True))
    assert err.value.code == "permission_denied" and "fee waived" in err.value.message
    out = refund(seller, RefundRequest(code, reason="cancelled", waive_fee=True, supervisor=("sue", "222222")))
    assert (out["amount"], out["refund"]["fee"], out["refund"]["override_why"]) == (7000, 0, "fee_waived")


def test_waiving_a_fee_there_is_not_is_no_override(seller: Ctx, demo_events: tuple[str, str]) -> None:
    code = sale(seller, demo_events[0])["order"]["code"]  # a week ahead: no fee anyway
    out = refund(seller, RefundRequest(code, waive_fee=True))
    assert (out["amount"], out["override"]) == (7000, False)
