"""Opening this terminal's database for a command, and the checks made before anything is done with it.

Apart from context.py because the checks belong to other use cases (a database copied back behind its marks file
starts a recovery: services/sync/recovery.py), and the context must not depend on them.
"""

from __future__ import annotations

from boxoffice.config import Config
from boxoffice.domain.clock import Clock, FixedClock, system_clock
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.services.policy import load_into as load_policy
from boxoffice.services.recovery_state import check_marks
from boxoffice.store import terminal as terminal_store
from boxoffice.store.db import check_mode, connect


def open_terminal(config: Config, clock: Clock = system_clock) -> Ctx:
    """Open this terminal's database (migrating it forward if needed) for a command.

    A database other users can write is refused before anything reads it; one they can read opens with a warning
    in ``ctx.notices`` for the command line to show.
    """
    warning = check_mode(config.db_path)
    conn = connect(config.db_path)
    term = terminal_store.get(conn)
    if term is None:
        conn.close()
        raise BoxOfficeError("not_initialised", _("{db} has no terminal yet: run `boxoffice init`").format(
            db=config.db_path))
    ctx = Ctx(config=config, conn=conn, terminal=term, clock=clock)
    if warning:
        ctx.notices.append(warning)
    try:
        if not is_demo(ctx):
            refuse_fixed_clock(clock)
        check_marks(ctx)  # a database copied back behind its marks file stops selling at once
        load_policy(ctx)  # lockout, shifts, refund limits: the catalogue's, whatever a local file said
    except BaseException:
        conn.close()
        raise
    return ctx


def is_demo(ctx: Ctx) -> bool:
    """Whether this terminal was made as a demo (`boxoffice demo`, or by the test suite).

    The mark lives in the payload of the journal's first entry, and counts only while that entry still matches its
    hash: writing it into a real terminal's database afterwards does not make the terminal a demo.
    """
    import json

    from boxoffice.domain.chain import entry_hash

    entry = terminal_store.creation_entry(ctx.conn)
    if entry is None or entry["seq"] != 1:
        return False
    fields = {k: entry[k] for k in ("id", "seq", "terminal_id", "kind", "operator_id", "at")}
    if entry_hash(entry["prev_hash"], payload=entry["payload"], **fields) != entry["hash"]:
        return False
    return json.loads(entry["payload"]).get("demo") is True


def refuse_fixed_clock(clock: Clock) -> None:
    """A fixed clock (BOXOFFICE_NOW) only on a demo terminal: on a real one it would lift lockouts, move the refund
    policy's tiers and date every record at will."""
    if isinstance(clock, FixedClock):
        raise BoxOfficeError("bad_config", _("{source} is honoured only on a demo terminal (`boxoffice demo`); "
                                             "unset it to run on the real clock").format(source=clock.source))
