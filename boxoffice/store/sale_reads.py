"""What a sale reads of its event before it writes, kept per connection for as long as nothing can have changed it.

A counter selling flat out reads the same event row, active sales pauses, ticket types and prices before every
sale (four queries a sale). They are kept here, on the terminal connection (store/db.TerminalConnection), and served
again only while one query (:data:`_STAMP`) finds both of these unchanged since they were read:

- ``PRAGMA data_version``: SQLite changes it when ANY other connection commits to the database (another process, or
  another connection of this one): a pause set from another window, a sync in another process, a catalogue import.
  Any such commit drops everything kept, whatever table it touched.
- this connection's own changes to those tables (``events``, ``pauses``, ``ticket_types``, ``prices``), which
  ``data_version`` does not count: TEMP triggers (per connection, so they see this connection's writes only, and
  are gone with it) count every row inserted, updated or deleted in them in ``temp.sale_reads_changes``, even in a
  transaction later rolled back (a count that moved either way is only a miss).

``PRAGMA schema_version`` is in the stamp as well: a migration run on this connection may drop and remake a table,
and its triggers with it; they are made again then. A restore written into this connection page by page
(store/backup.restore_into) calls :func:`forget`.

The first read on a connection installs nothing (a one-sale command pays no triggers): the cache is set up from the
second. A caller gets copies: what it changes in them is not kept.
"""

from __future__ import annotations

import sqlite3
from typing import Any

TABLES = ("events", "pauses", "ticket_types", "prices")
_STAMP = ("SELECT d.data_version, s.schema_version, c.n FROM pragma_data_version() d, pragma_schema_version() s,"
          " temp.sale_reads_changes c")
_ATTR = "sale_reads"


class _Kept:
    """One connection's kept reads and the stamp they were read under (None: the triggers are not there yet)."""

    __slots__ = ("stamp", "values")

    def __init__(self) -> None:
        self.stamp: tuple[int, int, int] | None = None
        self.values: dict[tuple[str, str], Any] = {}


def _install(conn: sqlite3.Connection) -> None:
    """The counter and its triggers (each made only if missing), outside any transaction."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS sale_reads_changes (n INTEGER NOT NULL)")
    conn.execute("INSERT INTO temp.sale_reads_changes (n) SELECT 0"
                 " WHERE NOT EXISTS (SELECT 1 FROM temp.sale_reads_changes)")
    for table in TABLES:
        for change in ("INSERT", "UPDATE", "DELETE"):
            conn.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS sale_reads_{table}_{change.lower()} AFTER {change}"
                         f" ON main.{table} BEGIN UPDATE sale_reads_changes SET n = n + 1; END")


def _kept(conn: sqlite3.Connection) -> _Kept | None:
    """This connection's cache, valid now (emptied if anything may have changed); None: read directly."""
    if not hasattr(type(conn), "after_commit"):  # a plain sqlite3 connection can carry nothing
        return None
    kept: _Kept | None = getattr(conn, _ATTR, None)
    if kept is None:
        setattr(conn, _ATTR, _Kept())  # the first read: remembered, nothing installed
        return None
    if kept.stamp is None:
        if conn.in_transaction:  # the temp schema is made outside a caller's transaction
            return None
        _install(conn)
    row = conn.execute(_STAMP).fetchone()
    stamp = (row[0], row[1], row[2])
    if stamp != kept.stamp:
        if kept.stamp is not None and stamp[1] != kept.stamp[1] and not conn.in_transaction:
            _install(conn)  # the schema changed here: a table remade loses its triggers
            row = conn.execute(_STAMP).fetchone()
            stamp = (row[0], row[1], row[2])
        kept.values.clear()
        kept.stamp = stamp
    return kept


def forget(conn: sqlite3.Connection) -> None:
    """Drop everything kept for ``conn`` (its database was overwritten under it)."""
    kept: _Kept | None = getattr(conn, _ATTR, None)
    if kept is not None:
        kept.values.clear()
        kept.stamp = None


def event_reads(conn: sqlite3.Connection, event_id: str) -> tuple[dict | None, list[dict], list[dict], list[dict]]:
    """The event row (None: no such event), the active pauses of sales (every scope, oldest first), the event's
    ticket types (in order) and its prices: as ``store.catalog.get_event``, ``store.night.active_pauses(conn,
    'sales')``, ``store.catalog.ticket_types`` and ``store.catalog.prices`` read them, as copies."""
    kept = _kept(conn)
    if kept is None:
        return _read(conn, event_id)
    found = kept.values.get(("event", event_id))
    if found is None:
        found = kept.values[("event", event_id)] = _read(conn, event_id)
    ev, pauses, types, prices = found
    return (dict(ev) if ev is not None else None, [dict(p) for p in pauses], [dict(t) for t in types],
            [dict(p) for p in prices])


def _read(conn: sqlite3.Connection, event_id: str) -> tuple[dict | None, list[dict], list[dict], list[dict]]:
    from boxoffice.store.catalog import get_event, prices, ticket_types
    from boxoffice.store.night import active_pauses

    ev = get_event(conn, event_id)
    if ev is None:
        return None, [], [], []
    return ev, active_pauses(conn, "sales"), ticket_types(conn, event_id), prices(conn, event_id)

