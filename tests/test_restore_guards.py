"""A restore cannot be turned against the night: a replacement machine that cannot learn how far the terminal got
does not hand codes and places out twice, a sale made while a restore is being checked is never overwritten, the
live database is kept before it is replaced, and a copy from a newer release or changed by hand (a trigger) is
refused with the live database untouched. Backups work whatever the terminal's name, and the copy just made is
never the one pruned. Through the CLI and the services, with a real central service on loopback."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from night_kit import dump, sell
from sync_helpers import Central, free_port
from test_recover_restore import _enrolled, _gala, _held, _sell

from boxoffice.services.backup import PREFIX, backup, restore, verify_copy
from boxoffice.services.restore_decision import UNKNOWN_ORDERS

pytest_plugins = ["sync_support"]

CONFLICT, DATABASE_ERROR, CENTRAL_UNREACHABLE = 4, 9, 8


def _away(tmp_path: Path) -> Path:
    """A config whose central service is not there: the network is down."""
    away = tmp_path / "away.toml"
    away.write_text(f"central_url = \"http://127.0.0.1:{free_port()}\"\n[allocation]\ntop_up_below = 0\n",
                    encoding="utf-8")
    return away


def _next_order_seq(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT next_order_seq FROM terminal").fetchone()[0])
    finally:
        conn.close()


def test_a_replacement_machine_that_cannot_ask_the_central_service_gives_nothing_out_twice(
        central: Central, make_terminal, cli, tmp_path: Path) -> None:  # noqa: ANN001
    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Lost counter")
    event, old_db = _gala(ctx), ctx.config.db_path
    assert _sell(run, event).exit_code == 0
    copy = run("backup", "--to", tmp_path / "usb", "--json").json()["file"]
    after = _sell(run, event, 2).json()["order"]  # sold after the backup, synced, then the machine died
    assert run("sync").exit_code == 0
    ctx.close()

    new_db = tmp_path / "replacement" / "terminal.db"
    away = _away(tmp_path)

    def new(*args: Any, **kw: Any) -> Any:
        return cli("--config", away, "--db", new_db, *args, **kw)

    refused = new("restore", copy, "--yes", "--admin", "ada", pin="123456")
    assert refused.exit_code == CENTRAL_UNREACHABLE, refused.output
    assert "nothing here says how far this terminal got" in refused.stderr and "--accept-loss" in refused.stderr
    assert not new_db.exists() and not list(new_db.parent.glob("*")), "nothing was put in place"
    new_db.parent.mkdir()
    shutil.copyfile(old_db.with_suffix(".key"), new_db.with_suffix(".key"))  # from the old machine's safe copy

    accepted = new("restore", copy, "--yes", "--admin", "ada", "--accept-loss", "--json", pin="123456")
    assert accepted.exit_code == 0, accepted.output
    said = accepted.json()
    assert said["head_unknown"] and said["older"] and said["state"] == "gap" and said["incident"]
    assert said["next_order_seq"] >= UNKNOWN_ORDERS, "order numbers jump past any the lost sales used"
    assert _held(new_db, event) == (1, 1), "the central service's places are held: none left to sell here"
    assert new("login", "sam", pin="1111").exit_code == 0
    refused_sale = new("sell", event, "--section", "standing", "--type", "adult=1", "--cash", "100", "--json")
    assert refused_sale.json()["error"]["code"] == "not_allocated", "no place is sold again before recovery"
    spare = tmp_path / "spare" / "terminal.db"  # the same, as a person reads it
    text = cli("--config", away, "--db", spare, "restore", copy, "--yes", "--admin", "ada", "--accept-loss",
               pin="123456")
    assert text.exit_code == 0 and "not known here; some of them may be lost" in text.stdout, text.output

    # Online again: what the central service holds comes back, and the next code is not one already given out.
    online = tmp_path / "online.toml"
    online.write_text("[allocation]\ntop_up_below = 0\n", encoding="utf-8")
    recovered = cli("--config", online, "--db", new_db, "sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    assert cli("--config", online, "--db", new_db, "order", "show", after, "--json").exit_code == 0
    sold = cli("--config", online, "--db", new_db, "sell", event, "--section", "standing", "--type", "adult=1",
               "--cash", "100", "--no-receipt", "--json")
    assert sold.exit_code == 0, sold.output
    assert sold.json()["order"] != after


def test_a_sale_made_while_a_restore_is_checked_stops_the_restore_and_is_kept(
        central: Central, make_terminal, cli, open_ctx, tmp_path: Path) -> None:  # noqa: ANN001
    from sync_helpers import client

    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Busy counter")
    event, db = _gala(ctx), ctx.config.db_path
    copy = Path(run("backup", "--to", tmp_path / "usb", "--json").json()["file"])
    assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    other_window: list[str] = []

    def slow_network(url: str, token: str, **kw: Any) -> Any:
        """The central service is asked; meanwhile another window on the same terminal sells."""
        other_window.append(_sell(run, event).json()["order"])
        return client(url, token, **kw)

    from boxoffice.services.operators import login

    admin = open_ctx(db)
    login(admin, "ada", "123456")
    assert run("sync").exit_code == 0  # the login's entry too: nothing unpushed when the restore is checked
    ctx.close()  # the restoring command alone holds the database, as it must (the other window sold and closed)
    before = None
    with pytest.raises(Exception) as refused:
        before = restore(admin, copy, central=slow_network)
    assert before is None and getattr(refused.value, "code", None) == "conflict", refused.value
    assert "changed while the restore was being checked" in str(refused.value)
    admin.close()
    assert cli("order", "show", other_window[0], "--json", db=db).exit_code == 0, "the sale is still there"
    assert not list(db.parent.glob("*.before-restore-*")), "nothing was kept: nothing was changed"

    # A restore that goes through keeps the database it replaced, private, with every sale it held.
    assert run("sync").exit_code == 0
    held = dump(db)
    done = run("restore", copy, "--yes")
    assert done.exit_code == 0, done.output
    (kept,) = db.parent.glob(f"{db.name}.before-restore-*")
    assert f"The database as it was is kept in {kept}." in done.stdout
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert dump(kept)["orders"] == held["orders"]


FROM_THE_FUTURE = ("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('boxoffice', "
                   "'0099_from_the_future', '2031-01-01')")
PAYMENT_EATER = "CREATE TRIGGER eat AFTER INSERT ON payments BEGIN DELETE FROM payments WHERE rowid = NEW.rowid; END"


def _changed(copy: Path, sql: str) -> None:
    """The backup file changed behind the tool's back (a newer release wrote it, or someone with the USB stick)."""
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute(sql)
    conn.close()


