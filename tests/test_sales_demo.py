"""`boxoffice demo` from an empty directory: a terminal, a sale, and a PDF whose QR codes verify."""

from __future__ import annotations

import json
from pathlib import Path

from test_sales_kit import pdf_pages
from typer.testing import CliRunner, Result

from boxoffice.cli.main import app


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"BOXOFFICE_PIN": "", "BOXOFFICE_PRINTER": ""},
                              catch_exceptions=False)


def test_demo_from_a_clean_directory_prints_tickets_that_verify(tmp_path: Path) -> None:
    where = tmp_path / "demo"
    result = run("demo", "--dir", str(where))
    assert result.exit_code == 0, result.output
    assert "SOLD" in result.stdout and "change from 100.00: 30.00" in result.stdout

    (pdf,) = (where / "tickets").glob("*.pdf")
    assert f"Tickets printed to {pdf}" in result.stdout
    code = result.stdout.split("SOLD ", 1)[1].split(":")[0]
    pages = pdf_pages(pdf)
    tokens = [q for page in pages for q in page["qrs"]]
    assert len(tokens) == 2, "two adult seats, one QR each"
    assert "TOTAL" in pages[-1]["text"] and "70.00" in pages[-1]["text"]

    config = ["--config", str(where / "boxoffice.toml")]
    order = json.loads(run(*config, "order", "show", code, "--json").stdout)
    assert [t["token"] for t in order["tickets"]] == [None, None]  # the seller is not shown the QRs to copy
    assert CliRunner().invoke(app, [*config, "login", "sue"], input="222222\n").exit_code == 0  # a supervisor is
    order = json.loads(run(*config, "order", "show", code, "--json").stdout)
    assert sorted(t["token"] for t in order["tickets"]) == sorted(tokens)
    for token in tokens:
        verified = run(*config, "ticket", "verify", token)
        assert verified.exit_code == 0, verified.output
        assert "VALID" in verified.stdout and "Winter Gala" in verified.stdout

    photo = tmp_path / "page.png"
    pages[0]["image"].save(photo)
    by_photo = run(*config, "ticket", "verify", "--image", str(photo))
    assert by_photo.exit_code == 0, by_photo.output


def test_demo_run_again_sells_another_order_in_the_same_terminal(tmp_path: Path) -> None:
    where = tmp_path / "demo"
    first = run("demo", "--dir", str(where), "--json")
    second = run("demo", "--dir", str(where), "--json")
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["created"] and not b["created"]
    assert a["order"] != b["order"] and not set(a["seats"]) & set(b["seats"])
    assert len(list((where / "tickets").glob("*.pdf"))) == 2
