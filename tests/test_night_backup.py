"""Backups taken while another process sells: verified, restored into a copy equal to the source at the moment of
the backup (every table, row by row); damaged or tampered copies refused by restore with the live database
untouched; --keep keeps the newest N of this terminal's copies."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from night_kit import dump, dump_conn, sell
from test_sales_kit import boxoffice_command, subprocess_env

from boxoffice.services.backup import PREFIX, backup, verify_copy

DATABASE_ERROR = 9


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=15)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def _journal(db: Path) -> list[tuple]:
    """The journal's rows in sequence order."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=15)
    try:
        return [tuple(r) for r in conn.execute("SELECT * FROM journal ORDER BY seq")]
    finally:
        conn.close()


def _orders(db: Path) -> int:
    return _count(db, "SELECT count(*) FROM orders")


def _wait_for(db: Path, at_least: int, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while (n := _orders(db)) < at_least:
        assert time.monotonic() < deadline, f"the seller made {n} sales, not {at_least}"
        time.sleep(0.05)
    return n


class Seller:
    """`boxoffice sell` run over and over by a shell loop in its own process group, as a busy counter would."""

    def __init__(self, db: Path, event: str, workdir: Path, now: str) -> None:
        command = " ".join(shlex.quote(p) for p in [*boxoffice_command(), "--db", str(db), "sell", event,
                                                     "--section", "standing", "--type", "adult=1",
                                                     "--card", "4242", "--json"])
        self.errors = workdir / "seller.err"
        env = subprocess_env(BOXOFFICE_NOW=now, BOXOFFICE_PRINTER=f"file://{workdir / 'printer.bin'}")
        self.process = subprocess.Popen(["bash", "-c", f"while :; do {command} > /dev/null; done"], cwd=workdir,
                                        env=env, stderr=self.errors.open("w"), start_new_session=True)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


@pytest.fixture
def busy(terminal, clock, demo_events, tmp_path):  # noqa: ANN001, ANN201
    """The terminal with some history, a seller process selling on it, stopped after the test."""
    gala, jazz = demo_events
    for n in range(5):
        sell(terminal, jazz, "stalls", {"adult": 1 + n % 2}, "cash")
    clock.advance(hours=1)
    seller = Seller(terminal.config.db_path, gala, tmp_path, clock.iso())
    yield seller
    if seller.process.poll() is None:
        seller.stop()


def test_backup_while_another_process_sells_restores_equal_to_the_source_at_that_moment(  # noqa: ANN001
        terminal, busy, open_ctx, cli, tmp_path: Path) -> None:
    db = terminal.config.db_path
    _wait_for(db, _orders(db) + 3)

    # The backup runs through the service on a connection whose read snapshot is pinned, so the test can read the
    # source as it was at the moment the copy was made (in WAL mode the online copy is of that snapshot).
    ctx = open_ctx(db)
    ctx.conn.execute("BEGIN")
    at_backup = dump_conn(ctx.conn)
    report = backup(ctx, tmp_path / "backups", keep=5)
    ctx.conn.execute("COMMIT")
    backed_up = len(at_backup["orders"])

    assert report["ok"] and report["integrity"] == "ok" and report["chain_breaks"] == []
    assert report["entries"] == len(at_backup["journal"])
    copy = Path(report["file"])
    assert copy.name.startswith(PREFIX + "Counter_1-") and copy.suffix == ".db"
    assert not list(copy.parent.glob("*.partial"))
    assert dump(copy) == at_backup, "the backup is the database as it was at that moment, every row"

    _wait_for(db, backed_up + 3)  # sales went on during and after the backup
    busy.stop()
    assert "Traceback" not in busy.errors.read_text()
    assert _orders(db) > backed_up

    # Restore into a fresh copy of the terminal (the same terminal: restore refuses another's database).
    fresh = tmp_path / "fresh" / "terminal.db"
    fresh.parent.mkdir()
    src, dst = sqlite3.connect(db), sqlite3.connect(fresh)
    src.backup(dst)
    src.close(), dst.close()
    shutil.copy2(f"{db}.session-key", f"{fresh}.session-key")  # the login is sealed with the key beside the file
    live_last = _journal(fresh)[-1][0]
    live_next_order = _count(fresh, "SELECT next_order_seq FROM terminal")
    live_sections = dump(fresh)["sections"]
    # The sales made since the backup exist nowhere else (no central service): refused unless the loss is accepted.
    refused = cli("--db", fresh, "restore", copy, "--yes", "--json")
    assert refused.exit_code == 4 and refused.json()["error"]["code"] == "unpushed_entries", refused.output
    assert _journal(fresh)[-1][0] == live_last, "nothing was changed"
    restored = cli("--db", fresh, "restore", copy, "--yes", "--accept-loss", "--json")
    assert restored.exit_code == 0, restored.output
    assert restored.json()["entries"] == len(at_backup["journal"])

    after = dump(fresh, skip=("journal",))
    journal = _journal(fresh)
    kinds = [r[3] for r in journal[len(at_backup["journal"]):]]
    assert kinds == ["restore", "incident.open", "incident.note"], "the restore and the loss accepted are journalled"
    restore_entry = journal[len(at_backup["journal"])]
    assert restore_entry[0] == live_last + 1, "journal numbers go on after every one the live database used"
    assert sorted(journal[:len(at_backup["journal"])], key=repr) == at_backup["journal"]
    expected = {k: v for k, v in at_backup.items() if k != "journal"}
    session_cols = slice(0, 3)  # id, operator, since: last_seen moves with the admin's use of the terminal
    assert [r[session_cols] for r in after.pop("session")] == [r[session_cols] for r in expected.pop("session")]
    terminal_row = after.pop("terminal")[0]
    assert terminal_row[-1] == live_next_order, "order numbers go on after every one the live database used"
    assert terminal_row[:-1] == expected.pop("terminal")[0][:-1]
    assert after.pop("sections") == live_sections, "the places the lost sales took stay sold: never sold again"
    expected.pop("sections")
    assert [r[1] for r in after.pop("incidents")] == [f"restored {copy.name} accepting loss"]
    assert len(after.pop("incident_notes")) == 1
    assert not expected.pop("incidents") and not expected.pop("incident_notes")
    assert after == expected, "every other table equals the source at the moment of the backup, row by row"
    assert _orders(fresh) == backed_up < _orders(db)


def test_cli_backup_during_sales_is_a_verified_whole_moment(terminal, busy, cli, tmp_path: Path) -> None:  # noqa: ANN001
    db = terminal.config.db_path
    _wait_for(db, _orders(db) + 2)
    made = cli("backup", "--to", tmp_path / "usb", "--json", db=terminal)
    assert made.exit_code == 0, made.output
    copy = Path(made.json()["file"])
    _wait_for(db, _count(copy, "SELECT count(*) FROM orders") + 2)
    busy.stop()

    assert verify_copy(copy)["ok"]
    # The copy is the live database as it was at one moment: the journal up to some entry, and exactly the
    # orders, tickets and payments those entries recorded, with the stock counters that go with them.
    snap_journal, live_journal = _journal(copy), _journal(db)
    assert 0 < len(snap_journal) < len(live_journal)
    assert live_journal[:len(snap_journal)] == snap_journal
    live, snap = dump(db), dump(copy)
    conn = sqlite3.connect(copy)
    sales = conn.execute("SELECT count(*) FROM journal WHERE kind = 'sale'").fetchone()[0]
    standing_sold = conn.execute("SELECT sum(sold) FROM sections WHERE id = 'standing'").fetchone()[0]
    standing_tickets = conn.execute("SELECT count(*) FROM tickets WHERE section_id = 'standing'").fetchone()[0]
    conn.close()
    assert len(snap["orders"]) == sales
    assert standing_sold == standing_tickets
    for table in ("orders", "tickets", "payments"):
        assert set(snap[table]) <= set(live[table]), table


def _tamper(copy: Path) -> None:
    """Change one sale's recorded amount in the journal, as someone editing the file would."""
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE journal SET payload = replace(payload, '\"amount\":', '\"amount\":1') "
                 "WHERE seq = (SELECT min(seq) FROM journal WHERE kind = 'sale')")
    conn.commit()
    conn.close()


