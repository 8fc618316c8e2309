"""Restoring a backup never loses a sale nor sells a place twice: the terminal compares the backup with what it did
since, stops selling until `boxoffice sync recover` has brought back from the central service what the backup
lacks, and then goes on after every order code and journal number it used. Through the CLI and the services, on
SQLite and PostgreSQL central services."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sync_helpers import Central

from boxoffice.central.allocation_admin import allocate

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
