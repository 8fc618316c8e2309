"""The journal entries of a group of scans: what ``Ctx.journal`` does for each entry, done once per group where the
group allows it.

A door commits the scans that arrive together in one transaction (services/door_writer.py). Each admission or
refusal is a journal entry, and ``Ctx.journal`` would, for every one of them, read the recovery state, read the
journal's head and format the clock again. Inside one transaction none of these can change behind the group's
back (the transaction holds the database's write lock), so here the recovery state and the head are read once,
at the start of the group, and each entry is chained to the one before it in memory (``store.journal.Chain``);
its time is the scan's own. The chain is the same one ``boxoffice audit verify`` walks: same fields, same hash.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from boxoffice.domain import checkpoints as checkpoint_rules
from boxoffice.domain.clock import iso
from boxoffice.domain.privacy import HOLDERS_KEY, PERSONAL_KEYS, SALT_KEY
from boxoffice.domain.recovery import blocks
from boxoffice.errors import BoxOfficeError
from boxoffice.services import checkpoints
from boxoffice.services.context import Ctx
from boxoffice.store import journal as journal_store
from boxoffice.store import operators as operator_store
from boxoffice.store import recovery as recovery_store


def stamp(now: datetime) -> str:
    """``domain.clock.iso(now)``, the same text, without strftime (a scan's one clock reading, written once)."""
    utc = now.astimezone(UTC)
    if utc.year < 1000:  # strftime and isoformat pad such a year differently: keep iso's text
        return iso(now)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class ScanJournal:
    """Appends a group's journal entries inside its transaction (made within ``store.db.write``).

    While a recovery replays the journal (``ctx.journal_sink`` set), entries go through ``Ctx.journal`` as
    before: there is no head to chain to then.
    """

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.terminal_id = ctx.terminal["id"]
        self.chain = None if ctx.journal_sink is not None else journal_store.Chain(ctx.conn)
        self.recovery = recovery_store.state(ctx.conn) if self.chain is not None else None
        op = ctx.operator
        self.operator_id = op["id"] if op else None
        self._touched = ctx.cache.get("door_session_touched")

    def add(self, kind: str, payload: dict[str, Any], operator_id: str | None, at: str) -> None:
        """One entry, at the scan's time ``at``, chained after the group's last (as ``Ctx.journal`` would); written
        by :meth:`flush`, or at once when a checkpoint is due after it."""
        if self.chain is None:
            self.ctx.journal(kind, payload, operator_id=operator_id)
            return
        if self.recovery is not None and blocks(self.recovery[0], kind):
            raise BoxOfficeError("recovery_needed", self.recovery[1])
        if operator_id is None:
            operator_id = self.operator_id
        if operator_id is not None and operator_id == self.operator_id and at[:19] != self._touched:
            # Each recorded action keeps the login alive; once a second is enough for a lapse counted in hours.
            operator_store.touch_session(self.ctx.conn, at)
            self._touched = self.ctx.cache["door_session_touched"] = at[:19]
        if not _plain(payload):
            from boxoffice.domain.privacy import salted

            payload = salted(payload)
        entry = self.chain.add(terminal_id=self.terminal_id, kind=kind, operator_id=operator_id, at=at,
                               payload=payload)
        if checkpoint_rules.due(entry["seq"]) or kind == "shift.close":  # a checkpoint signs the head as written
            self.chain.flush()
            checkpoints.after_entry(self.ctx, kind, entry["seq"])

    def flush(self) -> None:
        """Write the entries waiting (one statement): before the group's transaction commits."""
        if self.chain is not None:
            self.chain.flush()


_NOT_PLAIN = PERSONAL_KEYS | {HOLDERS_KEY, SALT_KEY}


def _plain(payload: dict[str, Any]) -> bool:
    """A payload ``privacy.salted`` leaves as it is, told cheaply: flat, and no key that is (or holds) personal
    data. A scan's entry always is; anything else goes through ``salted``."""
    return _NOT_PLAIN.isdisjoint(payload) and not any(isinstance(v, dict | list) for v in payload.values())
