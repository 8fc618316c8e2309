"""Complaints on a terminal: anyone logged in writes one down, supervisors list and close them; the categories are
fixed; hostile notes are refused; the alert fires at 11 complaints within 5 minutes and not at 10 (nor at 11
spread over more than 5 minutes), on the test clock; the incident timeline shows them; the migration keeps rows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import PINS
from night_kit import act_as, entries, sell

from boxoffice.domain.codes import make_order_code
from boxoffice.domain.complaints import CATEGORIES
from boxoffice.errors import BoxOfficeError
from boxoffice.services import complaints
from boxoffice.services.alerts import check, check_and_journal

BAD_INPUT, NOT_FOUND, CONFLICT, DENIED = 2, 3, 4, 5


def codes_of(alerts: list[dict]) -> list[str]:
    return [a["code"] for a in alerts]


def test_the_door_writes_a_complaint_down_and_a_supervisor_lists_and_closes_it(terminal, cli,  # noqa: ANN001
                                                                               demo_events) -> None:
    gala, _ = demo_events
    assert cli("login", "dan", pin=PINS["dan"], db=terminal).exit_code == 0
    added = cli("complaint", "add", "queue", "waited 40 minutes at door B", "--event", gala, "--json", db=terminal)
    assert added.exit_code == 0, added.output
    made = added.json()["complaint"]
    assert (made["category"], made["event_id"], made["note"], made["operator"]) == ("queue", gala,
                                                                                    "waited 40 minutes at door B",
                                                                                    "dan")
    assert added.json()["alerts"] == []
    plain = cli("complaint", "add", "safety", "crowding by the bar", db=terminal)
    assert plain.exit_code == 0 and "written down: safety" in plain.stdout

    refused = cli("complaint", "list", db=terminal)
    assert refused.exit_code == DENIED and "supervisor" in refused.stderr, "the door may not read them back"
    assert cli("complaint", "close", made["id"][-8:], "--note", "x", db=terminal).exit_code == DENIED

    assert cli("login", "sue", pin=PINS["sue"], db=terminal).exit_code == 0
    listed = cli("complaint", "list", "--json", db=terminal).json()
    assert [(c["category"], c["operator"], c["closed_at"]) for c in listed] == [("queue", "dan", None),
                                                                                ("safety", "dan", None)]
    table = cli("complaint", "list", db=terminal)
    assert "waited 40 minutes at door B" in table.stdout and "crowding by the bar" in table.stdout
    assert [c["note"] for c in cli("complaint", "list", "--category", "safety", "--json", db=terminal).json()] == [
        "crowding by the bar"]
    assert [c["id"] for c in cli("complaint", "list", "--event", gala, "--json", db=terminal).json()] == [made["id"]]

    closed = cli("complaint", "close", made["id"][-8:], "--note", "apologised; queue moved to door A", "--json",
                 db=terminal)
    assert closed.exit_code == 0, closed.output
    assert (closed.json()["close_note"], closed.json()["closed_by_name"]) == ("apologised; queue moved to door A",
                                                                              "sue")
    still_open = cli("complaint", "list", "--open", "--json", db=terminal).json()
    assert [c["category"] for c in still_open] == ["safety"]
    assert [c["id"] for c in cli("complaint", "list", "--closed", "--json", db=terminal).json()] == [made["id"]]
    again = cli("complaint", "close", made["id"], "--note", "twice", db=terminal)
    assert again.exit_code == CONFLICT and "closed already" in again.stderr
    assert cli("complaint", "close", "ffffffff", "--note", "x", db=terminal).exit_code == NOT_FOUND
    assert cli("complaint", "close", made["id"][-8:], db=terminal).exit_code == BAD_INPUT, "--note is required"

    kinds = [e["kind"] for e in entries(terminal, "complaint.add")] + [e["kind"] for e in entries(terminal,
                                                                                               "complaint.close")]
    assert kinds == ["complaint.add", "complaint.add", "complaint.close"], "each step is journalled, to sync"
    assert entries(terminal, "complaint.add")[0]["payload"]["note"] == "waited 40 minutes at door B"


def test_nobody_logged_in_writes_nothing_down(make_terminal, cli) -> None:  # noqa: ANN001
    ctx = make_terminal(logged_in=None)
    out = cli("complaint", "add", "queue", db=ctx)
    assert out.exit_code == DENIED and "log in" in out.stderr


def test_the_categories_are_a_fixed_set_and_anything_else_is_refused_naming_them(terminal, cli) -> None:  # noqa: ANN001
    out = cli("complaint", "add", "noise", "the band is too loud", db=terminal)
    assert out.exit_code == BAD_INPUT
    assert "unknown complaint category 'noise'" in out.stderr
    assert all(c in out.stderr for c in CATEGORIES)
    upper = cli("complaint", "add", "Queue", "--json", db=terminal)
    assert upper.exit_code == 0 and upper.json()["complaint"]["category"] == "queue"
    as_json = cli("complaint", "add", "lighting", "--json", db=terminal)
    assert as_json.json()["error"]["code"] == "bad_input"
    assert "safety" in cli("complaint", "add", "--help").stdout
    with pytest.raises(BoxOfficeError) as typed_a_card:
        complaints.add(terminal, "4111 1111 1111 1111")
    assert "4111" not in typed_a_card.value.message and "queue" in typed_a_card.value.message
    assert [e["payload"]["category"] for e in entries(terminal, "complaint.add")] == ["queue"]


@pytest.mark.parametrize("note, code", [
    ("pay with 4111 1111 1111 1111 next time", "card_number_in_text"),
    ("line one\nline two", "bad_input"),
    ("\x1b]0;pwned\x07 rude staff", "bad_input"),
    ("the refund \u202eexe.gpj", "bad_input"),
    ("x" * 501, "bad_input"),
])
def test_a_hostile_note_is_refused_and_nothing_is_written(terminal, cli, note: str, code: str) -> None:  # noqa: ANN001
    out = cli("complaint", "add", "staff", note, "--json", db=terminal)
    assert out.exit_code == BAD_INPUT
    error = out.json()["error"]
    assert error["code"] == code
    assert "4111" not in error["message"] and "pwned" not in error["message"]
    assert entries(terminal, "complaint.add") == []
    assert terminal.conn.execute("SELECT count(*) FROM complaints").fetchone()[0] == 0


def test_a_note_of_any_script_at_the_limit_is_kept_as_typed(terminal) -> None:  # noqa: ANN001
    note = "排队太久了，工作人员态度很好 👩‍👩‍👧 " + "x" * 470
    note = note[:500]
    done = complaints.add(terminal, "queue", note)
    assert done["complaint"]["note"] == note.strip()


def test_a_complaint_about_an_order_or_a_ticket_takes_its_event(terminal, demo_events) -> None:  # noqa: ANN001
    gala, jazz = demo_events
    act_as(terminal, "sam")
    sold = sell(terminal, gala, "standing", {"adult": 2}, "card")
    code, first = sold["order"]["code"], sold["tickets"][0]
    by_code = complaints.add(terminal, "price", "booking fee not shown", order=code)["complaint"]
    assert (by_code["order_code"], by_code["event_id"], by_code["ticket_id"]) == (code, gala, None)
    by_scan = complaints.add(terminal, "seat", "view blocked", ticket=first["token"])["complaint"]
    assert (by_scan["order_code"], by_scan["ticket_id"], by_scan["event_id"]) == (code, first["id"], gala)
    by_id = complaints.add(terminal, "seat", None, ticket=first["id"], order=code)["complaint"]
    assert by_id["ticket_id"] == first["id"] and by_id["note"] is None
    with pytest.raises(BoxOfficeError) as wrong:
        complaints.add(terminal, "price", order=code, event=jazz)
    assert wrong.value.code == "bad_input" and gala in wrong.value.message
    with pytest.raises(BoxOfficeError) as missing:
        complaints.add(terminal, "price", order=make_order_code(terminal.terminal["tag"], 999))
    assert missing.value.code == "not_found"
    with pytest.raises(BoxOfficeError) as no_event:
        complaints.add(terminal, "queue", event="no-such-night")
    assert no_event.value.code == "not_found"
    assert len(entries(terminal, "complaint.add")) == 3, "refusals leave nothing behind"


# --- the alert --------------------------------------------------------------------------------------------------


def _complaints(ctx, clock, n: int, every_seconds: float, event: str | None = None,  # noqa: ANN001
                category: str = "queue") -> list[list[dict]]:
    """``n`` complaints ``every_seconds`` apart on the test clock; the complaint alerts in force after each."""
    after = []
    for i in range(n):
        if i:
            clock.advance(seconds=every_seconds)
        after.append(complaints.add(ctx, category, f"complaint {i + 1}", event=event)["alerts"])
    return after


@pytest.mark.parametrize("n, raised", [(10, False), (11, True)])
def test_the_alert_fires_at_eleven_complaints_within_five_minutes_and_not_at_ten(terminal, clock, n: int,  # noqa: ANN001
                                                                                 raised: bool) -> None:
    after = _complaints(terminal, clock, n, every_seconds=29)        # all 11 within 4 min 50 s
    assert all(a == [] for a in after[:10])
    assert codes_of(after[-1]) == (["complaints_high"] if raised else [])
    assert codes_of(check(terminal)) == (["complaints_high"] if raised else [])
    if raised:
        (alert,) = check(terminal)
        assert (alert["severity"], alert["value"], alert["event"]) == ("minor", 11, None)
        assert "11 complaints in the last 5 minutes across the venue (queue 11)" in alert["message"]
        clock.advance(seconds=300 - 10 * 29)                         # the first complaint is 5 minutes old: out
        assert check(terminal) == [], "ten in the window: over"


def test_eleven_complaints_spread_over_more_than_five_minutes_never_alert(terminal, clock) -> None:  # noqa: ANN001
    after = _complaints(terminal, clock, 11, every_seconds=31)       # 11 over 5 min 10 s: never 11 in 5 minutes
    assert after == [[]] * 11
    assert check(terminal) == []
    clock.set(clock.now.replace(microsecond=0))
    assert check(terminal) == []


def test_exactly_five_minutes_apart_is_not_within_five_minutes(terminal, clock) -> None:  # noqa: ANN001
    after = _complaints(terminal, clock, 11, every_seconds=30)       # the 1st and the 11th exactly 5:00 apart
    assert after[-1] == [] and check(terminal) == []


def test_per_event_and_venue_wide(terminal, clock, demo_events) -> None:  # noqa: ANN001
    gala, jazz = demo_events
    _complaints(terminal, clock, 11, 5, event=gala)
    (alert,) = check(terminal)
    assert (alert["event"], alert["value"]) == (gala, 11), "one event's burst is not counted again venue-wide"
    assert f"about {gala}" in alert["message"]
    clock.advance(minutes=10)
    _complaints(terminal, clock, 6, 5, event=gala, category="seat")
    _complaints(terminal, clock, 5, 5, event=jazz, category="price")
    (venue,) = check(terminal)
    assert (venue["event"], venue["value"], venue["categories"]) == (None, 11, {"price": 5, "seat": 6})
    _complaints(terminal, clock, 9, 1, event=gala)
    found = {a["event"]: a for a in check(terminal)}
    assert set(found) == {gala, None}, "the gala's 15 and the venue's 20: both"
    assert (found[gala]["value"], found[None]["value"], found[None]["severity"]) == (15, 20, "major")


def test_the_threshold_comes_from_the_config_and_the_commands_show_the_alert(terminal, clock, cli,  # noqa: ANN001
                                                                             tmp_path: Path) -> None:
    for _ in range(3):
        clock.advance(seconds=10)
        assert cli("complaint", "add", "refund", db=terminal).exit_code == 0
    assert cli("alerts", "--json", db=terminal).json() == []
    config = tmp_path / "strict.toml"
    config.write_text("[alerts]\ncomplaints_venue_over = 3\ncomplaints_minutes = 2\n", encoding="utf-8")
    clock.advance(seconds=10)
    fourth = cli("--config", config, "complaint", "add", "refund", "still no money back", db=terminal)
    assert fourth.exit_code == 0
    assert "MINOR" in fourth.stdout and "4 complaints in the last 2 minutes across the venue" in fourth.stdout
    shown = cli("--config", config, "alerts", "--json", db=terminal).json()
    assert codes_of(shown) == ["complaints_high"]
    assert "complaint list --open" in shown[0]["message"]
    clock.advance(seconds=90)                    # the first complaint is 2 minutes old now
    assert cli("--config", config, "alerts", "--json", db=terminal).json() == []
    config.write_text("[alerts]\ncomplaint_over = 3\n", encoding="utf-8")
    typo = cli("--config", config, "alerts", db=terminal)
    assert typo.exit_code == BAD_INPUT and "complaints_over" in typo.stderr
    before = len(entries(terminal, "complaint.add"))
    refused = cli("--config", config, "complaint", "add", "refund", db=terminal)
    assert refused.exit_code == BAD_INPUT and "complaints_over" in refused.stderr
    assert len(entries(terminal, "complaint.add")) == before, "refused before anything was written"


def test_the_complaints_alert_is_left_to_the_central_service_to_journal(terminal, clock) -> None:  # noqa: ANN001
    _complaints(terminal, clock, 11, 1)
    assert codes_of(check_and_journal(terminal)) == ["complaints_high"]
    assert entries(terminal, "alert.raised") == []


# --- the incident review ----------------------------------------------------------------------------------------


def test_the_incident_timeline_shows_the_complaints_made_while_it_was_open(terminal, clock, cli,  # noqa: ANN001
                                                                           demo_events) -> None:
    gala, _ = demo_events
    complaints.add(terminal, "queue", "before the incident")
    opened = cli("incident", "open", "door B scanner down", "--severity", "major", "--json", db=terminal).json()
    clock.advance(minutes=1)
    made = complaints.add(terminal, "queue", "waited 40 minutes", event=gala)["complaint"]
    clock.advance(minutes=1)
    act_as(terminal, "sue")
    complaints.close(terminal, made["id"], "offered a drink voucher")
    review = cli("incident", "timeline", opened["id"][-8:], "--json", db=terminal).json()
    said = [(t["what"], t["by"], t["text"]) for t in review["timeline"]]
    assert said == [("complaint", "ada", f"{made['id'][-8:]} queue, {gala}: waited 40 minutes"),
                    ("complaint closed", "sue", f"{made['id'][-8:]}: offered a drink voucher")]
    table = cli("incident", "timeline", opened["id"][-8:], db=terminal)
    assert "waited 40 minutes" in table.stdout and "before the incident" not in table.stdout


# --- the migration ----------------------------------------------------------------------------------------------


def test_migration_0017_adds_the_complaints_table_and_keeps_every_row(tmp_path: Path) -> None:
    from boxoffice.store import migrations

    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    migrations.ensure_current(conn, upto=migrations.KNOWN[migrations.KNOWN.index("0017_complaints") - 1])
    conn.execute("INSERT INTO incidents (id, title, severity, opened_at) VALUES ('i1', 'old', 'minor', 'x')")
    before = conn.execute("SELECT count(*) FROM journal").fetchone()[0]
    assert "0017_complaints" in migrations.ensure_current(conn)
    assert conn.execute("SELECT title FROM incidents").fetchall() == [("old",)]
    assert conn.execute("SELECT count(*) FROM journal").fetchone()[0] == before
    conn.execute("INSERT INTO complaints (id, category, at) VALUES ('c1', 'queue', 'x')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO complaints (id, category, at) VALUES ('c2', 'noise', 'x')")
    assert json.loads(json.dumps(conn.execute("SELECT id, category FROM complaints").fetchall())) == [["c1", "queue"]]


def test_the_counter_shows_the_complaints_alert_with_the_others(terminal, clock, demo_events) -> None:  # noqa: ANN001
    from boxoffice.services.counter import Counter

    gala, _ = demo_events
    desk = Counter(terminal, gala)
    _complaints(terminal, clock, 11, 10, event=gala, category="staff")
    reply = desk.handle("a")
    assert [ln.style for ln in reply.lines] == ["info"]
    assert reply.lines[0].text.startswith("MINOR") and f"11 complaints in the last 5 minutes about {gala}" in \
        reply.lines[0].text
