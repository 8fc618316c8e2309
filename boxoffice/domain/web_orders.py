"""What a web order means, read the same way by the terminal's `orders import` (services/web_orders.py: orders the
central service signed) and by the central service's own intake (central/services/weborders.py: orders the shop
sends, which central prices, numbers and signs). Pure: no database, no clock, no keys.

Both refuse a document whole with every problem located by JSON pointer, so the rules that decide what a ticket of
a web order is live here once: where a ticket may be (a general-admission place has no seat, a reserved one needs
its seat), what it costs (an amount in the event's currency and the tax share inside it), what an order adds up to,
and what may not appear twice in one document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from boxoffice.domain.money import parse_amount, tax_share
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

MAX_ERRORS = 200
GENERAL, RESERVED = "general", "reserved"


DOCUMENT_NAMES = frozenset((
    N_("orders document"), N_("key list"), N_("catalogue")))  # translated where a refusal names them


class Problems:
    """Located errors, collected so that one run reports all of them (up to ``limit``, None for all)."""

    def __init__(self, limit: int | None = MAX_ERRORS) -> None:
        self.errors: list[str] = []
        self.limit = limit

    def add(self, pointer: str, message: str) -> None:
        if self.limit is None or len(self.errors) < self.limit:
            self.errors.append(f"{pointer}: {message}")
        elif len(self.errors) == self.limit:
            self.errors.append(_("(more errors not shown; fix these first)"))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self, what: str) -> None:
        """Refuse the document, naming how many errors and the first."""
        if self.errors:
            shown = _(what) if what in DOCUMENT_NAMES else what
            if self.limit is None or len(self.errors) <= self.limit:
                message = _("the {what} has {count} error(s); nothing was imported. First: {first}").format(
                    what=shown, count=len(self.errors), first=self.errors[0])
            else:
                message = _("the {what} has over {count} error(s); nothing was imported. First: {first}").format(
                    what=shown, count=self.limit, first=self.errors[0])
            raise BoxOfficeError("invalid_document", message, errors=self.errors)


class Seen:
    """What a document has named so far, to catch one id, code, reference or token used twice."""

    def __init__(self) -> None:
        self._values: dict[str, set[str]] = {}

    def again(self, what: str, value: str) -> bool:
        """Record ``value`` under ``what``; True when the document named it before."""
        values = self._values.setdefault(what, set())
        if value in values:
            return True
        values.add(value)
        return False


def seat_rule(section_kind: str, has_seat: bool) -> str | None:
    """Where a ticket may be: ``"no_seat"`` when a general-admission ticket names a seat, ``"seat_needed"`` when a
    reserved one does not, else None. The caller words it for its own document."""
    if section_kind == GENERAL and has_seat:
        return "no_seat"
    if section_kind == RESERVED and not has_seat:
        return "seat_needed"
    return None


def ticket_amounts(price_text: str | None, catalogue_price: int | None, currency: str,
                   tax_rate_bp: int) -> tuple[int, int] | None:
    """A ticket's price (the document's amount, else the catalogue's) and the tax share inside it, in minor units;
    None when neither gives a price. A malformed amount raises ``bad_amount`` with its own message."""
    if price_text is not None:
        price = parse_amount(price_text, currency)
    elif catalogue_price is not None:
        price = int(catalogue_price)
    else:
        return None
    return price, tax_share(price, tax_rate_bp)


def totals(tickets: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """An order's total and tax: the sums of its tickets'."""
    items = list(tickets)
    return sum(t["price"] for t in items), sum(t["tax"] for t in items)


def clean_notes(text: str | None) -> str | None:
    """An order's notes as kept: trimmed, None when empty."""
    return (text or "").strip() or None


def seat_label(row: Any, seat: Any) -> str:
    """A seat's label as the catalogue and the claims spell it: row then seat number (``B12``)."""
    return f"{row}{seat}"


def seat_subject(event_id: str, section_id: str, label: str) -> str:
    """The once-only claim a sold seat makes: one event, one section, one seat."""
    return f"{event_id}/{section_id}/{label}"
