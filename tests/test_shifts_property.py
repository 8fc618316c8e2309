"""A property over random nights: sales, refunds, exchanges, cash in and out, drawer kicks, shift closes, by two
people with a drawer each, while the clock runs through the refund tiers and past the start.

After every step, for every shift:
- the X or Z report's totals by tender, by ticket type and for the drawer equal what the journal's entries say
  (recomputed here from the payloads alone, not from the tables the reports read);
- the drawer's expected cash equals a model kept here from what was physically handed over and back;
and at the end the places add up, every non-valid ticket is revoked, and `audit verify` finds nothing wrong.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import DB_NAME, PINS, T0, ManualClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boxoffice.config import load
from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import audit, shifts
from boxoffice.services.context import Ctx
from boxoffice.services.exchanges import ExchangeRequest, assess, exchange
from boxoffice.services.opening import open_terminal
from boxoffice.services.refunds import RefundRequest, refund
from boxoffice.services.sales import SaleRequest, quote, sell
from boxoffice.store import operators as operator_store
from boxoffice.store.db import rows

GALA_START = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)  # the first demo event, as dated from T0
PEOPLE = ("sue", "ada")  # both may refund above the limit and override: every step is allowed by role
# Refusals a random step may meet; anything else is a bug.
EXPECTED_REFUSALS = {"sold_out", "seat_unavailable", "not_enough_together", "already_refunded", "conflict",
                     "insufficient_payment", "bad_input", "over_limit"}

people = st.sampled_from(PEOPLE)
counts = st.dictionaries(st.sampled_from(["adult", "concession", "child"]), st.integers(1, 3), min_size=1,
                         max_size=2)
pay = st.sampled_from(["cash_exact", "cash_change", "card", "split"])
sells = st.tuples(st.just("sell"), people, st.integers(0, 1), st.sampled_from(["stalls", "standing"]), counts, pay)
refunds = st.tuples(st.just("refund"), people, st.integers(0, 50), st.integers(0, 7))
exchanges = st.tuples(st.just("exchange"), people, st.integers(0, 50), st.integers(0, 7), st.integers(0, 1),
                      st.sampled_from(["stalls", "standing"]), pay)
steps = st.one_of(  # listed twice: sales, refunds and exchanges come up more often than the rest
    sells, sells, refunds, refunds, exchanges, exchanges,
    st.tuples(st.just("cash"), people, st.sampled_from(["in", "out"]), st.integers(1, 20000)),
    st.tuples(st.just("drawer"), people),
    st.tuples(st.just("close"), people, st.integers(-2000, 2000), st.integers(0, 30000)),
    st.tuples(st.just("wait"), st.sampled_from([1, 30, 60, 100, 140])),
)


class Night:
    """A terminal copied from the session's template, the model of each drawer, and the checks."""

    def __init__(self, template: Path) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="night-"))
        for item in template.iterdir():
            shutil.copy2(item, self.dir / item.name)
        self.clock = ManualClock(T0)
        self.ctx: Ctx = open_terminal(load(db=str(self.dir / DB_NAME)), self.clock)
        self.ops = {name: operator_store.by_name(self.ctx.conn, name) for name in PEOPLE}
        self.events = [e["id"] for e in rows(self.ctx.conn, "SELECT id FROM events ORDER BY starts_at")]
        self.drawer: dict[str, int] = {}   # shift id -> cash that should be in it, from what changed hands
        self.orders: list[str] = []
        for name in PEOPLE:
            self.as_(name)
            self.drawer[shifts.open_shift(self.ctx, 10000)["id"]] = 10000

    def close(self) -> None:
        self.ctx.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def as_(self, name: str) -> None:
        """Switch who is at the window (their PINs were checked when the template was built)."""
        self.ctx.set_operator(self.ops[name])

    def shift_of(self, name: str) -> str:
        shift = shifts.current(self.ctx, self.ops[name]["id"])
        assert shift is not None
        return shift["id"]

    def tenders(self, mode: str, due: int) -> tuple[list[Tender], int]:
        """Tenders for ``due`` and the cash handed over."""
        if mode == "cash_exact":
            return [Tender("cash", due)], due
        if mode == "cash_change":
            handed = (due // 1000 + 1) * 1000
            return [Tender("cash", handed)], handed
        if mode == "card":
            return [Tender("card", None, "4242")], 0
        card = due // 3
        return [Tender("card", card, "1111"), Tender("cash", due - card)], due - card

    def cash_kept(self, payments: list[dict[str, Any]], handed: int) -> int:
        """Cash into the drawer: handed over less the change given back (checked against the tender rows)."""
        change = sum(p["change"] or 0 for p in payments if p["tender"] == "cash")
        assert sum(p["amount"] for p in payments if p["tender"] == "cash") == handed - change
        return handed - change

    def step(self, s: tuple) -> None:
        kind = s[0]
        if kind == "wait":
            self.clock.advance(hours=s[1])
            return
        name = s[1]
        self.as_(name)
        sid = self.shift_of(name)
        try:
            if kind == "sell":
                _, _, ev, section, cnt, mode = s
                due = quote(self.ctx, self.events[ev], section, cnt)["total"]
                tenders, handed = self.tenders(mode, due)
                out = sell(self.ctx, SaleRequest(self.events[ev], section, cnt, tenders))
                self.drawer[sid] += self.cash_kept(out["payments"], handed)
                self.orders.append(out["order"]["code"])
            elif kind == "refund" and self.live():
                _, _, pick, mask = s
                code = self.live()[pick % len(self.live())]
                out = refund(self.ctx, RefundRequest(code, tickets=self.some(code, mask)))
                self.drawer[sid] -= sum(p["amount"] for p in out["payments"] if p["tender"] == "cash")
            elif kind == "exchange" and self.live():
                _, _, pick, mask, ev, section, mode = s
                code = self.live()[pick % len(self.live())]
                req = ExchangeRequest(code, tickets=self.some(code, mask), event_id=self.events[ev],
                                      section_id=section)
                diff = assess(self.ctx, req)["difference"]
                handed = 0
                if diff > 0:
                    req.tenders, handed = self.tenders(mode, diff)
                out = exchange(self.ctx, req)
                self.drawer[sid] += self.cash_kept(out["payments"], handed) if diff > 0 else 0
                self.drawer[sid] -= sum(p["amount"] for p in out["refunds"] if p["tender"] == "cash")
                self.orders.append(out["order"]["code"])
            elif kind == "cash":
                _, _, direction, amount = s
                shifts.cash_move(self.ctx, direction, amount, "test")
                self.drawer[sid] += amount if direction == "in" else -amount
            elif kind == "drawer":
                shifts.drawer_open(self.ctx, "no sale")
            elif kind == "close":
                _, _, variance, new_float = s
                counted = max(0, self.drawer[sid] + variance)
                other = next(p for p in PEOPLE if p != name)  # nobody approves their own drawer's variance
                z = shifts.close_shift(self.ctx, counted, note="a random night", supervisor=(other, PINS[other]))
                assert (z["cash"]["expected"], z["cash"]["variance"]) == (self.drawer[sid], counted - self.drawer[sid])
                self.drawer[shifts.open_shift(self.ctx, new_float)["id"]] = new_float
        except BoxOfficeError as exc:
            assert exc.code in EXPECTED_REFUSALS, f"{s}: {exc.code}: {exc.message}"

    def live(self) -> list[str]:
        """Orders that still have a valid ticket, oldest first."""
        codes = {r["code"] for r in rows(self.ctx.conn, "SELECT DISTINCT o.code FROM orders o JOIN tickets t"
                                                        " ON t.order_id = o.id WHERE t.status = 'valid'")}
        return [c for c in self.orders if c in codes]

    def some(self, code: str, mask: int) -> list[str] | None:
        """Some of an order's valid tickets (a bit mask over them), or None for all."""
        valid = [t["id"] for t in rows(self.ctx.conn, "SELECT t.id FROM tickets t JOIN orders o ON o.id = t.order_id"
                                                      " WHERE o.code = ? AND t.status = 'valid' ORDER BY t.rowid",
                                       (code,))]
        chosen = [t for i, t in enumerate(valid) if mask >> i & 1]
        return chosen or None

    # -- the checks --------------------------------------------------------------------------------------------

    def from_journal(self) -> dict[str, dict[str, Any]]:
        """Per shift, the sums of the journal's own copies of what happened."""
        out: dict[str, dict[str, Any]] = defaultdict(lambda: {"tender": defaultdict(int), "count": defaultdict(int),
                                                              "types": defaultdict(int), "cash": defaultdict(int)})
        ticket_types: dict[str, tuple[str, int]] = {}
        for e in rows(self.ctx.conn, "SELECT kind, payload FROM journal ORDER BY seq"):
            p = json.loads(e["payload"])
            for t in p.get("tickets", []) if e["kind"] in ("sale", "exchange") else []:
                ticket_types[t["id"]] = (t["ticket_type_id"], t["price"])
            if e["kind"] in ("sale", "refund", "exchange"):
                for pay_row in p["payments"]:
                    if pay_row["shift_id"]:
                        key = (pay_row["kind"], pay_row["tender"])
                        out[pay_row["shift_id"]]["tender"][key] += pay_row["amount"]
                        out[pay_row["shift_id"]]["count"][key] += 1
            if e["kind"] == "sale":
                shift_ids = {x["shift_id"] for x in p["payments"]}
                for sid in shift_ids - {None}:
                    for t in p["tickets"]:
                        out[sid]["types"][("sold", t["ticket_type_id"])] += t["price"]
            elif e["kind"] == "refund" and p["refund"]["shift_id"]:
                for item in p["items"]:
                    tt, _ = ticket_types[item["ticket_id"]]
                    out[p["refund"]["shift_id"]]["types"][("refunded", tt)] += item["amount"]
            elif e["kind"] == "exchange" and p["exchange"]["shift_id"]:
                sid = p["exchange"]["shift_id"]
                for tid in p["old_tickets"]:
                    tt, price = ticket_types[tid]
                    out[sid]["types"][("exchanged_out", tt)] += price
                for t in p["tickets"]:
                    out[sid]["types"][("exchanged_in", t["ticket_type_id"])] += t["price"]
            elif e["kind"] in ("cash.in", "cash.out"):
                m = p["movement"]
                out[m["shift_id"]]["cash"][m["kind"]] += m["amount"]
            elif e["kind"] == "shift.open":
                out[p["shift"]["id"]]["cash"]["float"] = p["shift"]["float"]
        return out

    def check(self) -> None:
        journal = self.from_journal()
        for shift in rows(self.ctx.conn, "SELECT * FROM shifts"):
            z = shifts.report(self.ctx, shift)
            j = journal[shift["id"]]
            for t in z["tenders"]:
                assert t["sales_amount"] == j["tender"][("payment", t["tender"])]
                assert t["refund_amount"] == j["tender"][("refund", t["tender"])]
                assert t["sales"] == j["count"][("payment", t["tender"])]
                assert t["refunds"] == j["count"][("refund", t["tender"])]
            assert sum(t["sales_amount"] + t["refund_amount"] for t in z["tenders"]) == sum(j["tender"].values())
            for t in z["types"]:
                for what in ("sold", "refunded", "exchanged_out", "exchanged_in"):
                    assert t[f"{what}_amount"] == j["types"][(what, t["type"])], (what, t)
            assert sum(t[f"{w}_amount"] for t in z["types"] for w in ("sold", "refunded", "exchanged_out",
                                                                       "exchanged_in")) == sum(j["types"].values())
            cash = z["cash"]
            assert (cash["float"], cash["in"], cash["out"]) == (j["cash"]["float"], j["cash"]["in"], j["cash"]["out"])
            assert (cash["sales"], cash["refunds"]) == (j["tender"][("payment", "cash")],
                                                        j["tender"][("refund", "cash")])
            assert cash["expected"] == cash["float"] + cash["sales"] - cash["refunds"] + cash["in"] - cash["out"]
            assert cash["expected"] == self.drawer[shift["id"]], "the drawer's expected cash is wrong"

    def check_end(self) -> None:
        for ev in self.events:
            sold = rows(self.ctx.conn, "SELECT sold FROM sections WHERE event_id = ? AND id = 'standing'", (ev,))[0]
            valid = rows(self.ctx.conn, "SELECT count(*) AS n FROM tickets WHERE event_id = ? AND"
                                        " section_id = 'standing' AND status = 'valid'", (ev,))[0]
            assert sold["sold"] == valid["n"]
            seats = {r["ticket_id"] for r in rows(self.ctx.conn, "SELECT ticket_id FROM seats WHERE event_id = ?"
                                                                 " AND status = 'sold'", (ev,))}
            seated = {r["id"] for r in rows(self.ctx.conn, "SELECT id FROM tickets WHERE event_id = ? AND"
                                                           " row IS NOT NULL AND status = 'valid'", (ev,))}
            assert seats == seated
        gone = {r["id"] for r in rows(self.ctx.conn, "SELECT id FROM tickets WHERE status <> 'valid'")}
        assert gone == {r["ticket_id"] for r in rows(self.ctx.conn, "SELECT ticket_id FROM revocations")}
        self.as_("sue")
        assert audit.verify(self.ctx)["ok"]


@pytest.fixture(scope="module")
def template(_template_terminal: Path) -> Path:
    return _template_terminal


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=st.lists(steps, min_size=6, max_size=40))
def test_reports_always_match_the_journal_and_the_drawer(template: Path, plan: list[tuple]) -> None:
    night = Night(template)
    opening = [("sell", "sue", 0, "stalls", {"adult": 2, "child": 1}, "split"),
               ("sell", "ada", 1, "standing", {"adult": 3}, "cash_change")]
    try:
        for s in opening + plan:
            night.step(s)
            night.check()
        night.check_end()
    finally:
        night.close()


