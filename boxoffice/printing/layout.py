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
from operator import attrgetter
from typing import Any, Literal

Align = Literal["left", "center", "right"]
_ALIGNS = ("left", "center", "right")


# The blocks are dataclasses only for their fields (`dataclasses.asdict` stores a finished layout in a print job);
# their methods are written out below. Letting @dataclass generate __init__, __repr__, __eq__, __hash__ and the
# frozen __setattr__ compiles five or six functions per class at every start of a process that prints: about
# 4 M instructions a class, a fifth of what a whole sale adds to its floor. Nothing assigns to a block after it is
# made (the renderer caches by block), as when they were frozen.
class _Block:
    """Equality, hash and repr of a block from its fields, as the generated ones gave them."""

    _fields: tuple[str, ...] = ()
    _get: Any = staticmethod(lambda block: ())  # the fields' values as a tuple: attrgetter, set per class below

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = cls.__dict__.get("_fields", ())
        # attrgetter reads all the fields in C; one name gives the bare value, so a single field is wrapped.
        if len(fields) > 1:
            cls._get = attrgetter(*fields)
        elif fields:
            one = attrgetter(fields[0])
            cls._get = staticmethod(lambda block: (one(block),))

    def _values(self) -> tuple[Any, ...]:
        return self._get(self)  # type: ignore[no-any-return]

    def cache_key(self) -> tuple[Any, ...]:
        """The block's kind and fields as a plain tuple: what a renderer's cache is keyed by. Hashing and comparing
        it happen in C, where the block's own ``__hash__`` and ``__eq__`` run Python for every field (the renderer
        looks up some thirty blocks a sale)."""
        return (self.__class__, self._get(self))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()  # type: ignore[attr-defined]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({fields})"


@dataclass(init=False, repr=False, eq=False)
class Text(_Block):
    """One paragraph of text; the back-end wraps it to the paper width.

    ``size`` is 1 (normal) or 2 (double width and double height), the two sizes every receipt printer has.
    """

    text: str
    bold: bool = False
    size: int = 1
    align: Align = "left"
    _fields = ("text", "bold", "size", "align")

    def __init__(self, text: str, bold: bool = False, size: int = 1, align: Align = "left") -> None:
        if size not in (1, 2):
            raise ValueError(f"Text size must be 1 or 2, not {size!r}")
        if align not in _ALIGNS:
            raise ValueError(f"Text align must be one of {_ALIGNS}, not {align!r}")
        self.text, self.bold, self.size, self.align = text, bold, size, align


@dataclass(init=False, repr=False, eq=False)
class Columns(_Block):
    """A line with ``left`` at the left edge and ``right`` at the right edge ("Adult x2        70.00").

    ``fill`` pads the gap; a space by default, "." for dot leaders.
    """

    left: str
    right: str
    bold: bool = False
    fill: str = " "
    _fields = ("left", "right", "bold", "fill")

    def __init__(self, left: str, right: str, bold: bool = False, fill: str = " ") -> None:
        if len(fill) != 1:
            raise ValueError("Columns fill must be exactly one character")
        self.left, self.right, self.bold, self.fill = left, right, bold, fill


@dataclass(init=False, repr=False, eq=False)
class QR(_Block):
    """A QR code holding ``data`` (a ticket token).

    Printed at error correction M, so a scuffed or folded ticket still scans.
    """

    data: str
    _fields = ("data",)

    def __init__(self, data: str) -> None:
        if not data:
            raise ValueError("QR data must not be empty")
        self.data = data


@dataclass(init=False, repr=False, eq=False)
class Rule(_Block):
    """A horizontal line across the paper, to separate sections."""


@dataclass(init=False, repr=False, eq=False)
class Feed(_Block):
    """Blank paper, ``lines`` text lines high."""

    lines: int = 1
    _fields = ("lines",)

    def __init__(self, lines: int = 1) -> None:
        if not 0 <= lines <= 255:
            raise ValueError("Feed lines must be between 0 and 255")
        self.lines = lines


@dataclass(init=False, repr=False, eq=False)
class Cut(_Block):
    """The end of one piece of paper.

    A cut on printers with a cutter, a tear-off margin on the others, a new page (or a new place on the
    sheet) in a PDF.
    """


@dataclass(init=False, repr=False, eq=False)
class DrawerKick(_Block):
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
