"""How a sale is paid: tenders parsed from what the operator typed, and split across the total.

Card references keep only the last four digits. Anything that looks like a whole card number is refused before it
reaches a variable that could be logged or stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from boxoffice.domain.money import format_money, parse_amount
from boxoffice.domain.records import FrozenRecord
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

_DIGITS = re.compile(r"\d")

# How each tender is named on receipts and screens.
TENDER_LABELS = {"cash": N_("Cash"), "card": N_("Card"), "comp": N_("Comp")}  # translated where shown


@dataclass(init=False, repr=False, eq=False)  # for dataclasses.replace (basket.py); the methods are FrozenRecord's
class Tender(FrozenRecord):
    """One way of paying: cash handed over, a card charge, or a comp."""

    tender: str                # cash | card | comp
    amount: int | None         # cash: amount handed over; card: amount charged (None = the rest)
    card_last4: str | None
    reason: str | None         # comp
    reference: str | None      # card: the card machine's approval code, when given instead of the last four
    _fields = ("tender", "amount", "card_last4", "reason", "reference")

    def __init__(self, tender: str, amount: int | None = None, card_last4: str | None = None,
                 reason: str | None = None, reference: str | None = None) -> None:
        self._assign(tender, amount, card_last4, reason, reference)


@dataclass(init=False, repr=False, eq=False)
class Payment(FrozenRecord):
    """A tender applied to a total: what was taken, handed over, and given back."""

    tender: str
    amount: int
    tendered: int | None
    change: int | None
    card_last4: str | None
    reason: str | None
    reference: str | None
    _fields = ("tender", "amount", "tendered", "change", "card_last4", "reason", "reference")

    def __init__(self, tender: str, amount: int, tendered: int | None = None, change: int | None = None,
                 card_last4: str | None = None, reason: str | None = None, reference: str | None = None) -> None:
        self._assign(tender, amount, tendered, change, card_last4, reason, reference)


def card_last4(text: str) -> str:
    """The last four digits of a card, refusing a full number (12 or more digits) without echoing it."""
    digits = "".join(_DIGITS.findall(text))
    if len(digits) >= 12:
        raise BoxOfficeError("bad_card_number", _("that looks like a full card number: type only the last 4 digits; "
                                                  "nothing was stored"))
    if len(digits) != 4 or len(text.strip().replace(" ", "")) != 4:
        raise BoxOfficeError("bad_input", _("a card reference is the last 4 digits of the card, e.g. 4242"))
    return digits


def approval_code(text: str) -> str:
    """A card machine's approval code (4 to 12 letters and digits), refusing anything like a whole card number."""
    code = text.strip().upper()
    if len(_DIGITS.findall(code)) >= 12:
        raise BoxOfficeError("bad_card_number", _("that looks like a full card number: type only the last 4 digits "
                                                  "or the approval code; nothing was stored"))
    if not (4 <= len(code) <= 12 and code.isascii() and code.isalnum()):
        raise BoxOfficeError("bad_input", _("an approval code is 4 to 12 letters and digits, as the card machine "
                                            "prints it"))
    return code


def card_reference(text: str, amount: int | None = None) -> Tender:
    """A card payment as the counter types it: the last four digits of the card, or else the approval code."""
    text = text.strip()
    if text.isdigit() and len(text) == 4:
        return Tender("card", amount, card_last4=text)
    return Tender("card", amount, reference=approval_code(text))


def parse_card(spec: str, currency: str) -> Tender:
    """'4242' (charge the rest) or '4242:20.00' (charge 20.00 to that card)."""
    last4_text, _, amount = spec.partition(":")
    last4 = card_last4(last4_text)
    return Tender("card", parse_amount(amount, currency) if amount else None, card_last4=last4)


def apply_tenders(total: int, tenders: list[Tender], currency: str) -> list[Payment]:
    """Apply card charges with an amount, then cash (change given), then a card for whatever is left.

    Refuses tenders that do not cover the total, a card charge above what is due, and a comp of a paid total.
    """
    fixed, rest, cash, comps = _by_kind(tenders)
    _refuse_doubled(cash, rest)
    if comps:
        return [_comp(total, comps[0], others=bool(fixed or rest or cash))]
    payments: list[Payment] = []
    due = _charge_fixed_cards(fixed, total, currency, payments)
    if cash:
        due = _take_cash(cash[0], due, bool(rest), currency, payments)
    if rest and due > 0:
        payments.append(Payment("card", due, card_last4=rest[0].card_last4, reference=rest[0].reference))
        due = 0
    _refuse_unpaid(total, due, payments, currency)
    return payments


def _by_kind(tenders: list[Tender]) -> tuple[list[Tender], list[Tender], list[Tender], list[Tender]]:
    """The tenders in the order they are applied: cards with an amount, cards for the rest, cash, comps."""
    fixed = [t for t in tenders if t.tender == "card" and t.amount is not None]
    rest = [t for t in tenders if t.tender == "card" and t.amount is None]
    cash = [t for t in tenders if t.tender == "cash"]
    comps = [t for t in tenders if t.tender == "comp"]
    return fixed, rest, cash, comps


def _refuse_doubled(cash: list[Tender], rest: list[Tender]) -> None:
    """Cash is handed over once, and one card at most takes 'the rest': otherwise the split is ambiguous."""
    if len(cash) > 1:
        raise BoxOfficeError("bad_input", _("give the cash handed over once (--cash AMOUNT)"))
    if len(rest) > 1:
        raise BoxOfficeError("bad_input", _("only one card may take 'the rest'; give the others an amount (4242:20)"))


def _comp(total: int, comp: Tender, others: bool) -> Payment:
    """The one payment of a comp, which covers free tickets only and stands alone."""
    if total != 0 or others:
        raise BoxOfficeError("bad_input", _("a comp is for free tickets only: choose the comp ticket type, "
                                            "with no other tender"))
    return Payment("comp", 0, reason=comp.reason)


def _charge_fixed_cards(fixed: list[Tender], due: int, currency: str, payments: list[Payment]) -> int:
    """Charge each card given an amount (none above what is still due); returns what is due after them."""
    for c in fixed:
        assert c.amount is not None
        if c.amount > due:
            raise BoxOfficeError("bad_input", _("card charge {amount} is more than the {due} due").format(
                amount=format_money(c.amount, currency), due=format_money(due, currency)))
        if c.amount:
            payments.append(Payment("card", c.amount, card_last4=c.card_last4, reference=c.reference))
        due -= c.amount
    return due


def _take_cash(cash: Tender, due: int, card_takes_rest: bool, currency: str, payments: list[Payment]) -> int:
    """Take cash towards what is due, giving change; short cash is refused unless a card takes the rest.
    Returns what is due after it."""
    handed = cash.amount or 0
    if handed < due and not card_takes_rest:
        raise BoxOfficeError("insufficient_payment", _("cash {amount} does not cover the {due} due").format(
            amount=format_money(handed, currency), due=format_money(due, currency)))
    take = min(handed, due)
    if handed:
        payments.append(Payment("cash", take, tendered=handed, change=handed - take))
    return due - take


def _refuse_unpaid(total: int, due: int, payments: list[Payment], currency: str) -> None:
    """Nothing may stay due, and free tickets go through as a comp, not as an order with no payment."""
    if due > 0:
        raise BoxOfficeError("insufficient_payment", _("{due} is still due: add --cash AMOUNT or --card LAST4").format(
            due=format_money(due, currency)))
    if total == 0 and not payments:
        raise BoxOfficeError("bad_input", _("free tickets are comps: add --comp REASON (needs a supervisor)"))
