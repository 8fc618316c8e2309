"""Card numbers refused in what reaches the central service as free text (domain/card_numbers.py says what counts).

The terminals refuse them where they are typed; this is the same check where text arrives from elsewhere: a
pushed journal entry (a terminal of an older release, or one that was tampered with), a web-orders document, a
catalogue, a pause or a recall reason, a terminal's name. A push is refused whole (422 ``card_number_in_text``)
rather than stored: the central service keeps each terminal's journal as a hash chain, so an entry cannot be
stored with the number cut out, and stored as sent it would reach every terminal. The refusal names the entry and
the field, never the number, and harms only the terminal that sent it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from boxoffice.central.errors import CentralError
from boxoffice.domain.card_numbers import card_number_paths, refuse_card_number, refuse_card_numbers_in
from boxoffice.i18n import _
from boxoffice.wire import codec

__all__ = ["refuse_in_document", "refuse_in_entries", "refuse_in_text"]


def refuse_in_entries(entries: Sequence[Mapping[str, Any]]) -> None:
    """Refuse a push batch one of whose entries carries a card number in a free-text field of its payload."""
    for i, e in enumerate(entries):
        payload = e.get("payload")
        if isinstance(payload, str):  # the canonical JSON text the entry's hash covers
            payload = _parsed(payload)
            if payload is None:
                continue  # not JSON: check_entries' hash and the effects refuse or flag it
        paths = card_number_paths(payload, "/payload")
        if paths:
            raise CentralError(422, "card_number_in_text",
                               _("entry {i} (seq {seq}, {kind}) holds what looks like a card number in {path}; "
                                 "card numbers are never stored: nothing was applied. Take the terminal's journal "
                                 "to an admin (it was written by an older release, or changed by hand)").format(
                                     i=i, seq=e.get("seq"), kind=e.get("kind"), path=paths[0]),
                               pointer=f"/entries/{i}{paths[0]}", fields=paths[:20])


def _parsed(text: str) -> Any:
    """A payload parsed by orjson (several times faster on a 500-entry push), or by the standard module when orjson
    refuses it (a lone surrogate escape, NaN, an integer past 64 bits): whatever the standard module reads is
    scanned as before. None when neither reads it."""
    try:
        return codec.loads(text)
    except ValueError:
        pass
    try:
        return json.loads(text)
    except ValueError:
        return None


def refuse_in_document(doc: Any, what: str) -> None:
    """Refuse an imported document (web orders, a catalogue) with a card number in its free text (422)."""
    refuse_card_numbers_in(doc, what)


def refuse_in_text(text: str | None, field: str) -> None:
    """Refuse one free-text value an admin typed (a reason, a terminal's name) that holds a card number (422)."""
    refuse_card_number(text, field)
