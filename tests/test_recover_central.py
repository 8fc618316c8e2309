"""The central service's side of recovery, and the checks a terminal makes before it replays anything: a terminal
reads back only its own journal (GET /v1/journal), the answer is checked against its schema, and entries that do
not continue the terminal's chain are refused with nothing changed. Also the marks file and the declared gap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_helpers import Central, client, sell, sync

from boxoffice.domain.chain import GENESIS, canonical, entry_hash, find_breaks, walk
from boxoffice.errors import BoxOfficeError
from boxoffice.services.backup import backup, restore
from boxoffice.services.sync.recovery import recover
from boxoffice.store import marks as marks_store

pytest_plugins = ["sync_support"]


def _gala(ctx: Any) -> str:
    return ctx.conn.execute("SELECT id FROM events WHERE id LIKE 'gala%'").fetchone()[0]


def _token(ctx: Any) -> str:
    return ctx.conn.execute("SELECT token FROM sync_state").fetchone()[0]


def _dump(db: Path) -> dict[str, list[tuple]]:
    from night_kit import dump

    return dump(db)


def test_a_terminal_reads_back_only_its_own_entries_as_pushed(central: Central, terminals) -> None:
    a, b = terminals(2)
    sell(a, _gala(a), n=1)
    sync(a), sync(b)
    for ctx in (a, b):
        answer = httpx.get(f"{central.url}/v1/journal", params={"after": 0, "limit": 1000},
                           headers={"Authorization": f"Bearer {_token(ctx)}"}).json()
        mine = [dict(r) for r in ctx.conn.execute("SELECT id, terminal_id, seq, kind, operator_id, at, payload,"
                                                   " prev_hash, hash FROM journal WHERE pushed_at IS NOT NULL"
                                                   " ORDER BY seq")]
        assert answer["entries"] == mine, "exactly as pushed, and only this terminal's"
        assert answer["head"]["seq"] == mine[-1]["seq"] and answer["head"]["hash"] == mine[-1]["hash"]
        assert answer["more"] is False
    a_head = httpx.get(f"{central.url}/v1/journal", params={"after": 2**53 - 1},
                       headers={"Authorization": f"Bearer {_token(a)}"}).json()
    assert a_head["entries"] == [] and a_head["head"]["order_seq"] == 1
    assert httpx.get(f"{central.url}/v1/journal").status_code == 401
    assert httpx.get(f"{central.url}/v1/journal", headers={"Authorization": "Bearer bxt_nobody"}).status_code == 401
    paged = httpx.get(f"{central.url}/v1/journal", params={"after": 0, "limit": 2},
                      headers={"Authorization": f"Bearer {_token(a)}"}).json()
    assert [e["seq"] for e in paged["entries"]] == [1, 2] and paged["more"] is True
    doc = httpx.get(central.url + "/openapi.json").json()
    assert doc["paths"]["/v1/journal"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == \
        {"$ref": "#/components/schemas/SyncJournal"}
    assert "SyncJournal_entry" in doc["components"]["schemas"]


def _restored(ctx: Any, central: Central, tmp_path: Path) -> tuple[str, str]:
    """Sell, back up, sell and sync, restore the backup (as `boxoffice restore` does): (event, the lost code)."""
    ctx.config.values["allocation"] = {"top_up_below": 0}
    event = _gala(ctx)
    from boxoffice.central.allocation_admin import allocate

    allocate(central.db_url, event, ctx.terminal["id"], "standing", 4, [])
    sync(ctx)
    sell(ctx, event, n=1)
    sync(ctx)
    copy = Path(backup(ctx, tmp_path / "usb")["file"])
    code = sell(ctx, event, n=1)["order"]["code"]
    sell(ctx, event, n=1)  # one more after it: a sale dropped on the way leaves a gap
    sync(ctx)
    out = restore(ctx, copy, central=lambda url, token: client(url, token))
    assert out["state"] == "needed", out
    return event, code


class _Tampering:
    """The real client, with the journal answers changed on the way (a faulty or forged central service)."""

    def __init__(self, real: Any, change: Any) -> None:
        self.real, self.change = real, change

    def journal(self, after: int, limit: int = 500) -> Any:
        return self.change(self.real.journal(after, limit))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_entries_that_do_not_continue_the_chain_or_the_schema_are_refused_with_nothing_changed(
        central: Central, terminals, tmp_path: Path) -> None:
    (ctx,) = terminals(1)
    event, code = _restored(ctx, central, tmp_path)
    db = ctx.config.db_path
    before = _dump(db)

    def edited(answer: dict[str, Any]) -> dict[str, Any]:
        for e in answer["entries"]:
            if e["kind"] == "sale":  # the amount changed, the hash recomputed: it no longer follows its successor
                p = json.loads(e["payload"])
                p["order"]["total"] = 1
                e["payload"] = canonical(p)
                e["hash"] = entry_hash(e["prev_hash"], id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"],
                                       kind=e["kind"], operator_id=e["operator_id"], at=e["at"],
                                       payload=e["payload"])
        return answer

    def dropped(answer: dict[str, Any]) -> dict[str, Any]:
        sales = [i for i, e in enumerate(answer["entries"]) if e["kind"] == "sale"]
        if sales:
            del answer["entries"][sales[0]]
        return answer

    def cut(answer: dict[str, Any]) -> dict[str, Any]:
        answer["entries"] = answer["entries"][:-1]
        return answer

    def malformed(answer: dict[str, Any]) -> dict[str, Any]:
        for e in answer["entries"]:
            e.pop("hash")
        return answer

    with client(central.url, _token(ctx)) as real:
        for change, code_, says in ((edited, "chain_mismatch", "does not follow"),
                                    (dropped, "chain_mismatch", "no restore declaring it"),
                                    (cut, "chain_mismatch", "before its head"),
                                    (malformed, "central_refused", "malformed journal page")):
            with pytest.raises(BoxOfficeError) as err:
                recover(ctx, _Tampering(real, change))
            assert err.value.code == code_ and says in err.value.message, err.value.message
            assert _dump(db) == before, "nothing was changed"
        out = recover(ctx, real)
    assert out["by_kind"]["sale"] == 2 and "sync_error" not in out
    assert ctx.conn.execute("SELECT 1 FROM orders WHERE code = ?", (code,)).fetchone()


def test_the_marks_file_moves_forward_only_and_is_private(terminal, tmp_path: Path) -> None:
    from night_kit import sell as night_sell

    db = terminal.config.db_path
    path = marks_store.path_for(db)
    night_sell(terminal, _gala(terminal), "standing", {"adult": 1})
    got = marks_store.read(path)
    head = terminal.conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    assert got is not None and (got.seq, got.hash) == tuple(head) and got.terminal_id == terminal.terminal["id"]
    assert got.next_order_seq == terminal.conn.execute("SELECT next_order_seq FROM terminal").fetchone()[0]
    assert path.stat().st_mode & 0o777 == 0o600
    ahead = marks_store.Marks(got.terminal_id, got.seq + 10, "f" * 64, got.next_order_seq + 10)
    marks_store.write(path, ahead)
    assert marks_store.advance(path, got) == ahead, "a database behind the marks never moves them back"
    path.write_text("{not json", encoding="utf-8")
    assert marks_store.read(path) is None, "a file that is not marks is never trusted"


def test_a_restore_entry_declares_its_gap_and_nothing_else_passes_for_one() -> None:
    tid = "0" * 8 + "-0000-7000-8000-" + "0" * 12

    def entry(seq: int, prev: str, kind: str = "sale", payload: Any = None) -> dict[str, Any]:
        e = {"id": f"{seq:08d}-0000-7000-8000-000000000000", "seq": seq, "terminal_id": tid, "kind": kind,
             "operator_id": None, "at": "2026-12-01T10:00:00Z", "payload": canonical(payload or {}),
             "prev_hash": prev}
        e["hash"] = entry_hash(prev, id=e["id"], seq=seq, terminal_id=tid, kind=kind, operator_id=None, at=e["at"],
                               payload=e["payload"])
        return e

    one = entry(1, GENESIS)
    two = entry(2, one["hash"])
    restore_ = entry(6, "a" * 64, "restore", {"gap": {"after": 2, "upto": 5}})
    assert walk([one, two, restore_]) == ([], [{"seq": 6, "id": restore_["id"], "after": 2, "upto": 5,
                                               "missing": 3}])
    three = entry(3, two["hash"])
    assert walk([one, two, three, restore_])[1][0]["missing"] == 2, "partly filled: the rest is still declared"
    undeclared = entry(6, "a" * 64, "restore", {"gap": {"after": 3, "upto": 5}})
    assert find_breaks([one, two, undeclared]), "a gap wider than declared is a break"
    plain = entry(6, "a" * 64)
    assert find_breaks([one, two, plain])


def test_the_recovery_table_arrives_with_an_upgrade_and_keeps_every_row(tmp_path: Path) -> None:
    from boxoffice.store import migrations
    from boxoffice.store.db import connect

    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    migrations.ensure_current(old, upto="0008_allocation_stops")
    old.execute("INSERT INTO terminal (id, name, tag, key_id, public_key, created_at, next_order_seq) VALUES"
                " ('t1', 'Counter', 'ABC', 'k', 'p', 'x', 42)")
    old.execute("INSERT INTO journal (seq, id, terminal_id, kind, operator_id, at, payload, prev_hash, hash)"
                " VALUES (1, 'e1', 't1', 'terminal.init', NULL, 'x', '{}', ?, 'h1')", (GENESIS,))
    old.close()
    conn = connect(path)
    assert "0009_recovery" in migrations.applied(conn) and migrations.applied(conn)[-1] == migrations.KNOWN[-1]
    assert {r[1] for r in conn.execute("PRAGMA table_info(recovery)")} >= {"state", "marks_seq", "held", "kept"}
    assert conn.execute("SELECT next_order_seq FROM terminal").fetchone()[0] == 42
    assert conn.execute("SELECT count(*) FROM journal").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM recovery").fetchone()[0] == 0
    conn.close()
