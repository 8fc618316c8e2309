"""Will-call search by pinyin and by Chinese phone numbers: 李小明 is found by "li xiao ming", "lixiaoming" and
"lxm"; +86 138 0013 8000, 138-0013-8000 and 0086 13800138000 are one number. Through the service, the CLI, an
upgrade of a database from schema 0024 (whose index was written without pinyin), and still index-backed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from pickup_fixtures import (
    BIG_EVENT,
    Central,
    Seat,
    big_catalogue,
    generate,
    orders_doc,
    setup_desk,
    standard_orders,
    web_order,
)

from boxoffice.domain import search_text
from boxoffice.errors import BoxOfficeError
from boxoffice.services.pickup import find


@pytest.fixture
def central() -> Central:
    return Central.make()


@pytest.fixture
def desk(terminal, central, demo_events) -> dict[str, dict]:  # noqa: ANN001
    orders = standard_orders(central, *demo_events)
    gala = demo_events[0]
    orders["li"] = web_order(central, gala, "李小明", [Seat("standing", price="22.50")], email="lee@example.cn",
                             phone="0086 139 1234 5678")
    orders["homophone"] = web_order(central, gala, "黎晓鸣", [Seat("standing", price="22.50")],
                                    phone="010-6512 3456")
    orders["ouyang"] = web_order(central, gala, "欧阳娜娜", [Seat("standing", price="22.50")])
    setup_desk(terminal, central, orders)
    return orders


def codes(out: dict) -> list[str]:
    return [r["code"] for r in out["results"]]


def test_the_index_text_of_a_chinese_name() -> None:
    assert search_text.index_name("李小明").split() == ["李", "小", "明", "li", "xiao", "ming", "lixiaoming",
                                                       "xiaoming", "lixiao", "lxm"]
    assert search_text.pinyin_forms("吕方") == ["lv", "fang", "lvfang", "lf", "lu", "lufang"]
    assert search_text.pinyin_forms("Zoë O'Brien") == []


@pytest.mark.parametrize("typed", ["li xiao ming", "lixiaoming", "lxm", "LXM", "Li Xiaoming", "xiaoming li",
                                   "Lǐ Xiǎomíng", "lixiao", "李 xiaoming"])
def test_a_chinese_name_is_found_by_its_pinyin(terminal, desk, typed: str) -> None:  # noqa: ANN001
    out = find(terminal, typed)
    assert out["by"] == "name"
    assert desk["li"]["code"] in codes(out), (typed, out)


def test_homophones_match_each_other_and_the_characters_still_tell_them_apart(terminal, desk) -> None:  # noqa: ANN001
    assert set(codes(find(terminal, "li xiao ming"))) == {desk["li"]["code"], desk["homophone"]["code"]}
    assert codes(find(terminal, "李小明")) == [desk["li"]["code"]]
    assert codes(find(terminal, "黎晓鸣")) == [desk["homophone"]["code"]]


@pytest.mark.parametrize("typed", ["wang xiao ming", "wangxiaoming", "wxm"])
def test_the_other_chinese_name_of_the_desk(terminal, desk, typed: str) -> None:  # noqa: ANN001
    assert codes(find(terminal, typed)) == [desk["wang"]["code"]]


@pytest.mark.parametrize("typed", ["ouyang nana", "ouyangnana", "oynn", "nana"])
def test_a_compound_surname(terminal, desk, typed: str) -> None:  # noqa: ANN001
    assert desk["ouyang"]["code"] in codes(find(terminal, typed))


@pytest.mark.parametrize("typed", ["+86 138 0013 8000", "138-0013-8000", "0086 13800138000", "13800138000",
                                   "8613800138000", "8000", "0013 8000"])
def test_chinese_phone_forms_match_each_other_and_the_last_digits(terminal, desk, typed: str) -> None:  # noqa: ANN001
    out = find(terminal, typed)
    assert out["by"] == "phone" and codes(out) == [desk["wang"]["code"]], typed
    assert out["results"][0]["phone_end"] == "8000"


@pytest.mark.parametrize("typed", ["139-1234-5678", "+86 139 1234 5678", "13912345678", "9 1234 5678"])
def test_a_number_stored_with_0086_is_found_by_its_national_form(terminal, desk, typed: str) -> None:  # noqa: ANN001
    assert codes(find(terminal, typed)) == [desk["li"]["code"]]


@pytest.mark.parametrize("typed", ["+86 10 6512 3456", "010 6512 3456", "6512 3456"])
def test_a_fixed_line_with_its_area_code(terminal, desk, typed: str) -> None:  # noqa: ANN001
    assert codes(find(terminal, typed)) == [desk["homophone"]["code"]]


def test_pinyin_that_matches_no_one(terminal, desk) -> None:  # noqa: ANN001
    with pytest.raises(BoxOfficeError) as exc:
        find(terminal, "zhang sanfeng")
    assert exc.value.code == "not_found"


def test_the_cli_finds_by_pinyin_and_phone(terminal, desk, cli, login) -> None:  # noqa: ANN001
    login(terminal.config.db_path, "pat")
    table = cli("pickup", "find", "lxm", db=terminal)
    assert table.exit_code == 0, table.output
    assert desk["li"]["code"] in table.stdout and "李小明" in table.stdout
    data = cli("pickup", "find", "li", "xiao", "ming", "--json", db=terminal).json()
    assert data["by"] == "name"
    assert {r["code"] for r in data["results"]} == {desk["li"]["code"], desk["homophone"]["code"]}
    phone = cli("pickup", "find", "+86 138 0013 8000", "--json", db=terminal).json()
    assert phone["by"] == "phone" and [r["code"] for r in phone["results"]] == [desk["wang"]["code"]]


def _as_written_by_0024(conn) -> None:  # noqa: ANN001
    """Put the index back as schema 0024's code wrote it (no pinyin, phones as typed) and forget migration 0025."""
    for rowid, name, digits in conn.execute("SELECT rowid, customer_name, phone_digits FROM orders").fetchall():
        words = search_text.index_name(name).split()
        old = [w for w in words if w not in search_text.pinyin_forms(name)]
        conn.execute("UPDATE order_search SET name = ?, phone_rev = ? WHERE rowid = ?",
                     (" ".join(old), (digits or "")[::-1], rowid))
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0025_pinyin_search'")
    conn.commit()


