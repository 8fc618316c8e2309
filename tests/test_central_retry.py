"""A unit of central work that PostgreSQL aborts as a deadlock is run again whole, and only after the bound does the
caller see ``busy``: two real transactions lock two rows in opposite orders, so the server must abort one."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sync_helpers import pg_schema_url

from boxoffice.central.services.admin import init
from boxoffice.central.store.db import CentralDB, retrying
from boxoffice.errors import BoxOfficeError

pytest_plugins = ["sync_support"]
pytestmark = pytest.mark.pg


@pytest.fixture
def url(pg_database: str) -> str:
    u = pg_schema_url(pg_database)
    init(u)
    return u


def _crossing(attempts: int, url: str) -> tuple[list[Any], dict[str, int]]:
    """Two writers: one locks counter 'feed' then 'web_order', the other the reverse, each first attempt waiting for
    the other to hold its first row (a deadlock PostgreSQL breaks by aborting one). Returns what each ended with and
    how many times each ran."""
    both = threading.Barrier(2)
    runs = {"a": 0, "b": 0}
    results: list[Any] = [None, None]

    def writer(i: int, name: str, first: str, second: str) -> None:
        def work(db: CentralDB) -> str:
            runs[name] += 1
            with db.transaction():
                db.execute("UPDATE counters SET value = value + 1 WHERE name = ?", (first,))
                if runs[name] == 1:
                    both.wait(30)
                db.execute("UPDATE counters SET value = value + 1 WHERE name = ?", (second,))
            return name

        try:
            results[i] = retrying(url, work, attempts=attempts)
        except BoxOfficeError as exc:
            results[i] = exc

    threads = [threading.Thread(target=writer, args=(0, "a", "feed", "web_order")),
               threading.Thread(target=writer, args=(1, "b", "web_order", "feed"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results, runs


def _counters(url: str) -> dict[str, int]:
    from boxoffice.central.store.db import connect

    with connect(url) as db:
        return {r["name"]: int(r["value"]) for r in db.all("SELECT name, value FROM counters")}


def test_a_deadlocked_unit_of_work_is_run_again_and_both_writers_finish(url: str) -> None:
    before = _counters(url)
    results, runs = _crossing(3, url)
    assert results == ["a", "b"]
    assert sorted(runs.values()) == [1, 2]  # the one PostgreSQL aborted ran once more, from the start
    after = _counters(url)  # the aborted attempt left nothing: each counter moved once per writer
    assert after["feed"] - before["feed"] == 2 and after["web_order"] - before["web_order"] == 2


def test_after_the_bound_the_caller_is_told_busy(url: str) -> None:
    results, runs = _crossing(1, url)
    busy = [r for r in results if isinstance(r, BoxOfficeError)]
    assert len(busy) == 1 and busy[0].code == "busy" and "DeadlockDetected" in busy[0].message
    assert sorted(runs.values()) == [1, 1]
