"""Paper in Chinese: PDF tickets and the end-of-day PDF drawn with a font that has the glyphs (the bundled one on a
machine without CJK fonts), read back as text and as pixels; ESC/POS receipts with Chinese sent as GB18030 text in
the printer's Chinese mode, or as images, on 32- and 48-column paper; labels in the venue's language whatever the
screen speaks."""

from __future__ import annotations

import pypdfium2
import pytest
import zxingcpp
from escpos_decode import decode, sample_token, scan_all
from night_kit import trading_days

from boxoffice.i18n import language, use_language
from boxoffice.printing.documents import ReceiptView, TicketView, receipt_layout, ticket_layout
from boxoffice.printing.escpos_render import render_escpos
from boxoffice.printing.escpos_text import columns_of
from boxoffice.printing.fonts import BUNDLED_FONT, FALLBACK_GLYPH, font_coverage, is_cjk
from boxoffice.printing.layout import Columns, Text
from boxoffice.printing.pdf_render import render_pdf
from boxoffice.printing.report_pdf import render_end_of_day
from boxoffice.services import reports
from boxoffice.store.db import write

NAME = "李小明"
EVENT = "春节联欢晚会"


def chinese_ticket(seat: int = 7) -> TicketView:
    with use_language("zh_CN"):
        return TicketView(venue="国家大剧院", event_name=EVENT, starts_at="2026年2月16日 周一 19:30", section="池座",
                          row="3", seat=str(seat), ticket_type="成人票", price="280.00", order_code="K7M4-PQ9X",
                          token=sample_token(seat), holder=f"{NAME} · ID ****1234", language="zh_CN")


def chinese_receipt() -> ReceiptView:
    return ReceiptView(venue="国家大剧院", order_code="K7M4-PQ9X",
                       lines=[("成人票 280.00", 2, "560.00"), ("Student 120.00", 1, "120.00")], total="680.00",
                       tax_lines=[], tenders=[("现金", "700.00")], change="20.00", operator=NAME,
                       time="2月16日 周一 18:05", footer=EVENT, language="zh_CN")


def text_of(page: pypdfium2.PdfPage) -> str:
    return " ".join(page.get_textpage().get_text_range().split())


def glyph_image(page: pypdfium2.PdfPage, text: str, scale: float = 4.0):  # noqa: ANN201
    """The pixels of the first place ``text`` is drawn on ``page`` (found through the text layer)."""
    textpage = page.get_textpage()
    searcher = textpage.search(text)
    found = searcher.get_next()
    assert found is not None, f"{text!r} not on the page"
    index, count = found
    boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
    left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
    bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
    _width, height = page.get_size()
    image = page.render(scale=scale).to_pil().convert("L")
    return image.crop((int(left * scale), int((height - top) * scale), int(right * scale) + 1,
                       int((height - bottom) * scale) + 1))


def has_ink(image) -> bool:  # noqa: ANN001
    return image.getextrema()[0] < 100


