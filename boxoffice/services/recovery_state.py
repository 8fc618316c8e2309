"""Whether this terminal must be recovered before it sells, and how that state begins.

A terminal put back from an older copy of its database (``boxoffice restore`` of an older backup, a database found
behind its marks file at open, or the central service refusing a push with ``journal_diverged``) must not sell,
refund, hand out or scan until `boxoffice sync recover` has brought back what it did since (services/sync/
recovery.py, which reads the central service's copy and replays it). This module is the gate every action checks
(``require_ready``) and the start of that state (``begin``, ``check_marks``, ``mark_diverged``): kept apart from the
recovery itself so the actions need nothing of sync.
"""

from __future__ import annotations

from typing import Any, Protocol

from boxoffice.domain import recovery as rules
from boxoffice.domain.chain import GENESIS
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import journal as journal_store
from boxoffice.store import marks as marks_store
from boxoffice.store import recovery as store
from boxoffice.store import sync_state
from boxoffice.store.db import write

PAGE = 500
SCHEMA = "sync-journal.schema.json"
END = 2**53 - 1  # 'after' past every entry: the answer is the head alone


class JournalSource(Protocol):
    """What recovery needs of the network (boxoffice/sync/client.py's CentralClient has it, and more)."""

    def journal(self, after: int, limit: int = PAGE) -> Any: ...


# --- state ----------------------------------------------------------------------------------------------------


def status(ctx: Ctx) -> dict[str, Any] | None:
    """The recovery in progress, for `sync status` and the counter, or None."""
    row = store.get(ctx.conn)
    if row is None:
        return None
    return {k: row[k] for k in ("state", "source", "since", "backup_seq", "marks_seq", "next_order_seq",
                                "restore_seq", "missing", "message")} | {"held": bool(row["held"])}


def require_ready(ctx: Ctx) -> None:
    """Refuse at once, with the one-line reason, while recovery is needed (before asking anything of anyone)."""
    state = store.state(ctx.conn)
    if state is not None and state[0] == rules.NEEDED:
        raise BoxOfficeError("recovery_needed", _(state[1]))  # domain.recovery.MESSAGES, stored in English


def central_head(source: JournalSource) -> dict[str, Any]:
    """The terminal's head on the central service: {seq, hash, order_seq}, checked against the schema."""
    answer = source.journal(END, 1)
    _refuse_malformed(answer)
    return answer["head"]


def _refuse_malformed(answer: Any) -> None:
    # The wire schemas are loaded only when a journal page comes back: opening a terminal for a sale reaches this
    # module but never needs them (tests/test_startup_imports.py).
    from boxoffice.wire.messages import problems

    errors = problems(answer, SCHEMA)
    if errors:
        raise BoxOfficeError("central_refused", _("the central service sent a malformed journal page; nothing was "
                                                  "changed here. First problem: {problem}").format(problem=errors[0]),
                             errors=errors)


