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

A group's answers are set together, after its commit, and its lanes woken by one event: a lane waiting in
:meth:`DoorWriter.scan` costs no lock, condition or future of its own, and the writer is woken once a group (when
as many scans as it waits for are in, or the wait is over), not once a scan. :meth:`DoorWriter.submit` (a reader
that does not wait for each answer) gets a :class:`concurrent.futures.Future`, resolved with the rest. A crash (or
kill) before that commit loses the whole group and answers none of it: no "admit" is ever shown for a check-in
that is not on disk.

While a writer is open, the connection is its own: the thread that made it may use it only between scans it has
waited for (the counter does, for its desk commands). Use it as a context manager, or call :meth:`close`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future
from types import TracebackType

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.services.door import DoorEvent, ScanAnswer, check_direction, scan_group

MOST = 500  # scans in one group at most: a scanner's whole buffer, but a bounded transaction
MAX_WAIT = 0.002  # seconds a group waits at most for lanes the last commit answered (see DoorWriter._gather)


class _Group:
    """Scans that share one commit, and their answers (a ScanAnswer or the error that refused it), set together."""

    __slots__ = ("scans", "futures", "results", "done")

    def __init__(self) -> None:
        self.scans: list[tuple[DoorEvent, str, str]] = []
        self.futures: dict[int, Future[ScanAnswer]] = {}  # only for scans queued with submit()
        self.results: list[ScanAnswer | BaseException] = []
        self.done = threading.Event()

    def answer(self, at: int) -> ScanAnswer:
        """The answer of the scan ``at`` of this group, once its commit is done."""
        self.done.wait()
        got = self.results[at]
        if isinstance(got, BaseException):
            raise got
        return got


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
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)  # the writer waits on it; see _queue
        self._open = _Group()  # the group scans join now
        self._full: deque[_Group] = deque()  # groups that reached ``most`` and wait for the writer
        self._want = 1  # how many scans in the open group wake the writer (set by the writer, under the lock)
        self._closed = False
        self._last_size, self._last_commit_s = 1, 0.0  # the last group: how many scans, how long it took
        self._thread = threading.Thread(target=self._run, name="door-writer", daemon=True)
        self._thread.start()

    def submit(self, ev: DoorEvent, text: str, direction: str = "in") -> Future[ScanAnswer]:
        """Queue one scan; its future holds the answer once the scan is committed (or the error that refused it)."""
        answer: Future[ScanAnswer] = Future()
        group, at = self._queue(ev, text, direction)
        with self._lock:  # the writer takes the group's futures under this lock when it answers the group
            if group.results:  # answered already: resolve this one here
                _resolve(answer, group.results[at])
            else:
                group.futures[at] = answer
        return answer

    def scan(self, ev: DoorEvent, text: str, direction: str = "in") -> ScanAnswer:
        """Queue one scan and wait for its answer (after the commit that holds it)."""
        group, at = self._queue(ev, text, direction)
        return group.answer(at)

    def _queue(self, ev: DoorEvent, text: str, direction: str) -> tuple[_Group, int]:
        """Add the scan to the open group; wake the writer only when the group holds as many as it waits for."""
        check_direction(ev, direction)
        with self._lock:
            if self._closed:
                raise BoxOfficeError("conflict", _("the door's writer is closed: no more scans on it"))
            group = self._open
            group.scans.append((ev, text, direction))
            size = len(group.scans)
            if size >= self.most:
                self._full.append(group)
                self._open = _Group()
            if size == self._want or size >= self.most:
                self._arrived.notify()
            return group, size - 1

    def close(self) -> None:
        """Answer everything queued, then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._arrived.notify()
        self._thread.join()

    def __enter__(self) -> DoorWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- the writer thread ------------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                group = self._gather()
                if group is None:
                    return
                self._commit(group)
        except BaseException as exc:  # noqa: BLE001 - whatever stops the writer, no lane may wait for ever
            self._fail_all(exc)  # each waiting scan gets the error: a traceback on a door screen helps nobody

    def _fail_all(self, exc: BaseException) -> None:
        """The writer is stopping on an error: close, and answer every scan still waiting with that error (none of
        them is committed by this writer any more)."""
        with self._lock:
            self._closed = True
            waiting = [*self._full, self._open]
            self._full.clear()
            self._open = _Group()
        for group in waiting:
            if group.scans and not group.done.is_set():
                self._answer(group, [exc] * len(group.scans))

    def _gather(self) -> _Group | None:
        """The next group to commit (None once closed with nothing left): waits for a first scan, then maybe more.

        Lanes answered by the last commit scan again a moment later, not all at once: committing the first to come
        back alone would split them into ever smaller groups. So when the last group held several scans, this one
        waits for as many, but never longer than half a commit (at most ``MAX_WAIT``): less than the commit it
        saves, and not at all when they are already in. A lone scanner's groups hold one scan, and it never waits.
        """
        with self._lock:
            if self._full:
                return self._full.popleft()
            self._want = 1
            while not self._open.scans and not self._full:  # a group filled up meanwhile is not lost
                if self._closed:
                    return None
                self._arrived.wait()
            if self._full:  # older than the open group: committed first
                return self._full.popleft()
            want, wait_for = 1, self.linger
            if self._last_size > 1:
                want, wait_for = self._last_size, max(wait_for, min(MAX_WAIT, self._last_commit_s / 2))
            if self.linger:
                want = self.most
            self._want = want
            deadline = time.monotonic() + wait_for
            while len(self._open.scans) < want and not self._full and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            self._want = 0  # nobody wakes the writer while it commits: it looks again when done
            if self._full:
                return self._full.popleft()
            group, self._open = self._open, _Group()
            return group

    def _commit(self, group: _Group) -> None:
        """Check the group in and commit; then, and only then, answer each scan."""
        started = time.monotonic()
        try:
            answers: list[ScanAnswer | BaseException] = list(scan_group(self.ctx, group.scans))
        except BoxOfficeError as exc:
            # A rule refused part of the group (a pause, recovery, a conflict): nothing of it was committed. Each
            # scan is tried again on its own, so the others are not refused for it.
            self._rollback()
            answers = [exc] if len(group.scans) == 1 else [self._alone(s) for s in group.scans]
        except BaseException as exc:  # noqa: BLE001 - the disk, the database: none of the group is answered "admit"
            self._rollback()
            answers = [exc] * len(group.scans)
        else:
            self.groups += 1
            self._last_size, self._last_commit_s = len(group.scans), time.monotonic() - started
        self._answer(group, answers)

    def _alone(self, scan: tuple[DoorEvent, str, str]) -> ScanAnswer | BaseException:
        """One scan of a refused group, in a commit of its own."""
        try:
            answer = scan_group(self.ctx, [scan])[0]
        except BaseException as exc:  # noqa: BLE001 - handed to the scan's caller, as its own refusal
            self._rollback()
            return exc
        self.groups += 1
        return answer

    def _answer(self, group: _Group, answers: list[ScanAnswer | BaseException]) -> None:
        """Every answer of the group at once: one event wakes its lanes; submit()'s futures are resolved too."""
        with self._lock:
            group.results = answers
            futures = list(group.futures.items())
        group.done.set()
        for at, future in futures:
            _resolve(future, answers[at])

    def _rollback(self) -> None:
        """A failed COMMIT leaves its transaction open: end it, so the next group starts clean."""
        conn = self.ctx.conn
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except Exception:  # noqa: BLE001, S110 - the next BEGIN says what is wrong, to the scan that meets it
            pass


def _resolve(future: Future[ScanAnswer], got: ScanAnswer | BaseException) -> None:
    """Hand the answer to a submit()'s future, unless its caller cancelled it (a door screen closing while it
    waited): the scan is committed all the same, and nobody is left to tell."""
    if not future.set_running_or_notify_cancel():
        return
    if isinstance(got, BaseException):
        future.set_exception(got)
    else:
        future.set_result(got)
