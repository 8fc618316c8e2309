"""Where the central service's time goes under push load: cProfile of the whole server while a terminal catches up.

    .venv/bin/python benchmarks/profile_central.py                 # 10,000 entries pushed, then pulled back
    .venv/bin/python benchmarks/profile_central.py --n 20000 --top 40
    .venv/bin/python benchmarks/profile_central.py --sql          # + each SQL statement the server sent, counted
    .venv/bin/python benchmarks/profile_central.py --plain        # no profiler: the push and pull times alone
    .venv/bin/python benchmarks/profile_central.py --n 3000 --batch 100 --plain   # the fixed cost of each push
    .venv/bin/python benchmarks/profile_central.py --n 5000 --cpu           # processor time an entry, no profiler
    .venv/bin/python benchmarks/profile_central.py --n 5000 --cpu --reader  # + another terminal's pull of them

The central app (`create_app`, PostgreSQL, one process) is served by uvicorn in this process's main thread under
cProfile. The work a route hands to the thread pool runs inline instead (run_in_threadpool replaced by a direct
call), so one profiler sees the whole request: HTTP parsing, the JSON Schema check, ingest, SQL round trips. With
one terminal pushing one request at a time nothing else changes: there is no concurrency to lose.

A child process plays the terminal (bench_sync.py's helpers): it enrolls, syncs once, makes N sales offline, then
signals this process to start the profiler (SIGUSR1), pushes them (500 a request, as `boxoffice sync` does),
pulls, signals the stop (SIGUSR2) and asks the server to exit. Only the push and the pull are in the profile.
The stats are written to benchmarks/results/profile_central.prof (snakeviz or pstats can open it) and the top
functions by own time and by cumulative time are printed.

``--cpu`` counts the processor time spent between the two signals, per entry pushed: this process's (user + system,
the whole server: HTTP, checks, SQL client) and the PostgreSQL backends' serving its database (from /proc, so on
the same machine only). On a machine shared with other work a processor second is a steadier measure than a wall
one: it is what a push takes from the cores whatever else runs beside it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sync import Pg, fake_sales, make_terminal  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "results" / "profile_central.prof"


def terminal(url: str, db_url: str, n: int, work: str, batch: int = 0, reader: bool = False) -> None:
    """The child: set up, then the profiled push and pull, then stop the server. With ``reader`` a second terminal
    then pulls what the first pushed (a signal between the two marks the push's end for ``--cpu``)."""
    import httpx

    from boxoffice.services.sync import rounds as service

    batch = batch or service.PUSH_BATCH

    for _ in range(300):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    from boxoffice.sync.client import CentralClient

    ctx = make_terminal(Path(work), "Profiled", url, db_url)
    url_, token = service.credentials(ctx)
    other = None
    if reader:
        (Path(work) / "reader").mkdir()
        other = make_terminal(Path(work) / "reader", "Reader", url, db_url)
    with CentralClient(url_, token, timeout=300) as client:
        service.sync_once(ctx, client)
        if other is not None:
            with CentralClient(*service.credentials(other), timeout=300) as other_client:
                service.sync_once(other, other_client)
        fake_sales(ctx, n)
        parent = os.getppid()
        os.kill(parent, signal.SIGUSR1)
        time.sleep(0.2)
        t0 = time.perf_counter()
        pushed = service.push(ctx, client, batch=batch)
        t1 = time.perf_counter()
        if other is not None:
            os.kill(parent, signal.SIGHUP)
            time.sleep(0.2)
            t1 = time.perf_counter()
            with CentralClient(*service.credentials(other), timeout=300) as other_client:
                pulled = service.pull(other, other_client, page_size=service.PULL_PAGE)
        else:
            pulled = service.pull(ctx, client, page_size=service.PULL_PAGE)
        t2 = time.perf_counter()
        os.kill(parent, signal.SIGUSR2)
    print(json.dumps({"pushed": pushed["pushed"], "batch": batch, "push_s": round(t1 - t0, 2),
                      "ms_per_push": round((t1 - t0) * 1000 / max(1, -(-pushed["pushed"] // batch)), 1),
                      "pulled": pulled["pulled"],
                      "pull_s": round(t2 - t1, 2)}), flush=True)
    os.kill(parent, signal.SIGINT)


STATEMENTS: dict[str, int] = {}
WAITED: dict[str, float] = {}  # seconds in each statement's execute, the database's answer included
CPU: dict[str, float] = {}


def _backend_cpu(db_url: str) -> dict[int, float]:
    """Processor seconds so far of each PostgreSQL backend connected to the run's database (Linux /proc)."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                                           " AND backend_type = 'client backend'"
                                           " AND pid <> pg_backend_pid()")]
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return out


def cpu_mark(db_url: str, at: str) -> None:
    """Note this process's and the database backends' processor time at the start, the push's end (``mid``, with
    ``--reader``) or the end."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    CPU[f"{at}_self"] = own.ru_utime + own.ru_stime
    for pid, seconds in _backend_cpu(db_url).items():
        CPU[f"{at}_pid{pid}"] = seconds


def cpu_between(start: str, end: str) -> tuple[float, float]:
    """(server, PostgreSQL) processor seconds between two marks; a backend opened between them counts whole."""
    own = CPU[f"{end}_self"] - CPU[f"{start}_self"]
    pg = sum(s - CPU.get(f"{start}_pid{key[len(end) + 4:]}", 0.0) for key, s in CPU.items()
             if key.startswith(f"{end}_pid"))
    return own, pg


def count_statements() -> None:
    """Count each SQL statement the server sends (first 90 characters), to show what a push request runs, and the
    time each takes from the call to the answer (ms on average, the profiler's own cost included)."""
    import psycopg

    def counted(original: Any) -> Any:
        def run(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            text = " ".join(str(query).split())[:90]
            STATEMENTS[text] = STATEMENTS.get(text, 0) + 1
            t0 = time.perf_counter()
            try:
                return original(self, query, *args, **kwargs)
            finally:
                WAITED[text] = WAITED.get(text, 0.0) + time.perf_counter() - t0
        return run

    psycopg.Cursor.execute = counted(psycopg.Cursor.execute)  # type: ignore[method-assign]
    psycopg.Cursor.executemany = counted(psycopg.Cursor.executemany)  # type: ignore[method-assign]


def serving(api: Any, db_url: str) -> Any:
    """The app as `boxoffice central serve` runs it (central/server.py): its garbage collector set for serving
    (where the code measured has that step: run against an older commit, this script measures it as it was)."""
    app = api.create_app(db_url)
    tune = getattr(api, "collector_for_serving", None)
    if tune is not None:
        tune()
    return app


def serve(db_url: str, port: int, sql: bool = False, plain: bool = False, cpu: bool = False) -> cProfile.Profile:
    import uvicorn

    from boxoffice.central.api import app as api

    async def inline(fn: Any, *args: Any) -> Any:
        return fn(*args)

    api.run_in_threadpool = inline  # type: ignore[assignment]
    prof = cProfile.Profile()
    if cpu:  # processor time, without the profiler
        signal.signal(signal.SIGUSR1, lambda *_: cpu_mark(db_url, "start"))
        signal.signal(signal.SIGHUP, lambda *_: cpu_mark(db_url, "mid"))
        signal.signal(signal.SIGUSR2, lambda *_: cpu_mark(db_url, "end"))
        uvicorn.run(serving(api, db_url), host="127.0.0.1", port=port, log_level="warning")
        return prof
    if plain:  # the same run without the profiler: what its overhead hides
        signal.signal(signal.SIGUSR1, lambda *_: None)
    elif sql:
        signal.signal(signal.SIGUSR1, lambda *_: (STATEMENTS.clear(), count_statements(), prof.enable()))
    else:
        signal.signal(signal.SIGUSR1, lambda *_: prof.enable())
    signal.signal(signal.SIGUSR2, lambda *_: None if plain else prof.disable())
    uvicorn.run(serving(api, db_url), host="127.0.0.1", port=port, log_level="warning")
    return prof


def report(prof: cProfile.Profile, top: int) -> str:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    prof.dump_stats(OUT)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--batch", type=int, default=0, help="entries a push request (default: the terminal's)")
    ap.add_argument("--sql", action="store_true", help="also count the SQL statements sent (slower)")
    ap.add_argument("--plain", action="store_true", help="no profiler: the push and pull times alone")
    ap.add_argument("--cpu", action="store_true", help="no profiler: processor ms an entry, server and PostgreSQL")
    ap.add_argument("--reader", action="store_true", help="a second terminal pulls the entries after the push")
    ap.add_argument("--terminal", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.terminal:
        terminal(args.terminal[0], args.terminal[1], args.n, args.terminal[2], args.batch, args.reader)
        return 0
    import socket
    import tempfile

    from boxoffice.central.services.admin import init

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pg = Pg()
    try:
        url = pg.schema("profiled")
        init(url)
        with tempfile.TemporaryDirectory(prefix="profile-central-") as work:
            env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
            child = subprocess.Popen([sys.executable, __file__, "--n", str(args.n), "--batch", str(args.batch),
                                      *(["--reader"] if args.reader else []),
                                      "--terminal", f"http://127.0.0.1:{port}", url, work], cwd=ROOT, env=env)
            prof = serve(url, port, args.sql, args.plain, args.cpu)
            child.wait(60)
        if args.cpu:
            n = max(1, args.n)
            parts = [("push", "start", "mid"), ("pull by another terminal", "mid", "end")] if args.reader else [
                ("push", "start", "end")]
            for what, start, end in parts:
                own, db = cpu_between(start, end)
                print(f"processor time, {what}, {n} entries: server {own:.3f} s ({own * 1000 / n:.3f} ms an "
                      f"entry), PostgreSQL {db:.3f} s ({db * 1000 / n:.3f} ms an entry)")
        elif not args.plain:
            print(report(prof, args.top))
        for text, count in sorted(STATEMENTS.items(), key=lambda kv: -kv[1]):
            print(f"{count:6d} {WAITED.get(text, 0.0) * 1000 / count:7.2f} ms  {text}")
        print(f"load average: {os.getloadavg()}; stats in {OUT}")
    finally:
        pg.drop()
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
