"""What a customer must be told about a place before paying for it, and what its ticket then says.

A restricted-view seat and a wheelchair space are sold like any other, but the customer must know before the card
is charged (the counter asks them), and the ticket and receipt say it in capitals, so the usher and the customer
see it again at the door. The flags come from the catalogue (a section's ``restricted_view`` and ``wheelchair``
seat lists, schemas/catalog.schema.json).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boxoffice.i18n import N_, _

# flag -> the words printed on the ticket and shown at the counter, in the order they are shown
WORDS: dict[str, str] = {"restricted_view": N_("RESTRICTED VIEW"), "wheelchair": N_("WHEELCHAIR SPACE")}


def flags_of(seat: Mapping[str, Any]) -> list[str]:
    """The flags of a seat row (domain.catalog's seat, as stored) that the customer must be told about."""
    return [flag for flag in WORDS if seat.get(flag)]


def words(flags: list[str]) -> list[str]:
    """The printed words of these flags, in WORDS' order, in the language in force."""
    return [_(WORDS[flag]) for flag in WORDS if flag in flags]


def warning_text(places: list[tuple[str, list[str]]]) -> str:
    """One line for the counter: "A1 RESTRICTED VIEW; T1 WHEELCHAIR SPACE"."""
    return _("; ").join(_("{place} {words}").format(place=place, words=_(" and ").join(words(flags)))
                        for place, flags in places)
