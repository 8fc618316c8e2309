"""Alerts: each raised by a night made for it, and silent on a normal night; thresholds from the config file.

The usual rate is the same hour on the previous days, so every sales and refunds scenario first trades four
ordinary days (two orders of four tickets in every hour from 10:00 to 18:00), then plays its own hour on day 5.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from night_kit import act_as, at, refund, sell
from test_sales_kit import closed_port

from boxoffice.services.alerts import check
from boxoffice.services.door import door_event, scan
from boxoffice.services.printing import run_jobs

HOURS = range(10, 19)


def ordinary_days(ctx, clock, event: str, days: int = 4) -> list[str]:  # noqa: ANN001
    """Two orders of four tickets every hour of every day, alternating sellers and sections; their codes."""
    codes = []
    for d in range(days):
        for hour in HOURS:
            for minute, who, section in ((12, "sam", "stalls"), (41, "sue", "standing")):
                clock.set(at(d, hour, minute))
                act_as(ctx, who)
                codes.append(sell(ctx, event, section, {"adult": 2, "concession": 2}, "card")["order"]["code"])
    return codes


def codes_of(alerts: list[dict]) -> list[str]:
    return [a["code"] for a in alerts]


@pytest.mark.parametrize("orders_this_hour, expected", [
    (2, []),                    # 8 tickets, as every day at this hour: nothing to say
    (3, ["sales_rising"]),      # 12 tickets: +50%, over the 30% threshold
    (4, ["sales_rising"]),      # 16 tickets: +100%
    (1, ["sales_falling"]),     # 4 tickets: -50%
    (0, ["sales_falling"]),     # nothing sold at all
])
def test_sales_rate_against_the_usual_for_this_hour(terminal, clock, demo_events, orders_this_hour: int,  # noqa: ANN001
                                                    expected: list[str]) -> None:
    gala, _ = demo_events
    ordinary_days(terminal, clock, gala)
    for i in range(orders_this_hour):
        clock.set(at(4, 15, 5 + 10 * i))
        act_as(terminal, "sam")
        sell(terminal, gala, "standing" if i % 2 else "stalls", {"adult": 2, "concession": 2}, "cash")
    clock.set(at(4, 16, 0))
    alerts = check(terminal)
    assert codes_of(alerts) == expected
    if expected:
        (alert,) = alerts
        assert alert["value"] == 4 * orders_this_hour and alert["usual"] == 8
        assert alert["severity"] == "minor"
        assert f"{4 * orders_this_hour} tickets in the last hour against a usual 8" in alert["message"]


def test_a_normal_night_is_silent_all_evening(terminal, clock, demo_events) -> None:  # noqa: ANN001
    gala, jazz = demo_events
    ordinary_days(terminal, clock, gala)
    for hour in HOURS:
        for minute, who, section in ((12, "sam", "stalls"), (41, "sue", "standing")):
            clock.set(at(4, hour, minute))
            act_as(terminal, who)
            sell(terminal, gala, section, {"adult": 2, "concession": 2}, "card")
        clock.set(at(4, hour, 59))
        assert check(terminal) == [], f"an alert at {hour}:59 on an ordinary day"


def test_sales_severity_grows_with_the_customers_concerned(terminal, clock, demo_events) -> None:  # noqa: ANN001
    gala, _ = demo_events
    ordinary_days(terminal, clock, gala)
    for i in range(10):                     # 40 tickets against a usual 8: 32 more customers than usual
        clock.set(at(4, 15, 5 * i))
        sell(terminal, gala, "stalls", {"adult": 4}, "card")
    clock.set(at(4, 16, 0))
    (alert,) = check(terminal)
    assert (alert["code"], alert["severity"]) == ("sales_rising", "major")


@pytest.mark.parametrize("refunded_orders, raised", [(0, False), (1, False), (2, True), (3, True)])
def test_refunds_in_the_last_hour_over_the_usual(terminal, clock, demo_events, refunded_orders: int,  # noqa: ANN001
                                                 raised: bool) -> None:
    gala, _ = demo_events
    codes = ordinary_days(terminal, clock, gala, days=3)
    # The usual: one order (four tickets) refunded between 15:00 and 16:00 on each of the three days.
    per_day = len(HOURS) * 2
    for d in range(3):
        clock.set(at(d, 15, 30))
        act_as(terminal, "sue")
        refund(terminal, codes[d * per_day])
    # Day 4, 15:00 to 16:00: none, as usual (4 tickets), 8 (+100%) or 12 tickets refunded.
    for i in range(refunded_orders):
        clock.set(at(3, 15, 10 + 10 * i))
        act_as(terminal, "sue")
        refund(terminal, codes[3 + i])
    for minute in (5, 35):  # the day's sales go on as usual, so the sales rate says nothing
        clock.set(at(3, 15, minute))
        act_as(terminal, "sam")
        sell(terminal, gala, "stalls", {"adult": 2, "concession": 2}, "card")
    clock.set(at(3, 16, 0))
    alerts = check(terminal)
    assert codes_of(alerts) == (["refunds_high"] if raised else [])
    if raised:
        assert alerts[0]["value"] == 4 * refunded_orders and alerts[0]["usual"] == 4
        assert f"{4 * refunded_orders} tickets refunded in the last hour" in alerts[0]["message"]


def test_refunds_with_no_history_alert_from_the_minimum(terminal, clock, demo_events) -> None:  # noqa: ANN001
    gala, _ = demo_events
    codes = [sell(terminal, gala, "stalls", {"adult": 1}, "card")["order"]["code"] for _ in range(3)]
    clock.advance(minutes=20)
    refund(terminal, codes[0])
    refund(terminal, codes[1])
    clock.advance(seconds=1)
    assert check(terminal) == [], "two refunds are under the minimum of three"
    refund(terminal, codes[2])
    clock.advance(seconds=1)
    assert codes_of(check(terminal)) == ["refunds_high"]


def _gala_door(terminal, clock, gala: str, good: int) -> tuple[object, list[str]]:  # noqa: ANN001
    tokens = [t["token"] for _ in range(good // 2 + 1) for t in sell(terminal, gala, "standing", {"adult": 2},
                                                                       "card")["tickets"]]
    clock.set(at(7, 19, 0))
    return door_event(terminal, gala), tokens


def test_a_burst_of_refused_scans_alerts_and_a_few_do_not(terminal, clock, demo_events) -> None:  # noqa: ANN001
    gala, _ = demo_events
    ev, tokens = _gala_door(terminal, clock, gala, 30)
    for i, token in enumerate(tokens[:30]):
        clock.set(at(7, 19, 0).replace(second=i))
        assert scan(terminal, token, ev)["result"] == "admit"
        if i % 10 == 0:
            assert scan(terminal, "PHOTOCOPIED?", ev)["result"] == "refused"
    assert check(terminal) == [], "3 refusals among 33 scans is a normal door"

    clock.set(at(7, 19, 5))
    for _ in range(7):
        scan(terminal, "PHOTOCOPIED?", ev)
    for token in tokens[:4]:
        assert scan(terminal, token, ev)["code"] == "already_checked_in"
    clock.advance(seconds=1)
    (alert,) = check(terminal)
    assert alert["code"] == "refused_scans" and alert["value"] == 14
    assert "14 of 44 scans refused in the last 10 minutes" in alert["message"]
    clock.set(at(7, 19, 16))
    assert check(terminal) == [], "ten minutes later the burst is over"


def test_failed_prints_alert_and_clear_once_printed(terminal, clock, demo_events) -> None:  # noqa: ANN001
    gala, _ = demo_events
    terminal.config.values["printer"] = f"tcp://127.0.0.1:{closed_port()}"
    for n in range(3):
        sold = sell(terminal, gala, "stalls", {"adult": 1}, "card")
        assert [r["status"] for r in run_jobs(terminal, sold["jobs"])] == ["failed"]
        alerts = check(terminal)
        assert codes_of(alerts) == (["failed_prints"] if n == 2 else [])
    assert "3 print jobs failed in the last 15 minutes" in alerts[0]["message"]
    assert "print retry" in alerts[0]["message"]
    clock.advance(minutes=16)
    assert check(terminal) == []


def test_stock_running_low_in_a_section(terminal, clock, demo_events) -> None:  # noqa: ANN001
    gala, _ = demo_events
    for _ in range(26):                     # 260 of 300 standing places: 40 left, 13%
        sell(terminal, gala, "standing", {"adult": 10}, "card")
    assert check(terminal) == []
    sell(terminal, gala, "standing", {"adult": 10}, "card")     # 30 left: 10%
    (alert,) = check(terminal)
    assert (alert["code"], alert["severity"], alert["event"], alert["section"]) == ("stock_low", "minor", gala,
                                                                                    "standing")
    assert "30 of 300 places left" in alert["message"]
    for _ in range(3):
        sell(terminal, gala, "standing", {"adult": 10}, "card")
    (alert,) = check(terminal)
    assert (alert["severity"], alert["value"]) == ("major", 0)


def test_alerts_command_and_thresholds_from_the_config_file(terminal, clock, demo_events, cli,  # noqa: ANN001
                                                            tmp_path: Path) -> None:
    gala, _ = demo_events
    quiet = cli("alerts", db=terminal)
    assert quiet.exit_code == 0 and "No alerts." in quiet.stdout

    terminal.config.values["printer"] = f"tcp://127.0.0.1:{closed_port()}"
    sold = sell(terminal, gala, "stalls", {"adult": 1}, "card")
    run_jobs(terminal, sold["jobs"])
    assert cli("alerts", "--json", db=terminal).json() == []

    config = tmp_path / "strict.toml"
    config.write_text("[alerts]\nfailed_prints = 1\n", encoding="utf-8")
    strict = cli("--config", config, "alerts", db=terminal)
    assert strict.exit_code == 0
    assert "MINOR" in strict.stdout and "1 print jobs failed" in strict.stdout
    as_json = cli("--config", config, "alerts", "--json", db=terminal).json()
    assert [a["code"] for a in as_json] == ["failed_prints"]

    config.write_text("[alerts]\nfailed_print = 1\n", encoding="utf-8")
    typo = cli("--config", config, "alerts", db=terminal)
    assert typo.exit_code == 2 and "failed_print" in typo.stderr and "failed_prints" in typo.stderr


def test_the_counter_shows_the_alerts_on_request(terminal, clock, demo_events, cli) -> None:  # noqa: ANN001
    from boxoffice.services.counter import Counter

    gala, _ = demo_events
    desk = Counter(terminal, gala)
    assert [(ln.style, ln.text) for ln in desk.handle("a").lines] == [("ok", "No alerts.")]
    for _ in range(27):
        sell(terminal, gala, "standing", {"adult": 10}, "card")
    reply = desk.handle("a")
    assert [ln.style for ln in reply.lines] == ["info"]
    assert reply.lines[0].text.startswith("MINOR") and "30 of 300 places left" in reply.lines[0].text
    assert any("alerts" in ln.text for ln in desk.handle("h").lines)
    shown = cli("counter", "--event", gala, db=terminal, input="a\nq\n")
    assert shown.exit_code == 0, shown.output
    assert "30 of 300 places left" in shown.stdout


def test_cash_booked_to_no_shift_is_told_at_once_and_alerts_the_supervisor(terminal, clock, demo_events,  # noqa: ANN001
                                                                          cli) -> None:
    """Without require_shift a seller with no shift open still sells for cash, and that money is in no drawer's
    count: the seller is told at the sale, and the alerts say it while shifts are kept here. A terminal that keeps
    no shifts is told nothing (the cash sales of the other tests here raise no alert)."""
    from conftest import PINS

    from boxoffice.services.shifts import open_shift

    gala, _ = demo_events
    act_as(terminal, "sam")
    first = sell(terminal, gala, "standing", {"adult": 1})
    assert first["outside_shift"] is False, "no shifts kept here yet"
    assert check(terminal) == []

    act_as(terminal, "sue")
    open_shift(terminal, 15_000)
    booked = sell(terminal, gala, "standing", {"adult": 1})
    assert booked["outside_shift"] is False and booked["payments"][0]["shift_id"] is not None
    (alert,) = check(terminal)
    assert alert["value"] == 1, "the cash taken before shifts were kept here tonight is in no count either"

    act_as(terminal, "sam")
    loose = sell(terminal, gala, "standing", {"adult": 2})
    assert loose["outside_shift"] is True and loose["payments"][0]["shift_id"] is None
    assert sell(terminal, gala, "standing", {"adult": 1}, "card")["outside_shift"] is False, "no cash, nothing to count"
    (alert,) = check(terminal)
    assert (alert["code"], alert["severity"]) == ("cash_outside_shift", "major")
    assert alert["value"] == 2, "both cash sales made with no shift: the one before shifts were kept too"
    assert "2 cash payments or refunds in the last 12 hours were booked to no shift" in alert["message"]
    assert alert["orders"] == [loose["order"]["code"], first["order"]["code"]], "the latest first"
    assert "shift open" in alert["message"]

    # The seller at the command line is told with the change; a script reads it from --json.
    assert cli("login", "sam", pin=PINS["sam"], db=terminal).exit_code == 0
    said = cli("sell", gala, "--section", "standing", "--type", "adult=1", "--cash", "50", db=terminal)
    assert said.exit_code == 0, said.output
    assert "no shift is open for you here: this cash is in no drawer's count" in said.stderr
    as_json = cli("sell", gala, "--section", "standing", "--type", "adult=1", "--cash", "50", "--json",
                  db=terminal)
    assert as_json.exit_code == 0 and as_json.json()["outside_shift"] is True
    assert cli("alerts", "--json", db=terminal).json()[0]["value"] == 4
    from boxoffice.services.counter import Counter

    reply = Counter(terminal, gala).handle("s standing adult=1 cash 50")  # the counter left running says it too
    assert [line.style for line in reply.lines if "no drawer's count" in line.text] == ["warn"], reply.lines

    # With a shift open the seller's cash is counted again; the alert lasts the night (12 hours), then clears.
    assert cli("shift", "open", "--float", "100", db=terminal).exit_code == 0
    counted = cli("sell", gala, "--section", "standing", "--type", "adult=1", "--cash", "50", "--json", db=terminal)
    assert counted.json()["outside_shift"] is False
    clock.advance(hours=13)
    assert "cash_outside_shift" not in codes_of(check(terminal))


def test_cash_with_no_shift_the_morning_after_and_cash_given_back_are_counted(terminal, clock,  # noqa: ANN001
                                                                              demo_events) -> None:
    """Last night's shift closed, the first seller of the morning takes cash with no shift: still a terminal that
    keeps shifts, so told and alerted. Cash given back by a refund with no shift counts as given back."""
    from night_kit import refund

    from boxoffice.services.shifts import close_shift, open_shift

    gala, _ = demo_events
    act_as(terminal, "sue")
    open_shift(terminal, 0)
    sold = sell(terminal, gala, "standing", {"adult": 1})
    close_shift(terminal, sold["total"])
    clock.advance(hours=12, minutes=5)
    assert check(terminal) == [], "last night's cash was all in a shift"

    act_as(terminal, "sam")
    morning = sell(terminal, gala, "standing", {"adult": 3})
    assert morning["outside_shift"] is True, "the first seller of the day is told"
    refund(terminal, morning["order"]["code"])
    (alert,) = check(terminal)
    assert alert["code"] == "cash_outside_shift" and alert["value"] == 2
    code = morning["order"]["code"]
    assert f"(67.50 GBP taken, 60.75 GBP given back, on {code})" in alert["message"], "a 10% fee was kept"
    assert alert["orders"] == [code], "the order to look up, once though both its rows count"


def test_cash_given_back_by_a_refund_or_an_exchange_with_no_shift_is_said_at_once(terminal, clock,  # noqa: ANN001
                                                                                  demo_events, cli) -> None:
    """A refund or an exchange that hands cash back with no shift open, at a terminal that keeps shifts: the
    command says so on stderr and in --json, as a sale does."""
    from conftest import PINS

    from boxoffice.services.shifts import open_shift

    gala, _ = demo_events
    act_as(terminal, "sue")
    open_shift(terminal, 0)
    first = sell(terminal, gala, "stalls", {"adult": 2})["order"]["code"]  # paid in cash, in sue's shift
    second = sell(terminal, gala, "stalls", {"adult": 2})["order"]["code"]
    assert cli("login", "ada", pin=PINS["ada"], db=terminal).exit_code == 0  # an admin with no shift open
    back = cli("refund", first, "--yes", "--json", db=terminal)
    assert back.exit_code == 0, back.output
    assert back.json()["outside_shift"] is True and back.json()["payments"][0]["tender"] == "cash"
    told = cli("exchange", second, "--section", "standing", "--yes", db=terminal)
    assert told.exit_code == 0, told.output
    assert "no shift is open for you here: this cash is in no drawer's count" in told.stderr
    assert cli("shift", "open", "--float", "0", db=terminal).exit_code == 0
    third = sell(terminal, gala, "stalls", {"adult": 1})["order"]["code"]
    kept = cli("refund", third, "--yes", "--json", db=terminal)
    assert kept.exit_code == 0 and kept.json()["outside_shift"] is False, "in ada's shift now"


def test_the_end_of_day_report_keeps_the_cash_booked_to_no_shift_after_the_alert_has_gone(  # noqa: ANN001
        terminal, clock, demo_events, cli, login, tmp_path) -> None:
    """The alert speaks of the last night, to whoever asks then; the end-of-day report is what the owner keeps: it
    names the cash no drawer count expected, by currency, with the orders, in its PDF, its --json and on screen."""
    import pypdfium2

    from boxoffice.services.reports import end_of_day
    from boxoffice.services.shifts import close_shift, open_shift

    gala, _ = demo_events
    act_as(terminal, "sue")
    open_shift(terminal, 0)
    kept = sell(terminal, gala, "standing", {"adult": 1})
    close_shift(terminal, kept["total"])
    act_as(terminal, "sam")
    loose = sell(terminal, gala, "standing", {"adult": 2})
    clock.advance(hours=13)
    assert "cash_outside_shift" not in codes_of(check(terminal)), "the alert's night is over"
    login(terminal, "sue")
    report = end_of_day(terminal)["cash_outside_shift"]
    assert report is not None and report["orders"] == [loose["order"]["code"]]
    assert [(x["currency"], x["count"], x["taken_text"], x["given_text"]) for x in report["lines"]] == \
        [("GBP", 1, "45.00", "0.00")]
    out = tmp_path / "eod.pdf"
    said = cli("report", "pdf", "--to", out, db=terminal)
    assert said.exit_code == 0, said.output
    assert "Cash booked to no shift: 1 payment or refund, 45.00 GBP taken" in said.stdout
    made = cli("report", "pdf", "--to", out, "--json", db=terminal)
    assert made.json()["cash_outside_shift"]["orders"] == [loose["order"]["code"]]
    pdf = pypdfium2.PdfDocument(str(out))
    try:
        text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()
    assert "Cash booked to no shift" in " ".join(text.split()) and loose["order"]["code"] in text
    assert end_of_day(terminal, event="no-such-event")["cash_outside_shift"] is None


def test_a_terminal_that_keeps_no_shifts_reports_no_loose_cash(terminal, demo_events) -> None:  # noqa: ANN001
    from boxoffice.services.reports import end_of_day

    gala, _ = demo_events
    act_as(terminal, "sam")
    sell(terminal, gala, "standing", {"adult": 1})
    act_as(terminal, "sue")
    assert end_of_day(terminal)["cash_outside_shift"] is None
