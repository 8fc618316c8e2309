"""The night across every terminal, on the central service: reports that add up to the terminals' own, alerts the
central service works out and alerts raised on terminals after one sync, and the map of who holds and sold each
place. Real central service on loopback (SQLite and PostgreSQL), real terminals syncing with it."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from typing import Any

from night_kit import act_as, at, refund, sell
from sync_helpers import Central, sync

from boxoffice.central.services import alerts as central_alerts
from boxoffice.central.services import report_admin
from boxoffice.central.services.allocation_admin import allocate
from boxoffice.central.services.allocation_map import show as central_map
from boxoffice.domain.clock import system_clock
from boxoffice.services import reports
from boxoffice.services.door import door_event, scan, scan_batch
from boxoffice.services.pickup import pick_up

pytest_plugins = ["sync_support"]


def _web(central: Central, tmp_path, event: str, n: int) -> list[str]:  # noqa: ANN001
    orders = [{"ref": f"night-{event}-{i}", "event_id": event, "customer_name": f"Web Guest {i}",
               "tickets": [{"section_id": "standing", "type": "adult"}] * 2} for i in range(n)]
    return central.web_orders(orders, tmp_path)["codes"]


def _sum(reps: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """The groups of several terminals' reports added up, key by key."""
    count: Counter[str] = Counter()
    amount: Counter[str] = Counter()
    for rep in reps:
        for g in rep["groups"]:
            count[g["key"]] += g["count"]
            amount[g["key"]] += g["amount"]
    return {k: (count[k], amount[k]) for k in count}


