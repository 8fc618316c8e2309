"""The printer-independent description of a ticket or receipt.

A Layout is a plain list of blocks. The sales code builds one with ``ticket_layout`` or
``receipt_layout``; a back-end (ESC/POS bytes or a PDF) turns it into something a printer takes. Keeping
this module free of escpos and reportlab means the sale can build and store what it will print without
paying for either import, and a new back-end needs no change here.

Several layouts print as one job by concatenating them (``ticket_a + ticket_b + receipt``): each ticket
ends with its own ``Cut``, so the back-ends know where one piece of paper ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Align = Literal["left", "center", "right"]
_ALIGNS = ("left", "center", "right")


@dataclass(frozen=True)
class Text:
    """One paragraph of text; the back-end wraps it to the paper width.

    ``size`` is 1 (normal) or 2 (double width and double height), the two sizes every receipt printer has.
    """

    text: str
    bold: bool = False
    size: int = 1
    align: Align = "left"

    def __post_init__(self) -> None:
        if self.size not in (1, 2):
            raise ValueError(f"Text size must be 1 or 2, not {self.size!r}")
        if self.align not in _ALIGNS:
            raise ValueError(f"Text align must be one of {_ALIGNS}, not {self.align!r}")


@dataclass(frozen=True)
class Columns:
    """A line with ``left`` at the left edge and ``right`` at the right edge ("Adult x2        70.00").

    ``fill`` pads the gap; a space by default, "." for dot leaders.
    """

    left: str
    right: str
    bold: bool = False
    fill: str = " "

    def __post_init__(self) -> None:
        if len(self.fill) != 1:
            raise ValueError("Columns fill must be exactly one character")


@dataclass(frozen=True)
class QR:
    """A QR code holding ``data`` (a ticket token).

    Printed at error correction M, so a scuffed or folded ticket still scans.
    """

    data: str

    def __post_init__(self) -> None:
        if not self.data:
            raise ValueError("QR data must not be empty")


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the paper, to separate sections."""


@dataclass(frozen=True)
class Feed:
    """Blank paper, ``lines`` text lines high."""

    lines: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.lines <= 255:
            raise ValueError("Feed lines must be between 0 and 255")


@dataclass(frozen=True)
class Cut:
    """The end of one piece of paper.

    A cut on printers with a cutter, a tear-off margin on the others, a new page (or a new place on the
    sheet) in a PDF.
    """


@dataclass(frozen=True)
class DrawerKick:
    """Open the cash drawer wired to the printer; back-ends without a drawer ignore it."""


Block = Text | Columns | QR | Rule | Feed | Cut | DrawerKick
Layout = list[Block]


@dataclass(frozen=True)
class TicketView:
    """What a ticket shows, already formatted for people: the sales code owns money and time formatting.

    ``row`` and ``seat`` are None for general admission. ``token`` is the signed QR payload.
    """

    venue: str
    event_name: str
    starts_at: str
    section: str
    row: str | None
    seat: str | None
    ticket_type: str
    price: str
    order_code: str
    token: str
    copy: bool = False


@dataclass(frozen=True)
class ReceiptView:
    """What a receipt shows, already formatted for people.

    ``lines`` are (description, quantity, amount text); ``tax_lines`` and ``tenders`` are
    (label, amount text); ``change`` is None when no change is due.
    """

    venue: str
    order_code: str
    lines: list[tuple[str, int, str]]
    total: str
    tax_lines: list[tuple[str, str]]
    tenders: list[tuple[str, str]]
    change: str | None
    operator: str
    time: str
    footer: str | None = None
    copy: bool = False


COPY_BANNER = "*** COPY ***"


def ticket_layout(t: TicketView, copy: bool = False) -> Layout:
    """The layout of one ticket: event first (what the door checks by eye), then the place, then the QR.

    A reprint (``copy`` here or on the view) keeps the same token and says COPY in large type at the top and
    again under the QR, so a copy is obvious both at the counter and at the door.
    """
    is_copy = copy or t.copy
    blocks: Layout = [Text(t.venue, bold=True, align="center")]
    if is_copy:
        blocks.append(Text(COPY_BANNER, bold=True, size=2, align="center"))
    blocks += [
        Text(t.event_name, bold=True, size=2, align="center"),
        Text(t.starts_at, align="center"),
        Rule(),
        Columns("Section", t.section, bold=True),
    ]
    if t.row is not None:
        blocks.append(Columns("Row", t.row, bold=True))
    if t.seat is not None:
        blocks.append(Columns("Seat", t.seat, bold=True))
    blocks += [
        Columns("Ticket", t.ticket_type),
        Columns("Price", t.price),
        Columns("Order", t.order_code),
        QR(t.token),
        Text(t.order_code, align="center"),
    ]
    if is_copy:
        blocks.append(Text(COPY_BANNER, bold=True, align="center"))
    blocks.append(Cut())
    return blocks


def receipt_layout(r: ReceiptView, open_drawer: bool = False) -> Layout:
    """The layout of a sales receipt.

    ``open_drawer`` puts the drawer kick first, so the drawer opens while the receipt is still printing
    and the seller can give change at once.
    """
    blocks: Layout = [DrawerKick()] if open_drawer else []
    blocks.append(Text(r.venue, bold=True, size=2, align="center"))
    if r.copy:
        blocks.append(Text(COPY_BANNER, bold=True, size=2, align="center"))
    blocks += [
        Columns("Order", r.order_code),
        Columns("Time", r.time),
        Rule(),
    ]
    blocks += [Columns(f"{description} x{qty}", amount) for description, qty, amount in r.lines]
    blocks += [Rule(), Columns("TOTAL", r.total, bold=True)]
    blocks += [Columns(label, amount) for label, amount in r.tax_lines]
    blocks += [Columns(label, amount) for label, amount in r.tenders]
    if r.change is not None:
        blocks.append(Columns("Change", r.change, bold=True))
    blocks += [Rule(), Text(f"Served by {r.operator}")]
    if r.footer:
        blocks.append(Text(r.footer, align="center"))
    if r.copy:
        blocks.append(Text(COPY_BANNER, bold=True, align="center"))
    blocks.append(Cut())
    return blocks


def split_pieces(layout: Layout) -> list[Layout]:
    """Split a layout at each Cut into the pieces of paper it describes.

    Each Cut stays at the end of its piece. Pieces with nothing visible on them (a double Cut, a trailing
    Feed) are dropped, so a PDF never gets a blank page from them.
    """
    pieces: list[Layout] = []
    current: Layout = []
    for block in layout:
        current.append(block)
        if isinstance(block, Cut):
            pieces.append(current)
            current = []
    pieces.append(current)
    return [piece for piece in pieces if any(isinstance(b, Text | Columns | QR | Rule) for b in piece)]
