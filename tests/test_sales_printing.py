"""A sale printed on a network receipt printer and as PDF, read back off the paper: QR codes, cuts, receipt text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_sales_kit import EVENT, PINS, Counter, TcpPrinter, escpos_pieces, make_counter, pdf_pages, scan

from boxoffice.domain.money import format_money, tax_share


@pytest.fixture
def counter(tmp_path: Path) -> Counter:
    return make_counter(tmp_path / "counter")


def test_sale_printed_over_tcp_scans_back_to_each_ticket_token_which_verifies(counter: Counter) -> None:
    with TcpPrinter() as printer:
        counter.set_printer(printer.uri)
        sale = counter.sell("--section", "stalls", "--type", "adult=2", "--type", "child=1", "--cash", "100")
        jobs = printer.wait_for(1)
    assert len(jobs) == 1, "one sale is one print job"
    decoded, pieces = escpos_pieces(jobs[0])

    tokens = [t["token"] for t in sale["tickets"]]
    assert len(tokens) == 3
    # Three tickets then the receipt, each on its own piece of paper: the TM-T88V has a cutter.
    assert decoded.cuts == 4
    assert [p["cut"] for p in pieces] == [True] * 4
    assert [p["qrs"] for p in pieces[:3]] == [[t] for t in tokens], "one QR per ticket, the ticket's own token"
    assert pieces[3]["qrs"] == [], "the receipt carries no QR"
    # The TM-T88V draws the QR itself: the token's bytes as stored, model 2, error correction M, centred.
    assert [[(q.data, q.model, q.ec, q.align) for q in p["native"]] for p in pieces[:3]] == \
        [[(t, 2, "M", "center")] for t in tokens]
    assert decoded.images == [], "no image sent: the printer draws the QR"
    for ticket, piece in zip(sale["tickets"], pieces[:3], strict=True):
        assert "Spring Gala" in piece["text"]
        assert sale["order"] in piece["text"]
        assert f"{ticket['row']}" in piece["text"] and f"{ticket['seat']}" in piece["text"]

    for token in tokens:
        result = counter.cli("ticket", "verify", token)
        assert result.exit_code == 0, result.output
        assert "VALID" in result.stdout and "Spring Gala" in result.stdout


def test_cash_sale_opens_the_drawer_once_and_a_card_sale_does_not(counter: Counter) -> None:
    with TcpPrinter() as printer:  # named by BOXOFFICE_PRINTER, over the PDF printer in boxoffice.toml
        env = {"BOXOFFICE_PRINTER": printer.uri}
        counter.sell("--section", "standing", "--type", "adult=1", "--cash", "20", env=env)
        counter.sell("--section", "standing", "--type", "adult=1", "--card", "4242", env=env)
        cash_job, card_job = printer.wait_for(2)
    assert escpos_pieces(cash_job)[0].drawer_kicks == 1
    assert escpos_pieces(card_job)[0].drawer_kicks == 0
    assert not counter.tickets_dir.exists(), "nothing went to the PDF printer of the config file"


def test_printer_without_cutter_gets_no_cut_commands_and_still_scans(counter: Counter) -> None:
    with TcpPrinter() as printer:
        counter.set_printer(printer.uri, profile="POS-5890")
        sale = counter.sell("--section", "standing", "--type", "adult=2", "--card", "4242")
        (job,) = printer.wait_for(1)
    decoded, _ = escpos_pieces(job, "POS-5890")
    assert decoded.cuts == 0
    scanned = [t for image in decoded.images for t in scan(image)]
    assert scanned == [t["token"] for t in sale["tickets"]]


def test_printer_qr_image_prints_every_qr_as_an_image_that_scans(counter: Counter) -> None:
    """`printer_qr = "image"`: for a printer whose own QR command misbehaves, the QR is a raster image again."""
    with TcpPrinter() as printer:
        counter.set_printer(printer.uri, qr="image")
        shown = counter.cli_json("config", "show")
        sale = counter.sell("--section", "standing", "--type", "adult=2", "--card", "4242")
        (job,) = printer.wait_for(1)
    assert shown["settings"]["printer_qr"]["value"] == "image"
    decoded, pieces = escpos_pieces(job)
    assert decoded.native_qrs == [] and b"\x1d(k" not in job
    assert [p["qrs"] for p in pieces[:2]] == [[t["token"]] for t in sale["tickets"]]
    assert len(decoded.images) == 2


def test_printer_qr_other_than_auto_or_image_is_refused_before_anything_is_sold(counter: Counter) -> None:
    counter.set_printer("tcp://127.0.0.1:9", qr="native")
    result = counter.cli("sell", EVENT, "--section", "standing", "--type", "adult=1", "--card", "4242")
    assert result.exit_code != 0
    assert result.stderr.startswith("error: config file") and "printer_qr must be one of auto, image" in result.stderr
    assert counter.query("SELECT count(*) FROM orders") == [(0,)]


@pytest.mark.parametrize(("setting", "native"), [("auto", True), ("image", False)])
def test_sale_printed_through_the_services_follows_printer_qr(counter: Counter, tmp_path: Path, setting: str,
                                                              native: bool) -> None:
    """Through the services, as a counter that stays open: sell, then run the sale's print job to a file."""
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.printing import run_jobs
    from boxoffice.services.sales import SaleRequest, sell

    sink = tmp_path / "printer.bin"
    counter.set_printer(f"file://{sink}", qr=setting)
    with counter.services() as ctx:
        sales = [sell(ctx, SaleRequest(event_id=EVENT, section_id="standing", counts={"adult": 2},
                                       tenders=[Tender("card", card_last4="4242")])) for _ in range(2)]
        results = [run_jobs(ctx, sale["jobs"]) for sale in sales]
    assert [r["status"] for rs in results for r in rs] == ["printed", "printed"]
    decoded, pieces = escpos_pieces(sink.read_bytes())
    tokens = [t["token"] for sale in sales for t in sale["tickets"]]
    assert [q for p in pieces for q in p["qrs"]] == tokens
    assert decoded.qr_codes == (tokens if native else [])
    assert all((q.model, q.ec) == (2, "M") for q in decoded.native_qrs)
    assert len(decoded.images) == (0 if native else 4)


