"""Finding an order at the pickup desk: by code, scanned ticket, name, e-mail or phone; ranked; and fast on an event
of 100,000 web orders with Latin, accented and Chinese names."""

from __future__ import annotations

import gc
from collections import Counter
from datetime import datetime

import pytest
from pickup_fixtures import (
    BIG_EVENT,
    Central,
    Seat,
    big_catalogue,
    generate,
    orders_doc,
    query,
    setup_desk,
    standard_orders,
    web_order,
)

from boxoffice.errors import BoxOfficeError
from boxoffice.services.pickup import find


@pytest.fixture
def central() -> Central:
    return Central.make()


@pytest.fixture
def desk(terminal, central, demo_events) -> dict[str, dict]:  # noqa: ANN001
    orders = standard_orders(central, *demo_events)
    setup_desk(terminal, central, orders)
    return orders


def codes(out: dict) -> list[str]:
    return [r["code"] for r in out["results"]]


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{compact}", " {lower_spaced} "])
def test_a_code_is_found_however_it_is_typed(terminal, desk, typed: str) -> None:  # noqa: ANN001
    code = desk["zoe"]["code"]
    text = typed.format(code=code, lower=code.lower(), compact=code.replace("-", ""),
                        lower_spaced=" ".join(code.lower().replace("-", "")))
    out = find(terminal, text)
    assert out["by"] == "code" and codes(out) == [code]
    assert out["results"][0]["name"] == "Zoë O'Brien" and out["results"][0]["tickets"] == 3


def test_a_code_with_a_wrong_check_character_says_so(terminal, desk, cli) -> None:  # noqa: ANN001
    code = desk["zoe"]["code"]
    typo = code[:-1] + ("A" if code[-1] != "A" else "B")
    with pytest.raises(BoxOfficeError) as exc:
        find(terminal, typo)
    assert exc.value.code == "bad_input" and "wrong check character" in exc.value.message
    result = cli("pickup", "find", typo, db=terminal)
    assert result.exit_code == 2 and "wrong check character" in result.stderr


def test_a_surname_shaped_like_a_code_is_searched_as_a_name(terminal, desk) -> None:  # noqa: ANN001
    out = find(terminal, "STEPHENS")
    assert codes(out) == [desk["stephens"]["code"]]
    assert out["by"] == "name"
    assert out["note"] is None or "not an order code" in out["note"]


def test_a_scanned_ticket_or_its_id_finds_its_order(terminal, desk) -> None:  # noqa: ANN001
    ticket = desk["wang"]["tickets"][1]
    by_token = find(terminal, ticket["token"])
    assert by_token["by"] == "token" and codes(by_token) == [desk["wang"]["code"]]
    by_id = find(terminal, ticket["id"].upper())
    assert by_id["by"] == "ticket" and codes(by_id) == [desk["wang"]["code"]]


def test_a_forged_ticket_finds_nothing(terminal, desk, demo_events) -> None:  # noqa: ANN001
    rogue = Central.make()
    forged = rogue.sign(desk["zoe"]["tickets"][0]["id"], demo_events[0], "stalls", "F", "10")
    with pytest.raises(BoxOfficeError) as exc:
        find(terminal, forged)
    assert exc.value.code == "unknown_key"


@pytest.mark.parametrize("typed", ["Zoë O'Brien", "zoe obrien", "O'BRIEN ZOË", "brien zoe", "obri", "zo o'br",
                                   "ZOE O BRIEN", "zoe.obrien"])
def test_names_ignore_case_accents_and_word_order_and_take_prefixes(terminal, desk, typed: str) -> None:  # noqa: ANN001
    out = find(terminal, typed)
    assert codes(out)[0] == desk["zoe"]["code"], out


@pytest.mark.parametrize("typed, who", [("王小明", "wang"), ("小明", "wang"), ("王", "wang"), ("王 小明", "wang"),
                                        ("jurgen strasse", "strasse"), ("STRASSE", "strasse"),
                                        ("Jürgen Straße", "strasse")])
