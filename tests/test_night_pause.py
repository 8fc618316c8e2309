"""The emergency pause (sales, pickups, scans; everything, an event, a channel, a terminal) and the incident log,
through the CLI as a supervisor uses them and through the services."""

from __future__ import annotations

import pytest
from conftest import PINS
from night_kit import WebShop, act_as, at, entries, sell

from boxoffice.errors import BoxOfficeError
from boxoffice.services import pauses
from boxoffice.services.door import door_event, scan
from boxoffice.services.incidents import add_note, close_incident, open_incident, timeline
from boxoffice.services.pickup import pick_up

PAUSED = 10


@pytest.fixture
def desk(terminal, demo_events, login):  # noqa: ANN001, ANN201
    """The terminal with three paid web orders for the gala waiting at the pickup desk, and sue logged in."""
    gala, _ = demo_events
    shop = WebShop()
    orders = [shop.order(gala, name, 2) for name in ("Anna Smith", "Ben Jones", "Clara Wood")]
    shop.install(terminal, orders)
    login(terminal, "sue")
    return [o["code"] for o in orders]


def _sell_cli(cli, terminal, event: str):  # noqa: ANN001, ANN202
    return cli("sell", event, "--section", "standing", "--type", "adult=1", "--card", "4242", "--json", db=terminal)


def test_paused_sales_refuse_with_the_reason_while_pickups_go_on_until_resumed(terminal, demo_events, desk,  # noqa: ANN001
                                                                               cli) -> None:
    gala, _ = demo_events
    paused = cli("pause", "sales", "--reason", "fire alarm in the foyer", db=terminal)
    assert paused.exit_code == 0, paused.output
    assert "SALES PAUSED" in paused.stdout and "fire alarm in the foyer" in paused.stdout

    refused = cli("sell", gala, "--section", "standing", "--type", "adult=1", "--card", "4242", db=terminal)
    assert refused.exit_code == PAUSED
    assert "sales are paused everywhere: fire alarm in the foyer" in refused.stderr
    assert "resume" in refused.stderr, "the message says what lifts it"
    as_json = _sell_cli(cli, terminal, gala)
    assert as_json.exit_code == PAUSED and as_json.json()["error"]["code"] == "sales_paused"
    assert terminal.conn.execute("SELECT count(*) FROM orders WHERE channel = 'box_office'").fetchone()[0] == 0

    handed = cli("pickup", "give", desk[0], "--json", db=terminal)
    assert handed.exit_code in (0, 7), handed.output  # 7: handed out, the PDF printer aside
    assert len(handed.json()["handed_out"]) == 2

    listed = cli("pause", "list", "--json", db=terminal).json()
    assert [(p["what"], p["scope"], p["reason"]) for p in listed] == [("sales", "all", "fire alarm in the foyer")]

    resumed = cli("resume", db=terminal)
    assert resumed.exit_code == 0 and "1 pause(s) lifted" in resumed.stdout
    assert cli("pause", "list", db=terminal).stdout.strip() == "Nothing is paused."
    assert _sell_cli(cli, terminal, gala).exit_code in (0, 7)
    kinds = [e["kind"] for e in entries(terminal, "pause")] + [e["kind"] for e in entries(terminal, "resume")]
    assert kinds == ["pause", "resume"], "both are in the journal, so they sync and are chained"


def test_pause_of_one_event_leaves_the_other_on_sale(terminal, demo_events, desk, cli) -> None:  # noqa: ANN001
    gala, jazz = demo_events
    assert cli("pause", "sales", "--event", gala, "--reason", "show cancelled", db=terminal).exit_code == 0
    refused = _sell_cli(cli, terminal, gala)
    assert refused.exit_code == PAUSED
    assert f"sales are paused for {gala}: show cancelled" in refused.json()["error"]["message"]
    assert _sell_cli(cli, terminal, jazz).exit_code in (0, 7)
    wrong = cli("resume", "--event", jazz, db=terminal)
    assert wrong.exit_code == 3, "nothing was paused for the other event"
    assert cli("resume", "--event", gala, db=terminal).exit_code == 0
    assert _sell_cli(cli, terminal, gala).exit_code in (0, 7)


