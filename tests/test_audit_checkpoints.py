"""Signed checkpoints catch a rewritten journal: someone with the database file edits a past entry and recomputes
every hash after it (the chain holds again), and `boxoffice audit verify` still says where the history was
rewritten, because the terminal signed the old head with its key file, which the database does not hold."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path
from typing import Any

from boxoffice.domain import checkpoints as rules
from boxoffice.domain.chain import GENESIS, entry_hash
from boxoffice.domain.tenders import Tender
from boxoffice.services import shifts
from boxoffice.services.context import Ctx
from boxoffice.services.sales import SaleRequest, sell


def evening(ctx: Ctx, login: Any) -> int:
    """Sales and a closed shift (whose close signs a checkpoint), then one more sale; the close's seq."""
    gala = ctx.conn.execute("SELECT id FROM events ORDER BY starts_at").fetchone()[0]
    login(ctx, "sam")
    shifts.open_shift(ctx, 10000)
    sell(ctx, SaleRequest(gala, "stalls", {"adult": 2}, [Tender("cash", 10000)]))
    shifts.close_shift(ctx, 20000, note="counted as it was", supervisor=("sue", "222222"))
    close = ctx.conn.execute("SELECT max(seq) FROM journal WHERE kind = 'shift.close'").fetchone()[0]
    shifts.open_shift(ctx, 5000)
    sell(ctx, SaleRequest(gala, "standing", {"adult": 1}, [Tender("cash", 5000)]))
    login(ctx, "sue")
    return close


def rewrite(db: Path, seq: int, old: str, new: str) -> None:
    """Edit entry ``seq``'s payload by hand and recompute every hash from there on, as domain/chain.py does."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM journal ORDER BY seq")]
        prev = GENESIS
        for e in rows:
            if e["seq"] == seq:
                assert old in e["payload"]
                e["payload"] = e["payload"].replace(old, new)
            if e["seq"] >= seq:
                e["prev_hash"] = prev
                e["hash"] = entry_hash(prev, id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"], kind=e["kind"],
                                       operator_id=e["operator_id"], at=e["at"], payload=e["payload"])
                conn.execute("UPDATE journal SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                             (e["payload"], e["prev_hash"], e["hash"], e["seq"]))
            prev = e["hash"]
    finally:
        conn.close()


def test_a_shift_close_signs_the_head_with_the_terminal_key(terminal: Ctx, login: Any, cli: Any) -> None:
    close = evening(terminal, login)
    cp = terminal.conn.execute("SELECT * FROM checkpoints WHERE why = 'shift.close'").fetchone()
    head = terminal.conn.execute("SELECT hash FROM journal WHERE seq = ?", (close,)).fetchone()[0]
    assert (cp["seq"], cp["hash"]) == (close, head)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    public = base64.b64decode(terminal.terminal["public_key"])
    Ed25519PublicKey.from_public_bytes(public).verify(base64.b64decode(cp["signature"]),
                                                      rules.message(terminal.terminal["id"], close, head))
    assert cp["key_id"] == terminal.terminal["key_id"]
    out = cli("audit", "verify", db=terminal)
    assert out.exit_code == 0, out.stderr


def test_a_checkpoint_every_so_many_entries(terminal: Ctx, login: Any) -> None:
    login(terminal, "sam")
    while terminal.conn.execute("SELECT max(seq) FROM journal").fetchone()[0] < rules.EVERY + 1:
        login(terminal, "sam")
    seqs = [r[0] for r in terminal.conn.execute("SELECT seq FROM checkpoints WHERE why = 'entries'")]
    assert seqs == [rules.EVERY]


def test_an_edited_entry_rehashed_is_caught_at_the_checkpoint(terminal: Ctx, login: Any, cli: Any) -> None:
    close = evening(terminal, login)
    db = terminal.config.db_path
    terminal.close()
    sale = sqlite3.connect(db).execute("SELECT min(seq) FROM journal WHERE kind = 'sale'").fetchone()[0]
    assert sale < close
    rewrite(db, sale, '"code":"', '"code":"X')  # the chain itself holds again after this
    out = cli("audit", "verify", db=db)
    assert out.exit_code == 9
    assert f"the journal was rewritten after checkpoint at seq {close}" in out.stderr
    data = cli("audit", "verify", "--json", db=db)
    assert data.exit_code == 9
    err = data.json()["error"]
    assert err["code"] == "audit_failed"
    assert [b["kind"] for b in err["details"]["breaks"]] == ["rewritten"]


def test_a_forged_checkpoint_is_reported(terminal: Ctx, login: Any, cli: Any) -> None:
    close = evening(terminal, login)
    db = terminal.config.db_path
    terminal.close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE checkpoints SET signature = ? WHERE seq = ?",
                 (base64.b64encode(b"\0" * 64).decode("ascii"), close))
    conn.close()
    out = cli("audit", "verify", db=db)
    assert out.exit_code == 9
    assert f"the checkpoint at seq {close} is not signed by this terminal's key" in out.stdout


def test_a_database_from_before_checkpoints_moves_forward_and_keeps_its_journal(tmp_path: Path) -> None:
    from boxoffice.store import journal as journal_store
    from boxoffice.store import migrations
    from boxoffice.store.db import connect

    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    migrations.ensure_current(old, upto="0009_recovery")
    assert "checkpoints" not in {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    with old:
        written = journal_store.append(old, terminal_id="00000000-0000-7000-8000-000000000001", kind="cash.in",
                                       operator_id=None, at="2026-12-01T18:00:00.000000Z", payload={"amount": 5})
    old.close()

    conn = connect(path)
    assert migrations.applied(conn) == migrations.KNOWN
    kept = conn.execute("SELECT seq, hash, payload FROM journal").fetchall()
    assert [tuple(r) for r in kept] == [(1, written["hash"], '{"amount":5}')]
    assert conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == 0
    conn.close()
