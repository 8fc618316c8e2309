"""The central SQL of privacy purges: which tables hold customers' personal data, erasing one event's, and the
record of each purge.

``PERSONAL`` is the registry a purge walks, one line per table; a table this database does not have (such as
``ticket_holders`` before the release that adds real-name tickets) is skipped, so adding one is one line here.
The feed (``changes.private_body``, schema version 7) and the terminals' journals are handled below, because their
personal data sits inside JSON text.

Each eraser takes a ``terminal_id`` scope: the admin's purge passes None (the whole event); a terminal's pushed
purge passes the sender, and then only the orders that terminal sold (their holders, customer keys and feed
bodies) are touched: a terminal's word reaches no web order and no other terminal's customers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from boxoffice.central.store import meta
from boxoffice.central.store.db import CentralDB
from boxoffice.central.store.feed import CUSTOMER_KINDS


@dataclass(frozen=True)
class Personal:
    """A table's personal columns, the condition that picks one event's rows (``?`` is the event id) and the one
    that keeps, of those, the orders one terminal sold (``?`` is the terminal id)."""

    table: str
    columns: tuple[str, ...]
    where: str
    own: str


OWN_ORDER = "order_id IN (SELECT id FROM orders WHERE terminal_id = ?)"
PERSONAL: tuple[Personal, ...] = (
    Personal("orders", ("customer_name", "email", "phone", "notes"), "event_id = ?", "terminal_id = ?"),
    Personal("ticket_holders", ("name", "id_hash", "id_last4", "binding"),
             "ticket_id IN (SELECT id FROM tickets WHERE event_id = ?)", OWN_ORDER),
)
KEEP_DAYS_KEY = "privacy_keep_days"  # in ``meta``: the venue's keep_days here, the floor of a terminal's purge


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


def erase_tables(db: CentralDB, event_id: str, *, dry_run: bool, terminal_id: str | None = None) -> dict[str, int]:
    """Empty the personal columns of one event's rows in each registered table here (of ``terminal_id``'s orders
    only, when given): rows per table that held something (``dry_run`` only counts)."""
    counts: dict[str, int] = {}
    scope = [event_id] if terminal_id is None else [event_id, terminal_id]
    for p in PERSONAL:
        if not _exists(db, p.table):
            continue
        known = _columns(db, p.table)
        cols = [c for c in p.columns if c in known]
        if not cols:
            continue
        picks = f"({p.where})" + ("" if terminal_id is None else f" AND ({p.own})")
        holding = " OR ".join(f"({c} IS NOT NULL AND {c} <> '')" for c in cols)
        n = int(db.scalar(f"SELECT count(*) AS n FROM {p.table} WHERE {picks} AND ({holding})", scope) or 0)
        if n and not dry_run:
            sets = ", ".join(f"{c} = {EMPTY if known[c] else 'NULL'}" for c in cols)  # NOT NULL keeps ''
            db.execute(f"UPDATE {p.table} SET {sets} WHERE {picks} AND ({holding})", scope)
        if n:
            counts[p.table] = n
    if _exists(db, "customer_keys"):  # keyed hashes a limit per customer counted by: a past event needs none
        picks = "event_id = ?" + ("" if terminal_id is None else f" AND {OWN_ORDER}")
        n = int(db.scalar(f"SELECT count(*) AS n FROM customer_keys WHERE {picks}", scope) or 0)
        if n:
            counts["customer_keys"] = n
            if not dry_run:
                db.execute(f"DELETE FROM customer_keys WHERE {picks}", scope)
    return counts


def _body(text: str) -> dict[str, Any]:
    """A feed body as an object ({} for one that cannot be read, nested past the reader's depth included): one
    odd body must not stop the purge of everything else."""
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


def _order_of(body: dict[str, Any]) -> dict[str, Any]:
    order = body.get("order")
    return order if isinstance(order, dict) else {}


def erase_feed(db: CentralDB, event_id: str, *, dry_run: bool, terminal_id: str | None = None) -> int:
    """Drop the private bodies (those with customer data) of the event's order changes, so every terminal pulls
    the public body from now on, and the event's real-name holder changes whole; of ``terminal_id``'s own sales
    only, when given. How many changes held data."""
    kinds = ", ".join(f"'{k}'" for k in CUSTOMER_KINDS)

    def ours(order: dict[str, Any]) -> bool:
        return order.get("event_id") == event_id and (terminal_id is None or order.get("terminal_id") == terminal_id)

    found = [r["pos"] for r in db.all(f"SELECT pos, body FROM changes WHERE kind IN ({kinds})"
                                      " AND private_body IS NOT NULL AND body LIKE ?", (f"%{event_id}%",))
             if ours(_order_of(_body(r["body"])))]
    if found and not dry_run:
        for pos in found:
            db.execute("UPDATE changes SET private_body = NULL WHERE pos = ?", (pos,))
    keyed = [(r["pos"], body) for r in db.all(f"SELECT pos, body FROM changes WHERE kind IN ({kinds})"
                                              " AND body LIKE ? AND body LIKE '%customer_keys%'", (f"%{event_id}%",))
             if ours(_order_of(body := _body(r["body"]))) and body.get("customer_keys")]
    if keyed and not dry_run:  # the order's customers as keyed hashes: an empty list, as the feed's schema allows
        for pos, body in keyed:
            db.execute("UPDATE changes SET body = ? WHERE pos = ?", (json.dumps({**body, "customer_keys": []}), pos))
    # real-name holders go only to doors and pickup desks, as a change of their own: it goes whole (a terminal's
    # feed has gaps anyway, where changes meant for others are), so none that enrolls later receives the names
    own = None if terminal_id is None else {r["id"] for r in db.all(
        "SELECT id FROM orders WHERE event_id = ? AND terminal_id = ?", (event_id, terminal_id))}
    holders = []
    for r in db.all("SELECT pos, body FROM changes WHERE kind = 'holders' AND body LIKE ?", (f"%{event_id}%",)):
        rows = [h for h in _body(r["body"]).get("holders") or [] if isinstance(h, dict)
                and h.get("event_id") == event_id]
        if rows and (own is None or all(h.get("order_id") in own for h in rows)):
            holders.append(r["pos"])
    if holders and not dry_run:
        for pos in holders:
            db.execute("DELETE FROM changes WHERE pos = ?", (pos,))
    return len(found) + len(holders)


def erase_journal(db: CentralDB, event_id: str, erase_text: Callable[[str], str | None], *,
                  terminal_id: str | None, dry_run: bool,
                  skipped: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Rewrite with ``erase_text`` (None: nothing to erase) the stored payloads of journal entries that name the
    event (a sale's or an exchange's order names it beside its customer), only ``terminal_id``'s when given. The
    entries changed: id, terminal_id, seq. An entry ``erase_text`` cannot erase (it raises ValueError: a payload
    nested too deep) is left as it is and noted in ``skipped``, and the rest goes on."""
    sql = "SELECT id, terminal_id, seq, payload FROM journal WHERE kind <> 'privacy.purge' AND payload LIKE ?"
    params: list[Any] = [f'%"{event_id}"%']
    if terminal_id is not None:
        sql += " AND terminal_id = ?"
        params.append(terminal_id)
    changed = []
    for r in db.all(sql, params):
        try:
            text = erase_text(r["payload"])
        except ValueError:
            if skipped is not None:
                skipped.append({"id": r["id"], "terminal_id": r["terminal_id"], "seq": int(r["seq"])})
            continue
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


def keep_days(db: CentralDB) -> str | None:
    """The venue's keep_days as the central admin set it here (``meta``), or None when never set."""
    return meta.get(db, KEEP_DAYS_KEY)


def set_keep_days(db: CentralDB, days: int) -> None:
    meta.put(db, KEEP_DAYS_KEY, str(days))
