"""The central SQL of privacy purges: which tables hold customers' personal data, erasing one event's, and the
record of each purge.

``PERSONAL`` is the registry a purge walks, one line per table; a table this database does not have (such as
``ticket_holders`` before the release that adds real-name tickets) is skipped, so adding one is one line here.
The feed (``changes.private_body``, schema version 7) and the terminals' journals are handled below, because their
personal data sits inside JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from boxoffice.central.store.db import CentralDB
from boxoffice.central.store.feed import CUSTOMER_KINDS


@dataclass(frozen=True)
class Personal:
    """A table's personal columns and the condition that picks one event's rows (``?`` is the event id)."""

    table: str
    columns: tuple[str, ...]
    where: str


PERSONAL: tuple[Personal, ...] = (
    Personal("orders", ("customer_name", "email", "phone", "notes"), "event_id = ?"),
    Personal("ticket_holders", ("name", "id_hash", "id_last4", "binding"),
             "ticket_id IN (SELECT id FROM tickets WHERE event_id = ?)"),
)


EMPTY = "''"


def _exists(db: CentralDB, table: str) -> bool:
    if db.postgres:
        return bool(db.scalar("SELECT to_regclass(?) IS NOT NULL AS present", (table,)))
    return bool(db.scalar("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)))


def _columns(db: CentralDB, table: str) -> dict[str, bool]:
    """Column name -> NOT NULL."""
    if db.postgres:
        return {r["column_name"]: r["is_nullable"] == "NO" for r in db.all(
            "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = ?"
            " AND table_schema = current_schema()", (table,))}
    return {r["name"]: bool(r["notnull"]) for r in db.all(f"PRAGMA table_info({table})")}


def erase_tables(db: CentralDB, event_id: str, *, dry_run: bool) -> dict[str, int]:
    """Empty the personal columns of one event's rows in each registered table here: rows per table that held
    something (``dry_run`` only counts)."""
    counts: dict[str, int] = {}
    for p in PERSONAL:
        if not _exists(db, p.table):
            continue
        known = _columns(db, p.table)
        cols = [c for c in p.columns if c in known]
        if not cols:
            continue
        holding = " OR ".join(f"({c} IS NOT NULL AND {c} <> '')" for c in cols)
        n = int(db.scalar(f"SELECT count(*) AS n FROM {p.table} WHERE ({p.where}) AND ({holding})", (event_id,))
                or 0)
        if n and not dry_run:
            sets = ", ".join(f"{c} = {EMPTY if known[c] else 'NULL'}" for c in cols)  # NOT NULL keeps ''
            db.execute(f"UPDATE {p.table} SET {sets} WHERE ({p.where}) AND ({holding})", (event_id,))
        if n:
            counts[p.table] = n
    if _exists(db, "customer_keys"):  # keyed hashes a limit per customer counted by: a past event needs none
        n = int(db.scalar("SELECT count(*) AS n FROM customer_keys WHERE event_id = ?", (event_id,)) or 0)
        if n:
            counts["customer_keys"] = n
            if not dry_run:
                db.execute("DELETE FROM customer_keys WHERE event_id = ?", (event_id,))
    return counts


def erase_feed(db: CentralDB, event_id: str, *, dry_run: bool) -> int:
    """Drop the private bodies (those with customer data) of the event's order changes, so every terminal pulls
    the public body from now on, and the event's real-name holder changes whole. How many changes held data."""
    kinds = ", ".join(f"'{k}'" for k in CUSTOMER_KINDS)
    found = [r["pos"] for r in db.all(f"SELECT pos, body FROM changes WHERE kind IN ({kinds})"
                                      " AND private_body IS NOT NULL AND body LIKE ?", (f"%{event_id}%",))
             if (json.loads(r["body"]).get("order") or {}).get("event_id") == event_id]
    if found and not dry_run:
        for pos in found:
            db.execute("UPDATE changes SET private_body = NULL WHERE pos = ?", (pos,))
    keyed = [(r["pos"], body) for r in db.all(f"SELECT pos, body FROM changes WHERE kind IN ({kinds})"
                                              " AND body LIKE ? AND body LIKE '%customer_keys%'", (f"%{event_id}%",))
             if ((body := json.loads(r["body"])).get("order") or {}).get("event_id") == event_id
             and body.get("customer_keys")]
    if keyed and not dry_run:  # the order's customers as keyed hashes: an empty list, as the feed's schema allows
        for pos, body in keyed:
            db.execute("UPDATE changes SET body = ? WHERE pos = ?", (json.dumps({**body, "customer_keys": []}), pos))
    # real-name holders go only to doors and pickup desks, as a change of their own: it goes whole (a terminal's
    # feed has gaps anyway, where changes meant for others are), so none that enrolls later receives the names
    holders = [r["pos"] for r in db.all("SELECT pos, body FROM changes WHERE kind = 'holders' AND body LIKE ?",
                                        (f"%{event_id}%",))
               if any(h.get("event_id") == event_id for h in json.loads(r["body"]).get("holders") or [])]
    if holders and not dry_run:
        for pos in holders:
            db.execute("DELETE FROM changes WHERE pos = ?", (pos,))
    return len(found) + len(holders)