def _scribble(copy: Path) -> None:
    """Overwrite the journal's root page with noise, as a failing disk would."""
    conn = sqlite3.connect(copy)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'journal'").fetchone()[0]
    conn.close()
    with copy.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(bytes((i * 37 + 11) % 256 for i in range(page_size)))


def _truncate(copy: Path) -> None:
    data = copy.read_bytes()
    copy.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize("damage, says", [(_tamper, "chain break"), (_scribble, "did not verify"),
                                          (_truncate, "did not verify")])
def test_a_damaged_or_tampered_backup_is_refused_and_the_live_database_is_untouched(  # noqa: ANN001
        terminal, demo_events, cli, tmp_path: Path, damage, says: str) -> None:
    gala, _ = demo_events
    for _ in range(3):
        sell(terminal, gala, "standing", {"adult": 2}, "card")
    made = cli("backup", "--to", tmp_path / "backups", "--json", db=terminal)
    assert made.exit_code == 0, made.output
    copy = Path(made.json()["file"])
    damage(copy)
    assert not verify_copy(copy)["ok"]
    sell(terminal, gala, "standing", {"adult": 1}, "cash")  # the live database moved on since
    before = dump(terminal.config.db_path)

    refused = cli("restore", copy, "--yes", db=terminal)
    assert refused.exit_code == DATABASE_ERROR, refused.output
    assert says in refused.stderr and "not restored" in refused.stderr
    assert "Traceback" not in refused.output
    assert dump(terminal.config.db_path) == before, "the live database was not touched"


