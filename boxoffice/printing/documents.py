"""Every document the terminal prints, laid out in one place: tickets (and their copies), the sale, refund and
exchange receipts, the X/Z shift report and the printer test page.

The services gather what a document shows and format it for people (money, times, names: they own that); the
views below carry it as plain text; the functions here turn a view into a Layout (printing/layout.py); the
back-ends (escpos_render.py, pdf_render.py) render it. Nothing here reads the database or knows a currency.

Paper speaks the venue's language (``[venue] language``), whatever the screen speaks: a view carries it in
``language`` (None: the language in force) and its layout function translates every label inside
``use_language(language)``; the services format the view's money and times inside the same.
"""

from __future__ import annotations

from boxoffice.i18n import N_, _, use_language
from boxoffice.printing.layout import QR, Columns, Cut, DrawerKick, Feed, Layout, Rule, Text

SIGNATURE_LINE = "x______________________________"


# The views were frozen dataclasses; their __init__ is written out now, since generating it (with __repr__, __eq__,
# __hash__ and the frozen __setattr__) compiled several functions per class at every start of a process that
# prints. Nothing changes a view after it is made.
class _View:
    """Equality and repr of a view from its attributes."""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self.__dict__ == other.__dict__
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a view holds lists

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{type(self).__qualname__}({fields})"


class TicketView(_View):
    """What a ticket shows, already formatted for people: the sales code owns money and time formatting.

    ``row`` and ``seat`` are None for general admission. ``token`` is the signed QR payload.
    """

    venue: str
    event_name: str
    starts_at: str
    section: str
    row: str | None
    seat: str | None
    ticket_type: str
    price: str
    order_code: str
    token: str
    copy: bool = False
    holder: str | None = None  # a real-name ticket: "李小明 · ID ****1234" (never the whole number)
    notes: tuple[str, ...] = ()  # what the place is, in capitals: "RESTRICTED VIEW", "WHEELCHAIR SPACE"
    language: str | None = None  # the paper's language (the venue's); None: the language in force

    def __init__(self, venue: str, event_name: str, starts_at: str, section: str, row: str | None, seat: str | None,
                 ticket_type: str, price: str, order_code: str, token: str, copy: bool = False,
                 holder: str | None = None, notes: tuple[str, ...] = (), language: str | None = None) -> None:
        self.venue, self.event_name, self.starts_at, self.section = venue, event_name, starts_at, section
        self.row, self.seat, self.ticket_type, self.price = row, seat, ticket_type, price
        self.order_code, self.token, self.copy, self.holder = order_code, token, copy, holder
        self.notes, self.language = notes, language


class ReceiptView(_View):
    """What a receipt shows, already formatted for people.

    ``lines`` are (description, quantity, amount text); ``tax_lines`` and ``tenders`` are
    (label, amount text); ``change`` is None when no change is due.
    """

    venue: str
    order_code: str
    lines: list[tuple[str, int, str]]
    total: str
    tax_lines: list[tuple[str, str]]
    tenders: list[tuple[str, str]]
    change: str | None
    operator: str
    time: str
    footer: str | None = None
    copy: bool = False
    notes: tuple[str, ...] = ()  # the flagged places of the order: "A1 RESTRICTED VIEW"
    language: str | None = None  # the paper's language (the venue's); None: the language in force

    def __init__(self, venue: str, order_code: str, lines: list[tuple[str, int, str]], total: str,
                 tax_lines: list[tuple[str, str]], tenders: list[tuple[str, str]], change: str | None, operator: str,
                 time: str, footer: str | None = None, copy: bool = False, notes: tuple[str, ...] = (),
                 language: str | None = None) -> None:
        self.venue, self.order_code, self.lines, self.total = venue, order_code, lines, total
        self.tax_lines, self.tenders, self.change, self.operator = tax_lines, tenders, change, operator
        self.time, self.footer, self.copy, self.notes, self.language = time, footer, copy, notes, language


COPY_BANNER = N_("*** COPY ***")


def ticket_layout(t: TicketView, copy: bool = False) -> Layout:
    """The layout of one ticket: event first (what the door checks by eye), then the place, then the QR.

    A reprint (``copy`` here or on the view) keeps the same token and says COPY in large type at the top and
    again under the QR, so a copy is obvious both at the counter and at the door.
    """
    with use_language(t.language):
        return _ticket_layout(t, copy)


def _ticket_layout(t: TicketView, copy: bool) -> Layout:
    is_copy = copy or t.copy
    blocks: Layout = [Text(t.venue, bold=True, align="center")]
    if is_copy:
        blocks.append(Text(_(COPY_BANNER), bold=True, size=2, align="center"))
    blocks += [
        Text(t.event_name, bold=True, size=2, align="center"),
        Text(t.starts_at, align="center"),
        Rule(),
        Columns(_("Section"), t.section, bold=True),
    ]
    if t.row is not None:
        blocks.append(Columns(_("Row"), t.row, bold=True))
    if t.seat is not None:
        blocks.append(Columns(_("Seat"), t.seat, bold=True))
    blocks += [Text(note, bold=True, align="center") for note in t.notes]
    if t.holder is not None:
        blocks.append(Columns(_("Holder"), t.holder, bold=True))
    blocks += [
        Columns(_("Ticket"), t.ticket_type),
        Columns(_("Price"), t.price),
        Columns(_("Order"), t.order_code),
        QR(t.token),
        Text(t.order_code, align="center"),
    ]
    if is_copy:
        blocks.append(Text(_(COPY_BANNER), bold=True, align="center"))
    blocks.append(Cut())
    return blocks


