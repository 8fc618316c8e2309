"""Operators in the wrong hands: PINs long and costly enough that a stolen database does not give them away, a
login that a copied database row cannot forge, lockouts that end, and supervisors who can unlock and reset PINs
(journaled, shown in the audit, replayed by a recovery).

Standard terminal: ada admin 123456, sue supervisor 222222, sam seller 1111 (tests/conftest.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from boxoffice.errors import EXIT_STATUSES, BoxOfficeError
from boxoffice.services import operators as ops
from boxoffice.store import migrations
from boxoffice.store.db import connect

BAD_INPUT = EXIT_STATUSES["bad_input"][0]
DENIED = EXIT_STATUSES["permission_denied"][0]
LOCKED = EXIT_STATUSES["locked"][0]


def _hash(db: Path, name: str) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT pin_hash FROM operators WHERE name = ?", (name,)).fetchone()[0]
    finally:
        conn.close()


def _sql(db: Path, sql: str, params: tuple = ()) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def _old_hash(pin: str) -> str:
    """A hash as the previous release made it (scrypt N=2**14)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _whoami(cli, db) -> dict | None:  # noqa: ANN001
    out = cli("whoami", "--json", db=db)
    assert out.exit_code == 0, out.output
    return out.json()["operator"]


# -- PINs ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_need_six_digits(terminal, cli, role: str) -> None:  # noqa: ANN001
    short = cli("operator", "add", "Max", "--role", role, db=terminal, input="4321\n4321\n")
    assert short.exit_code == BAD_INPUT and "6 to 12 digits" in short.stderr
    assert [o for o in cli("operator", "list", "--json", db=terminal).json() if o["name"] == "Max"] == []
    with pytest.raises(BoxOfficeError) as refused:
        ops.add_operator(terminal, "Max", role, "4321")
    assert refused.value.code == "bad_input"
    assert cli("operator", "add", "Max", "--role", role, db=terminal, input="432109\n432109\n").exit_code == 0


def test_sellers_keep_four_digits(terminal, cli) -> None:  # noqa: ANN001
    assert cli("operator", "add", "Kim", "--role", "seller", db=terminal, input="4321\n4321\n").exit_code == 0
    assert cli("login", "kim", db=terminal, input="4321\n").exit_code == 0


def test_a_pin_hash_costs_32_mib_of_scrypt(terminal) -> None:  # noqa: ANN001
    stored = _hash(terminal.config.db_path, "sam")
    assert stored.startswith("scrypt$32768$8$1$")  # 128 * r * N bytes = 32 MiB per guess


def test_an_old_cheaper_hash_still_logs_in_and_is_replaced_at_the_next_good_login(terminal, cli) -> None:  # noqa: ANN001
    db = terminal.config.db_path
    _sql(db, "UPDATE operators SET pin_hash = ? WHERE name = 'sam'", (_old_hash("1111"),))
    assert cli("login", "sam", db=db, pin="9999").exit_code == EXIT_STATUSES["wrong_pin"][0]
    assert _hash(db, "sam").startswith("scrypt$16384$")  # a wrong PIN changes nothing
    assert cli("login", "sam", db=db, pin="1111").exit_code == 0
    assert _hash(db, "sam").startswith("scrypt$32768$8$1$")
    assert cli("login", "sam", db=db, pin="1111").exit_code == 0  # the new hash holds the same PIN


# -- sessions ----------------------------------------------------------------------------------------------------


def test_a_session_row_copied_into_another_terminals_database_logs_nobody_in(make_terminal, cli) -> None:  # noqa: ANN001
    mine = make_terminal()  # ada logged in here
    other = make_terminal(name="Counter 2", logged_in=None, fresh=True)
    assert _whoami(cli, mine)["name"] == "ada"
    assert _whoami(cli, other) is None
    src, dst = mine.config.db_path, other.config.db_path
    # the attack: carry ada's operator row (hash and all) and her live session into the other terminal's database
    conn = sqlite3.connect(dst)
    conn.execute("ATTACH DATABASE ? AS mine", (str(src),))
    conn.execute("DELETE FROM operators WHERE name = 'ada'")
    conn.execute("INSERT INTO operators SELECT * FROM mine.operators WHERE name = 'ada'")
    conn.execute("INSERT OR REPLACE INTO session SELECT * FROM mine.session")
    conn.commit()
    conn.close()
    assert _whoami(cli, other) is None
    refused = cli("operator", "add", "Eve", "--role", "admin", db=other, input="999999\n999999\n")
    assert refused.exit_code == EXIT_STATUSES["not_logged_in"][0]