def erase_journal(db: CentralDB, event_id: str, erase_text: Callable[[str], str | None], *,
                  terminal_id: str | None, dry_run: bool) -> list[dict[str, Any]]:
    """Rewrite with ``erase_text`` (None: nothing to erase) the stored payloads of journal entries that name the
    event (a sale's or an exchange's order names it beside its customer), only ``terminal_id``'s when given. The
    entries changed: id, terminal_id, seq."""
    sql = "SELECT id, terminal_id, seq, payload FROM journal WHERE kind <> 'privacy.purge' AND payload LIKE ?"
    params: list[Any] = [f'%"{event_id}"%']
    if terminal_id is not None:
        sql += " AND terminal_id = ?"
        params.append(terminal_id)
    changed = []
    for r in db.all(sql, params):
        text = erase_text(r["payload"])
        if text is None:
            continue
        changed.append({"id": r["id"], "terminal_id": r["terminal_id"], "seq": int(r["seq"])})
        if not dry_run:
            set_payload(db, r["id"], text)
    return changed


def journal_entries(db: CentralDB, ids: list[str], terminal_id: str) -> list[dict[str, Any]]:
    """A terminal's entries among ``ids``, with every field their hash covers."""
    out: list[dict[str, Any]] = []
    for i in range(0, len(ids), 400):
        part = ids[i:i + 400]
        out += db.all("SELECT id, terminal_id, seq, kind, at, operator_id, payload, prev_hash FROM journal"
                      f" WHERE terminal_id = ? AND id IN ({', '.join('?' * len(part))})", (terminal_id, *part))
    return out


def set_payload(db: CentralDB, entry_id: str, text: str) -> None:
    db.execute("UPDATE journal SET payload = ? WHERE id = ?", (text, entry_id))


def record(db: CentralDB, row: dict[str, Any]) -> None:
    db.execute("INSERT INTO privacy_purges (id, event_id, at, origin, entry_id, status, detail)"
               " VALUES (?, ?, ?, ?, ?, ?, ?)", (row["id"], row["event_id"], row["at"], row.get("origin"),
                                                 row.get("entry_id"), row["status"], json.dumps(row["detail"])))


def purges(db: CentralDB, event_id: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT id, event_id, at, origin, entry_id, status, detail FROM privacy_purges"
    return db.all(sql + (" WHERE event_id = ? ORDER BY at" if event_id else " ORDER BY at"),
                  (event_id,) if event_id else ())


def event_start(db: CentralDB, event_id: str) -> str | None:
    row = db.one("SELECT starts_at FROM events WHERE id = ?", (event_id,))
    return None if row is None else str(row["starts_at"])


def purged_by_admin(db: CentralDB, event_id: str) -> bool:
    """Whether the central admin's own purge (no origin terminal) erased the event here."""
    return bool(db.scalar("SELECT count(*) AS n FROM privacy_purges WHERE event_id = ? AND origin IS NULL"
                          " AND status = 'done'", (event_id,)))
