"""Many terminals selling and syncing against one central service at once: the driver shared by
benchmarks/bench_load.py (minutes, figures) and tests/test_stress_load.py (seconds, checks).

Each terminal is its own SQLite file, enrolled with a one-time code and given an allocation of standing places with
`boxoffice central allocate`. During the run each one is its own process (``python tests/load_helpers.py worker``)
with two threads on two connections to its database, as a counter and `boxoffice sync --watch` beside it would be:
one sells through ``services.sales.sell`` as fast as it can, the other runs ``services.sync.sync_once`` round after
round. The client is made with no retries of its own, so every failed request (an exception or an answer that is
not 2xx) is counted here, and the next round carries on from where the last one stopped.

What a worker measures and writes to its report (JSON):
- each sale's commit time, and when the central service first acknowledged the push holding its journal entry:
  the difference is the sync lag (both clocks are this process's monotonic clock);
- each request's duration (push, changes, allocations), timed around the client call;
- every error, by code.

``verify`` then checks what a user would: every terminal's journal on the central service exactly once (by id,
sequence and effect), every sale there once, each terminal selling no more than it was granted, the section's
invariant (web sold + allocated + free = capacity), and every terminal knowing every other's orders after a last
sync.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENT = "load-night"
SECTION = "standing"
TICKETS_PER_SALE = 2
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


# --- the worker: one terminal's process ---------------------------------------------------------------------


class TimedTransport:
    """The central client, with each request timed and each acknowledged sale noted (by order id, first time)."""

    def __init__(self, client: Any, loads: Any) -> None:
        self.client, self.loads = client, loads
        self.times: dict[str, list[float]] = {"push": [], "changes": [], "allocations": []}
        self.errors: Counter[str] = Counter()
        self.acked: dict[str, float] = {}

    def _timed(self, name: str, fn: Any, *args: Any) -> Any:
        from boxoffice.errors import BoxOfficeError

        start = time.perf_counter()
        try:
            answer = fn(*args)
        except BoxOfficeError as exc:
            self.errors[f"{name}: {exc.code}"] += 1
            raise
        except Exception as exc:
            self.errors[f"{name}: {type(exc).__name__}"] += 1
            raise
        self.times[name].append(time.perf_counter() - start)
        return answer

    def push(self, entries: list[dict[str, Any]]) -> Any:
        answer = self._timed("push", self.client.push, entries)
        now = time.monotonic()
        for e in entries:
            if e["kind"] == "sale":
                payload = e["payload"] if isinstance(e["payload"], dict) else self.loads(e["payload"])
                self.acked.setdefault(payload["order"]["id"], now)
        return answer

    def changes(self, after: int, limit: int) -> Any:
        return self._timed("changes", self.client.changes, after, limit)

    def allocations(self, after: int, limit: int = 500) -> Any:
        return self._timed("allocations", self.client.allocations, after, limit)

    def enroll_challenge(self, body: dict[str, Any]) -> Any:
        return self.client.enroll_challenge(body)

    def enroll(self, body: dict[str, Any]) -> Any:
        return self.client.enroll(body)


def worker(toml: str, start_at: float, seconds: float, max_sales: int, report: str, print_mode: str,
           sync_interval: float, pace: float = 0.0, drain_seconds: float = 120.0) -> None:
    """Sell and sync from ``start_at`` (epoch seconds) for ``seconds`` or ``max_sales`` sales, then push what is
    left; write the report. ``pace``: sales a second to aim at (0: as fast as the terminal goes)."""
    from boxoffice.config import load
    from boxoffice.domain.tenders import Tender
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.opening import open_terminal
    from boxoffice.services.printing import run_jobs
    from boxoffice.services.sales import SaleRequest, sell
    from boxoffice.services.sync.rounds import credentials, sync_once
    from boxoffice.sync.client import CentralClient
    from boxoffice.wire import codec

    seller, syncer = open_terminal(load(toml)), open_terminal(load(toml))
    url, token = credentials(syncer)
    client = CentralClient(url, token, retries=0, timeout=60)
    transport = TimedTransport(client, codec.loads)
    committed: dict[str, float] = {}
    sale_errors: Counter[str] = Counter()
    sync_errors: Counter[str] = Counter()
    print_failures = 0
    rounds = 0
    round_times: list[float] = []
    sold_for = 0.0
    done = threading.Event()
    request = SaleRequest(event_id=EVENT, section_id=SECTION, counts={"adult": TICKETS_PER_SALE},
                          tenders=[Tender("card", card_last4="4242")], print_receipt=False)

    def sell_loop() -> None:
        nonlocal print_failures, sold_for
        began = time.monotonic()
        deadline = began + seconds
        try:
            while time.monotonic() < deadline and len(committed) < max_sales:
                if pace:  # the next sale is due 1/pace after the previous one was due
                    time.sleep(max(0.0, began + len(committed) / pace - time.monotonic()))
                try:
                    sale = sell(seller, request)
                except BoxOfficeError as exc:
                    sale_errors[exc.code] += 1
                    if exc.code in ("not_allocated", "sold_out"):
                        return  # its allocation is spent: selling on would only repeat the refusal
                    continue
                except Exception as exc:  # noqa: BLE001 - counted: the goal is none
                    sale_errors[type(exc).__name__] += 1
                    continue
                committed[sale["order"]["id"]] = time.monotonic()
                if print_mode == "file":
                    results = run_jobs(seller, sale["jobs"])
                    print_failures += sum(r["status"] != "printed" for r in results)
        finally:
            sold_for = time.monotonic() - began
            done.set()

    def sync_round() -> dict[str, Any] | None:
        nonlocal rounds
        rounds += 1
        started = time.perf_counter()
        try:
            return sync_once(syncer, transport)
        except BoxOfficeError as exc:
            sync_errors[exc.code] += 1
        except Exception as exc:  # noqa: BLE001 - counted: the goal is none
            sync_errors[type(exc).__name__] += 1
        finally:
            round_times.append(time.perf_counter() - started)
        return None

    time.sleep(max(0.0, start_at - time.time()))
    thread = threading.Thread(target=sell_loop, name="seller")
    thread.start()
    while not done.is_set():
        sync_round()
        if sync_interval:
            done.wait(sync_interval)
    thread.join()
    drain_until = time.monotonic() + drain_seconds
    while time.monotonic() < drain_until:  # what was sold last goes up too
        out = sync_round()
        if out is not None and out["waiting"] == 0:
            break
    client.close()
    lags = [max(0.0, transport.acked[o] - t) for o, t in committed.items() if o in transport.acked]
    Path(report).write_text(json.dumps({
        "toml": toml, "sales": len(committed), "seconds": sold_for, "sale_errors": dict(sale_errors),
        "sync_errors": dict(sync_errors), "request_errors": dict(transport.errors), "rounds": rounds,
        "round_times": round_times,
        "print_failures": print_failures, "unacknowledged": len(committed) - len(lags), "lags": lags,
        "times": transport.times}))
    seller.close()
    syncer.close()


def start_workers(terminals: list[Terminal], directory: Path, *, seconds: float, max_sales: int,
                  print_mode: str = "off", sync_interval: float = 0.0, pace: float = 0.0,
                  lead: float = 3.0) -> list[Any]:
    """Start one worker process per terminal, all set to begin at the same moment (``lead`` s from now, after
    their imports). Returns (process, report path) pairs."""
    start_at = time.time() + lead
    out = []
    for t in terminals:
        report = directory / f"{t.toml.parent.name}-report.json"
        proc = subprocess.Popen([sys.executable, __file__, "worker", str(t.toml), repr(start_at), repr(seconds),
                                 str(max_sales), str(report), print_mode, repr(sync_interval), repr(pace)],
                                env=child_env(), cwd=ROOT, stderr=subprocess.PIPE, text=True)
        out.append((proc, report))
    return out


def collect(workers: list[Any], timeout: float) -> list[dict[str, Any]]:
    """Wait for every worker; their reports (a worker that failed raises, with its stderr)."""
    reports = []
    for proc, report in workers:
        _, err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"a load worker exited {proc.returncode}: {err[-3000:]}")
        reports.append(json.loads(Path(report).read_text()))
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
        "rounds": sum(r["rounds"] for r in reports),
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


def main(argv: list[str]) -> None:
    """Entry point of a worker process (see start_workers)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["worker"])
    for name in ("toml", "start_at", "seconds", "max_sales", "report", "print_mode", "sync_interval", "pace"):
        ap.add_argument(name)
    a = ap.parse_args(argv)
    worker(a.toml, float(a.start_at), float(a.seconds), int(a.max_sales), a.report, a.print_mode,
           float(a.sync_interval), float(a.pace))


if __name__ == "__main__":
    main(sys.argv[1:])
