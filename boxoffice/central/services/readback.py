"""A terminal reading its own journal back (``GET /v1/journal``): what it needs to rebuild itself from here.

After a terminal is put back from an older copy of its database (or replaced by another machine after it died),
`boxoffice sync recover` reads the entries it pushed after the copy's last one, exactly as they were pushed, and
replays them. The answer also gives the terminal's head here (its last entry's number and hash) and the highest
order number it is known to have used, so a terminal that cannot trust its own files never hands one out again.

A terminal's token reads only that terminal's entries: the query is by the authenticated terminal's id, never by
anything the request names.
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.store import journal, sales
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.chain import GENESIS
from boxoffice.domain.codes import code_parts

MAX_PAGE = 1000
# The payload bytes one page carries at most (plus the entry that reaches them: a page always holds one entry, so the
# terminal moves on). A push may carry entries of a megabyte each, so a page capped by count alone could hold a
# gigabyte, all in the service's memory at once; past this cap the page ends early and says ``more`` as a full one
# does, and the terminal asks for the next (services/sync/recovery.py reads on while ``more``).
MAX_PAGE_BYTES = 4_000_000
COLUMNS = ("id", "terminal_id", "seq", "kind", "operator_id", "at", "payload", "prev_hash", "hash")


def head(db: CentralDB, terminal: dict[str, Any]) -> dict[str, Any]:
    """The terminal's newest entry here (seq 0 and the genesis hash when none) and the highest order number used
    in the box-office orders it pushed (None when it pushed none)."""
    last = journal.newest(db, terminal["id"])
    top = sales.highest_box_office_code(db, terminal["id"])
    order_seq = None
    if top:
        parts = code_parts(str(top).split("~")[0])
        if parts is not None and parts[0] == terminal["tag"]:
            order_seq = parts[1]
    return {"seq": int(last["seq"]) if last else 0, "hash": last["hash"] if last else GENESIS,
            "order_seq": order_seq}


def entries_after(db: CentralDB, terminal: dict[str, Any], after: int, limit: int) -> dict[str, Any]:
    """The terminal's entries after ``after``, oldest first (schemas/sync-journal.schema.json): at most ``limit``
    of them and about ``MAX_PAGE_BYTES`` of payload. ``more`` compares the last entry with the head, so a page cut
    by bytes says there is more exactly as one cut by count does."""
    limit = max(1, min(limit, MAX_PAGE))
    rows = journal.after(db, terminal["id"], after, limit, COLUMNS, budget=MAX_PAGE_BYTES)
    entries = [{k: (int(r[k]) if k == "seq" else r[k]) for k in COLUMNS} for r in rows]
    top = head(db, terminal)
    return {"entries": entries, "more": bool(entries) and entries[-1]["seq"] < top["seq"], "head": top}
