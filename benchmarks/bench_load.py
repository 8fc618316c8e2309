"""Terminals selling and syncing as fast as they can against one central service on PostgreSQL, for minutes.

    .venv/bin/python benchmarks/bench_load.py                      # 8 terminals, 30 s (a smoke run)
    .venv/bin/python benchmarks/bench_load.py --seconds 60         # 8 terminals, the README's run
    .venv/bin/python benchmarks/bench_load.py --seconds 60 --terminals 32 --per-process 4   # 32 in 8 processes
    .venv/bin/python benchmarks/bench_load.py --round-pages 0      # each round pulls everything (the old rounds)
    .venv/bin/python benchmarks/bench_load.py --print file         # each sale's tickets rendered to ESC/POS too

`boxoffice central serve` (one uvicorn worker) on loopback, on a PostgreSQL database made for the run and dropped
after. Each terminal is a new SQLite file, enrolled with a one-time code, granted its standing places with
`boxoffice central allocate` and pulling them with a sync; then each runs in its own process with a seller thread
(``services.sales.sell``, two standing tickets on card a sale; printing left queued unless ``--print file``) and a
sync thread (``services.sync.sync_once`` round after round, no pause unless ``--sync-interval``), both on their own
connection to the terminal's database; each round pulls at most ``--round-pages`` pages, as `sync --watch` does.
With ``--per-process N`` a process runs N terminals side by side (each its own SQLite file, connections and two
threads): 32 processes of terminals do not fit on two cores beside the central service and PostgreSQL, so 32
terminals are simulated as 8 processes of 4. The driver is tests/load_helpers.py and tests/load_worker.py, shared
with tests/test_stress_load.py.

Figures, each against a floor measured in the same run:
- sales per second, all terminals together, against bare sqlite3 inserts of the same rows (bench_sales.py's floor:
  order, tickets, payment, journal entry, print job, one commit each) by as many processes at once for a few
  seconds before the load; goal at least 0.1 of that rate (each sale is written on its terminal, at the central
  service, and on every other terminal that pulls it, and the floor does only the first);
- the central service's request latency (each push, changes and allocations request timed in the terminal around
  the client call), p99, against GET /healthz (HTTP and one database query) timed every 20 ms from this process
  during the same load; goal p99 at most 10x the health check's p99;
- sync lag, from a sale's commit to the answer of the push that carried its journal entry (both read on the
  terminal's own clock), p50 and p99; goal p99 under 5 s with 8 and with 32 terminals (issue 21; no floor: it is
  what a supervisor waits);
- errors: every exception and every answer that is not 2xx (the client is made without retries, so none is
  hidden), and every problem the checks after the run find (tests/load_helpers.verify): goal none.

Each figure is appended as a JSON line to benchmarks/results/latest.jsonl. PostgreSQL: BOXOFFICE_TEST_PG (default
postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from bench_sync import Pg, record  # noqa: E402
from load_helpers import (  # noqa: E402
    catalogue,
    child_env,
    collect,
    percentile,
    prepare,
    start_workers,
    summarise,
    sync_terminal,
    verify,
)
from sync_helpers import CentralServer  # noqa: E402

from boxoffice.services.sync.rounds import ROUND_PAGES  # noqa: E402

RATE_GOAL = 0.1
LATENCY_GOAL = 10.0
LAG_GOAL_S = 5.0  # issue 21: p99 under 5 s with 8 and with 32 terminals (2 s before)
CAPACITY = 1_000_000  # the largest standing area the catalogue schema allows


# --- floors -------------------------------------------------------------------------------------------------


def floor_child(db: str, start_at: float, seconds: float) -> None:
    """Bare inserts of sale rows on one database from ``start_at`` for ``seconds``; prints how many sales."""
    from bench_sales import SALES_PER_RUN, BareInsertLoop

    loop = BareInsertLoop(Path(db))
    time.sleep(max(0.0, start_at - time.time()))
    deadline, n = time.monotonic() + seconds, 0
    started = time.monotonic()
    while time.monotonic() < deadline:
        loop()
        n += SALES_PER_RUN
    print(json.dumps({"sales": n, "seconds": time.monotonic() - started}))


def bare_insert_rate(work: Path, processes: int, seconds: float) -> float:
    """Sales a second that ``processes`` processes make together with bare sqlite3 inserts, each its own file."""
    from bench_sales import make_terminal

    dbs = [make_terminal(work / f"floor{i}", "file:///dev/null").parent / "terminal.db" for i in range(processes)]
    start_at = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, __file__, "--floor-child", str(db), repr(start_at), repr(seconds)],
                              stdout=subprocess.PIPE, text=True, env=child_env()) for db in dbs]
    total = 0.0
    for p in procs:
        out, _ = p.communicate(timeout=seconds + 60)
        if p.returncode != 0:
            raise RuntimeError("a floor process failed")
        got = json.loads(out.strip().splitlines()[-1])
        total += got["sales"] / got["seconds"]
    return total


class HealthProbe:
    """GET /healthz every ``every`` seconds on its own connection, each round trip timed."""

    def __init__(self, url: str, every: float = 0.02) -> None:
        import httpx

        self.client = httpx.Client(base_url=url, timeout=30)
        self.every, self.times, self.errors = every, [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def once(self) -> None:
        start = time.perf_counter()
        try:
            ok = self.client.get("/healthz").status_code == 200
        except Exception:  # noqa: BLE001 - counted
            ok = False
        if ok:
            self.times.append(time.perf_counter() - start)
        else:
            self.errors += 1

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.once()

    def start(self) -> HealthProbe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        self.client.close()


# --- the run ------------------------------------------------------------------------------------------------


def ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1000:.1f} ms"


def run(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    from boxoffice.central.services.admin import init, publish_catalog

    per_terminal = min(CAPACITY // args.terminals, args.grant)
    print(f"floor: bare sqlite3 inserts of sale rows, {-(-args.terminals // args.per_process)} processes for "
          f"{args.floor_seconds:g} s ...", flush=True)
    processes = -(-args.terminals // args.per_process)
    floor_rate = bare_insert_rate(work, processes, args.floor_seconds)
    print(f"  {floor_rate:,.0f} sales/s together", flush=True)
    pg = Pg()
    server = None
    try:
        init(pg.url)
        doc = work / "catalog.json"
        doc.write_text(json.dumps(catalogue(CAPACITY)))
        publish_catalog(pg.url, doc)
        server = CentralServer(pg.url, work / "serve.log")
        quiet = HealthProbe(server.url)
        for _ in range(200):
            quiet.once()
        quiet.stop()
        print(f"GET /healthz, quiet: p50 {ms(percentile(quiet.times, 50))}, p99 {ms(percentile(quiet.times, 99))}")
        print(f"{args.terminals} terminals: made, enrolled, {per_terminal:,} places granted each ...", flush=True)
        terminals = prepare(server.url, pg.url, work / "terminals", args.terminals, per_terminal)
        print(f"selling and syncing for {args.seconds:g} s ({processes} processes, {args.per_process} terminal(s) "
              f"each, nice {args.nice}; rounds pull at most {args.round_pages or 'every'} page(s)) ...", flush=True)
        probe = HealthProbe(server.url).start()
        workers = start_workers(terminals, work, seconds=args.seconds, max_sales=10**9, print_mode=args.print,
                                sync_interval=args.sync_interval, pace=args.pace, per_process=args.per_process,
                                round_pages=args.round_pages, nice=args.nice)
        try:
            reports = collect(workers, timeout=args.seconds + 600)
        finally:
            probe.stop()
        started = time.perf_counter()
        for t in terminals:  # a last pull, now that everyone has pushed everything
            sync_terminal(t)
        last_pull = time.perf_counter() - started
        problems = verify(pg.url, terminals, reports)
        from boxoffice.central.store.db import connect

        with connect(pg.url) as db:
            pg_sales = db.scalar("SELECT count(*) FROM journal WHERE kind = 'sale'")
    finally:
        if server is not None:
            server.stop()
        pg.drop()

    s = summarise(reports)
    rate_ratio = s["sales_per_s"] / floor_rate
    health_p99 = percentile(probe.times, 99)
    latency_ratio = (s["request_p99_s"] / health_p99) if health_p99 and s["request_p99_s"] else None
    clean = s["error_count"] == 0 and s["failed_rounds"] == 0 and not problems and probe.errors == 0
    print()
    print(f"sales: {s['sales']:,} in {s['seconds']:.0f} s = {s['sales_per_s']:,.1f}/s "
          f"(per terminal {', '.join(f'{x:g}' for x in s['per_terminal_per_s'])}); bare inserts "
          f"{floor_rate:,.0f}/s: {rate_ratio:.3f} of the floor (goal >= {RATE_GOAL})")
    print(f"sync lag: p50 {ms(s['lag_p50_s'])}, p99 {ms(s['lag_p99_s'])}, max {ms(s['lag_max_s'])} "
          f"(goal p99 <= {LAG_GOAL_S:g} s); {s['unacknowledged']} sales acknowledged only in the last pull")
    print(f"requests: {s['requests']:,} in {s['rounds']:,} rounds; p50 {ms(s['request_p50_s'])}, p99 "
          f"{ms(s['request_p99_s'])}; " + ", ".join(f"{k} {v['n']:,}: p50 {ms(v['p50_s'])} p99 {ms(v['p99_s'])}"
                                                     for k, v in s["by_request"].items()))
    print(f"sync rounds: {s['rounds']:,}, {s['behind_rounds']:,} stopped at the page limit; "
          f"p50 {ms(s['round_p50_s'])}, p99 {ms(s['round_p99_s'])}; "
          f"{s['round_in_requests']:.0%} of round time waiting on requests, the rest on the terminal")
    print(f"GET /healthz under load: {len(probe.times):,} probes, p50 {ms(percentile(probe.times, 50))}, "
          f"p99 {ms(health_p99)}; requests p99 / health p99 = "
          f"{latency_ratio if latency_ratio is None else round(latency_ratio, 2)} (goal <= {LATENCY_GOAL:g})")
    print(f"errors: {s['error_count']} ({s['errors'] or 'none'}), failed sync rounds {s['failed_rounds']}, "
          f"health probe errors {probe.errors}")
    print(f"checks after the run (last pull of all terminals {last_pull:.1f} s): "
          + ("every entry at central exactly once, counts match, nothing oversold" if not problems
             else "PROBLEMS:\n  " + "\n  ".join(problems)))
    common = {"terminals": args.terminals, "processes": processes, "round_pages": args.round_pages, "nice": args.nice,
              "seconds": s["seconds"], "print": args.print, "sync_interval": args.sync_interval, "pace": args.pace}
    rows = [
        {"name": "sales per second, all terminals", "rate_per_s": s["sales_per_s"],
         "per_terminal_per_s": s["per_terminal_per_s"], "sales": s["sales"],
         "floor": f"bare sqlite3 inserts of the same rows, {processes} processes",
         "floor_rate_per_s": round(floor_rate, 1), "ratio": round(rate_ratio, 3), "goal": f">= {RATE_GOAL}",
         "met": rate_ratio >= RATE_GOAL},
        {"name": "central request latency p99", "p50_s": s["request_p50_s"], "p99_s": s["request_p99_s"],
         "requests": s["requests"], "by_request": s["by_request"], "floor": "GET /healthz during the same load",
         "floor_p50_s": percentile(probe.times, 50), "floor_p99_s": health_p99,
         "quiet_floor_p50_s": percentile(quiet.times, 50), "ratio": latency_ratio and round(latency_ratio, 2),
         "goal": f"<= {LATENCY_GOAL:g}", "met": latency_ratio is not None and latency_ratio <= LATENCY_GOAL},
        {"name": "sync lag", "p50_s": s["lag_p50_s"], "p99_s": s["lag_p99_s"], "max_s": s["lag_max_s"],
         "round_p50_s": s["round_p50_s"], "round_p99_s": s["round_p99_s"], "round_in_requests": s["round_in_requests"],
         "rounds": s["rounds"], "behind_rounds": s["behind_rounds"],
         "floor": None, "goal": f"p99 <= {LAG_GOAL_S:g} s",
         "met": s["lag_p99_s"] is not None and s["lag_p99_s"] <= LAG_GOAL_S},
        {"name": "errors and checks", "errors": s["errors"], "error_count": s["error_count"],
         "failed_rounds": s["failed_rounds"], "health_errors": probe.errors, "problems": problems,
         "central_sale_entries": pg_sales, "floor": None, "goal": "none", "met": clean},
    ]
    record([{**common, **r, "bench": "load"} for r in rows])
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0, help="how long the terminals sell (default 30)")
    ap.add_argument("--terminals", type=int, default=8)
    ap.add_argument("--per-process", type=int, default=1,
                    help="terminals a worker process runs side by side, each with its own SQLite file, connections "
                         "and threads (default 1; --terminals 32 --per-process 4: 32 terminals in 8 processes)")
    ap.add_argument("--nice", type=int, default=0,
                    help="niceness of the terminals' processes (default 0; 10: the central service and PostgreSQL, "
                         "which have their own machine in a venue, get the processor first)")
    ap.add_argument("--round-pages", type=int, default=ROUND_PAGES,
                    help=f"pages a sync round pulls at most, as `sync --watch` does (default {ROUND_PAGES}; "
                         "0: every page, as plain `boxoffice sync`)")
    ap.add_argument("--grant", type=int, default=100_000, help="standing places granted to each terminal")
    ap.add_argument("--print", choices=["off", "file"], default="off",
                    help="off: print jobs left queued; file: each sale's tickets rendered to ESC/POS in a file")
    ap.add_argument("--sync-interval", type=float, default=0.0, help="pause between sync rounds (default none)")
    ap.add_argument("--pace", type=float, default=0.0,
                    help="sales a second each terminal aims at (default 0: as fast as it goes)")
    ap.add_argument("--floor-seconds", type=float, default=5.0)
    ap.add_argument("--keep", action="store_true", help="keep the terminals' directory")
    ap.add_argument("--floor-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor_child:
        db, start_at, seconds = args.floor_child
        floor_child(db, float(start_at), float(seconds))
        return 0
    work = Path(tempfile.mkdtemp(prefix="boxoffice-bench-load-"))
    try:
        rows = run(args, work)
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if any(r["met"] is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