def _groups(rep: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {g["key"]: (g["count"], g["amount"]) for g in rep["groups"]}


def _trade(ctx, clock, gala: str, n: int) -> list[dict[str, Any]]:  # noqa: ANN001
    """A few sales on one terminal, by two sellers, at two hours, every tender, both sections."""
    made = []
    for i in range(n):
        clock.set(at(0, 10 + i % 2, 5 * i))
        act_as(ctx, ("sam", "sue")[i % 2])
        made.append(sell(ctx, gala, ("stalls", "standing")[i % 2], {("adult", "child")[i % 2]: 1 + i % 2},
                         ("cash", "card", "split")[i % 3]))
    return made


def test_central_reports_are_the_sum_of_the_terminals_own(central: Central, terminals, clock, demo_events, cli,  # noqa: ANN001, PLR0915
                                                          tmp_path) -> None:
    gala, jazz = demo_events
    codes = _web(central, tmp_path, jazz, 3)
    a, b, c = terminals(3)
    for t in (a, b, c):
        sync(t)  # the web orders reach every pickup desk
    sales = {t.terminal["name"]: _trade(t, clock, gala, n) for t, n in ((a, 5), (b, 4), (c, 3))}
    clock.set(at(0, 12))
    act_as(a, "sue")
    refund(a, sales[a.terminal["name"]][0]["order"]["code"], "customer_request")
    act_as(b, "sue")
    refund(b, sales[b.terminal["name"]][1]["order"]["code"], "duplicate")
    act_as(a, "pat")
    pick_up(a, codes[0], print_now=False)
    act_as(b, "pat")
    pick_up(b, codes[1], count=1, print_now=False)
    clock.set(at(7, 18, 50))  # gala night: doors open at 18:45
    act_as(c, "ada")
    door = door_event(c, gala)
    tokens = [t["token"] for s in sales[c.terminal["name"]] for t in s["tickets"]]
    for token in tokens:
        assert scan(c, token, door)["result"] == "admit"
    assert scan(c, tokens[0], door)["code"] == "already_checked_in"
    assert scan(c, "NOT A TICKET", door)["result"] == "refused"

    own: dict[str, dict[str, Any]] = {}
    for t in (a, b, c):  # each terminal's own reports, before it learns of the others' work
        act_as(t, "sue")
        own[t.terminal["name"]] = {
            **{f"sales_{by}": reports.sales(t, by, gala) for by in ("type", "tender", "operator", "hour", "channel")},
            **{f"refunds_{by}": reports.refunds(t, by, gala) for by in ("reason", "tender", "operator")},
            "checkins": reports.checkins(t, gala), "pickups": reports.pickups(t, jazz)}
    for t in (a, b, c):
        sync(t)

    url = central.db_url
    for name in ("sales_type", "sales_tender", "sales_operator", "sales_hour", "sales_channel"):
        by = name.split("_")[1]
        assert _groups(report_admin.sales(url, by, gala)) == _sum([o[name] for o in own.values()]), by
    for name in ("refunds_reason", "refunds_tender", "refunds_operator"):
        by = name.split("_")[1]
        got = report_admin.refunds(url, by, gala)
        assert _groups(got) == _sum([o[name] for o in own.values()]), by
        assert got["total"]["amount"] > 0
    by_terminal = report_admin.sales(url, "terminal", gala)
    assert _groups(by_terminal) == {n: (o["sales_type"]["total"]["count"], o["sales_type"]["total"]["amount"])
                                    for n, o in own.items()}
    refunds_by_terminal = _groups(report_admin.refunds(url, "terminal", gala))
    assert set(refunds_by_terminal) == {a.terminal["name"], b.terminal["name"]}

    checks = report_admin.checkins(url, gala)
    mine = own[c.terminal["name"]]["checkins"]
    assert checks["total"] == mine["total"]
    (ev,) = checks["events"]
    assert ev["refused_by"] == mine["events"][0]["refused_by"] and ev["refused"] == 2
    assert [x["terminal"] for x in ev["by_terminal"]] == [c.terminal["name"]]
    assert ev["by_hour"] == mine["events"][0]["by_hour"]

    picked = report_admin.pickups(url, jazz)
    assert picked["total"]["picked_up"] == sum(o["pickups"]["total"]["picked_up"] for o in own.values()) == 3
    assert picked["total"]["waiting"] == 6 - 3
    per_desk = report_admin.pickups(url, jazz, "terminal")
    assert {(g["terminal"], g["picked_up"]) for g in per_desk["groups"] if g["picked_up"]} == {
        (a.terminal["name"], 2), (b.terminal["name"], 1)}

    # the same through the CLI: JSON, CSV, table, and the PDF
    got = cli("central", "report", "sales", "--db", url, "--by", "terminal", "--event", gala, "--json")
    assert got.exit_code == 0, got.output
    assert _groups(got.json()) == _groups(by_terminal)
    rows = list(csv.reader(io.StringIO(cli("central", "report", "sales", "--db", url, "--by", "tender", "--event",
                                           gala, "--csv").stdout)))
    assert rows[0] == ["tender", "payments", "amount GBP"]
    assert {r[0]: int(r[1]) for r in rows[1:]} == {k: v[0] for k, v in _sum(
        [o["sales_tender"] for o in own.values()]).items()}
    table = cli("central", "report", "refunds", "--db", url, "--by", "terminal").stdout
    assert a.terminal["name"] in table and "TOTAL" in table
    desks = cli("central", "report", "pickups", "--db", url, "--by", "terminal", "--event", jazz)
    assert desks.exit_code == 0 and a.terminal["name"] in desks.stdout
    doors = cli("central", "report", "checkins", "--db", url, "--by", "terminal", "--csv")
    assert list(csv.reader(io.StringIO(doors.stdout)))[1][:3] == [gala, c.terminal["name"],
                                                                   str(mine["total"]["admitted"])]
    assert cli("central", "report", "sales", "--db", url, "--by", "nonsense").exit_code == 2
    assert cli("central", "report", "sales", "--db", url, "--event", "no-such-event").exit_code == 3
    pdf = tmp_path / "venue.pdf"
    made = cli("central", "report", "pdf", "--db", url, "--to", pdf, "--json")
    assert made.exit_code == 0, made.output
    assert pdf.read_bytes().startswith(b"%PDF") and made.json()["tickets"] == by_terminal["total"]["count"] + 6


def test_a_terminal_alert_reaches_central_in_one_sync_and_a_silent_terminal_is_stale(  # noqa: PLR0915
        central: Central, terminals, clock, demo_events, cli, tmp_path) -> None:  # noqa: ANN001
    gala, _ = demo_events
    a, b = terminals(2)
    sync(a)
    sync(b)
    stale = {"sync_stale_minutes": 0.05}  # three seconds of the central service's own clock

    clock.set(at(7, 18, 50))
    act_as(a, "ada")
    scan_batch(a, ["NOT A TICKET"] * 12, door_event(a, gala))
    clock.advance(minutes=1)
    on_a = [x for x in central_alerts.alerts(central.db_url, stale, system_clock) if x["source"] == "terminal"]
    assert on_a == [], "not synced yet: the central service does not know"
    out = sync(a)
    assert out["pushed"] >= 13  # the refused scans and the alert itself
    items = central_alerts.alerts(central.db_url, stale, system_clock)
    (raised,) = [x for x in items if x["source"] == "terminal"]
    assert raised["code"] == "refused_scans" and raised["terminals"] == [a.terminal["name"]]
    assert raised["severity"] == "minor" and "12 of" in raised["message"]
    # the central service's own count: every door's refusals in the ten minutes before now (the terminals' time)
    (seen,) = [x for x in central_alerts.alerts(central.db_url, stale, clock) if x["code"] == "refused_scans"
               and x["source"] == "central"]
    assert a.terminal["name"] in seen["terminals"] and seen["value"] >= 12
    assert sync(a)["pushed"] == 0, "raised once, not at every sync"

    time.sleep(3.2)
    assert sync(a)["pushed"] == 0  # nothing to push: the pull alone tells the central service it is in touch
    items = central_alerts.alerts(central.db_url, stale, system_clock)
    ours = {a.terminal["name"], b.terminal["name"]}  # (the module's earlier tests left silent terminals too)
    late = [x for x in items if x["code"] == "terminal_stale" and x["terminals"][0] in ours]
    assert [x["terminals"] for x in late] == [[b.terminal["name"]]] and "not synced for 0 min" in late[0]["message"]
    config = tmp_path / "central.toml"
    config.write_text("[alerts]\nsync_stale_minutes = 0.05\n")
    shown = cli("--config", config, "central", "alerts", "--db", central.db_url, "--json", now=None)
    assert shown.exit_code == 0, shown.output
    assert {(x["code"], x["source"]) for x in shown.json()} >= {("terminal_stale", "central"),
                                                               ("refused_scans", "terminal")}
    text = cli("--config", config, "central", "alerts", "--db", central.db_url, now=None).stdout
    assert f"[{a.terminal['name']}]" in text and b.terminal["name"] in text and "not synced for" in text

    sync(b)
    assert not [x for x in central_alerts.alerts(central.db_url, stale, system_clock)
                if x["code"] == "terminal_stale" and b.terminal["name"] in x["terminals"]]

    clock.advance(minutes=11)  # the burst is over: the alert clears on the terminal, and centrally at its sync
    sync(a)
    assert not [x for x in central_alerts.alerts(central.db_url, stale, system_clock) if x["source"] == "terminal"]


def test_an_alert_on_several_terminals_is_listed_once_and_weighs_more(central: Central, terminals, clock,  # noqa: ANN001
                                                                      demo_events) -> None:
    gala, _ = demo_events
    doors = terminals(3)
    clock.set(at(7, 18, 50))
    for t in doors:
        act_as(t, "ada")
        scan_batch(t, ["NOT A TICKET"] * 10, door_event(t, gala))
    clock.advance(minutes=1)
    for t in doors:
        sync(t)
    (raised,) = [x for x in central_alerts.alerts(central.db_url) if x["source"] == "terminal"]
    assert sorted(raised["terminals"]) == sorted(t.terminal["name"] for t in doors)
    assert raised["severity"] == "critical" and raised["message"].startswith("on 3 terminals:")


def _seats(m: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    sec = next(s for s in m["sections"] if s["id"] == section)
    return {s["label"]: s for row in sec["rows"] for s in row["seats"]}


def test_the_central_map_names_who_holds_and_who_sold_each_place(central: Central, terminals, demo_events, cli,  # noqa: ANN001
                                                                 tmp_path) -> None:
    _, gala = demo_events  # the second event: the module's other tests sold none of its seats
    a, b = terminals(2)
    sync(a), sync(b)
    url = central.db_url
    allocate(url, gala, a.terminal["id"], "stalls", 0, ["C1", "C2", "C3"])
    allocate(url, gala, b.terminal["id"], "stalls", 0, ["D1", "D2"])
    allocate(url, gala, a.terminal["id"], "standing", 10, [])
    allocate(url, gala, b.terminal["id"], "standing", 6, [])
    sync(a), sync(b)
    act_as(a, "sam")
    sell(a, gala, "stalls", {"adult": 2}, seats=["C1", "C2"])
    sell(a, gala, "standing", {"adult": 3})
    act_as(b, "sam")
    sell(b, gala, "stalls", {"adult": 1}, seats=["D2"])
    sync(a), sync(b)
    web = central.web_orders([{"ref": "map-1", "event_id": gala, "tickets": [
        {"section_id": "stalls", "type": "adult", "seat": "A1"}]}], tmp_path)
    assert web["imported"] == 1

    m = central_map(url, gala)
    seats = _seats(m, "stalls")
    name_a, name_b = a.terminal["name"], b.terminal["name"]
    assert (seats["C1"]["state"], seats["C1"]["sold_by"], seats["C1"]["allocated_to"]) == ("sold", name_a, name_a)
    assert (seats["C3"]["state"], seats["C3"]["allocated_to"], seats["C3"]["sold_by"]) == ("allocated", name_a, None)
    assert (seats["D2"]["state"], seats["D2"]["sold_by"]) == ("sold", name_b)
    assert (seats["D1"]["state"], seats["D1"]["allocated_to"]) == ("allocated", name_b)
    assert seats["A1"]["state"] == "web" and seats["B5"]["state"] == "free"
    stalls = next(s for s in m["sections"] if s["id"] == "stalls")
    # (a terminal's sync may top its allocation up: what is allocated is counted, not assumed)
    c = stalls["counts"]
    assert (c["sold"], c["web"]) == (3, 1) and c["allocated"] == sum(
        s["state"] == "allocated" for s in seats.values()) >= 2
    assert c["free"] + c["held"] + c["allocated"] + c["sold"] + c["web"] == stalls["capacity"]
    standing = next(s for s in m["sections"] if s["id"] == "standing")
    # (by id: the map names terminals as the venue named them, and two may share a name)
    held = {t["terminal_id"]: (t["allocated"], t["sold"], t["left"]) for t in standing["terminals"]}
    id_a, id_b = a.terminal["id"], b.terminal["id"]
    assert held[id_a][1:] == (3, held[id_a][0] - 3) and held[id_b][1] == 0
    assert held[id_a][0] >= 10 and held[id_b][0] >= 6
    assert standing["free"] == standing["capacity"] - standing["web_sold"] - sum(h[0] for h in held.values())

    got = cli("central", "seats", gala, "--db", url, "--section", "stalls", "--json")
    assert got.exit_code == 0 and _seats(got.json(), "stalls")["C1"]["sold_by"] == name_a
    drawn = cli("central", "seats", gala, "--db", url).stdout
    row_c = next(line.split() for line in drawn.splitlines() if line.strip().startswith("C "))
    legend = next(line for line in drawn.splitlines() if line.startswith("legend:"))
    letter = legend.split(f" {name_a}")[0][-3]  # "X/x NAME": the terminal's letter
    assert "".join(row_c[1:]).startswith(letter * 2 + letter.lower())  # C1, C2 sold by it, C3 allocated to it
    assert f"{letter}/{letter.lower()} {name_a}" in legend and name_b in legend
    assert [*name_a.split(), *map(str, held[id_a])] in [line.split() for line in drawn.splitlines()]
    assert cli("central", "seats", "no-such-event", "--db", url).exit_code == 3
    assert cli("central", "seats", gala, "--section", "nowhere", "--db", url).exit_code == 3

    # the terminal's own map: its allocation apart from what is held or sold elsewhere
    sync(a)  # b's sale of D2 reaches it
    act_as(a, "sam")
    mine = cli("event", "seats", gala, "--section", "stalls", "--json", db=a)
    assert mine.exit_code == 0, mine.output
    (sec,) = mine.json()
    here = {s["label"]: s for row in sec["rows"] for s in row["seats"]}
    assert sec["allocation"] == "central" and sec["allocated_here"] >= 3
    assert (here["C1"]["state"], here["C1"]["here"], here["C1"]["sold_here"]) == ("sold", True, True)
    assert (here["C3"]["state"], here["C3"]["here"]) == ("free", True)
    assert (here["D1"]["state"], here["D1"]["here"]) == ("elsewhere", False)
    assert (here["D2"]["state"], here["D2"]["sold_here"]) == ("sold", False)
    drawn_here = cli("event", "seats", gala, "--section", "stalls", db=a).stdout
    row_c = next(line.split() for line in drawn_here.splitlines() if line.strip().startswith("C "))
    row_d = next(line.split() for line in drawn_here.splitlines() if line.strip().startswith("D "))
    assert "".join(row_c[1:]).startswith("xxo") and "".join(row_d[1:]).startswith("-X")
    assert "o free to sell here" in drawn_here and "X sold by another terminal" in drawn_here
