"""The central database: PostgreSQL (psycopg 3) or a SQLite file, behind one small adapter.

Callers write portable SQL with ``?`` placeholders (translated to ``%s`` for psycopg) and get rows as dicts. One
connection per request or admin command, nothing cached between them, so any number of service processes can share
one PostgreSQL database. SQLite is the embedded default for a venue with one small server: WAL, and every write
transaction is ``BEGIN IMMEDIATE`` so concurrent requests queue for the lock instead of failing half-way.
"""

from __future__ import annotations

import contextlib
import functools
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

BUSY_TIMEOUT_MS = 30_000
ATTEMPTS = 5                 # tries of a whole unit of work that PostgreSQL aborted as a deadlock or serialization
BACKOFF_SECONDS = 0.05       # the first wait's upper bound; it doubles each time, each wait a random fraction of it
TRANSIENT_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure: safe to run again whole
T = TypeVar("T")


def storable(value: Any, longest: int | None = None) -> bool:
    """Text both databases can keep: no NUL (PostgreSQL refuses it in any text column) and no lone surrogate (an
    escape JSON allows, which neither driver can encode), and at most ``longest`` characters when given. What a
    pushed payload holds is checked with this before it reaches a statement: one refused there fails the push, and
    every later one that carries it."""
    if not isinstance(value, str) or "\x00" in value or (longest is not None and len(value) > longest):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_postgres(url: str) -> bool:
    """Whether a --db value names a PostgreSQL server (else it is a SQLite file path)."""
    return url.startswith(("postgresql://", "postgres://"))


@functools.lru_cache(maxsize=512)
def _to_psycopg(sql: str) -> str:
    """'?' placeholders become '%s'; a literal '%' is doubled (the SQL here has no '?' inside strings)."""
    return sql.replace("%", "%%").replace("?", "%s")


