"""The records written on FrozenRecord (tenders, payments, a ticket's claims and decoded token) behave as the frozen
dataclasses they were: equality, hash, repr, no assignment, dataclasses.replace, copy and pickle."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from boxoffice.domain.tenders import Payment, Tender
from boxoffice.tickets.token import DecodedToken, TicketClaims


@dataclasses.dataclass(frozen=True)
class _Tender:  # Tender as it was declared
    tender: str
    amount: int | None = None
    card_last4: str | None = None
    reason: str | None = None
    reference: str | None = None


def test_tender_as_the_frozen_dataclass() -> None:
    ours, theirs = Tender("card", 500, card_last4="4242"), _Tender("card", 500, card_last4="4242")
    assert repr(ours) == repr(theirs).replace("_Tender", "Tender")
    assert hash(ours) == hash(theirs) and ours == Tender("card", 500, "4242") and ours != Tender("card", 501, "4242")
    assert ours != theirs and ours != Payment("card", 500)
    assert dataclasses.replace(ours, amount=700) == Tender("card", 700, card_last4="4242")
    assert copy.copy(ours) == ours and pickle.loads(pickle.dumps(ours)) == ours
    with pytest.raises(AttributeError):
        ours.amount = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del ours.amount  # type: ignore[misc]


@pytest.mark.parametrize("record", [
    Payment("cash", 7000, tendered=10000, change=3000),
    TicketClaims("t", "e", "s", None, None),
    DecodedToken(2, b"k", "t", b"e", b"s", "A", "12", b"signed", b"sig", "TEXT"),
])
def test_records_compare_hash_and_refuse_assignment(record: object) -> None:
    again = copy.deepcopy(record)
    assert again == record and hash(again) == hash(record) and again is not record
    assert repr(record).startswith(f"{type(record).__name__}(")
    with pytest.raises(AttributeError):
        record.other = 1  # type: ignore[attr-defined]
