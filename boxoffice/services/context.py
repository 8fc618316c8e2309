"""What every service call works in: the open database, this terminal, the clock, who is logged in."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

from boxoffice.config import Config
from boxoffice.domain.clock import Clock, iso, parse_iso, system_clock
from boxoffice.domain.permissions import require
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _, set_operator_language
from boxoffice.store import journal as journal_store
from boxoffice.store import operators as operator_store


class Ctx:
    """A terminal opened for one command (or one long-running counter).

    A plain class rather than a dataclass: every command makes one, and @dataclass compiles its generated methods
    at every start of a process (a few million instructions, for an __init__ and a __repr__ nobody reads).
    """

    cache: dict[str, Any]  # per-process: signing key, profiles
    notices: list[str]  # one-line warnings for the operator (a readable database)
    journal_sink: list[dict[str, Any]] | None  # set only while recovering
    _touched: str | None  # the second the session was last touched by this ctx

    def __init__(self, config: Config, conn: sqlite3.Connection, terminal: dict[str, Any],
                 clock: Clock = system_clock) -> None:
        self.config, self.conn, self.terminal, self.clock = config, conn, terminal, clock
        self.cache, self.notices, self.journal_sink = {}, [], None
        self._operator: dict[str, Any] | None = None
        self._touched = None
        self._operator_loaded = False

    def __repr__(self) -> str:
        return (f"Ctx(config={self.config!r}, conn={self.conn!r}, terminal={self.terminal!r}, clock={self.clock!r}, "
                f"notices={self.notices!r})")

    def now(self) -> datetime:
        return self.clock()

    def now_iso(self) -> str:
        return iso(self.clock())

    @property
    def operator(self) -> dict[str, Any] | None:
        """The operator logged in at this terminal, or None (sessions lapse after ``session_hours`` idle)."""
        if not self._operator_loaded:
            self._operator_loaded = True
            sess = operator_store.session(self.conn)
            if sess is not None and self._sealed(sess):
                idle = self.now() - parse_iso(sess["last_seen"])
                if idle <= timedelta(hours=float(self.config.session_hours)):
                    op = operator_store.by_id(self.conn, sess["operator_id"])
                    if op is not None and not op["disabled"]:
                        self._operator = op
            set_operator_language(self._operator.get("language") if self._operator else None)
        return self._operator

    def _sealed(self, sess: dict[str, Any]) -> bool:
        """The session was made by a login here (its seal verifies with the key beside this database) and has
        not reached its end: a row copied in from another database, or written by hand, logs nobody in."""
        from boxoffice.domain.sessions import verify
        from boxoffice.store import session_key

        if not verify(session_key.read(self.config.db_path), self.terminal["id"], sess):
            return False
        return self.now() < parse_iso(sess["expires_at"])

    def set_operator(self, op: dict[str, Any] | None) -> None:
        self._operator, self._operator_loaded = op, True
        set_operator_language(op.get("language") if op else None)  # the screen speaks the operator's language

    def require(self, permission: str) -> dict[str, Any]:
        """The logged-in operator, if their role holds ``permission``; else a refusal naming the role needed."""
        op = self.operator
        require(op["role"] if op else None, permission, who=op["name"] if op else _("nobody"))
        return op  # type: ignore[return-value]

    def journal(self, kind: str, payload: dict[str, Any], operator_id: str | None = None) -> dict[str, Any]:
        """Append a journal entry in the current transaction, naming the operator.

        While the terminal waits for `boxoffice sync recover` (domain/recovery.py), an action that changes a sale,
        a ticket or the cash is refused here, whichever service it came through: its transaction rolls back whole.
        """
        blocks, salted, checkpoints = _journal_parts()
        if self.journal_sink is not None:  # a recovery replaying what the journal already holds: see services/recovery
            self.journal_sink.append({"kind": kind, "payload": payload, "operator_id": operator_id})
            return {"seq": None, "id": None, "hash": None}
        head, state = journal_store.head_and_recovery(self.conn)  # one query; nothing below moves the head
        if state is not None and blocks(state[0], kind):
            raise BoxOfficeError("recovery_needed", state[1])
        if operator_id is None and self.operator is not None:
            operator_id = self.operator["id"]
        at = self.now_iso()
        if self._operator is not None and operator_id == self._operator["id"] and at[:19] != self._touched:
            # Each recorded action keeps the login alive; once a second is enough for a lapse counted in hours, and
            # spares a busy door an UPDATE per scan.
            operator_store.touch_session(self.conn, at)
            self._touched = at[:19]
        # A payload with customer data gets a random salt, erased with that data by a privacy purge, so the hash
        # the chain keeps cannot confirm a guessed name afterwards (domain/privacy.py).
        entry = journal_store.append(self.conn, terminal_id=self.terminal["id"], kind=kind,
                                     operator_id=operator_id, at=at, payload=salted(payload), after=head)
        checkpoints.after_entry(self, kind, entry["seq"])
        return entry

    def close(self) -> None:
        self.conn.close()


def _journal_parts() -> tuple[Any, Any, Any]:
    """domain.recovery.blocks, domain.privacy.salted and services.checkpoints, imported on the first entry (a
    command that records nothing does without them) and kept: three import statements an entry cost more than the
    lookups they repeat."""
    global _JOURNAL_PARTS
    if _JOURNAL_PARTS is None:
        from boxoffice.domain.privacy import salted
        from boxoffice.domain.recovery import blocks
        from boxoffice.services import checkpoints

        _JOURNAL_PARTS = (blocks, salted, checkpoints)
    return _JOURNAL_PARTS


_JOURNAL_PARTS: tuple[Any, Any, Any] | None = None


def viewer_role(ctx: Ctx) -> str | None:
    """The role of whoever is logged in (None: nobody), which decides what customer data they are shown
    (domain/masking.py)."""
    op = ctx.operator
    return op["role"] if op else None