class CentralDB:
    """One open connection. Use as a context manager; ``transaction()`` groups writes; autocommit otherwise."""

    def __init__(self, raw: Any, postgres: bool, where: str) -> None:
        self.raw = raw
        self.postgres = postgres
        self.where = where
        self._in_tx = False

    # -- opening and closing ------------------------------------------------------------------------------------

    def __enter__(self) -> CentralDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.raw.close()

    # -- statements ---------------------------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return _to_psycopg(sql) if self.postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        cur = self.raw.execute(self._sql(sql), tuple(params))
        return cur.rowcount

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row (pipelined by psycopg, prepared once by sqlite3)."""
        rows = [tuple(r) for r in rows]
        if not rows:
            return
        if self.postgres:
            with self.raw.cursor() as cur:
                cur.executemany(self._sql(sql), rows)
        else:
            self.raw.executemany(sql, rows)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.raw.execute(self._sql(sql), tuple(params))
        if self.postgres:
            return list(cur.fetchall())
        return [dict(r) for r in cur.fetchall()]

    def all_within(self, sql: str, params: Sequence[Any], *, measure: str, order: str,
                   budget: int) -> tuple[list[dict[str, Any]], bool]:
        """The rows of ``sql`` (ordered by ``order`` ascending, with its own LIMIT), stopping at the first row whose
        ``measure`` text brings their total to ``budget`` bytes (UTF-8) or more: that row is the last. So a page
        always holds its first row, however large, and at most ``budget`` bytes plus one row. Also whether the
        rows reached the budget (rows after the last may then be waiting), as the database measured them: a caller
        that measured again could disagree with it about a page cut just at the budget.

        Why here: a page read whole with :meth:`all` held every row the LIMIT allowed in memory at once (a thousand
        entries of a megabyte each is a gigabyte), before anyone could look at their size. PostgreSQL measures the
        column itself (``octet_length`` reads the stored length, not the text) and sends only the rows within the
        budget; SQLite steps its cursor one row at a time, and the rest of the result is never read."""
        if self.postgres:
            size = f"COALESCE(octet_length(q.{measure}), 0)"
            wrapped = (f"SELECT * FROM (SELECT q.*, {size} AS bytes_own, SUM({size}) OVER (ORDER BY q.{order} ROWS"
                       f" UNBOUNDED PRECEDING) AS bytes_through FROM ({sql}) q) w"
                       f" WHERE bytes_through - bytes_own < ? ORDER BY {order}")
            rows = self.all(wrapped, (*params, budget))
            reached = bool(rows) and rows[-1]["bytes_through"] >= budget
            for row in rows:
                del row["bytes_own"], row["bytes_through"]
            return rows, reached
        out: list[dict[str, Any]] = []
        spent = 0
        cur = self.raw.execute(sql, tuple(params))
        try:
            for row in cur:
                out.append(dict(row))
                spent += _octets(row[measure])
                if spent >= budget:
                    break
        finally:
            cur.close()
        return out, spent >= budget

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        cur = self.raw.execute(self._sql(sql), tuple(params))
        row = cur.fetchone()
        if row is None:
            return None
        return row if self.postgres else dict(row)

    def all_in(self, sql: str, values: Sequence[str], params: Sequence[Any] = (),
               chunk: int = 400) -> list[dict[str, Any]]:
        """Rows of ``sql`` whose last words name a text column, matched against ``values``; ``params`` fill the
        ``?`` before it. PostgreSQL: one ``= ANY(array)`` with the array sent in binary, a statement whose text is
        the same whatever the count (a list of hundreds of placeholders costs psycopg more to parse and the server
        more to plan than the lookup itself). SQLite: ``IN (?, ...)``, ``chunk`` values a statement."""
        if not values:
            return []
        if self.postgres:
            cur = self.raw.execute(self._sql(sql) + " = ANY(%b::text[])", (*params, list(values)))
            return list(cur.fetchall())
        out: list[dict[str, Any]] = []
        for i in range(0, len(values), chunk):
            part = values[i:i + chunk]
            out += self.all(f"{sql} IN ({', '.join('?' * len(part))})", (*params, *part))
        return out

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))

    def insert_returning(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                         conflict: str | None, returning: str, chunk: int = 400) -> list[Any]:
        """Insert many rows with ``ON CONFLICT (conflict) DO NOTHING``; return ``returning`` of the rows inserted.

        ``conflict`` None skips a row that clashes on any unique key. The database itself skips the rows a
        concurrent or earlier request inserted, so the caller learns exactly which rows are new in this transaction.
        """
        if not rows:
            return []
        target = f" ON CONFLICT ({conflict})" if conflict else " ON CONFLICT"
        tail = f"{target} DO NOTHING RETURNING {returning}"
        if self.postgres:
            arrays = [list(c) for c in zip(*rows, strict=True)]
            cur = self.raw.execute(self._unnest(table, columns, rows) + tail, arrays)
            return [r[returning] for r in cur.fetchall()]
        out: list[Any] = []
        one_row = "(" + ", ".join("?" * len(columns)) + ")"
        for i in range(0, len(rows), chunk):
            part = rows[i:i + chunk]
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([one_row] * len(part)) + tail
            out += [r[0] for r in self.raw.execute(sql, [v for r in part for v in r]).fetchall()]
        return out

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                    skip_existing: bool = False) -> None:
        """Insert many rows: one statement over arrays on PostgreSQL, executemany on SQLite. With
        ``skip_existing`` a row that clashes on any unique key is left out (ON CONFLICT DO NOTHING)."""
        if not rows:
            return
        tail = " ON CONFLICT DO NOTHING" if skip_existing else ""
        if self.postgres:
            self.raw.execute(self._unnest(table, columns, rows) + tail, [list(c) for c in zip(*rows, strict=True)])
        else:
            self.raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                 f"({', '.join('?' * len(columns))}){tail}", rows)

    @staticmethod
    def _unnest(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
        """INSERT ... SELECT FROM unnest(one array per column): one short statement whatever the row count, where
        a multi-row VALUES list costs psycopg more to prepare than the database to run. Integer columns are the
        ones whose first non-null value is a Python int; the rest are text (every central column is one or the
        other)."""
        kinds = []
        for i in range(len(columns)):
            first = next((r[i] for r in rows if r[i] is not None), None)
            kinds.append("bigint" if isinstance(first, int) and not isinstance(first, bool) else "text")
        arrays = ", ".join(f"%b::{k}[]" for k in kinds)  # binary: no quoting of every JSON text
        return f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[CentralDB]:
        """Everything inside commits together or not at all (nested calls join the outer transaction)."""
        if self._in_tx:
            yield self
            return
        self._in_tx = True
        try:
            if self.postgres:
                with self.raw.transaction():
                    yield self
            else:
                self.raw.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    if self.raw.in_transaction:
                        self.raw.execute("ROLLBACK")
                    raise
                self.raw.execute("COMMIT")
        finally:
            self._in_tx = False


def _octets(value: Any) -> int:
    """The bytes a text column's value takes in UTF-8 (0 for NULL): its length when it is ASCII, which Python knows
    without looking at the text, so a page of ASCII payloads is measured without a copy."""
    if value is None:
        return 0
    text = str(value)
    return len(text) if text.isascii() else len(text.encode("utf-8", errors="surrogatepass"))


def connect(url: str) -> CentralDB:
    """Open the central database named by ``url``: a postgresql:// URL, else a SQLite file path (created)."""
    if not url:
        raise BoxOfficeError("bad_input", _("no central database given: --db postgresql://... or a file path, "
                                            "or BOXOFFICE_CENTRAL_DB"))
    if is_postgres(url):
        return _connect_pg(url)
    return _connect_sqlite(url)


