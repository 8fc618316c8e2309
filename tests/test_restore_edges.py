"""Backups and restores at their edges: ``--db`` given a folder, strays on the backup disk, a clock put right, a
live database whose history left the backup's, a backup edited by hand, a backup made before the terminal enrolled,
and the wrong backup restored before the right one. What a person sees through the CLI, and what the services
decide, with the live database and the backup left as they were whenever a restore refuses.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import PINS
from night_kit import sell
from sync_helpers import Central, client
from test_recover_restore import _config, _enrolled, _gala, _sell

from boxoffice.config import load
from boxoffice.domain.recovery import MESSAGES
from boxoffice.errors import BoxOfficeError
from boxoffice.services.backup import (
    backup,
    check_restore,
    check_restore_new,
    periodic,
    restore,
    restore_new,
    verify_copy,
)
from boxoffice.services.restore_decision import UNKNOWN_ORDERS

pytest_plugins = ["sync_support"]

BAD_INPUT, CONFLICT, DATABASE_ERROR, RECOVERY_NEEDED = 2, 4, 9, 9


def _copy(cli: Any, ctx: Any, folder: Path) -> Path:
    made = cli("backup", "--to", folder, "--json", db=ctx)
    assert made.exit_code == 0, made.output
    return Path(made.json()["file"])


def _tree(folder: Path) -> list[tuple[str, str]]:
    """Every file under ``folder`` with a digest of its bytes: what a refused restore must leave as it was."""
    return sorted((str(p.relative_to(folder)), hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
                  for p in folder.rglob("*"))


def _one(db: Path, sql: str, *args: Any) -> Any:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(sql, args).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def _error(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout)["error"]


# --- A: --db names a folder ------------------------------------------------------------------------------------


def test_restore_with_db_naming_a_folder_is_refused_and_moves_nothing(terminal, demo_events, cli, tmp_path) -> None:
    gala, _ = demo_events
    copy = _copy(cli, terminal, tmp_path / "usb")
    sell(terminal, gala, "standing", {"adult": 1}, "cash")
    folder = terminal.config.db_path.parent  # the folder typed where its database file was meant
    terminal.close()
    before = _tree(tmp_path)

    with_admin = cli("restore", copy, "--yes", "--admin", "ada", db=folder, pin=PINS["ada"])
    assert with_admin.exit_code == BAD_INPUT, with_admin.output
    said = with_admin.stderr.strip()
    assert "is a folder, not a terminal's database file" in said and "nothing was restored or moved" in said
    assert "\n" not in said, "one line"
    without = cli("restore", copy, "--yes", db=folder)
    assert without.exit_code == BAD_INPUT and "is a folder" in without.stderr, "not told to add --admin"
    assert "--admin NAME" not in without.stderr
    assert _tree(tmp_path) == before, "the folder, its database, key and marks are where they were"
    assert not list(tmp_path.glob("*unreadable*"))
    assert _one(terminal.config.db_path, "SELECT count(*) FROM orders") == 1, "the sale is still there"


def test_restore_new_and_its_check_refuse_a_folder(terminal, cli, tmp_path) -> None:
    copy = _copy(cli, terminal, tmp_path / "usb")
    folder = terminal.config.db_path.parent
    terminal.close()
    config = load(db=str(folder))
    before = _tree(tmp_path)
    for attempt in (check_restore_new, restore_new):
        with pytest.raises(BoxOfficeError) as refused:
            attempt(config, copy, "ada", PINS["ada"])
        assert refused.value.code == "bad_input" and "is a folder" in refused.value.message
    assert _tree(tmp_path) == before


# --- B: strays on the backup disk --------------------------------------------------------------------------------


def test_backup_keep_leaves_strays_named_like_its_copies(terminal, cli, clock, tmp_path) -> None:
    usb = tmp_path / "usb"
    first = _copy(cli, terminal, usb)
    stray = usb / "boxoffice-backup-Counter_1-20200101T000000000000Z.db"
    stray.mkdir()  # a folder named like one of this terminal's copies
    (stray / "notes.txt").write_text("keep me", encoding="utf-8")
    clock.advance(minutes=1)
    second = cli("backup", "--to", usb, "--keep", "1", "--json", db=terminal)
    assert second.exit_code == 0, second.output
    assert second.json()["removed"] == [str(first)]
    assert stray.is_dir() and (stray / "notes.txt").exists(), "what cannot be read is left alone"
    assert sorted(p.name for p in usb.iterdir()) == sorted([stray.name, Path(second.json()["file"]).name])


def test_pruning_tolerates_a_stray_it_cannot_read_or_a_copy_it_cannot_delete(terminal, clock, tmp_path,
                                                                             monkeypatch) -> None:
    from boxoffice.store import backup as store

    usb = tmp_path / "usb"
    assert store.terminal_id(tmp_path) is None, "a folder is no terminal's database"
    stuck = Path(backup(terminal, usb, keep=5)["file"])
    (usb / "boxoffice-backup-Counter_1-20200101T000000000000Z.db").mkdir()
    unlink = Path.unlink

    def refusing(self: Path, missing_ok: bool = False) -> None:
        if self == stuck:
            raise PermissionError(13, "Permission denied", str(self))
        unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refusing)
    clock.advance(minutes=1)
    made = periodic(terminal, usb, every_minutes=15, keep=1)
    assert made is not None and made["ok"] and Path(made["file"]).exists()
    assert made["removed"] == [], "the copy that could not be deleted is not said to be"
    assert stuck.exists()


@pytest.mark.parametrize("central", ["sqlite"], indirect=True)
def test_sync_watch_keeps_backing_up_with_a_stray_on_the_disk(central: Central, make_terminal, cli, tmp_path,
                                                              monkeypatch) -> None:
    from boxoffice.services.sync import watch as watch_module

    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Watcher")
    usb = tmp_path / "usb"
    assert run("backup", "--to", usb).exit_code == 0
    (usb / "boxoffice-backup-Watcher-20200101T000000000000Z.db").mkdir()
    endless = watch_module.watch
    monkeypatch.setattr(watch_module, "watch", lambda step, report, backoff: endless(
        step, report, backoff, sleep=lambda _s: None, rounds=2))
    watched = run("sync", "--watch", "--json", "--backup-to", usb, "--backup-every", "1", "--keep", "1", now=None)
    assert watched.exit_code == 0, watched.output
    rounds = [json.loads(line) for line in watched.stdout.splitlines() if line.strip()]
    assert len(rounds) == 2 and all(r["ok"] for r in rounds)
    made = [r["backup"]["file"] for r in rounds if "backup" in r]
    assert len(made) == 1 and Path(made[0]).exists()
    assert (usb / "boxoffice-backup-Watcher-20200101T000000000000Z.db").is_dir()


# --- C: a clock that ran fast ----------------------------------------------------------------------------------


def test_pruning_keeps_the_copies_that_hold_the_most_after_the_clock_is_put_right(terminal, demo_events, cli,
                                                                                  clock, tmp_path) -> None:
    gala, _ = demo_events
    usb = tmp_path / "usb"
    clock.advance(days=1)  # the machine's clock a day fast
    stale = []
    for _ in range(3):
        clock.advance(minutes=15)
        stale.append(_copy(cli, terminal, usb))
    clock.advance(days=-1)  # put right
    made, removed = [], []
    for _ in range(4):
        sell(terminal, gala, "standing", {"adult": 1}, "cash")
        clock.advance(minutes=15)
        out = cli("backup", "--to", usb, "--keep", "3", "--json", db=terminal)
        assert out.exit_code == 0, out.output
        made.append(Path(out.json()["file"]))
        removed += [Path(p) for p in out.json()["removed"]]
    assert sorted(usb.iterdir()) == sorted(made[-3:]), "the three newest by what they hold"
    assert set(removed) == {*stale, made[0]}


def test_backup_prunes_by_the_journal_not_the_name(terminal, demo_events, clock, tmp_path) -> None:
    from boxoffice.store import backup as store

    gala, _ = demo_events
    usb = tmp_path / "usb"
    clock.advance(hours=5)
    ahead = Path(backup(terminal, usb, keep=2)["file"])
    clock.advance(hours=-5)
    sell(terminal, gala, "standing", {"adult": 1}, "cash")
    recent = Path(backup(terminal, usb, keep=2)["file"])
    sell(terminal, gala, "standing", {"adult": 1}, "cash")
    clock.advance(minutes=1)
    last = backup(terminal, usb, keep=2)
    assert last["removed"] == [str(ahead)], "the copy with the later name but the shorter journal goes"
    assert sorted(usb.iterdir()) == sorted([recent, Path(last["file"])])
    assert store.last_seq(Path(last["file"])) > store.last_seq(recent) > 0


# --- D: a live database whose history left the backup's ---------------------------------------------------------


def _parted(terminal: Any, demo_events: Any, cli: Any, tmp_path: Path, open_ctx: Any) -> tuple[Path, Path, str]:
    """A folder snapshot taken, two sales and a backup, the snapshot put back by hand and a sale made on it:
    returns (the database, the backup, the id of the sale made on the put-back database; its code is one the
    backup gave an earlier sale, as the snapshot's order numbers went on from where they were)."""
    from boxoffice.services.operators import login

    gala, _ = demo_events
    db = terminal.config.db_path
    snap = sqlite3.connect(tmp_path / "snap.db")
    terminal.conn.backup(snap)
    snap.close()
    shutil.copyfile(f"{db}.marks", tmp_path / "snap.marks")
    for _ in range(2):
        sell(terminal, gala, "standing", {"adult": 1}, "cash")
    copy = _copy(cli, terminal, tmp_path / "usb")
    terminal.close()
    shutil.copyfile(tmp_path / "snap.db", db)
    shutil.copyfile(tmp_path / "snap.marks", f"{db}.marks")
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    ctx = open_ctx(db)
    login(ctx, "ada", PINS["ada"])
    order = sell(ctx, gala, "standing", {"adult": 2}, "card")["order"]["id"]
    ctx.close()
    return db, copy, order


def test_a_backup_from_another_history_is_refused_naming_what_would_be_lost(terminal, demo_events, cli, tmp_path,
                                                                            open_ctx) -> None:
    db, copy, order = _parted(terminal, demo_events, cli, tmp_path, open_ctx)
    before = _tree(db.parent)
    refused = cli("restore", copy, "--yes", db=db)
    assert refused.exit_code == CONFLICT, refused.output
    said = refused.stderr.strip()
    assert "this backup and this database have different histories" in said and "--accept-loss" in said
    assert "1 sale" in said and "\n" not in said
    as_json = cli("restore", copy, "--yes", "--json", db=db)
    assert _error(as_json)["code"] == "unpushed_entries" and _error(as_json)["details"]["lost"]["sale"] == 1
    assert _tree(db.parent) == before, "nothing replaced, nothing kept aside"
    assert _one(db, "SELECT count(*) FROM orders WHERE id = ?", order) == 1, "the sale made here is still here"


def test_a_backup_from_another_history_restored_accepting_the_loss_says_so(terminal, demo_events, cli, tmp_path,
                                                                           open_ctx, login) -> None:
    gala, _ = demo_events
    db, copy, order = _parted(terminal, demo_events, cli, tmp_path, open_ctx)
    sold_in_copy = _one(copy, "SELECT sold FROM sections WHERE event_id = ? AND id = 'standing'", gala)
    done = cli("restore", copy, "--yes", "--accept-loss", "--json", db=db)
    assert done.exit_code == 0, done.output
    out = done.json()
    assert out["lost"]["sale"] == 1 and out["incident"] and not out["older"]
    assert "history parted" in out["message"]
    assert _one(Path(out["kept_live"]), "SELECT count(*) FROM orders WHERE id = ?", order) == 1, "kept aside"
    assert _one(db, "SELECT count(*) FROM orders WHERE id = ?", order) == 0
    assert _one(db, "SELECT sold FROM sections WHERE event_id = ? AND id = 'standing'", gala) == sold_in_copy + 2, \
        "the lost sale's places stay sold: its tickets are out there"
    login(db, "ada")
    assert cli("audit", "verify", db=db).exit_code == 0


def test_check_restore_compares_histories_not_just_lengths(terminal, demo_events, cli, tmp_path, open_ctx) -> None:
    from night_kit import act_as

    from boxoffice.services.operators import login

    db, copy, _order = _parted(terminal, demo_events, cli, tmp_path, open_ctx)
    ctx = open_ctx(db)
    act_as(ctx, "ada")  # no login entry: the live journal stays shorter than the copy's
    with pytest.raises(BoxOfficeError) as refused:
        check_restore(ctx, copy)
    assert refused.value.code == "unpushed_entries" and refused.value.details["lost"]["sale"] == 1
    assert "different histories" in refused.value.message
    assert not check_restore(ctx, copy, accept_loss=True)["older"]
    # One more entry here and the live journal is the longer one: the sale made before the copy's last entry
    # number is still counted with what would be lost, not only what came after that number.
    login(ctx, "ada", PINS["ada"])
    with pytest.raises(BoxOfficeError) as older:
        check_restore(ctx, copy)
    assert older.value.code == "unpushed_entries" and older.value.details["lost"]["sale"] == 1
    assert check_restore(ctx, copy, accept_loss=True)["older"]
    honest = _copy(cli, ctx, tmp_path / "usb2")  # this database's own backup: the same history
    assert check_restore(ctx, honest)["ok"]


# --- E: a backup edited by hand ----------------------------------------------------------------------------------

EDITS = {
    "seller made admin": "UPDATE operators SET role = 'admin' WHERE name = 'sam'",
    "takings lowered": "UPDATE payments SET amount = amount - 1000",
    "ticket repriced": "UPDATE tickets SET price = price - 500",
}


def _edited(terminal: Any, demo_events: Any, cli: Any, tmp_path: Path, sql: str) -> Path:
    gala, _ = demo_events
    sell(terminal, gala, "standing", {"adult": 1}, "cash")
    copy = _copy(cli, terminal, tmp_path / "usb")
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute(sql)
    conn.close()
    return copy


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_backup_whose_tables_were_edited_is_not_restored(terminal, demo_events, cli, tmp_path, edit) -> None:
    copy = _edited(terminal, demo_events, cli, tmp_path, EDITS[edit])
    assert verify_copy(copy)["ok"], "its chain is intact: only the tables give it away"
    db = terminal.config.db_path
    backup_bytes = copy.read_bytes()
    refused = cli("restore", copy, "--yes", db=terminal)
    assert refused.exit_code == DATABASE_ERROR, refused.output
    said = refused.stderr.strip()
    assert "does not match its own journal" in said and "not restored" in said and "\n" not in said
    as_json = cli("restore", copy, "--yes", "--json", db=terminal)
    problems = _error(as_json)["details"]["problems"]
    assert problems and all(p["kind"] in ("mismatch", "unrecorded", "missing") for p in problems)
    assert f"({len(problems)} problem(s)" in _error(as_json)["message"]
    assert copy.read_bytes() == backup_bytes, "the backup itself was not written to"
    assert not list(db.parent.glob("*before-restore*")) and not list(db.parent.glob(".*restoring*"))
    assert _one(db, "SELECT role FROM operators WHERE name = 'sam'") == "seller"
    assert cli("audit", "verify", db=terminal).exit_code == 0, "the live database as it was"


def test_a_replacement_machine_refuses_an_edited_backup(terminal, demo_events, cli, tmp_path) -> None:
    copy = _edited(terminal, demo_events, cli, tmp_path, EDITS["seller made admin"])
    new_db = tmp_path / "replacement" / "terminal.db"
    refused = cli("restore", copy, "--yes", "--admin", "sam", db=new_db, pin=PINS["sam"])
    assert refused.exit_code == DATABASE_ERROR, refused.output
    assert "does not match its own journal" in refused.stderr and "operators row sam" in refused.stderr
    assert not new_db.exists()
    with pytest.raises(BoxOfficeError) as checked:
        check_restore_new(load(db=str(new_db)), copy, "sam", PINS["sam"])
    assert checked.value.code == "database_error"
    assert not new_db.parent.exists() or not any(new_db.parent.iterdir())


def test_restore_service_checks_the_tables_and_writes_nothing_to_the_backup(terminal, demo_events, cli,
                                                                          tmp_path) -> None:
    copy = _edited(terminal, demo_events, cli, tmp_path, EDITS["takings lowered"])
    stamp = (copy.read_bytes(), os.stat(copy).st_mtime_ns)
    for attempt in (check_restore, restore):
        with pytest.raises(BoxOfficeError) as refused:
            attempt(terminal, copy)
        assert refused.value.code == "database_error"
        assert any("payments row" in p["problem"] for p in refused.value.details["problems"])
    assert (copy.read_bytes(), os.stat(copy).st_mtime_ns) == stamp
    assert not [p for p in copy.parent.iterdir() if p != copy], "nothing written beside it either"
    honest = _copy(cli, terminal, tmp_path / "usb2")
    assert restore(terminal, honest)["ok"], "an honest backup still restores"


# --- F: a backup made before the terminal enrolled ---------------------------------------------------------------


def _central_client(url: str, token: str, **kw: Any) -> Any:
    return client(url, token, **kw)


def _backed_up(run: Any, folder: Path) -> Path:
    made = run("backup", "--to", folder, "--json")
    assert made.exit_code == 0, made.output
    return Path(made.json()["file"])


def _before_enrolling(central: Central, make_terminal: Any, cli: Any, tmp_path: Path,
                      name: str) -> tuple[Any, Any, Path, str, list[str]]:
    """A terminal backed up before it enrolled, then enrolled, granted 5 standing places of the gala by hand, and two
    sales synced: (ctx, a runner of `boxoffice --config ... ARGS` on it, the backup, the gala, the codes sold)."""
    from boxoffice.central.services.allocation_admin import allocate

    ctx = make_terminal(name=name, fresh=True)
    cfg = _config(tmp_path)

    def run(*args: Any, **kw: Any) -> Any:
        return cli("--config", cfg, *args, db=ctx, **kw)

    copy = _backed_up(run, tmp_path / "usb")
    assert run("sync", "enroll", central.url, central.code(name)).exit_code == 0
    assert run("sync").exit_code == 0
    event = _gala(ctx)
    allocate(central.db_url, event, ctx.terminal["id"], "standing", 5, [])
    assert run("sync").exit_code == 0
    codes = [_sell(run, event).json()["order"] for _ in range(2)]
    assert run("sync").exit_code == 0
    return ctx, run, copy, event, codes


@pytest.mark.parametrize("central", ["sqlite"], indirect=True)
def test_a_replacement_machine_given_a_backup_from_before_enrollment_gives_no_code_out_twice(
        central: Central, make_terminal, cli, tmp_path) -> None:
    ctx, _run, copy, event, codes = _before_enrolling(central, make_terminal, cli, tmp_path, "Early copy")
    key = ctx.config.key_path
    ctx.close()  # the machine dies: neither its database nor its marks file survive
    new_db = tmp_path / "replacement" / "terminal.db"
    online = tmp_path / "online.toml"
    online.write_text(f'central_url = "{central.url}"\n[allocation]\ntop_up_below = 0\n', encoding="utf-8")

    def new(*args: Any, **kw: Any) -> Any:
        return cli("--config", online, "--db", new_db, *args, **kw)

    refused = new("restore", copy, "--yes", "--admin", "ada", pin=PINS["ada"])
    assert refused.exit_code == CONFLICT, refused.output
    said = refused.stderr.strip()
    assert "this backup is not enrolled with a central service" in said and "nothing can say how far" in said
    assert "--accept-loss" in said and "`boxoffice sync recover`" in said and "\n" not in said
    assert not new_db.exists(), "nothing was put in place"
    new_db.parent.mkdir()
    shutil.copyfile(key, new_db.with_suffix(".key"))

    done = new("restore", copy, "--yes", "--admin", "ada", "--accept-loss", "--json", pin=PINS["ada"])
    assert done.exit_code == 0, done.output
    out = done.json()
    assert out["head_unknown"] and out["older"] and out["incident"] and not out["offline"]
    assert out["state"] is None, "a copy enrolled nowhere has no central service to wait for"
    assert out["next_order_seq"] > UNKNOWN_ORDERS, "order numbers jump past any the terminal may have used"
    assert "enrolls it again" in out["message"] and "`boxoffice sync recover`" in out["message"]
    assert new("login", "sam", pin=PINS["sam"]).exit_code == 0
    sold = new("sell", event, "--section", "standing", "--type", "adult=1", "--cash", "100", "--no-receipt",
               "--json")
    assert sold.exit_code == 0, sold.output
    assert sold.json()["order"] not in codes, "not a code the terminal gave out before"

    # As the refusal says: enrolled again, `sync recover` brings back what the central service holds.
    assert new("login", "ada", pin=PINS["ada"]).exit_code == 0
    assert new("sync", "enroll", central.url, central.code("Early copy")).exit_code == 0
    recovered = new("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    assert all(new("order", "show", code, "--json").exit_code == 0 for code in codes)


def test_a_standalone_terminal_restored_without_its_marks_file_jumps_its_order_numbers(
        terminal, demo_events, clock, tmp_path, open_ctx) -> None:
    from boxoffice.services.recovery_state import require_ready, status

    gala, _ = demo_events
    copy = Path(backup(terminal, tmp_path / "usb")["file"])
    copy_next = terminal.terminal["next_order_seq"]
    codes = [sell(terminal, gala, "standing", {"adult": 1}, "cash")["order"]["code"] for _ in range(2)]
    key = terminal.config.key_path
    terminal.close()
    config = load(db=str(tmp_path / "replacement" / "terminal.db"))
    for attempt in (check_restore_new, restore_new):
        with pytest.raises(BoxOfficeError) as refused:
            attempt(config, copy, "ada", PINS["ada"])
        assert refused.value.code == "unpushed_entries"
        assert "not enrolled with a central service" in refused.value.message
    assert not config.db_path.exists()
    config.db_path.parent.mkdir()
    shutil.copyfile(key, config.key_path)

    out = restore_new(config, copy, "ada", PINS["ada"], accept_loss=True, clock=clock)
    assert out["head_unknown"] and out["incident"] and not out["offline"]
    assert out["state"] is None and out["next_order_seq"] == copy_next + UNKNOWN_ORDERS
    ctx = open_ctx(config.db_path)
    assert status(ctx) is None, "nothing held, no `sync recover` awaited: it owns its places"
    require_ready(ctx)
    note = ctx.conn.execute("SELECT text FROM incident_notes WHERE incident_id = ?", (out["incident"],)).fetchone()
    assert note is not None and "not enrolled with a central service" in note[0]
    from night_kit import act_as

    act_as(ctx, "ada")
    again = sell(ctx, gala, "standing", {"adult": 1}, "cash")["order"]["code"]
    assert again not in codes


@pytest.mark.parametrize("central", ["sqlite"], indirect=True)
def test_a_backup_from_before_enrollment_restored_over_an_enrolled_terminal_waits_for_recovery(
        central: Central, make_terminal, cli, tmp_path) -> None:
    _ctx, run, copy, event, codes = _before_enrolling(central, make_terminal, cli, tmp_path, "Early copy2")
    done = run("restore", copy, "--yes", "--json")
    assert done.exit_code == 0, done.output
    out = done.json()
    assert out["older"] and out["state"] == "needed" and out["lost"] is None and out["incident"] is None
    assert "enrolls it again" in out["message"] and "`boxoffice sync recover`" in out["message"]
    refused = _sell(run, event)
    assert refused.exit_code == RECOVERY_NEEDED, refused.output
    assert _error(refused)["message"] == MESSAGES["restore"], "the central service holds it all: recover, no more"
    assert run("login", "ada", pin=PINS["ada"]).exit_code == 0
    assert run("sync", "enroll", central.url, central.code("Early copy2")).exit_code == 0
    recovered = run("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    assert recovered.json()["by_kind"].get("sale") == 2
    assert all(run("order", "show", code, "--json").exit_code == 0 for code in codes)
    sold = _sell(run, event)
    assert sold.exit_code == 0 and sold.json()["order"] not in codes, sold.output


@pytest.mark.parametrize("central", ["sqlite"], indirect=True)
def test_the_restore_service_takes_recovery_from_the_live_enrollment(central: Central, make_terminal, cli,
                                                                     tmp_path, open_ctx) -> None:
    from boxoffice.services.operators import login
    from boxoffice.services.recovery_state import status

    ctx, _run, copy, _event, _codes = _before_enrolling(central, make_terminal, cli, tmp_path, "Early copy3")
    db = ctx.config.db_path
    ctx.close()
    admin = open_ctx(db)
    login(admin, "ada", PINS["ada"])
    out = restore(admin, copy, accept_loss=True, central=_central_client)
    assert out["state"] == "needed", "the live database's enrollment recovers it: it is not left on its own"
    assert status(admin)["message"] == MESSAGES["restore"]
    # The copy holds none of the central service's places to hold at zero: accepting the loss does not let it sell
    # them on before it is enrolled again and recovered.
    assert "enrolls it again" in out["message"]
    login(admin, "sam", PINS["sam"])
    with pytest.raises(BoxOfficeError):
        sell(admin, _gala(admin), "standing", {"adult": 1}, "cash")


# --- G: the wrong backup restored before the right one -----------------------------------------------------------


def _two_backups(central: Central, make_terminal: Any, cli: Any, tmp_path: Path,
                 name: str) -> tuple[Any, Any, Path, Path, str, list[str]]:
    """An enrolled terminal: a sale, a backup (the wrong one), a sale, synced, a backup (the right one). Returns
    (ctx, its runner, the wrong backup, the right one, the gala, the codes sold)."""
    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, name)
    event = _gala(ctx)
    codes = [_sell(run, event).json()["order"]]
    wrong = _backed_up(run, tmp_path / "usb")
    codes.append(_sell(run, event).json()["order"])
    assert run("sync").exit_code == 0
    return ctx, run, wrong, _backed_up(run, tmp_path / "usb2"), event, codes


@pytest.mark.parametrize("central", ["sqlite"], indirect=True)
def test_the_right_backup_restores_after_the_wrong_one(central: Central, make_terminal, cli, tmp_path,
                                                       open_ctx) -> None:
    from night_kit import act_as

    ctx, run, wrong, right, event, codes = _two_backups(central, make_terminal, cli, tmp_path, "Wrong first")
    assert run("restore", wrong, "--yes").exit_code == 0
    checking = open_ctx(ctx.config.db_path)
    act_as(checking, "ada")
    assert check_restore(checking, right, central=_central_client)["older"], "the first restore's entry only"
    checking.close()
    done = run("restore", right, "--yes", "--json")
    assert done.exit_code == 0, done.output
    out = done.json()
    assert out["lost"] is None and out["incident"] is None and out["state"] == "needed"
    recovered = run("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    assert run("sync").exit_code == 0
    assert all(run("order", "show", code, "--json").exit_code == 0 for code in codes)
    sold = _sell(run, event)
    assert sold.exit_code == 0 and sold.json()["order"] not in codes, sold.output


@pytest.mark.parametrize("central", ["sqlite"], indirect=True)
def test_a_loss_while_the_terminal_waits_for_recovery_is_refused_naming_sync_recover(
        central: Central, make_terminal, cli, tmp_path, open_ctx) -> None:
    from night_kit import act_as

    ctx, run, wrong, right, _event, _codes = _two_backups(central, make_terminal, cli, tmp_path, "Wrong again")
    assert run("restore", wrong, "--yes").exit_code == 0
    assert run("login", "sam", pin=PINS["sam"]).exit_code == 0  # journalled while recovery waits; never pushed
    assert run("login", "ada", pin=PINS["ada"]).exit_code == 0
    refused = run("restore", right, "--yes")
    assert refused.exit_code == CONFLICT, refused.output
    said = refused.stderr.strip()
    assert "run `boxoffice sync recover` first" in said and "--accept-loss" in said and "\n" not in said
    checking = open_ctx(ctx.config.db_path)
    act_as(checking, "ada")
    with pytest.raises(BoxOfficeError) as service:
        check_restore(checking, right, central=_central_client)
    assert service.value.code == "unpushed_entries" and "`boxoffice sync recover`" in service.value.message
    checking.close()
    # As it says: the recovery pushes them, and the right backup then restores with nothing lost.
    assert run("sync", "recover").exit_code == 0
    done = run("restore", right, "--yes", "--json")
    assert done.exit_code == 0, done.output
    assert done.json()["lost"] is None and done.json()["incident"] is None


# --- H: after review -------------------------------------------------------------------------------------------


def test_the_same_backup_restored_twice_on_a_terminal_alone_loses_nothing_and_is_not_refused(
        terminal, demo_events, cli, tmp_path) -> None:
    """A terminal with no central service: the restore's own entry made since the copy is not a sale lost."""
    gala, _ = demo_events
    sell(terminal, gala, "standing", {"adult": 1}, "cash")
    copy = _copy(cli, terminal, tmp_path / "usb")
    first = cli("restore", copy, "--yes", "--json", db=terminal)
    assert first.exit_code == 0, first.output
    again = cli("restore", copy, "--yes", "--json", db=terminal)
    assert again.exit_code == 0, again.output
    assert again.json()["lost"] is None and not again.json().get("incident")
    assert _one(terminal.config.db_path, "SELECT count(*) FROM orders") == 1


def test_pickup_entries_of_an_older_release_name_tickets_and_their_rows_still_reconcile() -> None:
    """Before pickup entries listed their rows' ids they named the order and its tickets: those rows are matched by
    what was handed out (as `sync recover` rebuilds them), so neither `audit verify` nor a restore of such a
    terminal's backups reports them as added by hand; a row no entry handed out still is."""
    from boxoffice.services.audit_reconcile import pickups, told

    old = {"seq": 7, "kind": "pickup", "payload": json.dumps({"order": "o1", "tickets": ["t1", "t2"]})}
    said = told([old])
    rows = [{"id": "p1", "order_id": "o1", "ticket_id": "t1"}, {"id": "p2", "order_id": "o1", "ticket_id": "t2"}]
    handed = {"t1": {"picked_up_at": "x"}, "t2": {"picked_up_at": "x"}}
    assert pickups(said, rows, handed) == []
    stray = rows + [{"id": "p3", "order_id": "o1", "ticket_id": "t3"}]
    assert [g["kind"] for g in pickups(said, stray, handed | {"t3": {"picked_up_at": "x"}})] == ["unrecorded"]
