"""Queries of the allocation tables: ``allocations`` (general places per terminal), ``allocated_seats``,
``allocation_moves`` (grants, releases, recalls, write-offs, in one order of positions), ``allocation_stops`` and
``allocation_requests`` (top-ups, once per request id). Portable SQL; the use cases decide, these only read and
write rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from boxoffice.central.store.db import CentralDB

REQUEST_COLUMNS = ("id", "terminal_id", "event_id", "section_id", "asked", "granted", "move_id", "reason", "at")


def lock_counter(db: CentralDB, counter: str) -> None:
    """Take a counter's row lock (a no-op UPDATE) so allocating transactions run one after the other."""
    db.execute("UPDATE counters SET value = value WHERE name = ?", (counter,))


def general_counts(db: CentralDB, event_id: str, section_id: str) -> list[dict[str, Any]]:
    """Each terminal's positive general-admission count of a section."""
    return db.all("SELECT terminal_id, count FROM allocations WHERE event_id = ? AND section_id = ? AND count > 0",
                  (event_id, section_id))


def general_count(db: CentralDB, event_id: str, section_id: str, terminal_id: str) -> int:
    return int(db.scalar("SELECT count FROM allocations WHERE event_id = ? AND section_id = ? AND terminal_id = ?",
                         (event_id, section_id, terminal_id)) or 0)


def seat_counts(db: CentralDB, event_id: str, section_id: str) -> list[dict[str, Any]]:
    """How many seats of a section each terminal holds (``terminal_id``, ``n``)."""
    return db.all("SELECT terminal_id, COUNT(*) AS n FROM allocated_seats WHERE event_id = ? AND section_id = ?"
                  " GROUP BY terminal_id", (event_id, section_id))


def seat_holders(db: CentralDB, event_id: str, section_id: str) -> list[dict[str, Any]]:
    """Every allocated seat of a section (``label``, ``terminal_id``)."""
    return db.all("SELECT label, terminal_id FROM allocated_seats WHERE event_id = ? AND section_id = ?",
                  (event_id, section_id))


def add_general(db: CentralDB, event_id: str, section_id: str, terminal_id: str, count: int) -> None:
    db.execute("INSERT INTO allocations (event_id, section_id, terminal_id, count) VALUES (?, ?, ?, ?)"
               " ON CONFLICT (event_id, section_id, terminal_id) DO UPDATE"
               " SET count = allocations.count + excluded.count", (event_id, section_id, terminal_id, count))


def take_general(db: CentralDB, event_id: str, section_id: str, terminal_id: str, count: int) -> None:
    db.execute("UPDATE allocations SET count = count - ? WHERE event_id = ? AND section_id = ?"
               " AND terminal_id = ?", (count, event_id, section_id, terminal_id))


def set_general(db: CentralDB, event_id: str, section_id: str, terminal_id: str, count: int) -> None:
    db.execute("UPDATE allocations SET count = ? WHERE event_id = ? AND section_id = ? AND terminal_id = ?",
               (count, event_id, section_id, terminal_id))


def add_seats(db: CentralDB, event_id: str, section_id: str, terminal_id: str, labels: list[str]) -> None:
    db.insert_rows("allocated_seats", ("event_id", "section_id", "label", "terminal_id"),
                   [(event_id, section_id, s, terminal_id) for s in labels])


def remove_seats(db: CentralDB, event_id: str, section_id: str, terminal_id: str, labels: Sequence[str]) -> None:
    db.many("DELETE FROM allocated_seats WHERE event_id = ? AND section_id = ? AND label = ? AND terminal_id = ?",
            [(event_id, section_id, s, terminal_id) for s in labels])


def insert_move(db: CentralDB, move: dict[str, Any], entry_id: str | None, held_released: list[str] | None) -> None:
    db.execute("INSERT INTO allocation_moves (id, pos, terminal_id, kind, event_id, section_id, count, seats,"
               " entry_id, at, held_released) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (move["id"], move["pos"], move["terminal_id"], move["kind"], move["event_id"], move["section_id"],
                move["count"], json.dumps(move["seats"]), entry_id, move["at"],
                json.dumps(held_released) if held_released else None))


def move_of_entry(db: CentralDB, entry_id: str) -> dict[str, Any] | None:
    return db.one("SELECT id FROM allocation_moves WHERE entry_id = ?", (entry_id,))


def moves_after(db: CentralDB, terminal_id: str, after: int, limit: int) -> list[dict[str, Any]]:
    """A terminal's grants, recalls and write-offs after position ``after``, with the stop's reason and author."""
    return db.all("SELECT m.id, m.pos, m.kind, m.event_id, m.section_id, m.count, m.seats, m.at, m.held_released,"
                  " s.reason, s.by_name FROM allocation_moves m LEFT JOIN allocation_stops s ON s.id = m.id"
                  " WHERE m.terminal_id = ? AND m.kind IN ('grant', 'recall', 'write_off') AND m.pos > ?"
                  " ORDER BY m.pos LIMIT ?", (terminal_id, after, limit))