def test_a_night_crossing_every_tier_and_the_start(template: Path) -> None:
    """One long fixed night, so the property's ground is covered whatever the random plans happen to be."""
    night = Night(template)
    try:
        plan: list[tuple] = []
        for i in range(12):
            who = PEOPLE[i % 2]
            plan += [("sell", who, i % 2, ["stalls", "standing"][i % 2], {"adult": 2, "child": 1}, "split"),
                     ("refund", who, i, 1), ("exchange", who, i + 3, 2, (i + 1) % 2, "stalls", "cash_change"),
                     ("cash", who, "in" if i % 3 else "out", 1500), ("drawer", who), ("wait", 30)]
            if i % 4 == 3:
                plan.append(("close", who, -150, 5000))
        for s in plan:
            night.step(s)
            night.check()
        night.check_end()
        assert night.clock() > GALA_START  # the last refunds were overrides after the start
        kinds = {r["kind"] for r in rows(night.ctx.conn, "SELECT DISTINCT kind FROM journal")}
        assert {"sale", "refund", "exchange", "cash.in", "cash.out", "drawer.open", "shift.close"} <= kinds
        assert rows(night.ctx.conn, "SELECT count(*) AS n FROM refunds WHERE fee > 0")[0]["n"] > 0
        assert rows(night.ctx.conn, "SELECT count(*) AS n FROM refunds WHERE override = 1")[0]["n"] > 0
    finally:
        night.close()