def receipt_layout(r: ReceiptView, open_drawer: bool = False) -> Layout:
    """The layout of a sales receipt.

    ``open_drawer`` puts the drawer kick first, so the drawer opens while the receipt is still printing
    and the seller can give change at once.
    """
    with use_language(r.language):
        return _receipt_layout(r, open_drawer)


def _receipt_layout(r: ReceiptView, open_drawer: bool) -> Layout:
    blocks: Layout = [DrawerKick()] if open_drawer else []
    blocks.append(Text(r.venue, bold=True, size=2, align="center"))
    if r.copy:
        blocks.append(Text(_(COPY_BANNER), bold=True, size=2, align="center"))
    blocks += [
        Columns(_("Order"), r.order_code),
        Columns(_("Time"), r.time),
        Rule(),
    ]
    blocks += [Columns(_("{description} x{qty}").format(description=description, qty=qty), amount)
               for description, qty, amount in r.lines]
    blocks += [Text(note, bold=True) for note in r.notes]
    blocks += [Rule(), Columns(_("TOTAL"), r.total, bold=True)]
    blocks += [Columns(label, amount) for label, amount in r.tax_lines]
    blocks += [Columns(label, amount) for label, amount in r.tenders]
    if r.change is not None:
        blocks.append(Columns(_("Change"), r.change, bold=True))
    blocks += [Rule(), Text(_("Served by {operator}").format(operator=r.operator))]
    if r.footer:
        blocks.append(Text(r.footer, align="center"))
    if r.copy:
        blocks.append(Text(_(COPY_BANNER), bold=True, align="center"))
    blocks.append(Cut())
    return blocks




class RefundReceiptView(_View):
    """What a refund receipt shows, already formatted for people.

    ``items`` are (description, price text, fee-kept text or None); ``tenders`` are (label, amount text) of
    where the money went; ``override`` is (why, approved by) when a rule was overridden; ``demand`` the lines
    saying which demand band set the fee (empty for an event without bands).
    """

    venue: str
    order_code: str
    time: str
    event: str | None
    items: list[tuple[str, str, str | None]]
    refunded: str
    tenders: list[tuple[str, str]]
    reason: str
    note: str | None
    override: tuple[str, str] | None
    operator: str
    open_drawer: bool = False
    demand: tuple[str, ...] = ()
    language: str | None = None  # the paper's language (the venue's); None: the language in force

    def __init__(self, venue: str, order_code: str, time: str, event: str | None,
                 items: list[tuple[str, str, str | None]], refunded: str, tenders: list[tuple[str, str]], reason: str,
                 note: str | None, override: tuple[str, str] | None, operator: str, open_drawer: bool = False,
                 demand: tuple[str, ...] = (), language: str | None = None) -> None:
        self.venue, self.order_code, self.time, self.event, self.items = venue, order_code, time, event, items
        self.refunded, self.tenders, self.reason, self.note = refunded, tenders, reason, note
        self.override, self.operator, self.open_drawer = override, operator, open_drawer
        self.demand, self.language = demand, language


def refund_layout(r: RefundReceiptView) -> Layout:
    """The refund receipt: what was cancelled, the fee kept, where the money went, and a line for a signature."""
    with use_language(r.language):
        return _refund_layout(r)


def _refund_layout(r: RefundReceiptView) -> Layout:
    blocks: Layout = [DrawerKick()] if r.open_drawer else []
    blocks += [Text(r.venue, bold=True, size=2, align="center"), Text(_("REFUND"), bold=True, size=2, align="center"),
               Columns(_("Order"), r.order_code), Columns(_("Time"), r.time)]
    if r.event:
        blocks.append(Text(r.event))
    blocks.append(Rule())
    for description, price, fee in r.items:
        blocks.append(Columns(description, price))
        if fee:
            blocks.append(Columns("  " + _("fee kept"), fee))
    if r.demand:
        blocks += [Text(r.demand[0], bold=True)] + [Text(line) for line in r.demand[1:]]
    blocks += [Rule(), Columns(_("REFUNDED"), r.refunded, bold=True)]
    blocks += [Columns(_("To {tender}").format(tender=label), amount) for label, amount in r.tenders]
    blocks.append(Columns(_("Reason"), r.reason))
    if r.note:
        blocks.append(Text(r.note))
    if r.override is not None:
        why, approver = r.override
        blocks.append(Text(_("OVERRIDE: {why}; approved by {approver}").format(why=why, approver=approver),
                           bold=True))
    blocks += [Rule(), Text(_("The tickets above are cancelled and no longer admit.")), Feed(2),
               Text(_("Customer signature:")), Feed(2), Text(SIGNATURE_LINE),
               Text(_("Refunded by {operator}").format(operator=r.operator)), Cut()]
    return blocks


