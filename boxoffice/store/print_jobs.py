"""The print queue: a job per document, committed with the sale, marked printed or failed afterwards."""

from __future__ import annotations

import sqlite3
from typing import Any

from boxoffice.store.db import one, rows


def add(conn: sqlite3.Connection, job: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO print_jobs (id, created_at, kind, order_id, printer_uri, profile, document)"
        " VALUES (:id, :created_at, :kind, :order_id, :printer_uri, :profile, :document)",
        job,
    )


def get(conn: sqlite3.Connection, job_id: str) -> dict | None:
    return one(conn, "SELECT * FROM print_jobs WHERE id = ?", (job_id,))


def pending(conn: sqlite3.Connection) -> list[dict]:
    return rows(conn, "SELECT * FROM print_jobs WHERE status IN ('pending', 'failed') ORDER BY created_at, rowid")


def recent(conn: sqlite3.Connection, limit: int = 50) -> list[dict]:
    return rows(conn, "SELECT * FROM print_jobs ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,))


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
