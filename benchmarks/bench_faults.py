"""Thousands of sync requests through a network that drops, delays, truncates, reorders and repeats them; afterwards
the central service holds every terminal's entries exactly once.

    .venv/bin/python benchmarks/bench_faults.py                         # 4 terminals, 5,000 requests, PostgreSQL
    .venv/bin/python benchmarks/bench_faults.py --requests 20000 --fault-rate 0.5
    .venv/bin/python benchmarks/bench_faults.py --backend sqlite --requests 1000

`boxoffice central serve` on loopback (PostgreSQL, on a database made for the run and dropped after; or SQLite),
with the fault proxy of the sync tests (tests/sync_helpers.FaultProxy) in front of it. Terminals are made as for
the load run (tests/load_helpers.py: enrolled with a one-time code, standing places granted with `boxoffice central
allocate`), then each one, in its own thread on its own connection, sells a few sales (``services.sales.sell``) and
syncs through the proxy (``services.sync.sync_once``), again and again, until the proxy has seen ``--requests``
requests. Each request meets a fault with probability ``--fault-rate``, the kind drawn evenly from:

- drop: closed before anything reaches the service;
- cut_request: half the request sent, then both sides closed;
- cut_after: the service answers, the terminal never hears it;
- truncate: half the answer relayed, then closed;
- repeat: sent to the service twice;
- delay: answered ``--delay`` seconds late;
- reorder: the terminal hears nothing, and the request reaches the service 1-5 delays later, after the requests that
  followed it (the terminal's retry among them).

The client retries a failed request twice on its own (counted: requests the proxy saw beyond the client's calls);
a sync round that still fails is run again (counted). Then every terminal syncs through the proxy until a round
completes, then once more directly, and the checks of the load run (tests/load_helpers.verify) must find nothing:
each terminal's journal on the central service exactly once (ids and sequence numbers), each sale's effects once,
no place past its grant, and every terminal knowing every order. No floor: the figures are counts; goal: no problem.
One JSON line goes to benchmarks/results/latest.jsonl.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from bench_sync import Pg, record  # noqa: E402
from load_helpers import (  # noqa: E402
    EVENT,
    SECTION,
    TICKETS_PER_SALE,
    TimedTransport,
    catalogue,
    prepare,
    sync_terminal,
    verify,
)
from sync_helpers import CentralServer, FaultProxy  # noqa: E402

FAULTS = ["cut_before", "cut_request", "cut_after", "truncate", "repeat", "delay", "reorder"]
NAMES = {"cut_before": "drop"}


def planner(rate: float, seed: int) -> Any:
    """Each request meets a fault with probability ``rate``, the kind drawn evenly."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def plan(n: int, method: str, path: str) -> str:
        with lock:
            return rng.choice(FAULTS) if rng.random() < rate else "pass"

    return plan


class Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sales = 0
        self.rounds = 0
        self.failed_rounds: Counter[str] = Counter()
        self.sale_errors: Counter[str] = Counter()
        self.calls = 0
        self.request_errors: Counter[str] = Counter()


