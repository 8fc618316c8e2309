"""A group of scans writes its journal entries chained in memory after the head it read once
(services/door_journal.py): `boxoffice audit verify` accepts what a busy door wrote, checkpoints included, and each
entry carries the scan's own time."""

from __future__ import annotations

import json

import pytest
from pickup_fixtures import gala_door

from boxoffice.domain import checkpoints as checkpoint_rules
from boxoffice.services.door import door_event, scan, scan_group
from boxoffice.services.door_writer import DoorWriter

GUESTS = 60


@pytest.fixture
def tokens(terminal, demo_events, clock, login) -> list[str]:  # noqa: ANN001
    """GUESTS web orders of one standing ticket each; dan (door) logged in at the gala."""
    return gala_door(terminal, demo_events, clock, login, GUESTS)


def test_a_busy_doors_journal_verifies_with_its_checkpoints(terminal, tokens, demo_events, cli,  # noqa: ANN001
                                                            clock, login) -> None:
    ev = door_event(terminal, demo_events[0])
    first = scan_group(terminal, [(ev, t, "in") for t in tokens[:40]] + [(ev, tokens[0], "in"), (ev, "junk", "in")])
    assert [a["result"] for a in first[-3:]] == ["admit", "refused", "refused"]
    clock.advance(seconds=1)
    assert scan(terminal, tokens[40], ev)["result"] == "admit"  # one on its own between two groups
    with DoorWriter(terminal, linger=0.2) as writer:
        waiting = [writer.submit(ev, t) for t in [*tokens[41:], *tokens[:30]]]
        later = [w.result(timeout=60) for w in waiting]
    assert [a["result"] for a in later] == ["admit"] * (GUESTS - 41) + ["refused"] * 30
    head = terminal.conn.execute("SELECT max(seq) FROM journal").fetchone()[0]
    signed = [s for (s,) in terminal.conn.execute("SELECT seq FROM checkpoints ORDER BY seq")]
    assert head > checkpoint_rules.EVERY and checkpoint_rules.EVERY in signed  # a group crossed a checkpoint

    login(terminal, "sue")
    out = cli("audit", "verify", "--json", db=terminal)
    assert out.exit_code == 0, out.stdout
    assert out.json()["last_seq"] >= head  # and the login after it


def test_each_entry_carries_its_scans_time_and_follows_the_one_before(terminal, tokens,  # noqa: ANN001
                                                                      demo_events) -> None:
    ev = door_event(terminal, demo_events[0])
    answers = scan_group(terminal, [(ev, t, "in") for t in tokens[:5]] + [(ev, tokens[2], "in")])
    entries = {json.loads(p)["nonce"]: (kind, at, seq) for kind, at, seq, p in terminal.conn.execute(
        "SELECT kind, at, seq, payload FROM journal WHERE kind IN ('checkin', 'scan.refused')")}
    assert [entries[a["nonce"]][0] for a in answers] == ["checkin"] * 5 + ["scan.refused"]
    assert all(entries[a["nonce"]][1] == a["at"] for a in answers)  # the check-in's time, read once
    seqs = [entries[a["nonce"]][2] for a in answers]
    assert seqs == list(range(seqs[0], seqs[0] + len(answers)))


def test_an_entry_with_personal_data_written_through_a_group_is_still_salted(terminal) -> None:  # noqa: ANN001
    from boxoffice.domain.privacy import SALT_KEY
    from boxoffice.services.door_journal import ScanJournal
    from boxoffice.store.db import write

    with write(terminal.conn):
        journal = ScanJournal(terminal)
        journal.add("checkin", {"nonce": "n1", "customer_name": "Ada Lovelace"}, None, "2026-12-08T19:00:00.000000Z")
        journal.add("checkin", {"nonce": "n2", "ticket": "t"}, None, "2026-12-08T19:00:01.000000Z")
        journal.flush()
    payloads = [json.loads(p) for (p,) in terminal.conn.execute(
        "SELECT payload FROM journal WHERE kind = 'checkin' ORDER BY seq")]
    assert SALT_KEY in payloads[0] and SALT_KEY not in payloads[1]