def test_a_copy_of_the_database_file_carries_no_login(terminal, cli, tmp_path: Path) -> None:  # noqa: ANN001
    terminal.close()
    copy = tmp_path / "stolen" / "terminal.db"
    copy.parent.mkdir()
    shutil.copy2(terminal.config.db_path, copy)
    assert _whoami(cli, terminal)["name"] == "ada"
    assert _whoami(cli, copy) is None


def test_a_session_row_changed_by_hand_logs_nobody_in(terminal, cli) -> None:  # noqa: ANN001
    db = terminal.config.db_path
    terminal.close()
    assert cli("login", "sam", db=db, pin="1111").exit_code == 0
    _sql(db, "UPDATE session SET operator_id = (SELECT id FROM operators WHERE name = 'ada')")
    assert _whoami(cli, db) is None
    assert cli("login", "sam", db=db, pin="1111").exit_code == 0
    _sql(db, "UPDATE session SET expires_at = '2099-01-01T00:00:00.000000Z'")
    assert _whoami(cli, db) is None


def test_a_login_ends_after_a_day_however_busy(terminal, clock, cli, open_ctx) -> None:  # noqa: ANN001
    from boxoffice.services.pauses import pause, resume

    for _ in range(4):
        clock.advance(hours=5)
        ctx = open_ctx(terminal)
        assert ctx.operator["name"] == "ada"
        pause(ctx, "a look at the doors")  # each action keeps the login alive ...
        resume(ctx)
    clock.advance(hours=4)
    assert _whoami(cli, terminal) is None  # ... for a day at most, though only 4 h idle


