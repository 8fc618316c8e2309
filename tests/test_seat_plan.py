"""The drawn seat plan (domain/seat_plan.py) and best available that never strands a single seat unless allowed."""

from __future__ import annotations

import pytest

from boxoffice.domain.seat_plan import MARKS, layout, legend_lines, mark_of
from boxoffice.domain.seating import Seat, best_available
from boxoffice.errors import BoxOfficeError


def _row(name: str, numbers: list[int], offset: float = 0.0, aisle_after: int | None = None) -> dict:
    seats, x = [], offset
    for n in numbers:
        seats.append({"label": f"{name}{n}", "row": name, "number": str(n), "x": x, "state": "free"})
        x += 2.0 if n == aisle_after else 1.0
    return {"row": name, "seats": seats}


def test_rows_numbered_alike_share_a_header_and_others_get_their_own() -> None:
    plan = layout([_row("A", [5, 6, 7, 8], offset=1.5), _row("B", list(range(1, 12)), aisle_after=5),
                   _row("C", list(range(1, 12)), aisle_after=5)])
    text = [plan.row_text(line) for line in plan.lines]
    # A's header (one line: single digits), A, then B's two-line header (11 has two digits), B, C.
    assert [line.label for line in plan.lines] == ["", "A", "", "", "B", "C"]
    a_row, b_row = text[1], text[4]
    assert a_row.startswith("A    o o o o") and a_row.endswith(" A")  # 1.5 seats in: three columns
    assert text[0].strip() == "5 6 7 8" and text[0].index("5") == a_row.index("o")
    assert b_row.startswith("B o o o o o   o")  # the aisle after seat 5 is a gap
    assert text[2].rstrip().endswith("1 1") and text[3].rstrip().endswith("0 1")  # 10 and 11, read downwards
    assert text[3][b_row.index("o")] == "1"


def test_each_mark_has_one_symbol_and_one_word() -> None:
    symbols = [m[0] for m in MARKS.values()]
    words = [m[1] for m in MARKS.values()]
    assert len(set(symbols)) == len(symbols) and len(set(words)) == len(words)
    assert all(len(s) == 1 for s in symbols)
    seat = {"state": "free", "wheelchair": True, "restricted_view": True}
    assert mark_of(seat) == "wheelchair" and mark_of(seat | {"state": "sold", "sold_by": "web"}) == "sold_web"
    assert mark_of({"state": "held", "mine": True}) == "chosen" and mark_of({"state": "house"}) == "house"
    lines = legend_lines(60)
    assert lines[0].startswith("legend:") and all(len(x) <= 60 for x in lines)
    assert "* chosen" not in "\n".join(lines)  # only the counter's screen has a choice


def _seats(pattern: str) -> list[Seat]:
    return [Seat(label=f"A{i + 1}", row="A", number=str(i + 1), x=float(i), available=ch == ".")
            for i, ch in enumerate(pattern)]


def test_best_available_can_be_told_never_to_strand_a_seat() -> None:
    row = _seats("x...x")  # any two of the three free seats leaves the third alone
    assert [s.label for s in best_available([row], 2)] in (["A2", "A3"], ["A3", "A4"])
    with pytest.raises(BoxOfficeError) as refused:
        best_available([row], 2, allow_strand=False)
    assert refused.value.code == "not_enough_together" and refused.value.details["strands"] is True
    # A block that strands nothing is found even behind a better one that would.
    assert [s.label for s in best_available([row, _seats("x..xx")], 2, allow_strand=False)] == ["A2", "A3"]
    with pytest.raises(BoxOfficeError) as none:
        best_available([_seats("xxxxx")], 2, allow_strand=False)
    assert none.value.code == "sold_out"
