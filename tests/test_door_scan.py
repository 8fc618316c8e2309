"""The door, offline: genuine tickets admitted once; forged, altered, revoked, wrong-event, wrong-day, unpaid and
already-used tickets refused with their reason; re-entry after an exit; a check-in sent twice recorded once; a
group's signatures verified on helper threads (services/door_check.py) give the same answers, and a signature
checked with any key but the one trusted is checked again."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime

import pytest
from pickup_fixtures import Central, Seat, query, setup_desk, standard_orders, web_order

from boxoffice.errors import BoxOfficeError
from boxoffice.services import door as door_service
from boxoffice.services import door_check
from boxoffice.services.door import door_event, record_checkin, scan, scan_batch, scan_group, stats
from boxoffice.tickets import checked as checked_module
from boxoffice.tickets.checked import Checked, Pending, confirm
from boxoffice.tickets.token import b45decode, b45encode, decode_token

GALA_EVENING = "2026-12-08T19:00:00Z"  # the Winter Gala's doors opened at 18:45 (London = UTC in December)
JAZZ_EVENING = "2026-12-15T20:00:00Z"


@pytest.fixture
def central() -> Central:
    return Central.make()


@pytest.fixture
def desk(terminal, central, demo_events, clock, login) -> dict[str, dict]:  # noqa: ANN001
    orders = standard_orders(central, *demo_events)
    setup_desk(terminal, central, orders)
    clock.set(GALA_EVENING)
    login(terminal, "dan")
    return orders


def token(desk: dict, who: str, i: int = 0) -> str:
    return desk[who]["tickets"][i]["token"]


def answer(ctx, text: str, event: str | None = None, direction: str = "in") -> dict:  # noqa: ANN001
    return scan(ctx, text, door_event(ctx, event), direction)


def test_a_genuine_ticket_is_admitted_once(terminal, desk) -> None:  # noqa: ANN001
    first = answer(terminal, token(desk, "zoe"))
    assert first["result"] == "admit" and first["code"] is None and first["place"] == "Stalls F10"
    second = answer(terminal, token(desk, "zoe"))
    assert (second["result"], second["code"]) == ("refused", "already_checked_in")
    assert second["message"] == "already in since 19:00"
    rows = query(terminal, "SELECT id, result, direction FROM checkins ORDER BY rowid")
    assert [r[1:] for r in rows] == [("admitted", "in"), ("already_checked_in", "in")]
    assert [r[0] for r in rows] == [first["nonce"], second["nonce"]]
    journal = query(terminal, "SELECT payload FROM journal WHERE kind = 'checkin'")
    assert len(journal) == 1 and json.loads(journal[0][0])["nonce"] == first["nonce"]


def _resign_part(text: str, offset: int, value: bytes) -> str:
    raw = bytearray(b45decode(text))
    raw[offset:offset + len(value)] = value
    return b45encode(bytes(raw))


def test_forged_and_altered_tickets_are_refused_with_their_reason(terminal, desk, central, demo_events) -> None:  # noqa: ANN001
    rogue = Central.make()
    real = desk["zoe"]["tickets"][0]
    forged = rogue.sign(real["id"], demo_events[0], "stalls", "F", "10")
    assert answer(terminal, forged)["code"] == "unknown_key"
    claiming_central = _resign_part(forged, 2, central.kid)  # the rogue's signature under the central key's id
    assert answer(terminal, claiming_central)["code"] == "bad_signature"
    moved = _resign_part(real["token"], 28, b"A")  # the seat row changed from F to A
    assert answer(terminal, moved)["code"] == "bad_signature"
    cut = real["token"][:-3]
    assert answer(terminal, cut)["code"] == "malformed_token"
    assert answer(terminal, "hello")["code"] == "malformed_token"
    for i in range(0, len(real["token"]), 7):  # any one character changed
        changed = real["token"][:i] + ("Z" if real["token"][i] != "Z" else "Y") + real["token"][i + 1:]
        assert answer(terminal, changed)["result"] == "refused"
    assert answer(terminal, real["token"])["result"] == "admit"  # the genuine one is still good


def test_a_revoked_or_refunded_ticket_is_refused(terminal, desk) -> None:  # noqa: ANN001
    from boxoffice.store.db import write
    from boxoffice.store.orders import revoke

    with write(terminal.conn):
        revoke(terminal.conn, desk["zoe"]["tickets"][1]["id"], GALA_EVENING, "refund")
        terminal.conn.execute("UPDATE tickets SET status = 'refunded' WHERE id = ?", (desk["zoe"]["tickets"][2]["id"],))
    for i in (1, 2):
        refused = answer(terminal, token(desk, "zoe", i))
        assert refused["code"] == "revoked" and "refunded or re-issued" in refused["message"]


def test_a_reissued_tickets_old_token_is_refused(terminal, desk, central, demo_events) -> None:  # noqa: ANN001
    old = desk["strasse"]["tickets"][0]
    new = central.sign(old["id"], demo_events[0], "stalls", "G", "6")
    terminal.conn.execute("UPDATE tickets SET token = ?, seat = '6' WHERE id = ?", (new, old["id"]))
    assert answer(terminal, old["token"])["code"] == "revoked"
    assert answer(terminal, new)["result"] == "admit"


def test_wrong_event_wrong_day_too_early_and_unpaid(terminal, desk, clock) -> None:  # noqa: ANN001
    wrong = answer(terminal, token(desk, "jazz"))
    assert wrong["code"] == "wrong_event" and "Late Night Jazz" in wrong["message"]
    assert answer(terminal, token(desk, "anna"))["code"] == "unpaid"
    clock.set("2026-12-07T19:00:00Z")
    assert answer(terminal, token(desk, "zoe"), "gala-1208")["message"] == "ticket is for Tue 08 Dec 2026, not today"
    clock.set("2026-12-09T00:30:00Z")
    late = answer(terminal, token(desk, "zoe"), "gala-1208")
    assert late["code"] == "wrong_day" and "that day is over" in late["message"]
    clock.set("2026-12-08T17:00:00Z")
    early = answer(terminal, token(desk, "zoe"), "gala-1208")
    assert early["code"] == "wrong_day" and early["message"] == "too early: doors open at 18:45"
    assert query(terminal, "SELECT count(*) FROM checkins WHERE result = 'admitted'") == [(0,)]


def test_a_genuine_ticket_this_terminal_never_saw_is_admitted(terminal, desk, central, demo_events) -> None:  # noqa: ANN001
    unseen = web_order(central, demo_events[0], "Not Synced", [Seat("standing", price="22.50")])
    ok = answer(terminal, unseen["tickets"][0]["token"])
    assert ok["result"] == "admit" and "not seen in synced data" in ok["message"]
    assert ok["seen_in_sync"] is False


def test_a_ticket_with_this_terminals_own_signature_that_it_never_sold_is_refused(terminal, desk, demo_events,  # noqa: ANN001
                                                                                     cli) -> None:
    """This terminal keeps every ticket it signs: one of its own it does not hold was made with a copy of its key
    (or sold on a database since put back behind its back). A terminal restored from an older copy (working on, the
    loss accepted) does not hold
    what it sold since, so there it is admitted, marked, until `sync recover`."""
    import uuid

    from boxoffice.services.signing import private_key
    from boxoffice.store import recovery as recovery_store
    from boxoffice.store.db import write
    from boxoffice.tickets.keys import private_key_id
    from boxoffice.tickets.token import TicketClaims, sign_token

    key = private_key(terminal)
    minted = [sign_token(TicketClaims(str(uuid.uuid4()), demo_events[0], "standing", None, None), key,
                         private_key_id(key)) for _ in range(2)]
    no = answer(terminal, minted[0])
    assert no["result"] == "refused" and no["code"] == "not_in_records", no
    assert "not in its records" in no["message"]
    said = cli("scan", "check", "--json", db=terminal, input=minted[0] + "\n")
    assert said.exit_code == 6 and json.loads(said.stdout.splitlines()[0])["error"]["code"] == "not_in_records"
    with write(terminal.conn):
        terminal.conn.execute("INSERT INTO recovery (id, state, source, since, backup_seq, marks_seq, marks_hash, "
                              "next_order_seq, restore_seq, message) VALUES (1, 'gap', 'restore', ?, 1, 2, '', "
                              "1, 3, 'restored: run `boxoffice sync recover`')", (GALA_EVENING,))
    assert recovery_store.state(terminal.conn) is not None
    assert answer(terminal, minted[1])["result"] == "admit"


def test_reentry_after_an_exit(terminal, desk, clock, demo_events) -> None:  # noqa: ANN001
    jazz = demo_events[1]
    clock.set(JAZZ_EVENING)
    t = token(desk, "jazz")
    assert answer(terminal, t, jazz)["result"] == "admit"
    assert answer(terminal, t, jazz)["code"] == "already_checked_in"
    clock.advance(minutes=30)
    assert answer(terminal, t, jazz, "out")["result"] == "exit"
    assert answer(terminal, t, jazz, "out")["code"] == "conflict"  # not in: nothing to let out
    clock.advance(minutes=10)
    assert answer(terminal, t, jazz)["result"] == "admit"
    assert answer(terminal, token(desk, "jazz", 1), jazz, "out")["message"] == "ticket is not in: nothing to let out"
    s = stats(terminal, jazz)
    assert (s["in_now"], s["checked_in"], s["entries"], s["exits"], s["refused"]) == (1, 1, 2, 1, 3)


def test_no_exit_scans_where_the_event_has_no_reentry(terminal, desk) -> None:  # noqa: ANN001
    with pytest.raises(BoxOfficeError) as exc:
        answer(terminal, token(desk, "zoe"), direction="out")
    assert exc.value.code == "bad_input" and "no re-entry" in exc.value.message


def test_the_same_checkin_sent_twice_is_recorded_once(terminal, desk, demo_events) -> None:  # noqa: ANN001
    nonce = "01a20000-0000-7000-8000-000000000001"
    facts = {"ticket_id": desk["zoe"]["tickets"][0]["id"], "event_id": demo_events[0], "direction": "in",
             "at": "2026-12-08T19:01:00Z", "terminal_id": "01a20000-0000-7000-8000-0000000000aa"}
    assert record_checkin(terminal, nonce, **facts) is True
    assert record_checkin(terminal, nonce, **facts) is False
    assert query(terminal, "SELECT count(*) FROM checkins WHERE id = ?", (nonce,)) == [(1,)]
    entries = [json.loads(p) for (p,) in query(terminal, "SELECT payload FROM journal WHERE kind = 'checkin'")]
    assert [e["nonce"] for e in entries] == [nonce]
    with pytest.raises(BoxOfficeError) as exc:
        record_checkin(terminal, nonce, **(facts | {"direction": "out"}))
    assert exc.value.code == "conflict"
    assert record_checkin(terminal, "01a20000-0000-7000-8000-000000000002", **facts, journal=False) is True
    assert query(terminal, "SELECT count(*) FROM journal WHERE kind = 'checkin'") == [(1,)]
    # the replayed check-in counts at this door too: the ticket is in
    assert answer(terminal, token(desk, "zoe"))["code"] == "already_checked_in"


def test_a_batch_is_checked_in_order_in_one_transaction(terminal, desk) -> None:  # noqa: ANN001
    texts = [token(desk, "zoe", 0), token(desk, "zoe", 1), token(desk, "zoe", 0), "junk", token(desk, "jazz")]
    answers = scan_batch(terminal, texts, door_event(terminal))
    assert [a["code"] for a in answers] == [None, None, "already_checked_in", "malformed_token", "wrong_event"]
    assert len({a["nonce"] for a in answers}) == 5
    s = stats(terminal, "gala-1208")
    assert (s["in_now"], s["checked_in"], s["refused"], s["tickets_here"]) == (2, 2, 3, 9)


def test_the_only_event_today_is_chosen_and_otherwise_asked_for(terminal, desk, clock) -> None:  # noqa: ANN001
    assert door_event(terminal).id == "gala-1208"
    clock.set("2026-12-10T19:00:00Z")
    with pytest.raises(BoxOfficeError) as exc:
        door_event(terminal)
    assert exc.value.code == "bad_input" and "--event" in exc.value.message


def test_scanning_needs_the_scan_permission(terminal, desk, login) -> None:  # noqa: ANN001
    login(terminal, "pat")
    with pytest.raises(BoxOfficeError) as exc:
        answer(terminal, token(desk, "zoe"))
    assert exc.value.code == "permission_denied"


# --- through the command line ------------------------------------------------------------------------------


def test_scan_from_stdin_one_line_per_answer(terminal, desk, cli) -> None:  # noqa: ANN001
    lines = "\n".join([token(desk, "zoe", 0), token(desk, "zoe", 0), "", token(desk, "jazz")]) + "\n"
    text = cli("scan", "--event", "gala-1208", db=terminal, input=lines)
    assert text.exit_code == 6
    out = [ln.strip() for ln in text.stdout.splitlines()]
    assert out == ["ADMIT  Stalls F10", "REFUSED: already in since 19:00",
                   "REFUSED: ticket is for Late Night Jazz (Tue 15 Dec), not Winter Gala"]
    js = cli("scan", "check", "--json", db=terminal, input=token(desk, "zoe", 1) + "\nnot a token\n")
    objects = [json.loads(ln) for ln in js.stdout.splitlines()]
    assert [o["result"] for o in objects] == ["admit", "refused"]
    assert objects[1]["error"]["code"] == "malformed_token" and objects[0]["place"] == "Stalls F11"
    assert cli("scan", "check", db=terminal, input=token(desk, "zoe", 2) + "\n").exit_code == 0
    assert "Usage:" in cli("scan", db=terminal).output  # the bare group shows its help, as every group does


def test_scan_a_photo_of_a_ticket(terminal, desk, cli, tmp_path) -> None:  # noqa: ANN001
    import qrcode

    path = tmp_path / "phone.png"
    qrcode.make(token(desk, "strasse"), error_correction=qrcode.constants.ERROR_CORRECT_M).save(path)
    first = cli("scan", "--event", "gala-1208", "--image", str(path), "--json", db=terminal)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["place"] == "Stalls G5"
    again = cli("scan", "--event", "gala-1208", "--image", str(path), db=terminal)
    assert again.exit_code == 6 and "already in" in again.stdout


def test_exit_mode_in_the_stream_and_the_stats(terminal, desk, cli, clock, login) -> None:  # noqa: ANN001
    clock.set(JAZZ_EVENING)
    login(terminal, "dan")  # a week on: yesterday's login has lapsed
    t = token(desk, "jazz")
    run = cli("scan", "--event", "jazz-1215", db=terminal, input=f"{t}\nx\n{t}\nx\n{t}\n")
    assert run.exit_code == 0, run.output
    assert [ln.split()[0] for ln in run.stdout.splitlines()] == ["ADMIT", "EXIT", "ADMIT"]
    shown = cli("scan", "stats", "jazz-1215", db=terminal)
    assert "Late Night Jazz: 1 in now" in shown.stdout
    data = cli("scan", "stats", "jazz-1215", "--json", db=terminal).json()
    assert (data["in_now"], data["entries"], data["exits"], data["refused"]) == (1, 2, 1, 0)
    refused = cli("scan", "--event", "gala-1208", "--exit", db=terminal, input=f"{t}\n")
    assert refused.exit_code == 2 and "no re-entry" in refused.stderr


def test_paused_scans_and_a_door_without_login(terminal, desk, cli, login) -> None:  # noqa: ANN001
    login(terminal.config.db_path, "sue")
    assert cli("pause", "scans", "--reason", "evacuation", db=terminal).exit_code == 0
    paused = cli("scan", "--event", "gala-1208", "--json", db=terminal, input=token(desk, "zoe") + "\n")
    assert paused.exit_code == 10 and "evacuation" in paused.json()["error"]["message"]
    login(terminal.config.db_path, "pat")
    assert cli("scan", "--event", "gala-1208", db=terminal, input=token(desk, "zoe") + "\n").exit_code == 5
    assert query(terminal, "SELECT count(*) FROM checkins") == [(0,)]


def test_the_door_clock_is_the_venues(terminal, desk, clock) -> None:  # noqa: ANN001
    ev = door_event(terminal, "gala-1208")
    assert ev.opens == datetime.fromisoformat("2026-12-08T18:45:00+00:00")
    assert ev.day.isoformat() == "2026-12-08"


# --- a group's signatures verified on helper threads (services/door_check.py, tickets/checked.py) ----------


def forged_under(central: Central, real: dict, event: str, rogue: Central | None = None) -> str:
    """A token for a real ticket signed by a rogue key, carrying the central key's id (its signature verifies
    under the rogue's public key only)."""
    rogue = rogue or Central.make()
    raw = bytearray(b45decode(rogue.sign(real["id"], event, "stalls", "F", "10")))
    raw[2:6] = central.kid  # version 2: the key id at bytes 2-5
    body = bytes(raw[:-64])
    return b45encode(body + rogue.private.sign(body))


