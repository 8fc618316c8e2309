"""Tampering with the database file by hand (a plain sqlite3 connection, as someone with the file would) is always
found by `boxoffice audit verify`, which says what was done and where."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DB_NAME, T0, ManualClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boxoffice.config import load
from boxoffice.domain.chain import entry_hash
from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import audit, shifts
from boxoffice.services.exchanges import ExchangeRequest, exchange
from boxoffice.services.opening import open_terminal
from boxoffice.services.operators import login
from boxoffice.services.refunds import RefundRequest, refund
from boxoffice.services.sales import SaleRequest, sell


@pytest.fixture(scope="module")
def night(_template_terminal: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A terminal after an evening's work: sales, a refund, an exchange, cash movements, a closed shift.

    sue (supervisor) is logged in at the end, at T0, so the CLI can run `audit` on a copy.
    """
    directory = tmp_path_factory.mktemp("audited")
    for item in _template_terminal.iterdir():
        shutil.copy2(item, directory / item.name)
    ctx = open_terminal(load(db=str(directory / DB_NAME)), ManualClock(T0))
    gala = ctx.conn.execute("SELECT id FROM events ORDER BY starts_at").fetchone()[0]
    login(ctx, "sam", "1111")
    shifts.open_shift(ctx, 10000)
    a = sell(ctx, SaleRequest(gala, "stalls", {"adult": 2}, [Tender("cash", 10000)]))
    b = sell(ctx, SaleRequest(gala, "standing", {"adult": 1, "child": 1}, [Tender("card", None, "4242")]))
    sell(ctx, SaleRequest(gala, "stalls", {"concession": 1}, [Tender("card", 1000, "1111"), Tender("cash", 2000)]))
    refund(ctx, RefundRequest(a["order"]["code"], tickets=[a["tickets"][0]["id"]]))
    exchange(ctx, ExchangeRequest(b["order"]["code"], section_id="stalls", tenders=[Tender("cash", 5000)]))
    shifts.cash_move(ctx, "in", 2000, "change")
    shifts.drawer_open(ctx, "no sale")
    shifts.close_shift(ctx, 20000, note="counted as it was", supervisor=("sue", "222222"))
    shifts.open_shift(ctx, 5000)
    shifts.cash_move(ctx, "out", 1000, "to the safe")  # the newest entry holds a record
    login(ctx, "sue", "222222")  # the journal ends: ..., cash.out, operator.login
    ctx.close()
    return directory


@pytest.fixture
def copy(night: Path, tmp_path: Path) -> Path:
    """A copy of the night's database to tamper with."""
    return copy_files(night, tmp_path)


def copy_files(source: Path, target: Path) -> Path:
    """The terminal's files (database, key) into ``target``; returns the database's path there."""
    for item in source.iterdir():
        if item.is_file():
            shutil.copy2(item, target / item.name)
    return target / DB_NAME


