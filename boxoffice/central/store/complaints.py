"""Every terminal's complaints on the central service: written from their journal entries at ingest, listed with
filters, and counted for the alert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice.central.store.db import CentralDB

COLUMNS = ("id", "terminal_id", "entry_id", "category", "event_id", "order_id", "order_code", "ticket_id", "note",
           "at", "operator_id", "received_at")


def add(db: CentralDB, rows: Sequence[Sequence[Any]]) -> None:
    """Insert complaints (in ``COLUMNS`` order); an id already here is left as it is."""
    db.insert_rows("complaints", COLUMNS, rows, skip_existing=True)


def close(db: CentralDB, complaint_id: str, terminal_id: str, at: str, by: str | None, note: str) -> bool:
    """Close a terminal's own open complaint; False when it is not that terminal's, not here or closed already."""
    return db.execute("UPDATE complaints SET closed_at = ?, closed_by = ?, close_note = ? WHERE id = ? AND"
                      " terminal_id = ? AND closed_at IS NULL", (at, by, note, complaint_id, terminal_id)) == 1


def listed(db: CentralDB, *, status: str | None = None, category: str | None = None, event_id: str | None = None,
           terminal_id: str | None = None, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    """Complaints, oldest first, with the name of the terminal they were written down at (``terminal``)."""
    where: list[str] = []
    params: list[Any] = []
    if status == "open":
        where.append("c.closed_at IS NULL")
    elif status == "closed":
        where.append("c.closed_at IS NOT NULL")
    for column, value in (("c.category", category), ("c.event_id", event_id), ("c.terminal_id", terminal_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        where.append("c.at >= ?")
        params.append(since)
    if until is not None:
        where.append("c.at < ?")
        params.append(until)
    return db.all("SELECT c.id, c.terminal_id, m.name AS terminal, c.category, c.event_id, c.order_id, c.order_code,"
                  " c.ticket_id, c.note, c.at, c.operator_id, c.closed_at, c.closed_by, c.close_note, c.received_at"
                  " FROM complaints c LEFT JOIN terminals m ON m.id = c.terminal_id"
                  + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.at, c.id", params)


def in_window(db: CentralDB, after: str, upto: str) -> list[tuple[str | None, str, str]]:
    """(event id, category, terminal id) of each complaint made after ``after`` and up to ``upto`` inclusive."""
    return [(r["event_id"], r["category"], r["terminal_id"]) for r in db.all(
        "SELECT event_id, category, terminal_id FROM complaints WHERE at > ? AND at <= ?", (after, upto))]
