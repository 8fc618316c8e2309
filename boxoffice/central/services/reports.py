"""Report rows on the central database: every terminal's synced work and the web shop, in the shapes that
domain/reports.py groups (the same shapes store/reports.py reads from a terminal).

The rows come from central/store/reports.py; this module names, filters and counts them. Orders and tickets are in
the central tables. Payments, refunds, operators and door scans are only in the terminals' journal entries (the
central service stores every entry as it came): those are read from the journal and interpreted here. An entry's
payload is parsed in Python rather than with the database's JSON functions, because an entry the service kept but
could not read (flagged to its terminal) must not stop a report, and SQLite and PostgreSQL would each stop on it
differently.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from boxoffice.central.services.effects import order_id_of, ticket_ids_of
from boxoffice.central.store import ownership, terminals
from boxoffice.central.store import reports as queries
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.reports import ADMITTED, WITHDRAWN
from boxoffice.wire import codec

WEB = "web shop"  # what the by-terminal grouping calls orders that came from the web shop
# The demand a refund was priced at, as services/demand_fee.py records it on the refund row (domain.demand_bands).
DEMAND_FIELDS = ("demand_sold", "demand_capacity", "demand_band", "demand_from_bp", "demand_scale_bp")


def terminal_names(db: CentralDB) -> dict[str, str]:
    """Terminal id -> name, for every terminal ever enrolled (revoked ones too: their work stays)."""
    return terminals.names(db)


def operator_names(db: CentralDB) -> dict[str, str]:
    """Operator id -> name, from the terminals' ``operator.add`` entries (operator ids are unique everywhere)."""
    out: dict[str, str] = {}
    for text in queries.operator_add_payloads(db):
        p = _payload(text)
        if isinstance(p.get("operator"), str) and isinstance(p.get("name"), str):
            out[p["operator"]] = p["name"]
    return out


def _payload(text: str) -> dict[str, Any]:
    try:
        value = codec.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _entries(db: CentralDB, kinds: tuple[str, ...], since: str | None = None,
             until: str | None = None) -> list[dict[str, Any]]:
    """Journal entries of some kinds (by the entry's time, a little wider than the window asked, since a payment
    or refund inside may carry its own time), payloads parsed; unreadable payloads read as empty."""
    return [r | {"payload": _payload(r["payload"])} for r in queries.journal_entries(db, kinds, since, until)]


def _orders(db: CentralDB) -> dict[str, dict[str, Any]]:
    return queries.orders_by_id(db)


def ticket_rows(db: CentralDB, info: dict[str, Any], event: str | None = None, since: str | None = None,
                until: str | None = None, paid: bool = True) -> list[dict[str, Any]]:
    """Every ticket of every paid order in the window (by the order's time), sold anywhere, with the names people
    read (``paid`` False: the valid tickets of unpaid orders instead, which are no sale until paid).

    ``paid_by`` is None for a terminal's sale (its payments are in the terminals' journal) and for a web order paid
    at a desk (``order.paid``), and the channel for the web shop's orders, whose money the web shop took.
    """
    rows = queries.order_tickets(db, event, since, until, paid)
    names, ops = terminal_names(db), operator_names(db)
    seller: dict[str, str] = {}
    # A web order paid at a desk: its payments are in that terminal's journal (``order.paid``), not the web shop's.
    desk_paid = {e["payload"].get("order") for e in _entries(db, ("order.paid",))}
    for e in _entries(db, ("sale", "exchange")):
        order = e["payload"].get("order")
        if isinstance(order, dict) and isinstance(order.get("id"), str) and e["operator_id"]:
            seller[order["id"]] = e["operator_id"]
    evs = info["events"]
    out = []
    for r in rows:
        ev = evs.get(r["event_id"], {})
        op = seller.get(r["order_id"])
        out.append(r | {"event_name": ev.get("event", {}).get("name"), "timezone": ev.get("event", {}).get("timezone"),
                        "type_name": ev.get("types", {}).get(r["ticket_type_id"], r["ticket_type_id"]),
                        "operator": ops.get(op, op) if op else "-",
                        "terminal": names.get(r["terminal_id"], r["terminal_id"]) if r["terminal_id"] else WEB,
                        "paid_by": None if r["terminal_id"] or r["order_id"] in desk_paid else r["channel"]})
    return out