def mixed(desk: dict, central: Central, event: str) -> tuple[list[str], list[str | None]]:
    """Genuine, forged, altered, unknown-key, malformed, wrong-event and repeated scans, and the code each gets."""
    real = desk["zoe"]["tickets"][0]
    rogue = Central.make()
    raw = bytearray(b45decode(token(desk, "zoe", 1)))
    raw[28:29] = b"A"  # the seat row changed: the signature no longer matches
    texts = [real["token"], forged_under(central, real, event), b45encode(bytes(raw)),
             rogue.sign(real["id"], event, "stalls", "F", "10"), "not a token", token(desk, "zoe", 2),
             token(desk, "jazz"), real["token"], token(desk, "zoe", 1)]
    codes = [None, "bad_signature", "bad_signature", "unknown_key", "malformed_token", None, "wrong_event",
             "already_checked_in", None]
    return texts, codes


def test_a_group_is_verified_on_helper_threads_and_answered_as_the_door_checks_it(terminal, desk, central,  # noqa: ANN001
                                                                                  demo_events, monkeypatch) -> None:
    texts, codes = mixed(desk, central, demo_events[0])
    threads: list[str] = []
    real_confirm = checked_module.confirm

    def spying(prepared):  # noqa: ANN001, ANN202
        threads.append(threading.current_thread().name)
        return real_confirm(prepared)

    monkeypatch.setattr(door_check, "confirm", spying)
    full: list[str] = []
    real_verify = door_service._verifier()

    def counting(text, keys):  # noqa: ANN001, ANN202
        full.append(text)
        return real_verify(text, keys)

    monkeypatch.setattr(door_service, "_VERIFY", counting)
    answers = scan_batch(terminal, texts, door_event(terminal))
    assert [a["code"] for a in answers] == codes
    assert [a["result"] for a in answers].count("admit") == 3
    assert any(name.startswith("door-check") for name in threads) and threading.current_thread().name in threads
    # Only what the helpers could not vouch for went through the door's own check: the forgeries, the altered
    # token, the unknown key and the text that is no token (the jazz ticket is genuine: refused by the rules).
    assert sorted(full) == sorted(texts[1:5])
    rows = query(terminal, "SELECT result FROM checkins ORDER BY rowid")
    assert [r[0] for r in rows] == [c or "admitted" for c in codes]


