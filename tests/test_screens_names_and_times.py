"""What people read names terminals, sections and operators, and gives times in the venue's zone as people say them
("Tue 1 Dec 10:00"); `--json` keeps the ids and the ISO times scripts need."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync_helpers import Central, sync

from boxoffice.domain.clock import when_text
from boxoffice.domain.tenders import Tender
from boxoffice.services.context import Ctx
from boxoffice.services.sales import SaleRequest, sell

pytest_plugins = ["sync_support"]

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
LONDON = "Europe/London"


def test_the_time_helper_says_times_as_people_do() -> None:
    assert when_text("2026-12-04T19:30:00.000000Z", LONDON) == "Fri 4 Dec 19:30"
    assert when_text("2026-06-04T18:30:05Z", LONDON, year=True, seconds=True) == "Thu 4 Jun 2026 19:30:05"
    assert when_text("2026-12-04T19:30:00Z", "America/New_York") == "Fri 4 Dec 14:30"
    assert when_text(None, LONDON) == "-" and when_text(None, LONDON, missing="never") == "never"


# --- the refund receipt ---------------------------------------------------------------------------------------------


def _pit_catalogue(today: Any) -> dict[str, Any]:
    """The demo catalogue in Paris (an hour ahead of UTC in December), its standing section called 'pit'/'Front Pit'."""
    from boxoffice.services.demo_catalog import demo_catalog

    doc = copy.deepcopy(demo_catalog(today))
    doc["venue"]["timezone"] = "Europe/Paris"
    for ev in doc["events"]:
        for sec in ev["sections"]:
            if sec["id"] == "standing":
                sec |= {"id": "pit", "name": "Front Pit"}
        for t in ev["ticket_types"]:
            t["prices"] = {("pit" if k == "standing" else k): v for k, v in t["prices"].items()}
    return doc


def test_the_refund_receipt_names_the_section_and_says_the_time_in_the_venues_zone(
        make_terminal: Callable[..., Ctx], cli: Callable, clock: Any, login: Callable) -> None:
    import pypdfium2

    from boxoffice.services.catalog import import_catalog

    ctx = make_terminal(catalog=False, fresh=True)
    import_catalog(ctx, _pit_catalogue(clock().date()))
    event = ctx.conn.execute("SELECT id FROM events ORDER BY starts_at").fetchone()[0]
    login(ctx, "sam")
    sale = sell(ctx, SaleRequest(event, "pit", {"adult": 2}, [Tender("cash", 5000)]))
    out = cli("refund", sale["order"]["code"], "--yes", "--json", db=ctx)
    assert out.exit_code == 0, out.output
    assert out.json()["tickets"] == [t["id"] for t in sale["tickets"]]  # --json: ids
    pdf = pypdfium2.PdfDocument(out.json()["print"][0]["to"])
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    assert text.count("Adult Front Pit") == 2, text
    assert not re.search(r"\bpit\b", text), text  # the section's id is not what a customer reads
    assert "Tue 1 Dec 2026 11:00" in text  # 10:00 UTC is 11:00 in Paris
    assert not ISO.search(text)


# --- screens on a terminal ------------------------------------------------------------------------------------------


def test_terminal_screens_show_names_and_venue_times(terminal: Ctx, cli: Callable, login: Callable,
                                                     demo_events: tuple[str, str]) -> None:
    from pickup_fixtures import Central as Shop
    from pickup_fixtures import Seat, setup_desk, web_order

    shop = Shop.make()
    order = web_order(shop, demo_events[0], "Zoë O'Brien", [Seat("standing", price="22.50")])
    setup_desk(terminal, shop, {"zoe": order})
    found = cli("pickup", "find", "zoe", db=terminal)
    assert "Winter Gala" in found.stdout and demo_events[0] not in found.stdout
    assert cli("pickup", "find", "zoe", "--json", db=terminal).json()["results"][0]["event_id"] == demo_events[0]
    shown = cli("order", "show", order["code"], db=terminal)
    assert "Standing" in shown.stdout and "sold Fri 20 Nov 2026 12:00" in shown.stdout, shown.stdout
    assert cli("order", "show", order["code"], "--json", db=terminal).json()["tickets"][0]["section"] == "standing"
    keys = cli("keys", "list", db=terminal)
    assert "Tue 1 Dec 10:00" in keys.stdout and not ISO.search(keys.stdout), keys.stdout
    assert ISO.search(json.dumps(cli("keys", "list", "--json", db=terminal).json()))
    held = cli("allocation", "show", db=terminal)
    assert "Winter Gala" in held.stdout and "Stalls" in held.stdout and demo_events[0] not in held.stdout
    login(terminal, "sue")
    assert cli("pause", "sales", "--reason", "fire alarm", db=terminal).exit_code == 0
    paused = cli("pause", "list", db=terminal)
    assert "Tue 1 Dec 10:00" in paused.stdout and not ISO.search(paused.stdout), paused.stdout
    assert cli("incident", "open", "Fire alarm", "--severity", "major", db=terminal).exit_code == 0
    incidents = cli("incident", "list", db=terminal)
    assert "Tue 1 Dec 10:00" in incidents.stdout and not ISO.search(incidents.stdout), incidents.stdout
    log = cli("audit", "log", "--limit", "3", db=terminal)
    assert "Tue 1 Dec 2026 10:00:00" in log.stdout and not ISO.search(log.stdout), log.stdout


# --- sync and the central service -----------------------------------------------------------------------------------


def test_conflicts_name_both_terminals_and_say_when_in_the_venues_zone(
        central: Central, terminals: Callable, tmp_path: Path, demo_events: tuple[str, str], cli: Callable) -> None:
    from boxoffice.services.pickup import pick_up

    a, b = terminals(2)
    orders = [{"ref": f"names-{a.terminal['tag']}", "event_id": demo_events[0], "customer_name": "Ann Twice",
               "tickets": [{"section_id": "standing", "type": "adult"}]}]
    (code,) = central.web_orders(orders, tmp_path)["codes"]
    sync(a)
    sync(b)
    pick_up(a, code, print_now=False)  # cut off from each other: both hand it out
    pick_up(b, code, print_now=False)
    sync(a)
    sync(b)
    flags = cli("sync", "conflicts", db=b)
    assert flags.exit_code == 0, flags.output
    assert a.terminal["name"] in flags.stdout and f"{b.terminal['name']} (this terminal)" in flags.stdout
    assert a.terminal["id"] not in flags.stdout and b.terminal["id"] not in flags.stdout
    assert not ISO.search(flags.stdout), flags.stdout
    (row,) = cli("sync", "conflicts", "--all", "--json", db=b).json()
    assert (row["first_terminal"], row["second_terminal"]) == (a.terminal["id"], b.terminal["id"])
    assert (row["first_name"], ISO.match(row["flagged_at"]) is not None) == (a.terminal["name"], True)
    assert when_text(row["flagged_at"], LONDON) in flags.stdout
    status = cli("sync", "status", db=b)
    assert not ISO.search(status.stdout), status.stdout
    # The central box office's view of the same flag.
    listed = cli("central", "conflicts", "--db", central.db_url)
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.stdout.splitlines() if code in x)
    assert a.terminal["name"] in line and b.terminal["name"] in line and not ISO.search(line), line
    (mine,) = [c for c in cli("central", "conflicts", "--db", central.db_url, "--json").json()
               if c["order_code"] == code]
    assert (mine["first_terminal"], mine["second_terminal"]) == (a.terminal["id"], b.terminal["id"])
    assert when_text(mine["at"], LONDON) in line and ISO.match(mine["at"])


def test_central_allocations_and_terminals_name_sections_and_terminals(
        central: Central, terminals: Callable, demo_events: tuple[str, str], cli: Callable) -> None:
    (a,) = terminals(1)
    name, tid = a.terminal["name"], a.terminal["id"]
    db = ["--db", central.db_url]
    assert cli("central", "allocate", demo_events[0], "--terminal", name, "--section", "standing", "--count", "3",
               *db).exit_code == 0
    assert cli("central", "recall", demo_events[0], "--terminal", name, "--section", "standing", "--reason",
               "closing the desk", *db).exit_code == 0
    shown = cli("central", "allocations", demo_events[0], *db)
    assert shown.exit_code == 0, shown.output
    line = next(x for x in shown.stdout.splitlines() if x.startswith("Standing"))
    assert f"{name}: 3" in line and f"recall pending: {name}" in line, line
    assert tid not in shown.stdout
    rows = cli("central", "allocations", demo_events[0], *db, "--json").json()
    standing = next(r for r in rows if r["section_id"] == "standing")
    assert standing["allocated"][tid] == 3 and tid in standing["recalls_pending"]
    assert standing["terminal_names"][tid] == name and standing["section_name"] == "Standing"
    sync(a)  # heard from: a last-seen time to show
    listed = cli("central", "terminals", *db)
    row = next(x for x in listed.stdout.splitlines() if x.startswith(name))
    assert not ISO.search(row), row
    seen = next(t for t in cli("central", "terminals", *db, "--json").json() if t["id"] == tid)["last_seen_at"]
    assert ISO.match(seen) and when_text(seen, LONDON) in row
    code = cli("central", "enroll-code", "--name", "Counter 9", *db)
    assert "until Wed 2 Dec 10:00" in code.stdout, code.stdout
