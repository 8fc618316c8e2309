"""The marks file: the last journal entry and order number this terminal committed, kept beside its database.

A database file can be put back from an older copy (``boxoffice restore``, or by hand). Its journal and order
numbers then start again from where the copy stopped, and would be handed out a second time. ``<db>.marks`` remembers
how far the terminal really got, outside the database, so ``restore`` can carry that forward and a database opened
behind its marks is recognised at once (services/recovery.py).

The file is JSON padded to one 512-byte record, mode 0600, rewritten in place with a single write of that record
after each committed write that moved the journal or the order numbers (``store.db.write`` calls the hook ``attach``
installs). It only ever moves forward: a process that commits on a database copied back never lowers it.

Why one record written in place rather than a new file renamed over the old: on ext4 a rename over an existing
file flushes the new file's data first, as an fsync would (about 1.3 ms a sale here); one 512-byte write lands in
one disk sector, which a crash leaves whole or not written (a torn record would not parse, and a file that does not
parse is never trusted: it counts as no marks). Written so, the marks cost a sale a few tenths of a millisecond,
within the noise of the measurement (``benchmarks/bench_sales.py --marks``; benchmarks/README.md).

Why no fsync: it added 2.5 to 4.5 ms to a sale of about 7 ms, a second disk flush per sale besides SQLite's own
fsync of the WAL (synchronous=FULL), for little. The marks are a second witness, read only when the database
itself cannot be trusted to know how far it got: ``restore`` reads the live database first and uses the marks only
when that database is unreadable. After a power cut the marks may trail the database by what the operating system
had not yet written back (seconds), never lead it; what they miss is then caught by the central service (the head
it reports, and ``journal_diverged`` on a reused number), which ``restore`` also asks.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FORMAT = "boxoffice.marks/1"
FSYNC = False
RECORD = 512


@dataclass(frozen=True)
class Marks:
    """How far a terminal got: its last journal entry (seq, hash) and the next order number it would hand out."""

    terminal_id: str
    seq: int
    hash: str
    next_order_seq: int

    def later(self, other: Marks | None) -> Marks:
        """The furthest of two marks of one terminal: the higher entry (with its hash), the higher order number.

        At the same entry ``other``'s hash is kept: a database that reached the same number by another history must
        not rewrite what the file says was there (services/recovery.py compares them)."""
        if other is None or other.terminal_id != self.terminal_id:
            return self
        top = self if self.seq > other.seq else other
        return Marks(self.terminal_id, top.seq, top.hash, max(self.next_order_seq, other.next_order_seq))


def path_for(db_path: str | Path) -> Path:
    """``<db>.marks``, beside the database."""
    return Path(f"{db_path}.marks")


def read(path: Path) -> Marks | None:
    """The marks in ``path``, or None when there is no file or it is not a marks file (never trusted then)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):  # ValueError: not UTF-8
        return None
    return _parse(text)


def _parse(text: str | bytes) -> Marks | None:
    """The marks a file's content holds (bytes: as UTF-8), or None (as :func:`read`)."""
    try:
        doc = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
        if doc.get("format") != FORMAT:
            return None
        marks = Marks(str(doc["terminal_id"]), int(doc["seq"]), str(doc["hash"]), int(doc["next_order_seq"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return marks if marks.seq >= 0 and marks.next_order_seq >= 1 else None


def _record(marks: Marks) -> bytes:
    """``marks`` as the file's one record."""
    # The fields named rather than dataclasses.asdict's deep copy (which asks each value's type whether it is a
    # dataclass): written after every sale.
    return json.dumps({"format": FORMAT, "terminal_id": marks.terminal_id, "seq": marks.seq, "hash": marks.hash,
                       "next_order_seq": marks.next_order_seq}, sort_keys=True).encode("utf-8").ljust(RECORD, b" ")


def write(path: Path, marks: Marks) -> None:
    """Write ``marks`` as the file's one record, in place (made 0600 if new): see the module docstring."""
    data = _record(marks)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, data, 0)
        if os.fstat(fd).st_size != RECORD:
            os.ftruncate(fd, RECORD)
        if FSYNC:
            os.fsync(fd)
    finally:
        os.close(fd)


def head(conn: sqlite3.Connection) -> Marks | None:
    """The marks of a database as it stands: its terminal, last journal entry and next order number."""
    row = conn.execute("SELECT t.id, t.next_order_seq, j.seq, j.hash FROM terminal t LEFT JOIN"
                       " (SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1) j LIMIT 1").fetchone()
    if row is None or row[2] is None:
        return None
    return Marks(row[0], int(row[2]), row[3], int(row[1]))


def advance(path: Path, now: Marks) -> Marks:
    """Move the file forward to ``now`` (never back) and return what it holds after."""
    on_disk = read(path)
    merged = now.later(on_disk)
    if merged != on_disk:
        write(path, merged)
    return merged


class _Keeper:
    """The hook run after each committed write on one connection.

    It remembers the record it last wrote (or found): while the file still holds exactly those bytes, what it says
    is known without parsing it, and the file is read and written through one opening. Any other content (another
    process moved it, or it was replaced) is parsed as :func:`read` does and merged as :func:`advance` does.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last: Marks | None = None
        self.record: bytes | None = None  # the file's content when this keeper last wrote or read it,
        self.holds: Marks | None = None  # and the marks that content holds
        self.quiet = threading.local()  # set by unmoved(): this thread's commits moved nothing the marks hold
        self.behind = False  # the last advance failed (a full disk): the next commit tries again, quiet or not

    def __call__(self, conn: sqlite3.Connection) -> None:
        if getattr(self.quiet, "on", False) and not self.behind:
            return
        try:
            now = head(conn)
        except sqlite3.Error:  # a database without its tables yet (being made or migrated)
            return
        if now is None or now == self.last:
            return  # the usual case for a write that journalled nothing: no file touched
        # A full or read-only disk must not turn a committed sale into an error: the marks stay where they were
        # (behind, which is safe) until a later write manages it.
        self.behind = True
        with contextlib.suppress(OSError):
            self._advance(now)
            self.last = now
            self.behind = False

    def _advance(self, now: Marks) -> None:
        """:func:`advance`, reading and writing the record through one opening of the file."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            seen = os.pread(fd, RECORD + 1, 0)  # one byte more than a record: a longer file is not one record
            if seen == self.record:
                on_disk = self.holds
            elif len(seen) > RECORD:
                on_disk = read(self.path)
            else:
                on_disk = _parse(seen)
            merged = now.later(on_disk)
            if merged != on_disk:
                data = _record(merged)
                os.pwrite(fd, data, 0)
                if len(seen) != RECORD:
                    os.ftruncate(fd, RECORD)
                if FSYNC:
                    os.fsync(fd)
                seen = data
            self.record, self.holds = seen, merged
        finally:
            os.close(fd)


@contextlib.contextmanager
def unmoved(conn: sqlite3.Connection) -> Iterator[None]:
    """Within the block, this thread's commits on ``conn`` move neither the journal nor the order numbers (a print
    job's outcome): the hook skips its read of the head, which would find what the last commit left."""
    keeper = getattr(conn, "after_commit", None)
    if not isinstance(keeper, _Keeper):
        yield
        return
    keeper.quiet.on = True
    try:
        yield
    finally:
        keeper.quiet.on = False


def attach(conn: sqlite3.Connection, db_path: str | Path) -> None:
    """Keep ``<db_path>.marks`` up to date after each committed write on ``conn`` (a store.db connection)."""
    if hasattr(type(conn), "after_commit"):
        conn.after_commit = _Keeper(path_for(db_path))  # type: ignore[attr-defined]

