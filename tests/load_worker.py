"""One worker process of a load run (tests/load_helpers.py starts them): one terminal, or several terminals side by
side when more terminals are simulated than processes fit on the machine (``--per-process``).

Each terminal has two threads on two connections to its own SQLite file, as a counter and `boxoffice sync --watch`
beside it would be: one sells through ``services.sales.sell`` as fast as it can (or at ``pace`` sales a second),
the other runs ``services.sync.sync_once`` round after round, each round pulling at most ``round_pages`` pages as
the watch loop does (0: every page, as `boxoffice sync` does). The client is made with no retries of its own, so
every failed request (an exception or an answer that is not 2xx) is counted, and the next round carries on from
where the last one stopped.

What a terminal measures and writes to its report (JSON, one file a terminal):
- each sale's commit time, and when the central service first acknowledged the push holding its journal entry:
  the difference is the sync lag (both clocks are this process's monotonic clock);
- each request's duration (push, changes, allocations), timed around the client call, and each round's;
- every error, by code.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENT = "load-night"
SECTION = "standing"
TICKETS_PER_SALE = 2


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


class TerminalRun:
    """One terminal selling and syncing in this process: its two connections, its client, what it measured."""

    def __init__(self, toml: str, report: str, *, seconds: float, max_sales: int, print_mode: str,
                 sync_interval: float, pace: float, round_pages: int, drain_seconds: float = 120.0) -> None:
        from boxoffice.config import load
        from boxoffice.services.opening import open_terminal
        from boxoffice.services.sync.rounds import credentials
        from boxoffice.sync.client import CentralClient
        from boxoffice.wire import codec

        self.toml, self.report = toml, report
        self.seconds, self.max_sales, self.print_mode = seconds, max_sales, print_mode
        self.sync_interval, self.pace, self.drain_seconds = sync_interval, pace, drain_seconds
        self.max_pages = round_pages or None
        self.seller, self.syncer = open_terminal(load(toml)), open_terminal(load(toml))
        url, token = credentials(self.syncer)
        self.client = CentralClient(url, token, retries=0, timeout=60)
        self.transport = TimedTransport(self.client, codec.loads)
        self.committed: dict[str, float] = {}
        self.sale_errors: Counter[str] = Counter()
        self.sync_errors: Counter[str] = Counter()
        self.print_failures = self.rounds = 0
        self.round_times: list[float] = []
        self.behind_rounds = 0
        self.sold_for = 0.0
        self.done = threading.Event()

    def sell_loop(self) -> None:
        from boxoffice.domain.tenders import Tender
        from boxoffice.errors import BoxOfficeError
        from boxoffice.services.printing import run_jobs
        from boxoffice.services.sales import SaleRequest, sell

        request = SaleRequest(event_id=EVENT, section_id=SECTION, counts={"adult": TICKETS_PER_SALE},
                              tenders=[Tender("card", card_last4="4242")], print_receipt=False)
        began = time.monotonic()
        deadline = began + self.seconds
        try:
            while time.monotonic() < deadline and len(self.committed) < self.max_sales:
                if self.pace:  # the next sale is due 1/pace after the previous one was due
                    time.sleep(max(0.0, began + len(self.committed) / self.pace - time.monotonic()))
                try:
                    sale = sell(self.seller, request)
                except BoxOfficeError as exc:
                    self.sale_errors[exc.code] += 1
                    if exc.code in ("not_allocated", "sold_out"):
                        return  # its allocation is spent: selling on would only repeat the refusal
                    continue
                except Exception as exc:  # noqa: BLE001 - counted: the goal is none
                    self.sale_errors[type(exc).__name__] += 1
                    continue
                self.committed[sale["order"]["id"]] = time.monotonic()
                if self.print_mode == "file":
                    results = run_jobs(self.seller, sale["jobs"])
                    self.print_failures += sum(r["status"] != "printed" for r in results)
        finally:
            self.sold_for = time.monotonic() - began
            self.done.set()

    def sync_round(self) -> dict[str, Any] | None:
        from boxoffice.errors import BoxOfficeError
        from boxoffice.services.sync.rounds import sync_once

        self.rounds += 1
        started = time.perf_counter()
        try:
            out = dict(sync_once(self.syncer, self.transport, max_pages=self.max_pages))
            self.behind_rounds += not out["caught_up"]
            return out
        except BoxOfficeError as exc:
            self.sync_errors[exc.code] += 1
        except Exception as exc:  # noqa: BLE001 - counted: the goal is none
            self.sync_errors[type(exc).__name__] += 1
        finally:
            self.round_times.append(time.perf_counter() - started)
        return None

    def sync_loop(self) -> None:
        """Rounds while the seller sells, then rounds until everything sold is pushed; then the report."""
        while not self.done.is_set():
            self.sync_round()
            if self.sync_interval:
                self.done.wait(self.sync_interval)
        drain_until = time.monotonic() + self.drain_seconds
        while time.monotonic() < drain_until:  # what was sold last goes up too
            out = self.sync_round()
            if out is not None and out["waiting"] == 0:
                break
        self.client.close()
        t = self.transport
        lags = [max(0.0, t.acked[o] - c) for o, c in self.committed.items() if o in t.acked]
        Path(self.report).write_text(json.dumps({
            "toml": self.toml, "sales": len(self.committed), "seconds": self.sold_for,
            "sale_errors": dict(self.sale_errors), "sync_errors": dict(self.sync_errors),
            "request_errors": dict(t.errors), "rounds": self.rounds, "round_times": self.round_times,
            "behind_rounds": self.behind_rounds, "print_failures": self.print_failures,
            "unacknowledged": len(self.committed) - len(lags), "lags": lags, "times": t.times}))
        self.seller.close()
        self.syncer.close()


def worker(tomls: list[str], reports: list[str], start_at: float, **kw: Any) -> None:
    """Sell and sync every terminal in ``tomls`` from ``start_at`` (epoch seconds), each with its two threads;
    each writes its report when it is done."""
    runs = [TerminalRun(toml, report, **kw) for toml, report in zip(tomls, reports, strict=True)]
    time.sleep(max(0.0, start_at - time.time()))
    threads = [threading.Thread(target=fn, name=f"{name}-{i}") for i, r in enumerate(runs)
               for name, fn in (("seller", r.sell_loop), ("syncer", r.sync_loop))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def main(argv: list[str]) -> None:
    """Entry point of a worker process (see load_helpers.start_workers): TOMLs and reports comma-separated."""
    ap = argparse.ArgumentParser()
    for name in ("tomls", "reports", "start_at", "seconds", "max_sales", "print_mode", "sync_interval", "pace",
                 "round_pages"):
        ap.add_argument(name)
    a = ap.parse_args(argv)
    worker(a.tomls.split(","), a.reports.split(","), float(a.start_at), seconds=float(a.seconds),
           max_sales=int(a.max_sales), print_mode=a.print_mode, sync_interval=float(a.sync_interval),
           pace=float(a.pace), round_pages=int(a.round_pages))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1:])