@contextlib.contextmanager
def by_hand(db: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to the file, autocommitting each statement, closed after."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def breaks(db: Path) -> list[dict[str, Any]]:
    """What `audit verify` finds ([] when the database is intact)."""
    ctx = open_terminal(load(db=str(db)), ManualClock(T0))
    try:
        audit.verify(ctx)
        return []
    except BoxOfficeError as exc:
        assert exc.code == "audit_failed"
        return exc.details["breaks"]
    finally:
        ctx.close()


def seq_of(conn: sqlite3.Connection, kind: str, nth: int = 0) -> int:
    return conn.execute("SELECT seq FROM journal WHERE kind = ? ORDER BY seq LIMIT 1 OFFSET ?",
                        (kind, nth)).fetchone()[0]


def kinds_at(found: list[dict[str, Any]]) -> set[tuple[int | None, str]]:
    return {(b["seq"], b["kind"]) for b in found}


def test_an_untouched_night_verifies(copy: Path, cli: Any) -> None:
    assert breaks(copy) == []
    out = cli("audit", "verify", db=copy)
    assert out.exit_code == 0 and out.stdout.startswith("OK:")


def test_editing_an_amount_in_the_journal(copy: Path) -> None:
    with by_hand(copy) as conn:
        seq = seq_of(conn, "refund")
        payload = conn.execute("SELECT payload FROM journal WHERE seq = ?", (seq,)).fetchone()[0]
        conn.execute("UPDATE journal SET payload = ? WHERE seq = ?",
                     (payload.replace('"amount":3500', '"amount":350'), seq))
    found = breaks(copy)
    assert (seq, "edited") in kinds_at(found)
    assert any(b["kind"] == "mismatch" and "amount is 3500" in b["problem"] for b in found)


def test_editing_an_amount_in_the_payments_table(copy: Path) -> None:
    with by_hand(copy) as conn:
        pid = conn.execute("SELECT id FROM payments WHERE kind = 'refund' AND tender = 'cash'").fetchone()[0]
        conn.execute("UPDATE payments SET amount = 100 WHERE id = ?", (pid,))
    found = breaks(copy)
    assert [(b["kind"], b["id"]) for b in found] == [("mismatch", pid)]
    assert "amount is 100 but the journal says 3500" in found[0]["problem"]


def test_deleting_a_cash_payment_and_a_cash_in_is_found(copy: Path, cli: Any) -> None:
    """Rows deleted by hand have no row to hold against their journal copies: the copies are held against the
    rows, so the cash the drawer no longer expects is named."""
    with by_hand(copy) as conn:
        pay = conn.execute("SELECT id FROM payments WHERE kind = 'payment' AND tender = 'cash' ORDER BY rowid"
                           " LIMIT 1").fetchone()[0]
        cash_in = conn.execute("SELECT id FROM cash_movements WHERE kind = 'in'").fetchone()[0]
        conn.execute("DELETE FROM payments WHERE id = ?", (pay,))
        conn.execute("DELETE FROM cash_movements WHERE id = ?", (cash_in,))
        sale, moved = seq_of(conn, "sale"), seq_of(conn, "cash.in")
    found = breaks(copy)
    assert {(b["seq"], b["kind"], b["id"]) for b in found} == {(sale, "missing", pay), (moved, "missing", cash_in)}
    out = cli("audit", "verify", db=copy)
    assert out.exit_code == 9 and f"cash_movements row {cash_in}" in out.output and "is gone" in out.output


def test_deleting_an_entry(copy: Path) -> None:
    with by_hand(copy) as conn:
        seq = seq_of(conn, "sale", 1)
        conn.execute("DELETE FROM journal WHERE seq = ?", (seq,))
    found = breaks(copy)
    assert (seq + 1, "deleted") in kinds_at(found)
    assert next(b for b in found if b["kind"] == "deleted")["problem"] == f"entry {seq} deleted"
    assert any(b["kind"] == "unrecorded" for b in found)  # the sale it held has no entry now


def test_deleting_the_newest_entry_is_caught_by_its_record(copy: Path) -> None:
    with by_hand(copy) as conn:
        last = conn.execute("SELECT seq, kind FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        while last["kind"] != "cash.out":  # drop the login after it too: the newest entry is the cash out
            conn.execute("DELETE FROM journal WHERE seq = ?", (last["seq"],))
            last = conn.execute("SELECT seq, kind FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        conn.execute("DELETE FROM journal WHERE seq = ?", (last["seq"],))
        mid = conn.execute("SELECT id FROM cash_movements WHERE kind = 'out'").fetchone()[0]
    found = breaks(copy)
    assert [(b["kind"], b["id"]) for b in found] == [("unrecorded", mid)]


def test_swapping_two_entries(copy: Path) -> None:
    with by_hand(copy) as conn:
        a, b = seq_of(conn, "sale", 0), seq_of(conn, "refund")
        conn.execute("UPDATE journal SET seq = -1 WHERE seq = ?", (a,))
        conn.execute("UPDATE journal SET seq = ? WHERE seq = ?", (a, b))
        conn.execute("UPDATE journal SET seq = ? WHERE seq = -1", (b,))
    found = kinds_at(breaks(copy))
    assert {(a, "reordered"), (b, "reordered")} <= found


def test_swapping_two_adjacent_entries_is_named_exactly(copy: Path) -> None:
    with by_hand(copy) as conn:
        a = seq_of(conn, "refund")
        conn.execute("UPDATE journal SET seq = -1 WHERE seq = ?", (a,))
        conn.execute("UPDATE journal SET seq = ? WHERE seq = ?", (a, a + 1))
        conn.execute("UPDATE journal SET seq = ? WHERE seq = -1", (a + 1,))
    assert kinds_at(breaks(copy)) == {(a, "reordered"), (a + 1, "reordered")}


def test_inserting_a_forged_entry_with_a_correct_hash(copy: Path) -> None:
    """Even a forger who knows the hash function, inserting in the middle, shows: the next entry does not link."""
    with by_hand(copy) as conn:
        at = seq_of(conn, "refund")
        before = conn.execute("SELECT * FROM journal WHERE seq = ?", (at - 1,)).fetchone()
        conn.execute("UPDATE journal SET seq = -seq WHERE seq >= ?", (at,))
        conn.execute("UPDATE journal SET seq = 1 - seq WHERE seq < 0")
        payload = json.dumps({"movement": {"kind": "in", "amount": 1}})
        fields = {"id": "forged", "seq": at, "terminal_id": before["terminal_id"], "kind": "cash.in",
                  "operator_id": before["operator_id"], "at": before["at"], "payload": payload}
        h = entry_hash(before["hash"], **fields)
        conn.execute("INSERT INTO journal (seq, id, terminal_id, kind, operator_id, at, payload, prev_hash, hash)"
                     " VALUES (:seq, :id, :terminal_id, :kind, :operator_id, :at, :payload, :prev, :hash)",
                     fields | {"prev": before["hash"], "hash": h})
    found = breaks(copy)
    assert (at, "inserted") in kinds_at(found)
    assert any(b["kind"] == "renumbered" for b in found)


def test_rewriting_an_entry_with_its_hash(copy: Path) -> None:
    with by_hand(copy) as conn:
        seq = seq_of(conn, "cash.in")
        e = conn.execute("SELECT * FROM journal WHERE seq = ?", (seq,)).fetchone()
        payload = e["payload"].replace('"amount":2000', '"amount":200')
        h = entry_hash(e["prev_hash"], id=e["id"], seq=seq, terminal_id=e["terminal_id"], kind=e["kind"],
                       operator_id=e["operator_id"], at=e["at"], payload=payload)
        conn.execute("UPDATE journal SET payload = ?, hash = ? WHERE seq = ?", (payload, h, seq))
    assert (seq, "edited") in kinds_at(breaks(copy))


def test_deleting_and_renumbering_to_hide_the_gap(copy: Path) -> None:
    with by_hand(copy) as conn:
        seq = seq_of(conn, "exchange")
        conn.execute("DELETE FROM journal WHERE seq = ?", (seq,))
        conn.execute("UPDATE journal SET seq = -(seq - 1) WHERE seq > ?", (seq,))
        conn.execute("UPDATE journal SET seq = -seq WHERE seq < 0")
    found = breaks(copy)
    assert found[0]["seq"] == seq and found[0]["kind"] == "deleted" and "renumbered" in found[0]["problem"]


def test_the_cli_names_each_break_and_exits_9(copy: Path, cli: Any) -> None:
    with by_hand(copy) as conn:
        seq = seq_of(conn, "sale", 2)
        conn.execute("UPDATE journal SET at = '2026-12-01T09:00:00.000000Z' WHERE seq = ?", (seq,))
    out = cli("audit", "verify", db=copy)
    assert out.exit_code == 9
    assert re.search(rf"^{seq}\s+edited\s+its contents were changed", out.stdout, re.M)
    assert "changed behind the tool's back" in out.stderr
    data = cli("audit", "verify", "--json", db=copy)
    assert data.exit_code == 9
    err = data.json()["error"]
    assert err["code"] == "audit_failed" and err["details"]["breaks"][0]["seq"] == seq


# -- any tampering, anywhere -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def journal_size(night: Path) -> int:
    with by_hand(night / DB_NAME) as conn:
        return conn.execute("SELECT max(seq) FROM journal").fetchone()[0]


def tamper_copy(night: Path) -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="tamper-"))
    try:
        yield copy_files(night, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


FIELDS = ("payload", "at", "kind", "operator_id", "terminal_id", "id")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(how=st.sampled_from(["edit", "delete", "swap"]), where=st.floats(0, 1), other=st.floats(0, 1),
       field=st.sampled_from(FIELDS))
def test_any_edit_delete_or_swap_anywhere_is_found_and_located(night: Path, journal_size: int, how: str,
                                                               where: float, other: float, field: str) -> None:
    n = journal_size
    for db in tamper_copy(night):
        with by_hand(db) as conn:
            if how == "edit":
                seq = 1 + int(where * (n - 1))
                value = conn.execute(f"SELECT {field} FROM journal WHERE seq = ?", (seq,)).fetchone()[0]
                changed = (re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), value, count=1)
                           if value and re.search(r"\d", value) else f"{value}x")
                conn.execute(f"UPDATE journal SET {field} = ? WHERE seq = ?", (changed, seq))
                expected = {(seq, "edited")}
            elif how == "delete":
                seq = 1 + int(where * (n - 2))  # the newest entry: see the test of deleting it above
                conn.execute("DELETE FROM journal WHERE seq = ?", (seq,))
                expected = {(seq + 1, "deleted")}
            else:
                a = 1 + int(where * (n - 1))
                b = 1 + int(other * (n - 2))
                b = b + 1 if b >= a else b  # two different entries
                conn.execute("UPDATE journal SET seq = -1 WHERE seq = ?", (a,))
                conn.execute("UPDATE journal SET seq = ? WHERE seq = ?", (a, b))
                conn.execute("UPDATE journal SET seq = ? WHERE seq = -1", (b,))
                expected = {(a, "reordered"), (b, "reordered")}
        found = breaks(db)
        assert found, f"{how} at {where} was not found"
        assert expected <= kinds_at(found), (how, expected, found)


def test_every_swap_deletion_and_edit_of_this_journal_is_named(night: Path) -> None:
    """Exhaustively, on the journal's rows in memory (diagnose is pure): every pair swapped, every entry but the
    newest deleted, every entry edited."""
    with by_hand(night / DB_NAME) as conn:
        entries = [dict(r) for r in conn.execute("SELECT * FROM journal ORDER BY seq")]
    n = len(entries)
    assert audit.diagnose(entries) == []
    for a in range(1, n + 1):
        for b in range(a + 1, n + 1):
            swapped = [dict(e) for e in entries]
            swapped[a - 1]["seq"], swapped[b - 1]["seq"] = b, a
            swapped.sort(key=lambda e: e["seq"])
            assert {(a, "reordered"), (b, "reordered")} <= kinds_at(audit.diagnose(swapped)), (a, b)
    for i in range(1, n):
        assert (i + 1, "deleted") in kinds_at(audit.diagnose(entries[:i - 1] + entries[i:])), i
    for i in range(1, n + 1):
        edited = [dict(e) for e in entries]
        edited[i - 1]["at"] = "2020-01-01T00:00:00.000000Z"
        assert kinds_at(audit.diagnose(edited)) == {(i, "edited")}, i
