"""Group commit at the door: scans that arrive while a commit is on its way share the next one.

A check-in is answered only once it is on disk (``synchronous=FULL``: the WAL is flushed at each commit), and that
flush costs about as much as verifying the ticket's signature, often far more on a busy disk. Several scanners
feeding one terminal (lanes at a stadium door, a handheld emptying its buffer, `boxoffice scan` reading stdin
without waiting for each answer) would each wait for their own flush in turn. Here one writer thread owns the
database while it runs: it takes every scan waiting in its queue, checks them in order in one transaction
(:func:`services.door.scan_group`: each sees the ones before it, so the same ticket twice in one group is
admitted once and refused the second time), commits once, and only then answers each caller. A lone scanner
never waits for a timer: a scan arriving at an idle writer is committed at once, alone; scans arriving during that
commit form the next group. When several lanes are scanning, a group waits at most 2 ms (half a commit) for the
lanes the last commit answered. So nobody waits on more than the commit in progress, that short wait, and their
own commit.

An answer is a :class:`concurrent.futures.Future`, resolved after the commit that holds the scan. A crash (or
kill) before that commit loses the whole group and answers none of it: no "admit" is ever shown for a check-in
that is not on disk.

While a writer is open, the connection is its own: the thread that made it may use it only between scans it has
waited for (the counter does, for its desk commands). Use it as a context manager, or call :meth:`close`.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from types import TracebackType

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.services.door import DoorEvent, ScanAnswer, check_direction, scan_group

MOST = 500  # scans in one group at most: a scanner's whole buffer, but a bounded transaction
MAX_WAIT = 0.002  # seconds a group waits at most for lanes the last commit answered (see DoorWriter._gather)


@dataclass
class _Scan:
    ev: DoorEvent
    text: str
    direction: str
    answer: Future[ScanAnswer] = field(default_factory=Future)


class DoorWriter:
    """One thread that checks in what is queued, one commit per group, and answers each scan after its commit.

    ``linger`` (seconds, default none) lets a group wait that long for more scans after its first: it trades
    each scan's wait for fewer commits, and is only worth it when scans arrive steadily faster than commits.
    """

    def __init__(self, ctx: Ctx, *, linger: float = 0.0, most: int = MOST) -> None:
        self.ctx = ctx
        self.linger = linger
        self.most = most
        self.groups = 0  # commits made: tests and the benchmark read it
        self._queue: queue.SimpleQueue[_Scan | None] = queue.SimpleQueue()
        self._closed = False
        self._last_size, self._last_commit_s = 1, 0.0  # the last group: how many scans, how long it took
        self._thread = threading.Thread(target=self._run, name="door-writer", daemon=True)
        self._thread.start()

    def submit(self, ev: DoorEvent, text: str, direction: str = "in") -> Future[ScanAnswer]:
        """Queue one scan; its future holds the answer once the scan is committed (or the error that refused it)."""
        if self._closed:
            raise BoxOfficeError("conflict", _("the door's writer is closed: no more scans on it"))
        check_direction(ev, direction)
        item = _Scan(ev, text, direction)
        self._queue.put(item)
        return item.answer

    def scan(self, ev: DoorEvent, text: str, direction: str = "in") -> ScanAnswer:
        """Queue one scan and wait for its answer (after the commit that holds it)."""
        return self.submit(ev, text, direction).result()

    def close(self) -> None:
        """Answer everything queued, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()

    def __enter__(self) -> DoorWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- the writer thread ------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group, stop = self._gather(first)
            self._commit(group)
            if stop:
                return

    def _gather(self, first: _Scan) -> tuple[list[_Scan], bool]:
        """The first scan and whatever waits behind it (up to ``most``); True when close() came among them.

        Lanes answered by the last commit scan again a moment later, not all at once: committing the first to come
        back alone would split them into ever smaller groups. So when the last group held several scans, this one
        waits for as many, but never longer than half a commit (at most ``MAX_WAIT``): less than the commit it
        saves. A lone scanner's groups hold one scan, and it never waits.
        """
        group = [first]
        want, wait_for = 1, self.linger
        if self._last_size > 1:
            want, wait_for = self._last_size, max(wait_for, min(MAX_WAIT, self._last_commit_s / 2))
        deadline = time.monotonic() + wait_for
        while len(group) < self.most:
            try:
                wait = deadline - time.monotonic() if len(group) < want or self.linger else 0
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return group, True
            group.append(item)
        return group, False

    def _commit(self, group: list[_Scan]) -> None:
        """Check the group in and commit; then, and only then, answer each scan."""
        started = time.monotonic()
        try:
            answers = scan_group(self.ctx, [(s.ev, s.text, s.direction) for s in group])
        except BoxOfficeError as exc:
            # A rule refused part of the group (a pause, recovery, a conflict): nothing of it was committed. Each
            # scan is tried again on its own, so the others are not refused for it.
            self._rollback()
            if len(group) == 1:
                group[0].answer.set_exception(exc)
                return
            for s in group:
                self._commit([s])
            return
        except BaseException as exc:  # noqa: BLE001 - the disk, the database: none of the group is answered "admit"
            self._rollback()
            for s in group:
                s.answer.set_exception(exc)
            return
        self.groups += 1
        self._last_size, self._last_commit_s = len(group), time.monotonic() - started
        for s, a in zip(group, answers, strict=True):
            s.answer.set_result(a)

    def _rollback(self) -> None:
        """A failed COMMIT leaves its transaction open: end it, so the next group starts clean."""
        conn = self.ctx.conn
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except Exception:  # noqa: BLE001, S110 - the next BEGIN says what is wrong, to the scan that meets it
            pass
