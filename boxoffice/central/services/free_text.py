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

from boxoffice.central.errors import CentralError, invalid
from boxoffice.central.services.effects import UNREADABLE
from boxoffice.domain.card_numbers import (
    FREE_TEXT_KEYS,
    card_number_paths,
    holds_card_number,
    refuse_card_number,
    refuse_card_numbers_in,
)
from boxoffice.i18n import _
from boxoffice.wire import codec

__all__ = ["refuse_in_document", "refuse_in_entries", "refuse_in_text"]


def refuse_in_entries(entries: Sequence[Mapping[str, Any]], parsed: Sequence[Any] | None = None) -> None:
    """Refuse a push batch one of whose entries carries a card number in a free-text field of its payload.

    ``parsed`` holds each entry's payload as ``effects.parse_payload`` read it (the push parses each once); a text
    that reader refused, or a batch given without it, is parsed here (the standard module reads some texts orjson
    refuses, and those are checked too)."""
    for i, e in enumerate(entries):
        payload = e.get("payload")
        if isinstance(payload, str):  # the canonical JSON text the entry's hash covers
            payload = parsed[i] if parsed is not None and parsed[i] is not UNREADABLE else _parsed(payload, i, e)
            if payload is None:
                continue  # not JSON: check_entries' hash and the effects refuse or flag it
        if not _holds_any(payload):
            continue
        paths = card_number_paths(payload, "/payload")
        if paths:
            raise CentralError(422, "card_number_in_text",
                               _("entry {i} (seq {seq}, {kind}) holds what looks like a card number in {path}; "
                                 "card numbers are never stored: nothing was applied. Take the terminal's journal "
                                 "to an admin (it was written by an older release, or changed by hand)").format(
                                     i=i, seq=e.get("seq"), kind=e.get("kind"), path=paths[0]),
                               pointer=f"/entries/{i}{paths[0]}", fields=paths[:20])


def _holds_any(doc: Any) -> bool:
    """Whether ``card_number_paths(doc)`` would find anything: the same free-text keys and the same test, without
    the recursion and without building a pointer for every key (they are made only for the rare payload that holds
    one). Parsed JSON holds only dicts, lists, strings and plain scalars; anything else goes to the general walk."""
    if not isinstance(doc, (Mapping, list)):
        return False
    if type(doc) is not dict and type(doc) is not list:
        return bool(card_number_paths(doc))
    stack = [doc]
    while stack:
        item = stack.pop()
        for key, value in item.items() if type(item) is dict else enumerate(item):
            kind = type(value)
            if kind is str:
                if key in FREE_TEXT_KEYS and holds_card_number(value):
                    return True
            elif kind is dict or kind is list:
                stack.append(value)
            elif kind not in _SCALARS:
                return bool(card_number_paths(doc))
    return False


_SCALARS = frozenset({int, float, bool, type(None)})


def _parsed(text: str, i: int, entry: Mapping[str, Any]) -> Any:
    """A payload parsed by orjson (several times faster on a 500-entry push), or by the standard module when orjson
    refuses it (a lone surrogate escape, NaN, an integer past 64 bits): whatever the standard module reads is
    scanned as before. None when neither reads it. A payload nested too deeply for either (orjson stops at 1024
    levels, the standard module at the recursion limit) is refused (422): it could hide a card number from this
    scan, and no release of the terminal writes one."""
    try:
        return codec.loads(text)
    except ValueError:
        pass
    try:
        return json.loads(text)
    except ValueError:
        return None
    except RecursionError:
        raise invalid(_("entry {i} (seq {seq}, {kind}): its payload nests arrays or objects too deeply to be read; "
                        "nothing was applied").format(i=i, seq=entry.get("seq"), kind=entry.get("kind")),
                      [f"/entries/{i}/payload: too deep"]) from None


def refuse_in_document(doc: Any, what: str) -> None:
    """Refuse an imported document (web orders, a catalogue) with a card number in its free text (422)."""
    refuse_card_numbers_in(doc, what)


def refuse_in_text(text: str | None, field: str) -> None:
    """Refuse one free-text value an admin typed (a reason, a terminal's name) that holds a card number (422)."""
    refuse_card_number(text, field)