def test_pause_of_this_terminal_and_of_the_web_channel(terminal, demo_events, desk, cli) -> None:  # noqa: ANN001
    gala, _ = demo_events
    assert cli("pause", "sales", "--terminal", "Counter 1", "--reason", "till jammed", db=terminal).exit_code == 0
    refused = _sell_cli(cli, terminal, gala)
    assert "sales are paused on this terminal: till jammed" in refused.json()["error"]["message"]
    assert cli("resume", "--terminal", "Counter 1", db=terminal).exit_code == 0

    # Pickups of web orders paused; walk-up sales and pickups of other channels are not concerned.
    assert cli("pause", "pickups", "--channel", "web", "--reason", "web orders at door B", db=terminal).exit_code == 0
    assert _sell_cli(cli, terminal, gala).exit_code in (0, 7)
    refused = cli("pickup", "give", desk[0], "--json", db=terminal)
    assert refused.exit_code == PAUSED
    assert "pickups are paused on web: web orders at door B" in refused.json()["error"]["message"]


def test_paused_pickups_and_scans_refuse_while_sales_go_on(terminal, clock, demo_events, desk, cli) -> None:  # noqa: ANN001
    gala, _ = demo_events
    ticket = sell(terminal, gala, "standing", {"adult": 2})["tickets"]
    pause_pickups = cli("pause", "pickups", "--reason", "queue moved to door B", "--json", db=terminal).json()
    refused = cli("pickup", "give", desk[1], db=terminal)
    assert refused.exit_code == PAUSED and "queue moved to door B" in refused.stderr
    assert terminal.conn.execute("SELECT count(*) FROM pickups").fetchone()[0] == 0, "nothing was handed out"
    assert _sell_cli(cli, terminal, gala).exit_code in (0, 7)

    clock.set(at(7, 19, 0))
    ev = door_event(terminal, gala)
    assert scan(terminal, ticket[0]["token"], ev)["result"] == "admit", "scans go on while pickups are paused"
    pauses.pause(terminal, "doors held by security", what="scans", event=gala)
    with pytest.raises(BoxOfficeError) as stopped:
        scan(terminal, ticket[1]["token"], ev)
    assert stopped.value.code == "sales_paused" and "scans are paused for" in stopped.value.message
    assert "doors held by security" in stopped.value.message
    assert terminal.conn.execute("SELECT count(*) FROM checkins").fetchone()[0] == 1, "the refused scan is no scan"
    assert cli("login", "ada", db=terminal, pin=PINS["ada"]).exit_code == 0  # a week on: the session has ended
    cli_scan = cli("scan", "check", "--event", gala, db=terminal, input=ticket[1]["token"] + "\n")
    assert cli_scan.exit_code == PAUSED and "doors held by security" in cli_scan.stderr

    # A pause is lifted by its id whatever it stops (the id `pause list` shows: its last 8 characters).
    lifted = cli("resume", "--id", pause_pickups["id"][-8:], db=terminal)
    assert lifted.exit_code == 0, lifted.output
    assert cli("pickup", "give", desk[1], "--json", db=terminal).exit_code in (0, 7)
    assert cli("resume", "--what", "scans", "--event", gala, db=terminal).exit_code == 0
    assert scan(terminal, ticket[1]["token"], ev)["result"] == "admit"


def test_only_a_supervisor_pauses_and_every_pause_has_a_reason(terminal, demo_events, cli, login) -> None:  # noqa: ANN001
    gala, _ = demo_events
    login(terminal, "sam")
    refused = cli("pause", "sales", "--reason", "just because", db=terminal)
    assert refused.exit_code == 5 and "supervisor or admin" in refused.stderr
    login(terminal, "sue")
    blank = cli("pause", "sales", "--reason", "   ", db=terminal)
    assert blank.exit_code == 2 and "reason" in blank.stderr
    both = cli("pause", "sales", "--event", gala, "--channel", "web", "--reason", "x", db=terminal)
    assert both.exit_code == 2
    unknown = cli("pause", "sales", "--event", "no-such-event", "--reason", "x", db=terminal)
    assert unknown.exit_code == 3
    assert pauses.active(terminal) == []


def test_resume_by_an_id_that_names_two_pauses_is_refused(terminal, demo_events) -> None:  # noqa: ANN001
    gala, jazz = demo_events
    a = pauses.pause(terminal, "one", event=gala)
    pauses.pause(terminal, "two", event=jazz)
    with pytest.raises(BoxOfficeError) as short:
        pauses.resume(terminal, a["id"][:8])  # the start of two ids made in the same millisecond or so
    assert short.value.code in ("bad_input", "not_found")
    assert len(pauses.active(terminal)) == 2
    assert [p["id"] for p in pauses.resume(terminal, a["id"])] == [a["id"]]
    assert [p["reason"] for p in pauses.active(terminal)] == ["two"]


# --- the incident log ----------------------------------------------------------------------------------------


