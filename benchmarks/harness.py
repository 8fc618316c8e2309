"""A small benchmark harness: medians of repeated runs, each figure a ratio to a floor measured in the same run.

Absolute times say more about the machine than about the code, so every benchmark names a floor (the least the
same job could cost here: bare Python, the bare library) and reports ``median / floor median`` against a goal.
Subject and floor runs are interleaved, so a machine that slows down part-way slows both.

    bench = Bench("startup")
    bench.floor("import typer", command=[sys.executable, "-c", "import typer"])
    bench.subject("--help", command=["boxoffice", "--help"], goal=1.5)
    bench.run(n=30, warmup=3)      # prints a table, appends JSON lines to benchmarks/results/latest.jsonl

Each JSON line: {"bench", "name", "median_s", "floor", "floor_median_s", "ratio", "goal", "met", "runs", "date",
"machine", "python", "commit"}.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "latest.jsonl"


@dataclass
class Job:
    """One thing to time: a callable, or a command run as a whole process (wall time, output discarded)."""

    name: str
    fn: Callable[[], object] | None = None
    command: Sequence[str] | None = None
    env: Mapping[str, str] | None = None
    goal: float | None = None  # the ratio to the floor this job should stay at or under
    times: list[float] = field(default_factory=list)

    def once(self) -> float:
        if self.command is not None:
            start = time.perf_counter()
            done = subprocess.run(list(self.command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  env=dict(self.env) if self.env is not None else None, check=False)
            took = time.perf_counter() - start
            if done.returncode != 0:
                raise RuntimeError(f"{self.name}: {' '.join(self.command)} exited {done.returncode}: "
                                   f"{done.stderr.decode(errors='replace').strip()[-500:]}")
            return took
        assert self.fn is not None
        start = time.perf_counter()
        self.fn()
        return time.perf_counter() - start

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def time_callable(fn: Callable[[], object], n: int = 20, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` over ``n`` runs after ``warmup`` untimed ones."""
    job = Job("callable", fn=fn)
    for _ in range(warmup):
        job.once()
    job.times = [job.once() for _ in range(n)]
    return job.median


def time_command(command: Sequence[str], n: int = 20, warmup: int = 2, env: Mapping[str, str] | None = None) -> float:
    """Median wall time of running ``command`` as a process."""
    job = Job("command", command=command, env=env)
    for _ in range(warmup):
        job.once()
    job.times = [job.once() for _ in range(n)]
    return job.median


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
                             cwd=Path(__file__).resolve().parent)
    except OSError:
        return None
    return out.stdout.strip() or None


class Bench:
    """A floor and the subjects measured against it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._floor: Job | None = None
        self.subjects: list[Job] = []

    def floor(self, name: str, *, fn: Callable[[], object] | None = None, command: Sequence[str] | None = None,
              env: Mapping[str, str] | None = None) -> None:
        self._floor = Job(name, fn=fn, command=command, env=env)

    def subject(self, name: str, *, fn: Callable[[], object] | None = None, command: Sequence[str] | None = None,
                env: Mapping[str, str] | None = None, goal: float | None = None) -> None:
        self.subjects.append(Job(name, fn=fn, command=command, env=env, goal=goal))

    def run(self, n: int = 20, warmup: int = 2, results: Path | None = RESULTS, quiet: bool = False) -> list[dict]:
        """Warm everything up, then time floor and subjects in turn ``n`` times; report and record."""
        if self._floor is None:
            raise ValueError("a benchmark needs a floor")
        jobs = [self._floor, *self.subjects]
        for job in jobs:
            job.times = []
            for _ in range(warmup):
                job.once()
        for _ in range(n):
            for job in jobs:
                job.times.append(job.once())
        rows = [self._row(job, n) for job in self.subjects]
        if not quiet:
            print(self.table(rows))
        if results is not None:
            results.parent.mkdir(parents=True, exist_ok=True)
            with results.open("a", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row) + "\n")
        return rows

    def _row(self, job: Job, n: int) -> dict:
        assert self._floor is not None
        ratio = job.median / self._floor.median
        return {
            "bench": self.name, "name": job.name, "median_s": round(job.median, 6), "floor": self._floor.name,
            "floor_median_s": round(self._floor.median, 6), "ratio": round(ratio, 3),
            "goal": f"<= {job.goal:g}" if job.goal is not None else None,
            "met": (ratio <= job.goal) if job.goal is not None else None, "runs": n,
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": f"{os.cpu_count()}-core {platform.node()}", "python": platform.python_version(),
            "commit": _commit(),
        }

    @staticmethod
    def table(rows: list[dict]) -> str:
        head = ["benchmark", "median ms", "floor", "floor ms", "ratio", "goal", ""]
        body = [[r["name"], f"{r['median_s'] * 1000:.1f}", r["floor"], f"{r['floor_median_s'] * 1000:.1f}",
                 f"{r['ratio']:.2f}x", r["goal"] or "-", {True: "ok", False: "OVER", None: ""}[r["met"]]]
                for r in rows]
        widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
        lines = ["  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
                 for line in [head, ["-" * w for w in widths], *body]]
        return "\n".join(lines)


def exit_status(rows: list[dict]) -> int:
    """1 when any figure misses its goal, for scripts that gate on the benchmark."""
    return 1 if any(r["met"] is False for r in rows) else 0


if __name__ == "__main__":  # a quick self-check: timing `python -c pass` against itself is about 1.0x
    b = Bench("harness")
    b.floor("python -c pass", command=[sys.executable, "-c", "pass"])
    b.subject("python -c pass (again)", command=[sys.executable, "-c", "pass"], goal=1.2)
    sys.exit(exit_status(b.run(n=10, warmup=1, results=None)))
