"""Reports checked against the journal: several generated days of sales and refunds, every grouping a manager uses,
through the services and the CLI (table, --csv, --json), and the end-of-day PDF read back as text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pypdfium2
import pytest
from night_kit import (
    WebShop,
    act_as,
    at,
    entries,
    refund,
    refunds_from_journal,
    sales_from_journal,
    sell,
    trading_days,
)

from boxoffice.domain.money import format_money
from boxoffice.services import reports
from boxoffice.services.door import door_event, scan
from boxoffice.services.pickup import pick_up
from boxoffice.store import orders as order_store
from boxoffice.store.db import write


def _groups(rep: dict) -> dict[str, tuple[int, int]]:
    return {g["key"]: (g["count"], g["amount"]) for g in rep["groups"]}


def _refund_groups(rep: dict) -> dict[str, tuple[int, int, int, int]]:
    return {g["key"]: (g["count"], g["tickets"], g["fee"], g["amount"]) for g in rep["groups"]}


@pytest.fixture
def night(terminal, clock, demo_events):  # noqa: ANN001, ANN201
    """Four trading days of sales, then refunds on the last afternoon (whole orders, single tickets, split
    tenders, fees of both policy tiers, four reasons, two operators)."""
    made = trading_days(terminal, clock, demo_events, days=4)
    reasons = ["customer_request", "duplicate", "wrong_tickets", "cancelled", "other"]
    done = 0
    for i, o in enumerate(made.orders[::9]):
        if o["total"] == 0:
            continue  # a comp: nothing to pay back
        clock.set(at(3, 19, i % 50))
        act_as(terminal, ("sue", "ada")[i % 2])
        tickets = order_store.tickets_of(terminal.conn, o["id"])
        chosen = [tickets[0]["id"]] if len(tickets) > 1 and i % 3 == 0 else None
        refund(terminal, o["code"], reasons[i % len(reasons)], chosen)
        done += 1
    assert done >= 8
    act_as(terminal, "ada")
    return made


@pytest.mark.parametrize("by", reports.SALES_BY)
def test_sales_report_totals_equal_the_journal_for_every_grouping(terminal, night, by: str) -> None:  # noqa: ANN001
    rep = reports.sales(terminal, by)
    expected = sales_from_journal(terminal, by)
    assert _groups(rep) == expected
    assert rep["total"]["count"] == sum(c for c, _ in expected.values())
    assert rep["total"]["amount"] == sum(a for _, a in expected.values())
    if by in ("hour", "operator", "tender", "type"):
        assert len(expected) >= 3, "the generated days exercise this grouping"


@pytest.mark.parametrize("by", ["hour", "tender", "operator"])
def test_one_days_sales_are_that_venue_day_only(terminal, night, by: str) -> None:  # noqa: ANN001
    day = night.days[1]
    rep = reports.sales(terminal, by, day=day)
    assert _groups(rep) == sales_from_journal(terminal, by, day)
    assert 0 < rep["total"]["count"] < reports.sales(terminal, by)["total"]["count"]


@pytest.mark.parametrize("by", reports.REFUNDS_BY)
def test_refunds_report_totals_equal_the_journal_for_every_grouping(terminal, night, by: str) -> None:  # noqa: ANN001
    rep = reports.refunds(terminal, by)
    expected = refunds_from_journal(terminal, by)
    got = _refund_groups(rep)
    if by == "tender":
        assert {k: (v[0], v[3]) for k, v in got.items()} == {k: (v[0], v[3]) for k, v in expected.items()}
        assert set(got) == {"card", "cash"}
    else:
        assert got == expected
    refunds = entries(terminal, "refund")
    assert rep["total"]["amount"] == sum(e["payload"]["refund"]["amount"] for e in refunds)


def test_refunds_add_up_the_same_by_reason_and_by_tender_and_fees_are_kept(terminal, night) -> None:  # noqa: ANN001
    by_reason, by_tender = reports.refunds(terminal, "reason"), reports.refunds(terminal, "tender")
    assert by_reason["total"]["amount"] == by_tender["total"]["amount"] > 0
    assert by_tender["total"]["count"] > by_reason["total"]["count"], "split orders were paid back by two tenders"
    assert by_reason["total"]["fee"] > 0, "refunds a few days before the gala keep the 10% fee"
    assert set(_refund_groups(by_reason)) >= {"customer_request", "duplicate", "wrong_tickets", "cancelled", "other"}
    assert reports.refunds(terminal, "day", day=night.days[0])["groups"] == []
    assert reports.refunds(terminal, "day", day=night.days[3])["total"] == by_reason["total"]


def test_report_commands_agree_with_the_journal_as_table_csv_and_json(terminal, night, cli, login) -> None:  # noqa: ANN001
    login(terminal, "sue")
    sales_json = cli("report", "sales", "--by", "operator", "--json", db=terminal)
    assert sales_json.exit_code == 0, sales_json.output
    assert _groups(sales_json.json()) == sales_from_journal(terminal, "operator")

    hours = cli("report", "sales", "--by", "hour", "--day", night.days[2], "--csv", db=terminal)
    assert hours.exit_code == 0, hours.output
    rows = list(csv.reader(io.StringIO(hours.stdout)))
    assert rows[0] == ["hour", "tickets", "amount GBP"]
    expected = sales_from_journal(terminal, "hour", night.days[2])
    assert {r[0]: (int(r[1]), r[2]) for r in rows[1:]} == {k: (c, format_money(a, "GBP"))
                                                           for k, (c, a) in expected.items()}

    table = cli("report", "refunds", "--by", "reason", db=terminal)
    assert table.exit_code == 0, table.output
    refunded = refunds_from_journal(terminal, "reason")
    overrides = sum(e["payload"]["refund"]["override"] for e in entries(terminal, "refund"))
    total_line = next(line for line in table.stdout.splitlines() if line.startswith("TOTAL"))
    assert total_line.split() == ["TOTAL", str(sum(v[0] for v in refunded.values())),
                                  str(sum(v[1] for v in refunded.values())), str(overrides),
                                  format_money(sum(v[2] for v in refunded.values()), "GBP"),
                                  format_money(sum(v[3] for v in refunded.values()), "GBP")]
    tenders = cli("report", "refunds", "--by", "tender", "--csv", db=terminal)
    by_tender = {r[0]: r[2] for r in list(csv.reader(io.StringIO(tenders.stdout)))[1:]}
    assert by_tender == {k: format_money(v[3], "GBP") for k, v in refunds_from_journal(terminal, "tender").items()}

    wrong = cli("report", "refunds", "--by", "colour", db=terminal)
    assert wrong.exit_code == 2 and "day, event, operator, reason, tender" in wrong.stderr


def test_reports_need_a_supervisor(terminal, night, cli, login) -> None:  # noqa: ANN001
    login(terminal, "sam")
    refused = cli("report", "refunds", db=terminal)
    assert refused.exit_code == 5
    assert "supervisor or admin" in refused.stderr


def _pdf_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def test_end_of_day_pdf_renders_and_holds_the_days_totals(terminal, night, cli, login, tmp_path) -> None:  # noqa: ANN001
    login(terminal, "sue")
    day = night.days[3]
    out = tmp_path / "end-of-day.pdf"
    made = cli("report", "pdf", "--day", day, "--to", out, "--json", db=terminal)
    assert made.exit_code == 0, made.output
    pdf = pypdfium2.PdfDocument(str(out))
    assert len(pdf) >= 1
    bitmap = pdf[0].render(scale=1).to_pil()
    low, high = bitmap.convert("L").getextrema()
    assert bitmap.size[0] > 500 and low < 128 < high, "the page has ink on it"
    pdf.close()
    text = " ".join(_pdf_text(out).split())

    sold = sales_from_journal(terminal, "type", day)
    taken = sales_from_journal(terminal, "tender", day)
    back = refunds_from_journal(terminal, "reason", day)
    tickets, amount = sum(c for c, _ in sold.values()), sum(a for _, a in sold.values())
    assert f"Tickets sold: {tickets}" in text
    assert f"sales {format_money(amount, 'GBP')} GBP" in text
    assert f"taken {format_money(sum(a for _, a in taken.values()), 'GBP')} GBP" in text
    refunds_line = (f"Refunds: {sum(v[0] for v in back.values())} ({sum(v[1] for v in back.values())} tickets); "
                    f"paid back {format_money(sum(v[3] for v in back.values()), 'GBP')} GBP")
    assert refunds_line in text
    assert "Refunds by reason" in text and "Refunds by tender" in text
    for reason, (_, _, _, paid) in back.items():
        assert reason in text and format_money(paid, "GBP") in text
    assert made.json()["refunded"] == format_money(sum(v[3] for v in back.values()), "GBP")


def test_pickups_report_counts_this_desks_and_with_venue_every_desks(terminal, clock, demo_events, cli, login) -> None:  # noqa: ANN001
    gala, _ = demo_events
    shop = WebShop()
    orders = [shop.order(gala, f"Guest {i}", 2) for i in range(5)]
    shop.install(terminal, orders)
    act_as(terminal, "pat")
    pick_up(terminal, orders[0]["code"], print_now=False)
    pick_up(terminal, orders[1]["code"], count=1, print_now=False)
    # A pickup made at another desk, as sync records it: a pickups row naming that terminal.
    other = orders[2]
    with write(terminal.conn):
        for t in other["tickets"]:
            terminal.conn.execute("INSERT INTO pickups (id, order_id, ticket_id, at, operator_id, terminal_id)"
                                  " VALUES (?, ?, ?, ?, NULL, 'other-desk')",
                                  (t["id"] + "x", other["id"], t["id"], clock.iso()))
    act_as(terminal, "sam")
    sell(terminal, gala, "standing", {"adult": 2})  # a walk-up sale is handed over at the window: not counted

    login(terminal, "sue")
    got = cli("report", "pickups", "--json", db=terminal)
    assert got.exit_code == 0, got.output
    assert got.json()["groups"] == [{"event": gala, "channel": "web", "picked_up": 3, "elsewhere": 0,
                                     "waiting": 5, "unpaid": 0, "conflicts": 0}]
    venue = cli("report", "pickups", "--venue", "--json", db=terminal)
    assert venue.json()["groups"] == [{"event": gala, "channel": "web", "picked_up": 5, "elsewhere": 2,
                                       "waiting": 5, "unpaid": 0, "conflicts": 0}]
    table = cli("report", "pickups", "--venue", db=terminal).stdout
    assert any(line.split() == ["TOTAL", "5", "2", "0", "5", "0"] for line in table.splitlines())


def test_checkins_report_admitted_refused_by_reason_in_now_and_hours(terminal, clock, demo_events, cli,  # noqa: ANN001
                                                                     login) -> None:
    gala, jazz = demo_events
    gala_tickets = [t["token"] for _ in range(4) for t in sell(terminal, gala, "standing", {"adult": 2})["tickets"]]
    jazz_tickets = [t["token"] for t in sell(terminal, jazz, "stalls", {"adult": 3})["tickets"]]

    ev = door_event(terminal, gala)
    clock.set(at(7, 18, 50))                     # gala night, doors open at 18:45
    for token in gala_tickets[:5]:
        assert scan(terminal, token, ev)["result"] == "admit"
    assert scan(terminal, gala_tickets[0], ev)["code"] == "already_checked_in"
    assert scan(terminal, jazz_tickets[0], ev)["code"] == "wrong_event"
    clock.set(at(7, 19, 10))
    for token in gala_tickets[5:]:
        assert scan(terminal, token, ev)["result"] == "admit"
    for _ in range(3):
        assert scan(terminal, "NOT A TICKET", ev)["result"] == "refused"

    jev = door_event(terminal, jazz)
    clock.set(at(14, 19, 0))                     # jazz night: re-entry allowed
    for token in jazz_tickets:
        scan(terminal, token, jev)
    scan(terminal, jazz_tickets[0], jev, "out")
    scan(terminal, jazz_tickets[1], jev, "out")
    clock.set(at(14, 20, 5))
    scan(terminal, jazz_tickets[0], jev)

    rep = reports.checkins(terminal)
    g, j = rep["events"]
    assert (g["event"], g["admitted"], g["exits"], g["in_now"], g["refused"], g["tickets"]) == (gala, 8, 0, 8, 5, 8)
    refused_codes = {"already_checked_in": 1, "wrong_event": 1}
    assert {k: v for k, v in g["refused_by"].items() if k in refused_codes} == refused_codes
    assert sum(g["refused_by"].values()) == 5
    assert [(h["hour"][-5:], h["admitted"], h["refused"]) for h in g["by_hour"]] == [("18:00", 5, 2),
                                                                                      ("19:00", 3, 3)]
    assert (j["event"], j["admitted"], j["exits"], j["in_now"], j["refused"]) == (jazz, 4, 2, 2, 0)
    assert rep["total"]["in_now"] == 10

    login(terminal, "sue")
    by_hour = cli("report", "checkins", "--by", "hour", "--csv", db=terminal)
    assert by_hour.exit_code == 0, by_hour.output
    rows = list(csv.reader(io.StringIO(by_hour.stdout)))
    assert rows[0] == ["event", "hour", "admitted", "exits", "refused"]
    assert [r[2:] for r in rows[1:]] == [["5", "0", "2"], ["3", "0", "3"], ["3", "2", "0"], ["1", "0", "0"]]
    table = cli("report", "checkins", "--event", gala, db=terminal)
    assert table.exit_code == 0
    assert [gala, "8", "0", "8", "5", "8"] in [line.split() for line in table.stdout.splitlines()]
    reasons = cli("report", "checkins", "--by", "reason", "--json", db=terminal)
    assert reasons.json()["events"][0]["refused_by"]["wrong_event"] == 1
    missing = cli("report", "checkins", "--event", "no-such-event", db=terminal)
    assert missing.exit_code == 3


def test_end_of_day_pdf_prints_names_as_typed_even_with_markup_characters(make_terminal, cli, tmp_path) -> None:  # noqa: ANN001
    odd = make_terminal(name="Bar <b> & Grill's", fresh=True)
    out = tmp_path / "odd.pdf"
    made = cli("report", "pdf", "--to", out, db=odd)
    assert made.exit_code == 0, made.output
    assert "Terminal Bar <b> & Grill's;" in " ".join(_pdf_text(out).split())
