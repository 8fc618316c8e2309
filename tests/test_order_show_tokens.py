"""A ticket's signed token is what its QR holds and what gets its holder in. `order show` gives it only to a role
that may reprint tickets: to a seller, a door volunteer or a terminal with nobody logged in it would be an
unmarked, uncounted copy of every ticket of the order."""

from __future__ import annotations

from typing import Any

from night_kit import sell

from boxoffice.services.operators import logout
from boxoffice.services.orders import order_details


def test_only_a_role_that_may_reprint_is_shown_the_tickets_tokens(terminal: Any, demo_events: tuple[str, str],
                                                                   login: Any) -> None:
    sale = sell(terminal, demo_events[0], "stalls", {"adult": 2})
    tokens = sorted(t["token"] for t in sale["tickets"])
    for who in ("sam", "dan", "pat"):
        login(terminal, who)
        shown = order_details(terminal, sale["order"]["code"])
        assert [t["token"] for t in shown["tickets"]] == [None, None], who
        assert len({t["id"] for t in shown["tickets"]}) == 2  # the tickets themselves are still listed
    logout(terminal)
    assert [t["token"] for t in order_details(terminal, sale["order"]["code"])["tickets"]] == [None, None]
    for who in ("sue", "ada"):
        login(terminal, who)
        assert sorted(t["token"] for t in order_details(terminal, sale["order"]["code"])["tickets"]) == tokens, who