def test_incident_timeline_holds_the_notes_and_what_happened_in_between(terminal, clock, demo_events, desk,  # noqa: ANN001
                                                                        cli) -> None:
    gala, _ = demo_events
    before = sell(terminal, gala, "stalls", {"adult": 1})["order"]["code"]      # before the incident: not in it

    clock.advance(minutes=1)
    opened = cli("incident", "open", "printer 2 down", "--severity", "major", "--json", db=terminal)
    assert opened.exit_code == 0, opened.output
    inc = opened.json()
    short = inc["id"][-8:]
    clock.advance(minutes=1)
    assert cli("incident", "note", short, "tickets go to the PDF printer for now", db=terminal).exit_code == 0
    clock.advance(minutes=1)
    act_as(terminal, "sam")
    during = sell(terminal, gala, "stalls", {"adult": 2}, "cash")["order"]["code"]
    clock.advance(minutes=1)
    act_as(terminal, "pat")
    pick_up(terminal, desk[2], print_now=False)
    clock.advance(minutes=1)
    act_as(terminal, "sue")
    pauses.pause(terminal, "printer swap", what="sales")
    clock.advance(minutes=1)
    add_note(terminal, inc["id"], "spare printer connected")
    clock.advance(minutes=1)
    closed = cli("incident", "close", short, "--resolution", "printer replaced", "--json", db=terminal)
    assert closed.exit_code == 0 and closed.json()["resolution"] == "printer replaced"
    clock.advance(minutes=1)
    pauses.resume(terminal)                                                      # after the close: not in it

    got = cli("incident", "timeline", short, "--json", db=terminal).json()
    steps = [(t["what"], t["by"], t["text"]) for t in got["timeline"]]
    assert steps == [("note", "sue", "tickets go to the PDF printer for now"),
                     ("sale", "sam", during),
                     ("pickup", "pat", desk[2]),
                     ("pause", "sue", "printer swap"),
                     ("note", "sue", "spare printer connected")]
    assert before not in str(got)
    times = [t["at"] for t in got["timeline"]]
    assert times == sorted(times)

    text = cli("incident", "timeline", short, db=terminal)
    assert "printer 2 down (major)" in text.stdout and "closed" in text.stdout and "printer replaced" in text.stdout
    listed = cli("incident", "list", "--json", db=terminal).json()
    assert [(i["title"], i["closed_at"] is not None) for i in listed] == [("printer 2 down", True)]
    assert [e["kind"] for e in entries(terminal, "incident.open")] == ["incident.open"]
    assert len(entries(terminal, "incident.note")) == 2 and len(entries(terminal, "incident.close")) == 1


def test_a_closed_incident_takes_no_notes_and_an_open_one_lists_as_open(terminal, clock) -> None:  # noqa: ANN001
    first = open_incident(terminal, "queue at door A", "minor")
    second = open_incident(terminal, "card reader offline", "critical")
    close_incident(terminal, first["id"], "queue cleared")
    with pytest.raises(BoxOfficeError) as closed:
        add_note(terminal, first["id"], "too late")
    assert closed.value.code == "conflict"
    with pytest.raises(BoxOfficeError) as bad:
        open_incident(terminal, "x", "catastrophic")
    assert bad.value.code == "bad_input"
    from boxoffice.services.incidents import list_incidents

    assert [i["id"] for i in list_incidents(terminal, open_only=True)] == [second["id"]]
    assert timeline(terminal, second["id"][-8:])["timeline"] == []


def test_an_incident_is_named_by_enough_of_its_id(terminal, clock, cli) -> None:  # noqa: ANN001
    from boxoffice.store import night as night_store
    from boxoffice.store.db import write

    with write(terminal.conn):  # two incidents whose ids end alike, as another terminal's might
        for head in ("0000aaaa", "0000bbbb"):
            night_store.add_incident(terminal.conn, {"id": f"{head}-0000-7000-8000-00000000c0de", "title": head,
                                                     "severity": "minor", "opened_at": clock.iso(),
                                                     "opened_by": None})
    shared = cli("incident", "note", "c0de", "which one?", db=terminal)
    assert shared.exit_code == 2 and "names 2 incidents" in shared.stderr
    assert cli("incident", "note", "", "x", db=terminal).exit_code == 3
    assert cli("incident", "note", "de", "too short to name one", db=terminal).exit_code == 3
    assert cli("incident", "note", "aaaa-0000-7000-8000-00000000c0de", "this one", db=terminal).exit_code == 0
    assert [n["text"] for n in night_store.notes(terminal.conn, "0000aaaa-0000-7000-8000-00000000c0de")] == \
        ["this one"]
