"""Which event and section a ticket token names: the token carries short hashes of the ids (refs), not the ids.

Kept apart from tickets/token.py (which re-exports these names) so that the refs, which the catalogue, the door
and the web-orders import use, are one small module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

if TYPE_CHECKING:
    from boxoffice.tickets.token import DecodedToken

EVENT_REF_LEN = 4
SECTION_REF_LEN = 2


def event_ref(event_id: str) -> bytes:
    """The 4 bytes a token carries for its event: the first 4 bytes of SHA-256 of the UTF-8 event id."""
    return hashlib.sha256(event_id.encode("utf-8")).digest()[:EVENT_REF_LEN]


def section_ref(event_id: str, section_id: str) -> bytes:
    """The 2 bytes a token carries for its section, unique within one event (see :func:`section_ref_clashes`).

    The event id goes into the hash so that sections named alike in two events get unrelated refs.
    """
    return hashlib.sha256(f"{event_id}/{section_id}".encode()).digest()[:SECTION_REF_LEN]


def section_ref_clashes(event_id: str, section_ids: Iterable[str]) -> list[list[str]]:
    """Groups of an event's section ids that share a section ref; empty when every section is told apart.

    Two bytes leave a small chance (about 1 in 1,300 for 50 sections) that two sections of one event share
    a ref. The catalogue should refuse such an event (ask for one section to be renamed) so that a scanned
    ticket always names exactly one section.
    """
    by_ref: dict[bytes, list[str]] = {}
    for sid in dict.fromkeys(section_ids):
        by_ref.setdefault(section_ref(event_id, sid), []).append(sid)
    return [ids for ids in by_ref.values() if len(ids) > 1]


def match_place(decoded: DecodedToken, event_id: str, section_ids: Iterable[str]) -> str | None:
    """Which of ``event_id``'s sections the token names; None for another event or an unknown section.

    Raises ``conflict`` if two of the given sections share the token's section ref, rather than guess and
    admit someone to the wrong section.
    """
    if decoded.event_ref != event_ref(event_id):
        return None
    matches = [sid for sid in dict.fromkeys(section_ids) if section_ref(event_id, sid) == decoded.section_ref]
    if len(matches) > 1:
        raise BoxOfficeError(
            "conflict",
            _("sections {sections} of event {event!r} share a section ref: rename one in the catalogue").format(
                sections=", ".join(map(repr, matches)), event=event_id),
            event_id=event_id,
            section_ids=matches,
        )
    return matches[0] if matches else None