def _connect_pg(url: str) -> CentralDB:
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError:
        raise BoxOfficeError("bad_input", _("PostgreSQL needs psycopg: pip install 'boxoffice[central]'")) from None
    try:
        raw = psycopg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=10)
    except psycopg.Error as exc:
        raise BoxOfficeError("database_error", _("cannot connect to the central database: {error}").format(
            error=first_line(exc))) from None
    return CentralDB(raw, True, _redact(url))


def _connect_sqlite(url: str) -> CentralDB:
    from boxoffice.filemodes import create_private

    path = Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))
    try:
        # the central private key lives in this file: 0600 (its -wal and -shm follow), a new folder 0700
        create_private(path)
        raw = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        raw.row_factory = sqlite3.Row
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")  # a terminal forgets what central acknowledged: it must last
    except (sqlite3.Error, OSError) as exc:
        raise BoxOfficeError("database_error", _("cannot open the central database {path}: {error}").format(
            path=path, error=exc)) from None
    return CentralDB(raw, False, str(path))


def first_line(exc: BaseException) -> str:
    """A database error's first line: the driver's summary, without the detail lines that may quote row values."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _redact(url: str) -> str:
    """A URL fit for messages and logs: any password replaced."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def database_errors() -> tuple[type[BaseException], ...]:
    """The exception types a database failure raises, for the service's error handler."""
    errors: list[type[BaseException]] = [sqlite3.Error]
    try:
        import psycopg

        errors.append(psycopg.Error)
    except ImportError:
        pass
    return tuple(errors)


def transient(exc: BaseException) -> bool:
    """Whether a database error is one PostgreSQL asks the client to retry: the transaction was rolled back whole
    because of other writers (a deadlock, a serialization failure), not because of anything in it."""
    return getattr(exc, "sqlstate", None) in TRANSIENT_SQLSTATES


def retry(db: CentralDB, work: Callable[[CentralDB], T], *, attempts: int = ATTEMPTS) -> T:
    """Run ``work`` on ``db``, again when PostgreSQL rolled it back as a deadlock or serialization failure, up to
    ``attempts`` times with a growing random wait; then ``busy``.

    ``work`` must be a whole unit that is safe to run again from the start: its transactions commit all or nothing
    and each one is idempotent (journal entries by id, top-ups by request id, web orders by ref), which every
    request and admin command of the central service is. The connection stays usable: the failed transaction was
    rolled back whole. The random waits keep two writers that collided from colliding again in step. Inside a
    caller's transaction nothing is retried here (that transaction is lost): the caller's own unit retries.
    """
    errors = database_errors()
    for attempt in range(1, attempts + 1):
        try:
            return work(db)
        except errors as exc:
            if not transient(exc) or db._in_tx:
                raise
            if attempt == attempts:
                raise BoxOfficeError("busy", _("the central database stayed busy with other writers ({attempts} "
                                               "tries ended in {error}): try again in a moment").format(
                                                   attempts=attempts, error=type(exc).__name__)) from None
        time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")


def retrying(url: str, work: Callable[[CentralDB], T], *, attempts: int = ATTEMPTS,
             opener: Callable[[str], CentralDB] | None = None) -> T:
    """Open ``url`` (with ``opener``, else ``connect``) and ``retry`` ``work`` on that connection."""
    with (opener or connect)(url) as db:
        return retry(db, work, attempts=attempts)
