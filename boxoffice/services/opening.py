"""Opening this terminal's database for a command, and the checks made before anything is done with it.

Apart from context.py because the checks belong to other use cases (a database copied back behind its marks file
starts a recovery: services/sync/recovery.py), and the context must not depend on them.
"""

from __future__ import annotations

from boxoffice.config import Config
from boxoffice.domain.clock import Clock, system_clock
from boxoffice.errors import BoxOfficeError
from boxoffice.services.context import Ctx
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
        raise BoxOfficeError("not_initialised", f"{config.db_path} has no terminal yet: run `boxoffice init`")
    ctx = Ctx(config=config, conn=conn, terminal=term, clock=clock)
    if warning:
        ctx.notices.append(warning)
    try:
        check_marks(ctx)  # a database copied back behind its marks file stops selling at once
    except BaseException:
        conn.close()
        raise
    return ctx