def test_the_upgrade_keeps_operators_and_ends_unsealed_logins(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    migrations.ensure_current(old, upto="0009_recovery")
    old.execute("INSERT INTO operators (id, name, role, pin_hash, created_at, failed_attempts, locked_until) VALUES "
                "('op1', 'ada', 'admin', 'h', 'x', 3, '2026-12-01T10:00:00.000000Z')")
    old.execute("INSERT INTO session (id, operator_id, since, last_seen) VALUES (1, 'op1', 'x', 'x')")
    old.close()
    new = connect(path)
    try:
        assert migrations.applied(new)[-1] == "0010_operator_security"
        row = dict(new.execute("SELECT * FROM operators").fetchone())
        assert (row["name"], row["pin_hash"], row["failed_attempts"]) == ("ada", "h", 3)
        sess = dict(new.execute("SELECT * FROM session").fetchone())
        assert sess["operator_id"] == "op1" and sess["seal"] is None and sess["expires_at"] is None
    finally:
        new.close()


# -- lockouts ----------------------------------------------------------------------------------------------------


def _lock(cli, db, name: str = "ada") -> None:  # noqa: ANN001
    for _ in range(5):
        last = cli("login", name, db=db, pin="000000")
    assert last.exit_code == LOCKED and "now locked" in last.stderr


def test_a_lock_that_has_run_out_starts_the_count_again(terminal, clock, cli) -> None:  # noqa: ANN001
    _lock(cli, terminal)
    clock.advance(minutes=6)  # lock_minutes is 5
    once = cli("login", "ada", db=terminal, pin="000000")
    assert once.exit_code == EXIT_STATUSES["wrong_pin"][0], once.output  # not locked again at once
    assert "4 tries left" in once.stderr
    assert cli("login", "ada", db=terminal, pin="123456").exit_code == 0


def test_a_supervisor_unlocks_a_locked_admin_with_nobody_logged_in(terminal, cli) -> None:  # noqa: ANN001
    assert cli("logout", db=terminal).exit_code == 0
    _lock(cli, terminal)
    assert cli("login", "ada", db=terminal, pin="123456").exit_code == LOCKED
    alone = cli("operator", "unlock", "ada", db=terminal, input="")
    assert alone.exit_code == DENIED and "--supervisor" in alone.stderr
    seller = cli("operator", "unlock", "ada", "--supervisor", "sam", db=terminal, input="1111\n")
    assert seller.exit_code == DENIED and "PIN" not in seller.stderr  # refused before a PIN is asked
    wrong = cli("operator", "unlock", "ada", "--supervisor", "sue", db=terminal, input="000000\n")
    assert wrong.exit_code == EXIT_STATUSES["wrong_pin"][0]
    done = cli("operator", "unlock", "ada", "--supervisor", "sue", "--json", db=terminal, input="222222\n")
    assert done.exit_code == 0, done.output
    assert done.json()["locked_until"] is None and done.json()["approved_by"] == "sue"
    assert cli("login", "ada", db=terminal, pin="123456").exit_code == 0
    audit = cli("audit", "log", "--kind", "operator", "--json", db=terminal).json()
    unlocked = [e for e in audit if e["kind"] == "operator.unlock"]
    assert len(unlocked) == 1 and unlocked[0]["operator"] == "sue"
    assert unlocked[0]["what"] == "unlocked operator ada, approved by sue"


def test_the_service_unlocks_for_a_logged_in_supervisor(terminal, login) -> None:  # noqa: ANN001
    for _ in range(5):
        with pytest.raises(BoxOfficeError):
            ops.login(terminal, "sam", "0000")
    login(terminal, "sue")
    assert ops.check_unlock(terminal, "sam") == {"needs_supervisor": False}
    out = ops.unlock(terminal, "sam")
    assert out["locked_until"] is None and out["approved_by"] == "sue"
    assert ops.login(terminal, "sam", "1111")["name"] == "sam"
    login(terminal, "sam")
    with pytest.raises(BoxOfficeError) as refused:
        ops.unlock(terminal, "ada")
    assert refused.value.code == "permission_denied"


def test_a_supervisor_resets_a_sellers_pin_asked_twice(terminal, login, cli) -> None:  # noqa: ANN001
    login(terminal, "sue")
    typo = cli("operator", "reset-pin", "sam", db=terminal, input="5678\n5687\n")
    assert typo.exit_code == BAD_INPUT and "do not match" in typo.stderr
    assert cli("login", "sam", db=terminal, pin="1111").exit_code == 0  # nothing changed
    login(terminal, "sue")
    done = cli("operator", "reset-pin", "sam", db=terminal, input="5678\n5678\n")
    assert done.exit_code == 0 and "sam has a new PIN" in done.stdout
    assert cli("login", "sam", db=terminal, pin="1111").exit_code == EXIT_STATUSES["wrong_pin"][0]
    assert cli("login", "sam", db=terminal, pin="5678").exit_code == 0
    login(terminal, "sue")
    entries = cli("audit", "log", "--kind", "operator.pin_reset", "--json", db=terminal).json()
    assert [e["what"] for e in entries] == ["PIN reset for operator sam, approved by sue"]
    raw = sqlite3.connect(terminal.config.db_path).execute(
        "SELECT payload FROM journal WHERE kind = 'operator.pin_reset'").fetchone()[0]
    assert "5678" not in raw and "scrypt" not in raw


def test_reset_pin_for_scripts_and_its_limits(terminal, login, cli) -> None:  # noqa: ANN001
    assert cli("logout", db=terminal).exit_code == 0
    scripted = cli("operator", "reset-pin", "sam", "--supervisor", "sue", "--pin-stdin", db=terminal,
                   pin="222222", input="8642\n")
    assert scripted.exit_code == 0, scripted.output
    assert cli("login", "sam", db=terminal, pin="8642").exit_code == 0
    login(terminal, "sue")
    admin = cli("operator", "reset-pin", "ada", "--pin-stdin", db=terminal, input="654321\n")
    assert admin.exit_code == DENIED and "admin's PIN" in admin.stderr  # else a supervisor could become the admin
    login(terminal, "ada")
    short = cli("operator", "reset-pin", "sue", "--pin-stdin", db=terminal, input="2468\n")
    assert short.exit_code == BAD_INPUT and "6 to 12 digits" in short.stderr
    assert cli("operator", "reset-pin", "sue", "--pin-stdin", db=terminal, input="246802\n").exit_code == 0
    assert cli("login", "sue", db=terminal, pin="246802").exit_code == 0


def test_a_reset_also_ends_a_lockout(terminal, login, cli) -> None:  # noqa: ANN001
    _lock(cli, terminal, "sam")
    login(terminal, "sue")
    assert cli("operator", "reset-pin", "sam", "--pin-stdin", db=terminal, input="1357\n").exit_code == 0
    assert cli("login", "sam", db=terminal, pin="1357").exit_code == 0


def test_a_recovery_replays_unlocks_and_notes_pin_resets(terminal, login, open_ctx, tmp_path: Path) -> None:  # noqa: ANN001
    from boxoffice.services.sync.replay import Replayer
    from boxoffice.store.db import write

    for _ in range(5):
        with pytest.raises(BoxOfficeError):
            ops.login(terminal, "sam", "0000")
    older = tmp_path / "older.db"  # the database as an older copy has it: sam locked
    src, dst = sqlite3.connect(terminal.config.db_path), sqlite3.connect(older)
    src.backup(dst)
    src.close(), dst.close()
    login(terminal, "sue")
    ops.unlock(terminal, "sam")
    ops.reset_pin(terminal, "sam", "9753")
    entries = [dict(r) for r in terminal.conn.execute(
        "SELECT * FROM journal WHERE kind IN ('operator.unlock', 'operator.pin_reset') ORDER BY seq")]
    assert [e["kind"] for e in entries] == ["operator.unlock", "operator.pin_reset"]
    ctx = open_ctx(older)
    assert ctx.conn.execute("SELECT locked_until FROM operators WHERE name = 'sam'").fetchone()[0] is not None
    # the copy's journal ends before these entries: give it the ones in between first, as a recovery does
    between = [dict(r) for r in terminal.conn.execute(
        "SELECT * FROM journal WHERE seq > (SELECT max(seq) FROM journal WHERE kind = 'operator.locked') ORDER BY seq")]
    replayer = Replayer(ctx)
    with write(ctx.conn):
        for e in between:
            replayer.apply(e, "2026-12-01T10:00:00.000000Z")
    row = ctx.conn.execute("SELECT failed_attempts, locked_until FROM operators WHERE name = 'sam'").fetchone()
    assert tuple(row) == (0, None)
    assert [n["kind"] for n in replayer.notes] == ["operator.pin_reset"]
    assert json.loads(entries[1]["payload"])["name"] == "sam"


# -- PINs in the shell -------------------------------------------------------------------------------------------


def _boxoffice(db: Path, *args: str, stdin: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    return subprocess.run([sys.executable, "-m", "boxoffice", "--db", str(db), *args], input=stdin,
                          capture_output=True, text=True, env={**clean, **(env or {})}, timeout=120, check=False)


def test_a_piped_pin_is_read_as_a_line_without_a_warning(terminal) -> None:  # noqa: ANN001
    db = terminal.config.db_path
    terminal.close()
    piped = _boxoffice(db, "login", "sam", stdin="1111\n")
    assert piped.returncode == 0, piped.stderr
    assert "Warning" not in piped.stderr and "echo" not in piped.stderr  # no GetPassWarning noise
    assert piped.stdout.strip() == "sam (seller) is logged in."
    wrong = _boxoffice(db, "login", "sam", stdin="9999\n")
    assert wrong.returncode == EXIT_STATUSES["wrong_pin"][0] and "Warning" not in wrong.stderr
    nothing = _boxoffice(db, "login", "sam", stdin="")
    assert nothing.returncode == BAD_INPUT and "no PIN given" in nothing.stderr
    scripted = _boxoffice(db, "login", "sam", stdin="", env={"BOXOFFICE_PIN": "1111"})  # still there for scripts
    assert scripted.returncode == 0, scripted.stderr
