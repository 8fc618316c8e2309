"""The SQL of the bridge's stock vouchers: which pretix voucher blocks each terminal's places of a section (or seat),
and the catalogue links the vouchers are made from (read only here; the catalogue step writes them).

One row per (terminal, event, section, seat): ``seat`` is '' for a standing section's one voucher, the seat's label
for a reserved seat's own voucher. ``max_usages`` is what the bridge last set in pretix, so a round can tell what
it believes from what pretix says.
"""

from __future__ import annotations

import json
from typing import Any

from boxoffice.central.store.db import CentralDB

_COLUMNS = "terminal_id, event_id, section_id, seat, pretix_event, voucher_id, code, max_usages, updated_at"


def section_link(db: CentralDB, event_id: str, section_id: str) -> dict[str, Any] | None:
    """A linked section: ``{"pretix_event", "quota"}``, the quota id None for a reserved section (linked to a seat
    category, its seats linked one by one); None when the section is not linked."""
    row = db.one("SELECT pretix_event, pretix_id FROM pretix_links WHERE kind = 'section' AND local_id = ?",
                 (f"{event_id}/{section_id}",))
    if row is None:
        return None
    pid = str(row["pretix_id"])
    return {"pretix_event": str(row["pretix_event"]), "quota": int(pid) if pid.isdigit() else None}


def seat_links(db: CentralDB, event_id: str, section_id: str) -> dict[str, dict[str, Any]]:
    """Each linked seat of a reserved section: label -> ``{"pretix_event", "guid", "item"}``."""
    prefix = f"{event_id}/{section_id}/"
    out: dict[str, dict[str, Any]] = {}
    for r in db.all("SELECT local_id, pretix_event, pretix_id, data FROM pretix_links WHERE kind = 'seat' "
                    "AND local_id LIKE ? ESCAPE '\\'", (_like(prefix) + "%",)):
        try:
            data = json.loads(r["data"] or "{}")
        except ValueError:
            data = {}
        item = data.get("item") if isinstance(data, dict) else None
        out[str(r["local_id"])[len(prefix):]] = {"pretix_event": str(r["pretix_event"]), "guid": str(r["pretix_id"]),
                                                 "item": int(item) if isinstance(item, int | str) and
                                                 str(item).isdigit() else None}
    return out


def linked(db: CentralDB, event_id: str, section_id: str) -> bool:
    """Whether a section's places are kept in pretix (a linked quota, or linked seats)."""
    if section_link(db, event_id, section_id) is not None:
        return True
    return db.one("SELECT 1 AS x FROM pretix_links WHERE kind = 'seat' AND local_id LIKE ? ESCAPE '\\' LIMIT 1",
                  (_like(f"{event_id}/{section_id}/") + "%",)) is not None


def linked_sections(db: CentralDB) -> list[tuple[str, str]]:
    """Every (event id, section id) whose places are kept in pretix."""
    found: set[tuple[str, str]] = set()
    for r in db.all("SELECT kind, local_id FROM pretix_links WHERE kind IN ('section', 'seat')"):
        parts = str(r["local_id"]).split("/")
        if len(parts) >= 2:
            found.add((parts[0], parts[1]))
    return sorted(found)


def pretix_events(db: CentralDB) -> list[str]:
    """Every pretix event a voucher row or a section/seat link names."""
    rows = db.all("SELECT DISTINCT pretix_event FROM pretix_links WHERE kind IN ('section', 'seat') "
                  "UNION SELECT DISTINCT pretix_event FROM pretix_vouchers")
    return sorted({str(r["pretix_event"]) for r in rows})


def of_section(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> dict[str, dict[str, Any]]:
    """A terminal's voucher rows of a section, by seat ('' for the standing voucher)."""
    return {str(r["seat"]): r for r in db.all(
        f"SELECT {_COLUMNS} FROM pretix_vouchers WHERE terminal_id = ? AND event_id = ? AND section_id = ?",
        (terminal_id, event_id, section_id))}


def pairs(db: CentralDB) -> list[tuple[str, str, str]]:
    """Every (terminal, event, section) that has a voucher row."""
    return [(str(r["terminal_id"]), str(r["event_id"]), str(r["section_id"])) for r in db.all(
        "SELECT DISTINCT terminal_id, event_id, section_id FROM pretix_vouchers ORDER BY 1, 2, 3")]


def known_ids(db: CentralDB, pretix_event: str) -> set[int]:
    """The ids of every voucher the bridge keeps a row for in one pretix event."""
    return {int(r["voucher_id"]) for r in db.all("SELECT voucher_id FROM pretix_vouchers WHERE pretix_event = ?",
                                                 (pretix_event,))}


def put(db: CentralDB, row: dict[str, Any]) -> None:
    """Insert or replace a voucher row (its key: terminal, event, section, seat)."""
    db.execute(f"INSERT INTO pretix_vouchers ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
               "ON CONFLICT (terminal_id, event_id, section_id, seat) DO UPDATE SET "
               "pretix_event = excluded.pretix_event, voucher_id = excluded.voucher_id, code = excluded.code, "
               "max_usages = excluded.max_usages, updated_at = excluded.updated_at",
               (row["terminal_id"], row["event_id"], row["section_id"], row["seat"], row["pretix_event"],
                int(row["voucher_id"]), row["code"], int(row["max_usages"]), row["updated_at"]))


def set_max(db: CentralDB, terminal_id: str, event_id: str, section_id: str, seat: str, max_usages: int,
            now: str) -> None:
    """Record what a voucher's max_usages now is in pretix."""
    db.execute("UPDATE pretix_vouchers SET max_usages = ?, updated_at = ? WHERE terminal_id = ? AND event_id = ? "
               "AND section_id = ? AND seat = ?", (max_usages, now, terminal_id, event_id, section_id, seat))


def drop(db: CentralDB, terminal_id: str, event_id: str, section_id: str, seat: str) -> None:
    """Forget a voucher row (its voucher was deleted in pretix, or is gone)."""
    db.execute("DELETE FROM pretix_vouchers WHERE terminal_id = ? AND event_id = ? AND section_id = ? AND seat = ?",
               (terminal_id, event_id, section_id, seat))


def code_of(db: CentralDB, terminal_id: str, event_id: str, section_id: str, seat: str = "") -> str | None:
    """The voucher code a terminal's sale of a section (or seat) redeems in pretix, if there is one."""
    row = db.one("SELECT code FROM pretix_vouchers WHERE terminal_id = ? AND event_id = ? AND section_id = ? "
                 "AND seat = ?", (terminal_id, event_id, section_id, seat))
    return None if row is None else str(row["code"])


def _like(text: str) -> str:
    """``text`` as a literal LIKE prefix: ids may hold '_' (a one-character wildcard in LIKE)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
