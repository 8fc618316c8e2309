"""How many columns text takes on a terminal or a receipt: one place for the rule every screen and printer uses.

Counting characters misaligns every column after a Chinese name: Unicode's East Asian Width W (wide: Han, kana,
Hangul, CJK punctuation) and F (full-width forms) take two columns, combining marks none, the rest one.
"""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Columns ``text`` takes: two for wide and full-width characters, none for combining marks, one otherwise."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
