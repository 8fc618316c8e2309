"""The pretix bridge against the same HTTP calls made bare with httpx: a pull of 10,000 orders, a push of 1,000 sales.

    .venv/bin/python benchmarks/bench_pretix.py                           # 10,000 orders pulled, 1,000 sales pushed
    .venv/bin/python benchmarks/bench_pretix.py --orders 2000 --sales 200 # a quicker look
    .venv/bin/python benchmarks/bench_pretix.py --part pull --runs 5

pretix: the one named by BOXOFFICE_PRETIX_URL and BOXOFFICE_PRETIX_TOKEN_FILE (organizer BOXOFFICE_PRETIX_ORGANIZER,
default ``venue``), else one started by tests/pretix_server.py's machinery when that module is there.

Set-up (not timed): an event ``pxbench-o<N>`` with one item and a quota of a million, holding N paid orders of two
tickets each, kept between runs (a second run finds them there). The first order is made through the REST API; the
rest are copies of it made through pretix's ORM (benchmarks/pretix_seed.py) with pretix's own Python, given by
--pretix-python / BOXOFFICE_PRETIX_PYTHON and --pretix-data / BOXOFFICE_PRETIX_DATA (the folder of its pretix.cfg
and settings module), or known from the started pretix. Without them the orders are made through the API, about
150 ms each, so the default falls to 1,000 orders (say --orders to insist).

Pull, subject: the bridge's page-by-page pull of every paid order of the event through ``PretixClient.pages`` (its
pacing, retries, size and shape checks), or, once the bridge's `web_orders` step does something, that whole step
(``central pretix sync --step catalogue --step web_orders`` in process) into a fresh central SQLite database; the
row's name says which. Floor: the same GETs (same query, same page size, 50, pretix's maximum) made with one bare
``httpx.Client``, decoded with ``.json()``. Memory: the peak of Python's allocations (tracemalloc) during a pull of
the first 2,000 orders and of all N, for the subject and the floor: flat means the same at both sizes.

Push, subject: sales POSTed as paid pretix orders (two tickets, payment provider ``boxoffice``, no e-mail) through
``PretixClient.post`` with an idempotency key each; floor: the same bodies POSTed with a bare ``httpx.Client``,
with the same ``X-Idempotency-Key`` header (pretix's own cost of a key is pretix's, not the bridge's). They go in
batches of --batch (100), subject and floor in turn, so 1,000 sales are 10 timed batches of each; the figure is
the median batch. The bridge's `sales` step (central's sales tables to pretix) needs a central service with a
terminal's sales pushed to it: not measured here; the client call is what that step adds per sale.

Ratios are subject time / floor time (1.00x: the bridge adds nothing to pretix's own time); goal <= 1.1x. Results
are appended to benchmarks/results/latest.jsonl like every benchmark's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from harness import RESULTS, Bench, _commit  # noqa: E402

PAGE = 50
GOAL = 1.1  # the bridge adds at most a tenth to pretix's own time for the same calls
SMALL = 2000


# --- the pretix to measure against --------------------------------------------------------------------------


class Pretix:
    """A pretix on loopback: URL, organizer, token, and (when known) how to run its own Python on its database."""

    def __init__(self, url: str, organizer: str, token: str, python: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.url, self.organizer, self.token = url.rstrip("/"), organizer, token
        self.python, self.env = python, env
        self.api = f"{self.url}/api/v1/organizers/{organizer}/"

    def http(self) -> Any:
        import httpx

        return httpx.Client(base_url=self.api, timeout=120,
                            headers={"Authorization": f"Token {self.token}", "Accept": "application/json"})


def orm_env(data: Path) -> dict[str, str] | None:
    """The environment that points pretix's Python at the database in ``data`` (its pretix.cfg and the settings
    module beside it: the .py file there that imports pretix.settings)."""
    config = data / "pretix.cfg"
    modules = [p.stem for p in sorted(data.glob("*.py")) if "pretix.settings" in p.read_text(errors="replace")]
    if not config.exists() or not modules:
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PRETIX_", "PYTHON"))}
    env.update(PRETIX_CONFIG_FILE=str(config), DJANGO_SETTINGS_MODULE=modules[0], PYTHONPATH=str(data))
    return env


@contextlib.contextmanager
def pretix_at_hand(args: argparse.Namespace) -> Iterator[Pretix]:
    url, token_file = os.environ.get("BOXOFFICE_PRETIX_URL"), os.environ.get("BOXOFFICE_PRETIX_TOKEN_FILE")
    python = args.pretix_python or os.environ.get("BOXOFFICE_PRETIX_PYTHON")
    data = args.pretix_data or os.environ.get("BOXOFFICE_PRETIX_DATA")
    if url and token_file:
        env = orm_env(Path(data)) if data else None
        yield Pretix(url, os.environ.get("BOXOFFICE_PRETIX_ORGANIZER", "venue"), Path(token_file).read_text().strip(),
                     python if env else None, env)
        return
    try:
        from tests import pretix_server
    except ImportError:
        raise SystemExit("no pretix: set BOXOFFICE_PRETIX_URL and BOXOFFICE_PRETIX_TOKEN_FILE") from None
    with tempfile.TemporaryDirectory(prefix="pxbench-") as tmp, pretix_server.started_pretix(Path(tmp)) as server:
        started_python = pretix_server.pretix_python()[0]
        yield Pretix(server.url, server.organizer, server.token, started_python, orm_env(Path(tmp)))


# --- set-up: events and orders, kept between runs -----------------------------------------------------------


def order_body(item: int) -> dict[str, Any]:
    """A paid order of two tickets, as the bridge sends a box-office sale (no voucher: this event has no stock)."""
    return {"email": "bench@example.org", "locale": "en", "status": "p", "payment_provider": "boxoffice",
            "send_email": False, "positions": [{"item": item, "price": "25.00"}, {"item": item, "price": "25.00"}]}


def ensure_event(http: Any, slug: str) -> int:
    """The event ``slug`` with an item in a quota of a million; returns the item's id."""
    if http.get(f"events/{slug}/").status_code in (403, 404):  # pretix answers 403 for an unknown event
        answer = http.post("events/", json={"name": {"en": f"Benchmark {slug}"}, "slug": slug, "currency": "EUR",
                                            "date_from": "2030-01-01T19:00:00Z"})
        answer.raise_for_status()
    items = http.get(f"events/{slug}/items/").json()["results"]
    if items:
        return int(items[0]["id"])
    item = http.post(f"events/{slug}/items/", json={"name": {"en": "Adult"}, "default_price": "25.00",
                                                     "admission": True, "active": True}).json()
    http.post(f"events/{slug}/quotas/", json={"name": "Hall", "size": 1_000_000, "items": [item["id"]]}
              ).raise_for_status()
    return int(item["id"])


