"""Copying a live database with SQLite's online backup, and checking a copy before anyone trusts it."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from boxoffice.filemodes import create_private
from boxoffice.i18n import _
from boxoffice.store.db import BACKUP_MARK, BUSY_TIMEOUT_MS


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the file ``path``. Through a proper file URI: a name with ``#`` or ``?`` in it
    would otherwise cut ``?mode=ro`` off, and SQLite would open (or create) some other file read-write."""
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)


ALONE_WAIT_MS = 5_000  # how long a restore waits for another process to let go of the database


@contextlib.contextmanager
def alone(conn: sqlite3.Connection) -> Iterator[None]:
    """This connection the only one on its database while the block runs: no other connection, in this process or
    another, can read or write it (SQLite's exclusive locking mode, held from the first write to the end).

    Raises ``BusyElsewhere`` when another connection keeps the database open past ``ALONE_WAIT_MS`` (in WAL mode an
    open connection shares the file, idle or not). The lock goes with the process if it dies.
    """
    conn.execute(f"PRAGMA busy_timeout={ALONE_WAIT_MS}")
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("COMMIT")  # the write lock, which this mode keeps after the transaction
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise BusyElsewhere from None
            raise  # a disk that fails is not another program
        finally:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        yield
    finally:
        conn.execute("PRAGMA locking_mode=NORMAL")
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()  # the mode changes at the next access


class BusyElsewhere(Exception):
    """Another connection kept the database open (:func:`alone`)."""


def online_copy(source: sqlite3.Connection, target: Path, pages_per_step: int = 256) -> None:
    """Copy ``source`` into a new file while other processes keep writing (the backup restarts as needed).

    SQLite's errors writing the copy (disk full, read-only, gone) come out as OSError, so the caller handles a
    failing backup disk one way.
    """
    try:
        create_private(target)  # a copy holds what the database does: the owner's alone, -journal included
        dest = sqlite3.connect(target)
    except sqlite3.Error as exc:
        raise OSError(str(exc)) from None
    try:
        source.backup(dest, pages=pages_per_step, sleep=0.005)
        dest.execute(f"PRAGMA application_id={BACKUP_MARK}")
        dest.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, no -wal beside it
    except sqlite3.Error as exc:
        raise OSError(str(exc)) from None
    finally:
        dest.close()


def restore_into(source: Path, target: sqlite3.Connection) -> None:
    """Overwrite the open database ``target`` with the file ``source``, page by page, as one operation."""
    from boxoffice.store.sale_reads import forget

    src = _read_only(source)
    try:
        src.backup(target)
        target.execute("PRAGMA application_id=0")  # in place, it is the terminal's database again
    finally:
        src.close()
        forget(target)  # written under the connection: what it kept of the old database is not this one's


def terminal_id(path: Path) -> str | None:
    """Which terminal a database file belongs to; None for anything that cannot be read as one (a folder or a file
    without read permission named like a backup, a damaged copy), so that pruning a shared folder leaves it alone."""
    try:
        conn = _read_only(path)
    except (sqlite3.Error, OSError):
        return None
    try:
        row = conn.execute("SELECT id FROM terminal LIMIT 1").fetchone()
        return row[0] if row else None
    except (sqlite3.Error, OSError):
        return None
    finally:
        conn.close()


def last_seq(path: Path) -> int | None:
    """A copy's last journal entry (0 for an empty journal), None when it cannot be read: copies are ordered by
    what they hold, since the times in their names are only as right as the clock was."""
    try:
        conn = _read_only(path)
    except (sqlite3.Error, OSError):
        return None
    try:
        return int(conn.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0])
    except (sqlite3.Error, OSError):
        return None
    finally:
        conn.close()


def entry_hash(path: Path, seq: int) -> str | None:
    """The hash of a copy's journal entry ``seq`` (None when it has none): whether the live database's last entry
    is part of the copy's history, read without writing to the copy."""
    conn = _read_only(path)
    try:
        row = conn.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def integrity(path: Path) -> tuple[str, list[dict]]:
    """PRAGMA integrity_check of a file, and its journal rows in order (for the chain check)."""
    conn = _read_only(path)
    conn.row_factory = sqlite3.Row
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        try:
            journal = [dict(r) for r in conn.execute("SELECT * FROM journal ORDER BY seq")]
        except sqlite3.DatabaseError:
            journal = []
            result = result if result != "ok" else _("no journal table: not a boxoffice database")
        return result, journal
    except sqlite3.DatabaseError as exc:
        return _("unreadable: {problem}").format(problem=exc), []
    finally:
        conn.close()


