"""Lanes and readers on one door writer (services/door_writer.py): a group's answers are set together, so each
caller must still get its own answer, in its own order, whether it waits for it (a lane) or reads on (a reader's
future), and a group that reaches its size limit is committed apart from the scans queued after it."""

from __future__ import annotations

import threading

import pytest
from pickup_fixtures import gala_door
from test_door_group_commit import on_disk

from boxoffice.errors import BoxOfficeError
from boxoffice.services.door import door_event
from boxoffice.services.door_writer import DoorWriter

GUESTS = 24


@pytest.fixture
def tokens(terminal, demo_events, clock, login) -> list[str]:  # noqa: ANN001
    return gala_door(terminal, demo_events, clock, login, GUESTS)


def test_lanes_and_a_reader_in_the_same_groups_each_get_their_own_answers(terminal, tokens,  # noqa: ANN001
                                                                         demo_events) -> None:
    ev = door_event(terminal, demo_events[0])
    lanes, got = 4, {}
    with DoorWriter(terminal) as writer:
        reader = [writer.submit(ev, t) for t in tokens[:4]]  # a reader queues on without waiting

        def lane(n: int) -> None:
            mine = tokens[4 + n * 5:4 + (n + 1) * 5]
            got[n] = [writer.scan(ev, t) for t in [*mine, mine[0]]]  # the last: a second entry

        threads = [threading.Thread(target=lane, args=(n,)) for n in range(lanes)]
        for t in threads:
            t.start()
        again = writer.submit(ev, tokens[0])
        for t in threads:
            t.join(60)
        read = [f.result(timeout=60) for f in [*reader, again]]
    assert [a["result"] for a in read] == ["admit"] * 4 + ["refused"]
    for n in range(lanes):
        assert [a["result"] for a in got[n]] == ["admit"] * 5 + ["refused"]
        assert got[n][-1]["code"] == "already_checked_in"
    answers = read + [a for n in range(lanes) for a in got[n]]
    assert len({a["ticket_id"] for a in answers if a["result"] == "admit"}) == 24
    rows = on_disk(terminal.config.db_path)
    assert all(rows[a["nonce"]] == (a["code"] or "admitted") for a in answers)


def test_a_full_group_is_committed_apart_and_answers_stay_in_order(terminal, tokens, demo_events) -> None:  # noqa: ANN001
    ev = door_event(terminal, demo_events[0])
    with DoorWriter(terminal, linger=0.3, most=3) as writer:
        waiting = [writer.submit(ev, t) for t in [*tokens[:7], tokens[1]]]
        got = [w.result(timeout=60) for w in waiting]
        assert writer.groups == 3  # 3 + 3 + 2
    assert [a["result"] for a in got] == ["admit"] * 7 + ["refused"]
    with pytest.raises(BoxOfficeError):
        writer.scan(ev, tokens[8])  # closed: nothing more is taken, nothing recorded
    assert len(on_disk(terminal.config.db_path)) == 8


def test_a_scan_whose_screen_stopped_waiting_does_not_stop_the_door(terminal, tokens, demo_events) -> None:  # noqa: ANN001
    """A door screen closing while its scan waits cancels that scan's future: the scan is still checked in, and
    every later scan is still answered (the writer once died on the cancelled future, leaving lanes waiting)."""
    ev = door_event(terminal, demo_events[0])
    with DoorWriter(terminal, linger=2.0) as writer:  # the group waits, so the cancel lands before the commit
        left = writer.submit(ev, tokens[0])
        assert left.cancel()
        beside = writer.submit(ev, tokens[1])
        assert beside.result(timeout=30)["result"] == "admit"
        later = writer.submit(ev, tokens[2])
        assert later.result(timeout=30)["result"] == "admit", "the door still answers after a cancelled scan"
        again = writer.submit(ev, tokens[0])
        assert again.result(timeout=30)["code"] == "already_checked_in", "the cancelled scan was checked in"


def test_a_group_filled_before_the_writer_looks_is_still_committed(terminal, tokens, demo_events) -> None:  # noqa: ANN001
    """Scans queued faster than the writer wakes can fill a group (``most``) and leave the open group empty: the
    writer, woken, must commit the full group rather than wait again for a scan that may never come (it once did,
    and at close left those scans unanswered)."""
    import time

    ev = door_event(terminal, demo_events[0])
    writer = DoorWriter(terminal, most=3)
    try:
        time.sleep(0.2)  # the writer is waiting for a first scan
        wake = writer._arrived.notify
        writer._arrived.notify = lambda n=1: None  # type: ignore[method-assign]  # it sleeps through the three
        waiting = [writer.submit(ev, t) for t in tokens[:3]]
        writer._arrived.notify = wake  # type: ignore[method-assign]
        with writer._lock:
            writer._arrived.notify()
        assert [w.result(timeout=10)["result"] for w in waiting] == ["admit"] * 3
    finally:
        writer.close()
