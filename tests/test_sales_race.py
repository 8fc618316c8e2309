"""Two counters on one database selling the last place at the same moment: one sale, one refusal, nothing half-done.

Each round starts two real `boxoffice sell` processes that import the CLI, say they are ready, and wait for one
"go" sent to both at once, so the two sales really overlap.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_sales_kit import EVENT, Counter, check_database, make_counter, subprocess_env

ROUNDS = 10

# Import the CLI, say "ready", wait for "go", then run `boxoffice ARGS` as the console script does.
_ON_GO = (
    "import sys\n"
    "from boxoffice.cli.main import run\n"
    "sys.argv = ['boxoffice', *sys.argv[1:]]\n"
    "sys.stderr.write('ready\\n'); sys.stderr.flush()\n"
    "sys.stdin.readline()\n"
    "run()\n"
)


def race(counter: Counter, *sell_args: str) -> list[tuple[int, dict]]:
    """Two simultaneous sales; returns each process's exit status and JSON output."""
    args = ["--db", str(counter.db), "--config", str(counter.config), "sell", EVENT, *sell_args, "--json"]
    processes = [subprocess.Popen([sys.executable, "-c", _ON_GO, *args], env=subprocess_env(), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    for p in processes:
        assert p.stderr.readline() == "ready\n"
    for p in processes:
        p.stdin.write("go\n")
        p.stdin.flush()
    outcomes = []
    for p in processes:
        out, err = p.communicate(timeout=120)
        assert "Traceback" not in err, err
        outcomes.append((p.returncode, json.loads(out)))
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("section, losing_codes", [
    ("last-place", {"sold_out"}),
    ("last-seat", {"sold_out", "seat_unavailable", "not_enough_together"}),
])
def test_two_processes_racing_for_the_last_place_sell_it_once(tmp_path: Path, section: str,
                                                              losing_codes: set[str]) -> None:
    for round_ in range(ROUNDS):
        counter = make_counter(tmp_path / f"round{round_}")
        outcomes = race(counter, "--section", section, "--type", "adult=1", "--card", "4242")
        statuses = sorted(status for status, _ in outcomes)
        assert statuses == [0, 4], outcomes
        winner = next(out for status, out in outcomes if status == 0)
        loser = next(out for status, out in outcomes if status == 4)
        assert loser["error"]["code"] in losing_codes, loser
        assert len(winner["tickets"]) == 1
        check_database(counter.db)
        assert counter.cli("ticket", "verify", winner["tickets"][0]["token"]).exit_code == 0
        assert counter.query("SELECT count(*) FROM orders") == [(1,)]


@pytest.mark.slow
def test_two_processes_selling_pairs_from_a_small_stock_never_oversell(tmp_path: Path) -> None:
    """Standing has 40 places: pairs of sales of 6 race until it runs out; sold never passes capacity."""
    counter = make_counter(tmp_path / "counter")
    sold = 0
    while True:
        outcomes = race(counter, "--section", "standing", "--type", "adult=6", "--card", "4242")
        for status, out in outcomes:
            if status == 0:
                sold += len(out["tickets"])
            else:
                assert status == 4 and out["error"]["code"] == "sold_out", out
        if all(status != 0 for status, _ in outcomes):
            break
    assert sold == 36, "six orders of six fit in forty places; a seventh does not"
    check_database(counter.db)
    left = counter.cli("sell", EVENT, "--section", "standing", "--type", "adult=6", "--card", "4242")
    assert left.exit_code == 4 and "only 4 left" in left.stderr
