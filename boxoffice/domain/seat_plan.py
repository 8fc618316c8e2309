"""How a reserved section is drawn as text: one mark per seat, row names at both ends, seat numbers above.

The command line (``boxoffice event seats``) and the full-screen counter draw the same plan, so a mark means the
same everywhere; every mark is a symbol and a word in the legend, and its colour only repeats it (staff who do not
tell red from green read the symbol). The letters H, O and W mean what they mean on the central map (``boxoffice
central seats``): ``h`` a house seat, ``o`` free, ``W`` sold on the web.

Seats are placed by their horizontal position ``x`` (row offsets and aisles are already in it, see
domain/catalog.py), two columns per seat width, so a row that starts further in is drawn further in and an aisle
is a gap. Seat numbers are written downwards above the seats (tens above units). Rows numbered the same way (the
same number at the same place) share one number header; a row numbered differently gets its own, so a number is
never shown above a seat that does not have it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from boxoffice.domain.widths import display_width
from boxoffice.i18n import N_, _

CELL = 2  # columns per seat width: the mark and a space

# key: (symbol, word, colour). The order is the legend's. The word is translated where shown: _(word).
MARKS: dict[str, tuple[str, str, str]] = {
    "free": ("o", N_("free to sell here"), "green"),
    "chosen": ("*", N_("chosen"), "bold cyan"),
    "held": ("+", N_("held in a basket"), "yellow"),
    "sold": ("x", N_("sold here"), "red"),
    "sold_terminal": ("X", N_("sold by another terminal"), "magenta"),
    "sold_web": ("W", N_("sold on the web"), "magenta"),
    "elsewhere": ("-", N_("allocated elsewhere"), "bright_black"),
    "house": ("h", N_("house seat"), "blue"),
    "wheelchair": ("@", N_("wheelchair place"), "green"),
    "companion": ("&", N_("companion seat"), "green"),
    "restricted": ("!", N_("restricted view"), "green"),
}


def mark_of(seat: Mapping[str, Any]) -> str:
    """The key in :data:`MARKS` for a seat of the seat map (services/seat_map.py).

    What can be done with the seat comes first (sold, held, not sellable here); a free seat then shows what kind
    of place it is: wheelchair, companion, restricted view (in that order), else plain free. A seat held by the
    basket being built is "chosen".
    """
    state = seat["state"]
    if state == "sold":
        return {"terminal": "sold_terminal", "web": "sold_web"}.get(seat.get("sold_by") or "here", "sold")
    if state == "held":
        return "chosen" if seat.get("mine") else "held"
    if state in ("elsewhere", "house"):
        return state
    if seat.get("wheelchair"):
        return "wheelchair"
    if seat.get("companion"):
        return "companion"
    if seat.get("restricted_view"):
        return "restricted"
    return "free"


def legend_items(keys: Sequence[str] | None = None) -> list[str]:
    """'o free', '* chosen', ... for the given marks (default: every mark but "chosen")."""
    wanted = [k for k in MARKS if k != "chosen"] if keys is None else list(keys)
    return [f"{MARKS[k][0]} {_(MARKS[k][1])}" for k in wanted]




def legend_lines(width: int = 80, keys: Sequence[str] | None = None) -> list[str]:
    """The legend wrapped to ``width`` columns, the first line starting "legend:"."""
    lines: list[str] = []
    line = _("legend:")
    for item in legend_items(keys):
        if display_width(line) + 2 + display_width(item) > width and line.strip():
            lines.append(line)
            line = " " * display_width(_("legend:"))
        line += "  " + item
    lines.append(line)
    return lines


@dataclass
class PlanRow:
    """A line of the drawing: a number header (``seats`` empty, ``header`` the text) or a row of seats."""

    label: str
    seats: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)  # (column, seat), left to right
    header: str = ""


@dataclass
class Plan:
    """A section laid out: its lines in order (headers and rows), the row-name width and the seats' width."""

    lines: list[PlanRow]
    label_width: int
    width: int

    @property
    def margin(self) -> int:
        """Columns before the first seat column: the row name and a space."""
        return self.label_width + 1

    def row_text(self, line: PlanRow, symbol: Mapping[int, str] | None = None) -> str:
        """A line as plain text; ``symbol`` gives a seat's character by its column (default: its mark)."""
        if not line.seats:
            return " " * self.margin + line.header
        cells = [" "] * self.width
        for col, seat in line.seats:
            cells[col] = symbol[col] if symbol is not None else MARKS[mark_of(seat)][0]
        return f"{line.label:>{self.label_width}} " + "".join(cells) + f" {line.label}"


def layout(rows: Sequence[Mapping[str, Any]]) -> Plan:
    """Lay out a section's rows (``{"row": name, "seats": [...]}``, front row first, each seat with ``x`` and
    ``number``) as :class:`Plan` lines: a number header above each run of rows numbered alike, then the rows."""
    xs = [float(s["x"]) for r in rows for s in r["seats"]]
    left = min(xs) if xs else 0.0
    label_width = max((len(str(r["row"])) for r in rows), default=1)
    placed: list[tuple[str, list[tuple[int, Mapping[str, Any]]]]] = []
    for r in rows:
        placed.append((str(r["row"]), [(round((float(s["x"]) - left) * CELL), s) for s in r["seats"]]))
    width = max((col for _, seats in placed for col, _ in seats), default=0) + 1
    lines: list[PlanRow] = []
    numbering: dict[int, str] | None = None
    for label, seats in placed:
        mine = {col: str(s["number"]) for col, s in seats}
        if mine != numbering:
            lines += _header(mine, width)
            numbering = mine
        lines.append(PlanRow(label, seats))
    return Plan(lines, label_width, width)


def _header(numbers: Mapping[int, str], width: int) -> list[PlanRow]:
    """Seat numbers written downwards above their columns: as many lines as the longest number has digits."""
    depth = max((len(n) for n in numbers.values()), default=1)
    out = []
    for k in range(depth):
        cells = [" "] * width
        for col, number in numbers.items():
            cells[col] = number.rjust(depth)[k]
        out.append(PlanRow("", header="".join(cells).rstrip()))
    return out