def test_an_upgrade_from_schema_0024_makes_old_orders_findable_by_pinyin(terminal, desk, open_ctx,  # noqa: ANN001
                                                                         cli, login) -> None:
    from boxoffice.store import migrations

    _as_written_by_0024(terminal.conn)
    assert "0025_pinyin_search" not in migrations.applied(terminal.conn)
    assert tuple(terminal.conn.execute("SELECT count(*) FROM order_search WHERE order_search MATCH 'lxm'").fetchone()) \
        == (0,)
    before = terminal.conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    terminal.close()

    upgraded = open_ctx(terminal.config.db_path)  # opening the database applies migration 0025
    assert "0025_pinyin_search" in migrations.applied(upgraded.conn)
    assert upgraded.conn.execute("SELECT count(*) FROM orders").fetchone()[0] == before
    assert upgraded.conn.execute("SELECT count(*) FROM order_search").fetchone()[0] == before
    assert set(codes(find(upgraded, "lxm"))) == {desk["li"]["code"], desk["homophone"]["code"]}
    assert codes(find(upgraded, "Zoë O'Brien")) == [desk["zoe"]["code"]]
    assert codes(find(upgraded, "138-0013-8000")) == [desk["wang"]["code"]]
    login(upgraded, "pat")
    found = cli("pickup", "find", "wangxiaoming", "--json", db=upgraded).json()
    assert [r["code"] for r in found["results"]] == [desk["wang"]["code"]]


def test_a_database_at_schema_0024_upgrades_with_its_orders_indexed(tmp_path: Path) -> None:
    """A bare database at 0024 with an order and its old index entry: the migration writes the pinyin entry."""
    from boxoffice.store import migrations
    from boxoffice.store.db import connect

    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    assert migrations.ensure_current(old, upto="0024_blind_close")[-1] == "0024_blind_close"
    old.execute("PRAGMA foreign_keys = OFF")
    cols = {r[1]: r for r in old.execute("PRAGMA table_info(orders)")}
    values = {"id": "o1", "code": "ABCD-EFGH", "event_id": "ev", "channel": "web", "status": "paid",
              "customer_name": "李小明", "phone": "+86 138 0013 8000", "phone_digits": "8613800138000",
              "created_at": "2026-11-20T12:00:00Z", "currency": "GBP", "total": 0}
    required = {name: "" for name, r in cols.items() if r[3] and r[4] is None and name not in values}
    row = values | required
    old.execute(f"INSERT INTO orders ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
    old.execute("INSERT INTO order_search (rowid, name, email, phone_rev, order_id)"
                " SELECT rowid, '李 小 明', '', '0008310083168', id FROM orders")
    old.commit()
    old.close()
    conn = connect(path)
    assert "0025_pinyin_search" in migrations.applied(conn)
    assert [tuple(r) for r in conn.execute("SELECT order_id FROM order_search WHERE order_search MATCH 'lxm'")] \
        == [("o1",)]
    by_phone = "SELECT order_id FROM order_search WHERE phone_rev MATCH '\"00083100831\"*'"
    assert [tuple(r) for r in conn.execute(by_phone)] == [("o1",)]
    assert [tuple(r) for r in conn.execute("SELECT customer_name FROM orders")] == [("李小明",)]
    conn.close()


def test_pinyin_lookups_read_the_index_not_every_order(terminal, central) -> None:  # noqa: ANN001
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.web_orders import import_keys, import_orders

    import_catalog(terminal, big_catalogue(datetime(2026, 12, 8)))
    import_keys(terminal, central.keys_doc())
    generated = generate(central, 20_000)
    import_orders(terminal, orders_doc(generated.orders))
    chinese = [(o, p) for o, p in zip(generated.orders, generated.people, strict=True) if p.kind == "chinese"]
    work: list[int] = []
    for order, who in chinese[::700]:
        syllables = search_text.pinyin_forms(who.name)[:len(who.name)]
        steps = [0]

        def tick(steps: list[int] = steps) -> int:
            steps[0] += 1
            return 0

        terminal.conn.set_progress_handler(tick, 100)
        try:
            for typed in (" ".join(syllables), "".join(syllables), "".join(s[0] for s in syllables)):
                out = find(terminal, typed)
                assert out["by"] == "name" and out["results"], typed
        finally:
            terminal.conn.set_progress_handler(None, 100)
        work.append(steps[0])
        assert order["event_id"] == BIG_EVENT
    # A pass over 20,000 orders and their search text is well over 20,000 steps; three indexed lookups are not.
    assert max(work) * 100 < 20_000, f"slowest lookups {max(work) * 100} steps"
