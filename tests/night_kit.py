"""Helpers for the running-the-night tests: generated trading days, web orders, what the journal says, table dumps.

Not a test module (no tests here). Sales and refunds are made through the services on the test clock, so every one
of them is a journal entry the reports can be checked against.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import T0, ManualClock

from boxoffice.domain.clock import parse_iso
from boxoffice.domain.demand_bands import report_key
from boxoffice.domain.ids import uuid7
from boxoffice.domain.tenders import Tender
from boxoffice.services.context import Ctx
from boxoffice.store import journal
from boxoffice.store import operators as operator_store

TZ = "Europe/London"
TYPE_NAMES = {"adult": "Adult", "concession": "Concession", "child": "Child", "comp": "Complimentary"}
SELLERS = ("sam", "sue", "ada")


def act_as(ctx: Ctx, name: str) -> dict[str, Any]:
    """Make ``name`` the operator of the following service calls (no PIN: the login itself is tested elsewhere)."""
    op = operator_store.by_name(ctx.conn, name)
    assert op is not None, name
    ctx.set_operator(op)
    return op


def sell(ctx: Ctx, event: str, section: str, counts: dict[str, int], tender: str = "cash",
         **kw: Any) -> dict[str, Any]:
    """One sale through the service: ``tender`` is cash (100.00 a ticket handed over), card, split or comp."""
    from boxoffice.services.sales import SaleRequest
    from boxoffice.services.sales import sell as do_sell

    n = sum(counts.values())
    tenders = {"cash": [Tender("cash", amount=10_000 * n)],
               "card": [Tender("card", card_last4="4242")],
               "split": [Tender("card", amount=1_000, card_last4="1881"), Tender("cash", amount=10_000 * n)],
               "comp": [Tender("comp", reason="press night guest")]}[tender]
    return do_sell(ctx, SaleRequest(event_id=event, section_id=section, counts=counts, tenders=tenders,
                                    print_receipt=False, **kw))


def refund(ctx: Ctx, code: str, reason: str = "customer_request", tickets: list[str] | None = None) -> dict[str, Any]:
    from boxoffice.services.refunds import RefundRequest
    from boxoffice.services.refunds import refund as do_refund

    note = "generated" if reason == "other" else None
    return do_refund(ctx, RefundRequest(code=code, tickets=tickets, reason=reason, note=note, print_receipt=False))


@dataclass
class Night:
    """What a generated run of days made: order codes (with their event) in the order sold."""

    orders: list[dict[str, Any]]
    days: list[str]


def trading_days(ctx: Ctx, clock: ManualClock, events: tuple[str, str], days: int = 4, seed: int = 8,
                 hours: Iterable[int] = range(10, 19)) -> Night:
    """Several days of walk-up sales, a few orders every hour, by three operators, every tender and ticket type,
    both events and both sections. Ends with the clock at the last sale."""
    rng = random.Random(seed)
    made: list[dict[str, Any]] = []
    start = T0.replace(hour=0, minute=0)
    for d in range(days):
        for hour in hours:
            minutes = sorted(rng.sample(range(0, 60), rng.randint(2, 4)))
            for minute in minutes:
                clock.set(start + timedelta(days=d, hours=hour, minutes=minute, seconds=rng.randint(0, 59)))
                act_as(ctx, rng.choice(SELLERS))
                event = rng.choice(events)
                section = rng.choice(("stalls", "standing"))
                tender = rng.choice(("cash", "card", "card", "split"))
                counts = {t: rng.randint(1, 2) for t in rng.sample(["adult", "concession", "child"], rng.randint(1, 2))}
                if rng.random() < 0.05:
                    act_as(ctx, "ada")
                    counts, tender = {"comp": 1}, "comp"
                sold = sell(ctx, event, section, counts, tender)
                made.append({"code": sold["order"]["code"], "id": sold["order"]["id"], "event": event,
                             "at": clock.iso(), "tickets": len(sold["tickets"]), "total": sold["total"]})
    act_as(ctx, "ada")
    return Night(made, [(start + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(days)])


# --- what the journal says -------------------------------------------------------------------------------------


def _local(ts: str, fmt: str) -> str:
    from zoneinfo import ZoneInfo

    return parse_iso(ts).astimezone(ZoneInfo(TZ)).strftime(fmt)


def operator_names(ctx: Ctx) -> dict[str, str]:
    return {op["id"]: op["name"] for op in operator_store.list_all(ctx.conn)}


def entries(ctx: Ctx, kind: str) -> list[dict[str, Any]]:
    """The journal's entries of one kind, payloads parsed."""
    return [e | {"payload": json.loads(e["payload"])} for e in journal.iter_entries(ctx.conn, kind=kind)]


def event_names(ctx: Ctx) -> dict[str, str]:
    return {r[0]: r[1] for r in ctx.conn.execute("SELECT id, name FROM events")}