def exchange_credits(db: CentralDB, event: str | None = None, since: str | None = None,
                     until: str | None = None) -> list[dict[str, Any]]:
    """Per exchange any terminal journalled: the part of its new tickets paid by the old tickets' value (the new
    total less what the customer paid on top), as store/reports.exchange_credits reads it on a terminal."""
    orders, names = _orders(db), terminal_names(db)
    out = []
    for e in _entries(db, ("exchange",)):
        x = e["payload"].get("exchange")
        if not isinstance(x, dict):
            continue
        order, at = orders.get(x.get("to_order_id")), x.get("at")  # type: ignore[arg-type]
        new_total, diff = x.get("new_total"), x.get("difference")
        if order is None or not isinstance(at, str) or not isinstance(new_total, int) or not isinstance(diff, int):
            continue
        if (event and order["event_id"] != event) or (since and at < since) or (until and at >= until):
            continue
        amount = new_total - max(diff, 0)
        if amount > 0:
            out.append({"id": x.get("id"), "at": at, "amount": amount, "currency": order["currency"],
                        "terminal": names.get(e["terminal_id"], e["terminal_id"])})
    return sorted(out, key=lambda c: c["at"])


def payment_rows(db: CentralDB, event: str | None = None, since: str | None = None,
                 until: str | None = None) -> list[dict[str, Any]]:
    """Every payment and refund payment the terminals journalled, in the window by the payment's own time.

    Only payments of orders the central service holds are counted, so an entry kept but not applied adds nothing.
    """
    orders, names = _orders(db), terminal_names(db)
    out = []
    for e in _entries(db, ("sale", "refund", "exchange", "order.paid")):
        pays = e["payload"].get("payments")
        for p in pays if isinstance(pays, list) else []:
            if not isinstance(p, dict) or p.get("kind") not in ("payment", "refund"):
                continue
            order = orders.get(p.get("order_id"))  # type: ignore[arg-type]
            at = p.get("created_at")
            if order is None or not isinstance(at, str) or not isinstance(p.get("amount"), int):
                continue
            if (event and order["event_id"] != event) or (since and at < since) or (until and at >= until):
                continue
            out.append({"kind": p["kind"], "tender": str(p.get("tender")), "amount": p["amount"], "created_at": at,
                        "event_id": order["event_id"], "currency": order["currency"],
                        "terminal": names.get(e["terminal_id"], e["terminal_id"])})
    return sorted(out, key=lambda p: p["created_at"])


def refund_rows(db: CentralDB, info: dict[str, Any], event: str | None = None, since: str | None = None,
                until: str | None = None) -> list[dict[str, Any]]:
    """Every refund, and every exchange that paid money back, one row each (as store/reports.refund_rows)."""
    orders, names, ops = _orders(db), terminal_names(db), operator_names(db)
    evs = info["events"]
    out = []
    for e in _entries(db, ("refund", "exchange")):
        p = e["payload"]
        if e["kind"] == "refund":
            r = p.get("refund") if isinstance(p.get("refund"), dict) else {}
            items = p.get("items") if isinstance(p.get("items"), list) else []
            row = {"source": "refund", "id": r.get("id"), "at": r.get("at"), "reason": r.get("reason_code"),
                   "amount": r.get("amount"), "fee": r.get("fee"), "override": r.get("override"),
                   "order_id": r.get("order_id"), "operator_id": r.get("operator_id"), "tickets": len(items)} \
                | {k: r[k] for k in DEMAND_FIELDS if isinstance(r.get(k), int)}  # the band that set the fee
        else:
            x = p.get("exchange") if isinstance(p.get("exchange"), dict) else {}
            diff = x.get("difference")
            if not isinstance(diff, int) or diff >= 0:
                continue
            row = {"source": "exchange", "id": x.get("id"), "at": x.get("at"), "reason": "exchange", "amount": -diff,
                   "fee": 0, "override": x.get("override"), "order_id": x.get("from_order_id"),
                   "operator_id": x.get("operator_id"), "tickets": 0}
        order = orders.get(row["order_id"])
        if order is None or not isinstance(row["at"], str) or not all(
                isinstance(row[k], int) for k in ("amount", "fee", "override")):
            continue
        if (event and order["event_id"] != event) or (since and row["at"] < since) or (until and row["at"] >= until):
            continue
        ev = evs.get(order["event_id"], {}).get("event", {})
        op = row.pop("operator_id")
        out.append(row | {"reason": str(row["reason"]), "event_id": order["event_id"], "event_name": ev.get("name"),
                          "timezone": ev.get("timezone"), "currency": order["currency"],
                          "operator": ops.get(op, op) if isinstance(op, str) else "-",
                          "terminal": names.get(e["terminal_id"], e["terminal_id"])})
    return sorted(out, key=lambda r: r["at"])