def test_the_same_scans_one_at_a_time_get_the_same_answers(terminal, desk, central, demo_events) -> None:  # noqa: ANN001
    texts, codes = mixed(desk, central, demo_events[0])
    ev = door_event(terminal)
    assert [scan(terminal, t, ev)["code"] for t in texts] == codes


def test_a_signature_checked_with_another_key_than_the_trusted_one_is_refused(terminal, desk, central,  # noqa: ANN001
                                                                             demo_events) -> None:
    real = desk["zoe"]["tickets"][0]
    rogue = Central.make()
    forged = forged_under(central, real, demo_events[0], rogue)
    vouched = confirm([Pending(forged, decode_token(forged), rogue.public)])[0]
    assert vouched is not None  # it does verify, but under the rogue's key, not the one trusted for that id
    ev = door_event(terminal)
    answer = scan_group(terminal, [(ev, forged, "in")], [vouched])[0]
    assert (answer["result"], answer["code"]) == ("refused", "bad_signature")
    genuine = confirm([Pending(real["token"], decode_token(real["token"]), central.public)])[0]
    assert genuine is not None
    other_text = scan_group(terminal, [(ev, forged, "in")], [genuine])[0]  # a check made for another text
    assert other_text["code"] == "bad_signature"
    # Decoded and keyed but never verified (what prepare() gives): the door checks it itself.
    unverified = Pending(forged, decode_token(forged), central.public)
    assert scan_group(terminal, [(ev, forged, "in")], [unverified])[0]["code"] == "bad_signature"
    assert scan_group(terminal, [(ev, real["token"], "in")], [genuine])[0]["result"] == "admit"


