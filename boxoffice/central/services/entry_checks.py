"""Checks on pushed journal entries that no honest terminal fails: kept apart from ingest.py, which applies them.

- **Payload depth.** A payload is JSON text inside the push body, so the push schema's depth check
  (wire/limits.MAX_DEPTH) never sees inside it. Every reader of stored payloads after the push (the effects, the
  card-number scan, the privacy purge's erasure, recovery) walks them, some by recursion: 1.2 kB nested 600 deep
  once made `central privacy purge` fail with RecursionError. No release of the terminal writes a payload a tenth
  that deep, so a batch with one is refused whole (422), never stored, like a card number (free_text.py).
- **Sequence numbers far ahead.** A terminal numbers its entries one after another and pushes them oldest first,
  so a batch starts just after what the central service holds. An entry numbered more than ``MAX_SEQ_AHEAD`` past
  it (2**53 - 1, say) is refused (409 ``journal_too_far_ahead``): stored, it would be the terminal's last entry for
  good and leave no room after it. The one honest jump is a ``restore`` entry (domain/chain.declared_gap): a
  terminal put back from an older copy numbers it after every entry it ever made, and declares the gap; that is
  accepted when the gap starts within reach, and ingest flags the entries of the gap it never received.
- **Ticket tokens.** A sale (and an exchange's or a holder change's new order) carries each new ticket's token, the
  QR code every door admits by. The pushing terminal signed it with its own key, enrolled here, so the central
  service checks that it did: the token reads and verifies, its key id is the sender's own, and it names the very
  ticket, event, section and place of the row. Without that, a stolen terminal could push a "sale" of another
  counter's ticket ids (which reach every terminal by the check-in feed and the printed codes) with any text as
  tokens, own the ids by being first, refund them, and have the real sale refused when its counter comes online.
  ownership.py refuses such an entry like any other it may not make (kept, not applied, flagged). What this does
  not stop: a stolen terminal still holds its own private key, so it can sign a token of its own for an id it has
  read. The real sale is then refused as ``order_id_taken`` or ``ticket_id_taken``, flagged to the admin, who
  revokes the stolen terminal; binding each id to the key that issued it (from the first door scan of its token)
  would close that too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from boxoffice.central.errors import CentralError, invalid
from boxoffice.central.services.effects import UNREADABLE, Effect
from boxoffice.domain.chain import declared_gap
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.wire.limits import MAX_DEPTH, depth_exceeds

MAX_PAYLOAD_DEPTH = MAX_DEPTH  # the push schema's bound on nesting, applied inside each payload as well
MAX_SEQ_AHEAD = 100_000  # a push is at most 1,000 entries; no honest batch starts this far past the last one
# The widest gap a restore entry may declare: more entries than a terminal makes in years of nights (door scans
# included) lost after one backup.
MAX_DECLARED_GAP = 10_000_000
TOKEN_INVALID = "ticket_token_invalid"
TOKEN_RULE = ("a terminal issues tickets under its own key: each new ticket's token must verify under the key it "
              "enrolled with and name that ticket, event, section and place; the entry is kept, not applied")


def refuse_deep(entries: Sequence[dict[str, Any]], payloads: Sequence[Any]) -> None:
    """Refuse (422) a batch one of whose payloads nests lists and objects deeper than ``MAX_PAYLOAD_DEPTH``.

    ``payloads`` holds each payload as ``effects.parse_payload`` read it. A text that reader refused is read again by
    the standard module, as the card-number scan reads it: what that reader makes of it is walked too."""
    for i, (e, payload) in enumerate(zip(entries, payloads, strict=True)):
        if _too_deep(e["payload"], payload):
            raise invalid(_("entry {i} (seq {seq}, {kind}): its payload nests lists and objects too deeply (more "
                            "than {depth} levels), which no release of the terminal writes; nothing was applied. "
                            "Take the terminal's journal to an admin").format(i=i, seq=e["seq"], kind=e["kind"],
                                                                              depth=MAX_PAYLOAD_DEPTH),
                          [f"/entries/{i}/payload: nests more than {MAX_PAYLOAD_DEPTH} deep"])


def _too_deep(text: str, parsed: Any) -> bool:
    """Whether a payload (``parsed`` from ``text``, or ``UNREADABLE``) nests past ``MAX_PAYLOAD_DEPTH``."""
    if parsed is UNREADABLE:
        try:
            parsed = json.loads(text)
        except ValueError:
            return False  # not JSON at all: the effects flag it, and no reader walks it
        except RecursionError:
            return True
    return depth_exceeds(parsed, MAX_PAYLOAD_DEPTH)


def refuse_far_ahead(ordered: Sequence[dict[str, Any]], last_seq: int) -> None:
    """Refuse (409) a batch (``ordered`` by seq) with an entry numbered more than ``MAX_SEQ_AHEAD`` past the
    terminal's newest entry here (``last_seq``) and past the batch's entries before it, unless it is a restore entry
    whose declared gap starts within that reach and is itself no wider than ``MAX_DECLARED_GAP`` (else one restore
    entry numbered near 2**53 would leave the terminal no room after it)."""
    reach = last_seq
    for e in ordered:
        if e["seq"] > reach + MAX_SEQ_AHEAD:
            gap = declared_gap(e)
            if gap is None or gap[0] > reach + MAX_SEQ_AHEAD or e["seq"] > gap[0] + MAX_DECLARED_GAP:
                raise CentralError(409, "journal_too_far_ahead", _(
                    "entry {seq} is numbered more than {most} past this terminal's newest entry on the central "
                    "service ({last}); a terminal numbers its entries one after another: nothing was applied. "
                    "Take the terminal's journal to an admin").format(seq=e["seq"], most=MAX_SEQ_AHEAD,
                                                                      last=reach),
                    seq=e["seq"])
        reach = max(reach, e["seq"])


def broken_successors(new: Sequence[dict[str, Any]],
                      known: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored entries (of ``known``, by seq: ``id``, ``seq``, ``at``, ``prev_hash``) right after a newly
    inserted one (``new``) that do not name its hash as theirs before: pushed ahead of their predecessor, their link
    could not be checked when they came, so it is checked now that the predecessor is here."""
    out = []
    for e in new:
        after = known.get(e["seq"] + 1)
        if after is not None and after["prev_hash"] != e["hash"]:
            out.append(after)
    return out


