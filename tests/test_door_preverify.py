"""A scanner's thread verifies its token's signature ahead (services.door.preverify), so the door's writer need not
while it waits on the disk; the writer takes that only for the same text and a key still trusted now."""

from __future__ import annotations

import pytest
from pickup_fixtures import Central, Seat, setup_desk, web_order

from boxoffice.services.door import door_event, preverify, scan_group
from boxoffice.services.door_writer import DoorWriter

GALA_EVENING = "2026-12-08T19:00:00Z"


@pytest.fixture
def tokens(terminal, demo_events, clock, login) -> list[str]:  # noqa: ANN001
    central = Central.make()
    orders = {f"g{i}": web_order(central, demo_events[0], f"Guest {i}", [Seat("standing", price="22.50")])
              for i in range(4)}
    setup_desk(terminal, central, orders)
    clock.set(GALA_EVENING)
    login(terminal, "dan")
    return [o["tickets"][0]["token"] for o in orders.values()]


def test_nothing_is_verified_ahead_before_the_door_has_looked_its_keys_up(terminal, tokens) -> None:  # noqa: ANN001
    assert preverify(terminal, tokens[0]) is None  # the keys are read from the database by the writer first


def test_a_key_distrusted_after_the_early_check_refuses_the_ticket(terminal, tokens, demo_events) -> None:  # noqa: ANN001
    ev = door_event(terminal, demo_events[0])
    assert scan_group(terminal, [(ev, tokens[0], "in")])[0]["result"] == "admit"  # the door has its keys now
    early = preverify(terminal, tokens[1])
    assert early is not None and early.decoded.ticket_id
    known = terminal.cache["public_keys"]
    known[early.decoded.key_id] = None  # the key stops being trusted (a revocation synced) before the group
    answer = scan_group(terminal, [(ev, tokens[1], "in")], [early])[0]
    assert (answer["result"], answer["code"]) == ("refused", "unknown_key")


def test_an_early_check_of_another_text_is_not_taken(terminal, tokens, demo_events) -> None:  # noqa: ANN001
    ev = door_event(terminal, demo_events[0])
    scan_group(terminal, [(ev, tokens[0], "in")])
    other = preverify(terminal, tokens[2])
    answer = scan_group(terminal, [(ev, "not a ticket", "in")], [other])[0]
    assert (answer["result"], answer["code"]) == ("refused", "malformed_token")


def test_scans_through_the_writer_are_verified_ahead_and_admitted(terminal, tokens, demo_events) -> None:  # noqa: ANN001
    ev = door_event(terminal, demo_events[0])
    with DoorWriter(terminal) as writer:
        assert writer.scan(ev, tokens[0])["result"] == "admit"
        assert [writer.scan(ev, t)["result"] for t in tokens[1:]] == ["admit"] * 3
        assert writer.scan(ev, tokens[1])["code"] == "already_checked_in"
