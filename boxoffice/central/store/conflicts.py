"""Queries of ``conflicts``: what the service flagged (a seat sold twice, a journal gap, a write-off risk...)."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB
from boxoffice.central.store.held import HELD

# Kinds of flags on an entry the service kept in its journal and did not apply (what the pretix bridge never sends)
ROLE_MISSING = "role_missing"
UNPUBLISHABLE = "unpublishable"
EXIT_REFUSED = "exit_without_reentry"
NOT_APPLIED = frozenset({ROLE_MISSING, UNPUBLISHABLE, EXIT_REFUSED})


def insert(db: CentralDB, body: dict[str, Any]) -> None:
    """One flag, as its feed body has it (``first`` and ``second`` are who did the thing first and who again)."""
    f, s = body["first"], body["second"]
    db.execute(
        "INSERT INTO conflicts (id, kind, subject, order_id, ticket_id, first_terminal, first_entry, first_at,"
        " second_terminal, second_entry, second_at, rule, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (body["id"], body["kind"], body["subject"], body["order_id"], body["ticket_id"], f["terminal_id"],
         f["entry_id"], f["at"], s["terminal_id"], s["entry_id"], s["at"], body["rule"], body["at"]))


def newest(db: CentralDB, limit: int) -> list[dict[str, Any]]:
    """The newest conflicts as stored."""
    return db.all("SELECT * FROM conflicts ORDER BY at DESC, id LIMIT ?", (limit,))


_NAMED = ("SELECT c.*, f.name AS first_name, s.name AS second_name, o.code AS order_code,"
          " h.released_at AS released_at"
          " FROM conflicts c LEFT JOIN terminals f ON f.id = c.first_terminal"
          " LEFT JOIN terminals s ON s.id = c.second_terminal LEFT JOIN orders o ON o.id = c.order_id"
          " LEFT JOIN held_releases h ON h.entry_id = c.second_entry AND c.kind = '" + HELD + "'")


def newest_named(db: CentralDB, limit: int) -> list[dict[str, Any]]:
    """The newest conflicts, each with the two terminals' names and the order's code beside their ids, and for a
    held refund when the admin released it (``released_at``, else None)."""
    return db.all(_NAMED + " ORDER BY c.at DESC, c.id LIMIT ?", (limit,))


def held_named(db: CentralDB) -> list[dict[str, Any]]:
    """Every held refund not released yet, named as :func:`newest_named` names them, newest first."""
    return db.all(_NAMED + " WHERE c.kind = ? AND h.entry_id IS NULL ORDER BY c.at DESC, c.id", (HELD,))
