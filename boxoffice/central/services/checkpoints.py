"""The last signed checkpoint of each terminal's journal, and the check that its chain still leads to it.

A terminal sends, with each sync, its journal's head signed with its key (domain/checkpoints.py), after the entries
up to it. The service checks the signature with the public key the terminal enrolled with, and walks its own copy
of that terminal's journal from the checkpoint it holds to the new one. Its copy is what the terminal pushed, and no
one at the terminal can change it; so a new head that is not that copy's entry, or a copy that no longer links up
(the terminal pushed entries rewritten after the held checkpoint), means the terminal's history was rewritten. The
push that carries the checkpoint is refused with ``journal_rewritten`` (409), and every later one as long as the
service holds that checkpoint (the terminal's syncs stop there), and flagged once in ``conflicts`` (`boxoffice
central conflicts`). The entries pushed before it are kept, as evidence; the checkpoint held stays as it was.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from boxoffice.central.errors import CentralError
from boxoffice.central.store import checkpoints as store
from boxoffice.central.store import conflicts as conflict_store
from boxoffice.central.store.db import CentralDB
from boxoffice.domain import checkpoints as rules
from boxoffice.domain.chain import declared_gap
from boxoffice.domain.ids import uuid7
from boxoffice.i18n import _

RULE = "a terminal's journal always contains the last checkpoint it signed and the central service holds"


def _signed(terminal: dict[str, Any], cp: dict[str, Any]) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(terminal["public_key"], validate=True))
        key.verify(base64.b64decode(cp["signature"], validate=True),
                   rules.message(terminal["id"], cp["seq"], cp["hash"]))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def accept(db: CentralDB, terminal: dict[str, Any], cp: dict[str, Any], now: str) -> dict[str, Any]:
    """Keep ``cp`` as the terminal's last checkpoint, or refuse it: 422 when the terminal's key did not sign it, 409
    ``checkpoint_ahead`` when its entry has not been pushed yet, 409 ``journal_rewritten`` (flagged) when the
    terminal's chain no longer contains the checkpoint held."""
    tid = terminal["id"]
    if not _signed(terminal, cp):
        raise CentralError(422, "bad_checkpoint", _("the checkpoint at seq {seq} is not signed by this terminal's key; "
                                                    "nothing was kept").format(seq=cp["seq"]))
    with db.transaction():
        held = store.held(db, tid)
        # Only the entries from the checkpoint held to the new one are walked. One older than that held is refused
        # on its number alone (a chain cannot lead back): read, the entries from it would be the terminal's whole
        # night, for a checkpoint anyone with its database can send again and again.
        older = held is not None and cp["seq"] < held["seq"]
        rows = [] if older else store.span(db, tid, held["seq"] if held else cp["seq"], cp["seq"])
        if not any(r["seq"] == cp["seq"] for r in rows) and (held is None or cp["seq"] >= held["seq"]):
            raise CentralError(409, "checkpoint_ahead", _("entry {seq} has not reached the central service yet: push "
                                                          "the entries before their checkpoint").format(seq=cp["seq"]))
        base = dict(held) if held is not None else {"seq": cp["seq"], "hash": rows[-1]["hash"]}
        reason = rules.descends([r for r in rows if r["seq"] <= cp["seq"]], base, cp,
                                lambda r: declared_gap(r) is not None)
        if reason is None:
            store.keep(db, tid, cp, now)
            return {"checkpoint": cp["seq"]}
        _flag(db, tid, base["seq"], reason, cp, now)
    what = (_("the checkpoint at seq {seq} the central service holds") if held is not None else
            _("it pushed entry {seq}")).format(seq=base["seq"])
    raise CentralError(409, "journal_rewritten", _("this terminal's journal was rewritten after {what} ({reason}); "
                                                   "nothing more is accepted from it: keep its database as evidence "
                                                   "and ask an admin").format(what=what, reason=reason),
                       checkpoint_seq=base["seq"])


def _flag(db: CentralDB, tid: str, seq: int, reason: str, cp: dict[str, Any], now: str) -> None:
    """One conflict per held checkpoint a terminal's chain left (a refused push sent again flags nothing new)."""
    subject = f"journal/{tid}/checkpoint/{seq}"
    if store.flagged(db, subject):
        return
    conflict_store.insert(db, {"id": uuid7(), "kind": "journal_rewritten", "subject": subject, "order_id": None,
                               "ticket_id": None,
                               "first": {"terminal_id": tid, "entry_id": f"checkpoint {seq}", "at": now},
                               "second": {"terminal_id": tid, "entry_id": f"checkpoint {cp['seq']}: {reason}"[:300],
                                          "at": cp["at"]},
                               "rule": RULE, "at": now})
