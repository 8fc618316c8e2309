"""Restricted-view seats and wheelchair spaces in a sale: which places of it are such, before payment and after.

The command line (`boxoffice sell`) and the counter screen ask the same thing before taking payment:
:func:`sale_warnings` says which places the sale would take, and which of them the customer must be told about.
Tickets made carry their flags through services.place_flags, which the printing and `sell --json` ask. Words are
domain.seat_notes'.
"""

from __future__ import annotations

from typing import Any, TypedDict

from boxoffice.domain.seat_notes import warning_text, words
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
from boxoffice.services.place_flags import section_flags


class FlaggedPlace(TypedDict):
    """A place the customer must be told about: its label, its flags and their printed words."""

    place: str
    flags: list[str]
    words: list[str]


class SaleWarnings(TypedDict):
    """What :func:`sale_warnings` found: the seats the sale would take (None for standing places or a request the
    sale will refuse anyway), the flagged ones among them, and one line saying so (empty when there are none)."""

    seats: list[str] | None
    places: list[FlaggedPlace]
    text: str


def sale_warnings(ctx: Ctx, req: Any) -> SaleWarnings:
    """The seats a sale (a services.sales.SaleRequest) would take now, with the restricted-view and wheelchair
    places among them, found exactly as the sale finds them (named seats, or the best available) but taking
    nothing. A request the sale would refuse gives no warning: the sale itself then says why."""
    from boxoffice.services import pauses
    from boxoffice.services.sales import planned_seats

    try:  # nobody is asked about places of a sale that the operator may not make now
        ctx.require("sell")
        pauses.check(ctx, "sales", req.event_id)
        seats = planned_seats(ctx, req)
    except BoxOfficeError:
        return {"seats": None, "places": [], "text": ""}
    if not seats:
        return {"seats": None, "places": [], "text": ""}
    flagged = section_flags(ctx, req.event_id, req.section_id)
    places: list[FlaggedPlace] = [{"place": label, "flags": flagged[label], "words": words(flagged[label])}
                                  for label in seats if label in flagged]
    return {"seats": seats, "places": places,
            "text": warning_text([(p["place"], p["flags"]) for p in places])}
