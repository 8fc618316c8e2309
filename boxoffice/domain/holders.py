"""A real-name ticket's holder as the operator gives it: ``NAME,KIND,NUMBER`` (docs/real-name.md). Pure.

The ID number stays in memory only as long as it takes to hash it (services/holders.py); nothing here keeps or
shows it, and no message repeats it.
"""

from __future__ import annotations

from dataclasses import dataclass

from boxoffice.domain.customer_ids import ID_KINDS, normalise_id
from boxoffice.domain.names import person_name
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

HOLDER_SYNTAX = "NAME,KIND,NUMBER (KIND: resident, passport or other)"
_KIND_ALIASES = {"resident": "resident", "id": "resident", "身份证": "resident", "passport": "passport",
                 "护照": "passport", "other": "other"}


@dataclass(frozen=True, repr=False)
class HolderInput:
    """One holder as typed: the name (checked), the document kind and its number (validated, normalised)."""

    name: str
    id_kind: str
    id_number: str

    def __repr__(self) -> str:  # never the number, not even in a traceback
        return f"HolderInput(name={self.name!r}, id_kind={self.id_kind!r})"


def holder_name(name: str) -> str:
    """A holder's name as stored: the same rules as an operator's (domain/names.py), hostile text refused."""
    return person_name(name, N_("a holder's name"))


def id_kind(text: str) -> str:
    kind = _KIND_ALIASES.get(text.strip().lower())
    if kind is None:
        raise BoxOfficeError("bad_input", _("ID type must be one of {kinds}").format(kinds=", ".join(ID_KINDS)))
    return kind


def parse_holder(spec: str) -> HolderInput:
    """``李小明,resident,11010519491231002X`` -> a checked holder. The name is everything before the last two commas,
    so a name may hold a comma ("Smith, Jane,passport,E1234567")."""
    parts = spec.rsplit(",", 2)
    if len(parts) != 3:
        raise BoxOfficeError("bad_input", _("a holder is given as {syntax}").format(syntax=HOLDER_SYNTAX))
    return holder_input(*parts)


def holder_input(name: str, kind: str, number: str) -> HolderInput:
    """One holder from its three fields (as a form gives them): the name checked, the kind one of ``ID_KINDS``
    (or an alias), the number validated and normalised. The same checks as :func:`parse_holder`."""
    kind = id_kind(kind)
    return HolderInput(holder_name(name), kind, normalise_id(kind, number))


def check_count(holders: list[HolderInput], tickets: int) -> None:
    """A real-name sale names one holder a ticket, no more and no fewer."""
    if len(holders) != tickets:
        raise BoxOfficeError("holder_required", _("{holders} holder(s) given for {tickets} ticket(s) of a real-name "
                                                  "event: "
                                                  "give one --holder {syntax} per ticket").format(
            holders=len(holders), tickets=tickets, syntax=HOLDER_SYNTAX))
