"""Columns of text that line up in any script: padding by the cells a text takes on screen, not its length.

A Chinese character takes two columns of a terminal, so ``f"{name:<14}"`` pads 王小明 three columns too wide. These
helpers measure with Rich's cell widths (what Textual draws with); for Latin text they give what ``format`` gives.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widgets import Static


def ljust(text: str, width: int) -> str:
    """``text`` padded on the right to ``width`` cells (a longer text is left whole, as ``format`` does)."""
    return text + " " * max(0, width - cell_len(text))


def rjust(text: str, width: int) -> str:
    """``text`` padded on the left to ``width`` cells."""
    return " " * max(0, width - cell_len(text)) + text


def fit(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` cells."""
    return set_cell_size(text, width)


__all__ = ["cell_len", "crop", "fit", "ljust", "put", "rjust"]


def crop(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells (as ``text[:width]`` does for Latin text)."""
    return text if cell_len(text) <= width else set_cell_size(text, width)


def put(box: Static, content: str | Text) -> None:
    """Show ``content`` in ``box`` unless it shows exactly that already. Every update lays the screen out again and
    draws the box anew, and a screen redraws several boxes per key (the sale screen all of its own when the basket
    is priced again), most of them unchanged."""
    if type(box.content) is not type(content) or box.content != content:
        box.update(content)