def last_stop(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> dict[str, Any] | None:
    """The newest recall or write-off of a terminal's section, with its move's position."""
    return db.one("SELECT s.*, m.pos FROM allocation_stops s JOIN allocation_moves m ON m.id = s.id"
                  " WHERE s.terminal_id = ? AND s.event_id = ? AND s.section_id = ? ORDER BY m.pos DESC"
                  " LIMIT 1", (terminal_id, event_id, section_id))


def last_grant_by_hand(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> int | None:
    """The position of the newest grant the box office made (not a top-up), or None."""
    pos = db.scalar("SELECT MAX(m.pos) AS pos FROM allocation_moves m LEFT JOIN allocation_requests r"
                    " ON r.move_id = m.id WHERE m.terminal_id = ? AND m.event_id = ? AND m.section_id = ?"
                    " AND m.kind = 'grant' AND r.id IS NULL", (terminal_id, event_id, section_id))
    return None if pos is None else int(pos)


def stops_of_section(db: CentralDB, event_id: str, section_id: str) -> list[dict[str, Any]]:
    return db.all("SELECT terminal_id, kind, state, risk, late_sales, by_name, reason, at FROM allocation_stops"
                  " WHERE event_id = ? AND section_id = ? ORDER BY at", (event_id, section_id))


def unapplied_releases(db: CentralDB, terminal_id: str, kind: str) -> list[dict[str, Any]]:
    """A terminal's journal entries of ``kind`` that no allocation move records yet, in journal order."""
    return db.all("SELECT j.id, j.payload FROM journal j LEFT JOIN allocation_moves m ON m.entry_id = j.id"
                  " WHERE j.terminal_id = ? AND j.kind = ? AND m.id IS NULL ORDER BY j.seq", (terminal_id, kind))


# -- top-up requests ----------------------------------------------------------------------------------------------

def claim_request(db: CentralDB, request_id: str, terminal_id: str, event_id: str, section_id: str, count: int,
                  now: str) -> bool:
    """Insert a top-up request row, or wait for the copy of it another transaction holds; True when it is ours."""
    return bool(db.insert_returning("allocation_requests", REQUEST_COLUMNS,
                                    [(request_id, terminal_id, event_id, section_id, count, 0, None, None, now)],
                                    "id", "id"))


def answer_request(db: CentralDB, request_id: str, granted: int, move_id: str | None, reason: str | None) -> None:
    db.execute("UPDATE allocation_requests SET granted = ?, move_id = ?, reason = ? WHERE id = ?",
               (granted, move_id, reason, request_id))


def request_with_seats(db: CentralDB, request_id: str) -> dict[str, Any] | None:
    return db.one("SELECT r.*, m.seats FROM allocation_requests r LEFT JOIN allocation_moves m ON m.id = r.move_id"
                  " WHERE r.id = ?", (request_id,))


# -- recalls and write-offs (allocation_stops) --------------------------------------------------------------------

def insert_stop(db: CentralDB, row: dict[str, Any]) -> None:
    cols = list(row)
    db.execute(f"INSERT INTO allocation_stops ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
               [row[c] for c in cols])


def pending_recall(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> bool:
    return db.one("SELECT id FROM allocation_stops WHERE terminal_id = ? AND event_id = ? AND section_id = ?"
                  " AND kind = 'recall' AND state = 'pending'", (terminal_id, event_id, section_id)) is not None


def finish_recall(db: CentralDB, recall_id: str, terminal_id: str, entry_id: str, freed: int, now: str) -> bool:
    """Mark a pending recall done; False when there was none (or it was done already)."""
    return db.execute("UPDATE allocation_stops SET state = 'done', done_at = ?, entry_id = ?, freed = ?"
                      " WHERE id = ? AND terminal_id = ? AND kind = 'recall' AND state = 'pending'",
                      (now, entry_id, freed, recall_id, terminal_id)) == 1


def has_write_off(db: CentralDB, terminal_id: str) -> bool:
    return db.one("SELECT id FROM allocation_stops WHERE terminal_id = ? AND kind = 'write_off' LIMIT 1",
                  (terminal_id,)) is not None


def write_offs(db: CentralDB, terminal_id: str) -> list[dict[str, Any]]:
    return db.all("SELECT * FROM allocation_stops WHERE terminal_id = ? AND kind = 'write_off' ORDER BY at",
                  (terminal_id,))


def write_offs_checked_to(db: CentralDB, terminal_id: str, seq: int) -> None:
    db.execute("UPDATE allocation_stops SET checked_seq = ? WHERE terminal_id = ? AND kind = 'write_off'"
               " AND checked_seq < ?", (seq, terminal_id, seq))


def count_late_sale(db: CentralDB, stop_id: str) -> None:
    db.execute("UPDATE allocation_stops SET late_sales = late_sales + 1 WHERE id = ?", (stop_id,))


def seat_holder(db: CentralDB, event_id: str, section_id: str, label: str) -> str | None:
    """The terminal a seat is allocated to, or None."""
    return db.scalar("SELECT terminal_id FROM allocated_seats WHERE event_id = ? AND section_id = ? AND label = ?",
                     (event_id, section_id, label))


# -- what a terminal may still sell (allocation_ledger.Room) -------------------------------------------------------

def granted_less_released(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> int:
    """What a terminal's grants of a section add up to, less what its releases gave back."""
    return int(db.scalar("SELECT COALESCE(SUM(CASE kind WHEN 'grant' THEN count WHEN 'release' THEN -count"
                         " ELSE 0 END), 0) AS n FROM allocation_moves WHERE terminal_id = ? AND event_id = ?"
                         " AND section_id = ?", (terminal_id, event_id, section_id)) or 0)


def seat_claim_holders(db: CentralDB, subjects: list[str]) -> dict[str, str]:
    """Who sold each of these seat subjects (event/section/label) that someone has sold: subject -> holder."""
    return {r["subject"]: r["terminal_id"] for r in db.all_in(
        "SELECT subject, terminal_id FROM claims WHERE action = 'seat' AND subject", subjects)}


def ever_granted(db: CentralDB, terminal_id: str, event_id: str) -> bool:
    """Whether the central service ever granted a terminal places of an event."""
    return db.one("SELECT id FROM allocation_moves WHERE terminal_id = ? AND event_id = ? AND kind = 'grant' LIMIT 1",
                  (terminal_id, event_id)) is not None