def test_restore_refuses_another_terminals_database_and_needs_an_admin(terminal, make_terminal, cli,  # noqa: ANN001
                                                                       login, tmp_path: Path) -> None:
    other = make_terminal(name="Counter 2")
    theirs = Path(cli("backup", "--to", tmp_path / "shared", "--json", db=other).json()["file"])
    before = dump(terminal.config.db_path)
    refused = cli("restore", theirs, "--yes", db=terminal)
    assert refused.exit_code == 4 and "another terminal's database" in refused.stderr
    assert dump(terminal.config.db_path) == before
    ours = Path(cli("backup", "--to", tmp_path / "shared", "--json", db=terminal).json()["file"])
    login(terminal, "sue")
    before = dump(terminal.config.db_path)
    not_admin = cli("restore", ours, "--yes", db=terminal)
    assert not_admin.exit_code == 5
    assert dump(terminal.config.db_path) == before


def test_keep_n_keeps_the_newest_n_of_this_terminals_copies(terminal, make_terminal, clock, cli,  # noqa: ANN001
                                                            tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    other = make_terminal(name="Counter 2")
    theirs = Path(cli("backup", "--to", shared, "--json", db=other).json()["file"])
    made = []
    for _ in range(5):
        clock.advance(minutes=10)
        result = cli("backup", "--to", shared, "--keep", "3", "--json", db=terminal)
        assert result.exit_code == 0, result.output
        made.append(Path(result.json()["file"]))
    ours = sorted(p for p in shared.glob(f"{PREFIX}Counter_1-*.db"))
    assert ours == made[-3:], "the three newest are kept"
    assert theirs.exists(), "another terminal's copy in the same folder is not ours to delete"
    assert result.json()["removed"] == [str(made[1])]
    assert all(verify_copy(p)["ok"] for p in ours)
    assert made[-1].name == f"{PREFIX}Counter_1-{clock():%Y%m%dT%H%M%S%fZ}.db"
    zero = cli("backup", "--to", shared, "--keep", "0", db=terminal)
    assert zero.exit_code == 2

    namesake = make_terminal(name="Counter.1")  # another terminal whose copies get the same file name
    clock.advance(minutes=10)
    alone = cli("backup", "--to", shared, "--keep", "1", "--json", db=namesake)
    assert alone.exit_code == 0 and alone.json()["removed"] == [], alone.output
    assert all(p.exists() for p in made[-3:]), "a namesake's --keep 1 deletes none of this terminal's copies"


def test_a_backup_folder_that_cannot_be_used_is_a_plain_refusal(terminal, cli, tmp_path: Path) -> None:  # noqa: ANN001
    in_the_way = tmp_path / "usb"
    in_the_way.write_text("not a folder", encoding="utf-8")
    refused = cli("backup", "--to", in_the_way, db=terminal)
    assert refused.exit_code == 2, refused.output
    assert f"cannot keep backups in {in_the_way}" in refused.stderr and "Traceback" not in refused.output
    assert in_the_way.read_text(encoding="utf-8") == "not a folder"
