"""The pay screen: cash (change shown large), card, split, or a comp with a supervisor's PIN; then the print.

The basket is sold only when the payment is taken, by services/basket.py, whose sales are the same
:func:`boxoffice.services.sales.sell` call as `boxoffice sell`. Printing runs after the sale has committed: a
printer that fails leaves the sale standing and its job on screen, with a key to try it again.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ContentSwitcher, Digits, Input, Label, Static

from boxoffice.domain.money import format_money, parse_amount
from boxoffice.domain.tenders import Tender, card_reference
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services import basket
from boxoffice.services.printing import PrintResult
from boxoffice.tui.desk import Desk
from boxoffice.tui.screens.kept import KeptStyles
from boxoffice.tui.text import put
from boxoffice.tui.widgets.keys import KeysFooter

TENDERS = ("cash", "card", "split", "comp")


class PayScreen(KeptStyles, ModalScreen[basket.BasketSale | None]):
    """F6 cash, F7 card, F8 split, F9 comp; Enter takes the payment. After the sale: R retries a failed print,
    Enter or Esc goes back to a new basket."""

    DEFAULT_CSS = """
    PayScreen { align: center middle; }
    PayScreen #pay { width: 76; height: 21; border: thick $accent; padding: 0 1; background: $surface; }
    PayScreen #due { text-style: bold; height: 2; }
    PayScreen ContentSwitcher { height: 1fr; }
    PayScreen Input { width: 40; }
    PayScreen Label { margin-top: 0; }
    PayScreen #change { width: auto; }
    PayScreen #pay-msg { height: 2; }
    """

    BINDINGS = [
        Binding("f6", "tender('cash')", N_("Cash")),
        Binding("f7", "tender('card')", N_("Card")),
        Binding("f8", "tender('split')", N_("Split")),
        Binding("f9", "tender('comp')", N_("Comp")),
        Binding("f10", "take", N_("Take payment")),
        Binding("r", "retry", N_("Retry print")),
        Binding("enter", "done", N_("Next customer")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self, desk: Desk, lines: list[basket.BasketLine] | None = None,
                 quote: basket.BasketQuote | None = None, basket_id: str = "",
                 buyer: basket.Buyer | None = None) -> None:
        super().__init__()
        self.buyer = buyer  # the customer and real-name holders, added to the tenders typed here
        self.desk = desk
        self.ctx = desk.ctx
        self.lines: list[basket.BasketLine] = []
        self.quote: basket.BasketQuote = {}  # type: ignore[typeddict-item]  # set by prepare before it shows
        self.basket_id = ""
        self.currency = ""
        self.result: basket.BasketSale | None = None
        self.prints: list[PrintResult] = []
        if quote is not None:
            self.prepare(lines or [], quote, basket_id, buyer)

    def prepare(self, lines: list[basket.BasketLine], quote: basket.BasketQuote, basket_id: str,
                buyer: basket.Buyer | None = None) -> None:
        """Take the next basket. The screen is built once and kept (the sale screen installs it): composing its
        dozen boxes for every customer was most of the time the P key took. Each basket starts on an empty cash
        pane, as a screen built for it would."""
        self.lines, self.quote, self.basket_id = lines, quote, basket_id
        self.buyer = buyer
        self.currency = quote["currency"]
        self.result, self.prints = None, []
        if self.is_mounted:
            self._fill()

    def compose(self) -> ComposeResult:
        with Vertical(id="pay"):
            yield Static("", id="due", markup=False)
            with ContentSwitcher(initial="cash"):
                with Vertical(id="cash"):
                    yield Label(_("CASH · cash handed over (Enter takes it)"))
                    yield Input(id="cash-in")
                    yield Static("", id="cash-preview", markup=False)
                with Vertical(id="card"):
                    yield Label("", id="card-due")
                    yield Label(_("then type the last 4 digits or the approval code (Enter)"))
                    yield Input(placeholder=_("4242 or approval code"), id="card-ref")
                with Vertical(id="split"):
                    yield Label(_("SPLIT · card amount, its last 4 or approval code, then the cash"))
                    yield Input(placeholder=_("card amount, e.g. 20.00"), id="split-amount")
                    yield Input(placeholder=_("last 4 or approval code"), id="split-ref")
                    yield Input(placeholder=_("cash handed over for the rest"), id="split-cash")
                with Vertical(id="comp"):
                    yield Label(_("COMP · free tickets: reason, and a supervisor's name and PIN"))
                    yield Input(placeholder=_("reason, e.g. press night guest"), id="comp-reason")
                    yield Input(placeholder=_("supervisor (blank if you may give comps)"), id="comp-sup")
                    yield Input(placeholder=_("supervisor's PIN"), password=True, id="comp-pin")
                with Vertical(id="done"):
                    yield Static("", id="sold", markup=False)
                    yield Label(_("CHANGE"), id="change-label")
                    yield Digits("", id="change")
                    yield Static("", id="prints", markup=False)
            yield Static("", id="pay-msg", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self._fill()

    def on_screen_suspend(self) -> None:
        """The screen is kept between customers: a supervisor's PIN typed here does not stay in it meanwhile."""
        self.query_one("#comp-pin", Input).value = ""

    def _fill(self) -> None:
        """Show this basket's amounts, every box empty, the cash pane in view."""
        q, due = self.quote, f"{self.quote['total_text']} {self.currency}"
        many = _(" · {count} orders, paid once, sold together").format(count=len(q["sales"])) if len(q["sales"]) > 1 \
            else ""
        self.query_one("#due", Static).update(_("TO PAY {due}  (incl. tax {tax}){many}").format(
            due=due, tax=q["tax_text"], many=many))
        self.query_one("#card-due", Label).update(_("CARD · take {due} on the card machine now,").format(due=due))
        for box in self.query(Input):
            if box.value:
                box.value = ""
        self.query_one("#cash-in", Input).placeholder = q["total_text"]
        for wid in ("#cash-preview", "#sold", "#prints"):
            put(self.query_one(wid, Static), "")
        self.query_one("#change-label", Label).display = True
        self.query_one("#change", Digits).display = True
        self.query_one("#change", Digits).update("")
        self.action_tender("cash")
        self.refresh_bindings()

    # -- choosing the tender --------------------------------------------------------------------------------------

    @property
    def tender(self) -> str:
        return str(self.query_one(ContentSwitcher).current)

    def action_tender(self, kind: str) -> None:
        if self.result is not None:
            return
        self.query_one(ContentSwitcher).current = kind
        first = {"cash": "#cash-in", "card": "#card-ref", "split": "#split-amount", "comp": "#comp-reason"}[kind]
        self.query_one(first, Input).focus()
        self._say("")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Payment keys before the sale, print and new-sale keys after it."""
        if action in ("tender", "take"):
            return self.result is None
        if action == "retry":
            return self.result is not None and any(p["status"] == "failed" for p in self.prints)
        if action == "done":
            return self.result is not None
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "cash-in":
            self.query_one("#cash-preview", Static).update(self._change_preview(event.value))

    def _change_preview(self, text: str) -> str:
        if not text.strip():
            return ""
        try:
            handed = parse_amount(text, self.currency)
        except BoxOfficeError as exc:
            return _("✗ {message}").format(message=exc.message)
        left = handed - self.quote["total"]
        if left < 0:
            return _("✗ short by {amount}").format(amount=format_money(-left, self.currency))
        return _("change {amount}").format(amount=format_money(left, self.currency))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the last box of a tender takes the payment; in an earlier box it moves on."""
        last = {"cash-in", "card-ref", "split-cash", "comp-pin"}
        if event.input.id in last:
            self.action_take()
        else:
            self.focus_next()

    # -- taking the payment ---------------------------------------------------------------------------------------

    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    def _payment(self) -> basket.Payment:
        """The tenders typed on the pane in view (refusing what no sale would take)."""
        cur, kind = self.currency, self.tender
        if kind == "cash":
            return basket.Payment([Tender("cash", parse_amount(self._value("cash-in") or "0", cur))])
        if kind == "card":
            return basket.Payment([card_reference(self._value("card-ref"))])
        if kind == "split":
            card = card_reference(self._value("split-ref"), parse_amount(self._value("split-amount") or "0", cur))
            return basket.Payment([card, Tender("cash", parse_amount(self._value("split-cash") or "0", cur))])
        sup, pin = self._value("comp-sup"), self.query_one("#comp-pin", Input).value
        return basket.Payment([Tender("comp", reason=self._value("comp-reason") or None)],
                              supervisor=(sup, pin) if sup else None)

    def action_take(self) -> None:
        """Sell the basket with the tenders typed; then print, before anything on screen changes (the customer
        waits on the tickets, not on the screen). A refusal leaves everything as it was."""
        if self.result is not None:
            return
        try:
            payment = basket.with_buyer(self._payment(), self.buyer)
            result = basket.pay(self.ctx, self.lines, payment, self.basket_id)
        except BoxOfficeError as exc:
            self.query_one("#comp-pin", Input).value = ""
            self._say(_("✗ NOT SOLD: {message}").format(message=exc.message))
            return
        self.result = result
        self._send(result["jobs"])
        self.query_one(ContentSwitcher).current = "done"
        self.set_focus(None)
        has_cash = any(p["tender"] == "cash" for s in result["sales"] for p in s["payments"])
        self.query_one("#sold", Static).update(
            _("✓ SOLD {orders} · {total} {currency} · {count} ticket(s)").format(
                orders=", ".join(result["orders"]), total=result["total_text"], currency=result["currency"],
                count=sum(len(s["tickets"]) for s in result["sales"])))
        self.query_one("#change-label", Label).display = has_cash
        self.query_one("#change", Digits).display = has_cash
        self.query_one("#change", Digits).update(result["change_text"])
        self.query_one("#due", Static).update(_("PAID {total} {currency}").format(total=result["total_text"],
                                                                                  currency=result["currency"]))
        loose = any(s["outside_shift"] for s in result["sales"])
        if loose:
            from boxoffice.services.counter_replies import outside_shift_text

        self._say(_("⚠ {what}").format(what=outside_shift_text()) if loose else "")
        self._show_prints()
        self.refresh_bindings()

    # -- printing -------------------------------------------------------------------------------------------------

    def _print(self, jobs: list[str]) -> None:
        self._send(jobs)
        self._show_prints()
        self.refresh_bindings()

    def _send(self, jobs: list[str]) -> None:
        """Print ``jobs`` now, keeping each one's outcome (shown by :meth:`_show_prints`)."""
        from boxoffice.services.printing import run_jobs

        done = {p["job"]: p for p in run_jobs(self.ctx, jobs)}
        self.prints = [done.get(p["job"], p) for p in self.prints] + [p for j, p in done.items()
                                                                        if j not in {x["job"] for x in self.prints}]

    def _show_prints(self) -> None:
        lines = []
        for p in self.prints:
            if p["status"] == "failed":
                lines.append(_("✗ PRINT FAILED (job {job}): {error}").format(job=p["job"][-8:],
                                                                             error=p.get("error", "")))
            else:
                lines.append(_("✓ printed {where}").format(where=p.get("to", p.get("note", ""))))
        if any(p["status"] == "failed" for p in self.prints):
            lines.append(_("The sale is saved. Fix the printer, then R retries the job."))
        self.query_one("#prints", Static).update("\n".join(lines))

    def action_retry(self) -> None:
        failed = [p["job"] for p in self.prints if p["status"] == "failed"]
        if failed:
            self._print(failed)

    def action_done(self) -> None:
        if self.result is not None:
            self.dismiss(self.result)

    def action_back(self) -> None:
        """Before the sale: back to the basket, nothing taken. After it: on to the next customer."""
        self.dismiss(self.result)

    def _say(self, text: str) -> None:
        put(self.query_one("#pay-msg", Static), text)
