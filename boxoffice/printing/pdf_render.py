"""Render Layouts to a PDF with reportlab: one ticket per page on ticket stock, or several on an A4 sheet.

Each layout is split at its Cut blocks into pieces of paper (tickets, receipts). On ``stock="ticket"`` every
piece gets its own 80 mm wide page, as tall as its content; on ``stock="a4"`` pieces fill A4 sheets two
across, with dashed cut guides. The QR is drawn as vector squares from the same encoder the receipt printer
uses, so it scans at any zoom. ``invariant=1`` makes the bytes depend only on the input, so a retried job
writes the identical file and tests can compare bytes.

Fonts: Helvetica for text that WinAnsi (Latin-1 plus the euro sign) holds; otherwise a TrueType font that
covers the text is embedded as a subset (found as for the receipt printer, see fonts.best_font: the configured
font, a system one, else the font bundled with the program, so Chinese prints on a machine without CJK fonts). A
character no font has is drawn as fonts.FALLBACK_GLYPH, with one warning line. Only when no TrueType font can be
read at all do Chinese, Japanese and Korean fall back to reportlab's ``STSong-Light`` CID font, which viewers
supply.
reportlab is imported inside the functions: ``boxoffice --help`` must not pay for it.
"""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from boxoffice.errors import BoxOfficeError
from boxoffice.printing.fonts import FALLBACK_GLYPH, best_font, clean_text, font_coverage, is_cjk, warn_missing
from boxoffice.printing.layout import (
    QR,
    Block,
    Columns,
    Cut,
    DrawerKick,
    Feed,
    Layout,
    Rule,
    Text,
    split_pieces,
)
from boxoffice.printing.qr import qr_matrix

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

Stock = Literal["ticket", "a4"]

MM = 72 / 25.4
TICKET_WIDTH = 80 * MM
MARGIN = 4 * MM
QR_SIDE = 40 * MM
# Font size and line height, in points, for Text sizes 1 and 2.
_FONT_SIZE = {1: 9.0, 2: 15.0}
_LEADING = {1: 11.5, 2: 18.5}
_A4_MARGIN = 10 * MM
_A4_GAP = 6 * MM

_CID_FONT = "STSong-Light"
_TTF_SUFFIXES = (".ttf", ".ttc")

# A drawing step: (height in points, function drawing it at x, y_top with a given content width).
Draw = Callable[["Canvas", float, float, float], None]


@dataclass(frozen=True)
class _Step:
    height: float
    draw: Draw


# --------------------------------------------------------------------------------------------------------
# Fonts