def begin(ctx: Ctx, *, source: str, backup_seq: int, known: marks_store.Marks, accept_loss: bool = False,
          missing: dict[str, int] | None = None, detail: dict[str, Any] | None = None,
          operator_id: str | None = None, kept: dict[str, Any] | None = None,
          recoverable: bool | None = None) -> dict[str, Any]:
    """Start recovering (see the module docstring): the restore entry, order numbers, held allocations, the row.

    ``known`` is how far the terminal is known to have got (the furthest of the live database, its marks file and
    the central service); ``backup_seq`` the last entry of the copy now in place. ``kept``: entries a restore
    accepting loss gave up ({kinds, ids, places}): their places stay sold here, never sold again (if the central
    service turns out to have one of them after all, the recovery counts its places once). Runs in its own
    transaction.
    A terminal not enrolled with a central service has nothing to recover from: after ``accept_loss`` the restore
    entry and the order numbers are all there is (no recovery row, nothing held: it owns its places).
    ``recoverable``: whether it is enrolled, as a restore found it (the live database's enrollment, which a copy made
    before the terminal enrolled lacks: services/restore_decision.decide); None reads it from this database.
    """
    enrolled_here = sync_state.get(ctx.conn) is not None
    if recoverable is None:
        recoverable = enrolled_here
    # A copy made before the terminal enrolled holds none of the central service's places to hold at zero, and
    # cannot sync: accepting the loss does not let it sell on (it would sell places the central service gave
    # others) until it is enrolled again and recovered.
    go_on = accept_loss and (enrolled_here or not recoverable)
    with write(ctx.conn):
        here = store.head(ctx.conn) or {"seq": 0, "hash": GENESIS}
        after = (known.seq, known.hash) if known.seq > here["seq"] else (here["seq"], here["hash"])
        old = store.get(ctx.conn)
        if not recoverable and accept_loss:
            held = None
        elif old is not None and old["held"]:
            held = old["held"]
        else:
            held = store.hold_central_allocations(ctx.conn)
        if kept:
            store.keep_sold(ctx.conn, kept["places"])
        next_order = max(known.next_order_seq, store.next_order_seq(ctx.conn))
        store.raise_next_order_seq(ctx.conn, next_order)
        payload: dict[str, Any] = {"source": source, "backup_seq": backup_seq, "accept_loss": accept_loss,
                                   "marks": {"seq": known.seq, "next_order_seq": next_order}, **(detail or {})}
        if after[0] > here["seq"]:
            payload["gap"] = {"after": here["seq"], "upto": after[0]}
        if missing:
            payload["missing"] = missing
        if kept:
            payload["lost"] = {"kinds": kept["kinds"], "places": kept["places"]}
        entry = journal_store.append(ctx.conn, terminal_id=ctx.terminal["id"], kind="restore",
                                     operator_id=operator_id, at=ctx.now_iso(), payload=payload, after=after)
        row = {"state": rules.GAP if go_on else rules.NEEDED, "source": source, "since": ctx.now_iso(),
               "backup_seq": backup_seq, "marks_seq": after[0], "marks_hash": after[1], "next_order_seq": next_order,
               "restore_seq": entry["seq"], "held": held, "kept": kept, "missing": missing,
               "message": rules.MESSAGES[source if recoverable else "alone"]}
        if recoverable or not accept_loss:
            store.put(ctx.conn, row)
        else:
            store.clear(ctx.conn)
            row["state"] = None
    ctx.terminal["next_order_seq"] = next_order
    return row | {"restore_entry": entry}


def check_marks(ctx: Ctx) -> dict[str, Any] | None:
    """At open: a database behind its marks file (or at the marks' entry with another hash) was copied back from an
    older file. Start its recovery at once (it stops selling with the reason); None when all is well."""
    on_disk = marks_store.read(marks_store.path_for(ctx.config.db_path))
    if on_disk is None or on_disk.terminal_id != ctx.terminal["id"]:
        return None
    now = marks_store.head(ctx.conn)
    if now is None:
        return None
    behind = on_disk.seq > now.seq or on_disk.next_order_seq > now.next_order_seq
    if not behind:
        there = store.entry_at(ctx.conn, on_disk.seq)
        behind = there is not None and there["hash"] != on_disk.hash
    if not behind:
        return None
    row = store.get(ctx.conn)
    if row is not None and row["marks_seq"] >= on_disk.seq:
        return None  # known already: the recovery row carries these marks
    backup_seq = now.seq if on_disk.seq > now.seq else store.contiguous_end(ctx.conn)
    return begin(ctx, source="copied_back", backup_seq=backup_seq, known=on_disk,
                 missing=None, detail={"marks_file": str(marks_store.path_for(ctx.config.db_path))})


def mark_diverged(ctx: Ctx) -> dict[str, Any]:
    """The central service holds other entries under this terminal's numbers: record that recovery is needed."""
    with write(ctx.conn):
        row = store.get(ctx.conn)
        if row is None:
            here = store.head(ctx.conn) or {"seq": 0, "hash": GENESIS}
            row = {"state": rules.NEEDED, "source": "diverged", "since": ctx.now_iso(),
                   "backup_seq": store.contiguous_end(ctx.conn), "marks_seq": here["seq"], "marks_hash": here["hash"],
                   "next_order_seq": store.next_order_seq(ctx.conn), "restore_seq": None,
                   "held": store.hold_central_allocations(ctx.conn), "kept": None, "missing": None,
                   "message": rules.MESSAGES["diverged"]}
            store.put(ctx.conn, row)
    return row
