"""Queries of ``pretix_links``: what each boxoffice id (event, section, ticket type, seat, check-in list) is in pretix.

The catalogue step writes them; the other bridge steps read them (which quota a section is, which item a ticket
type, which guid a seat). They are the truth about ids: names may change in pretix, these do not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from boxoffice.central.store.db import CentralDB

Row = tuple[str, str, str, dict[str, Any]]  # kind, local_id, pretix_id, data


def get(db: CentralDB, kind: str, local_id: str) -> dict[str, Any] | None:
    """One link by its boxoffice id: {"kind", "local_id", "pretix_event", "pretix_id", "data" (parsed)}, or None."""
    row = db.one("SELECT kind, local_id, pretix_event, pretix_id, data FROM pretix_links WHERE kind = ? AND "
                 "local_id = ?", (kind, local_id))
    return None if row is None else {**row, "data": json.loads(row["data"] or "{}")}


def local_ids(db: CentralDB, kind: str, pretix_event: str, pretix_id: str) -> list[str]:
    """The boxoffice ids linked to one pretix object (a quota, an item, a seat guid) of one event."""
    return [r["local_id"] for r in db.all("SELECT local_id FROM pretix_links WHERE kind = ? AND pretix_event = ? "
                                          "AND pretix_id = ? ORDER BY local_id", (kind, pretix_event, pretix_id))]


def of_event(db: CentralDB, pretix_event: str, kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every link of one pretix event (of ``kinds`` when given), data parsed."""
    rows = db.all("SELECT kind, local_id, pretix_event, pretix_id, data FROM pretix_links WHERE pretix_event = ? "
                  "ORDER BY kind, local_id", (pretix_event,))
    wanted = set(kinds) if kinds is not None else None
    return [{**r, "data": json.loads(r["data"] or "{}")} for r in rows if wanted is None or r["kind"] in wanted]


def known_ids(db: CentralDB, pretix_event: str) -> dict[tuple[str, str], str]:
    """(kind, pretix id) -> the id's own part (``SECTION`` of ``EVENT/SECTION``) for sections and ticket types:
    the ids given before, so a renamed quota or item keeps its boxoffice id."""
    out: dict[tuple[str, str], str] = {}
    for r in db.all("SELECT kind, local_id, pretix_id FROM pretix_links WHERE pretix_event = ? AND kind IN "
                    "('section', 'ticket_type') ORDER BY local_id", (pretix_event,)):
        out.setdefault((r["kind"], r["pretix_id"]), r["local_id"].split("/", 1)[-1])
    return out


def replace_event(db: CentralDB, pretix_event: str, kinds: Iterable[str], rows: Iterable[Row]) -> int:
    """Make the links of ``kinds`` of one pretix event exactly ``rows``: the missing added, the changed updated,
    the gone removed (only what differs is written). Returns how many rows changed."""
    kinds = tuple(kinds)
    have = {(r["kind"], r["local_id"]): (r["pretix_id"], r["data"]) for r in db.all(
        "SELECT kind, local_id, pretix_id, data FROM pretix_links WHERE pretix_event = ?", (pretix_event,))
        if r["kind"] in kinds}
    want = {(kind, local): (pid, json.dumps(data, sort_keys=True, separators=(",", ":")))
            for kind, local, pid, data in rows}
    gone = [key for key in have if key not in want]
    changed = [(k, lo, pretix_event, pid, data) for (k, lo), (pid, data) in want.items() if have.get((k, lo)) !=
               (pid, data)]
    if gone:
        db.many("DELETE FROM pretix_links WHERE kind = ? AND local_id = ?", gone)
    if changed:
        db.many("INSERT INTO pretix_links (kind, local_id, pretix_event, pretix_id, data) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, local_id) DO UPDATE SET pretix_event = excluded.pretix_event, "
                "pretix_id = excluded.pretix_id, data = excluded.data", changed)
    return len(gone) + len(changed)
