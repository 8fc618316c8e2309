"""The printer-independent description of a printed document: the blocks it is made of.

A Layout is a plain list of blocks. printing/documents.py builds every ticket and receipt from them; a
back-end (ESC/POS bytes or a PDF) turns a layout into something a printer takes. Keeping this module free
of escpos and reportlab means the sale can build and store what it will print without paying for either
import, and a new back-end needs no change here.

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
