"""Queries of ``conflicts``: what the service flagged (a seat sold twice, a journal gap, a write-off risk...)."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB


def insert(db: CentralDB, body: dict[str, Any]) -> None:
    """One flag, as its feed body has it (``first`` and ``second`` are who did the thing first and who again)."""
    f, s = body["first"], body["second"]
    db.execute(
        "INSERT INTO conflicts (id, kind, subject, order_id, ticket_id, first_terminal, first_entry, first_at,"
        " second_terminal, second_entry, second_at, rule, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (body["id"], body["kind"], body["subject"], body["order_id"], body["ticket_id"], f["terminal_id"],
         f["entry_id"], f["at"], s["terminal_id"], s["entry_id"], s["at"], body["rule"], body["at"]))
