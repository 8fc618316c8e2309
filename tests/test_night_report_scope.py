"""One scope for every figure: a terminal's reports count its own work unless asked for the venue (--venue), every
breakdown of a report adds up to the same total, unpaid web orders are no sale, every desk's pickups are its own,
and the central service's figures are the sum of the terminals' own (plus the web shop's paid orders).

Three terminals sell, exchange, comp, refund, hand web orders out (in parts at two desks, and twice while cut off
from each other) and scan at the door, then sync with a real central service on SQLite and PostgreSQL; every
figure is read through the CLI, as a manager would.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from night_kit import WebShop, act_as, at, refund, sell
from sync_helpers import Central, sync

from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import reports
from boxoffice.services.door import door_event, scan
from boxoffice.services.exchanges import ExchangeRequest, exchange
from boxoffice.services.pickup import pick_up

pytest_plugins = ["sync_support"]

SALES_BY = ("type", "event", "day", "hour", "operator", "tender", "channel", "section")
REFUNDS_BY = ("reason", "tender", "operator", "day", "event")
WEB_AT = "2026-12-01T09:00:00Z"  # the web shop's orders: an hour before the box office opens
WEB_TICKET = 22_50  # an adult standing ticket of the demo catalogue


def _groups(rep: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {g["key"]: (g["count"], g["amount"]) for g in rep["groups"]}


def _add(*parts: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    count: Counter[str] = Counter()
    amount: Counter[str] = Counter()
    for part in parts:
        for k, (c, a) in part.items():
            count[k] += c
            amount[k] += a
    return {k: (count[k], amount[k]) for k in count}


def _json(cli, *args: str, **kw: Any) -> dict[str, Any]:  # noqa: ANN001
    got = cli(*args, "--json", **kw)
    assert got.exit_code == 0, got.output
    return got.json()


def _web_orders(central: Central, tmp_path, gala: str) -> list[str]:  # noqa: ANN001
    """Four paid web orders of two tickets and one unpaid of three: their codes, the unpaid one last."""
    orders = [{"ref": f"scope-{i}", "event_id": gala, "customer_name": f"Web Guest {i}", "created_at": WEB_AT,
               "tickets": [{"section_id": "standing", "type": "adult"}] * 2} for i in range(4)]
    orders.append({"ref": "scope-unpaid", "event_id": gala, "customer_name": "Pays Later", "created_at": WEB_AT,
                   "paid": False, "tickets": [{"section_id": "standing", "type": "adult"}] * 3})
    return central.web_orders(orders, tmp_path)["codes"]


def _night(a, b, c, clock, gala: str, codes: list[str]) -> None:  # noqa: ANN001, PLR0915
    """Sales, a comp, an exchange and refunds on a and b; web orders handed out at a and b; scans at a and c."""
    clock.set(at(0, 10))
    act_as(a, "sam")
    first = sell(a, gala, "standing", {"adult": 2}, "cash")
    card = sell(a, gala, "stalls", {"adult": 1}, "card")
    clock.set(at(0, 11, 20))
    split = sell(a, gala, "standing", {"adult": 1, "child": 1}, "split")
    act_as(a, "ada")
    sell(a, gala, "standing", {"comp": 1}, "comp")
    act_as(a, "sue")  # the two standing tickets move to the stalls: 45.00 of credit, 25.00 more in cash
    exchange(a, ExchangeRequest(first["order"]["code"], section_id="stalls", tenders=[Tender("cash", 50_00)]))
    act_as(b, "sam")
    sell(b, gala, "standing", {"adult": 1, "concession": 2}, "card")
    gone = sell(b, gala, "stalls", {"adult": 2}, "cash")
    sell(b, gala, "standing", {"child": 2}, "split")
    act_as(c, "sam")
    doors = [t["token"] for t in sell(c, gala, "standing", {"adult": 3}, "cash")["tickets"]]
    clock.set(at(0, 12))
    act_as(a, "sue")
    refund(a, card["order"]["code"], "customer_request")
    act_as(b, "sue")
    refund(b, gone["order"]["code"], "duplicate")

    act_as(a, "pat")  # W0 whole, one ticket of W1, and W2, which b hands out too before either syncs
    pick_up(a, codes[0], print_now=False)
    pick_up(a, codes[1], count=1, print_now=False)
    pick_up(a, codes[2], print_now=False)
    clock.set(at(0, 12, 5))
    act_as(b, "pat")
    pick_up(b, codes[2], print_now=False)
    sync(a)
    sync(b)  # b learns of a's pickups: the rest of W1 is handed out here
    pick_up(b, codes[1], print_now=False)

    clock.set(at(7, 18, 50))  # gala night: doors open at 18:45
    act_as(c, "dan")
    door = door_event(c, gala)
    for token in doors:
        assert scan(c, token, door)["result"] == "admit"
    assert scan(c, "NOT A TICKET", door)["result"] == "refused"
    act_as(a, "dan")
    assert scan(a, split["tickets"][0]["token"], door_event(a, gala))["result"] == "admit"


def test_each_report_has_one_scope_and_central_is_the_sum_of_the_terminals_own(  # noqa: PLR0915
        central: Central, terminals, clock, demo_events, cli, login, tmp_path) -> None:  # noqa: ANN001
    gala, _ = demo_events
    codes = _web_orders(central, tmp_path, gala)
    a, b, c = terminals(3)
    for t in (a, b, c):
        sync(t)  # the web orders reach every pickup desk
    _night(a, b, c, clock, gala, codes)
    names = {t.terminal["name"]: t for t in (a, b, c)}

    def own_reports() -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, t in names.items():
            login(t, "sue")
            out[name] = {**{f"sales {by}": _json(cli, "report", "sales", "--by", by, "--event", gala, db=t)
                            for by in SALES_BY},
                         **{f"refunds {by}": _json(cli, "report", "refunds", "--by", by, "--event", gala, db=t)
                            for by in REFUNDS_BY},
                         "pickups": _json(cli, "report", "pickups", "--event", gala, db=t),
                         "checkins": _json(cli, "report", "checkins", "--event", gala, db=t)}
        return out

    before = own_reports()
    for t in (a, b, c, a, b, c):  # twice round: every terminal learns everything the others did
        sync(t)
    after = own_reports()

    # -- a terminal's reports are its own work, however much it has learnt from sync ----------------------------
    for name, reps in after.items():
        for what, rep in reps.items():
            if what == "pickups":  # what still waits is what the desk knows; what it handed out is its own work
                assert [g["picked_up"] for g in rep["groups"]] == [g["picked_up"] for g in before[name][what][
                    "groups"]] and rep["total"]["picked_up"] == before[name][what]["total"]["picked_up"], name
            elif what == "checkins":  # (and "tickets", the event's tickets known here, is context, not work)
                assert rep["total"] == before[name][what]["total"], f"{name}: {what} changed when it synced"
            else:
                assert rep == before[name][what], f"{name}: {what} changed when the terminal synced"
            assert rep["scope"]["level"] == "terminal" and rep["scope"]["terminal"] == name, what
            assert rep["scope"]["includes"] and rep["scope"]["excludes"] and rep["scope"]["text"], what
        totals = {(r["total"]["amount"], r["total"]["tickets"]) for k, r in reps.items() if k.startswith("sales")}
        assert len(totals) == 1, f"{name}: every breakdown of the sales report adds up to one total: {totals}"
        for by in SALES_BY:
            rep = reps[f"sales {by}"]
            assert sum(g["amount"] for g in rep["groups"]) == rep["total"]["amount"], by
            assert sum(g["count"] for g in rep["groups"]) == rep["total"]["count"], by
        refunds = {r["total"]["amount"] for k, r in reps.items() if k.startswith("refunds")}
        assert len(refunds) == 1, f"{name}: every breakdown of the refunds report adds up to one total: {refunds}"
    mine = after[a.terminal["name"]]
    # 2 + 1 + 2 sold, a comp, and the exchange's 2 new stalls tickets: 45.00 + 35.00 + 32.50 + 0.00 + 70.00
    assert (mine["sales type"]["total"]["tickets"], mine["sales type"]["total"]["amount"]) == (8, 182_50)
    assert _groups(mine["sales tender"])["exchange_credit"] == (1, 45_00)
    assert set(_groups(mine["sales tender"])) == {"cash", "card", "comp", "exchange_credit"}
    assert mine["sales channel"]["groups"][0]["key"] == "box_office" and len(mine["sales channel"]["groups"]) == 1
    assert {n: r["pickups"]["total"]["picked_up"] for n, r in after.items()} == {
        a.terminal["name"]: 5, b.terminal["name"]: 3, c.terminal["name"]: 0}
    assert mine["pickups"]["total"]["conflicts"] == 0  # W2 was out from here first;
    assert after[b.terminal["name"]]["pickups"]["total"]["conflicts"] == 2  # b handed it out again
    assert after[c.terminal["name"]]["checkins"]["total"]["admitted"] == 3
    assert after[a.terminal["name"]]["checkins"]["total"]["admitted"] == 1  # not the 3 c let in, known by sync
    assert after[b.terminal["name"]]["checkins"]["total"] == {"admitted": 0, "exits": 0, "refused": 0, "withdrawn": 0,
                                                           "in_now": 0}

    # -- the central service: the sum of the terminals' own, and the web shop's paid orders ---------------------
    url = central.db_url
    central_reps = {by: _json(cli, "central", "report", "sales", "--db", url, "--by", by, "--event", gala)
                    for by in (*SALES_BY, "terminal")}
    web = 8 * WEB_TICKET  # four paid orders of two tickets; the unpaid one is no sale
    web_keys = {"type": "Adult", "event": central_reps["event"]["groups"][0]["key"], "day": "2026-12-01",
                "hour": "2026-12-01 09:00", "operator": "-", "channel": "web", "section": f"{gala}/standing"}
    for by in SALES_BY:
        own = _add(*(_groups(after[n][f"sales {by}"]) for n in names))
        extra = {"web": (4, web)} if by == "tender" else {web_keys[by]: (8, web)}
        assert _groups(central_reps[by]) == _add(own, extra), by
        assert central_reps[by]["scope"]["level"] == "venue" and central_reps[by]["scope"]["terminal"] is None
        assert central_reps[by]["unpaid"] == {"orders": 1, "tickets": 3, "amount": 3 * WEB_TICKET,
                                              "amount_text": "67.50"}
    assert _groups(central_reps["terminal"]) == {
        **{n: (r["sales type"]["total"]["tickets"], r["sales type"]["total"]["amount"]) for n, r in after.items()},
        "web shop": (8, web)}
    assert len({(r["total"]["amount"], r["total"]["tickets"]) for r in central_reps.values()}) == 1
    for by in REFUNDS_BY:
        got = _json(cli, "central", "report", "refunds", "--db", url, "--by", by, "--event", gala)
        assert _groups(got) == _add(*(_groups(after[n][f"refunds {by}"]) for n in names)), by
        assert got["total"]["amount"] > 0
    desks = _json(cli, "central", "report", "pickups", "--db", url, "--by", "terminal", "--event", gala)
    assert {g["terminal"]: g["picked_up"] for g in desks["groups"] if g["picked_up"]} == {
        a.terminal["name"]: 5, b.terminal["name"]: 3}
    assert desks["total"]["picked_up"] == sum(r["pickups"]["total"]["picked_up"] for r in after.values()) == 8
    assert (desks["total"]["waiting"], desks["total"]["unpaid"], desks["total"]["conflicts"]) == (2, 3, 2)
    doors = _json(cli, "central", "report", "checkins", "--db", url, "--event", gala)
    for f in ("admitted", "exits", "refused"):
        assert doors["total"][f] == sum(r["checkins"]["total"][f] for r in after.values()), f

    # -- a terminal asked for the venue: everything it knows from sync, which now is everything ------------------
    login(a, "sue")
    for by in ("type", "event", "day", "hour", "channel", "section"):
        venue = _json(cli, "report", "sales", "--venue", "--by", by, "--event", gala, db=a)
        assert _groups(venue) == _groups(central_reps[by]), by
        assert venue["scope"]["level"] == "venue" and venue["unpaid"] == central_reps[by]["unpaid"]
    tenders = _json(cli, "report", "sales", "--venue", "--by", "tender", "--event", gala, db=a)
    assert tenders["total"]["amount"] == central_reps["tender"]["total"]["amount"]
    others = sum(after[n]["sales type"]["total"]["amount"] for n in names if n != a.terminal["name"])
    assert _groups(tenders)["other_terminals"][1] == others and _groups(tenders)["web"] == (4, web)
    here = _json(cli, "report", "pickups", "--venue", "--event", gala, db=a)["total"]
    assert (here["picked_up"], here["elsewhere"], here["waiting"], here["unpaid"]) == (8, 3, 2, 3)
    seen = _json(cli, "report", "checkins", "--venue", "--event", gala, db=a)
    assert seen["total"]["admitted"] == doors["total"]["admitted"]
    refused = cli("report", "refunds", "--venue", db=a)
    assert refused.exit_code == 2 and "central report refunds" in refused.stderr

    # -- tables say what they count under the total; the PDFs carry the same scope ------------------------------
    for args in (("report", "sales"), ("report", "sales", "--by", "tender"), ("report", "refunds"),
                 ("report", "pickups"), ("report", "checkins"), ("report", "sales", "--venue")):
        lines = cli(*args, db=a).stdout.splitlines()
        total = next(i for i, line in enumerate(lines) if line.startswith("TOTAL"))
        assert lines[total + 1].startswith("Counts "), args
    table = cli("central", "report", "sales", "--db", url).stdout.splitlines()
    assert any(line.startswith("Counts every terminal's") for line in table)
    pdf = _json(cli, "report", "pdf", "--event", gala, "--to", tmp_path / "own.pdf", db=a)
    assert (pdf["tickets"], pdf["scope"]["level"]) == (mine["sales type"]["total"]["tickets"], "terminal")
    pdf = _json(cli, "report", "pdf", "--venue", "--event", gala, "--to", tmp_path / "venue.pdf", db=a)
    assert (pdf["tickets"], pdf["scope"]["level"]) == (central_reps["type"]["total"]["tickets"], "venue")
    pdf = _json(cli, "central", "report", "pdf", "--db", url, "--event", gala, "--to", tmp_path / "central.pdf")
    assert (pdf["tickets"], pdf["scope"]["level"]) == (central_reps["type"]["total"]["tickets"], "venue")


def test_an_unpaid_web_order_is_no_sale_until_it_is_paid(terminal, clock, demo_events, cli, login) -> None:  # noqa: ANN001
    gala, _ = demo_events
    shop = WebShop()
    paid, unpaid = shop.order(gala, "Paid Up", 2), shop.order(gala, "Pays Later", 3)
    unpaid["status"] = "unpaid"
    shop.install(terminal, [paid, unpaid])
    act_as(terminal, "sam")
    sell(terminal, gala, "standing", {"adult": 1}, "card")
    login(terminal, "sue")

    venue = _json(cli, "report", "sales", "--venue", "--by", "channel", db=terminal)
    assert _groups(venue) == {"box_office": (1, 22_50), "web": (2, 45_00)}
    assert venue["unpaid"] == {"orders": 1, "tickets": 3, "amount": 67_50, "amount_text": "67.50"}
    assert _groups(_json(cli, "report", "sales", "--venue", "--by", "tender", db=terminal)) == {
        "card": (1, 22_50), "web": (1, 45_00)}
    table = cli("report", "sales", "--venue", db=terminal).stdout
    assert "1 unpaid web order (3 tickets, 67.50) not counted" in table
    own = _json(cli, "report", "sales", db=terminal)
    assert own["total"]["amount"] == 22_50 and own["unpaid"]["orders"] == 0
    waiting = _json(cli, "report", "pickups", "--venue", db=terminal)["total"]
    assert (waiting["waiting"], waiting["unpaid"]) == (2, 3)

    assert reports.sales(terminal, "channel", venue=True)["groups"] == venue["groups"]
    assert reports.sales(terminal, "channel")["unpaid"]["orders"] == 0

    unpaid["status"] = "paid"  # the shop took the money: the next import says so
    act_as(terminal, "ada")
    shop.install(terminal, [paid, unpaid])
    venue = _json(cli, "report", "sales", "--venue", "--by", "channel", db=terminal)
    assert _groups(venue) == {"box_office": (1, 22_50), "web": (5, 112_50)}
    assert venue["unpaid"]["orders"] == 0


def test_a_ticket_handed_out_at_two_desks_counts_at_each(terminal, clock, demo_events, cli, login) -> None:  # noqa: ANN001
    from boxoffice.store.db import write

    gala, _ = demo_events
    shop = WebShop()
    orders = [shop.order(gala, f"Guest {i}", 2) for i in range(3)]
    shop.install(terminal, orders)
    clock.set(at(0, 12))
    twice = orders[0]
    with write(terminal.conn):  # another desk handed W0 out first, as sync records it; this desk does it again
        for t in twice["tickets"]:
            terminal.conn.execute("INSERT INTO pickups (id, order_id, ticket_id, at, operator_id, terminal_id)"
                                  " VALUES (?, ?, ?, ?, NULL, 'other-desk')",
                                  (t["id"] + "x", twice["id"], t["id"], "2026-12-01T11:00:00Z"))
            terminal.conn.execute("INSERT INTO pickups (id, order_id, ticket_id, at, operator_id, terminal_id)"
                                  " VALUES (?, ?, ?, ?, NULL, ?)",
                                  (t["id"] + "y", twice["id"], t["id"], clock.iso(), terminal.terminal["id"]))
    act_as(terminal, "pat")
    pick_up(terminal, orders[1]["code"], count=1, print_now=False)
    login(terminal, "sue")

    own = _json(cli, "report", "pickups", db=terminal)
    assert own["groups"] == [{"event": gala, "channel": "web", "picked_up": 3, "elsewhere": 0, "waiting": 3,
                              "unpaid": 0, "conflicts": 2}]
    venue = _json(cli, "report", "pickups", "--venue", db=terminal)
    assert venue["total"] == {"picked_up": 5, "elsewhere": 2, "waiting": 3, "unpaid": 0, "conflicts": 2}
    assert reports.pickups(terminal, venue=True)["total"] == venue["total"]
    assert reports.pickups(terminal)["total"] == own["total"]
    with pytest.raises(BoxOfficeError) as refused:
        reports.refunds(terminal, venue=True)
    assert refused.value.code == "bad_input"
