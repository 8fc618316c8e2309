"""Processes killed at random moments: `boxoffice sell`, `pickup`, `refund`, `scan`, `exchange` and `sync` are run
against a real terminal database, two at a time, and SIGKILLed after a random delay between 0 and a little over the
command's own measured duration. Afterwards the database is sound, `boxoffice audit verify` passes, every action is
wholly there or wholly absent, and nothing a process reported as done is missing.

The longer run (hundreds of kills, the counts written down) is benchmarks/bench_crash.py.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from stress_helpers import (
    EVENT,
    STANDING,
    CrashDriver,
    Site,
    build_site,
    central_with_two_counters,
    committed_unreported,
    reported,
    reported_problems,
    unclean_exits,
    whole_problems,
)

pytest_plugins = ["sync_support"]

LOCAL_KILLS = 250
SYNC_KILLS = 100
# The runs end on their kill counts; this bound only stops a run that hangs. On a loaded machine each attempt
# takes longer, and a run cut short by a clock would test less, not fail for a reason worth knowing.
SAFETY_SECONDS = 1200
CHECK_EVERY = 25  # kills between checks made while the other worker goes on writing


def _checked_every(site: Site, n: int, found: list[str]):
    seen = {"kills": 0}

    def after_kill(_attempt) -> None:
        seen["kills"] += 1
        if seen["kills"] % n == 0:
            found.extend(whole_problems(site.db))

    return after_kill


def _audit_ok(site: Site) -> None:
    r = site.run("audit", "verify")
    assert r.returncode == 0, (r.stdout.decode()[-2000:], r.stderr.decode())
    assert r.stdout.decode().startswith("OK:")


def _sell_still_works(site: Site) -> None:
    r = site.run("sell", EVENT, "--section", STANDING, "--type", "adult=1", "--card", "4242", "--json")
    assert r.returncode == 0, r.stderr.decode()
    code = json.loads(r.stdout)["order"]
    assert site.query("SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.code = ?",
                      (code,))[0][0] == 1


def test_the_checks_see_half_done_actions_and_missing_reported_ones(tmp_path: Path) -> None:
    """The checks below are not empty words: each kind of half-done action, made by hand, is named."""
    import sqlite3

    from stress_helpers import Attempt

    site = build_site(tmp_path / "counter", web_orders=3)
    driver = CrashDriver(site, seed=1, kinds={"sell": 1})
    sold = driver.attempt("sell", random.Random(3), None)
    assert sold.returncode == 0 and whole_problems(site.db) == []
    code = reported([sold])[0][1]["code"]
    assert site.run("pickup", site.web_codes[0], "--yes").returncode == 0
    ticket = site.query("SELECT token FROM tickets WHERE order_id = (SELECT id FROM orders WHERE code = ?)",
                        (code,))[0][0]
    assert site.run("scan", "check", "--event", EVENT, input=ticket.encode() + b"\n").returncode == 0
    assert site.run("refund", code, "--yes").returncode == 0
    assert whole_problems(site.db) == []

    def damaged(sql: str) -> list[str]:
        copy = tmp_path / f"copy-{len(list(tmp_path.iterdir()))}.db"
        with sqlite3.connect(site.db) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        with sqlite3.connect(copy) as conn:
            conn.executescript(f"PRAGMA foreign_keys=OFF; {sql}")
        return whole_problems(copy)

    assert any("no journal entry" in x for x in damaged("DELETE FROM journal WHERE kind = 'sale'"))
    assert any("tickets" in x for x in damaged("DELETE FROM tickets WHERE order_id IN (SELECT id FROM orders"
                                               " WHERE code = '" + code + "')"))
    assert any("pickups" in x for x in damaged("DELETE FROM pickups"))
    assert any("refund" in x for x in damaged("DELETE FROM refund_items"))
    assert any("revocations" in x for x in damaged("DELETE FROM revocations"))
    assert any("check-ins" in x for x in damaged("DELETE FROM journal WHERE kind = 'checkin'"))
    assert any("sold counter" in x for x in damaged("UPDATE sections SET sold = sold + 1 WHERE kind = 'general'"))
    lost = Attempt("sell", ["sell", "--json"], 0.1, -9, '{"order": "NOPE-NOPE", "tickets": [{}]}')
    assert reported_problems(site.db, [lost]) == ["sold NOPE-NOPE with 1 tickets, database has 0"]
    refused = Attempt("sell", ["sell"], 0.1, 70, "", "Traceback (most recent call last):\n  ...")
    assert len(unclean_exits([refused])) == 1


@pytest.mark.slow
def test_sales_pickups_refunds_scans_and_exchanges_killed_at_random_leave_every_action_whole(tmp_path: Path) -> None:
    site = build_site(tmp_path / "counter", web_orders=150)
    driver = CrashDriver(site, seed=9091, kinds={"sell": 4, "pickup": 2, "refund": 2, "scan": 2, "exchange": 1},
                         workers=2, window=1.25)
    durations = driver.measure()
    assert all(d > 0.05 for d in durations.values()), durations  # each action really ran a process
    midway: list[str] = []
    counts = driver.run(LOCAL_KILLS, seconds=SAFETY_SECONDS, after_kill=_checked_every(site, CHECK_EVERY, midway))

    assert counts["kills"] >= LOCAL_KILLS, counts
    assert all(c.get("killed", 0) >= 5 for c in counts["by_kind"].values()), counts
    assert unclean_exits(driver.attempts) == []
    assert midway == [], "seen half-done while the other process went on"
    assert whole_problems(site.db) == []
    said = reported(driver.attempts)
    assert {kind for kind, _ in said} >= {"sell", "pickup", "refund", "scan"}
    assert reported_problems(site.db, driver.attempts) == []
    # Some kills landed between an action's commit and its answer (the window a lost sale would hide in).
    assert sum(committed_unreported(site.db, driver.attempts).values()) > 0
    _audit_ok(site)

    # What the killed processes owed the printer prints on retry, and the counter goes on selling.
    retry = site.run("print", "retry")
    assert retry.returncode == 0, retry.stderr.decode()
    pending = site.run("print", "jobs", "--pending", "--json")
    assert pending.returncode == 0 and json.loads(pending.stdout) == []
    _sell_still_works(site)
    assert whole_problems(site.db) == []


def _wait_synced(site: Site) -> dict:
    r = site.run("sync", "--json")
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


@pytest.mark.slow
def test_sync_killed_at_random_between_sales_pushes_every_entry_once_and_loses_nothing(tmp_path: Path) -> None:
    with central_with_two_counters(tmp_path) as (central, here, other):
        other_codes: list[str] = []

        driver = CrashDriver(here, seed=4242, kinds={"sell": 3, "sync": 3, "pickup": 1, "refund": 1, "scan": 1},
                             workers=2, window=1.25)
        driver.measure()
        midway: list[str] = []
        check = _checked_every(here, 10, midway)

        def after_kill(attempt) -> None:
            # Now and then the other counter sells and syncs, so the killed pulls have its sales to bring.
            check(attempt)
            if len(driver.attempts) % 6 == 0:
                r = other.run("sell", EVENT, "--section", STANDING, "--type", "adult=2", "--cash", "50", "--json")
                assert r.returncode == 0, r.stderr.decode()
                other_codes.append(json.loads(r.stdout)["order"])
                _wait_synced(other)

        counts = driver.run(SYNC_KILLS, seconds=SAFETY_SECONDS, after_kill=after_kill)
        assert counts["kills"] >= SYNC_KILLS and counts["by_kind"]["sync"].get("killed", 0) >= 10, counts
        assert unclean_exits(driver.attempts) == []
        assert midway == []

        # One whole sync afterwards: every entry of this terminal is on the central service exactly once, unchanged.
        _wait_synced(other)
        _wait_synced(here)
        head = here.query("SELECT max(seq) FROM journal")[0][0]
        again = _wait_synced(here)
        for _ in range(3):  # a sync journals the alerts that changed since the last one (a sales rate falls as
            if again["pushed"] == 0:  # time passes): those alone may go in a later sync, nothing else
                break
            again = _wait_synced(here)
        late = [r[0] for r in here.query("SELECT kind FROM journal WHERE seq > ?", (head,))]
        assert set(late) <= {"alert.raised", "alert.cleared"}, late
        assert again["pushed"] == 0 and again["applied"] == 0
        assert here.query("SELECT count(*) FROM journal WHERE pushed_at IS NULL")[0][0] == 0
        tid = here.query("SELECT id FROM terminal")[0][0]
        local = {(r["id"], r["seq"], r["hash"]) for r in here.query("SELECT id, seq, hash FROM journal")}
        remote = central.query("SELECT id, seq, hash FROM journal WHERE terminal_id = ?", (tid,))
        assert len(remote) == len(local) and {(r["id"], r["seq"], r["hash"]) for r in remote} == local
        sold_here = {r[0] for r in here.query("SELECT id FROM orders WHERE terminal_id = ?", (tid,))}
        on_central = {json.loads(r["body"])["order"]["id"] for r in central.query(
            "SELECT body FROM changes WHERE kind = 'order' AND origin = ?", (tid,))}
        assert sold_here == on_central

        # What the other counter sold is here; nothing is half there; what was reported done is there.
        assert other_codes and set(other_codes) <= {r[0] for r in here.query("SELECT code FROM orders")}
        assert whole_problems(here.db) == []
        assert reported_problems(here.db, driver.attempts) == []
        for site in (here, other):
            _audit_ok(site)
        _sell_still_works(here)


def test_audit_verify_passes_on_a_terminal_that_learnt_another_counters_sales_by_sync(central, terminals,
                                                                                      demo_events) -> None:
    from sync_helpers import sell, sync

    from boxoffice.services.audit import verify

    a, b = terminals(2)
    sold = sell(b, demo_events[0], n=2)
    sync(b)
    sync(a)
    assert a.conn.execute("SELECT count(*) FROM orders WHERE id = ?", (sold["order"]["id"],)).fetchone()[0] == 1
    assert verify(a)["ok"] and verify(b)["ok"]