def sales_from_journal(ctx: Ctx, by: str, day: str | None = None) -> dict[str, tuple[int, int]]:
    """key -> (count, amount) from the `sale` entries, grouped as `report sales --by BY` groups."""
    names, events = operator_names(ctx), event_names(ctx)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in entries(ctx, "sale"):
        p = e["payload"]
        order = p["order"]
        if day and _local(order["created_at"], "%Y-%m-%d") != day:
            continue
        if by == "tender":
            for pay in p["payments"]:
                out[pay["tender"]][0] += 1
                out[pay["tender"]][1] += pay["amount"]
            continue
        made = order["created_at"]
        for t in p["tickets"]:
            key = {"type": TYPE_NAMES[t["ticket_type_id"]], "event": events[order["event_id"]],
                   "day": _local(made, "%Y-%m-%d"), "hour": _local(made, "%Y-%m-%d %H:00"),
                   "operator": names[e["operator_id"]], "channel": order["channel"],
                   "section": f"{order['event_id']}/{t['section_id']}"}[by]
            out[key][0] += 1
            out[key][1] += t["price"]
    return {k: (v[0], v[1]) for k, v in out.items()}


def refunds_from_journal(ctx: Ctx, by: str, day: str | None = None) -> dict[str, tuple[int, int, int, int]]:
    """key -> (refunds or payments, tickets, fees, amount) from the `refund` entries, as `report refunds` groups."""
    names, events = operator_names(ctx), event_names(ctx)
    order_event = {e["payload"]["order"]["id"]: e["payload"]["order"]["event_id"] for e in entries(ctx, "sale")}
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for e in entries(ctx, "refund"):
        r = e["payload"]["refund"]
        if day and _local(r["at"], "%Y-%m-%d") != day:
            continue
        if by == "tender":
            for pay in e["payload"]["payments"]:
                assert pay["kind"] == "refund"
                g = out[pay["tender"]]
                g[0] += 1
                g[3] += pay["amount"]
            continue
        key = {"reason": r["reason_code"], "operator": names[e["operator_id"]], "day": _local(r["at"], "%Y-%m-%d"),
               "event": events[order_event[r["order_id"]]], "band": report_key(r)}[by]
        g = out[key]
        g[0] += 1
        g[1] += len(e["payload"]["items"])
        g[2] += r["fee"]
        g[3] += r["amount"]
    return {k: tuple(v) for k, v in out.items()}  # type: ignore[misc]


# --- web orders --------------------------------------------------------------------------------------------------


class WebShop:
    """Stands in for the central service's web shop: its own signing key, and orders signed with it."""

    def __init__(self) -> None:
        from boxoffice.tickets import keys

        self.private, self.public = keys.generate_keypair()
        self.kid = keys.key_id(self.public)
        self.seq = 0

    def keys_doc(self) -> list[dict[str, str]]:
        from boxoffice.tickets import keys

        return [{"key_id": self.kid.hex(), "public_key": keys.public_b64(self.public), "owner": "central"}]

    def order(self, event: str, name: str, n: int, section: str = "standing") -> dict[str, Any]:
        from boxoffice.domain.codes import make_order_code
        from boxoffice.tickets.token import TicketClaims, sign_token

        self.seq += 1
        tickets = []
        for _ in range(n):
            tid = uuid7()
            tickets.append({"id": tid, "section_id": section, "ticket_type_id": "adult", "price": "22.50",
                            "token": sign_token(TicketClaims(tid, event, section, None, None), self.private,
                                                self.kid)})
        return {"id": uuid7(), "code": make_order_code("WQ7", self.seq), "event_id": event, "status": "paid",
                "customer": {"name": name}, "created_at": "2026-11-20T12:00:00Z", "tickets": tickets}

    def install(self, ctx: Ctx, orders: list[dict[str, Any]]) -> None:
        """Import the shop's key and these orders into a terminal (as an admin would with `keys/orders import`)."""
        from boxoffice.services.web_orders import import_keys, import_orders

        import_keys(ctx, self.keys_doc())
        import_orders(ctx, {"format": "boxoffice.orders/1", "source": "tests", "orders": orders})


# --- whole databases ---------------------------------------------------------------------------------------------


def dump(path: Path | str, skip: Iterable[str] = ()) -> dict[str, list[tuple]]:
    """Every row of every table of a database file, in a stable order, for row-by-row comparison."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dump_conn(conn, skip)
    finally:
        conn.close()


def dump_conn(conn: sqlite3.Connection, skip: Iterable[str] = ()) -> dict[str, list[tuple]]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE"
                                        " 'sqlite_%' AND name NOT LIKE 'order_search_%' ORDER BY name")]
    out = {}
    for name in names:
        if name in skip:
            continue
        out[name] = sorted((tuple(r) for r in conn.execute(f'SELECT * FROM "{name}"')), key=repr)
    return out


def tally(items: Iterable[str]) -> dict[str, int]:
    return dict(Counter(items))


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """The test clock's day ``day_offset`` (0: T0's day) at a UTC (= London, in December) time."""
    return T0.replace(hour=hour, minute=minute, second=0) + timedelta(days=day_offset)
