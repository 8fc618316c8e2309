"""The central service keeps each terminal's last signed checkpoint, and refuses, and flags, the sync of a terminal
whose journal was rewritten behind it: even by someone who also holds the terminal's key file, so that the
terminal's own `audit verify` is fooled."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Central, pg_schema_url, sell, sync
from test_audit_checkpoints import rewrite

from boxoffice.central.store import schema
from boxoffice.central.store.db import connect
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.store import marks

pytest_plugins = ["sync_support"]

NOW = "2026-12-01T10:00:00.000000Z"
CENTRAL = 8


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "pg":
        return pg_schema_url(request.getfixturevalue("pg_database"))
    return str(tmp_path / "central.db")


def test_a_version_3_database_moves_to_4_keeping_its_terminals_and_journal(empty_db: str, cli: Any) -> None:
    tid, eid = uuid7(), uuid7()
    with connect(empty_db) as db:
        schema.migrate(db, NOW, upto=3)
        db.execute("INSERT INTO terminals (id, name, tag, key_id, public_key, token_hash, enrolled_at, last_seq,"
                   " last_hash) VALUES (?, 'Old counter', 'OLD', '0badc0de', 'key', 'hash', ?, 1, ?)",
                   (tid, NOW, "a" * 64))
        db.execute("INSERT INTO journal (id, terminal_id, seq, kind, at, operator_id, payload, prev_hash, hash,"
                   " received_at) VALUES (?, ?, 1, 'cash.in', ?, NULL, '{}', ?, ?, ?)",
                   (eid, tid, NOW, "0" * 64, "a" * 64, NOW))
    moved = cli("central", "migrate", "--db", empty_db, "--json")
    assert moved.exit_code == 0, moved.output
    assert moved.json()["from"] == 3 and 4 in moved.json()["migrations"]
    with connect(empty_db) as db:
        assert schema.version(db) == schema.LATEST
        assert db.one("SELECT name, last_seq FROM terminals WHERE id = ?", (tid,)) == {"name": "Old counter",
                                                                                      "last_seq": 1}
        assert db.scalar("SELECT hash FROM journal WHERE id = ?", (eid,)) == "a" * 64
        assert db.scalar("SELECT count(*) AS n FROM terminal_checkpoints") == 0


def held(central: Central, tid: str) -> dict[str, Any] | None:
    rows = central.query("SELECT seq, hash FROM terminal_checkpoints WHERE terminal_id = ?", (tid,))
    return rows[0] if rows else None


def test_each_sync_leaves_the_signed_head_with_the_central_service(terminals: Any, central: Central,
                                                                   demo_events: tuple[str, str]) -> None:
    (a,) = terminals(1)
    sync(a)
    sell(a, demo_events[0])
    sync(a)
    pushed = a.conn.execute("SELECT seq, hash FROM journal WHERE pushed_at IS NOT NULL ORDER BY seq DESC"
                            " LIMIT 1").fetchone()
    assert held(central, a.terminal["id"]) == {"seq": pushed["seq"], "hash": pushed["hash"]}
    assert a.conn.execute("SELECT pushed_at FROM checkpoints WHERE seq = ?", (pushed["seq"],)).fetchone()[0]


def test_a_rewritten_journal_is_refused_at_the_next_sync_and_flagged(terminals: Any, central: Central, cli: Any,
                                                                     demo_events: tuple[str, str]) -> None:
    (a,) = terminals(1)
    sell(a, demo_events[0])
    sync(a)
    tid, db = a.terminal["id"], a.config.db_path
    mark = held(central, tid)
    assert mark is not None
    sale = a.conn.execute("SELECT min(seq) FROM journal WHERE kind = 'sale'").fetchone()[0]
    a.close()
    # someone with the database, its marks file and the key file: edit a pushed sale, recompute the chain, drop the
    # old checkpoints (new ones are signed with the key as the terminal goes on), so nothing here notices
    rewrite(db, sale, '"code":"', '"code":"X')
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DELETE FROM checkpoints")
    marks.write(marks.path_for(db), marks.head(conn))
    conn.close()
    local = cli("audit", "verify", "--json", db=db)
    found = [] if local.exit_code == 0 else [b["kind"] for b in local.json()["error"]["details"]["breaks"]]
    assert not {"edited", "rewritten", "forged checkpoint"} & set(found), local.output
    out = cli("sync", db=db)
    assert out.exit_code == CENTRAL, out.output
    assert "journal_rewritten" in out.stderr
    assert f"rewritten after the checkpoint at seq {mark['seq']}" in out.stderr
    again = cli("sync", "--json", db=db)
    assert again.exit_code == CENTRAL and again.json()["error"]["details"]["central_code"] == "journal_rewritten"
    assert held(central, tid) == mark  # the checkpoint held stays
    flagged = [c for c in cli("central", "conflicts", "--db", central.db_url, "--json").json()
               if c["kind"] == "journal_rewritten"]
    assert len(flagged) == 1 and flagged[0]["first_terminal"] == tid
    assert flagged[0]["subject"] == f"journal/{tid}/checkpoint/{mark['seq']}"
    shown = cli("central", "conflicts", "--db", central.db_url)
    assert shown.exit_code == 0 and "journal rewritten" in shown.stdout


def test_a_checkpoint_not_signed_by_the_terminal_is_refused(terminals: Any, central: Central) -> None:
    (a,) = terminals(1)
    sync(a)
    from boxoffice.services.sync.rounds import credentials
    from boxoffice.sync.client import CentralClient

    url, token = credentials(a)
    head = a.conn.execute("SELECT seq, hash FROM journal WHERE pushed_at IS NOT NULL ORDER BY seq DESC"
                          " LIMIT 1").fetchone()
    forged = {"seq": head["seq"], "hash": head["hash"], "key_id": a.terminal["key_id"], "signature": "A" * 86 + "==",
              "at": NOW}
    with CentralClient(url, token) as c, pytest.raises(BoxOfficeError) as err:
        c.checkpoint(forged)
    assert err.value.details["central_code"] == "bad_checkpoint"


def test_a_recovery_that_renumbers_entries_made_on_a_copy_leaves_the_audit_clean(
        central: Central, make_terminal: Any, cli: Any, open_ctx: Any, tmp_path: Path) -> None:
    from test_recover_copied_back import _copy_back, _snapshot
    from test_recover_restore import RECOVERY_NEEDED, _enrolled, _gala, _sell

    from boxoffice.services import checkpoints
    from boxoffice.store.db import write

    ctx, run = _enrolled(central, make_terminal, cli, tmp_path, "Renumbered counter")
    event, db = _gala(ctx), ctx.config.db_path
    assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    older = _snapshot(db, tmp_path / "older.db")
    assert _sell(run, event).exit_code == 0
    assert run("sync").exit_code == 0
    _copy_back(ctx, older, marks_too=True)
    assert _sell(run, event).exit_code == 0  # made on the copy, under a number the central service has
    copy = open_ctx(db)
    with write(copy.conn):  # as the hundredth entry or a shift close would sign it
        made = checkpoints.sign(copy, "entries")
    copy.close()
    assert run("sync").exit_code == RECOVERY_NEEDED
    recovered = run("sync", "recover", "--json")
    assert recovered.exit_code == 0, recovered.output
    assert any(m["was"] == made["seq"] for m in recovered.json()["reappended"])
    verified = run("audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert run("sync").exit_code == 0


def test_an_old_checkpoint_sent_again_is_refused_on_its_number_without_walking_the_journal(
        terminals: Any, central: Central, demo_events: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Anyone with a terminal's database holds every checkpoint it signed. One older than the one the service holds
    is refused as before; the service no longer reads the terminal's entries from it to the one held first (sent
    again and again, each such read held a night's journal in memory)."""
    from boxoffice.central.errors import CentralError
    from boxoffice.central.services import checkpoints
    from boxoffice.central.store import checkpoints as store
    from boxoffice.central.store import terminals as terminal_store

    (a,) = terminals(1)
    sync(a)
    old = dict(a.conn.execute("SELECT seq, hash, key_id, signature, at FROM checkpoints ORDER BY seq LIMIT 1")
               .fetchone())
    for _ in range(3):
        sell(a, demo_events[0])
    sync(a)
    walked: list[tuple[int, int]] = []
    span = store.span
    monkeypatch.setattr(store, "span", lambda db, tid, first, last: walked.append((first, last)) or
                        span(db, tid, first, last))
    with connect(central.db_url) as db:
        term = terminal_store.by_id(db, a.terminal["id"])
        assert held(central, a.terminal["id"])["seq"] > old["seq"]
        with pytest.raises(CentralError) as refused:
            checkpoints.accept(db, term, old, NOW)
    assert refused.value.status == 409 and walked == []