def test_confirm_refuses_a_forgery_and_keeps_the_order(desk, central, demo_events) -> None:  # noqa: ANN001
    real = desk["zoe"]["tickets"][0]
    forged = forged_under(central, real, demo_events[0])
    prepared = [Pending(t, decode_token(t), central.public) for t in (real["token"], forged, token(desk, "zoe", 1))]
    got = confirm([prepared[0], None, prepared[1], prepared[2]])
    assert [type(g) for g in got] == [Checked, type(None), type(None), Checked]
    assert (got[0].text, got[3].text) == (real["token"], token(desk, "zoe", 1))  # type: ignore[union-attr]


def test_a_failure_to_share_the_checks_leaves_the_door_checking_each_itself(terminal, desk, central,  # noqa: ANN001
                                                                           demo_events, monkeypatch) -> None:
    texts, codes = mixed(desk, central, demo_events[0])

    def no_threads() -> None:
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(door_check, "_helpers", no_threads)
    answers = scan_batch(terminal, texts, door_event(terminal))
    assert [a["code"] for a in answers] == codes


def test_scan_check_reads_lines_together_and_refuses_the_forgeries(terminal, desk, central, demo_events,  # noqa: ANN001
                                                                   cli) -> None:
    texts, codes = mixed(desk, central, demo_events[0])
    out = cli("scan", "check", "--event", "gala-1208", "--json", db=terminal, input="\n".join(texts) + "\n")
    assert out.exit_code == 6, out.output
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert [a.get("error", {}).get("code") for a in answers] == codes
    assert [a["result"] for a in answers].count("admit") == 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_makes_its_own_helpers(tmp_path) -> None:  # noqa: ANN001
    door_check._helpers()
    assert door_check._pool is not None
    pid = os.fork()
    if pid == 0:  # the child: no pool inherited, and a new one works; it never returns into the test run
        ok = False
        try:
            ok = door_check._pool is None and door_check._helpers().submit(sum, [1, 2]).result(timeout=10) == 3
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
