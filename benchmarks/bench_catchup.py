"""Catch-up after a night offline: one whole `boxoffice sync` of a terminal with N unpushed entries (issue 21).

    .venv/bin/python benchmarks/bench_catchup.py                       # 10,000 and 50,000 entries
    .venv/bin/python benchmarks/bench_catchup.py --sizes 10000 --others 0   # a quicker look
    .venv/bin/python benchmarks/bench_catchup.py --sizes 10000 --probe      # + pull pages timed during the sync

For each size: a fresh central database on PostgreSQL and a real `boxoffice central serve` (one uvicorn worker) on
loopback. The terminal (a real SQLite file, enrolled with a one-time code) syncs once while online, then goes
offline and makes N one-ticket sales. They are written through the same store functions bench_sync.py uses (orders,
tickets, and a signed journal entry each, as `sell` writes them): N real `sell` calls would take longer to set up
than the sync they feed. Meanwhile ``--others`` other terminals each sell ``--other-sales`` and push them, so the
catching-up terminal also has their orders to pull. Then ONE `boxoffice sync --json` process, the real CLI entry
point, is timed whole (start-up, push, pull, its own bookkeeping, exit).

Its peak memory is the process's own VmHWM, written by an exit hook in that process (``-c`` launcher: the same
entry point `boxoffice` runs, plus ``atexit``); ru_maxrss of a child would carry the parent's size across exec.

Floor, same run: psycopg COPY of exactly the rows the catch-up wrote centrally (the terminal's journal entries,
orders, tickets and feed changes) into the same tables in a fresh schema, one transaction. Ratio = floor time /
sync time. Goals: < 60 s at 10,000 entries; peak memory flat between the sizes (the larger within 10% + 5 MB).
PostgreSQL: BOXOFFICE_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test); a database is made for the run
and dropped after.

With ``--probe`` a thread asks for pull pages (500 changes) with the terminal's own token all through the sync and
times each: a pull sent while the terminal's push is being applied must not wait for that push.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sync import Pg, Server, copy_floor, fake_sales, make_terminal, record  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 60.0
LAUNCH = ("import atexit, os\n"
          "def _peak():\n"
          "    for line in open('/proc/self/status'):\n"
          "        if line.startswith('VmHWM:'):\n"
          "            open(os.environ['CATCHUP_PEAK'], 'w').write(line.split()[1])\n"
          "atexit.register(_peak)\n"
          "from boxoffice.cli.main import run\n"
          "run()\n")


def cli(db: Path, *args: str, peak_file: Path | None = None) -> tuple[float, dict[str, Any], float | None]:
    """Run `boxoffice --db DB ARGS --json` as its own process: seconds, its JSON answer, its peak MB."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env["BOXOFFICE_LANG"] = "en"
    if peak_file is not None:
        env["CATCHUP_PEAK"] = str(peak_file)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", LAUNCH, "--db", str(db), *args, "--json"], capture_output=True,
                         text=True, env=env, cwd=ROOT, check=False)
    took = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"boxoffice {' '.join(args)} failed ({out.returncode}): {out.stderr[-3000:]}")
    peak = int(peak_file.read_text()) / 1024 if peak_file is not None and peak_file.exists() else None
    return took, json.loads(out.stdout), peak


def push_in_process(ctx: Any) -> int:
    """Another terminal's sales pushed (not timed): what the catching-up terminal will pull."""
    from boxoffice.services.sync import rounds as service
    from boxoffice.sync.client import CentralClient

    url, token = service.credentials(ctx)
    with CentralClient(url, token, timeout=120) as client:
        return int(service.push(ctx, client, batch=1000)["pushed"])


