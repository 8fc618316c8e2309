"""Eight terminals selling and syncing at once against one central service on PostgreSQL, each its own process with
its own SQLite file and its own allocation: no error, every sale on the central service exactly once, no place
sold beyond what was granted, and every terminal knowing every other's sales afterwards.

The long run with its figures (sales per second, sync lag, request latency) is benchmarks/bench_load.py; this one
stops after a fixed number of sales per terminal and asserts nothing about time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from load_helpers import (
    EVENT,
    SECTION,
    TICKETS_PER_SALE,
    catalogue,
    collect,
    prepare,
    start_workers,
    sync_terminal,
    verify,
)
from sync_helpers import Central, CentralServer, central_db

pytest_plugins = ["sync_support"]
pytestmark = pytest.mark.pg

TERMINALS = 8
SALES_EACH = 40
GRANT_EACH = 400  # places; each sale takes TICKETS_PER_SALE
CAPACITY = 5000


@pytest.fixture(scope="module")
def pg_central(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    directory = tmp_path_factory.mktemp("central-load")
    url = central_db("pg", directory, request)
    server = CentralServer(url, directory / "serve.log")
    c = Central("pg", url, server)
    c.publish(catalogue(CAPACITY), directory)
    try:
        yield c
    finally:
        server.stop()


def test_eight_terminals_sell_and_sync_at_once(pg_central: Central, tmp_path: Path, cli) -> None:
    terminals = prepare(pg_central.url, pg_central.db_url, tmp_path, TERMINALS, GRANT_EACH)
    reports = collect(start_workers(terminals, tmp_path, seconds=600, max_sales=SALES_EACH, lead=1.0), timeout=240)
    for r in reports:
        assert r["sale_errors"] == {} and r["request_errors"] == {} and r["sync_errors"] == {}, r
        assert r["sales"] == SALES_EACH and r["unacknowledged"] == 0
    for t in terminals:  # a last pull, now that everyone has pushed everything
        sync_terminal(t)
    assert verify(pg_central.db_url, terminals, reports) == []

    # what the supervisor sees: every sale there once, the section adding up, nobody past their grant
    sold = TERMINALS * SALES_EACH
    assert pg_central.scalar("SELECT count(*) FROM orders WHERE channel = 'box_office'") == sold
    assert pg_central.scalar("SELECT count(DISTINCT id) FROM journal WHERE kind = 'sale'") == sold
    assert pg_central.scalar("SELECT count(*) FROM tickets WHERE section_id = ?", (SECTION,)) == \
        sold * TICKETS_PER_SALE
    out = cli("central", "allocations", EVENT, "--db", pg_central.db_url, "--json")
    assert out.exit_code == 0, out.stderr
    (row,) = [r for r in out.json() if r["section_id"] == SECTION]
    assert row["web_sold"] + sum(row["allocated"].values()) + row["free"] == row["capacity"] == CAPACITY
    assert sorted(row["allocated"].values()) == [GRANT_EACH] * TERMINALS
    for t in terminals:
        shown = cli("--config", str(t.toml), "allocation", "show", EVENT, "--json", now=None)
        assert shown.exit_code == 0, shown.stderr
        (mine,) = [r for r in shown.json() if r["section_id"] == SECTION]
        assert mine["held"] == GRANT_EACH and mine["sold"] == SALES_EACH * TICKETS_PER_SALE
        status = cli("--config", str(t.toml), "sync", "status", "--json", now=None)
        assert status.exit_code == 0, status.stderr
        assert status.json()["entries_waiting"] == 0
