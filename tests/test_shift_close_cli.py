"""`boxoffice shift count` and `shift close`, blind: the count first (a total, pieces, or asked at the prompt),
what the drawer should hold only after, and a variance closed only with a note and a supervisor."""

from __future__ import annotations

from typing import Any

import pytest

from boxoffice.services.context import Ctx


@pytest.fixture
def sam(cli: Any, terminal: Ctx, login: Any, demo_events: tuple[str, str]) -> Ctx:
    """sam's drawer should hold 145.00: a float of 100.00 and a cash sale that kept 45.00."""
    login(terminal, "sam")
    assert cli("shift", "open", "--float", "100", db=terminal).exit_code == 0
    sold = cli("sell", demo_events[0], "-s", "standing", "-t", "adult=2", "--cash", "50", db=terminal)
    assert sold.exit_code == 0, sold.output
    return terminal


def test_help_says_how_to_count_by_piece(cli: Any, terminal: Ctx) -> None:
    text = cli("shift", "close", "--help", db=terminal).stdout
    assert "--count" in text and "20x3" in text and "--supervisor" in text and "blind" in text


def test_a_count_by_piece_is_kept_without_showing_what_was_expected(cli: Any, sam: Ctx) -> None:
    counted = cli("shift", "count", "--count", "50x2", "--count", "20x2", "--count", "5x1", db=sam)
    assert counted.exit_code == 0, counted.output
    assert "Counted 145.00" in counted.stdout and "expect" not in counted.stdout.replace("shows what", "")
    as_json = cli("shift", "count", "--counted", "145", "--json", db=sam)
    assert as_json.exit_code == 4 and "counted already" in as_json.output
    z = cli("shift", "close", "--json", db=sam).json()
    assert (z["cash"]["variance"], [p["pieces"] for p in z["pieces"]]) == (0, [2, 2, 1])


def test_a_variance_is_refused_without_approval_and_the_count_is_kept(cli: Any, sam: Ctx) -> None:
    short = cli("shift", "close", "--count", "50x2", "--count", "20x2", db=sam)
    assert short.exit_code == 4, short.output
    assert "Counted 140.00; expected 145.00; variance -5.00" in short.stdout  # shown only after the count
    assert "needs a note" in short.stderr and "count is kept" in short.stderr
    recount = cli("shift", "close", "--counted", "145", "--note", "x", "--supervisor", "sue", db=sam, pin="222222")
    assert recount.exit_code == 4 and "counted already" in recount.stderr
    no_supervisor = cli("shift", "close", "--note", "change given twice", db=sam)
    assert no_supervisor.exit_code == 4 and "supervisor" in no_supervisor.stderr
    wrong = cli("shift", "close", "--note", "change given twice", "--supervisor", "sue", db=sam, pin="9999")
    assert wrong.exit_code == 5 and "tries left" in wrong.stderr
    seller = cli("shift", "close", "--note", "change given twice", "--supervisor", "pat", db=sam, pin="3333")
    assert seller.exit_code == 5
    closed = cli("shift", "close", "--note", "change given twice", "--supervisor", "sue", db=sam, pin="222222")
    assert closed.exit_code == 0, closed.output
    assert "Variance approved by" in closed.stdout and "change given twice" in closed.stdout
    assert "50.00 x2" in closed.stdout
    assert cli("shift", "status", db=sam).exit_code == 4  # closed: no open shift left


def test_the_count_is_asked_first_at_a_terminal(cli: Any, sam: Ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("boxoffice.cli.shifts._interactive", lambda: True)
    # GBP: 50, 20, 10, 5 notes, then 2, 1, 0.50, 0.20, 0.10, 0.05, 0.02, 0.01 coins; then why, then who approves
    answers = ["2", "1", "", "", "", "", "", "", "", "", "", "", "two fives missing", "sue"]
    r = cli("shift", "close", db=sam, pin="222222", input="\n".join(answers) + "\n")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.index("50.00 notes") < out.index("Counted 120.00; expected 145.00") < out.index("Z REPORT")
    assert "expected" not in out[:out.index("Counted 120.00")].replace("shown after", "")


def test_closing_without_a_count_says_how_to_give_one(cli: Any, sam: Ctx) -> None:
    r = cli("shift", "close", db=sam)
    assert r.exit_code == 2 and "--count" in r.stderr
    assert cli("shift", "close", "--count", "3x1", db=sam).exit_code == 2  # no 3.00 note or coin
    assert cli("shift", "close", "--count", "20", db=sam).exit_code == 2
    assert cli("shift", "close", "--counted", "145", "--json", db=sam).json()["cash"]["variance"] == 0
