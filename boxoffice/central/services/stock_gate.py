"""The stock gate: where places granted to terminals are taken out of an outside shop's stock (pretix, in bridge
mode) before the grant is given, and given back after a release.

Why a hook here and not a call: central.services must never import the bridge (central/pretix/ sits above it), so the
bridge installs itself (``install``) in the processes that serve or grant in bridge mode, and the allocation moves
call the module functions below. Without a gate the service behaves as it always did.

Order, and why:

- A grant (by hand, or a top-up) calls ``before_grant`` inside its own transaction, after its checks and before it
  writes the allocation. The gate raises the terminal's voucher in pretix first; if pretix refuses, the grant is
  refused (a top-up grants nothing). A crash between pretix's answer and the local commit leaves the voucher higher
  than the allocation: pretix sells a little less until the next round lowers it, but a terminal never holds places
  that pretix's web shop could sell too.
- A release, a recall's release or a write-off commits first, then calls ``after_release``, which lowers the
  voucher: a crash in between again leaves it too high, never too low. It is best effort: a failure there never
  undoes or fails the release, and the bridge's ``stock`` step mends what was left.

On SQLite the grant's transaction holds the database's write lock during the gate's HTTP round trips to pretix (a
few, one voucher's worth), so other writers wait that long: acceptable for grants made by hand or asked for by a
terminal now and then, and the price of checking pretix's stock and the local one in the same step.

A section whose places are linked to pretix is refused a grant in a process with no gate installed: such a grant
would hand a terminal places that pretix could still sell on the web.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Protocol

from boxoffice.central.store import pretix_vouchers
from boxoffice.central.store.db import CentralDB
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _


class StockGate(Protocol):
    """What a gate does: take places out of the outside stock before a grant, give them back after a release."""

    def before_grant(self, db: CentralDB, terminal_id: str, event_id: str, section_id: str, count: int,
                     seats: Sequence[str]) -> None:
        """Make room for ``count`` more standing places (or the named ``seats``); raise BoxOfficeError to refuse."""

    def after_release(self, db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> None:
        """Give back what the terminal no longer holds of a section (called after the release committed)."""


_gate: StockGate | None = None


def install(gate: StockGate | None) -> None:
    """Put ``gate`` in front of every grant of this process (None takes it away)."""
    global _gate
    _gate = gate


def installed() -> StockGate | None:
    """The gate of this process, if any."""
    return _gate


def before_grant(db: CentralDB, terminal_id: str, event_id: str, section_id: str, count: int,
                 seats: Sequence[str] = ()) -> None:
    """Called by a grant inside its transaction, before the allocation is written; raises to refuse it."""
    gate = _gate
    if gate is None:
        if pretix_vouchers.linked(db, event_id, section_id):
            raise BoxOfficeError("bad_config", _("{event_id}/{section_id} is sold in pretix too: grant its places "
                                                 "through `central serve --pretix ...`, or with "
                                                 "BOXOFFICE_PRETIX_BRIDGE set as that service sets it").format(
                                                     event_id=event_id, section_id=section_id))
        return
    gate.before_grant(db, terminal_id, event_id, section_id, count, seats)


def after_release(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> None:
    """Called after a release, recall or write-off committed; never fails it (the next round mends)."""
    gate = _gate
    if gate is None:
        return
    try:
        gate.after_release(db, terminal_id, event_id, section_id)
    except BoxOfficeError as exc:
        print(_("pretix bridge: the voucher of {event_id}/{section_id} is set at the next round: {message}")
              .format(event_id=event_id, section_id=section_id, message=exc.message), file=sys.stderr, flush=True)
    except Exception as exc:  # best effort by design: the release stands, the stock step sets it later
        print(_("pretix bridge: the voucher of {event_id}/{section_id} is set at the next round: {kind}")
              .format(event_id=event_id, section_id=section_id, kind=type(exc).__name__), file=sys.stderr,
              flush=True)
