"""The long crash run: hundreds of `boxoffice` processes SIGKILLed at random moments, then every check a user would
make. The CI version (tests/test_stress_crash.py) is the same driver with fewer kills.

    .venv/bin/python benchmarks/bench_crash.py                        # 1,000 + 300 kills, about 5 minutes
    .venv/bin/python benchmarks/bench_crash.py --kills 200 --sync-kills 0 --workers 3

Two scenarios, each on a fresh terminal:

- **local**: `sell`, `pickup`, `refund`, `scan`, `exchange` (weights 4:2:2:2:1), ``--workers`` at once, each killed
  after a delay drawn from [0, ``--window`` x that command's median duration measured here first, with the same
  number of processes at once];
- **sync**: the same with `sync` (weight 3) against a central service on loopback, a second counter selling and
  syncing between kills so the killed pulls have something to bring.

Afterwards: PRAGMA integrity_check, `boxoffice audit verify`, every action whole or absent (tests/stress_helpers.py
``whole_problems``), nothing reported done missing, no process that ended on its own with a traceback or an
undocumented status, `print retry` prints what the killed ones owed; for sync, every journal entry on the central
service exactly once. The goal is zero problems. "Killed after commit" counts the actions a killed process had
committed but not yet reported (sales, pickups, refunds, admissions): kills that landed in that last window.

Prints a table and appends one JSON line per scenario to benchmarks/results/latest.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from harness import RESULTS, _commit  # noqa: E402
from stress_helpers import (  # noqa: E402
    EVENT,
    STANDING,
    CrashDriver,
    build_site,
    central_with_two_counters,
    committed_unreported,
    reported_problems,
    unclean_exits,
    whole_problems,
)


def _after_checks(site, driver, every: int, problems: list[str], extra=None):
    seen = {"n": 0}

    def after_kill(attempt) -> None:
        seen["n"] += 1
        if seen["n"] % every == 0:
            problems.extend(f"midway: {p}" for p in whole_problems(site.db))
        if extra:
            extra(attempt)

    return after_kill


def _final_checks(site, driver) -> list[str]:
    problems = [f"exit: {p}" for p in unclean_exits(driver.attempts)]
    problems += whole_problems(site.db)
    problems += reported_problems(site.db, driver.attempts)
    audit = site.run("audit", "verify")
    if audit.returncode != 0:
        problems.append(f"audit verify exit {audit.returncode}: {audit.stderr.decode()[-500:]}")
    retry = site.run("print", "retry")
    pending = site.run("print", "jobs", "--pending", "--json")
    if retry.returncode != 0 or json.loads(pending.stdout or "[]"):
        problems.append(f"print retry exit {retry.returncode}, still pending: {pending.stdout[:300]!r}")
    return problems


def local(directory: Path, kills: int, workers: int, seed: int, window: float) -> dict:
    site = build_site(directory / "local", web_orders=max(150, kills // 3))
    driver = CrashDriver(site, seed=seed, kinds={"sell": 4, "pickup": 2, "refund": 2, "scan": 2, "exchange": 1},
                         workers=workers, window=window)
    driver.measure()
    problems: list[str] = []
    start = time.perf_counter()
    counts = driver.run(kills, after_kill=_after_checks(site, driver, 25, problems))
    took = time.perf_counter() - start
    problems += _final_checks(site, driver)
    return {"counts": counts, "after_commit": committed_unreported(site.db, driver.attempts), "seconds": took,
            "problems": problems}


def with_sync(directory: Path, kills: int, workers: int, seed: int, window: float) -> dict:
    with central_with_two_counters(directory / "sync", web_orders=max(40, kills // 4)) as (central, here, other):
        driver = CrashDriver(here, seed=seed, kinds={"sell": 3, "sync": 3, "pickup": 1, "refund": 1, "scan": 1},
                             workers=workers, window=window)
        driver.measure()
        problems: list[str] = []

        def other_sells(_attempt) -> None:
            if len(driver.attempts) % 6 == 0:
                other.run("sell", EVENT, "--section", STANDING, "--type", "adult=2", "--cash", "50")
                other.run("sync")

        start = time.perf_counter()
        counts = driver.run(kills, after_kill=_after_checks(here, driver, 10, problems, other_sells))
        took = time.perf_counter() - start
        for site in (other, here, here):
            r = site.run("sync", "--json")
            if r.returncode != 0:
                problems.append(f"final sync exit {r.returncode}: {r.stderr.decode()[-300:]}")
        last = json.loads(r.stdout or "{}")
        if last.get("pushed") != 0:
            problems.append(f"a second sync still pushed {last.get('pushed')}")
        tid = here.query("SELECT id FROM terminal")[0][0]
        local_entries = {(r["id"], r["seq"], r["hash"]) for r in here.query("SELECT id, seq, hash FROM journal")}
        remote = central.query("SELECT id, seq, hash FROM journal WHERE terminal_id = ?", (tid,))
        if len(remote) != len(local_entries) or {(r["id"], r["seq"], r["hash"]) for r in remote} != local_entries:
            problems.append(f"central holds {len(remote)} entries of this terminal, it has {len(local_entries)}")
        problems += _final_checks(here, driver)
        return {"counts": counts, "after_commit": committed_unreported(here.db, driver.attempts), "seconds": took,
                "problems": problems, "central_entries": len(remote)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=1000, help="kills in the local scenario (0: skip it)")
    ap.add_argument("--sync-kills", type=int, default=300, help="kills in the sync scenario (0: skip it)")
    ap.add_argument("--workers", type=int, default=2, help="processes at once")
    ap.add_argument("--seed", type=int, default=2031)
    ap.add_argument("--window", type=float, default=1.25, help="kill within this many times the median duration")
    ap.add_argument("--keep", action="store_true", help="keep the databases (their folder is printed)")
    args = ap.parse_args()
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", tempfile.mkdtemp(prefix="escpos-cache-"))
    directory = Path(tempfile.mkdtemp(prefix="bench-crash-"))
    rows = []
    for name, fn, kills in (("local", local, args.kills), ("sync", with_sync, args.sync_kills)):
        if not kills:
            continue
        out = fn(directory, kills, args.workers, args.seed, args.window)
        c = out["counts"]
        row = {"bench": "crash", "name": name, "kills": c["kills"], "attempts": c["attempts"],
               "by_kind": c["by_kind"], "durations_s": c["durations"], "killed_after_commit": out["after_commit"],
               "seconds": round(out["seconds"], 1), "problems": len(out["problems"]), "goal": "0 problems",
               "met": not out["problems"], "workers": args.workers, "window": args.window, "seed": args.seed,
               "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "machine": f"{os.cpu_count()}-core {platform.node()}", "python": platform.python_version(),
               "commit": _commit()}
        rows.append(row)
        print(f"\n{name}: {c['kills']} kills in {c['attempts']} processes, {out['seconds']:.0f} s, "
              f"{len(out['problems'])} problem(s)")
        for kind, k in c["by_kind"].items():
            ends = ", ".join(f"{v} {e}" for e, v in sorted(k.items()) if e != "attempts")
            print(f"  {kind:<9} {k['attempts']:>5} processes ({c['durations'][kind] * 1000:.0f} ms median): {ends}")
        print("  killed after commit, before reporting: "
              + ", ".join(f"{v} {k}" for k, v in out["after_commit"].items()))
        if "central_entries" in out:
            print(f"  central holds {out['central_entries']} entries of this terminal, each once")
        for p in out["problems"][:20]:
            print(f"  PROBLEM: {p}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    if args.keep:
        print(f"\ndatabases kept in {directory}")
    else:
        subprocess.run(["rm", "-rf", str(directory)], check=False)
    return 1 if any(not r["met"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
