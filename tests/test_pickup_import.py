"""Orders from the web and the keys that sign them: imported whole or refused whole, every error located, and never
touching this terminal's own stock."""

from __future__ import annotations

import copy
import json

import pytest
from pickup_fixtures import Central, Seat, orders_doc, query, setup_desk, standard_orders, web_order

from boxoffice.errors import BoxOfficeError
from boxoffice.services.web_orders import import_keys, import_orders, list_keys
from boxoffice.tickets.token import b45decode, b45encode


@pytest.fixture
def central() -> Central:
    return Central.make()


@pytest.fixture
def orders(central: Central, demo_events: tuple[str, str]) -> dict[str, dict]:
    return standard_orders(central, *demo_events)


def _errors(exc: pytest.ExceptionInfo[BoxOfficeError]) -> list[str]:
    assert exc.value.code == "invalid_document"
    return exc.value.details["errors"]


def test_keys_then_orders_through_the_cli(terminal, cli, write_json, central, orders) -> None:  # noqa: ANN001
    keys = cli("keys", "import", str(write_json(central.keys_doc(), "keys.json")), db=terminal)
    assert keys.exit_code == 0, keys.output
    assert central.kid.hex() in keys.stdout
    listed = cli("keys", "list", "--json", db=terminal).json()
    assert [k["owner"] for k in listed][:2] == [f"terminal:{terminal.terminal['id']}", "central"]
    assert listed[0]["own"] is True

    path = write_json(orders_doc(list(orders.values())), "orders.json")
    done = cli("orders", "import", str(path), db=terminal)
    assert done.exit_code == 0, done.output
    assert "Imported 7 order(s) with 11 ticket(s)" in done.stdout
    again = cli("orders", "import", str(path), "--json", db=terminal).json()
    assert again == {"created": 0, "tickets": 0, "updated": 0, "unchanged": 7, "warnings": []}
    assert query(terminal, "SELECT count(*) FROM orders WHERE channel = 'web'") == [(7,)]
    zoe = query(terminal, "SELECT status, customer_name, phone_digits, total, currency FROM orders WHERE code = ?",
                (orders["zoe"]["code"],))
    assert zoe == [("paid", "Zoë O'Brien", "447700900123", 10500, "GBP")]


def test_tokens_of_an_unknown_key_refuse_the_whole_file(terminal, cli, write_json, orders) -> None:  # noqa: ANN001
    path = write_json(orders_doc(list(orders.values())))
    result = cli("orders", "import", str(path), db=terminal)
    assert result.exit_code == 2
    assert "nothing was imported" in result.stderr
    assert "/orders/0/tickets/0/token: signed by key" in result.stderr and "keys import" in result.stderr
    assert query(terminal, "SELECT count(*) FROM orders") == [(0,)]
    assert query(terminal, "SELECT count(*) FROM tickets") == [(0,)]


def _flip(token: str, offset: int) -> str:
    raw = bytearray(b45decode(token))
    raw[offset] ^= 0x01
    return b45encode(bytes(raw))


def test_every_wrong_order_is_located_and_nothing_is_imported(terminal, central, orders,  # noqa: ANN001
                                                              demo_events) -> None:
    gala = demo_events[0]
    import_keys(terminal, central.keys_doc())
    doc = orders_doc(copy.deepcopy(list(orders.values())))
    o = doc["orders"]
    code = o[0]["code"]
    o[0]["code"] = code[:-1] + ("A" if code[-1] != "A" else "B")                  # wrong check character
    o[1]["event_id"] = "no-such-event"                                             # unknown event
    o[2]["tickets"][0]["section_id"] = "balcony"                                   # unknown section
    o[3]["tickets"][0]["token"] = _flip(o[3]["tickets"][0]["token"], 10)         # altered ticket id byte
    o[4]["tickets"][0]["token"] = o[6]["tickets"][0]["token"]                      # another ticket's token
    o[5]["tickets"][0]["seat"] = "99"                                              # a seat that does not exist
    extra = web_order(central, gala, "Ann Other", [Seat("stalls")])                 # reserved, no seat
    wrong_type = web_order(central, gala, "Type Less", [Seat("standing", ticket_type_id="vip")])
    doc["orders"] += [extra, wrong_type, copy.deepcopy(o[6])]                      # ...and a duplicate order
    with pytest.raises(BoxOfficeError) as exc:
        import_orders(terminal, doc)
    errors = "\n".join(_errors(exc))
    assert "/orders/0/code: order code" in errors and "wrong check character" in errors
    assert "/orders/1/event_id: no event 'no-such-event'" in errors
    assert "/orders/2/tickets/0/section_id: event" in errors
    assert "/orders/3/tickets/0/token: the signature does not verify" in errors
    assert "/orders/4/tickets/0/token: the token is for ticket" in errors
    assert "/orders/5/tickets/0/seat: Stalls has no seat G99" in errors
    assert "/orders/7/tickets/0: Stalls is reserved seating" in errors
    assert "/orders/8/tickets/0/ticket_type_id: event" in errors
    assert "/orders/9/id: order id" in errors and "appears twice" in errors
    assert query(terminal, "SELECT count(*) FROM orders") == [(0,)]