class ExchangeReceiptView(_View):
    """What an exchange slip shows, already formatted for people.

    ``returned`` and ``new`` are (description, price text); ``paid`` is set when the customer paid a difference,
    ``refunded`` when money went back (the slip then has a signature line); ``payments`` are (label, amount text,
    change text or None), the label saying "To ..." for money that went back.
    """

    venue: str
    new_code: str
    old_code: str
    time: str
    returned: list[tuple[str, str]]
    new: list[tuple[str, str]]
    credit: str
    new_total: str
    paid: str | None
    refunded: str | None
    payments: list[tuple[str, str, str | None]]
    open_drawer: bool = False
    language: str | None = None  # the paper's language (the venue's); None: the language in force

    def __init__(self, venue: str, new_code: str, old_code: str, time: str, returned: list[tuple[str, str]],
                 new: list[tuple[str, str]], credit: str, new_total: str, paid: str | None, refunded: str | None,
                 payments: list[tuple[str, str, str | None]], open_drawer: bool = False,
                 language: str | None = None) -> None:
        self.venue, self.new_code, self.old_code, self.time = venue, new_code, old_code, time
        self.returned, self.new, self.credit, self.new_total = returned, new, credit, new_total
        self.paid, self.refunded, self.payments = paid, refunded, payments
        self.open_drawer, self.language = open_drawer, language


def exchange_layout(x: ExchangeReceiptView) -> Layout:
    """The exchange slip: what came back, what went out, and how the difference was settled (signed if refunded)."""
    with use_language(x.language):
        return _exchange_layout(x)


def _exchange_layout(x: ExchangeReceiptView) -> Layout:
    blocks: Layout = [DrawerKick()] if x.open_drawer else []
    blocks += [Text(x.venue, bold=True, size=2, align="center"),
               Text(_("EXCHANGE"), bold=True, size=2, align="center"),
               Columns(_("New order"), x.new_code), Columns(_("Replaces"), x.old_code), Columns(_("Time"), x.time),
               Rule(), Text(_("Returned (cancelled):"), bold=True)]
    blocks += [Columns(description, price) for description, price in x.returned]
    blocks.append(Text(_("New:"), bold=True))
    blocks += [Columns(description, price) for description, price in x.new]
    blocks += [Rule(), Columns(_("Credit"), x.credit), Columns(_("New tickets"), x.new_total)]
    if x.paid is not None:
        blocks.append(Columns(_("PAID"), x.paid, bold=True))
    elif x.refunded is not None:
        blocks.append(Columns(_("REFUNDED"), x.refunded, bold=True))
    for label, amount, change in x.payments:
        blocks.append(Columns(label, amount))
        if change:
            blocks.append(Columns(_("Change"), change, bold=True))
    if x.refunded is not None:
        blocks += [Feed(2), Text(_("Customer signature:")), Feed(2), Text(SIGNATURE_LINE)]
    blocks.append(Cut())
    return blocks


_STRONG = (N_("Net"), N_("Expected"), N_("Counted"), N_("Variance"))  # the shift report's lines in bold


def shift_report_layout(venue: str, kind: str, lines: list[tuple[str, str]], language: str | None = None) -> Layout:
    """The X or Z report on paper: (label, value) lines, a heading where the value is empty, and signature lines
    on a Z report for whoever counted and whoever checked. ``lines`` are translated already, in ``language``
    (the paper's; None: the language in force)."""
    with use_language(language):
        strong = set(_STRONG) | {_(label) for label in _STRONG}
        blocks: Layout = [Text(venue, bold=True, align="center"),
                          Text(_("{kind} REPORT").format(kind=kind), bold=True, size=2, align="center"), Rule()]
        for label, value in lines:
            if value:
                blocks.append(Columns(label, value, bold=label in strong))
            else:
                blocks += [Rule(), Text(label, bold=True)]
        if kind == "Z":
            blocks += [Rule(), Feed(2), Text(_("Counted by: ______________________")), Feed(2),
                       Text(_("Checked by: ______________________"))]
    blocks.append(Cut())
    return blocks


def test_page_layout(venue: str, printer: str, profile: str, code: str, language: str | None = None) -> Layout:
    """A test page: venue, printer, a sample QR and some non-Latin text, to check paper, cutter, fonts and
    scanner."""
    with use_language(language):
        return [Text(venue, bold=True, size=2, align="center"), Text(_("Printer test"), align="center"),
                Columns(_("Printer"), printer), Columns(_("Profile"), profile), QR(code),
                Text("Café Müller  北京  ok", align="center"), Cut()]


def drawer_kick_layout() -> Layout:
    """Only the drawer kick: the drawer opened with no sale."""
    return [DrawerKick()]