@pytest.mark.parametrize("change, says", [(FROM_THE_FUTURE, "newer boxoffice"), (PAYMENT_EATER, "trigger eat")])
def test_a_copy_from_a_newer_release_or_changed_by_hand_is_refused_before_anything_changes(  # noqa: ANN001
        terminal, demo_events, cli, tmp_path: Path, change: str, says: str) -> None:
    gala, _ = demo_events
    sell(terminal, gala, "standing", {"adult": 2}, "card")
    copy = Path(cli("backup", "--to", tmp_path / "usb", "--json", db=terminal).json()["file"])
    _changed(copy, change)
    sell(terminal, gala, "standing", {"adult": 1}, "cash")
    before = dump(terminal.config.db_path)
    refused = cli("restore", copy, "--yes", db=terminal)
    assert refused.exit_code == DATABASE_ERROR, refused.output
    assert says in refused.stderr and "not restored" in refused.stderr and "Traceback" not in refused.output
    assert dump(terminal.config.db_path) == before, "the live database was not touched"
    assert cli("whoami", db=terminal).exit_code == 0, "and the terminal still opens"
    assert not [p for p in terminal.config.db_path.parent.iterdir() if "restoring" in p.name]
    if change == PAYMENT_EATER:
        assert verify_copy(copy)["schema_extras"] == ["trigger eat"] and not verify_copy(copy)["ok"]


