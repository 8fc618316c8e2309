"""The seat map of one reserved section at the counter: see it, move over it, choose seats, hold them.

It draws the same plan as ``boxoffice event seats`` (domain/seat_plan.py): row names at both ends, seat numbers
above, offsets and aisles as the venue has them, one mark per meaning and a legend of symbols with words (a colour
only repeats its symbol). Arrow keys move the cursor, space (or Enter, when the screen leaves it free) or a click
toggles a seat, ``b`` picks the best block for the number wanted without leaving a single seat on its own, ``B``
the same allowing it. Every seat chosen is held for the basket at once (services/seat_holds.py), so another
counter cannot take it while the customer decides; a seat given back is released at once.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.css.query import NoMatches
from textual.geometry import Region
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from boxoffice.domain import seating
from boxoffice.domain.seat_plan import MARKS, Plan, PlanRow, layout, legend_lines, mark_of
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services import seat_holds
from boxoffice.services.seat_map import seating_rows, section_seats
from boxoffice.tui.desk import Desk

REFRESH_SECONDS = 15.0  # read the map again this often: other baskets' holds, sales, expiries
TOP = 1  # the STAGE line above the plan


class _Grid(Static):
    """The drawn plan; a click on it goes to the map that owns it."""

    def __init__(self, owner: SeatMap) -> None:
        super().__init__("", id="grid")
        self.owner = owner

    def on_click(self, event: events.Click) -> None:
        self.owner.click_at(event.x, event.y)


class SeatMap(Widget, can_focus=True):
    """One section's seats for one basket: cursor, choice, holds. Posts :class:`SeatMap.Changed`."""

    DEFAULT_CSS = """
    SeatMap { height: 1fr; }
    SeatMap > ScrollableContainer { height: 1fr; }
    SeatMap > ScrollableContainer > #grid { width: auto; height: auto; }
    SeatMap > #info { height: auto; max-height: 3; }
    SeatMap > #warning { height: auto; color: $warning; text-style: bold; }
    SeatMap > #legend { height: auto; color: $text-muted; }
    """

    BINDINGS = [
        Binding("left", "move(0, -1)", N_("Seat left"), show=False),
        Binding("right", "move(0, 1)", N_("Seat right"), show=False),
        Binding("up", "move(-1, 0)", N_("Move"), key_display="↑↓←→"),
        Binding("down", "move(1, 0)", N_("Row further back"), show=False),
        Binding("space", "toggle_seat", N_("Choose/free")),
        Binding("enter", "toggle_seat", N_("Choose/free"), show=False),
        Binding("b", "best(False)", N_("Best")),
        Binding("B", "best(True)", N_("Best+singles")),
    ]

    class Changed(Message):
        """The seats chosen (and held) changed: ``selected`` is every seat of the section the basket holds."""

        def __init__(self, selected: list[str]) -> None:
            super().__init__()
            self.selected = selected

    def __init__(self, desk: Desk, event_id: str, section_id: str, count: int, basket_id: str,
                 *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.desk = desk
        self.event_id = event_id
        self.section_id = section_id
        self.count = count
        self.basket_id = basket_id
        self.rows: list[dict[str, Any]] = []
        self.plan: Plan = layout([])
        self.cursor: tuple[int, int] = (0, 0)  # (index into seat lines, index into that line's seats)
        self.added: set[str] = set()  # held here by this map, released on cancel
        self.message = ""
        self.expires_at: str | None = None
        self._cursor_y = 0  # the cursor's line in the drawing, for scrolling to it
        self._legend_width = 0  # the width the legend was wrapped to (wrapped again on a resize)

    # -- reading ------------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with ScrollableContainer(id="scroll"):
            yield _Grid(self)
        yield Static("", id="info")
        yield Static("", id="warning")
        yield Static("", id="legend")

    def on_mount(self) -> None:
        self._start()
        self.set_interval(REFRESH_SECONDS, self._tick)

    def prepare(self, event_id: str, section_id: str, count: int, basket_id: str) -> None:
        """Show another section or basket on this map (the seat picker is built once and kept: sale.py)."""
        self.event_id, self.section_id, self.count, self.basket_id = event_id, section_id, count, basket_id
        self.added, self.message, self.expires_at = set(), "", None
        self.cursor = (0, 0)
        if self.is_mounted:
            self._start()

    def _start(self) -> None:
        """Read the section and put the cursor on the basket's first seat here, else the first free one."""
        self.reload(draw=False)
        first = self._seat_lines()
        if first:
            chosen = [(i, j) for i, line in enumerate(first) for j, (_col, s) in enumerate(line.seats) if s.get("mine")]
            free = [(i, j) for i, line in enumerate(first) for j, (_col, s) in enumerate(line.seats)
                    if s["state"] == "free"]
            self.cursor = (chosen or free or [(0, 0)])[0]
        self.redraw()

    def _tick(self) -> None:
        # Only while the map is in view: a kept picker waits unseen between customers, and the door's writer may
        # hold the connection then (screens/door.py).
        if self.screen.is_current:
            self.reload()

    def reload(self, draw: bool = True) -> None:
        """Read the section again (sales, other baskets' holds and expiries show up) and redraw."""
        try:
            self.rows = section_seats(self.desk.ctx, self.event_id, self.section_id, self.basket_id)
        except BoxOfficeError as exc:  # no such section, or a standing one: nothing to draw, say why
            self.rows, self.message = [], exc.message
        self.plan = layout(self.rows)
        if draw:
            self.redraw()

    def _show_holds(self, rows: list[dict[str, Any]], mine: list[str]) -> None:
        """The section as just read (``rows``) with this basket holding exactly ``mine`` there now: what a hold or a
        release just did, drawn without reading the section's 500 seats once more (the refresh timer brings what
        other counters did). A seat given back was held by this basket, so it is free again."""
        held = set(mine)
        for row in rows:
            for seat in row["seats"]:
                if seat["label"] in held:
                    seat["state"], seat["mine"] = "held", True
                elif seat.get("mine"):
                    seat["state"], seat["mine"] = "free", False
                else:
                    continue
                seat["mark"] = mark_of(seat)
        self.rows = rows
        self.plan = layout(rows)

    @property
    def selected(self) -> list[str]:
        """The seats of this section the basket holds now, front row first, left to right."""
        return [s["label"] for r in self.rows for s in r["seats"] if s.get("mine")]

    def _seat_lines(self) -> list[PlanRow]:
        return [line for line in self.plan.lines if line.seats]

    def seat_at_cursor(self) -> dict[str, Any] | None:
        lines = self._seat_lines()
        if not lines:
            return None
        i, j = self.cursor
        return dict(lines[i].seats[j][1])

    # -- drawing ------------------------------------------------------------------------------------------------

    def redraw(self) -> None:
        try:
            grid = self.query_one(_Grid)
        except NoMatches:  # not composed yet: on_mount draws
            return
        plan = self.plan
        stage = _("STAGE")  # centred by the cells it takes (a Chinese word is twice as wide as it is long)
        text = Text(" " * plan.margin + stage.center(plan.width - (cell_len(stage) - len(stage))).rstrip() + "\n",
                    style="bold")
        cursor_line, cursor_col = self._cursor_cell()
        seat_line = -1
        for y, line in enumerate(plan.lines):
            if not line.seats:
                text.append(plan.row_text(line) + "\n", style="dim")
                continue
            seat_line += 1
            text.append(f"{line.label:>{plan.label_width}} ", style="bold")
            chars = [" "] * plan.width
            styles = [""] * plan.width
            for col, seat in line.seats:
                symbol, _word, colour = MARKS[mark_of(seat)]
                chars[col] = symbol
                styles[col] = colour + (" reverse" if (seat_line, col) == (cursor_line, cursor_col) else "")
            # One span per run of a style (a row is mostly one mark): a few spans a line keep a keystroke cheap.
            # A gap takes the style of the seat before it, but never the cursor's.
            for col in range(1, plan.width):
                if chars[col] == " ":
                    styles[col] = "" if "reverse" in styles[col - 1] else styles[col - 1]
            for style, run in groupby(zip(chars, styles, strict=True), key=lambda cell: cell[1]):
                text.append("".join(c for c, _style in run), style=style or None)
            text.append(f" {line.label}\n", style="bold")
            if seat_line == cursor_line:
                self._cursor_y = TOP + y
        text.rstrip()
        grid.update(text)
        self.query_one("#info", Static).update(self._info())
        self.query_one("#warning", Static).update(self._warning())
        width = max(40, self.size.width or 80)
        if width != self._legend_width:
            self._legend_width = width
            self.query_one("#legend", Static).update("\n".join(legend_lines(width, keys=list(MARKS))))
        self._scroll_to_cursor()

    def on_resize(self) -> None:
        """Only the legend's wrapping and the scroll depend on the size: the plan drawn stays as it is."""
        try:
            legend = self.query_one("#legend", Static)
        except NoMatches:
            return
        width = max(40, self.size.width or 80)
        if width != self._legend_width:
            self._legend_width = width
            legend.update("\n".join(legend_lines(width, keys=list(MARKS))))
        self._scroll_to_cursor()

    def _cursor_cell(self) -> tuple[int, int]:
        lines = self._seat_lines()
        if not lines:
            return (-1, -1)
        i, j = self.cursor
        return i, lines[i].seats[j][0]

    def _scroll_to_cursor(self) -> None:
        _line, col = self._cursor_cell()
        if col < 0:
            return
        x = self.plan.margin + col
        y = self._cursor_y
        self.query_one("#scroll", ScrollableContainer).scroll_to_region(
            Region(max(0, x - 2), max(0, y - 1), 5, 3), animate=False, force=True)

    def _info(self) -> str:
        seat = self.seat_at_cursor()
        where = ""
        if seat is not None:
            symbol, word, _colour = MARKS[mark_of(seat)]
            extra = [w for flag, w in (("wheelchair", N_("wheelchair place")), ("companion", N_("companion seat")),
                                        ("restricted_view", N_("restricted view"))) if seat[flag]]
            kind = " ({kinds})".format(kinds=", ".join(_(w) for w in extra)) if extra and word not in extra else ""
            where = _("Row {row} seat {number}: {symbol} {word}{kind}").format(
                row=seat["row"], number=seat["number"], symbol=symbol, word=_(word), kind=kind)
        chosen = self.selected
        wanted = _(" of {count}").format(count=self.count) if self.count > 0 else ""
        left = ""
        if chosen and self.expires_at:
            from boxoffice.domain.clock import parse_iso

            seconds = max(0, int((parse_iso(self.expires_at) - self.desk.ctx.now()).total_seconds()))
            left = _(", held {minutes}:{seconds:02d} more").format(minutes=seconds // 60, seconds=seconds % 60)
        picked = _("Chosen {count}{wanted}: {seats}{left}").format(
            count=len(chosen), wanted=wanted, seats=", ".join(chosen) if chosen else _("none"), left=left)
        return "  ·  ".join(x for x in (where, picked) if x) + (f"\n{self.message}" if self.message else "")

    def _warning(self) -> str:
        seats = {s["label"]: s for r in self.rows for s in r["seats"]}
        chosen = [seats[x] for x in self.selected if x in seats]
        out = []
        restricted = [s["label"] for s in chosen if s["restricted_view"]]
        wheelchair = [s["label"] for s in chosen if s["wheelchair"]]
        if restricted:
            out.append(_("! RESTRICTED VIEW: {seats}: tell the customer before they pay").format(
                seats=", ".join(restricted)))
        if wheelchair:
            out.append(_("@ WHEELCHAIR PLACE: {seats}: for a wheelchair user; check with the customer").format(
                seats=", ".join(wheelchair)))
        return "\n".join(out)

    # -- acting -------------------------------------------------------------------------------------------------

    def action_move(self, rows: int, seats: int) -> None:
        lines = self._seat_lines()
        if not lines:
            return
        i, j = self.cursor
        if seats:
            j = max(0, min(len(lines[i].seats) - 1, j + seats))
        if rows:
            col = lines[i].seats[j][0]
            i = max(0, min(len(lines) - 1, i + rows))
            j = min(range(len(lines[i].seats)), key=lambda k: abs(lines[i].seats[k][0] - col))
        self.cursor = (i, j)
        self.message = ""
        self.redraw()

    def click_at(self, x: int, y: int) -> None:
        """A click on the plan at (x, y) of the drawing: toggle the seat there, if there is one."""
        index = y - TOP
        if not 0 <= index < len(self.plan.lines) or not self.plan.lines[index].seats:
            return
        line = self.plan.lines[index]
        col = x - self.plan.margin
        for j, (c, _seat) in enumerate(line.seats):
            if c == col:
                i = self._seat_lines().index(line)
                self.cursor = (i, j)
                self.focus()
                self.action_toggle_seat()
                return

    def action_toggle_seat(self) -> None:
        seat = self.seat_at_cursor()
        if seat is None:
            return
        label = seat["label"]
        mine: list[str] | None = None  # what the basket holds here after a hold or release that went through
        try:
            if seat.get("mine"):
                seat_holds.release(self.desk.ctx, self.basket_id, [label], event_id=self.event_id,
                                   section_id=self.section_id)
                self.added.discard(label)
                self.message = _("{seat} freed").format(seat=label)
                mine = [x for x in self.selected if x != label]
            elif seat["state"] != "free":
                symbol, word, _colour = MARKS[mark_of(seat)]
                self.message = _("{seat} is {symbol} {word}: choose another seat").format(seat=label, symbol=symbol,
                                                                                          word=_(word))
            elif 0 < self.count <= len(self.selected):
                self.message = _("{count} chosen already: free one first (space on it)").format(count=self.count)
            else:
                mine = self._hold([label])
                self.message = _("{seat} held").format(seat=label)
        except BoxOfficeError as exc:
            self.message = exc.message
        self._changed(mine)

    def action_best(self, allow_single: bool) -> None:
        """Choose the best block for the number wanted, replacing what this section holds for the basket."""
        want = self.count if self.count > 0 else max(1, len(self.selected))
        rows: list[dict[str, Any]] = []
        mine: list[str] | None = None
        try:
            rows = section_seats(self.desk.ctx, self.event_id, self.section_id, self.basket_id)
            block = seating.best_available(seating_rows(rows, self.basket_id), want, allow_strand=allow_single)
            labels = [s.label for s in block]
            mine = self._hold(labels)
            old = [x for x in self.selected if x not in labels]
            if old:
                seat_holds.release(self.desk.ctx, self.basket_id, old, event_id=self.event_id,
                                   section_id=self.section_id)
                self.added.difference_update(old)
                mine = [x for x in mine if x not in old]
            self.message = _("best {count}: {seats}").format(count=want, seats=", ".join(labels))
        except BoxOfficeError as exc:
            hint = _(" (B allows it)") if exc.details.get("strands") else ""
            self.message = exc.message + hint
            labels, mine = [], None
        self._changed(mine, rows, cursor_to=labels[0] if labels else None)

    def _hold(self, labels: list[str]) -> list[str]:
        """Hold ``labels`` for the basket; returns every seat it holds in this section now."""
        out = seat_holds.hold(self.desk.ctx, self.event_id, self.section_id, labels, self.basket_id)
        self.expires_at = out["expires_at"]
        self.added.update(labels)
        return out["seats"]

    def _put_cursor(self, label: str) -> None:
        for i, line in enumerate(self._seat_lines()):
            for j, (_col, seat) in enumerate(line.seats):
                if seat["label"] == label:
                    self.cursor = (i, j)
                    return

    def _changed(self, mine: list[str] | None, rows: list[dict[str, Any]] | None = None,
                 cursor_to: str | None = None) -> None:
        """Draw what the basket holds now and tell the screen. ``mine``: the seats held here after a hold or release
        that went through (drawn onto ``rows``, or the map on screen); None after a refusal: read the section
        again, since whatever refused may have changed it."""
        if mine is None:
            self.reload(draw=False)
        else:
            self._show_holds(rows or self.rows, mine)
        if cursor_to is not None:
            self._put_cursor(cursor_to)
        self.redraw()
        self.post_message(self.Changed(self.selected))

    def release_added(self) -> int:
        """Release the holds this map made (the pick was cancelled); seats held before it opened stay held."""
        mine = [x for x in self.added if x in self.selected]
        self.added.clear()
        if not mine:
            return 0
        return seat_holds.release(self.desk.ctx, self.basket_id, mine, event_id=self.event_id,
                                  section_id=self.section_id)

    def confirm_holds(self) -> list[str]:
        """Hold the chosen seats again (their time starts over) and return them; refuses with the reason when a
        hold ran out and another basket took a seat meanwhile."""
        chosen = self.selected
        mine_before = set(chosen)
        wanted = sorted(mine_before | (self.added - mine_before))
        if wanted:
            self._show_holds(self.rows, self._hold(wanted))  # the screen closes now: nothing to draw
        else:
            self.reload(draw=False)
        return self.selected