def test_receipt_lines_total_tax_and_change_add_up(counter: Counter) -> None:
    with TcpPrinter() as printer:
        counter.set_printer(printer.uri)
        sale = counter.sell("--section", "stalls", "--type", "adult=2", "--cash", "100")
        (job,) = printer.wait_for(1)
    _, pieces = escpos_pieces(job)
    receipt = pieces[-1]["text"]
    lines = [line.split() for line in receipt.splitlines()]

    def amount(*label: str) -> str:
        found = [w[-1] for w in lines if w[: len(label)] == list(label)]
        assert len(found) == 1, (label, receipt)
        return found[0]

    total = 7000
    expected_tax = format_money(tax_share(total, 2000), "EUR")
    assert expected_tax == "11.67"
    assert amount("Adult", "35.00", "x2") == "70.00"
    assert amount("TOTAL") == "70.00"
    assert amount("incl.", "tax", "20%") == expected_tax
    assert amount("Cash") == "100.00"
    assert amount("Change") == "30.00"
    assert sale["total"] == "70.00" and sale["change"] == "30.00"
    assert sale["order"] in receipt
    assert "Served by sam" in receipt


def test_split_tender_receipt_shows_card_and_cash_and_change(counter: Counter) -> None:
    with TcpPrinter() as printer:
        counter.set_printer(printer.uri)
        sale = counter.sell("--section", "stalls", "--type", "adult=2", "--type", "child=1",
                            "--card", "4242:30", "--cash", "60")
        (job,) = printer.wait_for(1)
    receipt = escpos_pieces(job)[1][-1]["text"]
    assert sale["total"] == "82.50" and sale["change"] == "7.50"
    words = [line.split() for line in receipt.splitlines()]
    assert ["Card", "****4242", "30.00"] in words
    assert ["Cash", "60.00"] in words
    assert ["Change", "7.50"] in words
    assert ["Adult", "35.00", "x2", "70.00"] in words
    assert ["Child", "12.50", "x1", "12.50"] in words
    assert ["TOTAL", "82.50"] in words
    assert ["incl.", "tax", "20%", format_money(tax_share(8250, 2000), "EUR")] in words
    payments = counter.cli_json("order", "show", sale["order"])["payments"]
    assert sorted((p["tender"], p["amount"], p["change"]) for p in payments) == [
        ("card", "30.00", None), ("cash", "52.50", "7.50")]


