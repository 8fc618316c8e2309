"""Scans per second at the door, in counter mode, as a ratio to verifying the tickets' signatures alone.

A terminal holds a night of web orders (one standing ticket each, signed by a "central" key it trusts) and a door
operator is logged in; the clock stands at the event's evening. Each run scans SCANS tickets not scanned before:

    counter door mode, one at a time
                             Counter.handle(token) per line, as `boxoffice counter --door` does when each scan
                             comes on its own: verify, check revocation, event, day and whether it is in, record
                             the check-in with its nonce and journal entry, commit (synchronous=FULL: one disk
                             flush per scan) and word the answer
    counter door mode, LANES lanes at once
                             LANES threads (scanners at one terminal's door), each calling Counter.handle(token)
                             and waiting for its answer before its next scan: the door's writer commits the scans
                             that arrive while a commit is under way together (services/door_writer.py), each
                             answered after the commit that holds it
    counter door mode, lines queued
                             Counter.handle_lines(tokens): what the counter does with scans that are already
                             waiting when it reads (a scanner's buffer, a queue at the door): the same checks and
                             records, one commit for the run, every answer shown after it
    scan, lines together     services.door.scan_batch: what `boxoffice scan` does with lines that arrive together
    counter desk mode        Counter.handle(token) finding the ticket's order for the pickup desk (reads only)

The one-at-a-time figure is bound by the disk's flush (fsync), not by the code: it is printed with the time of a
bare sqlite3 commit of one row on the same disk, so the two can be told apart.

Floor: tickets.token.verify_token on the same tokens with the key already in memory: Base45 decoding and the
Ed25519 verification, nothing else a door could skip. Goal: at least half the floor's rate (time ratio <= 2).

    python benchmarks/bench_scan.py [-n 15] [--warmup 2] [--lanes 4] [--rounds 2n] [--check]

The lanes' figure moves most from run to run on a shared machine (their threads wait on each other and on the
disk), so it is also measured in ROUNDS rounds of its own after the table, each the floor, the lanes and the floor
again, back to back: each round's rate ratio is the lanes' rate against the mean of the two floors around it, and
the median of the rounds is printed beside the table's ratio of medians (a slow spell of the machine then slows a
round's floor and subject alike instead of whichever ran in it).

The terminal is made in the system's temporary directory: TMPDIR=/dev/shm measures the same work on tmpfs, where a
commit costs no disk flush, to show the CPU-bound figure (informational: a door's database is on a real disk).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))  # the tests' web-order maker: a central key, signed tickets

from harness import Bench, exit_status  # noqa: E402

SCANS = 100
LANES = 4  # scanners feeding one counter at once in the lanes subject (--lanes)
GOAL_TIME = 2.0  # at most twice the verification time = at least half its rate
TODAY = date(2031, 5, 1)  # the demo catalogue's first event is a week after this
EVENING = datetime(2031, 5, 8, 19, 30, tzinfo=UTC)


def make_terminal(directory: Path, tickets: int) -> tuple[Path, list[str], str]:
    """A door terminal with ``tickets`` web tickets; returns the database, the tokens and the event id."""
    from pickup_fixtures import Central, Seat, orders_doc, web_order

    from boxoffice.config import load
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.demo_catalog import demo_catalog
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.terminal import init_terminal
    from boxoffice.services.web_orders import import_keys, import_orders

    db = directory / "door.db"
    ctx = init_terminal(load(db=str(db)), "Door A", clock=lambda: EVENING)
    add_operator(ctx, "ada", "admin", "123456")
    login(ctx, "ada", "123456")
    add_operator(ctx, "dan", "door", "4444")
    catalogue = demo_catalog(TODAY)
    import_catalog(ctx, catalogue)
    event = catalogue["events"][0]["id"]
    central = Central.make()
    import_keys(ctx, central.keys_doc())
    orders = [web_order(central, event, f"Guest {i}", [Seat("standing", price="22.50")]) for i in range(tickets)]
    import_orders(ctx, orders_doc(orders))
    login(ctx, "dan", "4444")
    ctx.close()
    return db, [o["tickets"][0]["token"] for o in orders], event


def open_door(db: Path):  # noqa: ANN201 - a Ctx
    from boxoffice.config import load
    from boxoffice.services.opening import open_terminal

    return open_terminal(load(db=str(db)), clock=lambda: EVENING)


class Tokens:
    """Hands out SCANS fresh tokens per run, so every scan is a first entry."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.at = tokens, 0

    def take(self) -> list[str]:
        batch = self.tokens[self.at:self.at + SCANS]
        if len(batch) < SCANS:
            raise RuntimeError("not enough tokens for this many runs: raise the ticket count")
        self.at += SCANS
        return batch


