"""Restricted-view seats and wheelchair spaces: named before payment (asked about at a terminal, --yes to accept,
flags in --json), and printed in capitals on the ticket and the receipt, in the PDF and in the ESC/POS bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pypdfium2
import pytest

from boxoffice.services.context import Ctx
from boxoffice.services.place_notes import sale_warnings
from boxoffice.services.sales import SaleRequest
from boxoffice.store.db import one


def request(event: str, section: str = "stalls", n: int = 1, **kw: Any) -> SaleRequest:
    return SaleRequest(event, section, {"adult": n}, [], **kw)


def sold(ctx: Ctx) -> int:
    return one(ctx.conn, "SELECT count(*) AS n FROM tickets")["n"]


def test_the_service_names_the_flagged_places_the_sale_would_take(terminal: Ctx, login: Any,
                                                                  demo_events: tuple[str, str]) -> None:
    gala = demo_events[0]
    named = sale_warnings(terminal, request(gala, n=2, seats=["a1", "A2"]))
    assert named["seats"] == ["A1", "A2"]
    assert named["places"] == [{"place": "A1", "flags": ["restricted_view"], "words": ["RESTRICTED VIEW"]}]
    assert named["text"] == "A1 RESTRICTED VIEW"
    chair = sale_warnings(terminal, request(gala, accessible=True))
    assert chair["places"] and chair["places"][0]["words"] == ["WHEELCHAIR SPACE"]
    assert chair["seats"] == [chair["places"][0]["place"]]
    plain = sale_warnings(terminal, request(gala, n=2))
    assert plain["places"] == [] and plain["text"] == "" and len(plain["seats"] or []) == 2
    assert sale_warnings(terminal, request(gala, "standing", 3))["seats"] is None
    assert sale_warnings(terminal, request(gala, seats=["Z99"]))["places"] == []  # the sale says why itself
    assert sold(terminal) == 0  # nothing was taken
    login(terminal, "dan")  # door staff may not sell: the sale refuses, nobody is asked about its places first
    assert sale_warnings(terminal, request(gala, n=2, seats=["A1", "A2"]))["places"] == []


def test_a_sale_of_a_restricted_seat_warns_before_payment(cli: Any, terminal: Ctx, demo_events: tuple[str, str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    gala = demo_events[0]
    piped = cli("sell", gala, "-s", "stalls", "--seats", "A1", "-t", "adult=1", "--cash", "40", db=terminal)
    assert piped.exit_code == 0, piped.output
    assert "NOTE A1 RESTRICTED VIEW: tell the customer before taking payment" in piped.stderr
    import boxoffice.cli.sales as sales_cli

    monkeypatch.setattr(sales_cli, "_at_terminal", lambda: True)
    declined = cli("sell", gala, "-s", "stalls", "--seats", "B1", "-t", "adult=1", "--card", "4242", db=terminal,
                   input="n\n")
    assert declined.exit_code == 1 and "NOTE B1 RESTRICTED VIEW" in declined.stdout
    assert "Does the customer accept these places?" in declined.stdout and sold(terminal) == 1
    accepted = cli("sell", gala, "-s", "stalls", "--seats", "B1", "-t", "adult=1", "--card", "4242", db=terminal,
                   input="y\n")
    assert accepted.exit_code == 0 and "SOLD" in accepted.stdout and sold(terminal) == 2
    told = cli("sell", gala, "-s", "stalls", "-t", "adult=1", "--wheelchair", "--card", "4242", "--yes", "--json",
               db=terminal)
    assert told.exit_code == 0, told.output
    assert "WHEELCHAIR SPACE" in told.stderr and "accept" not in told.stderr
    assert told.json()["tickets"][0]["flags"] == ["wheelchair"]
    plain = cli("sell", gala, "-s", "stalls", "-t", "adult=2", "--card", "4242", "--json", db=terminal)
    assert plain.exit_code == 0 and "NOTE" not in plain.stderr
    assert [t["flags"] for t in plain.json()["tickets"]] == [[], []]


def test_the_pdf_ticket_and_receipt_say_it(cli: Any, terminal: Ctx, demo_events: tuple[str, str]) -> None:
    out = cli("sell", demo_events[0], "-s", "stalls", "--seats", "A24,T1", "-t", "adult=2", "--cash", "80",
              "--json", db=terminal)
    assert out.exit_code == 0, out.output
    [pdf] = {Path(p["to"]) for p in out.json()["print"]}
    document = pypdfium2.PdfDocument(pdf.read_bytes())
    texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    tickets, receipt = texts[:2], texts[2]
    assert "RESTRICTED VIEW" in tickets[0] and "WHEELCHAIR" not in tickets[0]
    assert "WHEELCHAIR SPACE" in tickets[1] and "RESTRICTED" not in tickets[1]
    assert "A24 RESTRICTED VIEW" in receipt and "T1 WHEELCHAIR SPACE" in receipt


def test_the_escpos_ticket_and_receipt_say_it(cli: Any, terminal: Ctx, demo_events: tuple[str, str],
                                              tmp_path: Path) -> None:
    printer = tmp_path / "printer.bin"
    out = cli("sell", demo_events[0], "-s", "stalls", "--seats", "B24", "-t", "adult=1", "--cash", "40",
              db=terminal, env={"BOXOFFICE_PRINTER": f"file://{printer}"})
    assert out.exit_code == 0, out.output
    data = printer.read_bytes()
    assert data.count(b"RESTRICTED VIEW") == 2  # on the ticket, and "B24 RESTRICTED VIEW" on the receipt
    assert b"B24 RESTRICTED VIEW" in data
