"""Choosing seats for a basket line: the section's seat map full screen, Enter to take the seats, Escape to give
them back. The seats are held for the basket from the moment they are chosen (services/seat_holds.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _, ngettext
from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.kept import KeptStyles
from boxoffice.tui.widgets.keys import KeysFooter
from boxoffice.tui.widgets.seatmap import SeatMap


class SeatPickScreen(KeptStyles, ModalScreen[list[str] | None]):
    """Pick ``count`` seats of one section for ``basket_id``: dismissed with the seat labels, or None when
    cancelled (the holds made here are released then)."""

    DEFAULT_CSS = """
    SeatPickScreen { background: $background; }
    SeatPickScreen > #title { height: 1; text-style: bold; padding: 0 1; background: $primary-background; }
    """

    BINDINGS = [
        Binding("enter", "confirm", N_("Take seats"), priority=True),
        Binding("escape", "cancel", N_("Cancel")),
    ]

    def __init__(self, desk: Desk, event_id: str, section_id: str, count: int, basket_id: str) -> None:
        super().__init__()
        self.desk = desk
        self.event_id = event_id
        self.section_id = section_id
        self.count = count
        self.basket_id = basket_id

    def prepare(self, event_id: str, section_id: str, count: int, basket_id: str) -> None:
        """Pick for another basket line. The sale screen keeps one picker and calls this before showing it again:
        building the map, its scroller and the keys for every line was most of what the A key took."""
        self.event_id, self.section_id, self.count, self.basket_id = event_id, section_id, count, basket_id
        if self.is_mounted:
            self.query_one("#title", Static).update(self._title())
            seatmap = self.query_one(SeatMap)
            seatmap.prepare(event_id, section_id, count, basket_id)
            seatmap.focus()

    def _title(self) -> str:
        from boxoffice.services.events import show_event

        ev = show_event(self.desk.ctx, self.event_id)
        section = next((s["name"] for s in ev["sections"] if s["id"] == self.section_id), self.section_id)
        wanted = ngettext("choose {count} seat", "choose {count} seats", self.count).format(count=self.count) \
            if self.count > 0 else _("choose seats")
        return _("{event} · {section}: {wanted}").format(event=ev["name"], section=section, wanted=wanted)

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="title")
        yield SeatMap(self.desk, self.event_id, self.section_id, self.count, self.basket_id, id="seatmap")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(SeatMap).focus()

    def action_confirm(self) -> None:
        seatmap = self.query_one(SeatMap)
        try:
            chosen = seatmap.confirm_holds()
        except BoxOfficeError as exc:
            seatmap.message = exc.message
            seatmap.reload()
            return
        if self.count > 0 and len(chosen) != self.count:
            short = self.count - len(chosen)
            seatmap.message = (
                _("{chosen} of {count} chosen: choose {short} more, or b for the best {count}").format(
                    chosen=len(chosen), count=self.count, short=short) if short > 0
                else _("{chosen} chosen: free {extra} first").format(chosen=len(chosen), extra=-short))
            seatmap.redraw()
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.query_one(SeatMap).release_added()
        self.dismiss(None)
