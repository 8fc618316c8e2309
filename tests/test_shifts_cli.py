"""`boxoffice shift ...` and `boxoffice drawer open` as a counter uses them over an evening."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pypdfium2
from conftest import T0

from boxoffice.services.context import Ctx


def test_an_evening_at_the_counter(cli: Any, terminal: Ctx, login: Any, demo_events: tuple[str, str]) -> None:
    login(terminal, "sam")
    assert cli("shift", "open", "--float", "150", db=terminal).exit_code == 0
    twice = cli("shift", "open", "--float", "150", db=terminal)
    assert twice.exit_code == 4 and "close it first" in twice.stderr
    sold = cli("sell", demo_events[0], "-s", "standing", "-t", "adult=2", "--cash", "50", "--json", db=terminal)
    assert sold.exit_code == 0, sold.output
    cli("sell", demo_events[0], "-s", "standing", "-t", "child=1", "--card", "4242", db=terminal)
    back = cli("refund", sold.json()["order"], "--tickets", sold.json()["tickets"][0]["id"], "--yes", db=terminal)
    assert back.exit_code == 0 and "GIVE CASH 22.50" in back.stdout
    assert cli("shift", "cash-in", "20", "--reason", "change from the safe", db=terminal).exit_code == 0
    out = cli("shift", "cash-out", "100", "--reason", "drop to the safe", db=terminal)
    assert out.exit_code == 0 and "Cash out: 100.00 (drop to the safe)" in out.stdout
    assert cli("drawer", "open", "--reason", "change for a note", db=terminal).exit_code == 0

    blind = cli("shift", "status", db=terminal)  # sam's own drawer, not counted yet: counts, no money
    assert blind.exit_code == 0 and "X REPORT (GBP)" in blind.stdout and "Blind until" in blind.stdout
    assert _line(blind.stdout, "Expected") == "(after the count)" and "92.50" not in blind.stdout
    assert _line(blind.stdout, "Cash sales x1") == "(after the count)"
    assert cli("shift", "status", "--json", db=terminal).json()["cash"]["expected"] is None
    assert cli("shift", "count", "--counted", "90", db=terminal).exit_code == 0

    x = cli("shift", "status", db=terminal)
    assert x.exit_code == 0
    assert "X REPORT (GBP)" in x.stdout and "Blind until" not in x.stdout
    assert _line(x.stdout, "Expected") == "92.50"  # float 150 + cash sale 45 - refund 22.50 + in 20 - out 100
    assert _line(x.stdout, "Cash sales x1") == "45.00" and _line(x.stdout, "Card sales x1") == "10.00"
    assert _line(x.stdout, "Drawer opened, no sale") == "1"

    z = cli("shift", "close", "--counted", "90", "--note", "change given twice", "--supervisor", "sue",
            db=terminal, pin="222222")
    assert z.exit_code == 0, z.output
    assert "Z REPORT" in z.stdout and _line(z.stdout, "Variance") == "-2.50"
    pdf = Path(z.stdout.split("Z report saved to ")[1].split()[0])
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "Z REPORT" in text and "-2.50" in text and "92.50" in text
    assert cli("shift", "status", db=terminal).exit_code == 4  # closed: no shift to report on
    assert cli("audit", "log", "--kind", "shift", db=terminal).exit_code == 5  # sam may not read the audit


def test_json_reports(cli: Any, terminal: Ctx, login: Any) -> None:
    login(terminal, "sue")
    cli("shift", "open", "--float", "100.00", db=terminal)
    x = cli("shift", "status", "--json", db=terminal).json()
    assert (x["kind"], x["cash"]["float"], x["cash"]["expected"], x["operator"], x["blind"]) == \
        ("X", 10000, None, "sue", True)
    z = cli("shift", "close", "--counted", "100", "--json", db=terminal).json()
    assert (z["kind"], z["cash"]["variance"]) == ("Z", 0)
    assert z["pdf"] and z["print"][0]["status"] == "printed"


def test_require_shift_from_the_catalogue_policy(cli: Any, terminal: Ctx, login: Any, tmp_path: Path,
                                                 demo_events: tuple[str, str], write_json: Any) -> None:
    from boxoffice.services.demo_catalog import demo_catalog

    doc = demo_catalog(T0.date()) | {"policy": {"require_shift": True}}
    assert cli("catalog", "import", write_json(doc, "venue.json"), db=terminal).exit_code == 0
    config = tmp_path / "boxoffice.toml"
    config.write_text("require_shift = false\n", encoding="utf-8")  # a local file cannot switch it off
    login(terminal, "sam")
    sell = ["--config", str(config), "sell", demo_events[0], "-s", "standing", "-t", "adult=1", "--cash", "30"]
    refused = cli(*sell, db=terminal)
    assert refused.exit_code == 4 and "shift open --float" in refused.stderr
    assert "require_shift: ignored" in refused.stderr  # and says so
    assert cli("shift", "open", "--float", "0", db=terminal).exit_code == 0
    assert cli(*sell, db=terminal).exit_code == 0


def test_amounts_are_checked(cli: Any, terminal: Ctx, login: Any) -> None:
    login(terminal, "sam")
    assert cli("shift", "open", "--float", "-5", db=terminal).exit_code == 2
    assert cli("shift", "open", "--float", "12.345", db=terminal).exit_code == 2
    cli("shift", "open", "--float", "10", db=terminal)
    assert cli("shift", "cash-out", "0", "--reason", "safe", db=terminal).exit_code == 2
    assert cli("shift", "cash-out", "1.001", "--reason", "safe", db=terminal).exit_code == 2
    # past what the drawer should hold is taken, not refused (a refusal would tell the figure before the count)
    too_much = cli("shift", "cash-out", "10.01", "--reason", "safe", db=terminal)
    assert too_much.exit_code == 0 and "10.00" not in too_much.stdout + too_much.stderr
    assert cli("shift", "count", "--counted", "0", db=terminal).exit_code == 0
    assert cli("shift", "status", "--json", db=terminal).json()["cash"]["expected"] == -1


def _line(text: str, label: str) -> str:
    """The value printed beside ``label`` in a report."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return line.strip()[len(label):].strip()
    raise AssertionError(f"no {label!r} line in:\n{text}")
