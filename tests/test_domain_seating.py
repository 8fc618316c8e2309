"""Best-available selection and named seats, checked against hand-built rows and a brute-force reference."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boxoffice.domain.seating import Seat, best_available, check_named
from boxoffice.errors import BoxOfficeError


def make_row(
    name: str,
    pattern: str,
    *,
    first_number: int = 1,
) -> list[Seat]:
    """A row from a picture: '.' free, 'x' sold/held, 'W'/'w' wheelchair free/taken, 'C'/'c' companion
    free/taken, '|' an aisle before the next seat, '_' a gap (missing seat) before the next seat."""
    seats: list[Seat] = []
    x = 0.0
    aisle = False
    number = first_number
    for ch in pattern:
        if ch == "|":
            aisle = True
            x += 1
            continue
        if ch == "_":
            x += 1
            continue
        seats.append(
            Seat(
                label=f"{name}{number}",
                row=name,
                number=str(number),
                x=x,
                available=ch in ".WC",
                wheelchair=ch in "Ww",
                companion=ch in "Cc",
                aisle_before=aisle,
            )
        )
        aisle = False
        x += 1
        number += 1
    return seats


def labels(seats: Sequence[Seat]) -> list[str]:
    return [s.label for s in seats]


def hall(*patterns: str) -> list[list[Seat]]:
    return [make_row(chr(ord("A") + i), p) for i, p in enumerate(patterns)]


# --- choosing the block -------------------------------------------------------------------------------


def test_front_centre_in_an_empty_hall() -> None:
    rows = hall("." * 11, "." * 11, "." * 11)
    assert labels(best_available(rows, 3)) == ["A5", "A6", "A7"]
    assert labels(best_available(rows, 1)) == ["A6"]


def test_even_row_centre_tie_goes_left() -> None:
    # Row of 10: a single seat is half a seat off the centre either side; the left one wins the tie.
    rows = hall("." * 10)
    assert labels(best_available(rows, 1)) == ["A5"]
    assert labels(best_available(rows, 2)) == ["A5", "A6"]


def test_sold_and_held_seats_are_skipped() -> None:
    rows = hall("....xxx....", ".." + "x" * 7 + "..", "...........")
    chosen = best_available(rows, 3)
    assert all(s.available for s in chosen)
    # Every triple in row A is 3 or more seats off centre and strands a seat; row B has only pairs;
    # row C's centre wins.
    assert labels(chosen) == ["C5", "C6", "C7"]


def test_row_distance_weighed_against_centre_distance() -> None:
    # A7-A8 is 1.5 seats off centre (0.75) and strands nothing: it beats row B's centre (1 row + 0.25).
    rows = hall("xxxxxx.....", "...........")
    assert labels(best_available(rows, 2)) == ["A7", "A8"]
    # With only A9-A11 free, any pair in row A is off centre and strands a seat: row B wins.
    rows = hall("xxxxxxxx...", "...........")
    assert labels(best_available(rows, 2)) == ["B5", "B6"]


def test_block_never_crosses_an_aisle() -> None:
    rows = hall("...|...")
    with pytest.raises(BoxOfficeError) as info:
        best_available(rows, 4)
    assert info.value.code == "not_enough_together"
    assert info.value.details == {"largest_block": 3, "free": 6}
    assert labels(best_available(rows, 3)) == ["A1", "A2", "A3"]


def test_block_never_crosses_a_gap() -> None:
    rows = hall("..._...")
    with pytest.raises(BoxOfficeError) as info:
        best_available(rows, 6)
    assert info.value.details["largest_block"] == 3


def test_aisle_pair_is_split_correctly() -> None:
    # Two free seats either side of an aisle are not a pair; the real pair further out is chosen.
    rows = hall("xx..x|.xxxx")
    assert labels(best_available(rows, 2)) == ["A3", "A4"]


def test_five_free_seats_pair_takes_an_end_not_the_middle() -> None:
    rows = hall(".....")
    # A2-A3 or A3-A4 would be nearer the centre but strand A1 or A5; A1-A2 leaves a block of three.
    assert labels(best_available(rows, 2)) == ["A1", "A2"]


def test_stranding_loses_to_an_equal_row_block_a_little_further_out() -> None:
    # Free: A3-A5 (centre of the row is A6) and A8-A11. A pair in A3-A5 strands a seat; A8-A9 does not.
    rows = hall("xx...xx....x")
    chosen = best_available(rows, 2)
    assert labels(chosen) == ["A8", "A9"]


def test_a_seat_across_an_aisle_is_not_stranded_by_the_block() -> None:
    # A2 is alone in its segment already; selling A3-A4 on the other side of the aisle changes nothing
    # for it, so row A's pair (0.75) beats row B's best (1.75) with no stranding penalty.
    rows = hall("x.|..", ".....")
    assert labels(best_available(rows, 2)) == ["A3", "A4"]
    rows = hall("..|.x", ".....")
    assert labels(best_available(rows, 2)) == ["A1", "A2"]


def test_a_much_better_block_may_strand_a_seat() -> None:
    # The documented trade-off: stranding costs 3 points, five rows cost 5.
    rows = hall("xxxx...xxxx", "x" * 11, "x" * 11, "x" * 11, "x" * 11, "...........")
    assert labels(best_available(rows, 2))[0].startswith("A")


def test_stranding_a_wheelchair_space_is_avoided() -> None:
    # A2-A3 is dead centre, but would leave the wheelchair space A1 with no free neighbour for a
    # companion (and A4 alone): A3-A4 keeps A1-A2 together.
    rows = hall("W...")
    assert labels(best_available(rows, 2)) == ["A3", "A4"]


def test_second_seat_of_a_run_beside_a_wheelchair_space() -> None:
    # The ordinary run is A3-A7 next to the free wheelchair space A2 (with its companion seat A1).
    # A4-A5 is nearest the centre without stranding anyone: A3 keeps A2 as its neighbour.
    rows = hall("CW.....xx")
    assert labels(best_available(rows, 2)) == ["A4", "A5"]


# --- accessible seating -------------------------------------------------------------------------------


def test_wheelchair_and_companion_seats_not_sold_unless_asked() -> None:
    rows = hall("..WC|CW..")
    chosen = best_available(rows, 2)
    assert not any(s.wheelchair or s.companion for s in chosen)
    assert labels(chosen) == ["A1", "A2"]  # the two end pairs tie; the left one wins
    with pytest.raises(BoxOfficeError) as info:
        best_available(rows, 3)
    assert info.value.code == "not_enough_together"
    assert info.value.details == {"largest_block": 2, "free": 4}
    rows = hall("CWWC")
    with pytest.raises(BoxOfficeError) as info:
        best_available(rows, 1)
    assert info.value.code == "sold_out"


def test_accessible_request_includes_a_wheelchair_space() -> None:
    rows = hall("......", "W.....")
    chosen = best_available(rows, 2, accessible=True)
    assert any(s.wheelchair for s in chosen)
    assert labels(chosen) == ["B1", "B2"]


def test_accessible_request_may_use_companion_seats() -> None:
    rows = hall("..CWC..")
    chosen = best_available(rows, 3, accessible=True)
    assert labels(chosen) == ["A3", "A4", "A5"]
    assert labels(best_available(rows, 1, accessible=True)) == ["A4"]


def test_accessible_request_with_no_wheelchair_space_left() -> None:
    rows = hall("..CwC..")
    with pytest.raises(BoxOfficeError) as info:
        best_available(rows, 2, accessible=True)
    assert info.value.code == "sold_out"
    assert "wheelchair" in info.value.message
    assert info.value.details["wheelchair_free"] == 0


def test_accessible_request_too_big_for_any_wheelchair_block() -> None:
    rows = hall("W.x........")
    with pytest.raises(BoxOfficeError) as info:
        best_available(rows, 3, accessible=True)
    assert info.value.code == "not_enough_together"
    assert info.value.details["largest_block"] == 2


# --- refusals -----------------------------------------------------------------------------------------


def test_not_enough_together_reports_largest_block_and_free() -> None:
    rows = hall("..x.x..", ".x...x.")
    with pytest.raises(BoxOfficeError) as info:
        best_available(rows, 4)
    exc = info.value
    assert exc.code == "not_enough_together"
    assert exc.details == {"largest_block": 3, "free": 10}
    assert "largest block is 3 seats" in exc.message
    assert "10 seats free" in exc.message
    assert "fewer seats" in exc.message and "by name" in exc.message


def test_sold_out_when_no_seat_is_free() -> None:
    with pytest.raises(BoxOfficeError) as info:
        best_available(hall("xxx", "xx"), 1)
    assert info.value.code == "sold_out"
    with pytest.raises(BoxOfficeError) as info:
        best_available([], 1)
    assert info.value.code == "sold_out"


@pytest.mark.parametrize("count", [0, -2, True, 1.5])
def test_count_below_one_is_bad_input(count: object) -> None:
    with pytest.raises(BoxOfficeError) as info:
        best_available(hall("..."), count)  # type: ignore[arg-type]
    assert info.value.code == "bad_input"


# --- named seats --------------------------------------------------------------------------------------


def test_check_named_returns_seats_in_the_order_given() -> None:
    rows = hall("....", "....")
    assert labels(check_named(rows, ["B2", " a1 "])) == ["B2", "A1"]


def test_check_named_unknown_and_sold_seats() -> None:
    rows = hall("..x.", "....")
    with pytest.raises(BoxOfficeError) as info:
        check_named(rows, ["A1", "A3", "Z9"])
    exc = info.value
    assert exc.code == "seat_unavailable"
    assert "A3" in exc.message and "sold or held" in exc.message
    assert "Z9" in exc.message and "unknown" in exc.message
    assert exc.details == {"unavailable": ["A3"], "unknown": ["Z9"]}


def test_check_named_duplicates_and_empty_are_bad_input() -> None:
    rows = hall("....")
    for bad in (["A1", "a1"], [], ["A1", " "]):
        with pytest.raises(BoxOfficeError) as info:
            check_named(rows, bad)
        assert info.value.code == "bad_input"


def test_check_named_allows_a_named_wheelchair_space() -> None:
    rows = hall("W.")
    assert labels(check_named(rows, ["A1"])) == ["A1"]


# --- the reference: every block scored by the documented rule -----------------------------------------


def _joined(a: Seat, b: Seat) -> bool:
    return not b.aisle_before and 0 < b.x - a.x <= 1.5


def _usable(seat: Seat, accessible: bool) -> bool:
    return seat.available and (accessible or not (seat.wheelchair or seat.companion))


def _stranded_count(row: Sequence[Seat], sold: set[int]) -> int:
    """Seats available after the sale with no available joined neighbour, that had one before."""

    def has_free_neighbour(i: int, taken: set[int]) -> bool:
        left = i > 0 and _joined(row[i - 1], row[i]) and row[i - 1].available and i - 1 not in taken
        right = (
            i + 1 < len(row) and _joined(row[i], row[i + 1]) and row[i + 1].available and i + 1 not in taken
        )
        return bool(left or right)

    return sum(
        1
        for i, seat in enumerate(row)
        if seat.available
        and i not in sold
        and has_free_neighbour(i, set())
        and not has_free_neighbour(i, sold)
    )


def reference(
    rows: Sequence[Sequence[Seat]], count: int, accessible: bool
) -> tuple[tuple[float, int, int] | None, int]:
    """Brute force: the best (score, row, start) over every block, and the largest valid block size."""
    best: tuple[float, int, int] | None = None
    largest = 0
    for r, row in enumerate(rows):
        if not row:
            continue
        centre = (row[0].x + row[-1].x) / 2
        for start in range(len(row)):
            for end in range(start, len(row)):
                block = row[start : end + 1]
                if not all(_usable(s, accessible) for s in block):
                    break
                if end > start and not _joined(row[end - 1], row[end]):
                    break
                if accessible and not any(s.wheelchair for s in block):
                    continue
                largest = max(largest, len(block))
                if len(block) != count:
                    continue
                distance = abs((block[0].x + block[-1].x) / 2 - centre)
                strands = _stranded_count(row, set(range(start, end + 1)))
                score = round(1.0 * r + 0.5 * distance + 3.0 * strands, 9)
                key = (score, r, start)
                if best is None or key < best:
                    best = key
    return best, largest


seat_codes = st.sampled_from(".........xxxxWwCc")
row_specs = st.lists(
    st.tuples(seat_codes, st.sampled_from(["", "", "", "", "", "|", "_"])),
    max_size=14,
)


def _build(spec: list[list[tuple[str, str]]]) -> list[list[Seat]]:
    return [make_row(chr(ord("A") + i), "".join(sep + ch for ch, sep in row)) for i, row in enumerate(spec)]


@settings(max_examples=400, deadline=None)
@given(
    spec=st.lists(row_specs, min_size=0, max_size=6),
    count=st.integers(min_value=1, max_value=6),
    accessible=st.booleans(),
)
def test_property_blocks_are_valid_and_optimal(
    spec: list[list[tuple[str, str]]], count: int, accessible: bool
) -> None:
    rows = _build(spec)
    expected, largest = reference(rows, count, accessible)
    try:
        chosen = best_available(rows, count, accessible=accessible)
    except BoxOfficeError as exc:
        assert expected is None
        assert exc.code in ("not_enough_together", "sold_out")
        if exc.code == "not_enough_together":
            # Brute force confirms that no block of that size exists, and the reported largest is right.
            assert exc.details["largest_block"] == largest < count
            assert exc.details["free"] == sum(_usable(s, accessible) for row in rows for s in row)
        return
    # The block is `count` usable seats from one row, consecutive and joined, and scores as the best does.
    assert len(chosen) == count
    assert len({s.row for s in chosen}) == 1
    assert all(_usable(s, accessible) for s in chosen)
    assert all(_joined(a, b) for a, b in zip(chosen, chosen[1:], strict=False))
    if accessible:
        assert any(s.wheelchair for s in chosen)
    row_index = ord(chosen[0].row) - ord("A")
    row = rows[row_index]
    start = next(i for i, s in enumerate(row) if s is chosen[0])
    assert row[start : start + count] == chosen
    assert expected is not None
    assert (expected[1], expected[2]) == (row_index, start)


# --- speed --------------------------------------------------------------------------------------------


def _big_section(free: object) -> list[list[Seat]]:
    rows = []
    for r in range(200):
        row = []
        for n in range(200):
            x = n + (2 if n >= 100 else 0)
            available = free(r, n)  # type: ignore[operator]
            row.append(Seat(f"{r}-{n}", str(r), str(n), float(x), available, aisle_before=n == 100))
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    "free",
    [
        lambda r, n: True,
        lambda r, n: r == 199,  # only the last row free: every row is scanned
        lambda r, n: (r + n) % 2 == 0,  # no pair anywhere: every row scanned, then refused
        lambda r, n: (r * 7 + n * 13) % 10 < 6,
    ],
    ids=["empty", "last-row", "checkerboard", "scattered"],
)
def test_forty_thousand_seats_cost_a_few_steps_a_seat(free: object) -> None:
    """Lines of seating code run per seat, counted by a tracer: the same on a busy machine as on an idle one (how
    fast it runs is measured in benchmarks/), and a search that went back over rows or seats would cost hundreds
    of lines a seat, not a handful."""
    import sys

    import boxoffice.domain.seating as seating

    rows = _big_section(free)
    lines = [0]

    def trace(frame, event, arg):  # noqa: ANN001, ANN202
        if frame.f_code.co_filename != seating.__file__:
            return None
        if event == "line":
            lines[0] += 1
        return trace

    sys.settrace(trace)
    try:
        best_available(rows, 4)
    except BoxOfficeError as exc:
        assert exc.code == "not_enough_together"
    finally:
        sys.settrace(None)
    seats = sum(len(r) for r in rows)
    assert lines[0] < 30 * seats, f"{lines[0] / seats:.1f} lines of seating code a seat"
