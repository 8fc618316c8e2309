"""The pickup desk's order search index, kept up with the orders table rather than with every writer of orders.

Before a search, orders added since the last indexed one (a walk-up sale, an import, a pull) are indexed, which
costs one indexed read when there are none; a VACUUM that renumbered rowids makes it rebuild. Apart from the search
(services/pickup.py) because the sync and the web-order import bring it up to date too.
"""

from __future__ import annotations

from boxoffice.services.context import Ctx
from boxoffice.store import pickup as store
from boxoffice.store.db import write


def refresh_index(ctx: Ctx) -> int:
    """Index the orders added since the last one indexed; rebuild if rowids moved (a VACUUM). Returns how many.

    Runs inside the caller's transaction when there is one (an import indexes what it wrote, atomically).
    """
    last, top, intact = store.index_state(ctx.conn)
    if intact and top <= last:
        return 0
    from boxoffice.domain import search_text

    with write(ctx.conn):
        if not intact:
            store.clear_index(ctx.conn)
            last = 0
        todo = store.orders_to_index(ctx.conn, last)
        store.add_to_index(ctx.conn, (
            (rowid, search_text.index_name(name), search_text.index_email(email),
             search_text.index_phone(digits), oid)
            for rowid, oid, name, email, digits in todo))
    return len(todo)