def test_schema_errors_are_located_by_pointer(terminal, central, orders) -> None:  # noqa: ANN001
    import_keys(terminal, central.keys_doc())
    doc = orders_doc(copy.deepcopy(list(orders.values())))
    doc["orders"][1]["tickets"][0]["price"] = 22.5
    doc["orders"][2]["status"] = "maybe"
    del doc["orders"][3]["customer"]
    with pytest.raises(BoxOfficeError) as exc:
        import_orders(terminal, doc)
    errors = _errors(exc)
    assert any(e.startswith("/orders/1/tickets/0/price:") for e in errors)
    assert any(e.startswith("/orders/2/status:") for e in errors)
    assert any(e.startswith("/orders/3:") and "customer" in e for e in errors)


def test_import_never_touches_this_terminals_stock(terminal, central, orders, demo_events) -> None:  # noqa: ANN001
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.sales import SaleRequest, sell

    gala = demo_events[0]
    sell(terminal, SaleRequest(event_id=gala, section_id="stalls", counts={"adult": 1}, seats=["F20"],
                               tenders=[Tender("card", card_last4="4242")]))
    before_sections = query(terminal, "SELECT event_id, id, allocated, sold FROM sections ORDER BY 1, 2")
    before_seats = query(terminal, "SELECT event_id, section_id, label, status, ticket_id FROM seats ORDER BY 1, 2, 3")
    clash = web_order(central, gala, "Double Booked", [Seat("stalls", "F", "20")])
    import_keys(terminal, central.keys_doc())
    out = import_orders(terminal, orders_doc([*orders.values(), clash]))
    assert out["created"] == 8
    assert query(terminal, "SELECT event_id, id, allocated, sold FROM sections ORDER BY 1, 2") == before_sections
    assert query(terminal, "SELECT event_id, section_id, label, status, ticket_id FROM seats "
                           "ORDER BY 1, 2, 3") == before_seats
    assert len(out["warnings"]) == 1 and "seat F20" in out["warnings"][0] and clash["code"] in out["warnings"][0]


def test_reimport_updates_payment_and_notes_only(terminal, central, orders) -> None:  # noqa: ANN001
    setup_desk(terminal, central, orders)
    doc = orders_doc(copy.deepcopy(list(orders.values())))
    anna = next(o for o in doc["orders"] if o["code"] == orders["anna"]["code"])
    anna["status"] = "paid"
    anna["notes"] = "paid by phone"
    out = import_orders(terminal, doc)
    assert (out["created"], out["updated"], out["unchanged"]) == (0, 1, 6)
    assert query(terminal, "SELECT status, notes FROM orders WHERE code = ?", (anna["code"],)) == [
        ("paid", "paid by phone")]
    anna["status"] = "unpaid"
    with pytest.raises(BoxOfficeError) as exc:
        import_orders(terminal, doc)
    assert "cannot make it unpaid" in "\n".join(_errors(exc))
    changed = copy.deepcopy(doc)
    changed["orders"][0]["tickets"].pop()
    changed["orders"][0]["tickets"][0]["token"] = changed["orders"][1]["tickets"][0]["token"]
    with pytest.raises(BoxOfficeError) as exc:
        import_orders(terminal, changed)
    assert "must come by sync" in "\n".join(_errors(exc))


def test_the_import_is_journalled_once_with_a_digest(terminal, central, orders) -> None:  # noqa: ANN001
    setup_desk(terminal, central, orders)
    entries = query(terminal, "SELECT payload FROM journal WHERE kind = 'orders.import'")
    assert len(entries) == 1
    payload = json.loads(entries[0][0])
    assert payload["created"] == 7 and payload["tickets"] == 11 and len(payload["sha256"]) == 64
    keys = query(terminal, "SELECT payload FROM journal WHERE kind = 'keys.import'")
    assert json.loads(keys[0][0])["keys"][0]["key_id"] == central.kid.hex()


def test_a_key_must_match_its_id_and_is_never_replaced(terminal, central) -> None:  # noqa: ANN001
    other = Central.make()
    wrong = [{**central.keys_doc()[0], "key_id": other.kid.hex()}]
    with pytest.raises(BoxOfficeError) as exc:
        import_keys(terminal, wrong)
    assert _errors(exc)[0].startswith("/0/key_id:")
    import_keys(terminal, central.keys_doc())
    assert import_keys(terminal, central.keys_doc()) == {"added": [], "unchanged": 1}
    replaced = [{**other.keys_doc()[0], "key_id": central.kid.hex()}]
    with pytest.raises(BoxOfficeError) as exc:
        import_keys(terminal, replaced)
    assert "/0/key_id" in _errors(exc)[0]
    assert [k["key_id"] for k in list_keys(terminal)].count(central.kid.hex()) == 1


def test_who_may_import(terminal, cli, write_json, login, central, orders) -> None:  # noqa: ANN001
    keys = write_json(central.keys_doc(), "keys.json")
    docs = write_json(orders_doc(list(orders.values())), "orders.json")
    login(terminal.config.db_path, "pat")
    assert cli("orders", "import", str(docs), db=terminal).exit_code == 5
    login(terminal.config.db_path, "sue")
    refused = cli("keys", "import", str(keys), "--json", db=terminal)
    assert refused.exit_code == 5 and refused.json()["error"]["code"] == "permission_denied"
    login(terminal.config.db_path, "ada")
    assert cli("keys", "import", str(keys), db=terminal).exit_code == 0
    login(terminal.config.db_path, "sue")
    assert cli("orders", "import", str(docs), db=terminal).exit_code == 0