def terminal_loop(toml: Path, proxy: FaultProxy, target: int, rng: random.Random, counts: Counters,
                  timeout: float) -> None:
    """Sell a few, sync through the proxy; again until the proxy has seen ``target`` requests; then sync through
    it until a round completes."""
    from boxoffice.config import load
    from boxoffice.domain.tenders import Tender
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.opening import open_terminal
    from boxoffice.services.sales import SaleRequest, sell
    from boxoffice.services.sync.rounds import credentials, sync_once
    from boxoffice.sync.client import CentralClient
    from boxoffice.wire import codec

    ctx = open_terminal(load(str(toml)))
    _, token = credentials(ctx)
    request = SaleRequest(event_id=EVENT, section_id=SECTION, counts={"adult": TICKETS_PER_SALE},
                          tenders=[Tender("card", card_last4="4242")], print_receipt=False)
    client = CentralClient(proxy.url, token, retries=2, backoff=0.01, timeout=timeout)
    transport = TimedTransport(client, codec.loads)

    def round_() -> bool:
        with counts.lock:
            counts.rounds += 1
        try:
            sync_once(ctx, transport, batch=rng.choice([5, 20, 100]), page_size=rng.choice([10, 50, 200]))
            return True
        except BoxOfficeError as exc:
            with counts.lock:
                counts.failed_rounds[exc.code] += 1
        except Exception as exc:  # noqa: BLE001 - counted; any kind but central_unreachable is a problem
            with counts.lock:
                counts.failed_rounds[type(exc).__name__] += 1
        return False

    try:
        while proxy.count < target:
            for _ in range(rng.randint(0, 8)):
                try:
                    sell(ctx, request)
                    with counts.lock:
                        counts.sales += 1
                except BoxOfficeError as exc:
                    with counts.lock:
                        counts.sale_errors[exc.code] += 1
            round_()
        for _ in range(1000):
            if round_():
                break
    finally:
        client.close()
        ctx.close()
        with counts.lock:
            counts.calls += sum(len(v) for v in transport.times.values()) + sum(transport.errors.values())
            counts.request_errors.update(transport.errors)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from boxoffice.central.services.admin import init, publish_catalog

    pg = Pg() if args.backend == "pg" else None
    url = pg.url if pg else str(work / "central.db")
    server = None
    try:
        init(url)
        doc = work / "catalog.json"
        doc.write_text(json.dumps(catalogue(1_000_000)))
        publish_catalog(url, doc)
        server = CentralServer(url, work / "serve.log")
        terminals = prepare(server.url, url, work / "terminals", args.terminals, args.grant)
        counts = Counters()
        rng = random.Random(args.seed)
        started = time.perf_counter()
        with FaultProxy(urlsplit(server.url).port or 80, planner(args.fault_rate, args.seed), delay=args.delay,
                        max_threads=64) as proxy:
            threads = [threading.Thread(target=terminal_loop, args=(t.toml, proxy, args.requests,
                                                                    random.Random(rng.random()), counts,
                                                                    args.timeout)) for t in terminals]
            for th in threads:
                th.start()
            last = 0.0
            while any(th.is_alive() for th in threads):
                time.sleep(0.5)
                if time.perf_counter() - last > 15:
                    last = time.perf_counter()
                    print(f"  {proxy.count:,} requests, {counts.sales:,} sales, {counts.rounds:,} rounds "
                          f"({sum(counts.failed_rounds.values()):,} failed)", flush=True)
            for th in threads:
                th.join()
            took = time.perf_counter() - started
            time.sleep(args.delay * 5 + 1)  # the last requests held back reach the service
            seen = proxy.count
            actions = Counter(a for *_, a in proxy.log)
        for t in terminals:  # a last pull, directly, now that every terminal has pushed everything
            sync_terminal(t)
        problems = verify(url, terminals)
        from boxoffice.central.store.db import connect

        with connect(url) as db:
            entries = db.scalar("SELECT count(*) FROM journal")
            sales_there = db.scalar("SELECT count(*) FROM journal WHERE kind = 'sale'")
        if sales_there != counts.sales:
            problems.append(f"{counts.sales} sales made, {sales_there} sale entries at central")
        unexpected = {k: v for k, v in counts.failed_rounds.items() if k != "central_unreachable"}
        if unexpected:
            problems.append(f"sync rounds failed otherwise than 'central unreachable': {unexpected}")
        if counts.sale_errors:
            problems.append(f"sales refused: {dict(counts.sale_errors)}")
    finally:
        if server is not None:
            server.stop()
        if pg is not None:
            pg.drop()
    faults = {NAMES.get(k, k): v for k, v in sorted(actions.items()) if k != "pass"}
    row = {
        "bench": "faults", "name": f"sync through faults, {args.terminals} terminals", "backend": args.backend,
        "requests": seen, "passed": actions.get("pass", 0), "faults": faults, "faults_total": sum(faults.values()),
        "client_calls": counts.calls, "client_retries": seen - counts.calls,
        "rounds": counts.rounds, "failed_rounds_retried": dict(counts.failed_rounds), "sales": counts.sales,
        "central_entries": entries, "seconds": round(took, 1), "fault_rate": args.fault_rate,
        "problems": problems, "goal": "every entry at central exactly once, no problem", "met": not problems,
    }
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=5000, help="requests through the proxy (default 5,000)")
    ap.add_argument("--terminals", type=int, default=4)
    ap.add_argument("--fault-rate", type=float, default=0.3, help="share of requests that meet a fault")
    ap.add_argument("--delay", type=float, default=0.2, help="seconds a delayed answer waits (reorder: 1-5x)")
    ap.add_argument("--timeout", type=float, default=5.0, help="the client's timeout per request")
    ap.add_argument("--grant", type=int, default=50_000, help="standing places granted to each terminal")
    ap.add_argument("--backend", choices=["pg", "sqlite"], default="pg")
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="boxoffice-bench-faults-"))
    try:
        row = run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(row, indent=1))
    print(f"{row['requests']:,} requests, {row['faults_total']:,} faults ("
          + ", ".join(f"{k} {v:,}" for k, v in row["faults"].items())
          + f"); {row['client_retries']:,} client retries, {sum(row['failed_rounds_retried'].values()):,} failed "
            f"rounds run again; {row['sales']:,} sales, {row['central_entries']:,} entries at central: "
          + ("exactly once, no problem" if row["met"] else "PROBLEMS: " + "; ".join(row["problems"])))
    record([row])
    return 0 if row["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