class CounterDoor:
    def __init__(self, db: Path, tokens: Tokens, event: str) -> None:
        from boxoffice.services.counter import Counter

        self.counter = Counter(open_door(db), event, door=True)
        self.tokens = tokens

    def __call__(self) -> None:
        for t in self.tokens.take():
            reply = self.counter.handle(t)
            if reply.lines[0].style != "admit":
                raise RuntimeError(reply.lines[0].text)


class CounterDoorQueued:
    def __init__(self, db: Path, tokens: Tokens, event: str) -> None:
        from boxoffice.services.counter import Counter

        self.counter = Counter(open_door(db), event, door=True)
        self.tokens = tokens

    def __call__(self) -> None:
        for reply in self.counter.handle_lines(self.tokens.take()):
            if reply.lines[0].style != "admit":
                raise RuntimeError(reply.lines[0].text)


class CounterLanes:
    """LANES scanners on one counter at once, each waiting for its answer before its next scan."""

    def __init__(self, db: Path, tokens: Tokens, event: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from boxoffice.services.counter import Counter

        self.counter = Counter(open_door(db), event, door=True)
        self.tokens = tokens
        self.pool = ThreadPoolExecutor(LANES)
        self.commits = 0

    def lane(self, tokens: list[str]) -> None:
        for t in tokens:
            reply = self.counter.handle(t)
            if reply.lines[0].style != "admit":
                raise RuntimeError(reply.lines[0].text)

    def __call__(self) -> None:
        batch = self.tokens.take()
        each = len(batch) // LANES
        for done in [self.pool.submit(self.lane, batch[i * each:(i + 1) * each]) for i in range(LANES)]:
            done.result()


class BareCommit:
    """One row inserted and committed with synchronous=FULL: the disk's flush, measured beside the scans."""

    def __init__(self, directory: Path) -> None:
        import sqlite3

        self.conn = sqlite3.connect(directory / "bare.db", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("CREATE TABLE IF NOT EXISTS x (a)")

    def __call__(self) -> None:
        for i in range(SCANS):
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT INTO x VALUES (?)", (i,))
            self.conn.execute("COMMIT")


class ScanTogether:
    def __init__(self, db: Path, tokens: Tokens, event: str) -> None:
        from boxoffice.services.door import door_event

        self.ctx = open_door(db)
        self.event = door_event(self.ctx, event)
        self.tokens = tokens

    def __call__(self) -> None:
        from boxoffice.services.door import scan_batch

        answers = scan_batch(self.ctx, self.tokens.take(), self.event)
        if any(a["result"] != "admit" for a in answers):
            raise RuntimeError([a["message"] for a in answers if a["result"] != "admit"][:3])


class CounterDesk:
    def __init__(self, db: Path, tokens: list[str], event: str) -> None:
        from boxoffice.services.counter import Counter

        self.counter = Counter(open_door(db), event)
        self.tokens = tokens[:SCANS]

    def __call__(self) -> None:
        for t in self.tokens:
            reply = self.counter.handle(t)
            if reply.lines[0].style != "title":
                raise RuntimeError(reply.lines[0].text)


class VerifyOnly:
    def __init__(self, db: Path, tokens: list[str]) -> None:
        from boxoffice.services.signing import public_key_for

        ctx = open_door(db)
        lookup = public_key_for(ctx)
        self.keys = {bytes.fromhex(k): lookup(bytes.fromhex(k)) for (k,) in ctx.conn.execute("SELECT key_id FROM keys")}
        self.tokens = tokens[:SCANS]

    def __call__(self) -> None:
        from boxoffice.tickets.token import verify_token

        for t in self.tokens:
            verify_token(t, self.keys.get)


def paired_rounds(floor: VerifyOnly, subject: CounterLanes, rounds: int) -> list[float]:
    """Rate ratios of the lanes to the floor, one a round: floor, lanes, floor back to back (see the module's
    docstring), the lanes' time against the mean of the two floors."""
    import time

    def took(fn: object) -> float:
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        return time.perf_counter() - start

    ratios = []
    for _ in range(rounds):
        before, lanes, after = took(floor), took(subject), took(floor)
        ratios.append((before + after) / 2 / lanes)
    return ratios


def run(work: Path, n: int, warmup: int, rounds: int = 0) -> list[dict]:
    per_subject = SCANS * (n + warmup)
    db, tokens, event = make_terminal(work, per_subject * 4 + SCANS * rounds)
    bench = Bench("door scans")
    verify = VerifyOnly(db, tokens)
    bench.floor(f"verify_token alone x{SCANS}", fn=verify)
    bench.subject(f"counter door mode, one at a time x{SCANS}",
                  fn=CounterDoor(db, Tokens(tokens[:per_subject]), event), goal=GOAL_TIME)
    lanes = CounterLanes(db, Tokens(tokens[3 * per_subject:]), event)
    bench.subject(f"counter door mode, {LANES} lanes at once, each waiting for its answer x{SCANS}", fn=lanes,
                  goal=GOAL_TIME)
    bench.subject(f"counter door mode, lines queued x{SCANS}",
                  fn=CounterDoorQueued(db, Tokens(tokens[per_subject:2 * per_subject]), event), goal=GOAL_TIME)
    bench.subject(f"scan, lines together x{SCANS}",
                  fn=ScanTogether(db, Tokens(tokens[2 * per_subject:3 * per_subject]), event), goal=GOAL_TIME)
    bench.subject(f"counter desk mode: ticket -> order x{SCANS}", fn=CounterDesk(db, tokens, event),
                  goal=GOAL_TIME)
    bench.subject(f"(the disk) bare sqlite3 commit of one row, synchronous=FULL x{SCANS}", fn=BareCommit(work))
    print(f"\n{bench.name}: {n} runs of {SCANS} scans each after {warmup} warm-up, medians")
    rows = bench.run(n=n, warmup=warmup)
    writer = lanes.counter._door_writer
    if writer is not None:
        print(f"  {LANES} lanes: {writer.groups} commits for {SCANS * (n + warmup)} scans")
    paired = paired_rounds(verify, lanes, rounds) if rounds else []
    for r in rows:
        rate, floor = SCANS / r["median_s"], SCANS / r["floor_median_s"]
        r["rate_ratio"] = round(rate / floor, 3)
        print(f"  {r['name']}: {rate:.0f} scans/s against {floor:.0f} verifications/s alone: {rate / floor:.2f} of "
              f"the verification rate (goal at least {1 / GOAL_TIME:.2f})")
    bare = next(r for r in rows if r["name"].startswith("(the disk)"))
    most, floor = LANES * SCANS / bare["median_s"], SCANS / bare["floor_median_s"]
    # Each lane waits for its answer, so no more than LANES scans share a commit: LANES scans per bare commit is
    # what this disk allows the lanes, whatever the code (Little's law), before any CPU work.
    print(f"  ({LANES} lanes can do at most {LANES} scans per commit on this disk: {most:.0f} scans/s = "
          f"{most / floor:.2f} of the verification rate)")
    if paired:
        import statistics

        low, mid, high = statistics.quantiles(paired, n=4) if len(paired) > 1 else (paired[0],) * 3
        row = next(r for r in rows if " lanes at once" in r["name"])
        row["paired_rate_ratio"], row["paired_rounds"] = round(mid, 3), len(paired)
        print(f"  {LANES} lanes, {len(paired)} rounds of floor, lanes, floor: median rate ratio {mid:.2f} "
              f"(quartiles {low:.2f}-{high:.2f}, all {min(paired):.2f}-{max(paired):.2f})")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--check", action="store_true", help="Exit 1 if a figure misses its goal.")
    ap.add_argument("--lanes", type=int, default=LANES, help="Scanners at once in the lanes subject (divides 100).")
    ap.add_argument("--rounds", type=int, default=None,
                    help="Rounds of floor, lanes, floor after the table (default: twice -n; 0: none).")
    args = ap.parse_args(argv)
    globals()["LANES"] = args.lanes
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        rows = run(Path(tmp), args.n, args.warmup, 2 * args.n if args.rounds is None else args.rounds)
    return exit_status(rows) if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
