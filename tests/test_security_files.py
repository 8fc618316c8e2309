"""Files that hold a secret or customer data are the owner's alone: another user of the computer can neither read
the terminal database (sync token, PIN hashes, customers), its backups, config and marks, the receipts, nor the
central service's SQLite file (its private key); and a database others can write is refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from boxoffice.config import load
from boxoffice.errors import EXIT_STATUSES, BoxOfficeError
from boxoffice.services.opening import open_terminal
from boxoffice.store.db import connect

DB_STATUS = EXIT_STATUSES["unsafe_file"][0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def others_can_open(path: Path) -> bool:
    """What another user on the computer could do with it: any group or other bit."""
    return bool(mode(path) & 0o077)


def test_the_demo_terminal_keeps_every_file_to_its_owner(cli, tmp_path: Path) -> None:
    where = tmp_path / "kit" / "demo"
    made = cli("demo", "--dir", str(where), now=None)
    assert made.exit_code == 0, made.output
    files = [p for p in where.rglob("*") if p.is_file() and not p.name.endswith(".print-lock")]
    names = {p.name for p in files}
    assert {"terminal.db", "terminal.db.marks", "boxoffice.toml"} <= names
    assert any(p.suffix == ".pdf" for p in files)  # a ticket with the customer's sale on it
    assert [p.name for p in files if others_can_open(p)] == []
    assert mode(where) == 0o700 and mode(where.parent) == 0o700 and mode(where / "tickets") == 0o700


def test_init_and_backup_are_private(cli, tmp_path: Path) -> None:
    db = tmp_path / "new" / "terminal.db"
    assert cli("init", db=db).exit_code == 0
    assert cli("operator", "add", "ada", "--role", "admin", db=db, pin="123456").exit_code == 0
    assert cli("login", "ada", db=db, pin="123456").exit_code == 0
    assert [p.name for p in db.parent.iterdir() if others_can_open(p)] == []
    assert mode(db.parent) == 0o700
    backed = cli("backup", "--to", str(tmp_path / "disk" / "copies"), "--json", db=db)
    assert backed.exit_code == 0, backed.output
    copy = Path(backed.json()["file"])
    assert mode(copy) == 0o600 and mode(copy.parent) == 0o700


def test_the_central_sqlite_file_with_its_private_key_is_private(cli, tmp_path: Path) -> None:
    url = str(tmp_path / "central" / "central.db")
    made = cli("central", "init", "--db", url, "--json")
    assert made.exit_code == 0, made.output
    assert [p.name for p in (tmp_path / "central").iterdir() if others_can_open(p)] == []
    assert mode(tmp_path / "central") == 0o700


def test_a_database_others_can_write_is_refused_and_one_they_can_read_is_warned_about(
        cli, terminal, tmp_path: Path) -> None:
    db = terminal.config.db_path
    terminal.close()
    db.chmod(0o664)  # anyone in the group could put their own PIN hash in the operators table
    refused = cli("operator", "list", db=db)
    assert refused.exit_code == DB_STATUS
    assert refused.stderr.count("\n") == 1 and "written by other users" in refused.stderr
    assert "chmod 600" in refused.stderr
    db.chmod(0o644)
    warned = cli("operator", "list", db=db)
    assert warned.exit_code == 0 and "ada" in warned.stdout
    assert warned.stderr.count("\n") == 1 and "read by other users" in warned.stderr
    db.chmod(0o600)
    quiet = cli("operator", "list", db=db)
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_the_service_refuses_a_shared_database_before_reading_it(terminal, clock) -> None:
    db = terminal.config.db_path
    terminal.close()
    db.chmod(0o646)
    with pytest.raises(BoxOfficeError) as refused:
        open_terminal(load(db=str(db)), clock)
    assert refused.value.code == "unsafe_file"
    db.chmod(0o640)
    ctx = open_terminal(load(db=str(db)), clock)
    try:
        assert len(ctx.notices) == 1 and str(db) in ctx.notices[0]
    finally:
        ctx.close()


def test_a_new_database_file_is_made_private_whatever_the_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        conn = connect(tmp_path / "fresh" / "t.db", create=True)
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
    finally:
        os.umask(old)
    try:
        made = {p.name: mode(p) for p in (tmp_path / "fresh").iterdir()}
        assert set(made) >= {"t.db", "t.db-wal", "t.db-shm"}  # SQLite's own files, made while it is open
        assert {name: m for name, m in made.items() if m & 0o077} == {}
    finally:
        conn.close()


def test_the_central_store_makes_its_sqlite_file_private(tmp_path: Path) -> None:
    from boxoffice.central.store.db import connect as central_connect

    db = central_connect(str(tmp_path / "c" / "central.db"))
    try:
        db.execute("CREATE TABLE t (x INTEGER)")
        db.execute("INSERT INTO t VALUES (1)")
        made = {p.name: mode(p) for p in (tmp_path / "c").iterdir()}
        assert "central.db" in made and {n: m for n, m in made.items() if m & 0o077} == {}
        assert mode(tmp_path / "c") == 0o700
    finally:
        db.close()
