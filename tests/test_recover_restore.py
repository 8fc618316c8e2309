"""Restoring a backup never loses a sale nor sells a place twice: the terminal compares the backup with what it did
since, stops selling until `boxoffice sync recover` has brought back from the central service what the backup
lacks, and then goes on after every order code and journal number it used. Through the CLI and the services, on
SQLite and PostgreSQL central services."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Central

from boxoffice.central.services.allocation_admin import allocate

pytest_plugins = ["sync_support"]

RECOVERY_NEEDED = 9


def _gala(ctx: Any) -> str:
    return ctx.conn.execute("SELECT id FROM events WHERE id LIKE 'gala%'").fetchone()[0]


def _config(tmp_path: Path) -> Path:
    """No top-up at sync: the terminal holds exactly what the box office grants by hand."""
    path = tmp_path / "boxoffice.toml"
    path.write_text("printer = \"file:///dev/null\"\n[allocation]\ntop_up_below = 0\n", encoding="utf-8")
    return path


def _enrolled(central: Central, make_terminal, cli, tmp_path: Path, name: str) -> tuple[Any, Any]:
    """A fresh terminal enrolled through the CLI, with 5 standing places of the gala granted by hand; returns
    (ctx, a runner of `boxoffice --config ... ARGS` on it)."""
    ctx = make_terminal(name=name, fresh=True)
    cfg = _config(tmp_path)

    def run(*args: Any, **kw: Any) -> Any:
        return cli("--config", cfg, *args, db=ctx, **kw)

    assert run("sync", "enroll", central.url, central.code(name)).exit_code == 0
    assert run("sync").exit_code == 0  # the central catalogue arrives
    allocate(central.db_url, _gala(ctx), ctx.terminal["id"], "standing", 5, [])
    assert run("sync").exit_code == 0
    return ctx, run


def _sell(run: Any, event: str, n: int = 1) -> Any:
    return run("sell", event, "--section", "standing", "--type", f"adult={n}", "--cash", str(100 * n), "--no-receipt",
               "--json")


def _held(ctx_db: Path, event: str) -> tuple[int, int]:
    import sqlite3

    conn = sqlite3.connect(ctx_db)
    try:
        return tuple(conn.execute("SELECT allocated, sold FROM sections WHERE event_id = ? AND id = 'standing'",
                                  (event,)).fetchone())
    finally:
        conn.close()


def test_restore_of_an_older_backup_then_recover_keeps_every_synced_sale_and_code(
        central: Central, make_terminal, cli, tmp_path: Path) -> None:
    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Restore counter")
    event = _gala(ctx)
    db = ctx.config.db_path
    for _ in range(3):
        assert _sell(run, event).exit_code == 0
    made = run("backup", "--to", tmp_path / "usb", "--json")
    assert made.exit_code == 0, made.output
    backup = made.json()["file"]
    synced = _sell(run, event)
    assert synced.exit_code == 0, synced.output
    code = synced.json()["order"]
    assert run("sync").exit_code == 0

    restored = run("restore", backup, "--yes")
    assert restored.exit_code == 0, restored.output
    assert "1 sale" in restored.stdout and "they are on the central service" in restored.stdout
    assert "run `boxoffice sync recover` before selling" in restored.stdout

    # Until the recovery: no sale, no sync, with the one line that says what to do.
    refused = _sell(run, event)
    assert refused.exit_code == RECOVERY_NEEDED, refused.output
    assert json.loads(refused.stdout)["error"]["code"] == "recovery_needed"
    assert "boxoffice sync recover" in json.loads(refused.stdout)["error"]["message"]
    no_sync = run("sync")
    assert no_sync.exit_code == RECOVERY_NEEDED and "boxoffice sync recover" in no_sync.stderr
    assert run("sync", "status", "--json").json()["recovery"]["state"] == "needed"

    recovered = run("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    out = recovered.json()
    assert out["by_kind"]["sale"] == 1 and out["clashes"] == [] and out["lost"] is None
    assert "sync_error" not in out

    shown = run("order", "show", code, "--json")
    assert shown.exit_code == 0 and shown.json()["code"] == code, "the synced sale is on the terminal again"
    assert _held(db, event) == (5, 4)
    last = _sell(run, event)
    assert last.exit_code == 0, last.output
    assert last.json()["order"] != code, "the next sale gets a code of its own"
    over = _sell(run, event)
    assert over.exit_code == 10 and json.loads(over.stdout)["error"]["code"] == "not_allocated"
    assert _held(db, event) == (5, 5), "never sold beyond the allocation"
    again = run("sync", "--json")
    assert again.exit_code == 0, again.output
    codes = [r["code"] for r in central.query("SELECT code FROM orders WHERE terminal_id = ?", (ctx.terminal["id"],))]
    assert len(codes) == len(set(codes)) == 5
    assert central.scalar("SELECT count(*) AS n FROM conflicts WHERE second_terminal = ?",
                          (ctx.terminal["id"],)) == 0
    verified = run("audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output


def _marks(db: Path) -> dict[str, Any]:
    return json.loads(Path(f"{db}.marks").read_text(encoding="utf-8"))


def _journal(db: Path) -> list[dict[str, Any]]:
    import sqlite3

    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM journal ORDER BY seq")]
    finally:
        conn.close()


def test_entries_never_pushed_are_not_lost_silently_and_an_accepted_loss_still_syncs(
        central: Central, make_terminal, cli, tmp_path: Path) -> None:
    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Loss counter")
    event = _gala(ctx)
    db = ctx.config.db_path
    for _ in range(2):
        assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    backup = run("backup", "--to", tmp_path / "usb", "--json").json()["file"]
    synced = _sell(run, event).json()["order"]
    assert run("sync").exit_code == 0
    unsynced = _sell(run, event).json()["order"]  # the network went: never pushed
    marks = _marks(db)
    assert oct(Path(f"{db}.marks").stat().st_mode & 0o777) == "0o600"
    assert marks["seq"] == _journal(db)[-1]["seq"] and marks["hash"] == _journal(db)[-1]["hash"]
    before = _journal(db)

    refused = run("restore", backup, "--yes")
    assert refused.exit_code == 4, refused.output
    assert "1 sale made since never reached the central service" in refused.stderr
    assert "run `boxoffice sync` first, or restore with --accept-loss" in refused.stderr
    assert "sync recover" not in refused.stderr, "a plain `sync` sends it"
    assert _journal(db) == before, "nothing was changed"

    accepted = run("restore", backup, "--yes", "--accept-loss", "--json")
    assert accepted.exit_code == 0, accepted.output
    said = accepted.json()
    assert said["state"] == "gap" and said["lost"] == {"sale": 1} and said["incident"]
    journal = _journal(db)
    restore_entry = next(e for e in journal if e["kind"] == "restore")
    assert restore_entry["seq"] == marks["seq"] + 1 and restore_entry["prev_hash"] == marks["hash"], \
        "numbered after every entry the terminal made, chained to the last of them"
    assert json.loads(restore_entry["payload"])["gap"] == {"after": restore_entry["seq"] - 2 - 1,
                                                          "upto": marks["seq"]}
    incident = run("incident", "list", "--json").json()
    assert incident[0]["title"].endswith("accepting loss") and incident[0]["severity"] == "major"

    # Working on with the loss accepted: the central service's places are held at zero until the recovery.
    held = _sell(run, event)
    assert held.exit_code == 10 and json.loads(held.stdout)["error"]["code"] == "not_allocated"
    verified = run("audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert verified.json()["declared_gaps"] == [{"seq": restore_entry["seq"], "id": restore_entry["id"],
                                                 "after": restore_entry["seq"] - 3, "upto": marks["seq"],
                                                 "missing": 2}]
    assert run("sync").exit_code == RECOVERY_NEEDED

    recovered = run("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    out = recovered.json()
    assert out["by_kind"] == {"sale": 1} and out["lost"] == {"from": marks["seq"], "to": marks["seq"]}
    assert "sync_error" not in out, out
    assert run("order", "show", synced, "--json").exit_code == 0
    assert run("order", "show", unsynced, "--json").exit_code == 3, "lost for good, as accepted"
    # The lost sale's place stays sold: 2 + the synced one + the lost one of 5.
    assert _held(db, event) == (5, 4)
    last = _sell(run, event)
    assert last.exit_code == 0 and last.json()["order"] not in (synced, unsynced)
    assert _sell(run, event).exit_code == 10
    assert run("sync").exit_code == 0, "the central service accepts the journal after the declared gap"
    gaps = central.query("SELECT kind, subject, rule FROM conflicts WHERE second_terminal = ?", (ctx.terminal["id"],))
    assert [g["kind"] for g in gaps] == ["journal_gap"]
    assert gaps[0]["subject"] == f"journal/{ctx.terminal['id']}/{marks['seq']}"
    verified = run("audit", "verify", "--json").json()
    assert verified["ok"] and [g["missing"] for g in verified["declared_gaps"]] == [1]


def test_offline_an_older_backup_is_refused_unless_the_loss_is_accepted(
        central: Central, make_terminal, cli, tmp_path: Path) -> None:
    from sync_helpers import free_port

    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Offline counter")
    event = _gala(ctx)
    assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    backup = run("backup", "--to", tmp_path / "usb", "--json").json()["file"]
    synced = _sell(run, event).json()["order"]
    assert run("sync").exit_code == 0
    away = tmp_path / "away.toml"
    away.write_text(f"central_url = \"http://127.0.0.1:{free_port()}\"\n[allocation]\ntop_up_below = 0\n",
                    encoding="utf-8")

    def offline(*args: Any) -> Any:
        return cli("--config", away, *args, db=ctx)

    refused = offline("restore", backup, "--yes")
    assert refused.exit_code == 8, refused.output
    assert "cannot be asked" in refused.stderr and "--accept-loss" in refused.stderr
    accepted = offline("restore", backup, "--yes", "--accept-loss", "--json")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.json()["offline"] and accepted.json()["incident"]
    assert offline("sync", "recover").exit_code == 8, "recovery needs the central service"
    # Online again (the enrolled URL): everything it holds comes back.
    recovered = run("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    assert recovered.json()["by_kind"] == {"sale": 1} and recovered.json()["lost"] is None
    assert run("order", "show", synced, "--json").exit_code == 0
    assert _held(ctx.config.db_path, event) == (5, 2)


def test_a_replacement_machine_is_rebuilt_from_the_last_backup_and_the_central_service(
        central: Central, make_terminal, cli, tmp_path: Path) -> None:
    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Dead counter")
    event, old_db = _gala(ctx), ctx.config.db_path
    assert _sell(run, event).exit_code == 0
    backup = run("backup", "--to", tmp_path / "usb", "--json").json()["file"]
    later = [_sell(run, event).json()["order"] for _ in range(2)]
    assert run("sync").exit_code == 0
    ctx.close()

    # The old machine is gone; the new one has the backup disk and the signing key from the old one's safe copy.
    new_db = tmp_path / "replacement" / "terminal.db"
    new_db.parent.mkdir()
    cfg = tmp_path / "boxoffice.toml"

    def new(*args: Any, **kw: Any) -> Any:
        return cli("--config", cfg, "--db", new_db, *args, **kw)

    bare = new("restore", backup, "--yes")
    assert bare.exit_code == 3 and "give --admin NAME" in bare.stderr, bare.output
    wrong = new("restore", backup, "--yes", "--admin", "ada", pin="9999")
    assert wrong.exit_code == 5 and not new_db.exists()
    shutil.copyfile(old_db.with_suffix(".key"), new_db.with_suffix(".key"))
    restored = new("restore", backup, "--yes", "--admin", "ada", "--json", pin="123456")
    assert restored.exit_code == 0, restored.output
    said = restored.json()
    assert said["older"] and said["state"] == "needed" and "key_missing" not in said
    assert said["marks_seq"] == central.scalar("SELECT MAX(seq) AS n FROM journal WHERE terminal_id = ?",
                                               (ctx.terminal["id"],)), "how far it got, asked of the central service"
    assert new("sell", event, "--section", "standing", "--type", "adult=1", "--cash", "100").exit_code == \
        RECOVERY_NEEDED
    recovered = new("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    assert recovered.json()["by_kind"]["sale"] == 2
    for code in later:
        assert new("order", "show", code, "--json").exit_code == 0
    assert new("login", "sam", pin="1111").exit_code == 0
    sold = new("sell", event, "--section", "standing", "--type", "adult=1", "--cash", "100", "--no-receipt",
               "--json")
    assert sold.exit_code == 0, sold.output
    assert sold.json()["order"] not in later
    assert _held(new_db, event) == (5, 4)
    assert new("sync").exit_code == 0


def test_a_ruined_database_is_moved_aside_and_the_backup_put_in_its_place(
        central: Central, make_terminal, cli, tmp_path: Path) -> None:
    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Ruined counter")
    event, db = _gala(ctx), ctx.config.db_path
    backup = run("backup", "--to", tmp_path / "usb", "--json").json()["file"]
    code = _sell(run, event).json()["order"]
    assert run("sync").exit_code == 0
    ctx.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"this disk sector went bad" * 100)

    refused = run("restore", backup, "--yes")
    assert refused.exit_code == 9 and "--admin NAME" in refused.stderr
    restored = run("restore", backup, "--yes", "--admin", "ada", "--json", pin="123456")
    assert restored.exit_code == 0, restored.output
    assert list(db.parent.glob("terminal.db.unreadable-*")), "the ruined file is kept aside, not deleted"
    assert run("sync", "recover", "--json").json()["by_kind"] == {"sale": 1}
    assert run("order", "show", code, "--json").exit_code == 0


def test_a_sale_made_on_a_copy_put_back_by_hand_is_not_lost_by_a_restore(
        central: Central, make_terminal, cli, tmp_path: Path) -> None:
    """The folder was copied back by hand (no marks file), a sale was made on the copy under a journal number the
    central service already holds for another sale, and `sync` stopped with journal_diverged. Restoring the backup
    then would drop that sale, which is nowhere else: it is refused, and `sync recover` keeps the sale."""
    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Copied counter")
    event, db = _gala(ctx), ctx.config.db_path
    assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    backup = run("backup", "--to", tmp_path / "usb", "--json").json()["file"]
    shutil.copyfile(backup, tmp_path / "by-hand.db")
    for _ in range(2):
        assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    ctx.close()
    for suffix in ("-wal", "-shm", ".marks"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    put_back = sqlite3.connect(tmp_path / "by-hand.db")
    put_back.execute("PRAGMA application_id = 0")  # the folder's own copy, not one `backup` marked
    put_back.commit()
    put_back.close()
    shutil.copyfile(tmp_path / "by-hand.db", db)
    on_the_copy = _sell(run, event)
    assert on_the_copy.exit_code == 0, on_the_copy.output
    code = on_the_copy.json()["order"]
    assert run("sync").exit_code == RECOVERY_NEEDED  # journal_diverged

    refused = run("restore", backup, "--yes")
    assert refused.exit_code == 4, refused.output
    assert "1 sale made since never reached the central service" in refused.stderr
    assert "run `boxoffice sync recover` first" in refused.stderr, "`sync` alone stops with journal_diverged"
    assert run("order", "show", code, "--json").exit_code == 0, "nothing was changed"

    recovered = run("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    out = recovered.json()
    assert out["lost"] is None and [e["kind"] for e in out["reappended"]] == ["sale"], out
    (clash,) = out["clashes"]  # the code the copy gave out again is kept apart, as CODE~ID, and flagged
    assert clash["code"] == code and clash["kind"] == "order_code_reused"
    codes = {o["code"] for o in central.query("SELECT code FROM orders WHERE terminal_id = ?",
                                              (ctx.terminal["id"],))}
    assert clash["kept_as"] in codes, "the sale made on the copy reached the central service"


def test_a_push_whose_answer_was_lost_is_settled_by_a_plain_sync_as_the_refusal_says(
        central: Central, make_terminal, cli, tmp_path: Path) -> None:
    """An entry the central service holds but never acknowledged (its answer was lost): restoring an older backup is
    refused, and the refusal sends the operator to `sync`, which settles it, not to `sync recover`."""
    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Lost answer counter")
    event, db = _gala(ctx), ctx.config.db_path
    assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    backup = run("backup", "--to", tmp_path / "usb", "--json").json()["file"]
    assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    ctx.close()
    lost_answer = sqlite3.connect(db)
    lost_answer.execute("UPDATE journal SET pushed_at = NULL WHERE seq = (SELECT max(seq) FROM journal)")
    lost_answer.commit()
    lost_answer.close()

    refused = run("restore", backup, "--yes")
    assert refused.exit_code == 4, refused.output
    assert "run `boxoffice sync` first" in refused.stderr and "sync recover" not in refused.stderr
    settled = run("sync", "--json")
    assert settled.exit_code == 0, settled.output
    assert run("restore", backup, "--yes").exit_code == 0, "once acknowledged, nothing of it is lost"


class _Killed(BaseException):
    """The process dying at that very instant (nothing after it runs, no handler catches it)."""


@pytest.mark.parametrize("where", ["live", "replacement"])
def test_a_restore_killed_as_the_copy_goes_in_place_leaves_a_terminal_that_does_not_sell(
        central: Central, make_terminal, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """The restore's own records (its entry, the order numbers raised, the row that stops selling until `sync
    recover`) go in place with the copy: a process killed right after the copy is in place leaves a terminal that
    neither sells nor gives out an order code the old one gave, on this machine or on a replacement."""
    from boxoffice.services import backup as backup_service

    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Killed counter")
    event, db = _gala(ctx), ctx.config.db_path
    assert _sell(run, event).exit_code == 0
    backup = run("backup", "--to", tmp_path / "usb", "--json").json()["file"]
    later = [_sell(run, event).json()["order"] for _ in range(2)]
    assert run("sync").exit_code == 0
    if where == "live":
        put_in_place = backup_service.store.restore_into

        def killed(prepared: Path, conn: Any) -> None:
            put_in_place(prepared, conn)
            raise _Killed

        monkeypatch.setattr(backup_service.store, "restore_into", killed)
        with pytest.raises(_Killed):
            run("restore", backup, "--yes")
        target, after = db, run
    else:
        ctx.close()
        target = tmp_path / "replacement" / "terminal.db"
        target.parent.mkdir()
        shutil.copyfile(db.with_suffix(".key"), target.with_suffix(".key"))
        cfg = tmp_path / "boxoffice.toml"

        def after(*args: Any, **kw: Any) -> Any:
            return cli("--config", cfg, "--db", target, *args, **kw)

        replace = backup_service.os.replace

        def killed_replace(src: Any, dst: Any) -> None:
            replace(src, dst)
            if Path(dst) == target:
                raise _Killed

        monkeypatch.setattr(backup_service.os, "replace", killed_replace)
        with pytest.raises(_Killed):
            after("restore", backup, "--yes", "--admin", "ada", pin="123456")
    monkeypatch.undo()

    assert after("login", "sam", pin="1111").exit_code == 0
    refused = after("sell", event, "--section", "standing", "--type", "adult=1", "--cash", "100")
    assert refused.exit_code == RECOVERY_NEEDED, refused.output
    kinds = [r[0] for r in sqlite3.connect(target).execute("SELECT kind FROM journal ORDER BY seq")]
    assert kinds.count("restore") == 1 and kinds[-1] == "operator.login"  # the restore, then sam's login
    recovered = after("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    sold = after("sell", event, "--section", "standing", "--type", "adult=1", "--cash", "100", "--json")
    assert sold.exit_code == 0 and sold.json()["order"] not in later, sold.output
