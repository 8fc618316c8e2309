"""Shared parts of the stress tests (tests/test_stress_*.py) and of the long runs in benchmarks/.

- ``build_site``: a terminal on disk with a config file, the stress catalogue (one event tonight: 1,200 reserved
  seats and 100,000 standing), web orders to hand out and a supervisor logged in, driven as a user drives it, by
  real ``boxoffice`` processes.
- ``CrashDriver``: starts ``sell``, ``pickup``, ``refund``, ``scan`` (and ``sync``) processes and kills them with
  SIGKILL after a random delay between 0 and the command's own measured duration, keeping what each one said.
- ``whole_problems`` and ``reported_problems``: what a user would check afterwards. Every action is wholly there or
  wholly absent, and everything a process reported as done (before it exited, or before it was killed) is there.

Not a test module (it holds no tests).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # benchmarks/ import this module and pickup_fixtures by path
    sys.path.insert(0, str(HERE))

EVENT = "night"
STANDING = "standing"
STALLS = "stalls"
# 18:30 in London on the night, half an hour after the doors opened: sales, pickups, refunds and scans all allowed.
NOW = datetime(2031, 5, 20, 17, 30, tzinfo=UTC)
NOW_TEXT = "2031-05-20T17:30:00Z"
SUPERVISOR, SUPERVISOR_PIN = "sue", "222222"
ADMIN, ADMIN_PIN = "ada", "123456"
ROW_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ"

# The abuse tests draw this many times more examples, at random rather than the same ones each run, when
# STRESS_ABUSE_SCALE is set (benchmarks/bench_abuse.py sets it for the long run); CI runs them at 1.
ABUSE_SCALE = max(1, int(os.environ.get("STRESS_ABUSE_SCALE", "1") or 1))

# Exit statuses a finished command may give here (docs: `boxoffice --help`); 70 (internal error) never.
CLEAN_EXITS = {0, 2, 3, 4, 5, 6, 7, 8, 9, 10}
KILLED = -9


def stress_catalogue() -> dict[str, Any]:
    """One event tonight: 30 rows of 40 reserved seats, 100,000 standing, refunds free until the start."""
    rows = [{"row": "R" + ROW_LETTERS[i // len(ROW_LETTERS)] + ROW_LETTERS[i % len(ROW_LETTERS)], "seats": "1-40",
             "aisles_after": ["20"]} for i in range(30)]
    return {
        "format": "boxoffice.catalog/1",
        "venue": {"id": "stress-hall", "name": "Stress Hall", "timezone": "Europe/London", "currency": "GBP"},
        "events": [{
            "id": EVENT, "name": "Stress Night", "starts_at": "2031-05-20T19:30", "doors_at": "2031-05-20T18:00",
            "tax_rate": "20", "per_order_limit": 10, "reentry": True,
            "sections": [{"id": STALLS, "name": "Stalls", "kind": "reserved", "rows": rows},
                         {"id": STANDING, "name": "Standing", "kind": "general", "capacity": 100_000}],
            "ticket_types": [{"id": "adult", "name": "Adult", "prices": {STALLS: "35.00", STANDING: "20.00"}},
                             {"id": "child", "name": "Child", "prices": {STALLS: "15.00", STANDING: "10.00"}}],
            "refund_policy": [{"until_hours_before": 0, "fee_percent": "0"}],
        }],
    }


def boxoffice_command() -> list[str]:
    """How to run the installed `boxoffice` command as its own process."""
    script = Path(sys.executable).with_name("boxoffice")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from boxoffice.cli.main import run; run()"]


@dataclass
class Site:
    """A terminal in a directory: ``terminal.db``, its key, ``boxoffice.toml`` (a file:// printer beside it)."""

    dir: Path
    web_codes: list[str] = field(default_factory=list)

    @property
    def db(self) -> Path:
        return self.dir / "terminal.db"

    @property
    def config(self) -> Path:
        return self.dir / "boxoffice.toml"

    def argv(self, *args: str) -> list[str]:
        return [*boxoffice_command(), "--db", str(self.db), "--config", str(self.config), *args]

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
        env |= {"BOXOFFICE_NOW": NOW_TEXT, "PYTHONUNBUFFERED": "1"}
        env |= extra
        return env

    def run(self, *args: str, input: bytes | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(self.argv(*args), input=input, capture_output=True, timeout=timeout,
                              env=self.env(**(env or {})))

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        conn = self.connect()
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def build_site(directory: Path, *, web_orders: int = 150, seed: int = 1) -> Site:
    """A fresh terminal (its own id and key) with the stress catalogue, ``web_orders`` paid web orders for the
    pickup desk (1-3 standing tickets each, signed by a "central" key it trusts) and sue (supervisor) logged in."""
    from pickup_fixtures import Central, Seat, orders_doc, web_order

    from boxoffice.config import load
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.terminal import init_terminal
    from boxoffice.services.web_orders import import_keys, import_orders

    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    site = Site(directory)
    site.config.write_text(f'db = "terminal.db"\nprinter = "file://{directory / "printer.bin"}"\n',
                           encoding="utf-8")
    ctx = init_terminal(load(str(site.config), str(site.db)), "Stress Counter", lambda: NOW, demo=True)
    try:
        add_operator(ctx, ADMIN, "admin", ADMIN_PIN)
        login(ctx, ADMIN, ADMIN_PIN)
        add_operator(ctx, SUPERVISOR, "supervisor", SUPERVISOR_PIN)
        import_catalog(ctx, stress_catalogue())
        if web_orders:
            rng = random.Random(seed)
            central = Central.make()
            import_keys(ctx, central.keys_doc())
            orders = [web_order(central, EVENT, f"Guest {i}", [Seat(STANDING, price="20.00")] * rng.randint(1, 3),
                                email=f"guest{i}@example.com", notes="ID required" if i % 7 == 0 else None)
                      for i in range(web_orders)]
            import_orders(ctx, orders_doc(orders))
            site.web_codes = [o["code"] for o in orders]
        login(ctx, SUPERVISOR, SUPERVISOR_PIN)
    finally:
        ctx.close()
    return site


# --- the crash driver ---------------------------------------------------------------------------------------


@dataclass
class Attempt:
    """One process: what ran, when it was to be killed, and what it said."""

    kind: str
    argv: list[str]
    delay: float
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0

    @property
    def killed(self) -> bool:
        return self.returncode == KILLED


class CrashDriver:
    """Runs actions as processes and SIGKILLs them at random moments.

    ``kinds`` maps an action kind to its weight. Each attempt reads what it acts on from the database first (an
    order to refund, a web order to hand out, tokens to scan), as a person at the desk would have it in front of
    them. ``workers`` processes run at once, so a kill also lands while another process waits for the write lock.
    Each is killed after a delay drawn from [0, ``window`` x its kind's measured duration] (with ``window`` a little
    over 1 some finish first, and later kills find their work done).
    """

    def __init__(self, site: Site, seed: int, kinds: dict[str, float], *, workers: int = 2, window: float = 1.0,
                 planners: dict[str, Callable[[random.Random, sqlite3.Connection], tuple[list[str], bytes | None]]]
                 | None = None) -> None:
        self.site, self.seed, self.kinds, self.workers, self.window = site, seed, kinds, workers, window
        self.planners = {"sell": self._plan_sell, "pickup": self._plan_pickup, "refund": self._plan_refund,
                         "scan": self._plan_scan, "exchange": self._plan_exchange, "sync": self._plan_sync}
        self.planners |= planners or {}
        self.durations: dict[str, float] = {}
        self.attempts: list[Attempt] = []
        self._lock = threading.Lock()

    # What each kind of action does, with arguments a person at the desk would type.

    def _plan_sell(self, rng: random.Random, conn: sqlite3.Connection) -> tuple[list[str], bytes | None]:
        args = ["sell", EVENT]
        if rng.random() < 0.5:
            args += ["--section", STALLS]
            if rng.random() < 0.25:  # named seats: free ones, as the seat map shows them
                free = [r[0] for r in conn.execute(
                    "SELECT label FROM seats WHERE event_id = ? AND section_id = ? AND status = 'free'"
                    " ORDER BY random() LIMIT 2", (EVENT, STALLS))]
                if free:
                    args += ["--seats", ",".join(free)]
                    counts = {"adult": len(free)}
                else:
                    counts = {"adult": 1}
            else:
                counts = {"adult": rng.randint(1, 3), "child": rng.randint(0, 2)}
        else:
            args += ["--section", STANDING]
            counts = {"adult": rng.randint(1, 4), "child": rng.randint(0, 2)}
        for t, n in counts.items():
            if n:
                args += ["--type", f"{t}={n}"]
        pay = rng.choice(["card", "cash", "split"])
        if pay == "card":
            args += ["--card", "4242"]
        elif pay == "cash":
            args += ["--cash", "500"]
        else:
            args += ["--card", "4242:10", "--cash", "500"]
        if rng.random() < 0.3:
            args += ["--name", f"Walk-up {rng.randint(1, 10**6)}"]
        if rng.random() < 0.5:
            args.append("--json")
        return args, None

    def _plan_pickup(self, rng: random.Random, conn: sqlite3.Connection) -> tuple[list[str], bytes | None]:
        waiting = [r[0] for r in conn.execute(
            "SELECT DISTINCT o.code FROM orders o JOIN tickets t ON t.order_id = o.id"
            " WHERE o.channel = 'web' AND t.picked_up_at IS NULL AND t.status = 'valid'")]
        pool = waiting if waiting and rng.random() < 0.9 else self.site.web_codes
        code = rng.choice(pool) if pool else "NOPE-NOPE"
        args = ["pickup", code, "--yes"]
        if rng.random() < 0.2:
            args += ["--count", "1"]
        if rng.random() < 0.5:
            args.append("--json")
        return args, None

    def _plan_refund(self, rng: random.Random, conn: sqlite3.Connection) -> tuple[list[str], bytes | None]:
        rows = conn.execute(
            "SELECT o.code, group_concat(coalesce(t.row || t.seat, ''), ',') FROM orders o"
            " JOIN tickets t ON t.order_id = o.id AND t.status = 'valid'"
            " WHERE o.channel = 'box_office' AND o.terminal_id = (SELECT id FROM terminal)"
            " GROUP BY o.id ORDER BY random() LIMIT 1").fetchall()
        if not rows:
            return self._plan_sell(rng, conn)
        code, seats = rows[0]
        args = ["refund", code, "--yes"]
        named = [s for s in seats.split(",") if s]
        if named and len(named) > 1 and rng.random() < 0.4:
            args += ["--tickets", named[0]]
        if rng.random() < 0.5:
            args.append("--json")
        return args, None

    def _plan_scan(self, rng: random.Random, conn: sqlite3.Connection) -> tuple[list[str], bytes | None]:
        tokens = [r[0] for r in conn.execute("SELECT token FROM tickets ORDER BY random() LIMIT ?",
                                             (rng.randint(1, 8),))]
        lines = list(tokens)
        if lines and rng.random() < 0.3:  # out and back in again (the event has re-entry)
            lines += ["x", lines[0], "x", lines[0]]
        return ["scan", "check", "--event", EVENT, "--json"], ("\n".join(lines) + "\n").encode()

    def _plan_exchange(self, rng: random.Random, conn: sqlite3.Connection) -> tuple[list[str], bytes | None]:
        rows = conn.execute(
            "SELECT o.code FROM orders o JOIN tickets t ON t.order_id = o.id AND t.status = 'valid'"
            " WHERE o.channel = 'box_office' AND o.terminal_id = (SELECT id FROM terminal) AND t.section_id = ?"
            " GROUP BY o.id ORDER BY random() LIMIT 1",
            (STALLS,)).fetchall()
        if not rows:
            return self._plan_sell(rng, conn)
        return ["exchange", rows[0][0], "--yes", "--json"], None

    def _plan_sync(self, rng: random.Random, conn: sqlite3.Connection) -> tuple[list[str], bytes | None]:
        return ["sync", "--json", "--batch", str(rng.choice([5, 20, 500]))], None

    # Running.

    def _start(self, args: list[str], stdin: bytes | None) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.site.argv(*args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=self.site.env())

    def attempt(self, kind: str, rng: random.Random, delay: float | None) -> Attempt:
        """One action as a process; SIGKILL after ``delay`` seconds if it is still running (None: never)."""
        conn = self.site.connect()
        try:
            args, stdin = self.planners[kind](rng, conn)
        finally:
            conn.close()
        started = time.perf_counter()
        proc = self._start(args, stdin)
        out: dict[str, bytes] = {}
        # The output is read as it comes, so what a process said before it was killed is kept.
        readers = [threading.Thread(target=_drain, args=(proc.stdout, out, "out"), daemon=True),
                   threading.Thread(target=_drain, args=(proc.stderr, out, "err"), daemon=True)]
        for r in readers:
            r.start()
        with contextlib.suppress(BrokenPipeError, OSError):
            if stdin:
                proc.stdin.write(stdin)  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for r in readers:
            r.join(10)
        a = Attempt(kind, args, delay if delay is not None else -1.0, proc.returncode,
                    out.get("out", b"").decode("utf-8", "replace"), out.get("err", b"").decode("utf-8", "replace"),
                    time.perf_counter() - started)
        with self._lock:
            self.attempts.append(a)
        return a

    def measure(self, runs: int = 3) -> dict[str, float]:
        """Each kind's typical duration here (median of whole runs, ``workers`` at once as in the run itself):
        the range the kills are spread over."""
        for kind in self.kinds:
            times: list[float] = []

            def one(n: int, kind: str = kind, times: list[float] = times) -> None:
                rng = random.Random(self.seed * 7919 + n)
                times.extend(self.attempt(kind, rng, None).seconds for _ in range(runs))

            threads = [threading.Thread(target=one, args=(n,)) for n in range(self.workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.durations[kind] = statistics.median(times)
        return dict(self.durations)

    def run(self, kills: int, *, seconds: float | None = None,
            after_kill: Callable[[Attempt], None] | None = None) -> dict[str, Any]:
        """Attempts until ``kills`` processes were killed (or ``seconds`` passed), kind by weight. Returns counts."""
        if not self.durations:
            self.measure()
        deadline = time.monotonic() + seconds if seconds else None
        state = {"kills": 0}
        names, weights = list(self.kinds), list(self.kinds.values())
        errors: list[BaseException] = []

        def work(n: int) -> None:
            rng = random.Random(self.seed * 1000 + n)
            try:
                while True:
                    with self._lock:
                        if state["kills"] >= kills or (deadline and time.monotonic() > deadline) or errors:
                            return
                    kind = rng.choices(names, weights)[0]
                    a = self.attempt(kind, rng, rng.uniform(0, self.window * self.durations[kind]))
                    if a.killed:
                        with self._lock:
                            state["kills"] += 1
                        if after_kill:
                            after_kill(a)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(self.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return self.counts()

    def counts(self) -> dict[str, Any]:
        by_kind: dict[str, Counter] = {}
        for a in self.attempts:
            c = by_kind.setdefault(a.kind, Counter())
            c["attempts"] += 1
            c["killed" if a.killed else f"exit {a.returncode}"] += 1
        return {"kills": sum(a.killed for a in self.attempts), "attempts": len(self.attempts),
                "durations": {k: round(v, 3) for k, v in self.durations.items()},
                "by_kind": {k: dict(v) for k, v in by_kind.items()}}


def _drain(stream: Any, out: dict[str, bytes], key: str) -> None:
    chunks = []
    with contextlib.suppress(OSError, ValueError):
        for chunk in iter(lambda: stream.read1(65536), b""):
            chunks.append(chunk)
    out[key] = b"".join(chunks)


# --- what a user checks afterwards --------------------------------------------------------------------------


def unclean_exits(attempts: Iterable[Attempt]) -> list[str]:
    """Processes that ended on their own with an undocumented status, a traceback, or a refusal that is not one
    line (``error: ...`` on stderr; with --json, ``{"error": {"code", "message"}}`` whose code gives that status)."""
    from boxoffice.errors import EXIT_STATUSES

    out = []
    for a in attempts:
        if a.killed:
            continue
        said = a.stderr.strip()
        where = f"{' '.join(a.argv)} -> {a.returncode}"
        if a.returncode not in CLEAN_EXITS or "Traceback" in a.stderr + a.stdout or "internal error" in said:
            out.append(f"{where}: {said[-800:]}")
        elif a.returncode in (0, 6, 7):
            continue
        elif "--json" in a.argv:
            docs = _json_docs(a.stdout)
            error = docs[-1].get("error") if docs and isinstance(docs[-1], dict) else None
            if not error or EXIT_STATUSES.get(error.get("code"), (None,))[0] != a.returncode \
                    or "\n" in error.get("message", "\n"):
                out.append(f"{where}: not a JSON error of that status: {a.stdout[-800:]!r} {said[-300:]!r}")
        elif not said.startswith("error:") or len(said.splitlines()) != 1:
            out.append(f"{where}: not one 'error:' line: {said[-800:]!r}")
    return out


def _journal(conn: sqlite3.Connection, kind: str) -> list[dict[str, Any]]:
    return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM journal WHERE kind = ? ORDER BY seq",
                                                   (kind,))]


def whole_problems(db: Path) -> list[str]:
    """Everything that shows a half-done action, as a list of plain sentences (empty: all whole).

    The database is sound; every order has all its tickets, payments, print job and its journal entry and nothing
    else has one; each sold seat is held by exactly the valid ticket for it; each standing section's sold count is
    its valid tickets; pickups, refunds (with their revocations and money), exchanges and check-ins each match
    their journal entries one for one.
    """
    conn = sqlite3.connect(db, timeout=30)
    conn.row_factory = sqlite3.Row
    p: list[str] = []
    try:
        conn.execute("BEGIN")  # one snapshot for every check, even while another process writes
        ic = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if ic != ["ok"]:
            p.append(f"integrity_check: {ic[:5]}")
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            p.append(f"foreign_key_check: {[tuple(r) for r in fk[:5]]}")
        seqs = [r[0] for r in conn.execute("SELECT seq FROM journal ORDER BY seq")]
        if seqs != list(range(1, len(seqs) + 1)):
            p.append("journal sequence has gaps")

        # Sales (and the new orders exchanges make): the order, its tickets, payments, print job, journal entry.
        sales = {e["order"]["id"]: e for e in _journal(conn, "sale")}
        exchanges = {e["exchange"]["id"]: e for e in _journal(conn, "exchange")}
        made = dict(sales) | {e["order"]["id"]: e for e in exchanges.values() if e.get("order")}
        own = {r["id"]: dict(r) for r in conn.execute(
            "SELECT * FROM orders WHERE channel = 'box_office' AND terminal_id = (SELECT id FROM terminal)")}
        for oid in own.keys() - made.keys():
            p.append(f"order {own[oid]['code']} has no journal entry")
        for oid in made.keys() - own.keys():
            p.append(f"journal entry for order {oid} but no order")
        for oid in own.keys() & made.keys():
            e = made[oid]
            tickets = {r[0] for r in conn.execute("SELECT id FROM tickets WHERE order_id = ?", (oid,))}
            if not tickets or tickets != {t["id"] for t in e["tickets"]}:
                p.append(f"order {own[oid]['code']}: tickets {len(tickets)} vs journal {len(e['tickets'])}")
            paid = {r[0] for r in conn.execute("SELECT id FROM payments WHERE order_id = ? AND kind = 'payment'",
                                               (oid,))}
            if paid != {x["id"] for x in e.get("payments", [])}:
                p.append(f"order {own[oid]['code']}: payments differ from its journal entry")
            if oid in sales:
                total = conn.execute("SELECT coalesce(sum(amount), 0) FROM payments WHERE order_id = ?"
                                     " AND kind = 'payment'", (oid,)).fetchone()[0]
                if total != own[oid]["total"]:
                    p.append(f"order {own[oid]['code']}: paid {total}, total {own[oid]['total']}")
            if not conn.execute("SELECT 1 FROM print_jobs WHERE order_id = ?", (oid,)).fetchone():
                p.append(f"order {own[oid]['code']} has no print job")

        # Places: each sold seat held by the valid ticket for it; each valid seated ticket holds its seat.
        for r in conn.execute(
                "SELECT s.section_id, s.label, s.ticket_id, t.status, t.row || t.seat AS place, t.section_id AS ts"
                " FROM seats s LEFT JOIN tickets t ON t.id = s.ticket_id WHERE s.status = 'sold'"):
            if r["status"] != "valid" or r["place"] != r["label"] or r["ts"] != r["section_id"]:
                p.append(f"seat {r['section_id']} {r['label']} sold to {r['ticket_id']} ({r['status']})")
        for r in conn.execute(
                "SELECT t.id, t.section_id, t.row || t.seat AS place FROM tickets t JOIN orders o ON o.id = t.order_id"
                " WHERE t.status = 'valid' AND t.row IS NOT NULL AND o.channel = 'box_office'"
                " AND o.terminal_id = (SELECT id FROM terminal) AND NOT EXISTS ("
                " SELECT 1 FROM seats s WHERE s.event_id = t.event_id AND s.section_id = t.section_id"
                " AND s.label = t.row || t.seat AND s.ticket_id = t.id AND s.status = 'sold')"):
            p.append(f"ticket {r['id']} does not hold seat {r['section_id']} {r['place']}")
        for r in conn.execute("SELECT event_id, id, sold, capacity FROM sections WHERE kind = 'general'"):
            valid = conn.execute(
                "SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.event_id = ?"
                " AND t.section_id = ? AND t.status = 'valid' AND o.channel = 'box_office'"
                " AND o.terminal_id = (SELECT id FROM terminal)",
                (r["event_id"], r["id"])).fetchone()[0]
            if r["sold"] != valid:
                p.append(f"section {r['id']}: sold counter {r['sold']}, valid tickets {valid}")

        # Pickups: the rows, the tickets' marks and the journal entries say the same.
        # Pickups made here: the rows and the journal entries say the same; a ticket is marked handed out exactly
        # when a pickup of it is recorded (here, or at another desk and learnt by sync).
        journal_pickups = {(e["order"], t) for e in _journal(conn, "pickup") for t in e["tickets"]}
        rows = {(r[0], r[1]) for r in conn.execute(
            "SELECT order_id, ticket_id FROM pickups WHERE terminal_id = (SELECT id FROM terminal)")}
        anywhere = {(r[0], r[1]) for r in conn.execute("SELECT order_id, ticket_id FROM pickups")}
        marked = {(r[0], r[1]) for r in conn.execute(
            "SELECT order_id, id FROM tickets WHERE picked_up_at IS NOT NULL")}
        if journal_pickups != rows or marked != anywhere:
            p.append(f"pickups: {len(rows)} rows here ({len(anywhere)} in all), {len(marked)} tickets marked, "
                     f"{len(journal_pickups)} journalled")

        # Refunds: row, items, refunded tickets, revocations, money back, journal entry.
        journal_refunds = {e["refund"]["id"]: e for e in _journal(conn, "refund")}
        refunds = {r[0] for r in conn.execute("SELECT id FROM refunds")}
        if refunds != journal_refunds.keys():
            p.append(f"refunds: {len(refunds)} rows, {len(journal_refunds)} journalled")
        items = {r[0]: r[1] for r in conn.execute("SELECT ticket_id, refund_id FROM refund_items")}
        if items != {t: rid for rid, e in journal_refunds.items() for t in e["revoked"]}:
            p.append("refund items differ from the refund journal entries")
        refunded = {r[0] for r in conn.execute("SELECT id FROM tickets WHERE status = 'refunded'")}
        if refunded != items.keys():
            p.append(f"{len(refunded)} tickets refunded, {len(items)} refund items")
        back = {r[0] for r in conn.execute("SELECT id FROM payments WHERE kind = 'refund'")}
        journal_back = {x["id"] for e in journal_refunds.values() for x in e["payments"]}
        journal_back |= {x["id"] for e in exchanges.values() for x in e.get("payments", []) if x["kind"] == "refund"}
        if back != journal_back:
            p.append(f"money back: {len(back)} payment rows, {len(journal_back)} journalled")

        # Exchanges: the old tickets marked, the new order there (checked with the sales above).
        ex_rows = {r[0] for r in conn.execute("SELECT id FROM exchanges")}
        if ex_rows != exchanges.keys():
            p.append(f"exchanges: {len(ex_rows)} rows, {len(exchanges)} journalled")
        exchanged = {r[0] for r in conn.execute("SELECT id FROM tickets WHERE status = 'exchanged'")}
        if exchanged != {t for e in exchanges.values() for t in e["old_tickets"]}:
            p.append("exchanged tickets differ from the exchange journal entries")

        # Every ticket that stopped admitting is on the revocation list, and nothing else is.
        revoked = {r[0] for r in conn.execute("SELECT ticket_id FROM revocations")}
        if revoked != refunded | exchanged:
            p.append(f"revocations: {len(revoked)}, refunded or exchanged tickets: {len(refunded | exchanged)}")

        # Check-ins let through here: one journal entry each, by nonce.
        admitted = {r[0] for r in conn.execute(
            "SELECT c.id FROM checkins c JOIN terminal t ON t.id = c.terminal_id WHERE c.result = 'admitted'")}
        journal_in = {e["nonce"] for e in _journal(conn, "checkin")}
        if admitted != journal_in:
            p.append(f"check-ins: {len(admitted)} admitted rows, {len(journal_in)} journalled")
        conn.execute("COMMIT")
    finally:
        conn.close()
    return p


_SOLD = re.compile(r"^SOLD (\S+)\s+(\d+) ticket", re.M)
_HANDED = re.compile(r"^HANDED OUT (\S+?)(?: \(.*?\))?: (\d+) ticket", re.M)
_REFUNDED = re.compile(r"^REFUNDED .* on (\S+):", re.M)


def _json_docs(text: str) -> list[Any]:
    """The complete JSON documents in ``text`` (an indented one, or one per line); a cut-off tail is ignored."""
    docs, dec, i = [], json.JSONDecoder(), 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return docs
        try:
            doc, i = dec.raw_decode(text, i)
        except ValueError:
            return docs
        docs.append(doc)


def reported(attempts: Iterable[Attempt]) -> list[tuple[str, dict[str, Any]]]:
    """What the processes said was done (finished or killed after saying it): (kind, facts) pairs."""
    out: list[tuple[str, dict[str, Any]]] = []
    for a in attempts:
        docs = [d for d in _json_docs(a.stdout) if isinstance(d, dict)] if "--json" in a.argv else []
        if a.kind == "sell":
            out += [("sell", {"code": d["order"], "tickets": len(d["tickets"])}) for d in docs if "order" in d]
            out += [("sell", {"code": m[1], "tickets": int(m[2])}) for m in _SOLD.finditer(a.stdout)]
        elif a.kind == "pickup":
            out += [("pickup", {"code": d["order"], "tickets": d["handed_out"]}) for d in docs if "handed_out" in d]
            out += [("pickup", {"code": m[1], "count": int(m[2])}) for m in _HANDED.finditer(a.stdout)]
        elif a.kind == "refund":
            out += [("refund", {"id": d["refund"], "code": d["order"]}) for d in docs if "refund" in d]
            out += [("refund", {"code": m[1]}) for m in _REFUNDED.finditer(a.stdout)]
        elif a.kind == "scan":
            out += [("scan", {"nonce": d["nonce"], "ticket": d["ticket_id"], "direction": d["direction"]})
                    for d in docs if d.get("result") in ("admit", "exit")]
        elif a.kind == "exchange":
            out += [("exchange", d) for d in docs if "error" not in d]
        elif a.kind == "sync" and a.returncode == 0:
            out += [("sync", d) for d in docs]
    return out


def reported_problems(db: Path, attempts: Iterable[Attempt]) -> list[str]:
    """Each action a process reported as done that the database does not hold."""
    conn = sqlite3.connect(db, timeout=30)
    p: list[str] = []
    try:
        for kind, f in reported(attempts):
            if kind == "sell":
                n = conn.execute("SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id"
                                 " WHERE o.code = ?", (f["code"],)).fetchone()[0]
                if n != f["tickets"]:
                    p.append(f"sold {f['code']} with {f['tickets']} tickets, database has {n}")
            elif kind == "pickup":
                have = {r[0] for r in conn.execute(
                    "SELECT p.ticket_id FROM pickups p JOIN orders o ON o.id = p.order_id WHERE o.code = ?",
                    (f["code"],))}
                if "tickets" in f and not set(f["tickets"]) <= have:
                    p.append(f"handed out {f['code']}: {set(f['tickets']) - have} not recorded")
                if len(have) < f.get("count", 0):
                    p.append(f"handed out {f['count']} of {f['code']}, {len(have)} recorded")
            elif kind == "refund":
                sql, arg = (("SELECT count(*) FROM refunds WHERE id = ?", f["id"]) if "id" in f else
                            ("SELECT count(*) FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.code = ?",
                             f["code"]))
                if not conn.execute(sql, (arg,)).fetchone()[0]:
                    p.append(f"refunded {f['code']}, no refund recorded")
            elif kind == "scan":
                row = conn.execute("SELECT ticket_id, direction, result FROM checkins WHERE id = ?",
                                   (f["nonce"],)).fetchone()
                if row is None or tuple(row) != (f["ticket"], f["direction"], "admitted"):
                    p.append(f"admitted {f['ticket']} ({f['direction']}), check-in {f['nonce']}: {row}")
            elif kind == "exchange":
                new = f.get("new_order") or f.get("order")
                code = new if isinstance(new, str) else (new or {}).get("code")
                if code and not conn.execute("SELECT 1 FROM orders WHERE code = ?", (code,)).fetchone():
                    p.append(f"exchange into {code} reported, no such order")
    finally:
        conn.close()
    return p


def committed_unreported(db: Path, attempts: Iterable[Attempt]) -> dict[str, int]:
    """Actions in the database that no process reported: those whose process was killed after its commit and
    before it said so (how many kills landed in that window). Sales, pickups, refunds and admissions."""
    attempts = list(attempts)
    said = reported(attempts)

    def told(kind: str) -> int:
        return sum(1 for a in attempts if a.kind == kind and reported([a]))

    conn = sqlite3.connect(db, timeout=30)
    try:
        def count(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]

        own = "(SELECT id FROM terminal)"
        return {
            "sales": count(f"SELECT count(*) FROM journal WHERE kind = 'sale' AND terminal_id = {own}")
            - len({f["code"] for k, f in said if k == "sell"}),
            "pickups": count("SELECT count(*) FROM journal WHERE kind = 'pickup'") - told("pickup"),
            "refunds": count("SELECT count(*) FROM refunds") - told("refund"),
            "admissions": count(f"SELECT count(*) FROM checkins WHERE result = 'admitted' AND terminal_id = {own}")
            - len({f["nonce"] for k, f in said if k == "scan"}),
        }
    finally:
        conn.close()


@contextlib.contextmanager
def central_with_two_counters(directory: Path, web_orders: int = 40) -> Iterator[tuple[Any, Site, Site]]:
    """The central service (SQLite, served on loopback) with the stress catalogue and ``web_orders`` web orders,
    and two counters enrolled and synced once: (central, here, other); ``here.web_codes`` are the web orders."""
    from sync_helpers import Central, CentralServer

    from boxoffice.central.services.admin import init

    directory.mkdir(parents=True, exist_ok=True)
    url = str(directory / "central.db")
    init(url)
    server = CentralServer(url, directory / "serve.log")
    try:
        central = Central("sqlite", url, server)
        central.publish(stress_catalogue(), directory)
        web = central.web_orders([{"ref": f"shop-{i}", "event_id": EVENT, "customer_name": f"Web Customer {i}",
                                   "tickets": [{"section_id": STANDING, "type": "adult"}] * (1 + i % 3)}
                                  for i in range(web_orders)], directory) if web_orders else {"codes": []}
        here, other = build_site(directory / "here", web_orders=0), build_site(directory / "other", web_orders=0)
        for site in (here, other):
            # enrolling takes an admin at the terminal; the supervisor works the counter after
            as_admin = site.run("login", ADMIN, env={"BOXOFFICE_PIN": ADMIN_PIN})
            r = site.run("sync", "enroll", central.url, central.code("Stress Counter"))
            if as_admin.returncode != 0 or r.returncode != 0:
                raise RuntimeError(f"enroll: {as_admin.stderr.decode()}{r.stderr.decode()}")
            if site.run("login", SUPERVISOR, env={"BOXOFFICE_PIN": SUPERVISOR_PIN}).returncode != 0:
                raise RuntimeError("the supervisor could not log in again")
            if site.run("sync").returncode != 0:
                raise RuntimeError("first sync failed")
        here.web_codes = list(web["codes"])
        yield central, here, other
    finally:
        server.stop()


# --- abuse: what a refusal must look like, and "nothing changed" ------------------------------------------


def fingerprint(db: Path, skip: Iterable[str] = ()) -> dict[str, str]:
    """Table -> hash of its rows, in rowid order: two equal fingerprints mean nothing was written."""
    import hashlib

    skipped = set(skip)
    conn = sqlite3.connect(db, timeout=30)
    try:
        out = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            if name in skipped or name.startswith("sqlite_"):
                continue
            h = hashlib.sha256()
            for row in conn.execute(f'SELECT * FROM "{name}"'):
                h.update(repr(row).encode("utf-8", "surrogatepass"))
            out[name] = h.hexdigest()[:16]
        return out
    finally:
        conn.close()


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


def refusal_problem(exit_code: int, stdout: str, stderr: str, json_mode: bool, documents: bool = False) -> str | None:
    """Why a finished command's output is not a clean answer, or None. Clean: a documented exit status, no
    traceback; a refusal says what is wrong in one line (``error: ...`` on stderr, or ``{"error": {"code",
    "message"}}`` with --json whose code gives that status). A usage error from the argument parser (status 2,
    usage line, ``Error: ...``) is clean too; a document refusal may list its located errors below its line."""
    from boxoffice.errors import EXIT_STATUSES

    text = stdout + stderr
    if exit_code not in CLEAN_EXITS:
        return f"exit status {exit_code}"
    if "Traceback" in text or "internal error" in text:
        return "a traceback or an internal error"
    if exit_code in (0, 6, 7):
        return None
    lines = stderr.strip().splitlines()
    if exit_code == 2 and lines and lines[0].startswith("Usage:") and any(ln.startswith("Error:") or "Error" in ln
                                                                          for ln in lines):
        return None
    if json_mode:
        docs = _json_docs(stdout)
        error = docs[-1].get("error") if docs and isinstance(docs[-1], dict) else None
        if not isinstance(error, dict) or EXIT_STATUSES.get(error.get("code"), (None,))[0] != exit_code:
            return f"not a JSON error of status {exit_code}: {stdout[-300:]!r}"
        if not error.get("message") or "\n" in error["message"]:
            return "the JSON error message is not one line"
        return None
    if not lines or not lines[0].startswith("error: "):
        return f"no 'error:' line: {stderr[-300:]!r}"
    extra = lines[1:]
    if extra and not (documents and all(ln.startswith("  ") for ln in extra)):
        return f"more than one line: {stderr[-300:]!r}"
    return None
