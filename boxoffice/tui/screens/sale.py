"""The sale screen: choose the event, section, ticket types and counts; build a basket; see the quote; then pay.

Nothing is taken or sold here: the basket is quoted by the same service the payment then sells with
(services/basket.py), so the total the customer hears is the total taken. Seats of a reserved section are picked on
the seat map, which holds them for this basket until it is paid or cancelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Static

from boxoffice.domain.ids import uuid7
from boxoffice.domain.money import format_money
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services import basket
from boxoffice.services import events as event_service
from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.base import DeskScreen
from boxoffice.tui.text import ljust, put, rjust

if TYPE_CHECKING:
    from boxoffice.tui.screens.pay import PayScreen
    from boxoffice.tui.screens.seat_pick import SeatPickScreen

HOLD_CHECK_SECONDS = 5.0  # how often the screen looks for seat holds that ran out
KINDS = {"reserved": N_("reserved"), "general": N_("general")}  # a section's kind as the screen says it


class SaleScreen(DeskScreen):
    """Places into the basket with single keys; the quote stays on screen; P pays, Esc cancels the basket."""

    MODE = "sale"

    DEFAULT_CSS = """
    SaleScreen #sale-top { height: 2; padding: 0 1; }
    SaleScreen #sale-main { height: 1fr; }
    SaleScreen #types { width: 36; padding: 0 1; border: round $primary; }
    SaleScreen #basket { width: 1fr; padding: 0 1; border: round $secondary; }
    SaleScreen #sale-msg { height: 2; padding: 0 1; }
    """

    BINDINGS = [
        Binding("e", "next_event", N_("Event")),
        Binding("s", "next_section", N_("Section")),
        Binding("up", "move(-1)", N_("Type up"), show=False),
        Binding("down", "move(1)", N_("Type down"), show=False),
        Binding("plus,equals_sign,right", "count(1)", N_("+1")),
        Binding("minus,left", "count(-1)", N_("-1")),
        Binding("a", "add", N_("Add")),
        Binding("backspace,delete", "remove", N_("Remove")),
        Binding("c", "customer", N_("Customer")),
        Binding("p", "pay", N_("Pay")),
        Binding("escape", "cancel", N_("Cancel")),
    ]

    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        self.ctx = desk.ctx
        self.basket_id = uuid7()
        self.lines: list[basket.BasketLine] = []
        self.quote: basket.BasketQuote | None = None
        self.event_ids: list[str] = []
        self.event: dict[str, Any] = {}
        self.section_i = 0
        self.type_i = 0
        self.counts: dict[str, int] = {}
        self.buyer = basket.Buyer()  # the customer step (C) and a real-name event's holders
        self._pay: PayScreen | None = None
        self._picker: SeatPickScreen | None = None

    def body(self) -> ComposeResult:
        yield Static("", id="sale-top", markup=False)
        with Horizontal(id="sale-main"):
            yield Static("", id="types", markup=False)
            yield Static("", id="basket", markup=False)
        yield Static("", id="sale-msg", markup=False)

    def on_mount(self) -> None:
        self._load_events()
        self._draw()
        self.set_interval(HOLD_CHECK_SECONDS, self.check_holds)

    def check_holds(self) -> None:
        """Seats whose hold ran out leave the basket (another basket may have them now): pick them again."""
        if not any(line.seats for line in self.lines):
            return
        gone = basket.lapsed(self.ctx, self.basket_id, self.lines)
        if not gone:
            return
        self.lines = [line for line in self.lines if all(line is not g for g in gone)]
        self._requote()
        seats = ", ".join(s for line in gone for s in line.seats)
        self._say(_("! the hold on {seats} ran out: those seats left the basket; pick seats again").format(seats=seats))

    # -- choosing -------------------------------------------------------------------------------------------------

    def _load_events(self) -> None:
        """The events on sale: the desk's event first if it has one, else the next to start."""
        listed = event_service.list_events(self.ctx)
        now = self.ctx.now_iso()
        self.event_ids = [e["id"] for e in listed]
        if not self.event_ids:
            return
        upcoming = [e["id"] for e in listed if e["starts_at"] >= now] or self.event_ids
        start = self.desk.event_id if self.desk.event_id in self.event_ids else upcoming[0]
        self._set_event(start)

    def _set_event(self, event_id: str) -> None:
        self.event = dict(event_service.show_event(self.ctx, event_id))
        self.section_i, self.type_i, self.counts = 0, 0, {}

    @property
    def section(self) -> dict[str, Any]:
        return self.event["sections"][self.section_i] if self.event.get("sections") else {}

    def _types(self) -> list[dict[str, Any]]:
        """The ticket types sold in the section on screen, with their price there."""
        sid = self.section.get("id")
        return [t for t in self.event.get("ticket_types", []) if sid in t["prices"]]

    def action_next_event(self) -> None:
        if len(self.event_ids) > 1:
            i = self.event_ids.index(self.event["id"])
            self._set_event(self.event_ids[(i + 1) % len(self.event_ids)])
        self._draw()

    def action_next_section(self) -> None:
        if self.event.get("sections"):
            self.section_i = (self.section_i + 1) % len(self.event["sections"])
            self.type_i, self.counts = 0, {}
        self._draw()

    def action_move(self, step: int) -> None:
        types = self._types()
        if types:
            self.type_i = (self.type_i + step) % len(types)
        self._draw()

    def action_count(self, step: int) -> None:
        types = self._types()
        if not types:
            return
        tid = types[self.type_i]["id"]
        n = max(0, self.counts.get(tid, 0) + step)
        if n:
            self.counts[tid] = n
        else:
            self.counts.pop(tid, None)
        self._draw()

    # -- the basket -----------------------------------------------------------------------------------------------

    def action_add(self) -> None:
        """Put the chosen places in the basket; a reserved section first opens the seat map to pick the seats."""
        if not self.counts:
            self._say(_("! choose a ticket type and press + first"))
            return
        eid, sid, counts = self.event["id"], self.section["id"], dict(self.counts)
        if self.section.get("kind") == "reserved":
            from boxoffice.tui.screens.seat_pick import SeatPickScreen

            def picked(seats: list[str] | None) -> None:
                if not seats:
                    self._say(_("no seats picked: nothing added"))
                    return
                self._add(basket.BasketLine(eid, sid, counts, list(seats)))

            if self._picker is None:  # built once and kept, like the pay screen
                self._picker = SeatPickScreen(self.desk, eid, sid, sum(counts.values()), self.basket_id)
                self.app.install_screen(self._picker, f"seats-{uuid7()}")
            else:
                self._picker.prepare(eid, sid, sum(counts.values()), self.basket_id)
            self.app.push_screen(self._picker, picked)
            return
        self._add(basket.BasketLine(eid, sid, counts))

    def _add(self, line: basket.BasketLine) -> None:
        try:
            self.quote = basket.quote(self.ctx, [*self.lines, line])
        except BoxOfficeError as exc:
            self._say(_("✗ {message}").format(message=exc.message))
            return
        self.lines.append(line)
        self.counts = {}
        self._say(_("✓ added: {count} place(s); P to pay").format(count=sum(line.counts.values())))
        self._draw()

    def action_remove(self) -> None:
        """Take the last line out of the basket (its seats are released)."""
        if not self.lines:
            return
        line = self.lines.pop()
        basket.drop_line(self.ctx, self.basket_id, line)
        self._requote()
        self._say(_("line removed"))

    def action_cancel(self) -> None:
        """The customer walked away: empty the basket and release every seat it held."""
        basket.cancel(self.ctx, self.basket_id)
        self._new_basket()
        self._say(_("basket cancelled: its seats are free again"))

    def _new_basket(self) -> None:
        self.lines, self.quote, self.counts = [], None, {}
        self.buyer = basket.Buyer()
        self.basket_id = uuid7()
        self._draw()

    def _after_sale(self) -> None:
        """A new basket, and what is left to sell read again (the status bar's counts with it)."""
        from boxoffice.tui.widgets.status import StatusBar

        section_i = self.section_i
        self._set_event(self.event["id"])
        self.section_i = min(section_i, max(0, len(self.event["sections"]) - 1))
        self._new_basket()
        self.query_one(StatusBar).refresh_status()

    def _requote(self) -> None:
        try:
            self.quote = basket.quote(self.ctx, self.lines) if self.lines else None
        except BoxOfficeError as exc:
            self.quote = None
            self._say(_("✗ {message}").format(message=exc.message))
        self._draw()

    # -- paying ---------------------------------------------------------------------------------------------------

    def action_pay(self) -> None:
        """Restricted view and wheelchair places are agreed with the customer first; then the pay screen."""
        if not self.lines or self.quote is None:
            self._say(_("! the basket is empty: add places first"))
            return
        self._requote()
        if self.quote is None:
            return
        quote = self.quote
        if quote["confirm"]:
            from boxoffice.tui.screens.places_confirm import PlacesConfirmScreen

            def agreed(yes: bool | None) -> None:
                if yes:
                    self._open_pay(quote)
                else:
                    self._say(_("not paid: change the seats (Backspace removes the last line)"))

            self.app.push_screen(PlacesConfirmScreen(quote["confirm"]), agreed)
            return
        self._open_pay(quote)

    def action_customer(self) -> None:
        """C: the customer's name, e-mail and phone, carried into every order of this basket."""
        from boxoffice.tui.screens.customer import CustomerScreen, said

        def kept(buyer: basket.Buyer | None) -> None:
            if buyer is not None:
                buyer.holders, self.buyer = self.buyer.holders, buyer
                self._say(said(buyer))

        self.app.push_screen(CustomerScreen(self.buyer), kept)

    def _open_pay(self, quote: basket.BasketQuote, named: bool = False) -> None:
        from boxoffice.tui.screens.holders import ask_holders
        from boxoffice.tui.screens.pay import PayScreen

        if not named and ask_holders(self, self.lines, self.buyer, lambda: self._open_pay(quote, True), self._say):
            return

        def paid(result: basket.BasketSale | None) -> None:
            if result is None:
                self._say(_("not paid: the basket is still here"))
                return
            self._after_sale()
            self._say(_("✓ SOLD {orders}  {total} {currency}").format(
                orders=", ".join(result["orders"]), total=result["total_text"], currency=result["currency"]))

        if self._pay is None:  # built once and kept: the next customer reuses it (PayScreen.prepare)
            self._pay = PayScreen(self.desk)
            self.app.install_screen(self._pay, f"pay-{uuid7()}")
        self._pay.prepare(list(self.lines), quote, self.basket_id, self.buyer)
        self.app.push_screen(self._pay, paid)

    # -- drawing --------------------------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        put(self.query_one("#sale-msg", Static), text)

    def _draw(self) -> None:
        top = self.query_one("#sale-top", Static)
        if not self.event:
            put(top, _("No events: import a catalogue first (boxoffice catalog import FILE)"))
            return
        sec = self.section
        left = _("{count} left here").format(count=sec.get("available", 0))
        kind = sec.get("kind", "-")
        put(top, _("E  Event: {name} ({id}) {starts}").format(
            name=self.event["name"], id=self.event["id"], starts=self.event["starts_local"]) + "\n"
            + _("S  Section: {name} ({kind}) · {left}").format(
                name=sec.get("name", "-"), kind=_(KINDS.get(kind, kind)), left=left))
        rows = [_("↑↓ type · +/- count · A add")]
        cur = self.event["currency"]
        for i, t in enumerate(self._types()):
            mark = "▶" if i == self.type_i else " "
            n = self.counts.get(t["id"], 0)
            rows.append(f"{mark} {ljust(t['name'], 14)} {rjust(t['prices'][sec['id']], 7)}  x {n}")
        put(self.query_one("#types", Static), "\n".join(rows))
        put(self.query_one("#basket", Static), self._basket_text(cur))

    def _basket_text(self, cur: str) -> str:
        q = self.quote
        if q is None:
            return _("Basket: empty") + "\n\n" + _("Nothing is taken until it is paid.")
        out = [_("Basket (nothing taken until paid)")]
        shown: tuple[str, str] | None = None
        for ln in q["lines"]:
            if (ln["event_id"], ln["section_id"]) != shown:
                shown = (ln["event_id"], ln["section_id"])
                out.append(f"{ln['event_name']} · {ln['section_name']}")
            off = f"  (-{format_money(ln['discount'], q['currency'])})" if ln["discount"] else ""
            out.append(f"  {ln['text']}{off}")
        for s in q["sales"]:
            if s["seats"]:
                out.append("  " + _("seats {section}: {seats}").format(section=s["section_name"],
                                                                     seats=", ".join(s["seats"])))
        if q["discount"]:
            out.append(ljust(_("Discounts"), 12) + rjust("-" + q["discount_text"], 10))
        out.append(ljust(_("incl. tax"), 12) + rjust(q["tax_text"], 10))
        out.append(ljust(_("TOTAL"), 12) + rjust(q["total_text"], 10) + f" {q['currency']}")
        if len(q["sales"]) > 1:
            out.append(_("paid once, sold as {count} orders (one per event and section)").format(count=len(q["sales"])))
        for c in q["confirm"]:
            out.append(f"⚠ {c}")
        return "\n".join(out)
