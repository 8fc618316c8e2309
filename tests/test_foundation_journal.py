"""The journal: what the foundation's actions append forms an unbroken hash chain naming who did what, and any
change made behind the tool's back (one byte of a payload, a deleted or reordered entry) breaks it visibly."""

from __future__ import annotations

import json

import pytest

from boxoffice.domain.chain import find_breaks
from boxoffice.errors import BoxOfficeError
from boxoffice.services import operators as ops
from boxoffice.services.catalog import import_catalog
from boxoffice.services.demo_catalog import demo_catalog
from boxoffice.store import journal


def _entries(ctx) -> list[dict]:  # noqa: ANN001
    return list(journal.iter_entries(ctx.conn))


@pytest.fixture
def busy(make_terminal, clock, cli):  # noqa: ANN001, ANN201
    """A terminal after a morning's setup, partly by services and partly by CLI commands."""
    ctx = make_terminal(catalog=False, fresh=True)
    clock.advance(minutes=5)
    import_catalog(ctx, demo_catalog(clock().date()))
    for _ in range(5):
        with pytest.raises(BoxOfficeError):
            ops.login(ctx, "dan", "0000")
    ops.set_disabled(ctx, "pat", True)
    ops.set_disabled(ctx, "pat", False)
    assert cli("login", "sam", db=ctx, pin="1111").exit_code == 0
    assert cli("logout", db=ctx).exit_code == 0
    return ctx


def test_the_actions_of_a_setup_form_an_unbroken_chain(busy) -> None:  # noqa: ANN001
    entries = _entries(busy)
    assert find_breaks(entries) == []
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    kinds = [e["kind"] for e in entries]
    assert kinds[0] == "terminal.init"
    for kind in ("operator.add", "operator.login", "catalog.import", "operator.locked", "operator.disable",
                 "operator.enable", "operator.logout"):
        assert kind in kinds
    assert kinds.count("operator.add") == 5
    assert len({e["id"] for e in entries}) == len(entries)
    assert all(e["terminal_id"] == busy.terminal["id"] for e in entries)


def test_every_entry_after_init_names_its_operator(busy) -> None:  # noqa: ANN001
    ids = {o["name"]: o["id"] for o in ops.list_operators(busy)}
    entries = _entries(busy)
    assert entries[0]["operator_id"] is None  # the terminal is made before anyone exists
    by_kind = {}
    for e in entries[1:]:
        assert e["operator_id"] in ids.values(), e
        by_kind.setdefault(e["kind"], []).append(e["operator_id"])
    assert set(by_kind["catalog.import"]) == {ids["ada"]}
    assert by_kind["operator.locked"] == [ids["dan"]]
    assert ids["sam"] in by_kind["operator.login"]
    assert by_kind["operator.logout"] == [ids["sam"]]


def test_payloads_are_canonical_json(busy) -> None:  # noqa: ANN001
    for e in _entries(busy):
        payload = json.loads(e["payload"])
        assert e["payload"] == json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "123456" not in "".join(e["payload"] for e in _entries(busy))  # no PIN ever goes in


def test_one_changed_payload_byte_is_found(busy) -> None:  # noqa: ANN001
    target = next(e for e in _entries(busy) if e["kind"] == "catalog.import")
    payload = target["payload"]
    i = payload.index('"sha256":"') + len('"sha256":"')
    forged = payload[:i] + ("0" if payload[i] != "0" else "1") + payload[i + 1:]
    assert len(forged) == len(payload) and sum(a != b for a, b in zip(forged, payload, strict=True)) == 1
    busy.conn.execute("UPDATE journal SET payload = ? WHERE seq = ?", (forged, target["seq"]))

    breaks = find_breaks(_entries(busy))
    assert [b["seq"] for b in breaks] == [target["seq"]]
    assert breaks[0]["problem"] == "contents changed after it was written"


@pytest.mark.parametrize("field", ["at", "operator_id", "kind"])
def test_a_changed_field_is_found(busy, field: str) -> None:  # noqa: ANN001
    entries = _entries(busy)
    victim = entries[3]
    new = {"at": "2026-01-01T00:00:00.000000Z", "operator_id": entries[-1]["operator_id"] + "x",
           "kind": "operator.enable"}[field]
    busy.conn.execute(f"UPDATE journal SET {field} = ? WHERE seq = ?", (new, victim["seq"]))
    assert [b["seq"] for b in find_breaks(_entries(busy))] == [victim["seq"]]


def test_a_deleted_entry_is_found(busy) -> None:  # noqa: ANN001
    busy.conn.execute("DELETE FROM journal WHERE seq = 4")
    breaks = find_breaks(_entries(busy))
    assert breaks and breaks[0]["seq"] == 5
    assert "deleted" in breaks[0]["problem"]


def test_a_rewritten_tail_is_found_even_with_its_own_hash(busy) -> None:  # noqa: ANN001
    # rewriting an entry and recomputing its hash still breaks the link to the entry after it
    from boxoffice.domain.chain import entry_hash

    e = _entries(busy)[2]
    forged_payload = json.dumps({"forged": True}, separators=(",", ":"))
    h = entry_hash(e["prev_hash"], id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"], kind=e["kind"],
                   operator_id=e["operator_id"], at=e["at"], payload=forged_payload)
    busy.conn.execute("UPDATE journal SET payload = ?, hash = ? WHERE seq = ?", (forged_payload, h, e["seq"]))
    breaks = find_breaks(_entries(busy))
    assert [b["seq"] for b in breaks] == [e["seq"] + 1]


def test_a_refused_action_adds_no_entry(terminal) -> None:  # noqa: ANN001
    before = journal.count(terminal.conn)
    doc = demo_catalog(terminal.now().date())
    doc["events"][0]["sections"][1]["capacity"] = -1
    with pytest.raises(BoxOfficeError):
        import_catalog(terminal, doc)
    with pytest.raises(BoxOfficeError):
        ops.add_operator(terminal, "sam", "seller", "1111")  # exists already
    assert journal.count(terminal.conn) == before
    assert find_breaks(_entries(terminal)) == []
