"""Catalogue import: every kind of wrong document is refused whole with its errors located, and leaves the database
as it was; a good re-import updates terms, and one that would move sold places is refused."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from boxoffice.errors import BoxOfficeError
from boxoffice.services.catalog import import_catalog, import_catalog_file
from boxoffice.services.events import list_events, show_event
from boxoffice.services.operators import login


def good_doc() -> dict[str, Any]:
    """A small, valid catalogue: one event, a reserved section with an aisle and a standing floor."""
    return {
        "format": "boxoffice.catalog/1",
        "venue": {"id": "little-hall", "name": "Little Hall", "timezone": "Europe/Paris", "currency": "EUR"},
        "events": [{
            "id": "play-1", "name": "The Play", "starts_at": "2026-12-10T20:00", "doors_at": "2026-12-10T19:15",
            "tax_rate": "5.5",
            "sections": [
                {"id": "stalls", "name": "Stalls", "kind": "reserved",
                 "rows": [{"row": "A", "seats": "1-6", "aisles_after": ["3"]}, {"row": "B", "seats": "1-6"}],
                 "wheelchair": ["B1"], "held": ["A6"]},
                {"id": "floor", "name": "Floor", "kind": "general", "capacity": 50},
            ],
            "ticket_types": [{"id": "adult", "name": "Adult", "prices": {"stalls": "20.00", "floor": "12.00"}}],
            "refund_policy": [{"until_hours_before": 72, "fee_percent": "0"},
                              {"until_hours_before": 24, "fee_fixed": "2.00"}],
        }],
    }


def snapshot(ctx) -> list[str]:  # noqa: ANN001
    """Everything in the database, as SQL text."""
    return list(ctx.conn.iterdump())


def _event(doc: dict) -> dict:
    return doc["events"][0]


def _section(doc: dict, i: int) -> dict:
    return doc["events"][0]["sections"][i]


# Each case: how to spoil a good document, and the JSON pointer its error must name.
def _missing_event_name(d: dict) -> None:
    del _event(d)["name"]


def _missing_currency(d: dict) -> None:
    del d["venue"]["currency"]


def _negative_capacity(d: dict) -> None:
    _section(d, 1)["capacity"] = -5


def _seat_in_two_sections(d: dict) -> None:
    _event(d)["sections"].append({"id": "boxes", "name": "Boxes", "kind": "reserved",
                                  "rows": [{"row": "A", "seats": "5-8"}]})


def _price_for_unknown_section(d: dict) -> None:
    _event(d)["ticket_types"][0]["prices"]["balcony"] = "30.00"


def _bad_venue_time_zone(d: dict) -> None:
    d["venue"]["timezone"] = "Europe/Atlantis"


def _bad_event_time_zone(d: dict) -> None:
    _event(d)["timezone"] = "Mars/Olympus_Mons"


def _capacity_as_text(d: dict) -> None:
    _section(d, 1)["capacity"] = "50"


def _limit_as_text(d: dict) -> None:
    _event(d)["per_order_limit"] = "ten"


def _price_as_float(d: dict) -> None:
    _event(d)["ticket_types"][0]["prices"]["stalls"] = 20.0


def _events_not_a_list(d: dict) -> None:
    d["events"] = {"play-1": _event(d)}


def _doors_after_start(d: dict) -> None:
    _event(d)["doors_at"] = "2026-12-10T20:30"


def _flag_for_seat_elsewhere(d: dict) -> None:
    _section(d, 0)["wheelchair"] = ["B1", "C7"]


def _held_seat_not_in_section(d: dict) -> None:
    _section(d, 0)["held"] = ["A9"]


def _refund_tiers_out_of_order(d: dict) -> None:
    _event(d)["refund_policy"] = [{"until_hours_before": 24, "fee_percent": "0"},
                                  {"until_hours_before": 72, "fee_fixed": "2.00"}]


def _duplicate_event_id(d: dict) -> None:
    twin = copy.deepcopy(_event(d))
    twin["name"] = "The Play, again"
    d["events"].append(twin)


def _duplicate_section_id(d: dict) -> None:
    _event(d)["sections"].append({"id": "floor", "name": "Floor two", "kind": "general", "capacity": 10})


def _unknown_field(d: dict) -> None:
    _event(d)["capcity"] = 10


CASES: list[tuple[str, Callable[[dict], None], str]] = [
    ("missing event name", _missing_event_name, "/events/0"),
    ("missing venue currency", _missing_currency, "/venue"),
    ("negative capacity", _negative_capacity, "/events/0/sections/1/capacity"),
    ("seat in two sections", _seat_in_two_sections, "/events/0/sections/2/rows/0/seats"),
    ("price for unknown section", _price_for_unknown_section, "/events/0/ticket_types/0/prices/balcony"),
    ("bad venue time zone", _bad_venue_time_zone, "/venue/timezone"),
    ("bad event time zone", _bad_event_time_zone, "/events/0/timezone"),
    ("capacity as text", _capacity_as_text, "/events/0/sections/1/capacity"),
    ("limit as text", _limit_as_text, "/events/0/per_order_limit"),
    ("price as a float", _price_as_float, "/events/0/ticket_types/0/prices/stalls"),
    ("events not a list", _events_not_a_list, "/events"),
    ("doors after start", _doors_after_start, "/events/0/doors_at"),
    ("flag for a seat not in the section", _flag_for_seat_elsewhere, "/events/0/sections/0/wheelchair"),
    ("held seat not in the section", _held_seat_not_in_section, "/events/0/sections/0/held"),
    ("refund tiers out of order", _refund_tiers_out_of_order, "/events/0/refund_policy/1/until_hours_before"),
    ("duplicate event id", _duplicate_event_id, "/events/1/id"),
    ("duplicate section id", _duplicate_section_id, "/events/0/sections/2/id"),
    ("unknown field", _unknown_field, "/events/0"),
]


def test_the_good_document_imports(make_terminal) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    summary = import_catalog(ctx, good_doc())
    assert summary["created"] == 1
    ev = show_event(ctx, "play-1")
    assert ev["starts_at"] == "2026-12-10T19:00:00.000000Z"  # 20:00 in Paris is 19:00 UTC in December
    assert {s["id"]: s["capacity"] for s in ev["sections"]} == {"stalls": 12, "floor": 50}
    assert ev["ticket_types"][0]["prices"] == {"stalls": "20.00", "floor": "12.00"}


@pytest.mark.parametrize(("spoil", "pointer"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_a_wrong_document_is_refused_whole_with_the_error_located(make_terminal, spoil, pointer) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    before = snapshot(ctx)
    doc = good_doc()
    spoil(doc)
    with pytest.raises(BoxOfficeError) as err:
        import_catalog(ctx, doc)
    assert err.value.code == "invalid_document"
    assert err.value.exit_status == 2
    assert f"{pointer}" in err.value.message, err.value.message
    assert "nothing was imported" in err.value.message
    assert any(e.startswith(pointer) for e in err.value.details["errors"]), err.value.details
    assert list_events(ctx) == []
    assert snapshot(ctx) == before


def test_every_problem_is_listed_not_just_the_first(make_terminal) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    doc = good_doc()
    _price_for_unknown_section(doc)
    _doors_after_start(doc)
    _flag_for_seat_elsewhere(doc)
    with pytest.raises(BoxOfficeError) as err:
        import_catalog(ctx, doc)
    pointers = {e.split(":")[0] for e in err.value.details["errors"]}
    assert {"/events/0/ticket_types/0/prices/balcony", "/events/0/doors_at",
            "/events/0/sections/0/wheelchair"} <= pointers


def test_one_bad_event_keeps_the_good_one_out_too(make_terminal) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    doc = good_doc()
    second = copy.deepcopy(_event(doc))
    second["id"] = "play-2"
    second["sections"][1]["capacity"] = -1
    doc["events"].append(second)
    with pytest.raises(BoxOfficeError):
        import_catalog(ctx, doc)
    assert list_events(ctx) == []


def test_a_50_mb_file_is_refused_before_it_is_read(make_terminal, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    before = snapshot(ctx)
    big = tmp_path / "huge.json"
    with big.open("wb") as f:  # sparse: instant to make, 50 MB long
        f.write(b'{"format": "boxoffice.catalog/1", "events": [')
        f.truncate(50 * 1024 * 1024)
    assert big.stat().st_size == 50 * 1024 * 1024
    with pytest.raises(BoxOfficeError) as err:
        import_catalog_file(ctx, big)
    assert err.value.code == "invalid_document"
    assert str(big) in err.value.message
    assert re.search(r"52\.4 MB.*at most 20 MB", err.value.message)
    assert snapshot(ctx) == before


def test_a_file_that_is_not_json_is_refused_with_its_line(make_terminal, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "boxoffice.catalog/1",\n  "venue": {,\n}\n', encoding="utf-8")
    with pytest.raises(BoxOfficeError) as err:
        import_catalog_file(ctx, path)
    assert err.value.code == "invalid_document"
    assert "line 3" in err.value.message
    assert list_events(ctx) == []


def test_the_cli_refuses_a_wrong_document_with_status_2_and_lists_errors(make_terminal, cli, write_json) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    doc = good_doc()
    _price_for_unknown_section(doc)
    _negative_capacity(doc)
    path = write_json(doc, "venue.json")

    plain = cli("catalog", "import", path, db=ctx)
    assert plain.exit_code == 2
    assert plain.stdout == ""
    assert "/events/0/sections/1/capacity" in plain.stderr
    assert "Traceback" not in plain.output

    as_json = cli("catalog", "import", path, "--json", db=ctx)
    assert as_json.exit_code == 2
    body = as_json.json()
    assert body["error"]["code"] == "invalid_document"
    assert "/events/0/sections/1/capacity" in body["error"]["message"]
    assert list_events(ctx) == []


def test_a_valid_reimport_updates_prices_and_names(make_terminal) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    import_catalog(ctx, good_doc())
    doc = good_doc()
    _event(doc)["ticket_types"][0]["prices"]["stalls"] = "24.50"
    _event(doc)["name"] = "The Play (extended)"
    summary = import_catalog(ctx, doc)
    assert (summary["created"], summary["updated"]) == (0, 1)
    ev = show_event(ctx, "play-1")
    assert ev["name"] == "The Play (extended)"
    assert ev["ticket_types"][0]["prices"]["stalls"] == "24.50"
    assert len(list_events(ctx)) == 1


def _simulate_sale(ctx) -> None:  # noqa: ANN001
    """One sold ticket for play-1, written as a sale would leave it (sales are their own module)."""
    conn = ctx.conn
    conn.execute("INSERT INTO orders (id, code, event_id, total, currency, created_at) "
                 "VALUES ('order-1', 'TST-0001', 'play-1', 2000, 'EUR', '2026-12-01T10:00:00.000000Z')")
    conn.execute("INSERT INTO tickets (id, order_id, event_id, section_id, row, seat, ticket_type_id, price, token) "
                 "VALUES ('ticket-1', 'order-1', 'play-1', 'stalls', 'A', '1', 'adult', 2000, 'token-1')")
    conn.execute("UPDATE seats SET status = 'sold', ticket_id = 'ticket-1' WHERE event_id = 'play-1' "
                 "AND label = 'A1'")


def test_a_reimport_that_moves_places_after_a_sale_is_refused(make_terminal, cli, write_json) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    import_catalog(ctx, good_doc())
    _simulate_sale(ctx)
    before = snapshot(ctx)

    fewer_seats = good_doc()
    _section(fewer_seats, 0)["rows"][0]["seats"] = "2-6"  # seat A1, the sold one, would vanish
    _event(fewer_seats)["ticket_types"][0]["prices"]["stalls"] = "99.00"
    with pytest.raises(BoxOfficeError) as err:
        import_catalog(ctx, fewer_seats)
    assert err.value.code == "conflict"
    assert "play-1" in err.value.message
    assert snapshot(ctx) == before  # not even the new price went in

    bigger_floor = good_doc()
    _section(bigger_floor, 1)["capacity"] = 60
    result = cli("catalog", "import", write_json(bigger_floor), "--json", db=ctx)
    assert result.exit_code == 4
    assert result.json()["error"]["code"] == "conflict"
    assert snapshot(ctx) == before


def test_a_reimport_after_a_sale_may_change_prices_and_times(make_terminal) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    import_catalog(ctx, good_doc())
    _simulate_sale(ctx)
    doc = good_doc()
    _event(doc)["ticket_types"][0]["prices"]["floor"] = "15.00"
    _event(doc)["starts_at"] = "2026-12-10T20:30"
    import_catalog(ctx, doc)
    ev = show_event(ctx, "play-1")
    assert ev["ticket_types"][0]["prices"]["floor"] == "15.00"
    assert ev["starts_at"] == "2026-12-10T19:30:00.000000Z"
    seat = ctx.conn.execute("SELECT status, ticket_id FROM seats WHERE event_id = 'play-1' AND label = 'A1'").fetchone()
    assert tuple(seat) == ("sold", "ticket-1")  # the sold seat is still sold to the same ticket
    assert ctx.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1


def test_only_an_admin_may_import(make_terminal, write_json, cli) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False, logged_in="sue")
    with pytest.raises(BoxOfficeError) as err:
        import_catalog(ctx, good_doc())
    assert err.value.code == "permission_denied"
    assert "admin" in err.value.message
    result = cli("catalog", "import", write_json(good_doc()), db=ctx)
    assert result.exit_code == 5
    assert "ask an admin" in result.stderr
    assert list_events(ctx) == []
    login(ctx, "ada", "123456")
    assert import_catalog(ctx, good_doc())["created"] == 1


def test_the_demo_catalogue_is_a_valid_document(terminal, demo_events) -> None:  # noqa: ANN001
    assert [e["id"] for e in list_events(terminal)] == list(demo_events)
    gala = show_event(terminal, demo_events[0])
    assert {s["id"]: s["capacity"] for s in gala["sections"]} == {"stalls": 488, "standing": 300}
    assert {s["id"]: s["held"] for s in gala["sections"]}["stalls"] == 4


def test_a_directory_or_a_too_deeply_nested_file_is_refused_plainly(make_terminal, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = make_terminal(catalog=False)
    with pytest.raises(BoxOfficeError) as err:
        import_catalog_file(ctx, tmp_path)
    assert (err.value.code, err.value.exit_status) == ("bad_input", 2)
    assert "is a directory" in err.value.message

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(BoxOfficeError) as err:
        import_catalog_file(ctx, deep)
    assert err.value.code == "invalid_document"
    assert "too deeply" in err.value.message
    assert list_events(ctx) == []