def _winansi(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@functools.lru_cache(maxsize=32)
def _register_ttf(path: str) -> str | None:
    """Register a TrueType file with reportlab once; None when reportlab cannot use it (CFF outlines...)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    stem = "".join(ch for ch in path.rsplit("/", 1)[-1] if ch.isalnum())
    name = f"BoxOffice-{stem}-{zlib.crc32(path.encode()):08x}"
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    except (TTFError, OSError, ValueError):
        return None
    return name


@functools.lru_cache(maxsize=1)
def _register_cid() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(_CID_FONT))
    return _CID_FONT


@dataclass(frozen=True)
class _Face:
    """How to draw one piece of text: one font for all of it, or Helvetica for the WinAnsi characters and a
    CID font for the rest (so "Das Konzert 演唱会" keeps its Latin part in Helvetica)."""

    whole: str | None
    latin: str = "Helvetica"
    other: str = _CID_FONT
    embolden: bool = False  # a font without a bold face asked for bold: outlined as well as filled

    def runs(self, text: str) -> list[tuple[str, str]]:
        if self.whole is not None:
            return [(text, self.whole)] if text else []
        runs: list[tuple[str, str]] = []
        for ch in text:
            font = self.latin if _winansi(ch) else self.other
            if runs and runs[-1][1] == font:
                runs[-1] = (runs[-1][0] + ch, font)
            else:
                runs.append((ch, font))
        return runs

    def width(self, text: str, size: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return sum(stringWidth(part, font, size) for part, font in self.runs(text))

    def draw(self, c: Canvas, x: float, baseline: float, text: str, size: float) -> None:
        if self.embolden:
            c.saveState()
            c.setLineWidth(size * 0.04)
            c.setStrokeGray(0)
        for part, font in self.runs(text):
            c.setFont(font, size)
            if self.embolden:
                c.drawString(x, baseline, part, mode=2)  # fill and stroke: bold from a regular face
            else:
                c.drawString(x, baseline, part)
            x += self.width(part, size)
        if self.embolden:
            c.restoreState()


def _face_for(text: str, bold: bool) -> tuple[_Face, str]:
    """The fonts for ``text`` (see the module docstring for the order) and the text as they draw it: a character
    no font has becomes FALLBACK_GLYPH (with one warning line), so the document is still produced and the gap is
    visible."""
    helvetica = "Helvetica-Bold" if bold else "Helvetica"
    if _winansi(text):
        return _Face(helvetica), text
    path, missing = best_font(text, bold, truetype_only=True)
    name = _register_ttf(str(path)) if path is not None and path.suffix.lower() in _TTF_SUFFIXES else None
    if name:
        if missing:
            warn_missing(missing)
            cover = font_coverage(str(path)) or frozenset()
            glyph = FALLBACK_GLYPH if ord(FALLBACK_GLYPH) in cover else "?"
            text = "".join(glyph if ch in missing else ch for ch in text)
        return _Face(name, embolden=bold), text
    if any(is_cjk(ch) for ch in text):
        return _Face(None, latin=helvetica, other=_register_cid()), text
    return _Face(helvetica), text  # no font on this system has the glyphs; they show as blanks


def _wrap(text: str, face: _Face, size: float, width: float) -> list[str]:
    """Wrap at spaces, and inside words (or CJK runs, which have no spaces) wider than a line."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if face.width(candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while len(word) > 1 and face.width(word, size) > width:
            cut = 1
            while cut < len(word) and face.width(word[: cut + 1], size) <= width:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


def _baseline(y_top: float, size: float, leading: float) -> float:
    return y_top - leading + (leading - size) / 2 + size * 0.2


# --------------------------------------------------------------------------------------------------------
# Measuring and drawing blocks


def _text_steps(block: Text, width: float) -> list[_Step]:
    size, leading = _FONT_SIZE[block.size], _LEADING[block.size]
    steps: list[_Step] = []
    for paragraph in block.text.split("\n"):
        face, paragraph = _face_for(clean_text(paragraph), block.bold)
        for line in _wrap(paragraph, face, size, width):

            def draw(c: Canvas, x: float, y: float, w: float, line: str = line, face: _Face = face) -> None:
                slack = w - face.width(line, size)
                offset = {"left": 0.0, "center": slack / 2, "right": slack}[block.align]
                face.draw(c, x + offset, _baseline(y, size, leading), line, size)

            steps.append(_Step(leading, draw))
    return steps


def _columns_steps(block: Columns, width: float) -> list[_Step]:
    size, leading = _FONT_SIZE[1], _LEADING[1]
    left_face, left = _face_for(clean_text(block.left).replace("\n", " "), block.bold)
    right_face, right = _face_for(clean_text(block.right).replace("\n", " "), block.bold)
    gap = size  # at least one em between the two ends
    if left_face.width(left, size) + gap + right_face.width(right, size) <= width:
        rows = [(left, right)]
    else:
        rows = [(line, "") for line in _wrap(left, left_face, size, width)]
        last = rows[-1][0]
        if left_face.width(last, size) + gap + right_face.width(right, size) <= width:
            rows[-1] = (last, right)  # the amount fits beside the last line of a wrapped description
        else:
            rows += [("", line) for line in _wrap(right, right_face, size, width)]
    steps: list[_Step] = []
    for row_left, row_right in rows:

        def draw(c: Canvas, x: float, y: float, w: float, a: str = row_left, b: str = row_right) -> None:
            baseline = _baseline(y, size, leading)
            left_face.draw(c, x, baseline, a, size)
            right_face.draw(c, x + w - right_face.width(b, size), baseline, b, size)

        steps.append(_Step(leading, draw))
    return steps


def _qr_step(block: QR, width: float) -> _Step:
    matrix = qr_matrix(block.data)
    side = min(QR_SIDE, width)
    module = side / len(matrix)

    def draw(c: Canvas, x: float, y: float, w: float) -> None:
        left = x + (w - side) / 2
        path = c.beginPath()
        for r, row in enumerate(matrix):
            col = 0
            while col < len(row):
                if not row[col]:
                    col += 1
                    continue
                start = col
                while col < len(row) and row[col]:
                    col += 1
                # One rectangle per horizontal run of dark modules keeps the PDF small.
                path.rect(left + start * module, y - (r + 1) * module, (col - start) * module, module)
        c.setFillColorRGB(0, 0, 0)
        c.drawPath(path, stroke=0, fill=1)

    return _Step(side + 2 * MM, draw)


def _rule_step() -> _Step:
    def draw(c: Canvas, x: float, y: float, w: float) -> None:
        c.setLineWidth(0.6)
        c.line(x, y - 3 * MM / 2, x + w, y - 3 * MM / 2)

    return _Step(3 * MM, draw)


def _steps(block: Block, width: float) -> list[_Step]:
    if isinstance(block, Text):
        return _text_steps(block, width)
    if isinstance(block, Columns):
        return _columns_steps(block, width)
    if isinstance(block, QR):
        return [_qr_step(block, width)]
    if isinstance(block, Rule):
        return [_rule_step()]
    if isinstance(block, Feed):
        return [_Step(block.lines * _LEADING[1], lambda c, x, y, w: None)] if block.lines else []
    if isinstance(block, Cut | DrawerKick):
        return []  # pieces are already split at Cut; a PDF has no drawer
    raise TypeError(f"not a layout block: {block!r}")  # pragma: no cover


@dataclass(frozen=True)
class _Piece:
    """One ticket or receipt, measured: its steps and total height including margins."""

    steps: list[_Step]
    height: float


def _measure(piece: Layout) -> _Piece:
    width = TICKET_WIDTH - 2 * MARGIN
    steps = [step for block in piece for step in _steps(block, width)]
    return _Piece(steps, sum(s.height for s in steps) + 2 * MARGIN)


def _draw_piece(c: Canvas, piece: _Piece, x: float, y_top: float) -> None:
    """Draw a measured piece with its top-left corner (outside the margin) at x, y_top."""
    y = y_top - MARGIN
    for step in piece.steps:
        step.draw(c, x + MARGIN, y, TICKET_WIDTH - 2 * MARGIN)
        y -= step.height


# --------------------------------------------------------------------------------------------------------
# Pages


def _canvas(buffer: io.BytesIO, title: str) -> Canvas:
    from reportlab.pdfgen.canvas import Canvas

    c = Canvas(buffer, invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setAuthor("boxoffice")
    c.setCreator("boxoffice")
    return c


def _ticket_pages(c: Canvas, pieces: list[_Piece]) -> None:
    for piece in pieces:
        c.setPageSize((TICKET_WIDTH, piece.height))
        _draw_piece(c, piece, 0, piece.height)
        c.showPage()


def _a4_pages(c: Canvas, pieces: list[_Piece]) -> None:
    """Fill A4 sheets left to right, top to bottom; a piece taller than a sheet is scaled down to fit."""
    from reportlab.lib.pagesizes import A4

    page_w, page_h = A4
    usable_h = page_h - 2 * _A4_MARGIN
    per_row = max(1, int((page_w - 2 * _A4_MARGIN + _A4_GAP) // (TICKET_WIDTH + _A4_GAP)))
    row_w = per_row * TICKET_WIDTH + (per_row - 1) * _A4_GAP
    x0 = (page_w - row_w) / 2
    c.setPageSize(A4)
    y = page_h - _A4_MARGIN
    i = 0
    started = False
    while i < len(pieces):
        row = pieces[i : i + per_row]
        row_h = min(usable_h, max(p.height for p in row))
        if started and y - row_h < _A4_MARGIN:
            c.showPage()
            c.setPageSize(A4)
            y = page_h - _A4_MARGIN
        for n, piece in enumerate(row):
            x = x0 + n * (TICKET_WIDTH + _A4_GAP)
            scale = min(1.0, usable_h / piece.height)
            c.saveState()
            c.setDash(3, 3)
            c.setStrokeGray(0.6)
            c.setLineWidth(0.4)
            c.rect(x, y - piece.height * scale, TICKET_WIDTH * scale, piece.height * scale)
            c.restoreState()
            c.saveState()
            c.translate(x, y)
            c.scale(scale, scale)
            _draw_piece(c, piece, 0, 0)
            c.restoreState()
        y -= row_h + _A4_GAP
        started = True
        i += per_row
    c.showPage()


def render_pdf(layouts: Sequence[Layout], stock: Stock = "ticket", *, title: str = "Tickets") -> bytes:
    """A PDF of ``layouts``: each piece of paper (split at Cut) on its own ticket page, or packed on A4.

    The same input gives the same bytes. Raises ``bad_input`` for an unknown stock or nothing to print.
    """
    if stock not in ("ticket", "a4"):
        raise BoxOfficeError("bad_input", f"unknown PDF stock {stock!r}: use 'ticket' or 'a4'")
    pieces = [_measure(piece) for layout in layouts for piece in split_pieces(layout)]
    if not pieces:
        raise BoxOfficeError("bad_input", "nothing to print: the layouts are empty")
    buffer = io.BytesIO()
    c = _canvas(buffer, title)
    if stock == "ticket":
        _ticket_pages(c, pieces)
    else:
        _a4_pages(c, pieces)
    c.save()
    return buffer.getvalue()
