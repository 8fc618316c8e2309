"""Sync throughput on PostgreSQL against psycopg COPY of the same rows, and the terminal's peak memory.

    .venv/bin/python benchmarks/bench_sync.py                    # 100,000 entries pushed, 100,000 web orders pulled
    .venv/bin/python benchmarks/bench_sync.py --n 20000          # a quicker look
    .venv/bin/python benchmarks/bench_sync.py --memory 100000,1000000 --skip-pull   # push memory at two sizes

Push: a terminal with N sales in its journal pushes them (`services.sync.push`, 1,000 a request) to `boxoffice
central serve` on PostgreSQL over loopback HTTP. Floor: psycopg COPY of exactly the rows that push wrote (journal
entries, orders, tickets, feed changes) into the same tables in a fresh schema, one transaction.

Pull: N web orders imported on the central service, then a fresh terminal pulls them (`services.sync.pull`, 1,000 a
page) into its SQLite database. Indexing them for the pickup desk's search, which the pull does after each page in
a transaction of its own (the desk would otherwise do it before its first search), is timed apart: index_s.
Floor: psycopg COPY of the same rows (orders, tickets, feed changes) into the same central tables. A second,
informational floor: the same orders and tickets written into a bare terminal database with sqlite3 executemany,
one commit per thousand.

Ratios are floor time / subject time (the share of the floor's rate the subject reaches; goal at least 0.2). Each
subject runs in its own process, which reports its peak resident memory (VmHWM) and what it had after imports,
before the work. PostgreSQL: BOXOFFICE_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test); a database is
made for the run and dropped after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "latest.jsonl"
PG_URL = os.environ.get("BOXOFFICE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
GOAL = 0.2
MEMORY_GOAL_MB = 150


def rss_mb() -> float:
    """Peak resident memory of this process so far. VmHWM belongs to this program's own address space; ru_maxrss
    would also count the parent's memory at fork time, which Linux carries across exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the terminal side, run in a child process so its memory is its own ------------------------------------


def child(what: str, db: str) -> None:
    """Push or pull with a terminal's database; print one JSON line: seconds, count, peak and base memory."""
    from boxoffice.config import load
    from boxoffice.services.opening import open_terminal
    from boxoffice.services.sync import rounds as service
    from boxoffice.sync.client import CentralClient

    ctx = open_terminal(load(db=db))
    url, token = service.credentials(ctx)
    base = rss_mb()
    with CentralClient(url, token, timeout=120) as client:
        start = time.perf_counter()
        if what == "push":
            out = service.push(ctx, client, batch=1000)
            count = out["pushed"]
        else:  # indexing the orders for the pickup desk happens page by page: timed apart, reported as index_s
            out = service.pull(ctx, client, page_size=1000)
            count = out["by_kind"].get("web_order", 0)
        took = time.perf_counter() - start
    index = out.get("index_seconds", 0.0)
    took -= index
    print(json.dumps({"seconds": took, "count": count, "index_s": index, "peak_mb": rss_mb(), "base_mb": base}))