class PullProbe:
    """Pages of GET /v1/changes asked for with the catching-up terminal's token while its sync runs, each timed:
    how long a pull waits when the terminal (or its --watch thread) asks for one in the middle of a push."""

    def __init__(self, url: str, token: str) -> None:
        import threading

        self.url, self.headers = url, {"Authorization": f"Bearer {token}"}
        self.times: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import httpx

        cursor = 0
        with httpx.Client(timeout=120) as client:
            while not self.stop.is_set():
                start = time.perf_counter()
                page = client.get(f"{self.url}/v1/changes", params={"after": cursor, "limit": 500},
                                  headers=self.headers).json()
                self.times.append(time.perf_counter() - start)
                cursor = page["cursor"] if page.get("more") else 0
                self.stop.wait(0.05)

    def finish(self) -> dict[str, Any]:
        self.stop.set()
        self.thread.join()
        t = sorted(self.times) or [0.0]
        return {"probe_pages": len(self.times), "probe_p50_ms": round(t[len(t) // 2] * 1000, 1),
                "probe_p99_ms": round(t[min(len(t) - 1, int(len(t) * 0.99))] * 1000, 1),
                "probe_max_ms": round(t[-1] * 1000, 1)}


def one_size(pg: Pg, n: int, others: int, other_sales: int, work: Path, probe: bool = False,
             batch: int | None = None) -> dict[str, Any]:
    from boxoffice.central.services.admin import init

    url = pg.schema(f"catchup_{n}_{secrets.token_hex(3)}")
    init(url)
    server = Server(url, work / f"serve-{n}.log")
    try:
        ctx = make_terminal(work / f"t-{n}", f"Night {n}", server.url, url)
        tid, db = ctx.terminal["id"], Path(ctx.config.db_path)
        ctx.close()
        cli(db, "sync")  # online before the night: up to date, cursor at the head
        from boxoffice.config import load
        from boxoffice.services.opening import open_terminal

        ctx = open_terminal(load(db=str(db)))
        t0 = time.perf_counter()
        fake_sales(ctx, n)
        made = time.perf_counter() - t0
        from boxoffice.services.sync.rounds import credentials

        token = credentials(ctx)[1]
        ctx.close()
        waiting = 0
        for i in range(others):
            other = make_terminal(work / f"o-{n}-{i}", f"Other {n} {i}", server.url, url)
            fake_sales(other, other_sales)
            waiting += push_in_process(other)
            other.close()
        prober = PullProbe(server.url, token) if probe else None
        batch_args = ("--batch", str(batch)) if batch else ()
        took, answer, peak = cli(db, "sync", *batch_args, peak_file=work / f"peak-{n}")
        probed = prober.finish() if prober else {}
        base_s, _, base_peak = cli(db, "sync", peak_file=work / f"peak-idle-{n}")  # nothing left: the fixed cost
    finally:
        server.stop()
    floor, rows = copy_floor(pg, url, {
        "journal": f"terminal_id = '{tid}'", "orders": f"terminal_id = '{tid}'",
        "tickets": f"order_id IN (SELECT id FROM orders WHERE terminal_id = '{tid}')",
        "changes": f"origin = '{tid}'"})
    return {"n": n, "made_s": made, "waiting": waiting, "seconds": took, "answer": answer, "peak_mb": peak,
            "idle_s": base_s, "idle_peak_mb": base_peak, "floor_s": floor, "floor_rows": rows, **probed}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,50000", help="entries made offline, one run each")
    ap.add_argument("--others", type=int, default=2, help="other terminals whose sales wait to be pulled")
    ap.add_argument("--other-sales", type=int, default=2000, help="sales each other terminal pushed meanwhile")
    ap.add_argument("--probe", action="store_true", help="also pull pages with the terminal's token meanwhile, "
                                                           "timed (they compete with the sync for the CPU)")
    ap.add_argument("--batch", type=int, help="entries a push request (`sync --batch`; default the CLI's, 500)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    print(f"load average before: {os.getloadavg()}", flush=True)
    pg = Pg()
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-catchup-") as tmp:
            for n in sizes:
                r = one_size(pg, n, args.others, args.other_sales, Path(tmp), args.probe, args.batch)
                a = r["answer"]
                row = {"name": f"catch-up {n:,} entries", "n": n, "seconds": round(r["seconds"], 2),
                       "pushed": a.get("pushed"), "applied": a.get("applied"), "pulled": a.get("pulled"),
                       "waiting_from_others": r["waiting"], "peak_mb": round(r["peak_mb"] or 0, 1),
                       "idle_sync_s": round(r["idle_s"], 2), "idle_peak_mb": round(r["idle_peak_mb"] or 0, 1),
                       "entries_per_s": round(n / r["seconds"]), "made_s": round(r["made_s"], 1),
                       "floor": f"COPY of the same {r['floor_rows']:,} rows", "floor_s": round(r["floor_s"], 2),
                       "ratio": round(r["floor_s"] / r["seconds"], 3), "goal": f"< {GOAL_S:.0f} s at 10,000",
                       "met": r["seconds"] < GOAL_S if n == 10_000 else None,
                       "load": [round(x, 2) for x in os.getloadavg()],
                       **{k: v for k, v in r.items() if k.startswith("probe_")}}
                print(json.dumps(row), flush=True)
                rows.append(row)
    finally:
        pg.drop()
    if len(rows) > 1:
        low, high = rows[0]["peak_mb"], rows[-1]["peak_mb"]
        flat = high <= low * 1.1 + 5
        rows.append({"name": "catch-up memory flat", "peak_mb": [r["peak_mb"] for r in rows], "goal":
                     "largest <= smallest x1.1 + 5 MB", "met": flat})
        print(json.dumps(rows[-1]), flush=True)
    for r in rows:
        r["bench"] = "catchup"
    record(rows)
    return 1 if any(r.get("met") is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
