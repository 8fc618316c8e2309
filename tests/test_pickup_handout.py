"""Handing an order out at will-call: printed, recorded and journalled once; partly now and the rest later; a
second pickup refused with who and when; unpaid refused; a note confirmed first."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from pickup_fixtures import Central, query, setup_desk, standard_orders

from boxoffice.errors import BoxOfficeError
from boxoffice.services.pickup import pick_up, plan_pickup


@pytest.fixture
def desk(terminal, demo_events, login) -> dict[str, dict]:  # noqa: ANN001
    central = Central.make()
    orders = standard_orders(central, *demo_events)
    setup_desk(terminal, central, orders)
    login(terminal, "pat")
    return orders


def picked(ctx, code: str) -> list[tuple]:  # noqa: ANN001
    return query(ctx, "SELECT t.id, t.picked_up_at IS NOT NULL, op.name FROM tickets t"
                      " JOIN orders o ON o.id = t.order_id LEFT JOIN operators op ON op.id = t.picked_up_by"
                      " WHERE o.code = ? ORDER BY t.rowid", (code,))


def test_a_pickup_prints_records_and_journals_in_one_go(terminal, desk) -> None:  # noqa: ANN001
    code = desk["zoe"]["code"]
    out = pick_up(terminal, code)
    ids = [t["id"] for t in desk["zoe"]["tickets"]]
    assert out["handed_out"] == ids and out["remaining"] == 0
    assert out["places"] == ["Stalls F10", "Stalls F11", "Stalls F12"]
    assert [row[1:] for row in picked(terminal, code)] == [(1, "pat")] * 3
    rows = query(terminal, "SELECT ticket_id, operator_id, terminal_id FROM pickups ORDER BY rowid")
    assert [r[0] for r in rows] == ids
    assert {r[1] for r in rows} == {terminal.operator["id"]} and {r[2] for r in rows} == {terminal.terminal["id"]}
    entry = query(terminal, "SELECT payload, operator_id FROM journal WHERE kind = 'pickup'")
    assert len(entry) == 1 and json.loads(entry[0][0])["tickets"] == ids and entry[0][1] == terminal.operator["id"]
    job = query(terminal, "SELECT document, status FROM print_jobs WHERE id = ?", (out["jobs"][0],))
    doc = json.loads(job[0][0])
    assert doc["tickets"] == ids and doc["receipt"] is False and job[0][1] == "printed"
    assert Path(out["print"][0]["to"]).is_file()


def test_part_now_and_the_rest_later_by_count_and_by_ticket(terminal, desk, cli) -> None:  # noqa: ANN001
    code = desk["zoe"]["code"]
    first = cli("pickup", code, "--count", "1", db=terminal)
    assert first.exit_code == 0, first.output
    assert "1 ticket(s): Stalls F10" in first.stdout and "2 ticket(s) still to hand out" in first.stdout
    last = desk["zoe"]["tickets"][2]["id"]
    second = cli("pickup", "give", code.lower(), "--tickets", last[-8:], "--json", db=terminal).json()
    assert second["handed_out"] == [last] and second["remaining"] == 1
    assert [p for _, p, _ in picked(terminal, code)] == [1, 0, 1]
    too_many = cli("pickup", code, "--count", "2", db=terminal)
    assert too_many.exit_code == 2 and "1 ticket(s) still to hand out, not 2" in too_many.stderr
    rest = cli("pickup", code, db=terminal)
    assert rest.exit_code == 0 and "Stalls F11" in rest.stdout
    assert query(terminal, "SELECT count(*) FROM pickups") == [(3,)]


def test_a_second_pickup_is_refused_naming_who_and_when(terminal, desk, cli) -> None:  # noqa: ANN001
    code = desk["zoe"]["code"]
    assert cli("pickup", code, db=terminal).exit_code == 0
    again = cli("pickup", code, db=terminal)
    assert again.exit_code == 4
    assert "handed out already, by pat on Tue 1 Dec 10:00 at Counter 1" in again.stderr
    assert f"boxoffice order reprint {code}" in again.stderr
    data = cli("pickup", code, "--json", db=terminal).json()
    assert data["error"]["code"] == "already_picked_up" and data["error"]["details"]["by"] == "pat"
    one = cli("pickup", code, "--tickets", desk["zoe"]["tickets"][0]["id"], db=terminal)
    assert one.exit_code == 4 and "1 ticket(s) were handed out already" in one.stderr
    assert query(terminal, "SELECT count(*) FROM pickups") == [(3,)]
    assert query(terminal, "SELECT count(*) FROM journal WHERE kind = 'pickup'") == [(1,)]


def test_a_supervisor_reprints_after_a_pickup(terminal, desk, cli, login) -> None:  # noqa: ANN001
    code = desk["zoe"]["code"]
    pick_up(terminal, code)
    login(terminal.config.db_path, "sue")
    copy = cli("order", "reprint", code, db=terminal)
    assert copy.exit_code == 0, copy.output
    assert query(terminal, "SELECT copies FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.code = ?",
                 (code,)) == [(1,)] * 3


def test_an_unpaid_order_is_refused(terminal, desk, cli) -> None:  # noqa: ANN001
    result = cli("pickup", desk["anna"]["code"], "--json", db=terminal)
    assert result.exit_code == 4 and result.json()["error"]["code"] == "unpaid"
    assert query(terminal, "SELECT count(*) FROM pickups") == [(0,)]
    assert query(terminal, "SELECT count(*) FROM print_jobs") == [(0,)]


def test_a_note_is_shown_and_must_be_confirmed(terminal, desk, cli) -> None:  # noqa: ANN001
    code = desk["wang"]["code"]
    with pytest.raises(BoxOfficeError) as exc:
        pick_up(terminal, code)
    assert exc.value.code == "conflict" and "ID required" in exc.value.message
    declined = cli("pickup", code, db=terminal, input="n\n")
    assert declined.exit_code == 4
    assert "NOTE: ID required" in declined.stdout and "not confirmed" in declined.stderr
    unattended = cli("pickup", code, "--json", db=terminal)
    assert unattended.exit_code == 4 and "ID required" in unattended.json()["error"]["message"]
    assert query(terminal, "SELECT count(*) FROM pickups") == [(0,)]
    confirmed = cli("pickup", code, "--count", "1", db=terminal, input="y\n")
    assert confirmed.exit_code == 0 and "HANDED OUT" in confirmed.stdout
    assert cli("pickup", code, "--yes", db=terminal).exit_code == 0
    payloads = [json.loads(p) for (p,) in query(terminal, "SELECT payload FROM journal WHERE kind = 'pickup'")]
    assert [p["notes_confirmed"] for p in payloads] == [True, True]


def test_a_walk_up_sale_is_not_picked_up_again(terminal, desk, demo_events, login) -> None:  # noqa: ANN001
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.sales import SaleRequest, sell

    login(terminal, "sam")
    sold = sell(terminal, SaleRequest(event_id=demo_events[0], section_id="standing", counts={"adult": 1},
                                      tenders=[Tender("card", card_last4="4242")]))
    with pytest.raises(BoxOfficeError) as exc:
        pick_up(terminal, sold["order"]["code"])
    assert exc.value.code == "already_picked_up" and "sold and printed at the window" in exc.value.message


def test_two_desks_hand_out_one_order_once(terminal, desk, open_ctx, login) -> None:  # noqa: ANN001
    other = open_ctx(terminal)
    code = desk["strasse"]["code"]
    plan_pickup(other, code)  # the second desk has the order on screen too
    pick_up(terminal, code)
    with pytest.raises(BoxOfficeError) as exc:
        pick_up(other, code)
    assert exc.value.code == "already_picked_up"
    from boxoffice.store.pickup import mark_picked_up

    ticket = desk["strasse"]["tickets"][0]["id"]
    assert mark_picked_up(other.conn, ticket, "2026-12-01T10:00:00.000000Z", "x") is False
    assert query(terminal, "SELECT count(*) FROM pickups") == [(1,)]


def test_who_may_hand_out_and_a_pause(terminal, desk, cli, login) -> None:  # noqa: ANN001
    login(terminal.config.db_path, "dan")
    door = cli("pickup", desk["zoe"]["code"], db=terminal)
    assert door.exit_code == 5 and "pickup" in door.stderr
    login(terminal.config.db_path, "sue")
    assert cli("pause", "pickups", "--reason", "queue moved to door B", db=terminal).exit_code == 0
    login(terminal.config.db_path, "pat")
    paused = cli("pickup", desk["zoe"]["code"], "--json", db=terminal)
    assert paused.exit_code == 10 and "queue moved to door B" in paused.json()["error"]["message"]
    assert query(terminal, "SELECT count(*) FROM pickups") == [(0,)]


def test_a_printer_that_fails_keeps_the_pickup(terminal, desk, cli) -> None:  # noqa: ANN001
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    result = cli("pickup", desk["zoe"]["code"], db=terminal, env={"BOXOFFICE_PRINTER": f"tcp://127.0.0.1:{port}"})
    assert result.exit_code == 7, result.output
    assert "HANDED OUT" in result.stdout and "NOT PRINTED" in result.stderr
    assert query(terminal, "SELECT count(*) FROM pickups") == [(3,)]
    assert query(terminal, "SELECT status FROM print_jobs") == [("failed",)]
