"""Queries of what was sold: ``orders``, ``tickets``, the once-only ``claims`` (a seat, a pickup, a refund, a
check-in) and ``revocations``."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB


def web_tickets_valid(db: CentralDB, event_id: str, section_id: str) -> int:
    """Valid tickets the web shop sold in a section."""
    return int(db.scalar(
        "SELECT COUNT(*) AS n FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.channel = 'web'"
        " AND t.event_id = ? AND t.section_id = ? AND t.status = 'valid'", (event_id, section_id)) or 0)


def seat_claims_of(db: CentralDB, terminal_id: str, prefix: str) -> list[str]:
    """The seat claims of one holder whose subject starts with ``prefix`` (event/section/)."""
    like = prefix.replace("%", "\\%").replace("_", "\\_") + "%"
    return [r["subject"] for r in db.all(
        "SELECT subject FROM claims WHERE action = 'seat' AND terminal_id = ? AND subject LIKE ?", (terminal_id, like))]


def terminal_tickets_valid(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> list[dict[str, Any]]:
    """The valid tickets central has from a terminal (not the web) in a section: ``row_label`` and ``seat``."""
    return db.all("SELECT t.row_label, t.seat FROM tickets t JOIN orders o ON o.id = t.order_id"
                  " WHERE o.terminal_id = ? AND o.channel <> 'web' AND t.event_id = ? AND t.section_id = ?"
                  " AND t.status = 'valid'", (terminal_id, event_id, section_id))


def terminal_tickets_valid_count(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> int:
    return int(db.scalar("SELECT count(*) AS n FROM tickets t JOIN orders o ON o.id = t.order_id"
                         " WHERE o.terminal_id = ? AND o.event_id = ? AND o.channel <> 'web' AND t.section_id = ?"
                         " AND t.status = 'valid'", (terminal_id, event_id, section_id)) or 0)


def event_tickets_valid(db: CentralDB, event_id: str) -> list[dict[str, Any]]:
    """Valid tickets of an event with the terminal (or web shop) whose order they are, oldest order first."""
    return db.all("SELECT t.section_id, t.row_label, t.seat, o.terminal_id, o.channel FROM tickets t"
                  " JOIN orders o ON o.id = t.order_id WHERE t.event_id = ? AND t.status = 'valid'"
                  " ORDER BY o.created_at, t.id", (event_id,))
