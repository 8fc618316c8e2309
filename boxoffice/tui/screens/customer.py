"""The customer step of a sale: name, e-mail and phone, carried into every order the basket makes.

A phone or e-mail is what a limit per customer counts by (services/customer_limits.py), so it is checked here by
the same service rules as `boxoffice sell --phone/--email`, and a wrong one is refused on one line before payment.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services import basket
from boxoffice.tui.widgets.keys import KeysFooter

FIELDS = (("cust-name", N_("Name")), ("cust-email", N_("E-mail")), ("cust-phone", N_("Phone")))


class CustomerScreen(ModalScreen[basket.Buyer | None]):
    """Enter moves on and, in the last box, keeps the customer; F10 keeps it from any box; Esc leaves it as it was.
    All three boxes blank: the sale has no customer."""

    DEFAULT_CSS = """
    CustomerScreen { align: center middle; }
    CustomerScreen #customer { width: 64; height: auto; border: thick $accent; padding: 0 1; background: $surface; }
    CustomerScreen Input { width: 60; }
    CustomerScreen #cust-msg { height: auto; }
    """

    BINDINGS = [
        Binding("f10", "keep", N_("Keep customer")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self, buyer: basket.Buyer | None = None) -> None:
        super().__init__()
        self.buyer = buyer or basket.Buyer()

    def compose(self) -> ComposeResult:
        b = self.buyer
        values = {"cust-name": b.customer_name, "cust-email": b.email, "cust-phone": b.phone}
        with Vertical(id="customer"):
            yield Static(_("CUSTOMER · on every order of this basket (Enter moves on, keeps at the end)"),
                         markup=False)
            for wid, label in FIELDS:
                yield Label(_(label))
                yield Input(value=values[wid] or "", id=wid)
            yield Static("", id="cust-msg", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#cust-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == FIELDS[-1][0]:
            self.action_keep()
        else:
            self.focus_next()

    def action_keep(self) -> None:
        """Check the three boxes with the sale's rules; a refusal stays on screen, one line, nothing kept."""
        name, email, phone = (self.query_one(f"#{wid}", Input).value for wid, _label in FIELDS)
        try:
            buyer = basket.customer(name, email, phone)
        except BoxOfficeError as exc:
            self.query_one("#cust-msg", Static).update(_("✗ {message}").format(message=exc.message))
            return
        self.dismiss(buyer)

    def action_back(self) -> None:
        self.dismiss(None)


def said(buyer: basket.Buyer) -> str:
    """The customer in one line for the sale screen's message."""
    parts = [p for p in (buyer.customer_name, buyer.email, buyer.phone) if p]
    return _("customer: {customer}").format(customer=" · ".join(parts)) if parts else _("no customer on this sale")
