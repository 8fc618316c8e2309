"""Opening the terminal database: pragmas, the write transaction, and the schema check on every open.

Reads go through a plain sqlite3 connection (fast to open, so short commands stay quick); sqlite-utils runs the
migrations and is imported only when one is pending. Every write is ``BEGIN IMMEDIATE`` so two processes on one
database queue for the write lock up front instead of failing half-way with SQLITE_BUSY.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from boxoffice.errors import BoxOfficeError
from boxoffice.filemodes import create_private, database_mode
from boxoffice.i18n import _

BUSY_TIMEOUT_MS = 15_000

# The SQLite header's application id of a copy made by `boxoffice backup` (and of the live database kept before a
# restore): such a file opens only through `boxoffice restore`, which clears it in the copy it puts in place. A copy
# opened as a terminal elsewhere would log its operators in again and show what the live drawer should hold before
# its blind count (services/blind_close.py); copied back by hand it would skip restore's checks (a trigger, a newer
# schema). "BoxC"; a live database keeps SQLite's default, 0.
BACKUP_MARK = 0x426F7843


class TerminalConnection(sqlite3.Connection):
    """A terminal database connection that can run one hook after each committed write (``write`` below calls it).

    The hook keeps the marks file beside the database (store/marks.py) up to date: a plain sqlite3.Connection can
    carry no attribute, so the terminal's connections are made of this subclass.
    """

    after_commit: Callable[[sqlite3.Connection], None] | None = None
    lock_poll: float | None = None  # set by polling_for_lock


def connect(path: str | Path, *, create: bool = False, migrate: bool = True) -> sqlite3.Connection:
    """Open (or with ``create`` make) the database at ``path`` and bring its schema up to date."""
    p = Path(path)
    if not create and not p.exists():
        raise BoxOfficeError(
            "not_initialised",
            _("no terminal database at {path}: run `boxoffice init` (or `boxoffice demo`), or point --db at "
              "one").format(path=p),
        )
    if create:
        try:
            create_private(p)  # 0600 before SQLite opens it: its -wal and -shm files take the same mode
        except OSError as exc:
            raise BoxOfficeError("database_error", _("cannot create the database {path}: {problem}").format(
                path=p, problem=exc.strerror or exc)) from None
    try:
        conn = sqlite3.connect(p, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                               factory=TerminalConnection)
        conn.row_factory = sqlite3.Row
        if not create and conn.execute("PRAGMA application_id").fetchone()[0] == BACKUP_MARK:
            conn.close()
            raise BoxOfficeError("backup_copy", _("{path} is a backup copy, not a terminal's database: it opens only "
                                                  "to be put back, with `boxoffice restore {path}`").format(path=p))
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raise BoxOfficeError("database_error", _("{path} is not a readable boxoffice database: {problem}").format(
            path=p, problem=exc)) from None
    if migrate:
        from boxoffice.store.migrations import ensure_current

        ensure_current(conn)
    from boxoffice.store import marks

    marks.attach(conn, p)
    return conn


def check_mode(path: str | Path) -> str | None:
    """Refuse a database other users of this computer can write; return a one-line warning if they can read it.

    Anyone who can write the file can change sales, operators and PIN hashes behind the journal's back; anyone who
    can read it has the sync token, the PIN hashes and every customer's name.
    """
    p = Path(path)
    try:
        how = database_mode(p)
    except FileNotFoundError:
        return None  # connect says there is no database
    if how == "writable":
        raise BoxOfficeError("unsafe_file", _("{path} can be written by other users of this computer: refusing to use "
                                              "it; make it the owner's alone (chmod 600 {path}) and check its "
                                              "contents").format(path=p))
    if how == "readable":
        return _("warning: {path} can be read by other users of this computer (PIN hashes, customers): "
                 "chmod 600 {path}").format(path=p)
    return None


@contextlib.contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One action, one transaction: everything inside commits together or not at all."""
    if conn.in_transaction:  # nested: join the caller's transaction through a savepoint
        conn.execute("SAVEPOINT nested")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO nested")
            conn.execute("RELEASE nested")
            raise
        conn.execute("RELEASE nested")
        return
    _begin(conn)
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        # A COMMIT that fails (disk full, an I/O error) leaves its transaction open: the next write() would only
        # make a savepoint inside it and never commit. End it, so the action is undone and the error says so.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    hook = getattr(conn, "after_commit", None)
    if hook is not None:
        hook(conn)


def _begin(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE: waiting as SQLite does (tries further and further apart, up to 100 ms), or on a connection
    marked by :func:`polling_for_lock`, trying every few milliseconds until BUSY_TIMEOUT_MS."""
    poll = getattr(conn, "lock_poll", None)
    if not poll:
        conn.execute("BEGIN IMMEDIATE")
        return
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    conn.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                    raise
            time.sleep(poll)
    finally:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


@contextlib.contextmanager
def polling_for_lock(conn: sqlite3.Connection, every: float = 0.001) -> Iterator[sqlite3.Connection]:
    """Within the block, take the write lock by trying every ``every`` seconds rather than by SQLite's back-off.

    For a background writer (sync) beside a writer that commits back to back (a counter selling flat out): SQLite's
    waits grow to 100 ms between tries, and the counter, which asks again at once after each commit, nearly always
    has the lock when the sync looks, so the sync waited seconds for each of its short transactions."""
    if not hasattr(type(conn), "lock_poll"):  # a plain sqlite3 connection carries no attribute: SQLite's way
        yield conn
        return
    before = conn.lock_poll  # type: ignore[attr-defined]
    conn.lock_poll = every  # type: ignore[attr-defined]
    try:
        yield conn
    finally:
        conn.lock_poll = before  # type: ignore[attr-defined]


def rows(conn: sqlite3.Connection, sql: str, params: tuple | dict = ()) -> list[dict]:
    """Run a query and return plain dicts (easy to turn into JSON)."""
    return [dict(r) for r in conn.execute(sql, params)]


def one(conn: sqlite3.Connection, sql: str, params: tuple | dict = ()) -> dict | None:
    """The first row as a dict, or None."""
    row = conn.execute(sql, params).fetchone()
    return dict(row) if row is not None else None