def paid_count(http: Any, slug: str) -> int:
    return int(http.get(f"events/{slug}/orders/", params={"status": "p", "page_size": 1}).json()["count"])


def ensure_orders(px: Pretix, slug: str, n: int) -> None:
    """N paid orders in ``slug``: the first through the API, the rest copied through pretix's ORM when its Python
    is known, else through the API too."""
    with px.http() as http:
        item = ensure_event(http, slug)
        have = paid_count(http, slug)
        if have >= n:
            print(f"set-up: {slug} already holds {have} paid orders", flush=True)
            return
        start = time.perf_counter()
        todo = n - have if px.python is None else (1 if have == 0 else 0)
        for i in range(todo):
            http.post(f"events/{slug}/orders/", json=order_body(item)).raise_for_status()
            if i % 500 == 499:
                print(f"set-up: {have + i + 1} of {n} orders through the API", flush=True)
    if px.python is not None:
        subprocess.run([px.python, str(Path(__file__).resolve().parent / "pretix_seed.py"), px.organizer, slug,
                        str(n)], env=px.env, check=True, stdout=subprocess.DEVNULL)
    print(f"set-up: {n} paid orders in {slug} in {time.perf_counter() - start:.0f} s", flush=True)


# --- pull ---------------------------------------------------------------------------------------------------


def step_written(module: Any) -> bool:
    """The bridge's step modules start as stubs whose docstring says so."""
    return "Not written yet" not in (module.__doc__ or "")


def bridge_settings(px: Pretix, slug: str) -> Any:
    from boxoffice.central.pretix.settings import PretixSettings

    return PretixSettings(url=px.url, organizer=px.organizer, events=(slug,), token=px.token)


def client_pull(client: Any, path: str, limit: int | None = None) -> int:
    count = 0
    for page in client.pages(path, {"status": "p"}):
        count += len(page)
        if limit is not None and count >= limit:
            break
    return count


def bare_pull(http: Any, path: str, limit: int | None = None) -> int:
    count, page = 0, 1
    while True:
        answer = http.get(path, params={"status": "p", "page_size": PAGE, "page": page})
        answer.raise_for_status()
        body = answer.json()
        count += len(body["results"])
        if not body["next"] or (limit is not None and count >= limit):
            return count
        page += 1


def peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def bench_pull(px: Pretix, n: int, runs: int, warmup: int) -> list[dict]:
    from boxoffice.central.pretix import orders_down
    from boxoffice.central.pretix.client import PAGE_SIZE, PretixClient

    assert PAGE_SIZE == PAGE, "the floor must ask for pages of the bridge's size"
    slug = f"pxbench-o{n}"
    ensure_orders(px, slug, n)
    path = f"events/{slug}/orders/"
    settings = bridge_settings(px, slug)
    client, http = PretixClient(settings), px.http()
    rows: list[dict] = []
    try:
        def floor() -> None:
            assert bare_pull(http, path) >= n

        def subject() -> None:
            assert client_pull(client, path) >= n

        bench = Bench("pretix-pull")
        bench.floor(f"bare httpx GETs of {n:,} orders", fn=floor)
        bench.subject(f"PretixClient.pages, {n:,} orders", fn=subject, goal=GOAL)
        if step_written(orders_down):
            bench.subject(f"web_orders step into central SQLite, {n:,} orders", fn=central_step(px, slug, n),
                          goal=GOAL)
        rows += bench.run(n=runs, warmup=warmup)
        small_n = min(SMALL, n)
        memory = {"subject": (peak_mb(lambda: client_pull(client, path, small_n)), peak_mb(lambda: client_pull(client,
                                                                                                          path))),
                  "floor": (peak_mb(lambda: bare_pull(http, path, small_n)), peak_mb(lambda: bare_pull(http, path)))}
    finally:
        client.close()
        http.close()
    # Flat: the subject grows from SMALL to n orders no more than the bare floor does (a pull that kept the orders
    # would grow by the orders' size: about 116 kB of JSON a page of 50 here).
    floor_growth = memory["floor"][1] - memory["floor"][0]
    print(f"\npeak of Python allocations (tracemalloc), {small_n:,} vs {n:,} orders:")
    for who, (small, full) in memory.items():
        print(f"  {who:8} {small:6.2f} MB  {full:6.2f} MB  (+{full - small:.2f} MB)")
    small, full = memory["subject"]
    rows.append(record({"bench": "pretix-pull", "name": "memory, PretixClient.pages", "peak_mb_small": round(small, 2),
                        "peak_mb_full": round(full, 2), "floor_peak_mb_small": round(memory["floor"][0], 2),
                        "floor_peak_mb_full": round(memory["floor"][1], 2), "orders_small": small_n, "orders_full": n,
                        "goal": "grows no more than the floor's (+0.5 MB)",
                        "met": full - small <= floor_growth + 0.5}))
    return rows


def central_step(px: Pretix, slug: str, n: int) -> Callable[[], None]:
    """The whole web_orders step into a fresh central SQLite database each run (the copy of an initialised one is
    inside the timing: a few milliseconds)."""
    from boxoffice.central.pretix import service
    from boxoffice.central.services import admin

    work = Path(tempfile.mkdtemp(prefix="pxbench-central-"))
    template = work / "template.db"
    admin.init(f"sqlite:///{template}")
    settings = bridge_settings(px, slug)

    def run() -> None:
        db = work / "central.db"
        for leftover in work.glob("central.db*"):
            leftover.unlink()
        shutil.copyfile(template, db)
        outcome = service.sync_once(f"sqlite:///{db}", settings, only=("catalogue", "web_orders"))
        if outcome.get("error"):
            raise RuntimeError(f"the bridge's round failed: {outcome['error']}")

    return run


# --- push ---------------------------------------------------------------------------------------------------


def bench_push(px: Pretix, sales: int, batch: int, warmup: int) -> list[dict]:
    from boxoffice.central.pretix.client import PretixClient

    slug = "pxbench-push"
    with px.http() as http:
        item = ensure_event(http, slug)
    path = f"events/{slug}/orders/"
    body = order_body(item)
    run_id = uuid.uuid4().hex[:12]
    counter = {"subject": 0, "floor": 0}
    client, http = PretixClient(bridge_settings(px, slug)), px.http()

    def key(who: str) -> str:
        counter[who] += 1
        return f"pxbench-{run_id}-{who}-{counter[who]}"

    def floor() -> None:
        for _ in range(batch):
            answer = http.post(path, json=body, headers={"X-Idempotency-Key": key("floor")})
            if answer.status_code != 201:
                raise RuntimeError(f"pretix answered {answer.status_code}: {answer.text[:200]}")

    def subject() -> None:
        for _ in range(batch):
            client.post(path, body, key=key("subject"))

    try:
        bench = Bench("pretix-push")
        bench.floor(f"bare httpx POSTs, {batch} sales", fn=floor)
        bench.subject(f"PretixClient.post with keys, {batch} sales", fn=subject, goal=GOAL)
        return bench.run(n=max(1, sales // batch), warmup=warmup)
    finally:
        client.close()
        http.close()


# --- records ------------------------------------------------------------------------------------------------


def record(row: dict) -> dict:
    import platform

    row.update(date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), machine=f"{os.cpu_count()}-core "
               f"{platform.node()}", python=platform.python_version(), commit=_commit(), load=os.getloadavg()[0])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["pull", "push", "both"], default="both")
    parser.add_argument("--orders", type=int, default=None, help="paid orders to pull (default 10,000)")
    parser.add_argument("--runs", type=int, default=3, help="timed pulls of each (after one warm-up)")
    parser.add_argument("--sales", type=int, default=1000, help="sales to push, in timed batches")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=1, help="untimed pulls, and batches pushed, of each first")
    parser.add_argument("--pretix-python", default=None, help="pretix's Python, to copy orders through its ORM")
    parser.add_argument("--pretix-data", default=None, help="the folder of pretix.cfg and its settings module")
    args = parser.parse_args()
    with pretix_at_hand(args) as px:
        orders = args.orders or (10_000 if px.python else 1_000)
        how = "copied through the ORM" if px.python else "made through the API"
        print(f"pretix {px.url}, organizer {px.organizer}; orders {how}; load average {os.getloadavg()[0]:.1f}",
              flush=True)
        if args.part in ("pull", "both"):
            bench_pull(px, orders, args.runs, args.warmup)
        if args.part in ("push", "both"):
            print()
            bench_push(px, args.sales, args.batch, args.warmup)
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