def test_pdf_printer_ticket_pages_scan_back_and_a_photo_of_one_verifies(counter: Counter, tmp_path: Path) -> None:
    sale = counter.sell("--section", "stalls", "--type", "adult=2", "--cash", "70")
    pdfs = sorted(counter.tickets_dir.glob("*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].name.startswith(sale["order"])
    pages = pdf_pages(pdfs[0])
    tokens = [t["token"] for t in sale["tickets"]]
    assert [p["qrs"] for p in pages] == [[t] for t in tokens] + [[]], "a page per ticket, then the receipt"
    assert "Spring Gala" in pages[0]["text"] and sale["order"] in pages[0]["text"]
    assert "TOTAL" in pages[-1]["text"] and "70.00" in pages[-1]["text"]

    photo = tmp_path / "ticket.png"
    pages[1]["image"].save(photo)
    result = counter.cli("ticket", "verify", "--image", str(photo), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["claims"]["ticket_id"] == sale["tickets"][1]["id"]


def test_reprint_says_copy_keeps_the_tokens_and_is_counted(counter: Counter) -> None:
    with TcpPrinter() as printer:
        counter.set_printer(printer.uri)
        sale = counter.sell("--section", "stalls", "--type", "adult=2", "--card", "4242")
        printer.wait_for(1)
        refused = counter.cli("order", "reprint", sale["order"])
        assert refused.exit_code == 5, "a seller needs a supervisor to reprint"
        out = counter.cli_json("order", "reprint", sale["order"], "--supervisor", "sue", pin=PINS["sue"])
        counter.cli_json("order", "reprint", sale["order"], "--supervisor", "sue", pin=PINS["sue"])
        original, copy1, copy2 = printer.wait_for(3)
    assert len(out["tickets"]) == 2
    tokens = [t["token"] for t in sale["tickets"]]
    _, first = escpos_pieces(original)
    _, again = escpos_pieces(copy1)
    assert all("COPY" not in p["text"] for p in first)
    assert [p["qrs"] for p in again] == [[t] for t in tokens], "copies only: no receipt, same QR codes"
    assert all("COPY" in p["text"] for p in again)
    assert copy2 == copy1
    shown = counter.cli_json("order", "show", sale["order"])
    assert [t["copies"] for t in shown["tickets"]] == [2, 2]
    for token in tokens:
        assert counter.cli("ticket", "verify", token).exit_code == 0


def test_reprint_to_pdf_says_copy(counter: Counter) -> None:
    sale = counter.sell("--section", "standing", "--type", "adult=1", "--card", "4242")
    counter.login("sue")
    counter.cli_json("order", "reprint", sale["order"])
    copies = sorted(counter.tickets_dir.glob("*-copy-*.pdf"))
    assert len(copies) == 1
    (page,) = pdf_pages(copies[0])
    assert "COPY" in page["text"]
    assert page["qrs"] == [sale["tickets"][0]["token"]]


def test_print_test_page_reaches_the_printer(counter: Counter) -> None:
    with TcpPrinter() as printer:
        counter.set_printer(printer.uri)
        result = counter.cli("print", "test")
        (job,) = printer.wait_for(1)
    assert result.exit_code == 0, result.output
    decoded, pieces = escpos_pieces(job)
    assert "Printer test" in pieces[0]["text"]
    assert pieces[0]["qrs"] and pieces[0]["qrs"][0].startswith("TEST ")


def test_order_show_lists_the_sale(counter: Counter) -> None:
    sale = counter.sell("--section", "stalls", "--type", "adult=1", "--type", "child=1", "--cash", "50",
                        "--name", "Zoë Åström")
    result = counter.cli("order", "show", sale["order"].lower().replace("-", ""))
    assert result.exit_code == 0, result.output
    assert sale["order"] in result.stdout and "Zoë Åström" in result.stdout
    assert "47.50" in result.stdout
    assert result.stderr == ""
