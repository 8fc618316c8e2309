"""The print queue: a job per document, committed with the sale, marked printed or failed afterwards."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

from boxoffice.store import marks
from boxoffice.store.db import one, rows, write


def add(conn: sqlite3.Connection, job: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO print_jobs (id, created_at, kind, order_id, printer_uri, profile, document)"
        " VALUES (:id, :created_at, :kind, :order_id, :printer_uri, :profile, :document)",
        job,
    )


def get(conn: sqlite3.Connection, job_id: str) -> dict | None:
    return one(conn, "SELECT * FROM print_jobs WHERE id = ?", (job_id,))


def order_for_print(conn: sqlite3.Connection, order_id: str) -> tuple[dict, str, str | None] | None:
    """An order as a job lays it out, with the venue's name ('' without a venue row) and the name of the operator
    who sold it (None: none or no longer there), in one query instead of three."""
    row = one(conn, "SELECT o.*, (SELECT name FROM venue LIMIT 1) AS print_venue__, op.name AS print_operator__"
                    " FROM orders o LEFT JOIN operators op ON op.id = o.operator_id WHERE o.id = ?", (order_id,))
    if row is None:
        return None
    venue, operator = row.pop("print_venue__"), row.pop("print_operator__")
    return row, venue or "", operator


def holders_of(conn: sqlite3.Connection, order_id: str) -> dict[str, dict]:
    """The holder rows of an order's tickets by ticket id, in one query rather than one per ticket."""
    return {h["ticket_id"]: h for h in rows(conn, "SELECT * FROM ticket_holders WHERE ticket_id IN"
                                                  " (SELECT id FROM tickets WHERE order_id = ?)", (order_id,))}


def pending(conn: sqlite3.Connection) -> list[dict]:
    return rows(conn, "SELECT * FROM print_jobs WHERE status IN ('pending', 'failed') ORDER BY created_at, rowid")


def recent(conn: sqlite3.Connection, limit: int = 50) -> list[dict]:
    return rows(conn, "SELECT * FROM print_jobs ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,))


@contextlib.contextmanager
def outcome_write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction for a job's outcome, committed to the WAL without a disk flush of its own.

    The terminal commits with ``synchronous=FULL``: a sale is on disk when it is answered. A job's outcome need not
    be: committed with ``synchronous=NORMAL`` (per connection in WAL mode, set here for this one transaction) it is
    in the WAL, so a process killed after it keeps it, and the next FULL commit (the next sale) flushes it with its
    own. Only a power cut or an operating-system crash before then can lose it: the job then shows as not printed
    and ``boxoffice print retry`` prints it again, a second paper ticket with the same token (the door admits it
    once), never a lost or doubled sale. That saves one disk flush per printed sale (docs/architecture.md,
    "Printing").

    Inside a caller's transaction the outcome simply joins it: the caller's commit decides how it is flushed. On its
    own it moves neither the journal nor the order numbers, so the marks file's hook skips its read of them
    (store/marks.unmoved).
    """
    if conn.in_transaction:
        with write(conn):
            yield conn
        return
    conn.execute("PRAGMA synchronous=NORMAL")
    try:
        with marks.unmoved(conn), write(conn):
            yield conn
    finally:
        if conn.in_transaction:  # the level cannot change inside a transaction: never leave one open here
            conn.execute("ROLLBACK")
        conn.execute("PRAGMA synchronous=FULL")  # as every terminal connection runs (store/db.connect)


def mark_printed(conn: sqlite3.Connection, job_id: str, at: str) -> None:
    """Record a delivered job, counting the attempt."""
    conn.execute("UPDATE print_jobs SET status = 'printed', printed_at = ?, last_error = NULL,"
                 " attempts = attempts + 1 WHERE id = ?", (at, job_id))


def mark_failed(conn: sqlite3.Connection, job_id: str, error: str) -> None:
    """Record a failed attempt and why; the job waits for a retry."""
    conn.execute("UPDATE print_jobs SET status = 'failed', last_error = ?, attempts = attempts + 1"
                 " WHERE id = ? AND status <> 'printed'", (error, job_id))


def waiting_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Jobs not printed yet, by status (pending, failed): two probes of the status index, for the status bar."""
    counts = dict.fromkeys(("pending", "failed"), 0)
    for status, n in conn.execute("SELECT status, count(*) FROM print_jobs WHERE status IN ('pending', 'failed')"
                                  " GROUP BY status"):
        counts[status] = n
    return counts
