"""A web order paid at one terminal's desk, through the real central service on loopback: the central copy is paid,
another desk learns it at its next sync and may hand the order out, and two desks that both took the money while cut
off from each other are flagged so one can give it back."""

from __future__ import annotations

import pytest
from sync_helpers import Central, client, sync

from boxoffice.errors import BoxOfficeError
from boxoffice.services.desk_payment import pay_order, tenders
from boxoffice.services.pickup import pick_up

pytest_plugins = ["sync_support"]


def _unpaid(central: Central, tmp_path, event_id: str, ref: str) -> str:  # noqa: ANN001
    out = central.web_orders([{"ref": ref, "event_id": event_id, "customer_name": "Pays Later", "paid": False,
                               "tickets": [{"section_id": "standing", "type": "adult"}] * 2}], tmp_path)
    return out["codes"][0]


def _status(ctx, code: str) -> str:  # noqa: ANN001
    return ctx.conn.execute("SELECT status FROM orders WHERE code = ?", (code,)).fetchone()[0]


def test_paid_at_one_desk_is_paid_centrally_and_at_the_other_desk(central, terminals, tmp_path,
                                                                    demo_events) -> None:  # noqa: ANN001
    a, b = terminals(2)
    code = _unpaid(central, tmp_path, demo_events[0], f"desk-pay-{a.terminal['tag']}")
    for t in (a, b):
        sync(t)
    with pytest.raises(BoxOfficeError) as unpaid:
        pick_up(b, code, print_now=False)
    assert unpaid.value.code == "unpaid"
    out = pay_order(a, code, tenders("100", [], "GBP"), print_receipt=False)
    assert out["total"] > 0
    assert sync(a)["conflicts"] == []
    assert central.scalar("SELECT status FROM orders WHERE code = ?", (code,)) == "paid"
    assert central.scalar("SELECT count(*) FROM claims WHERE action = 'paid'") >= 1
    sync(b)
    assert _status(b, code) == "paid"
    assert len(pick_up(b, code, print_now=False)["handed_out"]) == 2


def test_paid_twice_while_cut_off_is_flagged(central, terminals, tmp_path, demo_events) -> None:  # noqa: ANN001
    a, b = terminals(2)
    code = _unpaid(central, tmp_path, demo_events[0], f"desk-twice-{a.terminal['tag']}")
    for t in (a, b):
        sync(t)
    pay_order(a, code, tenders(None, ["4242"], "GBP"), print_receipt=False)  # the network is down
    pay_order(b, code, tenders("100", [], "GBP"), print_receipt=False)
    assert sync(a)["conflicts"] == []
    (flag,) = sync(b)["conflicts"]
    assert flag["kind"] == "paid_twice" and flag["subject"].startswith("order:")
    assert flag["first"]["terminal_id"] == a.terminal["id"] and flag["second"]["terminal_id"] == b.terminal["id"]
    assert central.scalar("SELECT status FROM orders WHERE code = ?", (code,)) == "paid"


def test_a_terminal_enrolled_without_the_sell_role_cannot_mark_an_order_paid(central, make_terminal, tmp_path,
                                                                             demo_events) -> None:  # noqa: ANN001
    from boxoffice.central.services.admin import enroll_code
    from boxoffice.services.sync.rounds import enroll as do_enroll

    desk = make_terminal(name="Pickup only", fresh=True)
    with client(central.url) as c:
        do_enroll(desk, central.url, enroll_code(central.db_url, "Pickup only", roles="pickup")["code"], c)
    code = _unpaid(central, tmp_path, demo_events[0], f"desk-role-{desk.terminal['tag']}")
    sync(desk)
    pay_order(desk, code, tenders("100", [], "GBP"), print_receipt=False)  # an admin here, but no till enrolled
    (flag,) = sync(desk)["conflicts"]
    assert flag["kind"] == "role_missing" and "order.paid" in flag["subject"]
    assert central.scalar("SELECT status FROM orders WHERE code = ?", (code,)) == "unpaid"
