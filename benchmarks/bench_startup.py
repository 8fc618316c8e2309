"""Startup: how long a counter waits for `boxoffice --help`, `event list --json` and `pickup find CODE --json`,
whole process.

Floor: `python -c "import typer"` (the interpreter plus the CLI library, before any of our code). Goal: 1.5x or less.

Two ways of running are measured, each with its own floor:
- installed: Python may write and reuse bytecode (what `pip install` gives a counter PC);
- no-pyc: PYTHONDONTWRITEBYTECODE=1 with no bytecode of ours to reuse, as in a source tree where that is set;
  every module of ours is compiled again on every run (informational: the goal is for the installed case).

    python benchmarks/bench_startup.py [-n 30] [--warmup 3] [--mode installed|no-pyc|both] [--check]
    python benchmarks/bench_startup.py --instructions   # callgrind's count of each (installed), not times

Wall times on a shared machine move with its load; the instructions callgrind counts do not, so --instructions
runs each command once under `valgrind --tool=callgrind` (after two runs that leave its bytecode) and gives the
"Collected" count and its ratio to the floor's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Bench, exit_status  # noqa: E402

GOAL = 1.5


def make_demo_database(directory: Path) -> tuple[Path, str]:
    """A terminal with the demo catalogue, an admin and one sale (two standing tickets, its printing left queued),
    made through the services as `init` and friends do; the database and the sale's order code."""
    from boxoffice.config import load
    from boxoffice.domain.tenders import parse_card
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.demo_catalog import demo_catalog
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.sales import SaleRequest, sell
    from boxoffice.services.terminal import init_terminal

    db = directory / "terminal.db"
    ctx = init_terminal(load(db=str(db)), "Bench counter")
    add_operator(ctx, "ada", "admin", "123456")
    login(ctx, "ada", "123456")
    catalogue = demo_catalog(date.today())
    import_catalog(ctx, catalogue)
    sold = sell(ctx, SaleRequest(event_id=catalogue["events"][0]["id"], section_id="standing", counts={"adult": 2},
                                 tenders=[parse_card("4242", "GBP")], print_receipt=False))
    ctx.close()
    return db, sold["order"]["code"]


def boxoffice_command() -> list[str]:
    script = Path(sys.executable).parent / "boxoffice"
    return [str(script)] if script.exists() else [sys.executable, "-m", "boxoffice"]


def environment(mode: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env["XDG_CONFIG_HOME"] = str(work / "config")  # no personal config file changes what is measured
    env["XDG_DATA_HOME"] = str(work / "data")
    if mode == "installed":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")  # bytecode kept out of the source tree
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def instructions(command: list[str], env: dict[str, str]) -> int:
    """Instructions callgrind counts for one run of ``command`` (after two runs that leave its bytecode)."""
    for _warm in range(2):
        subprocess.run(command, env=env, capture_output=True, check=False)
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command], env=env,
                          capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind gave no count for {command}: {done.stderr[-500:]}")
    return int(found.group(1))


def count_instructions(subjects: dict[str, list[str]], floor: list[str], env: dict[str, str]) -> None:
    """Print each subject's instruction count and its ratio to the floor's."""
    base = instructions(floor, env)
    print(f"\n{'command':<44} {'instructions':>14} {'ratio':>7}")
    floor_name = 'python -c "import typer" (floor)'
    print(f"{floor_name:<44} {base / 1e6:>12.1f} M {1:>6.2f}x")
    for name, command in subjects.items():
        count = instructions(command, env)
        print(f"{name:<44} {count / 1e6:>12.1f} M {count / base:>6.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="timed runs of each command (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    parser.add_argument("--mode", choices=["installed", "no-pyc", "both"], default="both")
    parser.add_argument("--check", action="store_true", help="exit 1 if an installed figure misses its goal")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions with callgrind (installed mode) instead of timing")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="boxoffice-bench-"))
    try:
        db, code = make_demo_database(work)
        cmd = boxoffice_command()
        if args.instructions:
            count_instructions({"boxoffice --help": [*cmd, "--help"],
                                "boxoffice event list --json": [*cmd, "--db", str(db), "event", "list", "--json"],
                                "boxoffice pickup find CODE --json": [*cmd, "--db", str(db), "pickup", "find", code,
                                                                      "--json"]},
                               [sys.executable, "-c", "import typer"], environment("installed", work))
            return 0
        rows = []
        for mode in (["installed", "no-pyc"] if args.mode == "both" else [args.mode]):
            env = environment(mode, work)
            bench = Bench(f"startup ({mode})")
            bench.floor('python -c "import typer"', command=[sys.executable, "-c", "import typer"], env=env)
            bench.subject(f"boxoffice --help [{mode}]", command=[*cmd, "--help"], env=env, goal=GOAL)
            bench.subject(f"boxoffice event list --json [{mode}]", command=[*cmd, "--db", str(db), "event", "list",
                                                                            "--json"], env=env, goal=GOAL)
            bench.subject(f"boxoffice pickup find CODE --json [{mode}]",
                          command=[*cmd, "--db", str(db), "pickup", "find", code, "--json"], env=env)
            print(f"\n{bench.name}: {args.n} runs each after {args.warmup} warm-up, medians")
            rows += [r | {"mode": mode} for r in bench.run(n=args.n, warmup=args.warmup)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return exit_status([r for r in rows if r["mode"] == "installed"]) if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
