"""Text a receipt printer's code pages cannot hold (Chinese, Japanese, emoji...), drawn as a raster image.

Apart from escpos_render.py so that module stays about walking a layout; PIL is imported only when a line needs
drawing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boxoffice.printing.fonts import pil_font

if TYPE_CHECKING:
    from PIL import Image

# Dots of printer font A: 24 high on nearly every 80 mm and 58 mm thermal printer.
_LINE_PX = 24


def _threshold(img: Image.Image) -> Image.Image:
    """Pure black and white: escpos would otherwise dither anti-aliased glyph edges into speckles."""
    return img.convert("L").point(lambda v: 255 if v >= 128 else 0, mode="1")


def text_image(lines: list[tuple[str, str]], paper_px: int, size: int, bold: bool, align: str) -> Image.Image:
    """Draw text the printer cannot encode: ``lines`` are (left, right) pairs; right may be empty.

    Each left part wraps to the paper width; a right part goes to the right edge of the last line, or on a
    line of its own when it does not fit beside it.
    """
    from PIL import Image, ImageDraw

    px = _LINE_PX * size
    everything = "".join(left + right for left, right in lines)
    font = pil_font(everything, px)
    stroke = 1 if bold else 0
    probe = ImageDraw.Draw(Image.new("L", (1, 1), 255))

    def width_of(s: str) -> float:
        return probe.textlength(s, font=font) + 2 * stroke

    def wrap(s: str) -> list[str]:
        out: list[str] = []
        current = ""
        for ch in s:
            if current and width_of(current + ch) > paper_px:
                out.append(current.rstrip())
                current = ch.lstrip()
            else:
                current += ch
        out.append(current)
        return out

    rows: list[tuple[str, str]] = []
    for left, right in lines:
        wrapped = wrap(left)
        if right and width_of(wrapped[-1]) + width_of(" " + right) <= paper_px:
            rows += [(w, "") for w in wrapped[:-1]] + [(wrapped[-1], right)]
        else:
            rows += [(w, "") for w in wrapped]
            rows += [("", r) for r in wrap(right)] if right else []
    bbox = probe.textbbox((0, 0), "Ag" + everything, font=font, stroke_width=stroke)
    row_h = max(px, bbox[3] - min(0, bbox[1])) + 4
    img = Image.new("L", (paper_px, row_h * len(rows)), 255)
    draw = ImageDraw.Draw(img)
    for i, (left, right) in enumerate(rows):
        y = i * row_h + 2
        if left:
            w = width_of(left)
            where = "left" if right else align
            x = {"left": 0, "center": (paper_px - w) / 2, "right": paper_px - w}[where]
            draw.text((max(0, x), y), left, font=font, fill=0, stroke_width=stroke, stroke_fill=0)
        if right:
            x = paper_px - width_of(right)
            draw.text((max(0, x), y), right, font=font, fill=0, stroke_width=stroke, stroke_fill=0)
    return _threshold(img)