def test_a_restore_waits_for_no_other_program_on_the_database_and_changes_nothing_if_one_stays(  # noqa: ANN001
        terminal, demo_events, cli, open_ctx, tmp_path: Path) -> None:
    """From the check that the live database is as assessed to its overwrite, the restore is alone on it: a counter
    left open in another window could otherwise commit a sale that ends in neither the kept copy nor the restored
    one. One that stays open is named, and nothing changes; once it is closed the restore goes through."""
    gala, _ = demo_events
    copy = Path(cli("backup", "--to", tmp_path / "usb", "--json", db=terminal).json()["file"])
    sell(terminal, gala, "standing", {"adult": 1}, "cash")
    counter = open_ctx(terminal)  # another window's counter, idle
    before = dump(terminal.config.db_path)
    refused = cli("restore", copy, "--yes", "--accept-loss", db=terminal)
    assert refused.exit_code == 4, refused.output
    assert "another boxoffice program has this terminal's database open" in refused.stderr
    assert "nothing was restored" in refused.stderr and "Traceback" not in refused.output
    assert dump(terminal.config.db_path) == before
    assert not list(terminal.config.db_path.parent.glob("*.before-restore-*")), "nothing kept: nothing changed"
    sold = sell(counter, gala, "standing", {"adult": 1}, "cash")  # that counter still sells
    counter.close()
    done = cli("restore", copy, "--yes", "--accept-loss", "--json", db=terminal)
    assert done.exit_code == 0, done.output
    (kept,) = terminal.config.db_path.parent.glob("*.before-restore-*")
    assert any(sold["order"]["code"] in row for row in dump(kept)["orders"]), "its sale is in the kept copy"
    assert not [p for p in terminal.config.db_path.parent.iterdir() if "restoring" in p.name], "nothing stray"
    from boxoffice.store import marks

    on_disk = marks.read(marks.path_for(terminal.config.db_path))
    last = sqlite3.connect(terminal.config.db_path).execute("SELECT max(seq) FROM journal").fetchone()[0]
    assert on_disk is not None and on_disk.seq == last, "the marks file moved on to the restore entry"


@pytest.mark.parametrize("name", ["Bar #2", "Box?A", "Till*", "售票台 1"])
def test_any_terminal_name_gets_verified_backups_that_restore(make_terminal, cli, demo_events, tmp_path: Path,  # noqa: ANN001
                                                              name: str) -> None:
    ctx = make_terminal(name=name)
    gala, _ = demo_events
    sell(ctx, gala, "standing", {"adult": 1}, "cash")
    folder = tmp_path / "odd #folder?"
    made = cli("backup", "--to", folder, "--json", db=ctx)
    assert made.exit_code == 0, made.output
    copy = Path(made.json()["file"])
    assert copy.parent == folder and verify_copy(copy)["ok"]
    assert sorted(p.name for p in folder.iterdir()) == [copy.name], "no stray file beside it"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(PREFIX)) == []
    restored = cli("restore", copy, "--yes", "--json", db=ctx)
    assert restored.exit_code == 0, restored.output


def test_the_copy_just_made_is_kept_even_when_the_clock_went_back(terminal, clock, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "usb"
    clock.advance(days=200)  # a clock that ran fast
    early = [backup(terminal, folder, keep=2)["file"] for _ in range(2) if clock.advance(minutes=1)]
    clock.advance(days=-200)  # put right
    now = backup(terminal, folder, keep=2)
    assert Path(now["file"]).exists(), "the copy just made is kept"
    assert now["removed"] == [early[0]] and os.path.exists(early[1])


def test_a_ticket_sold_after_the_backup_of_a_restore_accepting_loss_is_still_admitted(  # noqa: ANN001
        terminal, demo_events, clock, cli, login, tmp_path: Path) -> None:
    """The door refuses a ticket with this terminal's own signature that it never sold (a copy of its key), but a
    ticket sold after the backup of a restore that accepted the loss is gone from its records and genuine: its
    holder is admitted (marked), long after the restore."""
    gala, _ = demo_events
    sell(terminal, gala, "standing", {"adult": 1}, "cash")
    copy = Path(cli("backup", "--to", tmp_path / "usb", "--json", db=terminal).json()["file"])
    lost = sell(terminal, gala, "standing", {"adult": 1}, "cash")["tickets"][0]["token"]
    login(terminal, "ada")
    done = cli("restore", copy, "--yes", "--accept-loss", "--json", db=terminal)
    assert done.exit_code == 0, done.output
    assert done.json()["state"] is None, "a terminal with no central service: nothing left to recover"
    clock.set("2026-12-08T19:00:00Z")  # the gala's doors are open
    login(terminal, "dan")
    scanned = cli("scan", "check", "--event", gala, "--json", db=terminal, input=lost + "\n")
    answer = json.loads(scanned.stdout.splitlines()[0])
    assert answer["result"] == "admit" and answer["seen_in_sync"] is False, answer
