"""A copy made by `boxoffice backup` opens only to be put back: a seller who takes a backup cannot log in on it
elsewhere, count its drawer and read what the live drawer should hold before the blind count, and a copy put over
the live database by hand does not skip restore's checks."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from boxoffice.errors import EXIT_STATUSES, BoxOfficeError
from boxoffice.services.backup import backup
from boxoffice.services.context import Ctx
from boxoffice.store.db import connect

BACKUP_COPY = EXIT_STATUSES["backup_copy"][0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cash_evening(cli: Any, terminal: Ctx, login: Any, event: str) -> None:
    """Sam opens a drawer and sells for cash: the live drawer's expected cash is what the blind count hides."""
    login(terminal, "sam")
    assert cli("shift", "open", "--float", "150", db=terminal).exit_code == 0
    sold = cli("sell", event, "-s", "standing", "-t", "adult=2", "--cash", "50", db=terminal)
    assert sold.exit_code == 0, sold.output


def test_a_seller_cannot_count_a_backup_to_learn_the_live_drawer(cli: Any, terminal: Ctx, login: Any,
                                                                 demo_events: tuple[str, str],
                                                                 tmp_path: Path) -> None:
    _cash_evening(cli, terminal, login, demo_events[0])
    made = cli("backup", "--to", tmp_path / "usb", "--json", db=terminal)
    assert made.exit_code == 0, made.output
    copy = Path(made.json()["file"])
    before = _digest(copy)

    for attempt in (["login", "sam"], ["shift", "count", "--counted", "0"], ["shift", "status"],
                    ["sell", demo_events[0], "-s", "standing", "-t", "adult=1", "--cash", "30"]):
        refused = cli(*attempt, db=copy, pin="1111")
        assert refused.exit_code == BACKUP_COPY, (attempt, refused.output)
        assert "is a backup copy" in refused.stderr and f"boxoffice restore {copy}" in refused.stderr
        assert "Traceback" not in refused.output and "42.50" not in refused.output
    as_json = cli("shift", "status", "--json", db=copy)
    assert as_json.json()["error"]["code"] == "backup_copy"
    assert _digest(copy) == before, "the copy is not written to (no WAL switch, no migration, no count)"
    assert not Path(f"{copy}-wal").exists() and not Path(f"{copy}.marks").exists()

    # The live drawer is as blind as before, and the copy still verifies and restores.
    status = cli("shift", "status", "--json", db=terminal).json()
    assert status["blind"] is True and status["cash"]["expected"] is None


def test_a_backup_restores_and_the_database_put_in_place_opens(cli: Any, terminal: Ctx, login: Any,
                                                               demo_events: tuple[str, str],
                                                               tmp_path: Path) -> None:
    login(terminal, "ada")
    made = cli("backup", "--to", tmp_path / "usb", "--json", db=terminal)
    copy = Path(made.json()["file"])
    restored = cli("restore", copy, "--yes", "--json", db=terminal)
    assert restored.exit_code == 0, restored.output
    assert cli("event", "list", "--json", db=terminal).exit_code == 0
    kept = Path(restored.json()["kept_live"])  # the live database kept before the restore is a copy too
    refused = cli("event", "list", db=kept)
    assert refused.exit_code == BACKUP_COPY and f"boxoffice restore {kept}" in refused.stderr


def test_a_backup_copied_over_the_live_database_by_hand_is_put_back_only_by_restore(
        cli: Any, terminal: Ctx, demo_events: tuple[str, str], tmp_path: Path) -> None:
    made = cli("backup", "--to", tmp_path / "usb", "--json", db=terminal)
    copy = Path(made.json()["file"])
    db = terminal.config.db_path
    terminal.close()
    shutil.copyfile(copy, db)

    refused = cli("event", "list", db=db)
    assert refused.exit_code == BACKUP_COPY and "is a backup copy" in refused.stderr
    bare = cli("restore", copy, "--yes", db=db)
    assert bare.exit_code == BACKUP_COPY and "--admin NAME" in bare.stderr
    restored = cli("restore", copy, "--yes", "--admin", "ada", "--json", db=db, pin="123456")
    assert restored.exit_code == 0, restored.output
    listed = cli("event", "list", "--json", db=db)
    assert listed.exit_code == 0 and {e["id"] for e in listed.json()} >= set(demo_events)


def test_the_service_marks_the_copy_and_the_store_refuses_it(terminal: Ctx, tmp_path: Path) -> None:
    copy = Path(backup(terminal, tmp_path / "backups")["file"])
    with pytest.raises(BoxOfficeError) as refused:
        connect(copy)
    assert refused.value.code == "backup_copy"
    raw = sqlite3.connect(copy)
    marked = raw.execute("PRAGMA application_id").fetchone()[0]
    raw.close()
    assert marked != 0
    live = sqlite3.connect(terminal.config.db_path)
    assert live.execute("PRAGMA application_id").fetchone()[0] == 0
    live.close()
