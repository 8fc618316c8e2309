"""The layout model and the ticket and receipt documents, independent of any back-end."""

from __future__ import annotations

import pytest

from boxoffice.printing.documents import COPY_BANNER, ReceiptView, TicketView, receipt_layout, ticket_layout
from boxoffice.printing.layout import QR, Columns, Cut, DrawerKick, Feed, Rule, Text, split_pieces

VIEW = TicketView(
    venue="Stadthalle",
    event_name="Spring Gala",
    starts_at="Sat 12 Apr 2026 20:00",
    section="Standing",
    row=None,
    seat=None,
    ticket_type="Adult",
    price="35.00",
    order_code="K7M4-PQ9X",
    token="BX1:TOKEN",
)


def texts(layout: list) -> list[str]:
    out = []
    for block in layout:
        if isinstance(block, Text):
            out.append(block.text)
        elif isinstance(block, Columns):
            out.append(f"{block.left}|{block.right}")
    return out


def test_ticket_has_one_qr_with_the_token_and_ends_with_a_cut() -> None:
    layout = ticket_layout(VIEW)
    assert [b for b in layout if isinstance(b, QR)] == [QR("BX1:TOKEN")]
    assert isinstance(layout[-1], Cut)
    assert sum(isinstance(b, Cut) for b in layout) == 1
    assert COPY_BANNER not in texts(layout)


def test_general_admission_ticket_has_no_row_or_seat() -> None:
    lines = texts(ticket_layout(VIEW))
    assert "Section|Standing" in lines
    assert not any(line.startswith(("Row|", "Seat|")) for line in lines)


def test_copy_is_prominent_from_either_flag() -> None:
    for layout in (ticket_layout(VIEW, copy=True), ticket_layout(TicketView(**{**VIEW.__dict__, "copy": True}))):
        banners = [b for b in layout if isinstance(b, Text) and b.text == COPY_BANNER]
        assert len(banners) == 2
        assert banners[0].size == 2 and banners[0].bold


def test_receipt_lists_lines_totals_tenders_and_change() -> None:
    view = ReceiptView(
        venue="Stadthalle",
        order_code="K7M4-PQ9X",
        lines=[("Adult", 2, "70.00")],
        total="70.00",
        tax_lines=[("incl. VAT 7%", "4.58")],
        tenders=[("Card", "70.00")],
        change=None,
        operator="anna",
        time="19:02",
    )
    layout = receipt_layout(view)
    lines = texts(layout)
    for expected in ("Adult x2|70.00", "TOTAL|70.00", "incl. VAT 7%|4.58", "Card|70.00", "Served by anna"):
        assert expected in lines
    assert not any(line.startswith("Change|") for line in lines)
    assert DrawerKick() not in layout
    assert receipt_layout(view, open_drawer=True)[0] == DrawerKick()
    assert isinstance(layout[-1], Cut)


def test_split_pieces_drops_blank_pieces() -> None:
    layout = [Text("a"), Cut(), Cut(), Feed(3), Text("b"), Rule(), Cut(), Feed(2), DrawerKick()]
    assert split_pieces(layout) == [[Text("a"), Cut()], [Feed(3), Text("b"), Rule(), Cut()]]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Text("x", size=3),
        lambda: Text("x", align="middle"),  # type: ignore[arg-type]
        lambda: QR(""),
        lambda: Feed(-1),
        lambda: Columns("a", "b", fill=".."),
    ],
)
def test_malformed_blocks_are_refused(make) -> None:
    with pytest.raises(ValueError):
        make()
