"""Recall and write-off: the box office takes places back. A recall takes only the unsold places and central frees
them only when the terminal's release arrives, once; a write-off frees a dead terminal's places at once, flags what
it may have sold offline, and flags the sales it pushes later from them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sync_helpers import Central, sell, sync, write_entry, write_text_entry

from boxoffice.central.services import allocations as central_alloc
from boxoffice.central.services.allocation_admin import allocate, summary
from boxoffice.central.store.db import connect
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.services import allocations as service

pytest_plugins = ["sync_support"]

NOW = "2026-12-01T10:00:00Z"


def _row(central: Central, event: str, section: str) -> dict[str, Any]:
    row = next(r for r in summary(central.db_url, event) if r["section_id"] == section)
    assert row["web_sold"] + sum(row["allocated"].values()) + row["held"] + row["free"] == row["capacity"]
    assert row["balanced"]
    return row


def _held(ctx: Any, event: str, section: str) -> dict[str, Any]:
    return next(r for r in service.holdings(ctx, event) if r["section_id"] == section)


def test_a_recall_takes_only_unsold_places_and_central_frees_them_when_the_release_arrives(
        central: Central, terminals, demo_events, cli) -> None:
    gala, _ = demo_events
    (a,) = terminals(1)
    sync(a)  # topped up: 10 standing places
    sell(a, gala, n=3)
    tid = a.terminal["id"]
    free_before = _row(central, gala, "standing")["free"]
    r = cli("central", "recall", gala, "--terminal", a.terminal["name"], "--section", "standing",
            "--reason", "closing the desk", "--by", "Ann", "--db", central.db_url, "--json")
    assert r.exit_code == 0, r.stderr
    recall_id = r.json()["recalls"][0]["id"]
    pending = _row(central, gala, "standing")
    assert pending["free"] == free_before and pending["recalls_pending"] == [tid]  # nothing freed yet
    with connect(central.db_url) as db:  # the terminal receives it, but its release has not arrived
        page = central_alloc.grants_after(db, tid, 0)

    class PullOnly:
        def allocations(self, after: int, limit: int = 500) -> Any:
            return page

    assert service.pull_grants(a, PullOnly())["stops_applied"] == 1
    assert service.pull_grants(a, PullOnly())["stops_applied"] == 0  # the same page again: applied once
    held = _held(a, gala, "standing")
    assert held["held"] == 3 and held["sold"] == 3 and held["left"] == 0  # sold places stay, unsold left
    assert _row(central, gala, "standing")["free"] == free_before  # central frees nothing before the release
    with pytest.raises(BoxOfficeError) as refused:
        sell(a, gala)
    assert refused.value.code == "not_allocated" and "closing the desk" in refused.value.message
    out = sync(a)  # pushes the release; no top-up for a recalled section
    assert not any(t["section_id"] == "standing" and t["event_id"] == gala for t in out["top_ups"])
    after = _row(central, gala, "standing")
    assert after["free"] == free_before + 7 and after["allocated"][tid] == 3 and after["recalls_pending"] == []
    stop = central.query("SELECT state, freed, entry_id FROM allocation_stops WHERE id = ?", (recall_id,))[0]
    assert stop["state"] == "done" and stop["freed"] == 7
    sync(a)  # the release pushed again frees nothing twice
    assert _row(central, gala, "standing")["free"] == free_before + 7
    allocate(central.db_url, gala, tid, "standing", 2, [])  # a new grant by hand lifts the recall
    sync(a)
    sell(a, gala)


def test_a_written_off_terminal_coming_back_with_offline_sales_is_flagged(central: Central, terminals,
                                                                          demo_events, cli) -> None:
    gala, _ = demo_events
    dead, other = terminals(2)
    sync(dead), sync(other)
    sell(dead, gala, n=2)
    sync(dead)  # central knows 2 sold
    for _ in range(3):  # then sold 3 more offline from what it still held, never pushed
        sell(dead, gala)
    tid = dead.terminal["id"]
    held = _row(central, gala, "standing")["allocated"][tid]
    refused = cli("central", "write-off", gala, "--terminal", tid, "--by", "Ann", "--reason", "stolen",
                  "--db", central.db_url)
    assert refused.exit_code != 0 and "--yes" in refused.stderr
    r = cli("central", "write-off", gala, "--terminal", tid, "--by", "Ann", "--reason", "stolen", "--yes",
            "--db", central.db_url, "--json")
    assert r.exit_code == 0, r.stderr
    out = r.json()
    standing = next(s for s in out["sections"] if s["section_id"] == "standing")
    assert standing["known_sold"] == 2 and standing["freed"] == held - 2 and standing["risk"] == held - 2
    row = _row(central, gala, "standing")
    assert row["allocated"][tid] == 2 and row["write_offs"][0]["risk"] == held - 2
    conflicts = cli("central", "conflicts", "--db", central.db_url, "--json").json()
    assert any(c["kind"] == "write_off_risk" and c["second_terminal"] == tid for c in conflicts)
    # the terminal comes back: its 3 offline sales are flagged, naming the write-off; it drops its places. Two sale
    # entries of junk (a tampered database) flag nothing and stop nothing: before, a list for an event failed every
    # push, and an order id that is no id, sent back in a flag, made the terminal refuse its pulls
    write_entry(dead, "sale", {"order": {"id": uuid7(), "event_id": [gala]}, "tickets": [{"id": uuid7(),
                                                                                         "section_id": "standing"}]})
    write_entry(dead, "sale", {"order": {"id": "x" * 36, "event_id": gala}, "tickets": [{"id": "y" * 36,
                                                                                        "section_id": "standing"}]})
    odd = json.dumps({"order": {"event_id": gala, "id": uuid7()}, "tickets": [{"id": uuid7(), "row": "A#", "seat": "1",
                                                                           "section_id": "stalls"}]})
    write_text_entry(dead, "sale", odd.replace("#", "\\ud800"))  # a lone surrogate no driver encodes
    back = sync(dead)
    late = [c for c in central.query("SELECT * FROM conflicts WHERE kind = 'sold_after_write_off'"
                                     " AND second_terminal = ?", (tid,))]
    assert len(late) == 3 and all(standing["id"] in c["rule"] and "still free" in c["rule"] for c in late)
    assert back["stops_applied"] == 2  # both sections of the event
    assert _row(central, gala, "standing")["allocated"][tid] == 5  # the places it did sell are its own again
    assert _row(central, gala, "standing")["write_offs"][0]["late_sales"] == 3
    assert _held(dead, gala, "standing")["left"] == 0
    with pytest.raises(BoxOfficeError) as stopped:
        sell(dead, gala)
    assert stopped.value.code == "not_allocated" and "written off" in stopped.value.message
    sync(dead)  # pushed again: nothing flagged twice
    assert central.scalar("SELECT count(*) FROM conflicts WHERE kind = 'sold_after_write_off'"
                          " AND second_terminal = ?", (tid,)) == 3
    sync(other)
    sell(other, gala)  # the other terminal sells on