def pickup_rows(db: CentralDB, event: str | None = None) -> list[dict[str, Any]]:
    """Valid tickets of orders handed out at a desk (every channel but the box office), and whether they are paid."""
    return [{"id": r["id"], "event_id": r["event_id"], "channel": r["channel"], "paid": r["status"] != "unpaid"}
            for r in queries.desk_tickets(db, event)]


def handout_rows(db: CentralDB, tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every desk's handout of each of ``tickets``, from the terminals' ``pickup`` entries: one row per ticket and
    desk, at its first time.

    Read from the journal rather than from the claims, which keep only the first desk: a ticket two desks handed out
    while cut off from each other is each desk's work. An entry that named no tickets handed out its whole order.
    """
    known = {t["id"] for t in tickets}
    by_order: dict[str, list[str]] = {}
    if known:
        for r in queries.desk_tickets(db):
            by_order.setdefault(r["order_id"], []).append(r["id"])
    names = terminal_names(db)
    first: dict[tuple[str, str], str] = {}
    for e in _entries(db, ("pickup",)):
        p = e["payload"]
        at = p.get("at") if isinstance(p.get("at"), str) else e["at"]
        ids = ticket_ids_of(p) or by_order.get(order_id_of(p) or "", [])
        for tid in ids:
            if tid in known:
                key = (tid, e["terminal_id"])
                first[key] = min(first.get(key, at), at)
    return [{"ticket_id": tid, "terminal_id": term, "terminal": names.get(term, term), "at": at}
            for (tid, term), at in first.items()]


def checkin_minutes(db: CentralDB, event: str | None = None) -> list[dict[str, Any]]:
    """Door scans from every terminal's journal, counted per event, UTC minute, result, direction and terminal.

    Admissions and exits are ``checkin`` entries; refused scans are ``scan.refused`` entries (their result is the
    refusal's code). An admission the admin withdrew from a revoked terminal (`central withdraw-checkins`) is
    ``withdrawn``: nobody came in with it.
    """
    names = terminal_names(db)
    withdrawn = ownership.withdrawn_entries(db)
    counts: Counter[tuple[str, str, str, str, str]] = Counter()
    for e in _entries(db, ("checkin", "scan.refused")):
        p = e["payload"]
        ev, at = p.get("event"), p.get("at") if isinstance(p.get("at"), str) else e["at"]
        if not isinstance(ev, str) or (event and ev != event):
            continue
        if e["kind"] != "checkin":
            result = str(p.get("result") or "refused")
        else:
            result = WITHDRAWN if e["id"] in withdrawn else ADMITTED
        direction = "out" if p.get("direction") in ("out", "exit") else "in"
        counts[(ev, at[:16], result, direction, names.get(e["terminal_id"], e["terminal_id"]))] += 1
    return [{"event_id": k[0], "minute": k[1], "result": k[2], "direction": k[3], "terminal": k[4], "n": n}
            for k, n in sorted(counts.items())]
