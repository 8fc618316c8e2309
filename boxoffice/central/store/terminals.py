"""Queries of the enrolled terminals (``terminals``): who they are, their roles, cap and how far their journal got."""

from __future__ import annotations

from typing import Any

from boxoffice.central.store.db import CentralDB


def enrolled(db: CentralDB, terminal_id: str) -> dict[str, Any] | None:
    """An enrolled, not revoked terminal's ``id``, ``name`` and ``roles``."""
    return db.one("SELECT id, name, roles FROM terminals WHERE id = ? AND revoked_at IS NULL", (terminal_id,))


def seller(db: CentralDB, terminal_id: str) -> dict[str, Any] | None:
    """A terminal's ``name``, ``roles`` and own ``allocation_cap`` (revoked or not)."""
    return db.one("SELECT name, roles, allocation_cap FROM terminals WHERE id = ?", (terminal_id,))


def progress(db: CentralDB, terminal_id: str) -> dict[str, Any] | None:
    """A terminal's ``id``, ``name``, ``last_seq`` and ``revoked_at``."""
    return db.one("SELECT id, name, last_seq, revoked_at FROM terminals WHERE id = ?", (terminal_id,))


def last_seq(db: CentralDB, terminal_id: str) -> int:
    return int(db.scalar("SELECT last_seq FROM terminals WHERE id = ?", (terminal_id,)) or 0)


def names(db: CentralDB, *, active_only: bool = False) -> dict[str, str]:
    """Terminal id -> name (every terminal, or only those not revoked)."""
    sql = "SELECT id, name FROM terminals" + (" WHERE revoked_at IS NULL" if active_only else "")
    return {r["id"]: r["name"] for r in db.all(sql)}


def set_cap(db: CentralDB, terminal_id: str, cap: int | None) -> None:
    db.execute("UPDATE terminals SET allocation_cap = ? WHERE id = ?", (cap, terminal_id))


def named(db: CentralDB, which: str, *, active: bool) -> list[dict[str, Any]]:
    """The terminals whose id, name or tag is ``which`` (only those not revoked, when ``active``)."""
    alive = " AND revoked_at IS NULL" if active else ""
    return db.all(f"SELECT id, name, roles, allocation_cap FROM terminals WHERE (id = ? OR name = ? OR tag = ?){alive}",
                  (which, which, which.upper()))


def seen(db: CentralDB, terminal_id: str, now: str) -> None:
    """Note a terminal was heard from (and, on PostgreSQL, lock its row for the rest of the transaction)."""
    db.execute("UPDATE terminals SET last_seen_at = ? WHERE id = ?", (now, terminal_id))


def advance_journal(db: CentralDB, terminal_id: str, seq: int, hash_: str) -> None:
    """Move a terminal's newest entry forward (never back)."""
    db.execute("UPDATE terminals SET last_seq = ?, last_hash = ? WHERE id = ? AND last_seq < ?",
               (seq, hash_, terminal_id, seq))
