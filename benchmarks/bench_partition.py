"""Partition simulation: eight counters cut off from the central service sell walk-up tickets for a 40,000-place
stadium event from their allocations while the web shop keeps selling online; then they come back, sync, and every
place is counted.

    .venv/bin/python benchmarks/bench_partition.py                 # about two to four minutes on 2 cores
    .venv/bin/python benchmarks/bench_partition.py --demand 1.3 --seed 7

What is real: eight terminals, each its own SQLite file made by `boxoffice init`'s service, selling through
``services.sales.sell`` and syncing through ``services.sync.sync_once``; the central functions (grants, journal
ingest, web-order import, the feed) on a SQLite central database, called in process over a link that is cut while
the terminals are offline (no HTTP: the wire is not what is measured here; tests/test_sync_faults.py and
bench_sync.py cover it).

The run:
1. the catalogue (four standing terraces of 8,500 and three reserved blocks of 20 rows x 100 seats) is published;
   the web shop sells a presale; each counter is granted 400 places of every terrace and two rows of one block, and
   syncs;
2. every counter goes offline. Walk-up customers arrive in random order, unevenly spread over the counters (a
   counter's share of the demand is drawn from a log-normal), each asking for 1 to 6 places in a terrace or a
   block; when the counter cannot sell that, the operator offers another section it still has places in, and half
   the customers take fewer places when fewer are left. The web shop sells online meanwhile, from what no counter
   holds;
3. the counters come back and sync; then each gives back what it did not sell, syncs again, and the web shop sells
   every place still free.

Figures: served = places sold at the counters while offline; could serve = per counter, the smaller of the places
asked for there and the places its allocation held (no counter can serve more than either); the share served is
their ratio (goal >= 0.95). Oversold (goal 0): after step 1-2's sync and again after the sell-out, per section,
places with a valid ticket beyond the capacity, seats with two valid tickets, places a counter sold beyond its
grant, and any ``seat_sold_twice`` conflict; the per-section invariant web sold + allocations + held + free =
capacity is checked at both points, and after the sell-out every place must be sold exactly once.

Prints a table and appends one JSON line to benchmarks/results/latest.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import RESULTS, _commit  # noqa: E402

from boxoffice.central.services import allocations, catalog, feed, ingest, terminals, weborders  # noqa: E402
from boxoffice.central.store import schema  # noqa: E402
from boxoffice.central.store.db import CentralDB, connect  # noqa: E402
from boxoffice.config import load  # noqa: E402
from boxoffice.domain.clock import iso  # noqa: E402
from boxoffice.domain.tenders import Tender  # noqa: E402
from boxoffice.errors import BoxOfficeError  # noqa: E402
from boxoffice.services import allocations as terminal_alloc  # noqa: E402
from boxoffice.services.context import Ctx  # noqa: E402
from boxoffice.services.sales import SaleRequest, sell  # noqa: E402
from boxoffice.services.sync import rounds as sync_service  # noqa: E402

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
NOW = iso(T0)
EVENT = "final-1212"
TERRACES = {"north": 8500, "south": 8500, "east": 8500, "west": 8500}
BLOCKS = {"block-a": "A", "block-b": "B", "block-c": "C"}  # 20 rows AA..AT of 100 seats each
ROWS = "ABCDEFGHJKLMNPQRSTUV"
SEATS_PER_ROW = 100
COUNTERS = 8
GRANT_PER_TERRACE = 400
GRANT_ROWS = 2
PRESALE = {"north": 2500, "south": 2500, "east": 1500, "west": 1500}
PRESALE_SEATS = 1600
ONLINE_DURING = 3000  # web orders (places) placed while the counters are offline


def _clock() -> datetime:
    return T0


def stadium(day: date) -> dict[str, Any]:
    """A catalogue document (schemas/catalog.schema.json): one 40,000-place event."""
    sections: list[dict[str, Any]] = [{"id": k, "name": k.title(), "kind": "general", "capacity": v}
                                      for k, v in TERRACES.items()]
    for sid, letter in BLOCKS.items():
        sections.append({"id": sid, "name": sid.replace("-", " ").title(), "kind": "reserved",
                         "rows": [{"row": letter + r, "seats": f"1-{SEATS_PER_ROW}"} for r in ROWS]})
    prices = {s["id"]: "40.00" for s in sections}
    return {"format": "boxoffice.catalog/1",
            "venue": {"id": "stadium", "name": "Stadium", "timezone": "Europe/London", "currency": "GBP"},
            "events": [{"id": EVENT, "name": "Cup Final", "starts_at": f"{day.isoformat()}T15:00",
                        "tax_rate": "20", "per_order_limit": 10, "sections": sections,
                        "ticket_types": [{"id": "adult", "name": "Adult", "prices": prices}]}]}


class Link:
    """A counter's connection to the central service, in process: what the HTTP endpoints do, or cut."""

    def __init__(self, db: CentralDB, terminal_id: str) -> None:
        self.db, self.tid, self.offline = db, terminal_id, False

    def _gate(self) -> None:
        if self.offline:
            raise BoxOfficeError("central_unreachable", "the counter is cut off from the central service")

    def enroll(self, body: dict[str, Any]) -> dict[str, Any]:
        self._gate()
        return terminals.enroll(self.db, body, NOW)

    def push(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        self._gate()
        term = self.db.one("SELECT * FROM terminals WHERE id = ?", (self.tid,))
        answer = ingest.apply_batch(self.db, term, entries, NOW)
        allocations.apply_pending_releases(self.db, self.tid, NOW)
        return answer

    def changes(self, after: int, limit: int) -> dict[str, Any]:
        self._gate()
        return json.loads(feed.page(self.db, self.tid, after, limit))

    def allocations(self, after: int, limit: int = 500) -> dict[str, Any]:
        self._gate()
        return allocations.grants_after(self.db, self.tid, after, limit)


def web_sell(db: CentralDB, wanted: list[dict[str, Any]], prefix: str) -> int:
    """Import web orders of up to 4 places each; orders refused because the places went elsewhere are skipped
    (the shop shows what is free). Returns the places sold."""
    sold = 0
    for start in range(0, len(wanted), 400):
        chunk = wanted[start:start + 400]
        orders = []
        for i in range(0, len(chunk), 4):
            orders.append({"ref": f"{prefix}-{start + i}", "event_id": EVENT, "customer_name": "Web",
                           "email": "web@example.com", "tickets": chunk[i:i + 4]})
        try:
            weborders.import_orders(db, {"format": "boxoffice.web-orders/1", "orders": orders}, NOW)
            sold += len(chunk)
        except BoxOfficeError:
            for o in orders:  # one at a time: the ones that still fit go through
                try:
                    weborders.import_orders(db, {"format": "boxoffice.web-orders/1", "orders": [o]}, NOW)
                    sold += len(o["tickets"])
                except BoxOfficeError:
                    pass
    return sold


def free_places(db: CentralDB, secs: dict[str, allocations.Section], n: int, rng: random.Random,
                terraces_only: bool = False) -> list[dict[str, Any]]:
    """Up to ``n`` web tickets for places that are free at central now."""
    out: list[dict[str, Any]] = []
    for sid in TERRACES:
        take = min(allocations.free(db, secs[sid]), n // (4 if terraces_only else 5))
        out += [{"section_id": sid, "type": "adult"}] * take
    if not terraces_only:
        for sid in BLOCKS:
            free = sorted(allocations.free_seats(db, secs[sid]))
            take = min(len(free), (n - len(out)) // max(1, len(BLOCKS) - list(BLOCKS).index(sid)))
            out += [{"section_id": sid, "type": "adult", "seat": s} for s in free[:take]]
    rng.shuffle(out)
    return out[:n]


def make_counter(root: Path, i: int, db: CentralDB, doc: dict[str, Any]) -> tuple[Ctx, Link]:
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.terminal import init_terminal

    ctx = init_terminal(load(db=str(root / f"counter{i}.db")), f"Counter {i + 1}", _clock)
    add_operator(ctx, "ada", "admin", "123456")
    login(ctx, "ada", "123456")
    link = Link(db, ctx.terminal["id"])
    code = terminals.create_code(db, f"Counter {i + 1}", NOW, "2099-01-01T00:00:00Z")
    sync_service.enroll(ctx, "inproc://central", code, link)
    return ctx, link


def holdings(ctx: Ctx) -> dict[str, dict[str, int]]:
    return {h["section_id"]: h for h in terminal_alloc.holdings(ctx, EVENT)}


def try_sell(ctx: Ctx, section: str, n: int) -> bool:
    req = SaleRequest(event_id=EVENT, section_id=section, counts={"adult": n}, tenders=[Tender("cash", 40_00 * n)],
                      print_receipt=False)
    try:
        sell(ctx, req)
    except BoxOfficeError as exc:
        if exc.code not in ("not_allocated", "sold_out", "not_enough_together"):
            raise
        return False
    return True


def serve(ctx: Ctx, first: str, n: int, rng: random.Random) -> int:
    """One walk-up customer: their section if the counter can, else another it has places in, else fewer places
    (half of them accept). Returns the places sold."""
    if try_sell(ctx, first, n):
        return n
    held = holdings(ctx)
    others = sorted((s for s, h in held.items() if h["left"] >= n and s != first), key=lambda s: -held[s]["left"])
    for s in others[:3]:
        if try_sell(ctx, s, n):
            return n
    if rng.random() < 0.5:
        for m in range(n - 1, 0, -1):
            for s in sorted(held, key=lambda s: -held[s]["left"])[:3]:
                if held[s]["left"] >= m and try_sell(ctx, s, m):
                    return m
    return 0


def check(db: CentralDB, secs: dict[str, allocations.Section], tids: list[str], sold_out: bool) -> dict[str, Any]:
    """Count oversold places and check the per-section invariant at central."""
    oversold = 0
    problems: list[str] = []
    for sid, sec in secs.items():
        valid = db.all("SELECT t.row_label, t.seat, o.channel, o.terminal_id FROM tickets t JOIN orders o"
                       " ON o.id = t.order_id WHERE t.event_id = ? AND t.section_id = ? AND t.status = 'valid'",
                       (EVENT, sid))
        over = max(0, len(valid) - sec.capacity)
        oversold += over
        if sec.kind == "reserved":
            labels = [f"{r['row_label']}{r['seat']}" for r in valid]
            twice = len(labels) - len(set(labels))
            oversold += twice
            web, held = allocations.web_seats(db, EVENT, sid), allocations.seats_of(db, EVENT, sid)
            house = allocations.held_seats(db, sec)
            if web & set(held) or len(web) + len(held) + len(house) + len(allocations.free_seats(db, sec)) \
                    != sec.capacity:
                problems.append(f"{sid}: web sold + allocated + held + free != capacity")
            for tid in tids:
                sold_here = {f"{r['row_label']}{r['seat']}" for r in valid if r["terminal_id"] == tid}
                beyond = sold_here - {s for s, t in held.items() if t == tid}
                oversold += len(beyond)
        else:
            by = allocations.allocated(db, EVENT, sid)
            web = allocations.web_sold(db, EVENT, sid)
            free = allocations.free(db, sec)
            if free < 0 or web + sum(by.values()) + free != sec.capacity:
                problems.append(f"{sid}: web sold {web} + allocated {sum(by.values())} + free {free} != capacity")
            for tid in tids:
                sold_here = sum(1 for r in valid if r["terminal_id"] == tid)
                oversold += max(0, sold_here - by.get(tid, 0))
        if sold_out and len(valid) != sec.capacity:
            problems.append(f"{sid}: {len(valid)} valid tickets after the sell-out, capacity {sec.capacity}")
    conflicts = int(db.scalar("SELECT COUNT(*) AS n FROM conflicts WHERE kind = 'seat_sold_twice'") or 0)
    return {"oversold": oversold + conflicts, "problems": problems}


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="bench-partition-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    started = time.perf_counter()
    try:
        db = connect(str(root / "central.db"))
        schema.create(db, NOW)
        doc = stadium(T0.date() + timedelta(days=11))
        catalog.publish(db, doc, NOW)
        secs = allocations.sections(db, EVENT)
        capacity = sum(s.capacity for s in secs.values())
        counters = [make_counter(root, i, db, doc) for i in range(COUNTERS)]
        tids = [c.terminal["id"] for c, _ in counters]
        # 1. presale, grants, sync
        presale = [{"section_id": s, "type": "adult"} for s, n in PRESALE.items() for _ in range(n)]
        seats_free = [(sid, s) for sid in BLOCKS for s in sorted(secs[sid].seats)]
        rng.shuffle(seats_free)
        granted_rows = {(list(BLOCKS.values())[i % len(BLOCKS)] + ROWS[len(ROWS) - 1 - 2 * (i // len(BLOCKS)) - k])
                        for i in range(COUNTERS) for k in range(GRANT_ROWS)}
        presale += [{"section_id": sid, "type": "adult", "seat": s} for sid, s in seats_free
                    if s.rstrip("0123456789") not in granted_rows][:PRESALE_SEATS]
        rng.shuffle(presale)
        web_before = web_sell(db, presale, "pre")
        granted: dict[str, int] = {}
        for i, (ctx, link) in enumerate(counters):
            for sid in TERRACES:
                allocations.grant(db, EVENT, link.tid, sid, count=GRANT_PER_TERRACE, now=NOW)
            block = list(BLOCKS)[i % len(BLOCKS)]
            letter = BLOCKS[block]
            rows = [letter + ROWS[len(ROWS) - 1 - 2 * (i // len(BLOCKS)) - k] for k in range(GRANT_ROWS)]
            allocations.grant(db, EVENT, link.tid, block, now=NOW,
                              seats=[f"{r}{n}" for r in rows for n in range(1, SEATS_PER_ROW + 1)])
            sync_service.sync_once(ctx, link)
            granted[link.tid] = sum(h["left"] for h in holdings(ctx).values())
        setup_s = time.perf_counter() - started
        # 2. offline
        for _, link in counters:
            link.offline = True
        weights = [rng.lognormvariate(0, 0.6) for _ in counters]
        total_alloc = sum(granted.values())
        demand_places = int(total_alloc * args.demand)
        asked = [0] * COUNTERS
        queue: list[tuple[int, str, int]] = []
        while sum(asked) < demand_places:
            i = rng.choices(range(COUNTERS), weights)[0]
            n = rng.choices([1, 2, 3, 4, 5, 6], [20, 35, 15, 18, 6, 6])[0]
            first = rng.choice(list(TERRACES)) if rng.random() < 0.8 else rng.choice(list(BLOCKS))
            queue.append((i, first, n))
            asked[i] += n
        served = [0] * COUNTERS
        web_during = 0
        online = free_places(db, secs, ONLINE_DURING, rng)
        step = max(1, len(queue) // max(1, len(online) // 20))
        offline_started = time.perf_counter()
        sales = 0
        for k, (i, first, n) in enumerate(queue):
            got = serve(counters[i][0], first, n, rng)
            served[i] += got
            sales += bool(got)
            if k % step == 0 and online:
                web_during += web_sell(db, online[:20], f"on{k}")
                online = online[20:]
            if k % 500 == 0:  # a counter trying to sync while cut off gets a clear refusal and keeps selling
                try:
                    sync_service.sync_once(*counters[i])
                    raise AssertionError("a counter synced while cut off")
                except BoxOfficeError as exc:
                    assert exc.code == "central_unreachable"
        offline_s = time.perf_counter() - offline_started
        could = [min(asked[i], granted[tids[i]]) for i in range(COUNTERS)]
        # 3. back online: sync, check, give back, sell out, check
        for ctx, link in counters:
            link.offline = False
            sync_service.sync_once(ctx, link)
        after_sync = check(db, secs, tids, sold_out=False)
        for ctx, link in counters:
            for sid, h in holdings(ctx).items():
                if h["left"] <= 0:
                    continue
                if sid in TERRACES:
                    terminal_alloc.release(ctx, EVENT, sid, h["left"])
                else:
                    free_here = [r[0] for r in ctx.conn.execute(
                        "SELECT label FROM seats WHERE event_id = ? AND section_id = ? AND allocated = 1"
                        " AND status = 'free'", (EVENT, sid))]
                    terminal_alloc.release(ctx, EVENT, sid, seats=free_here)
            sync_service.sync_once(ctx, link)
        rest = free_places(db, secs, capacity, rng)
        web_after = web_sell(db, rest, "last")
        after_sellout = check(db, secs, tids, sold_out=True)
        seconds = time.perf_counter() - started
        return {"capacity": capacity, "counters": COUNTERS, "allocated": total_alloc, "asked": sum(asked),
                "asked_by_counter": asked, "could_serve": sum(could), "served": sum(served),
                "served_by_counter": served, "sales": sales, "customers": len(queue),
                "share": round(sum(served) / max(1, sum(could)), 4), "web_presale": web_before,
                "web_during": web_during, "web_sellout": web_after,
                "oversold": after_sync["oversold"] + after_sellout["oversold"],
                "problems": after_sync["problems"] + after_sellout["problems"],
                "setup_s": round(setup_s, 1), "offline_s": round(offline_s, 1), "seconds": round(seconds, 1)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--demand", type=float, default=1.0,
                    help="walk-up demand offline as a multiple of the places allocated to the counters")
    args = ap.parse_args()
    out = run(args)
    met = out["share"] >= 0.95 and out["oversold"] == 0 and not out["problems"]
    print(f"stadium of {out['capacity']:,} places, {out['counters']} counters holding {out['allocated']:,} "
          f"(web presale {out['web_presale']:,})")
    print(f"offline: {out['customers']:,} customers asked for {out['asked']:,} places "
          f"(per counter {', '.join(f'{a:,}' for a in out['asked_by_counter'])})")
    print(f"  could serve {out['could_serve']:,}, served {out['served']:,} in {out['sales']:,} sales: "
          f"share {out['share']:.3f} (goal >= 0.95); web shop sold {out['web_during']:,} meanwhile")
    print(f"after sync and after the sell-out ({out['web_sellout']:,} more online): oversold {out['oversold']} "
          f"(goal 0), {len(out['problems'])} problem(s)")
    for p in out["problems"][:20]:
        print(f"  PROBLEM: {p}")
    print(f"setup {out['setup_s']} s, offline selling {out['offline_s']} s, whole run {out['seconds']} s")
    row = {"bench": "partition", "name": "offline walk-up share", **{k: v for k, v in out.items() if k != "problems"},
           "problems": len(out["problems"]), "goal": ">= 0.95 served, 0 oversold", "met": met, "seed": args.seed,
           "demand": args.demand, "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "machine": f"{os.cpu_count()}-core {platform.node()}", "python": platform.python_version(),
           "commit": _commit()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
