"""The counter's quick-sale line (`s standing adult=2 cash 50`), read into a sale request. No I/O here."""

from __future__ import annotations

from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _


def parse_sale(spec: str, event_id: str, currency: str) -> Any:
    """The quick-sale mini-syntax: SECTION TYPE=N [TYPE=N...] then tenders: cash AMOUNT, card LAST4[:AMOUNT].

    A bare TYPE counts one. A real-name event's holders follow, one a ticket, each after a slash:
    ``s standing adult=2 cash 50 / 李小明,resident,11010519491231002X / Jane Doe,passport,E12345678``. Raises
    bad_input naming the word it could not read.
    """
    from boxoffice.domain.holders import parse_holder
    from boxoffice.domain.money import parse_amount
    from boxoffice.domain.pricing import parse_type_counts
    from boxoffice.domain.tenders import Tender, parse_card
    from boxoffice.services.sales import SaleRequest

    spec, *holders = spec.split("/")
    words = spec.split()
    if len(words) < 2:
        raise BoxOfficeError("bad_input", _("quick sale: s SECTION TYPE=N PAY, e.g. s standing adult=2 cash 50"))
    section, rest = words[0].lower(), words[1:]
    types: list[str] = []
    tenders: list[Any] = []
    i = 0
    while i < len(rest):
        w = rest[i].lower()
        if w in ("cash", "card"):
            if i + 1 >= len(rest):
                raise BoxOfficeError("bad_input", _("quick sale: '{word}' needs an amount or card digits after "
                                                    "it").format(word=w))
            arg = rest[i + 1]
            tenders.append(Tender("cash", parse_amount(arg, currency)) if w == "cash" else parse_card(arg, currency))
            i += 2
            continue
        if tenders:
            raise BoxOfficeError("bad_input", _("quick sale: {word!r} after the payment: put ticket types "
                                                "first").format(word=rest[i]))
        types.append(w)
        i += 1
    if not tenders:
        raise BoxOfficeError("bad_input", _("quick sale: say how it is paid: cash 50, card 4242"))
    return SaleRequest(event_id=event_id, section_id=section, counts=parse_type_counts(types), tenders=tenders,
                       print_receipt=True, holders=[parse_holder(h) for h in holders] or None)
