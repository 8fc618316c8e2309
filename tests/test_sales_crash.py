"""A `boxoffice sell` process killed at any moment leaves a whole sale or none, and retry prints what it owed."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_sales_kit import EVENT, boxoffice_command, check_database, make_counter, subprocess_env

ATTEMPTS = 20


@pytest.mark.slow
def test_sales_killed_at_random_moments_leave_whole_orders_and_retry_prints_them(tmp_path: Path) -> None:
    sink = tmp_path / "printer.bin"
    counter = make_counter(tmp_path / "counter", printer=f"file://{sink}")
    rng = random.Random(20311)
    command = [*boxoffice_command(), "--db", str(counter.db), "--config", str(counter.config), "sell", EVENT,
               "--section", "stalls", "--type", "adult=2", "--card", "4242"]
    # How long a whole sale takes here, so the kills land before, during and after its transaction.
    start = time.perf_counter()
    subprocess.run(command, env=subprocess_env(), capture_output=True, check=True)
    whole = time.perf_counter() - start

    finished = 1
    for _ in range(ATTEMPTS):
        process = subprocess.Popen(command, env=subprocess_env(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 1.1) * whole)
        process.send_signal(signal.SIGKILL)
        finished += process.wait() == 0
        check_database(counter.db)

    orders = counter.query("SELECT count(*) FROM orders")[0][0]
    assert finished <= orders <= ATTEMPTS + 1
    assert counter.query("SELECT count(*) FROM seats WHERE status = 'sold'") == [(2 * orders,)]
    counter.login("sue")
    audit = counter.cli("audit", "verify")
    assert audit.exit_code == 0, audit.output

    retried = counter.cli("print", "retry")
    assert retried.exit_code == 0, retried.output
    assert counter.cli_json("print", "jobs", "--pending") == []
    printed = counter.query("SELECT count(*) FROM print_jobs WHERE status = 'printed'")[0][0]
    assert printed == orders, "every order's job printed in the end"