def test_the_bundled_font_has_every_gb2312_hanzi_and_truetype_outlines() -> None:
    assert BUNDLED_FONT.is_file() and BUNDLED_FONT.stat().st_size < 4_500_000
    assert (BUNDLED_FONT.parent / "LICENSE-wqy-microhei.txt").is_file()
    cover = font_coverage(str(BUNDLED_FONT))
    assert cover is not None  # reportlab reads it: glyf outlines
    hanzi = set()
    for lead in range(0xB0, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                hanzi.add(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    assert len(hanzi) == 6763
    assert all(ord(ch) in cover for ch in hanzi)
    assert all(ord(ch) in cover for ch in "，。：；（）¥€£é" + FALLBACK_GLYPH)


def test_pdf_ticket_in_chinese_reads_back_and_draws_real_glyphs() -> None:
    pdf = render_pdf([ticket_layout(chinese_ticket())])
    page = pypdfium2.PdfDocument(pdf)[0]
    text = text_of(page)
    for wanted in (EVENT, "国家大剧院", f"{NAME} · ID ****1234", "池座", "成人票", "区域", "票种", "持票人"):
        assert wanted in text, wanted
    assert "?" not in text
    assert b"/FontFile2" in pdf  # the font is embedded (a subset), not left to the viewer
    li, ming = glyph_image(page, "李"), glyph_image(page, "明")
    assert has_ink(li) and has_ink(ming)
    assert (li.size, li.tobytes()) != (ming.size, ming.tobytes()), "two characters drawn as the same box"
    assert sorted(r.text for r in zxingcpp.read_barcodes(page.render(scale=3).to_pil())) == [sample_token(7)]


def test_a_character_no_font_has_prints_as_the_fallback_glyph_with_one_warning(caplog) -> None:  # noqa: ANN001
    odd = "\U0001f3ad"  # PERFORMING ARTS (an emoji): in no font here
    with caplog.at_level("WARNING"):
        pdf = render_pdf([[Text(f"{EVENT} {odd}")]])
    text = text_of(pypdfium2.PdfDocument(pdf)[0])
    assert EVENT in text and odd not in text and FALLBACK_GLYPH in text
    warnings = [r for r in caplog.records if "U+1F3AD" in r.getMessage()]
    assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()


def test_labels_follow_the_paper_language_not_the_screen() -> None:
    assert language() == "en"
    english = [b for b in ticket_layout(chinese_ticket().__class__(**{**chinese_ticket().__dict__, "language": "en"}))
               if isinstance(b, Columns)]
    chinese = [b for b in ticket_layout(chinese_ticket()) if isinstance(b, Columns)]
    assert [b.left for b in english][:3] == ["Section", "Row", "Seat"]
    assert [b.left for b in chinese][:3] == ["区域", "排", "座位"]
    assert language() == "en"  # the screen's language is back


@pytest.mark.parametrize(("profile", "columns"), [("POS-5890", 32), ("TM-T20II", 48)])
def test_escpos_receipt_in_chinese_as_gb18030_text(profile: str, columns: int) -> None:
    data = render_escpos(receipt_layout(chinese_receipt()) + ticket_layout(chinese_ticket()), profile,
                         chinese="gb18030")
    out = decode(data, profile)
    assert out.chinese_modes > 0
    lines = out.texts
    assert any(line.startswith("订单") and line.endswith("K7M4-PQ9X") for line in lines)
    assert any(line.startswith("合计") and line.endswith("680.00") for line in lines)
    assert any(line.startswith("成人票 280.00 ×2") and line.endswith("560.00") for line in lines)
    assert f"售票员：{NAME}" in lines
    holder = next(line for line in lines if line.startswith("持票人"))
    assert holder.endswith(f"{NAME} · ID ****1234")
    # Every line fits the paper: in the printer's Chinese mode (lines with Chinese) each two-byte character is two
    # columns; a line the code pages hold ("Student 120.00 ×1") counts one a character.
    assert all(columns_of(line, chinese_mode=any(is_cjk(ch) for ch in line)) <= columns for line in lines)
    full = [line for line in lines if line.startswith(("订单", "合计", "成人票"))]
    assert full and all(columns_of(line, chinese_mode=True) == columns for line in full), "amounts at the right edge"
    assert scan_all(out) == [sample_token(7)]


def test_escpos_chinese_wraps_by_columns() -> None:
    long = "这是一段很长的中文说明文字需要在小票上自动换行才能完整打印出来"
    out = decode(render_escpos([Text(long)], "POS-5890", chinese="gb18030"), "POS-5890")
    assert "".join(out.texts) == long
    assert len(out.texts) > 1 and all(columns_of(line, chinese_mode=True) <= 32 for line in out.texts)
    assert columns_of(out.texts[0], chinese_mode=True) == 32


def test_escpos_chinese_as_images_by_default() -> None:
    out = decode(render_escpos(receipt_layout(chinese_receipt()), "TM-T88V"), "TM-T88V")
    assert out.chinese_modes == 0 and out.images
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in line) for line in out.texts)


def test_end_of_day_pdf_in_chinese(terminal, clock, demo_events) -> None:  # noqa: ANN001
    with write(terminal.conn):
        terminal.conn.execute("UPDATE venue SET name = ?", ("国家大剧院",))
        terminal.conn.execute("UPDATE ticket_types SET name = ? WHERE name = 'Adult'", ("成人票",))
    made = trading_days(terminal, clock, demo_events, days=1)
    assert made.orders
    with use_language("zh_CN"):
        report = reports.end_of_day(terminal)
    pdf = render_end_of_day(report, language="zh_CN")
    document = pypdfium2.PdfDocument(pdf)
    text = " ".join(text_of(document[i]) for i in range(len(document)))
    assert "日结：国家大剧院" in text
    assert f"售出票数：{report['by_type']['total']['tickets']}" in text
    for label in ("按票种", "按支付方式", "容量", "按原因统计退款", "每小时售出票数"):
        assert label in text, label
    assert "成人票" in text
    assert "End of day" not in text and "By ticket type" not in text
    title, label = glyph_image(document[0], "国家"), glyph_image(document[0], "日结")
    assert has_ink(title) and has_ink(label)
    assert b"/FontFile2" in pdf
    # English stays English on the same data.
    english = render_end_of_day(report)
    assert "By ticket type" in " ".join(text_of(p) for p in pypdfium2.PdfDocument(english))
