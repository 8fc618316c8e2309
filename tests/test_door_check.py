"""A door group's signatures verified on helper threads before its transaction (services/door_check.py,
tickets/checked.py): the answers are those of the door's own check, scan by scan, a signature checked with any key
but the one the terminal trusts is checked again (and refused), and a forked child makes its own helpers."""

from __future__ import annotations

import json
import os
import threading

import pytest
from pickup_fixtures import Central, query, setup_desk, standard_orders

from boxoffice.services import door as door_service
from boxoffice.services import door_check
from boxoffice.services.door import door_event, scan, scan_batch, scan_group
from boxoffice.tickets import checked as checked_module
from boxoffice.tickets.checked import Checked, confirm
from boxoffice.tickets.token import b45decode, b45encode, decode_token

GALA_EVENING = "2026-12-08T19:00:00Z"


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
    vouched = confirm([Checked(forged, decode_token(forged), rogue.public)])[0]
    assert vouched is not None  # it does verify, but under the rogue's key, not the one trusted for that id
    ev = door_event(terminal)
    answer = scan_group(terminal, [(ev, forged, "in")], [vouched])[0]
    assert (answer["result"], answer["code"]) == ("refused", "bad_signature")
    genuine = Checked(real["token"], decode_token(real["token"]), central.public)
    other_text = scan_group(terminal, [(ev, forged, "in")], [genuine])[0]  # a check made for another text
    assert other_text["code"] == "bad_signature"
    assert scan_group(terminal, [(ev, real["token"], "in")], [genuine])[0]["result"] == "admit"


def test_confirm_refuses_a_forgery_and_keeps_the_order(desk, central, demo_events) -> None:  # noqa: ANN001
    real = desk["zoe"]["tickets"][0]
    forged = forged_under(central, real, demo_events[0])
    prepared = [Checked(t, decode_token(t), central.public) for t in (real["token"], forged, token(desk, "zoe", 1))]
    got = confirm([prepared[0], None, prepared[1], prepared[2]])
    assert [g is not None for g in got] == [True, False, False, True]
    assert got[0] is prepared[0] and got[3] is prepared[2]


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
    if pid == 0:  # the child: no pool inherited, and a new one works
        ok = door_check._pool is None and door_check._helpers().submit(sum, [1, 2]).result(timeout=10) == 3
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
