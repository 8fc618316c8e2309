"""Best-available seat selection for reserved sections, and checking seats a customer names.

A section is given as its rows in order from the front (the first row is nearest the stage), each row a
list of seats from left to right. Two neighbouring seats in a row are *adjacent* (can be sold as one block)
unless an aisle lies between them (``aisle_before`` on the right-hand seat) or there is a gap in their
horizontal positions (``x`` rises by more than ``MAX_ADJACENT_STEP``, e.g. a missing seat or a pillar; an
``x`` that does not rise at all is treated the same way). The stretches of adjacent seats are the row's
*segments*.

A *block* for a request of ``count`` seats is ``count`` adjacent seats in one segment, all of them usable
for the request:

* an ordinary request uses only available seats that are neither wheelchair spaces nor companion seats,
  so those stay free for the people who need them;
* an accessible request (``accessible=True``) may use any available seat, and its block must contain at
  least one wheelchair space.

Score of a block (lower is better)::

    1.0 * row index from the front                  (0 for the front row)
  + 0.5 * |block centre - row centre|               (in seats, measured in x)
  + 3.0 * number of single seats the block strands

The block centre is the midpoint of its end seats' ``x``; the row centre is the midpoint of the row's
first and last seats, sold or not, so the middle of the row stays put as it fills up.

A seat is *stranded* when it is available, was adjacent to at least one available seat before the sale,
and has no available adjacent seat after it: such a seat can then only be sold to someone on their own,
which is the seat a box office ends up unable to sell. Only the seats just outside the block can become
stranded. "Available" here is the seat's own flag, whatever the request: a free wheelchair space counts
as a neighbour, and is itself protected from being left without a free seat beside it for a companion.

The stranding penalty (worth three rows, or six seats of distance from the centre) makes a block that
strands a seat lose to an equally good one that does not, while still letting a far better block win.
Equal scores go to the front-most row, then the left-most block.

The search is linear in the number of seats: one pass finds the runs of usable seats in each row, and in
each run only a handful of starting positions can be best (the centre term is smallest at one or two
positions, and stranding can only happen at the run's first two and last two starting positions), so they
are the only ones scored. Rows behind the best score so far cannot win (the row term alone is at least as
large) and are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _, ngettext

ROW_WEIGHT = 1.0
CENTRE_WEIGHT = 0.5
STRAND_PENALTY = 3.0

# Seats are one unit of ``x`` apart; a bigger step than this between neighbours means something sits
# between them (a missing seat, a pillar, an aisle drawn only as a gap), so they are not adjacent.
MAX_ADJACENT_STEP = 1.5


@dataclass(frozen=True, slots=True)
class Seat:
    """One seat of a reserved section as the selection sees it.

    ``available`` is False for anything this terminal may not sell now: sold, held, or outside its
    allocation. ``x`` is the horizontal position in seat widths (aisles and gaps add to it).
    """

    label: str
    row: str
    number: str
    x: float
    available: bool
    wheelchair: bool = False
    companion: bool = False
    aisle_before: bool = False


def _joined(left: Seat, right: Seat) -> bool:
    """True when ``right`` directly follows ``left`` in the same segment (no aisle, no gap)."""
    if right.aisle_before:
        return False
    step = right.x - left.x
    return 0 < step <= MAX_ADJACENT_STEP


def _strands(row: Sequence[Seat], edge: int, step: int) -> bool:
    """True when selling a block whose end seat is ``row[edge]`` would strand the seat beyond that end.

    ``step`` is -1 to look left of the block, +1 to look right. The seat next to the block had an
    available neighbour (the block's end seat) before the sale; it is stranded when it is available,
    joined to the block, and its other neighbour is missing, across an aisle or gap, or not available.
    """
    near_index = edge + step
    if not 0 <= near_index < len(row):
        return False
    block_end, near = row[edge], row[near_index]
    if not near.available:
        return False
    if not (_joined(near, block_end) if step < 0 else _joined(block_end, near)):
        return False
    far_index = near_index + step
    if not 0 <= far_index < len(row):
        return True
    far = row[far_index]
    if not far.available:
        return True
    return not (_joined(far, near) if step < 0 else _joined(near, far))


@dataclass(slots=True)
class _Best:
    """The best block found so far: its sort key and where it is."""

    key: tuple[float, int, int] = (float("inf"), 0, 0)
    row: int = -1
    start: int = -1
    allow_strand: bool = True
    passed_over: int = 0  # blocks not taken because they would strand a seat (``allow_strand`` False)


def _score_run(
    best: _Best,
    row: Sequence[Seat],
    row_index: int,
    centre: float,
    count: int,
    run_first: int,
    run_last: int,
    lo: int,
    hi: int,
) -> None:
    """Score the few starting positions in ``lo..hi`` that can be best, updating ``best``.

    The run of usable seats is ``run_first..run_last`` (indices into ``row``); ``lo..hi`` is the range of
    block starts to consider within it. The centre distance falls then rises as the start moves right, so
    its minimum is at one or two positions found by bisection; stranding is possible only for starts at
    the run's first two or last two positions. Scoring just those finds the best.
    """
    span = count - 1
    last_start = run_last - span
    special = (run_first, run_first + 1, last_start - 1, last_start)

    # First start whose block centre is at or right of the row centre.
    a, b = lo, hi + 1
    while a < b:
        mid = (a + b) // 2
        if (row[mid].x + row[mid + span].x) / 2 < centre:
            a = mid + 1
        else:
            b = mid
    # Starts that may strand a seat are scored one by one; between them no start strands anything, so the
    # best there is the one nearest the centre, at ``a - 1`` or ``a`` pulled into that stretch.
    candidates = {s for s in special if lo <= s <= hi}
    inner_lo = max(lo, run_first + 2)
    inner_hi = min(hi, last_start - 2)
    if inner_lo <= inner_hi:
        candidates.update(min(max(s, inner_lo), inner_hi) for s in (a - 1, a))

    for start in candidates:
        end = start + span
        distance = abs((row[start].x + row[end].x) / 2 - centre)
        strands = _strands(row, start, -1) + _strands(row, end, +1)
        if strands and not best.allow_strand:
            best.passed_over += 1
            continue
        score = ROW_WEIGHT * row_index + CENTRE_WEIGHT * distance + STRAND_PENALTY * strands
        # Rounded so that scores equal on paper compare equal despite float noise in x.
        key = (round(score, 9), row_index, start)
        if key < best.key:
            best.key = key
            best.row = row_index
            best.start = start


def _wheelchair_ranges(
    row: Sequence[Seat], count: int, run_first: int, run_last: int
) -> list[tuple[int, int]]:
    """Ranges of block starts in a run whose block holds at least one wheelchair space, merged."""
    last_start = run_last - count + 1
    ranges: list[tuple[int, int]] = []
    if last_start < run_first:
        return ranges
    for i in range(run_first, run_last + 1):
        if not row[i].wheelchair:
            continue
        lo = max(run_first, i - count + 1)
        hi = min(last_start, i)
        if ranges and lo <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
        else:
            ranges.append((lo, hi))
    return ranges


def best_available(rows: Sequence[Sequence[Seat]], count: int, accessible: bool = False,
                   allow_strand: bool = True) -> list[Seat]:
    """Choose the best block of ``count`` adjacent seats (see the module docstring for the rules).

    With ``allow_strand`` False no block that leaves a single seat on its own is chosen at all (the counter's
    best available, unless the seller allows it); when only such blocks are free the refusal is
    ``not_enough_together`` with ``strands`` True in its details.

    Raises ``BoxOfficeError``: ``bad_input`` for a count below 1; ``sold_out`` when no seat the request
    could use is free; ``not_enough_together`` when seats are free but no block of ``count`` exists, with
    ``largest_block`` and ``free`` in the details so the seller can offer fewer seats or named seats.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BoxOfficeError("bad_input", _("the number of seats must be a whole number from 1, not {count!r}").format(
            count=count))

    best = _Best(allow_strand=allow_strand)
    tally = _Tally()
    for row_index, row in enumerate(rows):
        if ROW_WEIGHT * row_index >= best.key[0]:
            # Every block here scores at least its row term, and ties go to the front: none can win.
            break
        if not row:
            continue
        runs = _usable_runs(row, accessible, tally)
        _score_row(best, tally, row, row_index, runs, count, accessible)

    if best.row >= 0:
        row = rows[best.row]
        return list(row[best.start : best.start + count])
    if best.passed_over:
        raise BoxOfficeError("not_enough_together", _("every free block of {count} would leave a single seat on its "
                                                      "own: allow that, or choose seats by name").format(count=count),
                             strands=True, free=tally.free, largest_block=tally.largest)
    # Rows are skipped only once a block is found, so with none found the tally covers the whole section.
    raise _no_block(count, accessible, tally)


@dataclass(slots=True)
class _Tally:
    """What the search saw of the seats the request could use, for the refusal when no block is found."""

    free: int = 0
    wheelchair_free: int = 0
    largest: int = 0


def _usable_runs(row: Sequence[Seat], accessible: bool, tally: _Tally) -> list[tuple[int, int]]:
    """The runs (first, last index) of adjacent seats in ``row`` the request may use, counting them in ``tally``.

    An ordinary request leaves wheelchair spaces and companion seats alone; an accessible one may use any.
    """
    run_first = -1
    runs: list[tuple[int, int]] = []
    for i, seat in enumerate(row):
        if seat.available and (accessible or not (seat.wheelchair or seat.companion)):
            tally.free += 1
            if seat.wheelchair:
                tally.wheelchair_free += 1
            if run_first < 0:
                run_first = i
            elif not _joined(row[i - 1], seat):
                runs.append((run_first, i - 1))
                run_first = i
        elif run_first >= 0:
            runs.append((run_first, i - 1))
            run_first = -1
    if run_first >= 0:
        runs.append((run_first, len(row) - 1))
    return runs


def _score_row(best: _Best, tally: _Tally, row: Sequence[Seat], row_index: int, runs: list[tuple[int, int]],
               count: int, accessible: bool) -> None:
    """Score the blocks of ``count`` each run of the row can hold, and note the largest run that could serve."""
    centre = (row[0].x + row[-1].x) / 2
    for run_first, run_last in runs:
        length = run_last - run_first + 1
        if accessible:
            # Only a run holding a wheelchair space can serve an accessible request.
            if any(row[i].wheelchair for i in range(run_first, run_last + 1)):
                tally.largest = max(tally.largest, length)
            for lo, hi in _wheelchair_ranges(row, count, run_first, run_last):
                _score_run(best, row, row_index, centre, count, run_first, run_last, lo, hi)
        else:
            tally.largest = max(tally.largest, length)
            if length >= count:
                last_start = run_last - count + 1
                _score_run(best, row, row_index, centre, count, run_first, run_last, run_first, last_start)


def _no_block(count: int, accessible: bool, tally: _Tally) -> BoxOfficeError:
    """The refusal when no block was found: sold out, or free seats that are not together (how many, how big)."""
    free, largest = tally.free, tally.largest
    counts: dict[str, int] = {"free": free}
    if accessible:
        counts["wheelchair_free"] = tally.wheelchair_free
    if free == 0 or (accessible and tally.wheelchair_free == 0):
        message = (_("no wheelchair space is free in this section: try another section") if accessible
                   else _("no seat is free in this section: try another section"))
        return BoxOfficeError("sold_out", message, **counts)
    block_text = ngettext("{n} seat", "{n} seats", largest).format(n=largest)
    free_text = ngettext("{n} seat", "{n} seats", free).format(n=free)
    if accessible:
        message = _(
            "no {count} seats together including a wheelchair space: the largest such block is "
            "{block} ({free} free for this request in total); "
            "sell fewer seats or choose seats by name"
        ).format(count=count, block=block_text, free=free_text)
    else:
        message = _(
            "no {count} seats together in one row: the largest block is {block} "
            "({free} free in total); sell fewer seats or choose seats by name"
        ).format(count=count, block=block_text, free=free_text)
    return BoxOfficeError("not_enough_together", message, largest_block=largest, **counts)


def check_named(rows: Sequence[Sequence[Seat]], labels: list[str]) -> list[Seat]:
    """Return the seats a customer chose by label, in the order given, if every one can be sold.

    Labels match without regard to case or surrounding spaces, since they are typed at a counter. Naming a
    seat is a deliberate choice, so wheelchair and companion seats may be named. Raises ``bad_input`` for
    an empty or repeated list and ``seat_unavailable`` naming every seat that is unknown or not available.
    """
    if not labels:
        raise BoxOfficeError("bad_input", _("name at least one seat"))
    by_label: dict[str, Seat] = {}
    for row in rows:
        for place in row:
            by_label.setdefault(place.label.strip().casefold(), place)

    labels = [str(label).strip() for label in labels]
    wanted: list[str] = []
    seen: set[str] = set()
    for label in labels:
        key = label.casefold()
        if not key:
            raise BoxOfficeError("bad_input", _("a seat label is empty"))
        if key in seen:
            raise BoxOfficeError("bad_input", _("seat {seat} is named twice: name each seat once").format(seat=label),
                                 seat=label)
        seen.add(key)
        wanted.append(key)

    chosen: list[Seat] = []
    unknown: list[str] = []
    taken: list[str] = []
    for label, key in zip(labels, wanted, strict=True):
        seat = by_label.get(key)
        if seat is None:
            unknown.append(label)
        elif not seat.available:
            taken.append(seat.label)
        else:
            chosen.append(seat)
    if unknown or taken:
        problems = []
        if taken:
            problems.append(ngettext("seat {seats} is sold or held", "seats {seats} are sold or held",
                                     len(taken)).format(seats=", ".join(taken)))
        if unknown:
            problems.append(ngettext("seat {seats} is unknown in this section",
                                     "seats {seats} are unknown in this section", len(unknown)).format(
                seats=", ".join(unknown)))
        raise BoxOfficeError(
            "seat_unavailable",
            _("{problems}: choose other seats").format(problems=_("; ").join(problems)),
            unavailable=taken,
            unknown=unknown,
        )
    return chosen