def test_chinese_names_and_german_sharp_s(terminal, desk, typed: str, who: str) -> None:  # noqa: ANN001
    assert codes(find(terminal, typed)) == [desk[who]["code"]]


def test_chinese_characters_typed_out_of_order_do_not_match_as_a_phrase(terminal, desk) -> None:  # noqa: ANN001
    with pytest.raises(BoxOfficeError) as exc:
        find(terminal, "明小")
    assert exc.value.code == "not_found"


def test_email_exact_in_any_case_or_in_part(terminal, desk) -> None:  # noqa: ANN001
    exact = find(terminal, "zoe.obrien@EXAMPLE.com")
    assert exact["by"] == "email" and codes(exact) == [desk["zoe"]["code"]]
    part = find(terminal, "xm.wang@")
    assert codes(part) == [desk["wang"]["code"]]


@pytest.mark.parametrize("typed", ["0123", "900123", "900 123", "+44 7700 900123", "07700 900123"])
def test_the_last_digits_of_a_phone(terminal, desk, typed: str) -> None:  # noqa: ANN001
    out = find(terminal, typed)
    assert out["by"] == "phone" and codes(out) == [desk["zoe"]["code"]]
    assert out["results"][0]["phone_end"] == "0123"


def test_fewer_than_four_phone_digits_are_refused(terminal, desk) -> None:  # noqa: ANN001
    with pytest.raises(BoxOfficeError) as exc:
        find(terminal, "123")
    assert exc.value.code == "bad_input" and "4 digits" in exc.value.message


def test_whole_words_first_then_prefixes_only_when_no_name_has_the_words(terminal, desk, central,  # noqa: ANN001
                                                                        demo_events) -> None:
    from boxoffice.services.web_orders import import_orders

    more = [web_order(central, demo_events[0], "Maria Anna Lopez-Garcia", [Seat("standing", price="22.50")]),
            web_order(central, demo_events[0], "Joe Bloggs", [Seat("standing", price="22.50")],
                      email="anna@example.org")]
    import_orders(terminal, orders_doc(more))
    # a whole word of the name, the shorter name first; then a match in the e-mail only
    assert codes(find(terminal, "anna")) == [desk["anna"]["code"], more[0]["code"], more[1]["code"]]
    assert codes(find(terminal, "anna smith")) == [desk["anna"]["code"]]  # Annabel Smithers is no whole-word match
    assert codes(find(terminal, "ann smi")) == [desk["anna"]["code"], desk["annabel"]["code"]]
    assert codes(find(terminal, "smithers ann")) == [desk["annabel"]["code"]]


def test_a_walk_up_sale_is_found_by_name_at_once(terminal, desk, demo_events) -> None:  # noqa: ANN001
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.sales import SaleRequest, sell

    sold = sell(terminal, SaleRequest(event_id=demo_events[0], section_id="standing", counts={"adult": 1},
                                      tenders=[Tender("card", card_last4="4242")], customer_name="Walter Ego",
                                      phone="07999 111222"))
    out = find(terminal, "ego walt")
    assert codes(out) == [sold["order"]["code"]] and out["results"][0]["channel"] == "box_office"
    assert codes(find(terminal, "1222")) == [sold["order"]["code"]]


def test_the_event_filter_and_nothing_found(terminal, desk, demo_events) -> None:  # noqa: ANN001
    assert codes(find(terminal, "noah", event_id=demo_events[1])) == [desk["jazz"]["code"]]
    with pytest.raises(BoxOfficeError) as exc:
        find(terminal, "noah", event_id=demo_events[0])
    assert exc.value.code == "not_found"
    with pytest.raises(BoxOfficeError) as exc:
        find(terminal, "nobody here")
    assert exc.value.code == "not_found"


