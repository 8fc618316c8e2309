"""Group commit at the door (services/door_writer.py): scans that arrive together share one commit, each is
answered only after the commit that holds it, the same ticket twice in one group is let in once, and a door
killed mid-group never said "admit" for a check-in that is not on disk."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pickup_fixtures import gala_door

from boxoffice.services.counter import Counter
from boxoffice.services.door import door_event, scan_group
from boxoffice.services.door_writer import DoorWriter

GUESTS = 64


@pytest.fixture
def tokens(terminal, demo_events, clock, login) -> list[str]:  # noqa: ANN001
    """A door terminal with GUESTS web orders of one standing ticket each; dan (door) logged in at the gala."""
    return gala_door(terminal, demo_events, clock, login, GUESTS)


def on_disk(db: Path) -> dict[str, str]:
    """Every check-in in the file, read through a fresh connection: nonce -> result."""
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT id, result FROM checkins").fetchall())
    finally:
        conn.close()


def test_the_same_ticket_twice_in_one_group_is_admitted_once_then_refused_in_order(terminal, tokens,  # noqa: ANN001
                                                                                  demo_events) -> None:
    ev = door_event(terminal, demo_events[0])
    answers = scan_group(terminal, [(ev, tokens[0], "in"), (ev, tokens[0], "in"), (ev, tokens[1], "in")])
    assert [(a["result"], a["code"]) for a in answers] == [("admit", None), ("refused", "already_checked_in"),
                                                           ("admit", None)]
    with DoorWriter(terminal, linger=2.0) as writer:  # a wide window: the three scans are certainly one group
        waiting = [writer.submit(ev, t) for t in (tokens[2], tokens[2], tokens[3])]
        got = [w.result(timeout=30) for w in waiting]
        assert writer.groups == 1
    assert [(a["result"], a["code"]) for a in got] == [("admit", None), ("refused", "already_checked_in"),
                                                       ("admit", None)]
    rows = on_disk(terminal.config.db_path)
    assert [rows[a["nonce"]] for a in got] == ["admitted", "already_checked_in", "admitted"]
    journal = [json.loads(p) for (p,) in terminal.conn.execute("SELECT payload FROM journal WHERE kind = 'checkin'")]
    assert sorted(j["nonce"] for j in journal) == sorted(a["nonce"] for a in answers + got if a["result"] == "admit")


def test_scanner_lanes_at_once_share_commits_and_every_answer_is_on_disk(terminal, tokens,  # noqa: ANN001
                                                                         demo_events) -> None:
    counter = Counter(terminal, demo_events[0], door=True)
    lanes, replies = 8, {}
    per_lane = GUESTS // lanes

    def lane(n: int) -> None:
        mine = tokens[n * per_lane:(n + 1) * per_lane]
        replies[n] = [counter.handle(t) for t in mine] + [counter.handle(mine[0])]  # the last: a second entry

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    writer = counter._door_writer
    assert writer is not None
    counter.close()
    answers = [r.data for n in range(lanes) for r in replies[n]]
    assert len(answers) == GUESTS + lanes
    assert sum(a["result"] == "admit" for a in answers) == GUESTS
    assert [r.data["code"] for n in range(lanes) for r in replies[n][-1:]] == ["already_checked_in"] * lanes
    rows = on_disk(terminal.config.db_path)  # another connection, as after a restart: every answer is there
    assert all(rows[a["nonce"]] == (a["code"] or "admitted") for a in answers)
    assert len(rows) == GUESTS + lanes
    assert writer.groups < GUESTS + lanes  # lanes waiting at once shared commits


def test_boxoffice_scan_reads_on_and_answers_each_line_in_order(terminal, tokens, cli, demo_events) -> None:  # noqa: ANN001
    lines = "\n".join([tokens[0], tokens[1], tokens[0], "", "not a token", *tokens[2:20]]) + "\n"
    run = cli("scan", "--event", demo_events[0], "--json", db=terminal, input=lines)
    assert run.exit_code == 6  # some refused
    answers = [json.loads(ln) for ln in run.stdout.splitlines()]
    assert [a["result"] for a in answers[:4]] == ["admit", "admit", "refused", "refused"]
    assert answers[2]["error"]["code"] == "already_checked_in" and answers[3]["error"]["code"] == "malformed_token"
    assert len(answers) == 22 and all(a["result"] == "admit" for a in answers[4:])
    rows = on_disk(terminal.config.db_path)
    assert all(a["nonce"] in rows for a in answers) and len(rows) == 22


def _boxoffice() -> list[str]:
    script = Path(sys.executable).parent / "boxoffice"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from boxoffice.cli.main import run; run()"]


@pytest.mark.parametrize("kill_after", [1, 7, 25])
def test_a_door_killed_mid_stream_never_admitted_a_checkin_not_on_disk(terminal, tokens, clock,  # noqa: ANN001
                                                                      demo_events, kill_after: int) -> None:
    db = terminal.config.db_path
    env = {**os.environ, "BOXOFFICE_NOW": clock.iso()}
    env.pop("BOXOFFICE_PIN", None)
    proc = subprocess.Popen([*_boxoffice(), "--db", str(db), "scan", "check", "--event", demo_events[0], "--json"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:  # scans keep coming while the door answers, so groups are in flight at the kill
        try:
            for t in [*tokens, *tokens[:8]]:
                proc.stdin.write(t.encode() + b"\n")
                proc.stdin.flush()
                time.sleep(0.001)
        except (BrokenPipeError, OSError):
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    answers = []
    while len(answers) < kill_after:
        line = proc.stdout.readline()
        if not line:
            break
        answers.append(json.loads(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    feeder.join(30)
    assert len(answers) == kill_after, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    rows = on_disk(db)
    admitted = [a for a in answers if a["result"] == "admit"]
    assert admitted, answers
    assert all(rows.get(a["nonce"]) == "admitted" for a in admitted)  # every "admit" said is on disk
    assert all(a["nonce"] in rows for a in answers)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        journalled = {json.loads(p)["nonce"] for (p,) in conn.execute(
            "SELECT payload FROM journal WHERE kind = 'checkin'")}
    finally:
        conn.close()
    assert {a["nonce"] for a in admitted} <= journalled
    # The door starts again after the kill: what was admitted before stays in, the rest can come in.
    again = Counter(terminal, demo_events[0], door=True)
    try:
        assert again.handle(tokens[0]).data["code"] == "already_checked_in"
    finally:
        again.close()