def forged_ticket(terminal: dict[str, Any], eff: Effect) -> tuple[str, str] | None:
    """The first new ticket of a sale's effect whose token the sender did not issue for it: (ticket id, what is
    wrong), or None when every token verifies under the sender's enrolled key and names its own row."""
    assert eff.order is not None
    if not eff.tickets:
        return None
    lookup = _own_key(terminal)
    event_id = str(eff.order["event_id"])
    for t in eff.tickets:
        problem = _token_problem(t, event_id, lookup, str(terminal["key_id"]))
        if problem is not None:
            return str(t["id"]), problem
    return None


def _own_key(terminal: dict[str, Any]) -> Callable[[bytes], bytes | None]:
    """The lookup ``verify_token`` takes: the sender's own enrolled public key for its own key id, nothing else."""
    from boxoffice.tickets.keys import public_from_b64

    try:
        public: bytes | None = public_from_b64(terminal["public_key"])
    except BoxOfficeError:
        public = None  # cannot happen for a key enrollment checked; then no token of it verifies
    own = str(terminal["key_id"])
    return lambda kid: public if kid.hex() == own else None


def _token_problem(ticket: dict[str, Any], event_id: str, lookup: Callable[[bytes], bytes | None],
                   own: str) -> str | None:
    """What is wrong with one ticket's token (in English, as conflict subjects are stored), or None."""
    from boxoffice.tickets.token import event_ref, section_ref, verify_token

    try:
        decoded = verify_token(ticket["token"], lookup)
    except BoxOfficeError as exc:
        if exc.code == "unknown_key":
            return f"token signed with key {exc.details.get('key_id')}, not this terminal's own ({own})"
        if exc.code == "bad_signature":
            return "token signature does not verify"
        return f"not a ticket token ({exc.details.get('reason') or exc.code})"
    if decoded.ticket_id != ticket["id"]:
        return f"token is for ticket {decoded.ticket_id}"
    if decoded.event_ref != event_ref(event_id):
        return f"token is not for event {event_id}"
    if decoded.section_ref != section_ref(event_id, ticket["section_id"]):
        return f"token is not for section {ticket['section_id']}"
    if (decoded.row, decoded.seat) != (ticket["row"], ticket["seat"]):
        return "token names another place"
    return None