def test_the_cli_shows_a_table_or_json(terminal, desk, cli, login) -> None:  # noqa: ANN001
    login(terminal.config.db_path, "pat")
    table = cli("pickup", "find", "smi", "ann", db=terminal)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "event", "out", "state", "notes", "found", "by"]
    assert desk["anna"]["code"] in lines[2] and "NOT PAID" in lines[2]
    chinese = cli("pickup", "find", "王小明", db=terminal).stdout.splitlines()
    # Each Chinese character takes two columns: the next column starts where the header's does.
    event_col = chinese[0].index("event")
    row = chinese[2]
    assert row.startswith(desk["wang"]["code"]) and "王小明" in row
    prefix, _, rest = row.partition("王小明")
    assert len(prefix) + 6 + (len(rest) - len(rest.lstrip(" "))) == event_col
    data = cli("pickup", "find", "王小明", "--json", db=terminal).json()
    assert data["by"] == "name"
    assert data["results"][0]["notes"] == "ID required" and data["results"][0]["tickets"] == 2
    missing = cli("pickup", "find", "nobody at all", db=terminal)
    assert missing.exit_code == 3 and missing.stderr.startswith("error: nothing matches")


def test_an_event_of_100000_web_orders(terminal, central) -> None:  # noqa: ANN001
    """Generated, signed, imported through the service in one transaction, then searched every way."""
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.web_orders import import_keys, import_orders

    import_catalog(terminal, big_catalogue(datetime(2026, 12, 8)))
    import_keys(terminal, central.keys_doc())
    gc.freeze()  # a few million long-lived objects: nothing for the cyclic collector to find
    try:
        generated = generate(central, 100_000)
        out = import_orders(terminal, orders_doc(generated.orders))
    finally:
        gc.unfreeze()
    assert out["created"] == 100_000 and out["tickets"] == generated.tickets
    kinds = {p.kind for p in generated.people}
    assert kinds == {"latin", "accented", "chinese"}
    assert query(terminal, "SELECT sold FROM sections WHERE event_id = ?", (BIG_EVENT,)) == [(0,)]

    same_name = Counter(p.name for p in generated.people)
    work: list[int] = []

    def timed(text: str) -> dict:
        # SQLite's own count of virtual-machine steps (every 100 of them), not a clock: the same on a busy
        # machine as on an idle one, and a scan of 100,000 orders costs hundreds of times an indexed lookup.
        steps = [0]

        def tick() -> int:
            steps[0] += 1
            return 0

        terminal.conn.set_progress_handler(tick, 100)
        try:
            result = find(terminal, text)
        finally:
            terminal.conn.set_progress_handler(None, 100)
        work.append(steps[0])
        return result

    for i in range(0, 100_000, 4999):
        order, who = generated.orders[i], generated.people[i]
        assert codes(timed(order["code"].lower().replace("-", ""))) == [order["code"]]
        assert codes(timed(order["tickets"][0]["token"])) == [order["code"]]
        by_name = timed(who.name)
        namesakes = same_name[who.name]
        # Exact namesakes come first; common names (a two-character Chinese name) may fill the list.
        assert all(r["name"] == who.name for r in by_name["results"][:min(namesakes, 20)])
        if namesakes <= 20:
            assert order["code"] in codes(by_name)
        words = who.name.split()
        if len(words) > 1:  # any word order, accents dropped
            import unicodedata

            plain = "".join(c for c in unicodedata.normalize("NFKD", " ".join(reversed(words)))
                            if not unicodedata.combining(c))
            assert order["code"] in codes(timed(plain))
        assert codes(timed(who.phone[-6:])) == [order["code"]]
        assert codes(timed(who.email.upper())) == [order["code"]]
        four = timed(who.phone[-4:])
        assert order["code"] in codes(four)
    # How fast is measured in benchmarks/bench_lookup.py; here, that a lookup reads an index, not every order:
    # one pass over 100,000 orders and their search text is well over 100,000 steps.
    assert max(work) * 100 < 50_000, f"slowest lookup {max(work) * 100} steps"
