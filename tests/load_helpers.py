"""Many terminals selling and syncing against one central service at once: the driver shared by
benchmarks/bench_load.py (minutes, figures) and tests/test_stress_load.py (seconds, checks).

Each terminal is its own SQLite file, enrolled with a one-time code and given an allocation of standing places with
`boxoffice central allocate`. During the run each one sells and syncs in a worker process (tests/load_worker.py:
what it does and measures), one terminal a process, or ``per_process`` terminals a process to simulate more
terminals than processes fit on the machine.

``verify`` then checks what a user would: every terminal's journal on the central service exactly once (by id,
sequence and effect), every sale there once, each terminal selling no more than it was granted, the section's
invariant (web sold + allocated + free = capacity), and every terminal knowing every other's orders after a last
sync.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from load_worker import EVENT, SECTION, TICKETS_PER_SALE, TimedTransport  # noqa: F401 - the run's names, shared

ROOT = Path(__file__).resolve().parent.parent
PRICE = 2250


def catalogue(capacity: int) -> dict[str, Any]:
    """One event far ahead with one standing area of ``capacity`` places (the central service owns it)."""
    return {
        "format": "boxoffice.catalog/1",
        "venue": {"id": "load-hall", "name": "Load Hall", "timezone": "Europe/London", "currency": "GBP"},
        "events": [{
            "id": EVENT, "name": "Load Night", "starts_at": "2031-05-01T19:30", "tax_rate": "20",
            "per_order_limit": 10,
            "sections": [{"id": SECTION, "name": "Standing", "kind": "general", "capacity": capacity}],
            "ticket_types": [{"id": "adult", "name": "Adult", "prices": {SECTION: "22.50"}}],
        }],
    }


def child_env() -> dict[str, str]:
    """The environment for child processes: none of the caller's BOXOFFICE_* settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}


def boxoffice(*args: str) -> Any:
    """Run the real `boxoffice` command with ``--json``; its parsed output (raises with its stderr on failure)."""
    out = subprocess.run([sys.executable, "-m", "boxoffice", *args, "--json"], capture_output=True, text=True,
                         env=child_env(), cwd=ROOT, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"boxoffice {' '.join(args)} exited {out.returncode}: {out.stderr.strip()[-1000:]}")
    return json.loads(out.stdout)


# --- set-up -------------------------------------------------------------------------------------------------


@dataclass
class Terminal:
    """A terminal made for a load run: where its config and database are, and who it is."""

    name: str
    toml: Path
    db: Path
    terminal_id: str


def make_terminal(directory: Path, name: str, central_url: str, db_url: str) -> Terminal:
    """A new terminal with an admin logged in and a file printer, enrolled with a one-time code (no catalogue of
    its own: the event comes from the central service)."""
    from boxoffice.central.services.admin import enroll_code
    from boxoffice.config import load
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.sync.rounds import enroll
    from boxoffice.services.terminal import init_terminal
    from boxoffice.sync.client import CentralClient

    directory.mkdir(parents=True, exist_ok=True)
    toml = directory / "boxoffice.toml"
    # no top-up at sync: each terminal holds the fixed grant the run gives it, so selling past it would show
    toml.write_text(f'db = "terminal.db"\nprinter = "file://{directory / "printer.bin"}"\n'
                    '[allocation]\ntop_up_below = 0\n', encoding="utf-8")
    ctx = init_terminal(load(str(toml)), name)
    try:
        add_operator(ctx, "ada", "admin", "123456")
        login(ctx, "ada", "123456")
        with CentralClient(central_url) as client:
            enroll(ctx, central_url, enroll_code(db_url, name)["code"], client)
        return Terminal(name, toml, ctx.config.db_path, ctx.terminal["id"])
    finally:
        ctx.close()


def sync_terminal(t: Terminal, url: str | None = None, **kw: Any) -> dict[str, Any]:
    """One sync round of ``t`` in this process (through ``url`` when given)."""
    from boxoffice.config import load
    from boxoffice.services.opening import open_terminal
    from boxoffice.services.sync.rounds import credentials, sync_once
    from boxoffice.sync.client import CentralClient

    ctx = open_terminal(load(str(t.toml)))
    try:
        enrolled, token = credentials(ctx)
        client_kw = {k: kw.pop(k) for k in ("retries", "backoff", "timeout") if k in kw}
        with CentralClient(url or enrolled, token, **client_kw) as client:
            return sync_once(ctx, client, **kw)
    finally:
        ctx.close()


