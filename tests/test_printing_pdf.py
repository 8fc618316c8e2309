"""PDF tickets, checked by rendering the pages back to pixels and scanning the QR codes."""

from __future__ import annotations

import re

import pypdfium2
import pytest
import zxingcpp
from escpos_decode import sample_token

from boxoffice.errors import BoxOfficeError
from boxoffice.printing.documents import ReceiptView, TicketView, receipt_layout, ticket_layout
from boxoffice.printing.layout import Feed, Text
from boxoffice.printing.pdf_render import MM, TICKET_WIDTH, render_pdf


def ticket(seat: int, event: str = "Spring Gala", copy: bool = False) -> TicketView:
    return TicketView(
        venue="Stadthalle Café Müller",
        event_name=event,
        starts_at="Sat 12 Apr 2026 20:00",
        section="Parkett",
        row="F",
        seat=str(seat),
        ticket_type="Adult",
        price="€35.00",
        order_code="K7M4-PQ9X",
        token=sample_token(seat),
        copy=copy,
    )


def pages(pdf: bytes) -> list[pypdfium2.PdfPage]:
    document = pypdfium2.PdfDocument(pdf)
    return [document[i] for i in range(len(document))]


def scan(page: pypdfium2.PdfPage) -> list[str]:
    return sorted(result.text for result in zxingcpp.read_barcodes(page.render(scale=3).to_pil()))


def text_of(page: pypdfium2.PdfPage) -> str:
    return page.get_textpage().get_text_range()


def test_ticket_stock_has_one_ticket_per_page_and_each_qr_scans() -> None:
    pdf = render_pdf([ticket_layout(ticket(seat)) for seat in range(3)], stock="ticket")
    assert pdf.startswith(b"%PDF")
    found = pages(pdf)
    assert len(found) == 3
    for seat, page in enumerate(found):
        width, height = page.get_size()
        assert width == pytest.approx(TICKET_WIDTH, abs=0.5)
        assert 60 * MM < height < 200 * MM
        assert scan(page) == [sample_token(seat)]
        assert f"Seat {seat}" in text_of(page).replace("\r\n", "\n").replace("\n", " ")


def test_concatenated_layouts_still_split_at_each_cut() -> None:
    layout = ticket_layout(ticket(1)) + ticket_layout(ticket(2))
    assert [scan(page) for page in pages(render_pdf([layout]))] == [[sample_token(1)], [sample_token(2)]]


def test_a4_holds_several_tickets_per_page() -> None:
    seats = range(7)
    pdf = render_pdf([ticket_layout(ticket(seat)) for seat in seats], stock="a4")
    found = pages(pdf)
    assert 1 < len(found) < 7
    assert found[0].get_size() == pytest.approx((595.27, 841.89), abs=0.5)
    first = scan(found[0])
    assert len(first) >= 4
    assert sorted(token for page in found for token in scan(page)) == sorted(sample_token(s) for s in seats)


def test_same_input_gives_identical_bytes() -> None:
    layouts = [ticket_layout(ticket(seat)) for seat in range(2)]
    assert render_pdf(layouts) == render_pdf(layouts)
    assert render_pdf(layouts, stock="a4") == render_pdf(layouts, stock="a4")
    assert render_pdf(layouts) != render_pdf(list(reversed(layouts)))


def test_chinese_name_is_real_text_not_question_marks() -> None:
    name = "张伟 演唱会"
    pdf = render_pdf([ticket_layout(ticket(1, event=f"Das Konzert {name}"))])
    page = pages(pdf)[0]
    text = text_of(page)
    assert name in text
    assert "?" not in text
    # Either the viewer-supplied CID font, or a system CJK font embedded as a TrueType subset.
    embedded_subset = re.search(rb"/BaseFont /[A-Z]{6}\+", pdf) is not None and b"/FontFile2" in pdf
    assert b"STSong-Light" in pdf or embedded_subset
    assert scan(page) == [sample_token(1)]
    assert render_pdf([ticket_layout(ticket(1, event=name))]) == render_pdf([ticket_layout(ticket(1, event=name))])


def test_copy_is_marked() -> None:
    text = text_of(pages(render_pdf([ticket_layout(ticket(1), copy=True)]))[0])
    assert text.count("*** COPY ***") == 2


def test_receipt_pdf_has_total_and_change() -> None:
    view = ReceiptView(
        venue="Stadthalle",
        order_code="K7M4-PQ9X",
        lines=[("Adult", 2, "70.00")],
        total="70.00",
        tax_lines=[],
        tenders=[("Cash", "100.00")],
        change="30.00",
        operator="anna",
        time="12.04.2026 19:02",
    )
    text = text_of(pages(render_pdf([receipt_layout(view, open_drawer=True)]))[0])
    for expected in ("Adult x2", "TOTAL", "70.00", "Change", "30.00", "Served by anna"):
        assert expected in text


def test_very_long_piece_is_scaled_onto_a4() -> None:
    layout = [Text(f"line {i}") for i in range(200)]
    found = pages(render_pdf([layout], stock="a4"))
    assert len(found) == 1
    assert "line 199" in text_of(found[0])


def test_bad_stock_and_nothing_to_print_are_refused() -> None:
    with pytest.raises(BoxOfficeError) as caught:
        render_pdf([ticket_layout(ticket(1))], stock="letter")  # type: ignore[arg-type]
    assert caught.value.code == "bad_input"
    with pytest.raises(BoxOfficeError) as caught:
        render_pdf([[Feed(2)]])
    assert caught.value.code == "bad_input"
