"""The allocation invariant under random schedules, against the central functions in process (SQLite): terminals
granted places, selling, refunding, releasing, pulling grants and pushing releases with random cuts (a pull or a
push lost, or repeated), and the web shop selling. After every step, per section: web sold + allocations + free =
capacity, each terminal's central allocation matches what it holds plus what is on its way, nothing oversold."""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from boxoffice.central import allocations, catalog, schema, weborders
from boxoffice.central.db import connect
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError

NOW = "2025-01-01T10:00:00Z"
TERMINALS = 3
STEPS = int(os.environ.get("BOXOFFICE_ALLOC_STEPS", "30"))
EXAMPLES = int(os.environ.get("BOXOFFICE_ALLOC_EXAMPLES", "200"))
_refs = itertools.count()


class Allocations(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        from datetime import date

        from boxoffice.services.demo_catalog import demo_catalog

        self.dir = tempfile.TemporaryDirectory()
        self.db = connect(os.path.join(self.dir.name, "central.db"))
        schema.create(self.db, NOW)
        allocations.ensure_tables(self.db)
        doc = demo_catalog(date(2025, 2, 1))
        catalog.publish(self.db, doc, NOW)
        self.event = next(e["event"]["id"] for e in __import__("boxoffice.domain.catalog", fromlist=["x"])
                          .build_catalog(doc)["events"])
        self.sec = allocations.section(self.db, self.event, "standing")
        self.tids = [uuid7() for _ in range(TERMINALS)]
        for i, tid in enumerate(self.tids):
            self.db.execute("INSERT INTO terminals (id, name, tag, key_id, public_key, token_hash, enrolled_at)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?)", (tid, f"T{i}", f"T{i}X", "00000000", "k", tid, NOW))
        self.held = dict.fromkeys(self.tids, 0)
        self.sold = dict.fromkeys(self.tids, 0)
        self.applied: dict[str, set[str]] = {t: set() for t in self.tids}
        self.pending: dict[str, list[tuple[str, dict[str, Any]]]] = {t: [] for t in self.tids}
        self.web = 0

    def teardown(self) -> None:
        self.db.close()
        self.dir.cleanup()

    @rule(t=st.integers(0, TERMINALS - 1), n=st.integers(1, 120))
    def grant(self, t: int, n: int) -> None:
        free = allocations.free(self.db, self.sec)
        try:
            allocations.grant(self.db, self.event, self.tids[t], "standing", count=n, now=NOW)
            assert n <= free
        except BoxOfficeError as exc:
            assert exc.code == "sold_out" and n > free

    @rule(t=st.integers(0, TERMINALS - 1), cut=st.sampled_from(["none", "lost", "again"]))
    def pull(self, t: int, cut: str) -> None:
        tid = self.tids[t]
        page = allocations.grants_after(self.db, tid, 0)
        if cut == "lost":  # the answer never arrived: the terminal applies nothing
            return
        for _ in range(2 if cut == "again" else 1):
            for g in page["grants"]:
                if g["id"] not in self.applied[tid]:
                    self.applied[tid].add(g["id"])
                    self.held[tid] += g["count"]

    @rule(t=st.integers(0, TERMINALS - 1), n=st.integers(1, 10))
    def sell(self, t: int, n: int) -> None:
        tid = self.tids[t]
        if self.held[tid] - self.sold[tid] >= n:
            self.sold[tid] += n

    @rule(t=st.integers(0, TERMINALS - 1))
    def refund(self, t: int) -> None:
        tid = self.tids[t]
        if self.sold[tid]:
            self.sold[tid] -= 1

    @rule(t=st.integers(0, TERMINALS - 1), n=st.integers(1, 50))
    def release(self, t: int, n: int) -> None:
        tid = self.tids[t]
        if self.held[tid] - self.sold[tid] >= n:
            self.held[tid] -= n
            self.pending[tid].append((uuid7(), {"event_id": self.event, "section_id": "standing", "count": n,
                                                "seats": []}))

    @rule(t=st.integers(0, TERMINALS - 1), cut=st.sampled_from(["none", "lost_answer", "cut_before"]))
    def push(self, t: int, cut: str) -> None:
        tid = self.tids[t]
        if cut == "cut_before":
            return
        for entry_id, payload in self.pending[tid]:
            allocations.apply_release(self.db, tid, entry_id, payload, NOW)
        if cut == "lost_answer":  # central has them; the terminal sends them again next time
            for entry_id, payload in self.pending[tid]:
                assert not allocations.apply_release(self.db, tid, entry_id, payload, NOW)
        self.pending[tid] = []

    @rule(n=st.integers(1, 40))
    def web_sells(self, n: int) -> None:
        free = allocations.free(self.db, self.sec)
        doc = {"format": "boxoffice.web-orders/1", "orders": [
            {"ref": f"w{next(_refs)}", "event_id": self.event, "customer_name": "W", "email": "w@example.com",
             "tickets": [{"section_id": "standing", "type": "adult"}] * n}]}
        try:
            weborders.import_orders(self.db, doc, NOW)
            assert n <= free
            self.web += n
        except BoxOfficeError:
            assert n > free

    @invariant()
    def places_add_up(self) -> None:
        by_terminal = allocations.allocated(self.db, self.event, "standing")
        web = allocations.web_sold(self.db, self.event, "standing")
        free = allocations.free(self.db, self.sec)
        assert web == self.web and free >= 0
        assert web + sum(by_terminal.values()) + free == self.sec.capacity
        for tid in self.tids:
            on_the_way = sum(p["count"] for _, p in self.pending[tid])
            unpulled = sum(json.loads(json.dumps(g))["count"]
                           for g in allocations.grants_after(self.db, tid, 0)["grants"]
                           if g["id"] not in self.applied[tid])
            assert by_terminal.get(tid, 0) == self.held[tid] + on_the_way + unpulled
            assert 0 <= self.sold[tid] <= self.held[tid]
        assert web + sum(self.sold.values()) <= self.sec.capacity


Allocations.TestCase.settings = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None)
TestAllocations = Allocations.TestCase
