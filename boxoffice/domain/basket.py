"""A basket paid at once although it becomes several orders: the customer's tenders shared out between them.

One order is one event and one section (services/sales.py), so a basket of two sections or two events is sold as
one order each. The customer still pays once: cash handed over for the whole basket, a card charged once. Here the
payment the customer made for the basket total is cut into one payment per order, so each order's own rules
(:func:`boxoffice.domain.tenders.apply_tenders`) see exactly its share, and the change is given once, on the last
order that takes cash.
"""

from __future__ import annotations

from dataclasses import replace

from boxoffice.domain.tenders import Payment, Tender, apply_tenders
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _


def split_tenders(totals: list[int], tenders: list[Tender], currency: str) -> list[list[Tender]]:
    """The tenders for each order of a basket, in the order of ``totals``.

    The whole basket is checked first as one sale would be (enough paid, no card above what is due, a comp only of
    free tickets), so a refusal reads the same as at the command line.
    """
    payments = apply_tenders(sum(totals), tenders, currency)
    if any(p.tender == "comp" for p in payments):
        comp = next(t for t in tenders if t.tender == "comp")
        return [[comp] for _ in totals]
    if any(t == 0 for t in totals):
        raise BoxOfficeError("bad_input",
            _("free tickets are comps: sell them as a basket of their own, paid as a comp"))
    pool = [p for p in payments if p.amount > 0]
    change = sum(p.change or 0 for p in payments)
    out: list[list[Tender]] = []
    for total in totals:
        due, mine = total, []
        while due > 0:
            p = pool[0]
            take = min(p.amount, due)
            mine.append(_piece(p, take))
            due -= take
            if take == p.amount:
                pool.pop(0)
            else:
                pool[0] = replace(p, amount=p.amount - take)
        out.append(mine)
    if change:
        _give_change(out, change)
    return out


def _piece(p: Payment, amount: int) -> Tender:
    """One order's part of a payment: a card charge of that amount, or that much of the cash."""
    if p.tender == "card":
        return Tender("card", amount, card_last4=p.card_last4, reference=p.reference)
    return Tender("cash", amount)


def _give_change(out: list[list[Tender]], change: int) -> None:
    """The change is handed back once: the last order that takes cash is handed that much more."""
    for tenders in reversed(out):
        for i, t in enumerate(tenders):
            if t.tender == "cash":
                tenders[i] = replace(t, amount=(t.amount or 0) + change)
                return
