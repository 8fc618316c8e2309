"""Top-up round trip: a terminal asks the central service for more places and applies the grant, timed against a
bare HTTP request to the same server in the same run.

    .venv/bin/python benchmarks/bench_topup.py                   # SQLite central, 200 runs after 10 warm-up
    .venv/bin/python benchmarks/bench_topup.py --db postgresql://postgres@127.0.0.1:5432/bench_topup --runs 300

What is real: `boxoffice central serve` (uvicorn) in a subprocess on loopback, a terminal made by `boxoffice init`'s
service and enrolled with a one-time code, its HTTP client (one keep-alive connection). Subject: one top-up request
(`POST /v1/allocations/requests`, a new request id, one standing place) and the grant pull that applies it
(`GET /v1/allocations` and the terminal's transaction), as `boxoffice sync` does them. Floor: `GET /healthz` on the
same connection (it too opens a database connection and reads a row). Floor and subject alternate, run by run.

Prints a table and appends JSON lines to benchmarks/results/latest.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from harness import Bench, exit_status  # noqa: E402
from sync_helpers import CentralServer  # noqa: E402

from boxoffice.central.services.admin import enroll_code, init, publish_catalog  # noqa: E402
from boxoffice.config import load  # noqa: E402
from boxoffice.domain.ids import uuid7  # noqa: E402
from boxoffice.services.allocations import pull_grants  # noqa: E402
from boxoffice.services.demo_catalog import demo_catalog  # noqa: E402
from boxoffice.services.operators import add_operator, login  # noqa: E402
from boxoffice.services.sync.rounds import enroll, sync_once  # noqa: E402
from boxoffice.services.terminal import init_terminal  # noqa: E402
from boxoffice.sync.client import CentralClient  # noqa: E402

GOAL = 6.0  # a top-up is two requests and two transactions on each side: a few health checks' worth


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", help="central database (default: a SQLite file in a temporary directory)")
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--warmup", type=int, default=10)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-topup-") as tmp:
        base = Path(tmp)
        url = args.db or str(base / "central.db")
        init(url)
        doc = demo_catalog(datetime.now(UTC).date())
        for ev in doc["events"]:
            ev["sections"] = [s if s["id"] != "standing" else {**s, "capacity": 1_000_000} for s in ev["sections"]]
        (base / "catalog.json").write_text(json.dumps(doc), encoding="utf-8")
        publish_catalog(url, base / "catalog.json")
        event = doc["events"][0]["id"]
        server = CentralServer(url, base / "serve.log")
        try:
            (base / "terminal").mkdir()
            toml = base / "terminal" / "boxoffice.toml"
            toml.write_text('db = "terminal.db"\n[allocation]\ntop_up_below = 0\n', encoding="utf-8")
            ctx = init_terminal(load(str(toml)), "Bench counter")
            add_operator(ctx, "ada", "admin", "123456")  # enrolling needs an admin logged in
            login(ctx, "ada", "123456")
            with CentralClient(server.url) as c:
                enroll(ctx, server.url, enroll_code(url, "Bench counter")["code"], c)
            token = ctx.conn.execute("SELECT token FROM sync_state").fetchone()[0]
            with CentralClient(server.url, token) as client:
                sync_once(ctx, client)  # the catalogue, so grants apply

                def top_up() -> None:
                    answer = client.top_up({"id": uuid7(), "event_id": event, "section_id": "standing", "count": 1})
                    assert answer["granted"] == 1
                    assert pull_grants(ctx, client)["grants_applied"] == 1

                bench = Bench("topup")
                bench.floor("GET /healthz", fn=client.health)
                bench.subject("top-up request + grant pull", fn=top_up, goal=GOAL)
                rows = bench.run(n=args.runs, warmup=args.warmup)
            held = ctx.conn.execute("SELECT allocated FROM sections WHERE event_id = ? AND id = 'standing'",
                                    (event,)).fetchone()[0]
            assert held == args.runs + args.warmup, held  # every round trip granted and applied exactly once
            ctx.close()
        finally:
            server.stop()
    print(f"central: {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}; {held} places granted, one a run")
    return exit_status(rows)


if __name__ == "__main__":
    sys.exit(main())