def prepare(central_url: str, db_url: str, directory: Path, n: int, per_terminal: int) -> list[Terminal]:
    """``n`` enrolled terminals that know the event and each hold ``per_terminal`` standing places, granted with
    `boxoffice central allocate` and pulled with a sync."""
    terminals = [make_terminal(directory / f"t{i + 1}", f"Counter {i + 1}", central_url, db_url) for i in range(n)]
    for t in terminals:
        sync_terminal(t)  # the catalogue first: a grant waits for its event
        boxoffice("central", "allocate", EVENT, "--terminal", t.terminal_id, "--section", SECTION,
                  "--count", str(per_terminal), "--db", db_url)
        got = sync_terminal(t)
        if got.get("grants_applied") != 1:
            raise RuntimeError(f"{t.name} did not take its allocation: {got}")
    return terminals


# --- the workers: one process per terminal, or per few terminals ------------------------------------------


def start_workers(terminals: list[Terminal], directory: Path, *, seconds: float, max_sales: int,
                  print_mode: str = "off", sync_interval: float = 0.0, pace: float = 0.0, lead: float = 3.0,
                  per_process: int = 1, round_pages: int | None = None, nice: int = 0) -> list[Any]:
    """Start the worker processes (tests/load_worker.py), ``per_process`` terminals in each, all set to begin at
    the same moment (``lead`` s from now, after their imports). ``round_pages``: pages a sync round pulls at most
    (None: the watch loop's ROUND_PAGES; 0: every page). ``nice``: the workers' scheduling niceness, so that many
    simulated terminals on a few cores leave the central service and PostgreSQL (in a venue on their own machine)
    the processor first. Returns (process, report paths) pairs."""
    from boxoffice.services.sync.rounds import ROUND_PAGES

    pages = ROUND_PAGES if round_pages is None else round_pages
    start_at = time.time() + lead
    out = []
    for i in range(0, len(terminals), per_process):
        group = terminals[i:i + per_process]
        reports = [directory / f"{t.toml.parent.name}-report.json" for t in group]
        proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "load_worker.py"),
                                 ",".join(str(t.toml) for t in group), ",".join(str(r) for r in reports),
                                 repr(start_at), repr(seconds), str(max_sales), print_mode, repr(sync_interval),
                                 repr(pace), str(pages)], env=child_env(), cwd=ROOT, stderr=subprocess.PIPE, text=True,
                                preexec_fn=(lambda: os.nice(nice)) if nice else None)
        out.append((proc, reports))
    return out


def collect(workers: list[Any], timeout: float) -> list[dict[str, Any]]:
    """Wait for every worker; their reports (a worker that failed raises, with its stderr)."""
    reports = []
    for proc, paths in workers:
        _, err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"a load worker exited {proc.returncode}: {err[-3000:]}")
        reports += [json.loads(Path(p).read_text()) for p in paths]
    return reports


# --- figures and checks -------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (nearest rank) of ``values``, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def summarise(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Sales per second (total and per terminal), sync lag and request latency percentiles, every error."""
    seconds = statistics.median(r["seconds"] for r in reports)
    lags = [x for r in reports for x in r["lags"]]
    times = {k: [x for r in reports for x in r["times"][k]] for k in ("push", "changes", "allocations")}
    every = [x for v in times.values() for x in v]
    rounds = [x for r in reports for x in r["round_times"]]
    errors: Counter[str] = Counter()
    for r in reports:
        errors.update({f"sale {k}": v for k, v in r["sale_errors"].items()})
        errors.update({f"request {k}": v for k, v in r["request_errors"].items()})
        if r["print_failures"]:
            errors["print failed"] += r["print_failures"]
    sync_failures = sum(sum(r["sync_errors"].values()) for r in reports)
    return {
        "terminals": len(reports), "seconds": round(seconds, 2), "sales": sum(r["sales"] for r in reports),
        "sales_per_s": round(sum(r["sales"] / r["seconds"] for r in reports), 1),
        "per_terminal_per_s": [round(r["sales"] / r["seconds"], 1) for r in reports],
        "lag_p50_s": percentile(lags, 50), "lag_p99_s": percentile(lags, 99), "lag_max_s": max(lags, default=None),
        "unacknowledged": sum(r["unacknowledged"] for r in reports),
        "requests": len(every), "request_p50_s": percentile(every, 50), "request_p99_s": percentile(every, 99),
        "by_request": {k: {"n": len(v), "p50_s": percentile(v, 50), "p99_s": percentile(v, 99)}
                       for k, v in times.items()},
        "rounds": sum(r["rounds"] for r in reports), "behind_rounds": sum(r.get("behind_rounds", 0) for r in reports),
        "round_p50_s": percentile(rounds, 50), "round_p99_s": percentile(rounds, 99),
        "round_in_requests": round(sum(every) / sum(rounds), 3) if rounds else None,
        "errors": dict(errors), "error_count": sum(errors.values()),
        "failed_rounds": sync_failures,
    }


