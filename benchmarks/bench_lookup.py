"""The pickup desk's lookups on a large event: by order code, by name and by the last digits of a phone.

Two terminals are built, with web orders making 100,000 and 1,000,000 tickets (three orders in four have one
ticket, one in four two; Latin, accented and Chinese names; a unique phone each). Each run looks up the same
LOOKUPS different orders, in process on one open terminal, through ``services.pickup.find`` (what `boxoffice pickup
find` and the counter call: read the query, search, count each order's tickets and pickups, shape the result).

Floor, per kind: one indexed sqlite3 query that returns the same order row for the same key, on the same database:

    code   SELECT * FROM orders WHERE code = ?                           (the unique index on the code)
    name   SELECT o.* FROM order_search s JOIN orders o ON o.id = s.order_id WHERE order_search MATCH ?
           with the name's words as exact terms                          (the FTS5 index: no B-tree finds a word)
    phone  SELECT o.* FROM order_search s JOIN orders o ON o.id = s.order_id WHERE phone_rev MATCH ?
           with the last 6 digits reversed as a prefix term             (no B-tree finds a number by its end)

For scale, the phone lookup is also shown against a B-tree lookup of the whole number (the 0002 index on
orders.phone_digits), with no goal: what a lookup by the full number would cost, which the desk rarely has.

Goal: each lookup at most 3x its floor, and flat: the 1M figure about the 100k one. Names looked up are names no
other customer has (a common name returns up to 20 orders: a different job); phones are looked up by their last 6
digits, unique at this size.

The databases are filled through the store (orders, tickets, then the search index as the desk builds it) with
tokens that are unique but not signed: signing and verifying a million tokens costs minutes and no lookup here
reads a token. bench_scan.py measures real tokens.

    python benchmarks/bench_lookup.py [-n 15] [--warmup 2] [--sizes 100000,1000000] [--keep DIR] [--check]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))  # the tests' name generator: Latin, accented and Chinese names

from harness import Bench, exit_status  # noqa: E402

GOAL = 3.0
LOOKUPS = 200
EVENT = "festival"


def build(directory: Path, tickets: int) -> Path:
    """A terminal whose web orders make ``tickets`` tickets; returns the database path (reused if there)."""
    from datetime import datetime

    from pickup_fixtures import big_catalogue, person

    from boxoffice.config import load
    from boxoffice.domain.codes import make_order_code
    from boxoffice.domain.ids import uuid7
    from boxoffice.domain.search_text import phone_digits
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.pickup import refresh_index
    from boxoffice.services.terminal import init_terminal
    from boxoffice.store import orders as order_store
    from boxoffice.store.db import write

    db = directory / f"lookup-{tickets}" / "terminal.db"
    if db.exists():
        return db
    started = time.perf_counter()
    ctx = init_terminal(load(db=str(db)), "Pickup desk")
    add_operator(ctx, "ada", "admin", "123456")
    login(ctx, "ada", "123456")
    import_catalog(ctx, big_catalogue(datetime(2031, 6, 20)))
    rng = random.Random(11)
    made, i, seq = 0, 0, 0
    with write(ctx.conn):
        while made < tickets:
            who = person(rng, i)
            n = 2 if i % 4 == 3 else 1
            n = min(n, tickets - made)
            order_id = uuid7()
            seq += 1
            order_store.insert_order(ctx.conn, {
                "id": order_id, "code": make_order_code("W" + "QRSTUVWXYZ"[seq // 31**4] + "7", seq % 31**4),
                "event_id": EVENT, "channel": "web", "terminal_id": None, "status": "paid",
                "customer_name": who.name, "email": who.email, "phone": who.phone,
                "phone_digits": phone_digits(who.phone), "notes": None, "total": 4500 * n, "tax": 750 * n,
                "currency": "GBP", "created_at": "2031-06-01T10:00:00.000000Z", "operator_id": None})
            order_store.insert_tickets(ctx.conn, [
                {"id": uuid7(), "order_id": order_id, "event_id": EVENT, "section_id": "field", "row": None,
                 "seat": None, "ticket_type_id": "adult", "price": 4500, "tax": 750, "token": f"T{made + k}"}
                for k in range(n)])
            made += n
            i += 1
        refresh_index(ctx)
    ctx.conn.execute("PRAGMA optimize")
    ctx.close()
    print(f"built {tickets:,} tickets ({i:,} orders) in {time.perf_counter() - started:.0f} s: {db}")
    return db


class Lookups:
    """LOOKUPS finds of one kind through the service, on one open terminal."""

    def __init__(self, db: Path, queries: list[str]) -> None:
        from boxoffice.config import load
        from boxoffice.services.opening import open_terminal

        self.ctx = open_terminal(load(db=str(db)))
        self.queries = queries

    def __call__(self) -> None:
        from boxoffice.services.pickup import find

        for q in self.queries:
            if not find(self.ctx, q)["results"]:
                raise RuntimeError(f"nothing found for {q!r}")


class Floor:
    """The same rows by one indexed sqlite3 query each, on a plain connection with the same pragmas."""

    def __init__(self, db: Path, sql: str, params: list[tuple]) -> None:
        self.conn = sqlite3.connect(db, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.sql, self.params = sql, params

    def __call__(self) -> None:
        for p in self.params:
            if self.conn.execute(self.sql, p).fetchone() is None:
                raise RuntimeError(f"floor found nothing for {p!r}")


def sample(db: Path) -> dict[str, list[tuple[str, tuple]]]:
    """(query for the desk, floor parameters) per kind, for LOOKUPS orders spread over the whole event."""
    from boxoffice.domain import search_text

    conn = sqlite3.connect(db)
    total = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    names = Counter(r[0] for r in conn.execute("SELECT customer_name FROM orders"))
    rng = random.Random(5)
    picked: dict[str, list[tuple[str, tuple]]] = {"code": [], "name": [], "phone": []}
    while min(len(v) for v in picked.values()) < LOOKUPS:
        code, name, digits = conn.execute("SELECT code, customer_name, phone_digits FROM orders LIMIT 1 OFFSET ?",
                                          (rng.randrange(total),)).fetchone()
        if len(picked["code"]) < LOOKUPS:
            picked["code"].append((code.lower().replace("-", ""), (code,)))
        if names[name] == 1 and len(picked["name"]) < LOOKUPS:
            exact = search_text.name_match(search_text.query_terms(name), prefix=False)
            picked["name"].append((name, (exact,)))
        if len(picked["phone"]) < LOOKUPS:
            picked["phone"].append((digits[-6:], (search_text.phone_term(digits[-6:]), digits)))
    conn.close()
    return picked


FLOORS = {
    "code": "SELECT * FROM orders WHERE code = ?",
    "name": "SELECT o.* FROM order_search s JOIN orders o ON o.id = s.order_id WHERE order_search MATCH ?",
    "phone": "SELECT o.* FROM order_search s JOIN orders o ON o.id = s.order_id WHERE phone_rev MATCH ?",
}
WHOLE_NUMBER = "SELECT * FROM orders WHERE phone_digits = ?"


def run(work: Path, sizes: list[int], n: int, warmup: int) -> list[dict]:
    rows: list[dict] = []
    by_size: dict[int, dict[str, float]] = {}
    for size in sizes:
        db = build(work, size)
        picked = sample(db)
        for kind in ("code", "name", "phone"):
            bench = Bench(f"pickup lookup {size:,} tickets")
            bench.floor(f"indexed sqlite3 query by {kind} x{LOOKUPS}",
                        fn=Floor(db, FLOORS[kind], [p[:1] for _, p in picked[kind]]))
            bench.subject(f"find by {kind} at {size:,} x{LOOKUPS}",
                          fn=Lookups(db, [q for q, _ in picked[kind]]), goal=GOAL)
            result = bench.run(n=n, warmup=warmup, quiet=True)
            rows += result
            by_size.setdefault(size, {})[kind] = result[0]["median_s"]
            r = result[0]
            print(f"{r['name']:<34} {r['median_s'] / LOOKUPS * 1e6:8.1f} us/lookup   floor "
                  f"{r['floor_median_s'] / LOOKUPS * 1e6:6.1f} us   ratio {r['ratio']:.2f}x (goal <= {GOAL:g}) "
                  f"{'ok' if r['met'] else 'OVER'}")
        context = Bench(f"pickup lookup {size:,} tickets, phone against the whole number")
        context.floor(f"B-tree lookup of the whole number x{LOOKUPS}",
                      fn=Floor(db, WHOLE_NUMBER, [p[1:] for _, p in picked["phone"]]))
        context.subject(f"find by last 6 digits at {size:,} x{LOOKUPS} (no goal)",
                        fn=Lookups(db, [q for q, _ in picked["phone"]]))
        r = context.run(n=n, warmup=warmup, quiet=True)[0]
        rows.append(r)
        print(f"{'  (context) phone vs whole number':<34} {r['median_s'] / LOOKUPS * 1e6:8.1f} us/lookup   floor "
              f"{r['floor_median_s'] / LOOKUPS * 1e6:6.1f} us   ratio {r['ratio']:.2f}x (no goal)")
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        for kind in ("code", "name", "phone"):
            growth = by_size[large][kind] / by_size[small][kind]
            print(f"flatness {kind}: {large:,} / {small:,} tickets = {growth:.2f}x the time per lookup")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--keep", type=Path, help="Build (or reuse) the databases here instead of a temp dir.")
    ap.add_argument("--check", action="store_true", help="Exit 1 if a figure misses its goal.")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        rows = run(args.keep, sizes, args.n, args.warmup)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-lookup-") as tmp:
            rows = run(Path(tmp), sizes, args.n, args.warmup)
    return exit_status(rows) if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