def run_child(what: str, db: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    out = subprocess.run([sys.executable, __file__, "--child", what, "--db", str(db)], capture_output=True,
                         text=True, env=env, cwd=ROOT, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{what} child failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- set-up -------------------------------------------------------------------------------------------------


class Pg:
    """A database for this run, with a fresh schema per part."""

    def __init__(self) -> None:
        import psycopg

        self.admin = psycopg.connect(PG_URL, autocommit=True)
        self.name = f"boxoffice_bench_{os.getpid()}_{secrets.token_hex(3)}"
        self.admin.execute(f'CREATE DATABASE "{self.name}"')
        self.url = f"{PG_URL.rsplit('/', 1)[0]}/{self.name}"

    def schema(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return f"{self.url}?options={quote(f'-csearch_path={name}')}"

    def drop(self) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.close()


class Server:
    def __init__(self, db_url: str, log: Path) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
        self.proc = subprocess.Popen([sys.executable, "-c", "from boxoffice.cli.main import run; run()", "central",
                                      "serve", "--db", db_url, "--port", str(self.port)], cwd=ROOT, env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        import httpx

        for _ in range(300):
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("central serve did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self._log.close()


def make_terminal(directory: Path, name: str, central: str, db_url: str) -> Any:
    """A terminal with the demo catalogue and an admin, enrolled with the central service."""
    from boxoffice.central.services.admin import enroll_code
    from boxoffice.config import load
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.demo_catalog import demo_catalog
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.sync.rounds import enroll
    from boxoffice.services.terminal import init_terminal
    from boxoffice.sync.client import CentralClient

    ctx = init_terminal(load(db=str(directory / "terminal.db")), name)
    add_operator(ctx, "ada", "admin", "123456")
    login(ctx, "ada", "123456")
    import_catalog(ctx, demo_catalog(ctx.now().date()))
    with CentralClient(central) as client:
        enroll(ctx, central, enroll_code(db_url, name)["code"], client)
    return ctx


def fake_sales(ctx: Any, n: int, chunk: int = 20_000) -> None:
    """``n`` one-ticket standing sales written straight into the tables and the journal, ``chunk`` a commit."""
    from boxoffice.domain.codes import make_order_code
    from boxoffice.domain.ids import uuid7
    from boxoffice.services.signing import key_id_bytes, private_key
    from boxoffice.store import journal as journal_store
    from boxoffice.store import orders as order_store
    from boxoffice.store import terminal as terminal_store
    from boxoffice.store.catalog import list_events
    from boxoffice.store.db import write
    from boxoffice.tickets.token import TicketClaims, sign_token

    event = list_events(ctx.conn)[0]["id"]
    key, kid = private_key(ctx), key_id_bytes(ctx)
    tid_, term = ctx.terminal["id"], ctx.terminal["tag"]
    done = 0
    while done < n:
        now = ctx.now_iso()
        with write(ctx.conn):
            for _ in range(min(chunk, n - done)):
                oid, tid = uuid7(), uuid7()
                seq = terminal_store.next_order_seq(ctx.conn)
                order = {"id": oid, "code": make_order_code(term, seq % 923_521), "event_id": event,
                         "channel": "box_office", "terminal_id": tid_, "status": "paid", "customer_name": None,
                         "email": None, "phone": None, "notes": None, "total": 2250, "tax": 375, "currency": "GBP",
                         "created_at": now, "operator_id": None}
                ticket = {"id": tid, "order_id": oid, "event_id": event, "section_id": "standing", "row": None,
                          "seat": None, "ticket_type_id": "adult", "price": 2250, "tax": 375,
                          "token": sign_token(TicketClaims(tid, event, "standing", None, None), key, kid)}
                if seq < 923_521:  # order codes are unique per tag up to 31**4; past that only the journal grows
                    order_store.insert_order(ctx.conn, order)
                    order_store.insert_tickets(ctx.conn, [ticket])
                journal_store.append(ctx.conn, terminal_id=tid_, kind="sale", operator_id=None, at=now,
                                     payload={"order": order, "tickets": [{k: ticket[k] for k in (
                                         "id", "section_id", "row", "seat", "ticket_type_id", "price", "tax",
                                         "token")}], "payments": []})
                done += 1


def web_orders(db_url: str, n: int, directory: Path, chunk: int = 50_000) -> None:
    """``n`` one-ticket web orders imported on the central service (the admin import, in chunks)."""
    from boxoffice.central.services.admin import import_orders
    from boxoffice.central.services.admin import open_db as open_central

    with open_central(db_url) as db:
        event = db.scalar("SELECT id FROM events ORDER BY starts_at LIMIT 1")
    for start in range(0, n, chunk):
        orders = [{"ref": f"bench-{i}", "event_id": event, "customer_name": f"Customer {i}",
                   "email": f"c{i}@example.com", "phone": f"+44 7700 {i:06d}",
                   "tickets": [{"section_id": "standing", "type": "adult"}]}
                  for i in range(start, min(n, start + chunk))]
        path = directory / "web.json"
        path.write_text(json.dumps({"format": "boxoffice.web-orders/1", "orders": orders}))
        import_orders(db_url, path)


# --- floors -------------------------------------------------------------------------------------------------


def copy_floor(pg: Pg, source_url: str, tables: dict[str, str]) -> tuple[float, int]:
    """COPY the rows ``tables`` selects (table -> WHERE clause) from the source schema into a fresh one."""
    import psycopg

    from boxoffice.central.store import schema
    from boxoffice.central.store.db import connect

    target = pg.schema(f"floor_{secrets.token_hex(4)}")
    with connect(target) as db:
        schema.create(db, "2026-01-01T00:00:00.000000Z")
    data: dict[str, tuple[list[str], list[tuple]]] = {}
    with psycopg.connect(source_url) as src:
        for table, where in tables.items():
            cur = src.execute(f"SELECT * FROM {table} WHERE {where}")
            data[table] = ([d.name for d in cur.description], cur.fetchall())
    rows = sum(len(r) for _, r in data.values())
    with psycopg.connect(target) as dst:
        start = time.perf_counter()
        with dst.transaction():
            for table, (cols, values) in data.items():
                with dst.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for v in values:
                        copy.write_row(v)
        took = time.perf_counter() - start
    return took, rows


def sqlite_floor(directory: Path, orders: list[tuple], tickets: list[tuple]) -> float:
    """The pulled orders and tickets into a bare terminal database: executemany, a commit per thousand."""
    from boxoffice.store.db import connect

    conn = connect(directory / "floor.db", create=True)
    conn.execute("INSERT INTO venue VALUES ('v', 'V', 'Europe/London', 'GBP')")
    event = orders[0][2]
    conn.execute("INSERT INTO events (id, venue_id, name, starts_at, timezone, currency, updated_at)"
                 " VALUES (?, 'v', 'E', '2030-01-01', 'Europe/London', 'GBP', '')", (event,))
    start = time.perf_counter()
    for i in range(0, len(orders), 1000):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO orders (id, code, event_id, channel, status, customer_name, email, phone, "
                         "total, tax, currency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         orders[i:i + 1000])
        conn.executemany("INSERT INTO tickets (id, order_id, event_id, section_id, ticket_type_id, price, tax, "
                         "token) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tickets[i:i + 1000])
        conn.execute("COMMIT")
    took = time.perf_counter() - start
    conn.close()
    return took


# --- the parts ----------------------------------------------------------------------------------------------


def bench_push(pg: Pg, n: int, work: Path, with_floor: bool = True) -> dict[str, Any]:
    url = pg.schema(f"push_{n}_{secrets.token_hex(3)}")
    from boxoffice.central.services.admin import init

    init(url)
    server = Server(url, work / f"serve-push-{n}.log")
    try:
        ctx = make_terminal(work / f"push-{n}-{secrets.token_hex(3)}", f"Push {n}", server.url, url)
        t0 = time.perf_counter()
        fake_sales(ctx, n)
        made = time.perf_counter() - t0
        tid = ctx.terminal["id"]
        db = ctx.config.db_path
        ctx.close()
        got = run_child("push", db)
    finally:
        server.stop()
    out = {"n": n, "made_s": made, **got}
    if with_floor:
        floor, rows = copy_floor(pg, url, {
            "journal": f"terminal_id = '{tid}'", "orders": f"terminal_id = '{tid}'",
            "tickets": f"order_id IN (SELECT id FROM orders WHERE terminal_id = '{tid}')",
            "changes": f"origin = '{tid}'"})
        out.update(floor_s=floor, floor_rows=rows)
    return out


def bench_pull(pg: Pg, n: int, work: Path, with_floor: bool = True) -> dict[str, Any]:
    from boxoffice.central.services.admin import init, publish_catalog
    from boxoffice.services.demo_catalog import demo_catalog

    url = pg.schema(f"pull_{n}_{secrets.token_hex(3)}")
    init(url)
    doc = demo_catalog(datetime.now(UTC).date())
    for ev in doc["events"]:  # the web shop sells only what is free: a standing area as big as the schema allows
        for sec in ev["sections"]:
            if sec["kind"] == "general":
                sec["capacity"] = 1_000_000
    cat = work / "catalog.json"
    cat.write_text(json.dumps(doc))
    publish_catalog(url, cat)
    t0 = time.perf_counter()
    web_orders(url, n, work)
    made = time.perf_counter() - t0
    server = Server(url, work / f"serve-pull-{n}.log")
    try:
        ctx = make_terminal(work / f"pull-{n}-{secrets.token_hex(3)}", f"Pull {n}", server.url, url)
        db = ctx.config.db_path
        ctx.close()
        got = run_child("pull", db)
    finally:
        server.stop()
    out = {"n": n, "made_s": made, **got}
    if with_floor:
        floor, rows = copy_floor(pg, url, {"orders": "channel = 'web'", "tickets": "order_id IN (SELECT id FROM "
                                           "orders WHERE channel = 'web')", "changes": "kind = 'web_order'"})
        out.update(floor_s=floor, floor_rows=rows)
        import psycopg

        with psycopg.connect(url) as src:
            orders = src.execute("SELECT id, code, event_id, channel, status, customer_name, email, phone, total,"
                                 " tax, currency, created_at FROM orders WHERE channel = 'web'").fetchall()
            tickets = src.execute("SELECT id, order_id, event_id, section_id, ticket_type_id, price, tax, token"
                                  " FROM tickets WHERE order_id IN (SELECT id FROM orders WHERE channel = 'web')"
                                  ).fetchall()
        out["sqlite_floor_s"] = sqlite_floor(work, orders, tickets)
    return out


def record(rows: list[dict[str, Any]]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT, check=False).stdout.strip() or None
    stamp = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "machine": f"{os.cpu_count()}-core {platform.node()}", "python": platform.python_version(),
             "commit": commit}
    with RESULTS.open("a", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"bench": "sync", **r, **stamp}) + "\n")


class _Printed(list):
    """Rows printed as they come, so a long run shows its figures before it ends."""

    def append(self, row: dict[str, Any]) -> None:
        print(json.dumps(row), flush=True)
        super().append(row)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="entries to push and web orders to pull")
    ap.add_argument("--memory", default="", help="push sizes to measure peak memory at, e.g. 100000,1000000")
    ap.add_argument("--memory-pull", default="", help="pull sizes to measure peak memory at")
    ap.add_argument("--skip-pull", action="store_true")
    ap.add_argument("--skip-push", action="store_true")
    ap.add_argument("--child", choices=["push", "pull"], help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.db)
        return 0
    pg = Pg()
    rows: list[dict[str, Any]] = _Printed()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
            work = Path(tmp)
            if not args.skip_push:
                r = bench_push(pg, args.n, work)
                ratio = r["floor_s"] / r["seconds"]
                rows.append({"name": f"push {args.n:,} entries", "rate_per_s": round(r["count"] / r["seconds"]),
                             "seconds": round(r["seconds"], 2), "floor": f"COPY of the same {r['floor_rows']:,} rows",
                             "floor_s": round(r["floor_s"], 2), "ratio": round(ratio, 3), "goal": f">= {GOAL}",
                             "met": ratio >= GOAL, "peak_mb": round(r["peak_mb"], 1),
                             "base_mb": round(r["base_mb"], 1)})
            if not args.skip_pull:
                r = bench_pull(pg, args.n, work)
                ratio = r["floor_s"] / r["seconds"]
                rows.append({"name": f"pull {args.n:,} web orders", "rate_per_s": round(r["count"] / r["seconds"]),
                             "seconds": round(r["seconds"], 2), "floor": f"COPY of the same {r['floor_rows']:,} rows",
                             "floor_s": round(r["floor_s"], 2), "ratio": round(ratio, 3), "goal": f">= {GOAL}",
                             "met": ratio >= GOAL, "peak_mb": round(r["peak_mb"], 1), "base_mb": round(r["base_mb"], 1),
                             "sqlite_floor_s": round(r["sqlite_floor_s"], 2),
                             "sqlite_ratio": round(r["sqlite_floor_s"] / r["seconds"], 3),
                             "index_s": round(r["index_s"], 2),
                             "ratio_with_index": round(r["floor_s"] / (r["seconds"] + r["index_s"]), 3)})
            for size in [int(x) for x in args.memory.split(",") if x]:
                r = bench_push(pg, size, work, with_floor=False)
                rows.append({"name": f"push memory at {size:,}", "seconds": round(r["seconds"], 1),
                             "made_s": round(r["made_s"], 1),
                             "rate_per_s": round(r["count"] / r["seconds"]), "peak_mb": round(r["peak_mb"], 1),
                             "base_mb": round(r["base_mb"], 1), "goal": f"< {MEMORY_GOAL_MB} MB",
                             "met": r["peak_mb"] < MEMORY_GOAL_MB})
            for size in [int(x) for x in args.memory_pull.split(",") if x]:
                r = bench_pull(pg, size, work, with_floor=False)
                rows.append({"name": f"pull memory at {size:,}", "seconds": round(r["seconds"], 1),
                             "made_s": round(r["made_s"], 1), "index_s": round(r["index_s"], 1),
                             "rate_per_s": round(r["count"] / r["seconds"]), "peak_mb": round(r["peak_mb"], 1),
                             "base_mb": round(r["base_mb"], 1), "goal": f"< {MEMORY_GOAL_MB} MB",
                             "met": r["peak_mb"] < MEMORY_GOAL_MB})
    finally:
        pg.drop()
    record(rows)
    return 1 if any(r.get("met") is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