def describe(path: Path) -> dict:
    """What a restore needs to know of a copy before it is put in place: its terminal, last journal entry, next
    order number, and the central service it was enrolled with (None when not)."""
    conn = _read_only(path)
    conn.row_factory = sqlite3.Row
    try:
        term = conn.execute("SELECT id, tag, name, next_order_seq FROM terminal LIMIT 1").fetchone()
        last = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        try:
            sync = conn.execute("SELECT * FROM sync_state WHERE id = 1").fetchone()
        except sqlite3.OperationalError:  # a copy from before sync existed
            sync = None
        return {"terminal_id": term["id"] if term else None, "tag": term["tag"] if term else None,
                "name": term["name"] if term else None, "next_order_seq": term["next_order_seq"] if term else 1,
                "seq": last["seq"] if last else 0, "hash": last["hash"] if last else None,
                "central_url": sync["central_url"] if sync else None, "token": sync["token"] if sync else None,
                "ca_bundle": dict(sync).get("ca_bundle") if sync else None}  # a copy from before 0013 has none
    finally:
        conn.close()


def operator_in(path: Path, name: str) -> dict | None:
    """An operator of a copy, by name (to check an admin's PIN against it when there is no live database)."""
    conn = _read_only(path)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM operators WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
        return dict(row) if row else None
    finally:
        conn.close()


def copy_to_new(source: Path, target: Path) -> None:
    """Write the copy ``source`` as a new database file at ``target`` (nothing there: the caller moved it aside),
    no longer marked as a backup copy: it is made to be put in place."""
    src = _read_only(source)
    create_private(target)
    dest = sqlite3.connect(target)
    try:
        src.backup(dest)
        dest.execute("PRAGMA application_id=0")
    finally:
        dest.close()
        src.close()


def schema_extras(path: Path) -> list[str]:
    """Triggers and views in a copy (``"trigger NAME"``). The migrations make none: one in a backup was put there
    by hand, and would run on every sale once the copy is in place (a trigger deleting payments, say)."""
    conn = _read_only(path)
    try:
        return [f"{kind} {name}" for kind, name in conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view') ORDER BY type, name")]
    except sqlite3.DatabaseError:
        return []
    finally:
        conn.close()


def migrations_in(path: Path) -> list[str]:
    """The migrations a copy has applied, in order (none for a copy that has no table of them)."""
    from boxoffice.store.migrations import applied

    conn = _read_only(path)
    try:
        return applied(conn)
    except sqlite3.DatabaseError:
        return []
    finally:
        conn.close()


def prepare_copy(source: Path, target: Path) -> None:
    """Copy ``source`` into the new file ``target`` (0600) and apply this release's pending migrations to it there:
    a restore's own copy, not yet in place, so a migration that fails leaves the live database as it was. A copy
    from a newer release is refused (``database_newer``) as the migrations refuse it."""
    from boxoffice.store.migrations import ensure_current

    try:
        copy_to_new(source, target)
        conn = sqlite3.connect(target, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            ensure_current(conn)
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as exc:
        raise _not_ready(source, exc) from None


def prepared_in_memory(source: Path) -> sqlite3.Connection:
    """The copy as :func:`prepare_copy` would make it (this release's schema), held in memory: read as the
    terminal would read it once in place, with nothing written to the backup or beside it. The caller closes it."""
    from boxoffice.store.migrations import ensure_current

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        src = _read_only(source)
        try:
            src.backup(conn)
        finally:
            src.close()
        ensure_current(conn)
    except (sqlite3.Error, OSError) as exc:
        conn.close()
        raise _not_ready(source, exc) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _not_ready(source: Path, exc: Exception) -> Exception:
    from boxoffice.errors import BoxOfficeError

    return BoxOfficeError("database_error", _("{file} could not be made ready to restore ({problem}): not "
                                              "restored").format(file=source, problem=exc))
