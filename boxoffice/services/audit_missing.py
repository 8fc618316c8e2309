"""Money records the journal wrote that are gone: ``audit verify`` checked each row against its journal copy, but
not each copy against a row. Someone with a shell could then delete a cash sale's payment, or a cash-in, and the
drawer would expect less while the audit said all was well.

Each record below is written in the same transaction as the entry that carries its copy, so a copy with no row
means the row was deleted by hand (``missing``). Entries a recovery could not rebuild (``sync recover`` lists them
in its ``recover`` entry as ``not_rebuilt``) never had their rows here, and are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from boxoffice.i18n import _
from boxoffice.store import audit_records as store

# entry kind -> (payload key, table) of the records it wrote
WRITES: dict[str, tuple[tuple[str, str], ...]] = {
    "sale": (("order", "orders"), ("payments", "payments")),
    "exchange": (("exchange", "exchanges"), ("order", "orders"), ("payments", "payments")),
    "refund": (("refund", "refunds"), ("payments", "payments")),
    "order.paid": (("payments", "payments"),),
    "cash.in": (("movement", "cash_movements"),),
    "cash.out": (("movement", "cash_movements"),),
    "drawer.open": (("movement", "cash_movements"),),
    "shift.open": (("shift", "shifts"),),
}
TABLES = tuple(sorted({table for pairs in WRITES.values() for _key, table in pairs}))


def _not_rebuilt(entries: Sequence[Mapping[str, Any]]) -> set[int]:
    """The entries a recovery replayed without rebuilding their rows."""
    seqs: set[int] = set()
    for e in entries:
        if e["kind"] != "recover":
            continue
        try:
            notes = json.loads(e["payload"]).get("not_rebuilt") or []
            seqs.update(int(n["seq"]) for n in notes if isinstance(n, dict) and isinstance(n.get("seq"), int))
        except (ValueError, TypeError, AttributeError):
            continue
    return seqs


def missing(entries: Sequence[Mapping[str, Any]], present: Mapping[str, set[str]]) -> list[dict[str, Any]]:
    """Each record an entry wrote whose row is not in ``present`` (table -> ids). Pure."""
    skip = _not_rebuilt(entries)
    out: list[dict[str, Any]] = []
    for e in entries:
        pairs = WRITES.get(e["kind"])
        if pairs is None or e["seq"] in skip:
            continue
        try:
            payload = json.loads(e["payload"])
        except (ValueError, TypeError):
            continue  # an entry edited into bad JSON is reported by the chain already
        if not isinstance(payload, dict):
            continue
        for key, table in pairs:
            value = payload.get(key)
            for record in value if isinstance(value, list) else [value]:
                if isinstance(record, dict) and isinstance(record.get("id"), str) \
                        and record["id"] not in present.get(table, set()):
                    out.append({"seq": e["seq"], "id": record["id"], "kind": "missing",
                                "problem": _("{table} row {id}, written with entry {seq} ({kind}), is gone (deleted "
                                             "by hand?)").format(table=table, id=record["id"], seq=e["seq"],
                                                                 kind=e["kind"])})
    return out


def check(conn: Any, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """:func:`missing` against this database's rows."""
    return missing(entries, store.ids_in(conn, TABLES))