def verify(db_url: str, terminals: list[Terminal], reports: list[dict[str, Any]] | None = None) -> list[str]:
    """What a user would check after the run; each problem found, as a line (none: all is well).

    Call after a last sync of every terminal, once all have pushed: then each must know every order."""
    import sqlite3

    from boxoffice.central.services.allocation_admin import summary
    from boxoffice.central.store.db import connect

    problems: list[str] = []
    by_toml = {r["toml"]: r for r in reports or []}
    with connect(db_url) as db:
        central_orders = db.scalar("SELECT count(*) FROM orders WHERE channel = 'box_office'")
        row = next(r for r in summary(db_url, EVENT) if r["section_id"] == SECTION)
        if row["web_sold"] + sum(row["allocated"].values()) + row["held"] + row["free"] != row["capacity"]:
            problems.append(f"central section invariant broken: {row}")
        for t in terminals:
            local = sqlite3.connect(t.db)
            try:
                ids = {r[0] for r in local.execute("SELECT id FROM journal")}
                seqs = local.execute("SELECT count(*), max(seq) FROM journal").fetchone()
                sold_here = local.execute("SELECT count(*) FROM orders WHERE terminal_id = ?",
                                          (t.terminal_id,)).fetchone()[0]
                known = local.execute("SELECT count(*) FROM orders WHERE channel = 'box_office'").fetchone()[0]
                waiting = local.execute("SELECT count(*) FROM journal WHERE pushed_at IS NULL").fetchone()[0]
                held = local.execute("SELECT allocated, sold FROM sections WHERE event_id = ? AND id = ?",
                                     (EVENT, SECTION)).fetchone()
            finally:
                local.close()
            there = [r["id"] for r in db.all("SELECT id FROM journal WHERE terminal_id = ?", (t.terminal_id,))]
            if len(there) != len(set(there)) or set(there) != ids:
                problems.append(f"{t.name}: {len(ids)} journal entries here, {len(there)} on the central service "
                                f"({len(set(there) - ids)} unknown here, {len(ids - set(there))} missing there)")
            n_seq = db.scalar("SELECT count(DISTINCT seq) FROM journal WHERE terminal_id = ?", (t.terminal_id,))
            if n_seq != seqs[0] or (seqs[1] or 0) != seqs[0]:
                problems.append(f"{t.name}: sequence numbers: {seqs[0]} entries up to {seqs[1]}, {n_seq} at central")
            if waiting:
                problems.append(f"{t.name}: {waiting} entries never pushed")
            orders = db.scalar("SELECT count(*) FROM orders WHERE terminal_id = ?", (t.terminal_id,))
            changes = db.scalar("SELECT count(*) FROM changes WHERE kind = 'order' AND origin = ?", (t.terminal_id,))
            tickets = db.scalar("SELECT count(*) FROM tickets k JOIN orders o ON o.id = k.order_id WHERE "
                                "o.terminal_id = ? AND k.section_id = ?", (t.terminal_id, SECTION))
            sales = db.scalar("SELECT count(*) FROM journal WHERE terminal_id = ? AND kind = 'sale'",
                              (t.terminal_id,))
            reported = by_toml.get(str(t.toml), {}).get("sales", sold_here) if reports else sold_here
            if not orders == changes == sales == sold_here == reported:
                problems.append(f"{t.name}: sold {reported} (reported), {sold_here} orders here; central has "
                                f"{orders} orders, {sales} sale entries, {changes} order changes")
            if tickets != TICKETS_PER_SALE * sold_here or held[1] != tickets:
                problems.append(f"{t.name}: {tickets} tickets at central for {sold_here} sales, {held[1]} sold here")
            granted = row["allocated"].get(t.terminal_id, 0)
            if tickets > granted or held[1] > held[0] or held[0] != granted:
                problems.append(f"{t.name}: oversold: {tickets} sold of {granted} granted (holds {held[0]} here)")
            if known != central_orders:
                problems.append(f"{t.name}: knows {known} box-office orders, the central service has {central_orders}")
    return problems
