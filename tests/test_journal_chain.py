"""The journal's text and hash (domain.chain, written by orjson where that gives the same bytes): the same as the
standard json module writes, for every character and any payload, so `boxoffice audit verify` accepts what any
release wrote; and the journal chained in memory (store.journal.Chain), where an entry appended behind its back
fails the transaction instead of forking the chain."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boxoffice.domain import chain as chain_module
from boxoffice.domain.chain import GENESIS, canonical, entry_hash, walk
from boxoffice.store import journal as journal_store
from boxoffice.store.db import write


def json_text(payload: Any) -> str:
    """The canonical text as the standard json module writes it (what domain.chain wrote before orjson)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_hash(*fields: Any) -> str:
    """An entry's hash as the standard json module writes its list of fields."""
    return hashlib.sha256(json.dumps(list(fields), separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def every_character() -> list[str]:
    """Every Unicode scalar value (no lone surrogates), in strings of a few thousand."""
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    return ["".join(chars[i:i + 4096]) for i in range(0, len(chars), 4096)]


def test_the_canonical_text_and_the_hash_are_domain_chains_for_every_character() -> None:
    for text in every_character():
        payload = {"z": text, "ticket": "t-1", "n": 12, "big": 2**63 - 1, "yes": True, "none": None, text[:3]: "k"}
        assert canonical(payload) == json_text(payload)
        assert (entry_hash(GENESIS, id="e-1", seq=7, terminal_id="term", kind="checkin", operator_id=None,
                           at="2026-12-08T19:00:00.000000Z", payload=text)
                == json_hash(GENESIS, "e-1", 7, "term", "checkin", None, "2026-12-08T19:00:00.000000Z", text))


@pytest.mark.parametrize("payload", [{"price": 22.5}, {"big": 2**70}, {"nested": {"b": 1, "a": [1.0, "x"]}},
                                     {"odd": "\ud800"}, {"deep": [{"x": [2**64]}]}, {"deep": {"k": (1, 2)}},
                                     {"deep": {"k": {"x": float("nan")}}}, {"deep": {"k": [1e16]}},
                                     {"deep": {"\ud800": 1}}])
def test_what_orjson_would_write_otherwise_goes_through_canonical(payload: dict) -> None:
    assert canonical(payload) == json_text(payload)


def test_nested_payloads_are_domain_chains_for_every_character() -> None:
    for text in every_character():
        payload = {"order": {"z": text, "n": -12, "tickets": [{"id": "t-1", text[:3]: True}, {"big": 2**63 - 1}],
                             text[-2:]: {"none": None, "deep": [[text[:5], 0, False]]}}, "a": []}
        assert canonical(payload) == json_text(payload)


_TEXT = st.text() | st.text(st.characters(blacklist_categories=()))  # the second with lone surrogates
_SCALARS = (_TEXT | st.integers(min_value=-2**64, max_value=2**64) | st.booleans() | st.none()
            | st.floats(allow_nan=True, allow_infinity=True))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner,
                                                                                             max_size=4),
                       max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_TEXT, _VALUES, max_size=6))
def test_any_nested_payload_is_written_as_domain_chains_text(payload: dict) -> None:
    assert canonical(payload) == json_text(payload)


def test_without_orjson_the_text_and_the_hash_are_still_domain_chains(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "orjson", None)  # what `import orjson` meets where it is not installed
    monkeypatch.setattr(chain_module, "_ORJSON", False)  # looked for again, as in a process without it
    assert chain_module._orjson() is None
    payload = {"name": "李小明", "ticket": "t-1", "n": 12, "yes": True, "none": None}
    assert canonical(payload) == json_text(payload)
    assert (entry_hash(GENESIS, id="e-1", seq=7, terminal_id="term", kind="sale", operator_id="op",
                       at="2026-12-08T19:00:00.000000Z", payload="{}")
            == json_hash(GENESIS, "e-1", 7, "term", "sale", "op", "2026-12-08T19:00:00.000000Z", "{}"))


def test_entries_chained_in_memory_verify_like_appended_ones(terminal) -> None:  # noqa: ANN001
    conn = terminal.conn
    with write(conn):
        journal_store.append(conn, terminal_id="t", kind="sale", operator_id="op", at="2026-12-08T18:00:00.000000Z",
                             payload={"amount": "22.50"})
        chain = journal_store.Chain(conn)
        for i in range(5):
            chain.append(terminal_id="t", kind="checkin", operator_id=None, at=f"2026-12-08T19:00:0{i}.000000Z",
                         payload={"nonce": f"n{i}", "ticket": "é" * i, "pretix_item": i})
        journal_store.append(conn, terminal_id="t", kind="sale", operator_id="op", at="2026-12-08T19:10:00.000000Z",
                             payload={"amount": "10.00"})
    entries = list(journal_store.iter_entries(conn))
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert walk(entries) == ([], [])


def test_an_entry_appended_behind_the_chains_back_fails_the_transaction(terminal) -> None:  # noqa: ANN001
    conn = terminal.conn
    before = journal_store.count(conn)
    with pytest.raises(sqlite3.IntegrityError), write(conn):
        chain = journal_store.Chain(conn)
        chain.append(terminal_id="t", kind="checkin", operator_id=None, at="2026-12-08T19:00:00.000000Z",
                     payload={"nonce": "a"})
        journal_store.append(conn, terminal_id="t", kind="sale", operator_id=None, at="2026-12-08T19:00:01.000000Z",
                             payload={"amount": "1.00"})
        chain.append(terminal_id="t", kind="checkin", operator_id=None, at="2026-12-08T19:00:02.000000Z",
                     payload={"nonce": "b"})
    assert journal_store.count(conn) == before
    assert walk(list(journal_store.iter_entries(conn))) == ([], [])


def test_the_head_and_the_recovery_state_read_together_are_what_each_read_alone_gives() -> None:
    from boxoffice.store import recovery as recovery_store

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE journal (seq INTEGER PRIMARY KEY, hash TEXT)")
    assert journal_store.head_and_recovery(conn) == ((0, GENESIS), None)  # no recovery table yet: no recovery
    conn.execute("CREATE TABLE recovery (id INTEGER PRIMARY KEY, state TEXT NOT NULL, message TEXT)")
    assert journal_store.head_and_recovery(conn) == ((0, GENESIS), None)
    conn.executemany("INSERT INTO journal VALUES (?, ?)", [(1, "a" * 64), (2, "b" * 64)])
    conn.execute("INSERT INTO recovery VALUES (1, 'needed', 'restored')")
    head, state = journal_store.head_and_recovery(conn)
    assert head == (2, "b" * 64) == (journal_store.Chain(conn).seq, journal_store.Chain(conn).hash)
    assert state == ("needed", "restored") == recovery_store.state(conn)
