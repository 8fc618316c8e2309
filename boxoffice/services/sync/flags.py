"""Flags about this terminal's actions (`boxoffice sync conflicts`) and the names of the terminals they mention.

The names come from the central service after each sync (:func:`learn_names`); only what people read depends on
them, so a sync never fails for want of them.
"""

from __future__ import annotations

from typing import TypedDict, cast

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.services.sync.enrollment import refuse_malformed
from boxoffice.services.sync.transport import Transport
from boxoffice.store import sync_state as state
from boxoffice.store.db import write


class Conflict(TypedDict):
    """A flag about this terminal's actions (:func:`conflicts`): what clashed (``kind``, ``subject``, the order and
    ticket), the two terminals by id and by name, when, the rule that decided, and when it was seen here."""

    id: str
    kind: str
    subject: str
    order_id: str | None
    ticket_id: str | None
    first_terminal: str
    first_at: str
    second_terminal: str
    second_at: str
    rule: str
    flagged_at: str
    received_at: str
    seen_at: str | None
    order_code: str | None
    first_name: str
    second_name: str


def learn_names(ctx: Ctx, transport: Transport) -> bool:
    """Ask the central service for the terminals' names (for `sync conflicts`); True if they were learnt.

    Only what people read depends on them, so a central service too old to have the path, an answer that does not
    match schemas/sync-terminals.schema.json, or a connection lost now changes nothing and fails no sync: the names
    known already stay, and the next sync asks again.
    """
    if not hasattr(transport, "terminals"):
        return False
    try:
        answer = transport.terminals()
        refuse_malformed(answer, "sync-terminals.schema.json", N_("list of terminals"))
    except BoxOfficeError:
        return False
    named = [(t["terminal_id"], t["name"]) for t in answer["terminals"] if t["terminal_id"] != ctx.terminal["id"]]
    known = state.peer_names(ctx.conn)
    if any(known.get(tid) != name for tid, name in named):  # usually none changed: no write lock taken
        with write(ctx.conn):
            state.name_peers(ctx.conn, named)
    return True


def conflicts(ctx: Ctx, unseen_only: bool = False, mark_seen: bool = True) -> list[Conflict]:
    """Flags about this terminal's actions, with the two terminals' names (``first_name``, ``second_name``) beside
    their ids; listing them marks them seen."""
    rows = state.conflicts(ctx.conn, unseen_only)
    if mark_seen and rows:
        with write(ctx.conn):
            state.mark_seen(ctx.conn, [r["id"] for r in rows], ctx.now_iso())
    names = terminal_names(ctx)
    return [cast(Conflict, r | {"first_name": terminal_name(names, r["first_terminal"]),
                                "second_name": terminal_name(names, r["second_terminal"])}) for r in rows]


def terminal_names(ctx: Ctx) -> dict[str, str]:
    """Names for the parties a flag can name, by id: this terminal, the peers the central service has named, the
    central box office and the web shop."""
    return state.peer_names(ctx.conn) | {
        ctx.terminal["id"]: _("{name} (this terminal)").format(name=ctx.terminal["name"]),
        "central": _("the central box office"), "web": _("the web shop")}


def terminal_name(names: dict[str, str], terminal_id: str | None) -> str:
    """A terminal as people call it; one this terminal was never told the name of, by the end of its id."""
    if terminal_id is None:
        return "?"
    return names.get(terminal_id) or _("another terminal (…{end})").format(end=terminal_id[-8:])
