"""Words in letters five rows high, for an answer read from across a door: ADMIT, REFUSED, EXIT.

Only the letters those words need; any other word is left to the plain line under it (:func:`banner` gives None).
"""

from __future__ import annotations

_GLYPHS = {
    "A": (" ███ ", "█   █", "█████", "█   █", "█   █"),
    "D": ("████ ", "█   █", "█   █", "█   █", "████ "),
    "E": ("█████", "█    ", "████ ", "█    ", "█████"),
    "F": ("█████", "█    ", "████ ", "█    ", "█    "),
    "I": ("███", " █ ", " █ ", " █ ", "███"),
    "M": ("█   █", "██ ██", "█ █ █", "█   █", "█   █"),
    "R": ("████ ", "█   █", "████ ", "█  █ ", "█   █"),
    "S": (" ████", "█    ", " ███ ", "    █", "████ "),
    "T": ("█████", "  █  ", "  █  ", "  █  ", "  █  "),
    "U": ("█   █", "█   █", "█   █", "█   █", " ███ "),
    "X": ("█   █", " █ █ ", "  █  ", " █ █ ", "█   █"),
}
ROWS = 5


def banner(word: str) -> str | None:
    """``word`` in block letters (five lines), or None when it has a letter this font lacks."""
    if not word or any(c not in _GLYPHS for c in word):
        return None
    return "\n".join(" ".join(_GLYPHS[c][row] for c in word) for row in range(ROWS))
