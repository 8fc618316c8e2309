"""A database copied back by hand, without `boxoffice restore`: the terminal notices (its marks file at open, or
failing that the central service's journal_diverged at its next sync), stops selling with a message that says what
to do, and `boxoffice sync recover` brings it back. Sales made on the copy before it noticed are kept (after the
central service's entries, flagged, a reused order code named), and at the door each ticket admits once, by its id,
with the shared code flagged. Through the CLI, on SQLite and PostgreSQL central services."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from sync_helpers import Central, sync
from test_recover_restore import RECOVERY_NEEDED, _enrolled, _gala, _held, _sell

pytest_plugins = ["sync_support"]


def _snapshot(db: Path, to: Path) -> Path:
    """A copy of the database file as someone would keep one by hand (SQLite's backup: a whole file)."""
    a, b = sqlite3.connect(db), sqlite3.connect(to)
    a.backup(b)
    a.close(), b.close()
    return to


def _copy_back(ctx: Any, older: Path, marks_too: bool = False) -> None:
    """Put the older file in place of the database, as `cp` would (the terminal's process is not running)."""
    db = ctx.config.db_path
    ctx.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(older, db)
    if marks_too:  # the whole folder copied back: no marks file that knows better
        Path(f"{db}.marks").unlink()


def test_a_database_copied_back_behind_its_marks_stops_selling_until_recovered(
        central: Central, make_terminal, cli, tmp_path: Path) -> None:
    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Copied counter")
    event, db = _gala(ctx), ctx.config.db_path
    for _ in range(2):
        assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    older = _snapshot(db, tmp_path / "older.db")
    synced = _sell(run, event).json()["order"]
    assert run("sync").exit_code == 0
    _copy_back(ctx, older)

    refused = _sell(run, event)
    assert refused.exit_code == RECOVERY_NEEDED, refused.output
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "recovery_needed"
    assert error["message"] == ("this terminal's database was copied back from an older file: run "
                                "`boxoffice sync recover` before selling")
    status = run("sync", "status", "--json").json()
    assert status["recovery"]["source"] == "copied_back" and status["warning"] == error["message"]
    recovered = run("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    assert recovered.json()["by_kind"] == {"sale": 1} and recovered.json()["lost"] is None
    assert run("order", "show", synced, "--json").exit_code == 0
    fresh = _sell(run, event)
    assert fresh.exit_code == 0 and fresh.json()["order"] != synced
    assert _held(db, event) == (5, 4)
    assert run("sync").exit_code == 0
    assert central.scalar("SELECT count(*) AS n FROM conflicts WHERE second_terminal = ?",
                          (ctx.terminal["id"],)) == 0


def test_a_copy_back_noticed_only_by_the_central_service_keeps_every_sale_and_flags_the_reused_code(
        central: Central, make_terminal, terminals, cli, clock, tmp_path: Path) -> None:
    from boxoffice.services.door import door_event, scan

    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Diverged counter")
    event, db, tid = _gala(ctx), ctx.config.db_path, ctx.terminal["id"]
    assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    older = _snapshot(db, tmp_path / "older.db")
    first = _sell(run, event).json()
    assert run("sync").exit_code == 0
    _copy_back(ctx, older, marks_too=True)

    # Nothing here knows better: the copy sells on, and hands out the same code again.
    second = _sell(run, event).json()
    assert second["order"] == first["order"]
    diverged = run("sync")
    assert diverged.exit_code == RECOVERY_NEEDED, diverged.output
    assert "no longer matches the central service's copy" in diverged.stderr
    assert "boxoffice sync recover" in diverged.stderr
    assert _sell(run, event).exit_code == RECOVERY_NEEDED

    recovered = run("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    out = recovered.json()
    assert out["by_kind"] == {"sale": 1}
    assert [m["id"] for m in out["reappended"]][0] == next(
        r[0] for r in sqlite3.connect(db).execute("SELECT id FROM journal WHERE kind = 'sale' AND payload LIKE ?",
                                                  (f'%{second["order_id"]}%',)))
    assert [c["kind"] for c in out["clashes"]] == ["order_code_reused"]
    kept_as = out["clashes"][0]["kept_as"]
    assert kept_as.startswith(first["order"] + "~")
    assert "sync_error" not in out, out
    # Both sales are here, each with its tickets; the second under the code it is kept as.
    assert run("order", "show", first["order"], "--json").json()["id"] == first["order_id"]
    assert run("order", "show", kept_as, "--json").json()["id"] == second["order_id"]
    assert _held(db, event) == (5, 3)
    flags = run("sync", "conflicts", "--json").json()
    assert {f["kind"] for f in flags} >= {"order_code_reused", "reappended_after_restore"}

    # The central service has both orders, one journal with every number once, and the flag for a supervisor.
    orders = {r["id"]: r["code"] for r in central.query("SELECT id, code FROM orders WHERE terminal_id = ?", (tid,))}
    assert orders[first["order_id"]] == first["order"] and orders[second["order_id"]] == kept_as
    seqs = [r["seq"] for r in central.query("SELECT seq FROM journal WHERE terminal_id = ? ORDER BY seq", (tid,))]
    assert seqs == list(range(1, len(seqs) + 1))
    assert [r["kind"] for r in central.query("SELECT kind FROM conflicts WHERE second_terminal = ?", (tid,))] == \
        ["order_code_reused"]

    # At a door elsewhere, each ticket admits once, by its id; the shared code is said and recorded.
    (door,) = terminals(1)
    sync(door)
    clock.set(clock() + timedelta(days=7, hours=9))
    ev = door_event(door, event)
    a = scan(door, first["tickets"][0]["token"], ev)
    b = scan(door, second["tickets"][0]["token"], ev)
    assert a["result"] == b["result"] == "admit"
    assert a["flag"] == b["flag"] == "order_code_reused" and "shared by two orders" in b["message"]
    assert scan(door, first["tickets"][0]["token"], ev)["code"] == "already_checked_in"
    journal = [json.loads(r[0]) for r in door.conn.execute("SELECT payload FROM journal WHERE kind = 'checkin'")]
    assert [p.get("flag") for p in journal] == ["order_code_reused", "order_code_reused"]


def test_a_terminal_with_no_central_service_copied_back_goes_on_only_with_the_loss_accepted(
        terminal, cli, demo_events, tmp_path: Path) -> None:
    from night_kit import sell

    gala, _ = demo_events
    sell(terminal, gala, "standing", {"adult": 1}, "cash")
    older = _snapshot(terminal.config.db_path, tmp_path / "older.db")
    lost = sell(terminal, gala, "standing", {"adult": 1}, "cash")["order"]["code"]
    _copy_back(terminal, older)
    refused = cli("sell", gala, "--section", "standing", "--type", "adult=1", "--cash", "100", "--json",
                  db=terminal.config.db_path)
    assert refused.exit_code == RECOVERY_NEEDED
    assert "no central service to recover from" in json.loads(refused.stdout)["error"]["message"]
    assert cli("sync", "recover", db=terminal.config.db_path).exit_code == 8
    accepted = cli("restore", older, "--yes", "--accept-loss", "--json", db=terminal.config.db_path)
    assert accepted.exit_code == 0, accepted.output
    sold = cli("sell", gala, "--section", "standing", "--type", "adult=1", "--cash", "100", "--no-receipt", "--json",
               db=terminal.config.db_path)
    assert sold.exit_code == 0, sold.output
    assert sold.json()["order"] != lost, "the code handed out on the file put over is never handed out again"
