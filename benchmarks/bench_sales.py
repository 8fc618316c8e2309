"""Walk-up sales: how fast a counter sells, in process and as a whole `boxoffice sell` command.

In process (one terminal kept open, as a counter that runs all night): a sale of two standing tickets paid by
card, then its print job rendered to ESC/POS (two tickets and a receipt) and written to a file printer. The
profile is the default TM-T88V, which has a QR command, so the printer draws the QR; the same with
``printer_qr = "image"`` (the QR as a raster image) is measured beside it.
Floor: a bare sqlite3 insert of the same rows (order, two tickets, payment, journal entry, print job, the
section's sold count) with one commit each, on a database with the same pragmas. Goal: at least half the bare
rate, i.e. a sale takes at most 2x the bare insert.

Whole process: `boxoffice sell EVENT --section standing --type adult=2 --card 4242` printing to a file printer.
Floor: `python -c "import typer, escpos.printer, sqlite3"`. Goal: 1.3x or less.

With ``--marks``, two more in-process subjects: sales with the marks file beside the database switched off, and with
it fsynced after each sale (store/marks.py: what keeping it costs, and why it is not fsynced). With
``--flushed-outcome``, one more: printed sales whose job outcome is committed with its own disk flush, as it was
before store/print_jobs.outcome_write (what that flush costs, in the same run).

    python benchmarks/bench_sales.py [-n 20] [--warmup 3] [--part inprocess|process|both] [--marks]
                                     [--flushed-outcome] [--check]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Bench, exit_status  # noqa: E402

IN_PROCESS_GOAL = 2.0  # time ratio: a sale in at most twice the bare insert's time = at least half its rate
PROCESS_GOAL = 1.3
SALES_PER_RUN = 20
EVENT = "bench-night"


def catalogue() -> dict[str, Any]:
    """One event with a standing area large enough for every sale a run makes."""
    return {
        "format": "boxoffice.catalog/1",
        "venue": {"id": "bench-hall", "name": "Bench Hall", "timezone": "Europe/London", "currency": "GBP"},
        "events": [{
            "id": EVENT, "name": "Bench Night", "starts_at": "2031-05-01T19:30", "tax_rate": "20",
            "per_order_limit": 10,
            "sections": [{"id": "standing", "name": "Standing", "kind": "general", "capacity": 1_000_000}],
            "ticket_types": [{"id": "adult", "name": "Adult", "prices": {"standing": "22.50"}}],
        }],
    }


def make_terminal(directory: Path, printer: str, settings: str = "") -> Path:
    """A terminal with the bench catalogue and a seller logged in; returns its config file. ``settings``: more
    lines for its boxoffice.toml."""
    from boxoffice.config import load
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.terminal import init_terminal

    directory.mkdir(parents=True, exist_ok=True)
    toml = directory / "boxoffice.toml"
    toml.write_text(f'db = "terminal.db"\nprinter = "{printer}"\n{settings}', encoding="utf-8")
    ctx = init_terminal(load(str(toml)), "Bench counter")
    add_operator(ctx, "ada", "admin", "123456")
    login(ctx, "ada", "123456")
    add_operator(ctx, "sam", "seller", "1111")
    import_catalog(ctx, catalogue())
    login(ctx, "sam", "1111")
    ctx.close()
    return toml


# --------------------------------------------------------------------------------------------------------
# In process


class SaleLoop:
    """Sales through the services on one open terminal, each printed to the file printer (or, with ``print``
    off, left queued: the sale's own cost, to show where the time goes)."""

    def __init__(self, toml: Path, print_: bool = True, marks: str = "on", flushed_outcome: bool = False) -> None:
        from boxoffice.config import load
        from boxoffice.services.opening import open_terminal

        self.ctx = open_terminal(load(str(toml)))
        self.print = print_
        self.marks = marks  # 'on' (as shipped), 'off' (no marks file), 'fsync' (the marks file fsynced)
        self.flushed_outcome = flushed_outcome  # the job's outcome committed with a flush of its own (as before)
        if marks == "off":
            self.ctx.conn.after_commit = None

    def __call__(self) -> None:
        from boxoffice.store import db, marks, print_jobs

        marks.FSYNC = self.marks == "fsync"
        outcome_write = print_jobs.outcome_write
        if self.flushed_outcome:
            print_jobs.outcome_write = db.write  # type: ignore[assignment]  # a plain write: synchronous=FULL
        try:
            self._sell()
        finally:
            marks.FSYNC = False
            print_jobs.outcome_write = outcome_write

    def _sell(self) -> None:
        from boxoffice.domain.tenders import Tender
        from boxoffice.services.printing import run_jobs
        from boxoffice.services.sales import SaleRequest, sell

        for _ in range(SALES_PER_RUN):
            sale = sell(self.ctx, SaleRequest(event_id=EVENT, section_id="standing", counts={"adult": 2},
                                              tenders=[Tender("card", card_last4="4242")]))
            if not self.print:
                continue
            (printed,) = run_jobs(self.ctx, sale["jobs"])
            if printed["status"] != "printed":
                raise RuntimeError(printed)


class BareInsertLoop:
    """The same rows a sale writes, inserted with plain sqlite3 and one commit per sale."""

    def __init__(self, db: Path) -> None:
        self.conn = sqlite3.connect(db, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.event = EVENT
        self.token_body = "X" * 140  # a token is ~140 Base45 characters
        self.seq = self.conn.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0]

    def __call__(self) -> None:
        c = self.conn
        for _ in range(SALES_PER_RUN):
            order_id = str(uuid.uuid4())
            tickets = [(str(uuid.uuid4()), order_id, self.event, "standing", None, None, "adult", 2250, 375,
                        self.token_body + uuid.uuid4().hex[:12]) for _ in range(2)]
            payment = (str(uuid.uuid4()), order_id, "payment", "card", 4500, None, None, "4242", None, None, None,
                       None, "2031-04-01T10:00:00Z")
            order = (order_id, order_id[:9], self.event, "box_office", None, "paid", 4500, 750, "GBP",
                     "2031-04-01T10:00:00Z", None)
            payload = json.dumps({"order": order, "tickets": tickets, "payments": [payment]})
            self.seq += 1
            c.execute("BEGIN IMMEDIATE")
            c.execute("UPDATE sections SET sold = sold + 2 WHERE event_id = ? AND id = 'standing'"
                      " AND sold + 2 <= allocated", (self.event,))
            c.execute("INSERT INTO orders (id, code, event_id, channel, terminal_id, status, total, tax, currency,"
                      " created_at, operator_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", order)
            c.executemany("INSERT INTO tickets (id, order_id, event_id, section_id, row, seat, ticket_type_id,"
                          " price, tax, token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tickets)
            c.execute("INSERT INTO payments (id, order_id, kind, tender, amount, tendered, change, card_last4,"
                      " reference, comp_reason, approved_by, shift_id, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", payment)
            c.execute("INSERT INTO journal (seq, id, terminal_id, kind, operator_id, at, payload, prev_hash, hash)"
                      " VALUES (?, ?, 't', 'sale', NULL, '2031-04-01T10:00:00Z', ?, ?, ?)",
                      (self.seq, str(uuid.uuid4()), payload, "0" * 64, "1" * 64))
            c.execute("INSERT INTO print_jobs (id, created_at, kind, order_id, printer_uri, profile, document)"
                      " VALUES (?, '2031-04-01T10:00:00Z', 'order', ?, 'file:///dev/null', 'TM-T88V', ?)",
                      (str(uuid.uuid4()), order_id, json.dumps({"order_id": order_id})))
            c.execute("COMMIT")


def in_process(work: Path, n: int, warmup: int, marks: bool = False, flushed_outcome: bool = False) -> list[dict]:
    sink = work / "printer.bin"
    subject_toml = make_terminal(work / "subject", f"file://{sink}")
    floor_toml = make_terminal(work / "floor", f"file://{sink}")
    bench = Bench("sales in process")
    bench.floor(f"bare sqlite3 insert x{SALES_PER_RUN}", fn=BareInsertLoop(floor_toml.parent / "terminal.db"))
    bench.subject(f"sell + ESC/POS print x{SALES_PER_RUN}", fn=SaleLoop(subject_toml), goal=IN_PROCESS_GOAL)
    image_toml = make_terminal(work / "image-qr", f"file://{sink}", 'printer_qr = "image"\n')
    bench.subject(f"sell + ESC/POS print, QR as an image x{SALES_PER_RUN} (printer_qr = image)",
                  fn=SaleLoop(image_toml))
    if flushed_outcome:  # what the outcome's own disk flush cost (store/print_jobs.outcome_write)
        bench.subject(f"sell + ESC/POS print, outcome flushed on its own x{SALES_PER_RUN} (as before)",
                      fn=SaleLoop(make_terminal(work / "flushed", f"file://{sink}"), flushed_outcome=True))
    only_toml = make_terminal(work / "sale-only", f"file://{sink}")
    bench.subject(f"sell only, printing queued x{SALES_PER_RUN} (where the time goes)",
                  fn=SaleLoop(only_toml, print_=False))
    if marks:  # what the marks file beside the database costs a sale, and what an fsync of it would add
        bench.subject(f"sell only, no marks file x{SALES_PER_RUN}",
                      fn=SaleLoop(make_terminal(work / "no-marks", f"file://{sink}"), print_=False, marks="off"))
        bench.subject(f"sell only, marks file fsynced x{SALES_PER_RUN}",
                      fn=SaleLoop(make_terminal(work / "fsync-marks", f"file://{sink}"), print_=False,
                                  marks="fsync"))
    print(f"\n{bench.name}: {n} runs of {SALES_PER_RUN} sales each after {warmup} warm-up, medians")
    rows = bench.run(n=n, warmup=warmup)
    for r in rows:
        rate, bare = SALES_PER_RUN / r["median_s"], SALES_PER_RUN / r["floor_median_s"]
        goal = f" (goal at least {1 / IN_PROCESS_GOAL:.2f})" if r["goal"] else ""
        r["rate_ratio"] = round(rate / bare, 3)
        print(f"  {r['name']}: {rate:.0f} sales/s against {bare:.0f} bare inserts/s, {rate / bare:.2f} of the "
              f"bare rate{goal}")
    return rows


# --------------------------------------------------------------------------------------------------------
# Whole process


def boxoffice_command() -> list[str]:
    script = Path(sys.executable).parent / "boxoffice"
    return [str(script)] if script.exists() else [sys.executable, "-m", "boxoffice"]


def environment(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env["XDG_CONFIG_HOME"] = str(work / "config")
    env["XDG_DATA_HOME"] = str(work / "data")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")  # installed behaviour: bytecode written once, reused
    # escpos parses its printer database on import unless a cache directory is named; boxoffice names one, and
    # the floor gets the same, so it measures the libraries' import and not that parse.
    env["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(work / "escpos-cache")
    (work / "escpos-cache").mkdir(exist_ok=True)  # escpos fails on a directory that does not exist
    return env


@contextlib.contextmanager
def warm_process(env: dict[str, str], run_dir: Path) -> Iterator[dict[str, str]]:
    """`boxoffice warm start --foreground` in ``env``: yields the environment whose commands start from it (the
    same one, with its socket's directory), and says how many commands it served at the end, so that a figure
    called warm never hides cold starts."""
    warm_env = {**env, "BOXOFFICE_RUNTIME_DIR": str(run_dir)}
    server = subprocess.Popen([*boxoffice_command(), "warm", "start", "--foreground", "--json"], env=warm_env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline() or "{}")
        if not ready.get("running"):
            raise RuntimeError("the warm process did not start")
        yield warm_env
        said = subprocess.run([*boxoffice_command(), "warm", "status", "--json"], env=warm_env, capture_output=True,
                              text=True, check=True)
        state = json.loads(said.stdout)
        print(f"warm process: {state['served']} commands started warm, {state['cold']} sent back cold")
    finally:
        server.terminate()
        server.wait(timeout=30)


def whole_process(work: Path, n: int, warmup: int) -> list[dict]:
    toml = make_terminal(work / "process", f"file://{work / 'process-printer.bin'}")
    env = environment(work)
    bench = Bench("sell, whole process")
    bench.floor('python -c "import typer, escpos.printer, sqlite3"',
                command=[sys.executable, "-c", "import typer, escpos.printer, sqlite3"], env=env)
    bench.subject("boxoffice sell (file printer)",
                  command=[*boxoffice_command(), "--config", str(toml), "sell", EVENT, "--section", "standing",
                           "--type", "adult=2", "--card", "4242"], env=env, goal=PROCESS_GOAL)
    print(f"\n{bench.name}: {n} runs each after {warmup} warm-up, medians")
    return bench.run(n=n, warmup=warmup)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="timed runs of each (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    parser.add_argument("--part", choices=["inprocess", "process", "both"], default="both")
    parser.add_argument("--check", action="store_true", help="exit 1 if a figure misses its goal")
    parser.add_argument("--marks", action="store_true", help="also sales without the marks file, and with it "
                                                              "fsynced (in process)")
    parser.add_argument("--flushed-outcome", action="store_true", help="also printed sales whose job outcome is "
                                                                       "flushed on its own (in process)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="boxoffice-bench-sales-"))
    rows: list[dict] = []
    try:
        if args.part in ("inprocess", "both"):
            rows += in_process(work, args.n, args.warmup, args.marks, args.flushed_outcome)
        if args.part in ("process", "both"):
            rows += whole_process(work, args.n, args.warmup)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return exit_status(rows) if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
