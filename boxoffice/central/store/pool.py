"""Idle PostgreSQL connections kept between the central service's requests.

Opening a PostgreSQL connection (TCP, start-up, authentication, a backend process forked) cost a push more than
most of its statements: two a request, a tenth of a 100-entry push's time. The service keeps a few idle ones
instead. What a request may rely on stays what a fresh connection gave it:

- a connection goes back only clean: autocommit, no transaction open (one left open is rolled back), not broken;
  after a database error it is closed, never reused, so no half state crosses requests;
- before one is handed out it is checked without a round trip: an idle connection's socket has nothing to read,
  so a readable one was closed by the server (PostgreSQL restarted, the backend terminated) and is dropped for a
  new one — a request never fails because of what happened to the connection while it sat idle;
- at most ``keep`` wait idle; a request that finds none opens its own (nothing ever waits for a connection).

A SQLite central database is opened per request as before: opening a file is cheap and keeps each request's
``BEGIN IMMEDIATE`` on a connection of its own.
"""

from __future__ import annotations

import contextlib
import select
import threading
from collections.abc import Iterator
from typing import Any

from boxoffice.central.store.db import CentralDB, connect, database_errors, is_postgres

KEEP = 8  # idle connections kept: above the requests one process runs at once on two cores, far below max_connections


class Connections:
    """Where one service process gets the connection for a unit of work (see the module's docstring)."""

    def __init__(self, url: str, keep: int = KEEP) -> None:
        self.url = url
        self.keep = keep if is_postgres(url) else 0
        self._idle: list[CentralDB] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextlib.contextmanager
    def connection(self) -> Iterator[CentralDB]:
        """A connection for one unit of work; given back clean, or closed, whatever happens inside."""
        db = self._take()
        failed: BaseException | None = None
        try:
            yield db
        except BaseException as exc:
            failed = exc
            raise
        finally:
            self._give(db, failed)

    def idle(self) -> int:
        """How many connections wait idle now."""
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        """Close the idle connections and keep no more (the service is stopping)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()

    def _take(self) -> CentralDB:
        while True:
            with self._lock:
                db = self._idle.pop() if self._idle else None
            if db is None:
                return connect(self.url)
            if _alive(db.raw):
                return db
            db.close()  # closed by the server while idle: a new one instead

    def _give(self, db: CentralDB, failed: BaseException | None) -> None:
        if self.keep and _reusable(db, failed):
            with self._lock:
                if not self._closed and len(self._idle) < self.keep:
                    self._idle.append(db)
                    return
        db.close()


def _reusable(db: CentralDB, failed: BaseException | None) -> bool:
    """Whether a connection can serve the next request: not after a database error, not broken, no transaction."""
    if failed is not None and isinstance(failed, database_errors()):
        return False
    raw: Any = db.raw
    if db._in_tx or raw.closed or getattr(raw, "broken", False):
        return False
    try:
        from psycopg.pq import TransactionStatus

        if raw.info.transaction_status != TransactionStatus.IDLE:
            raw.rollback()
        return bool(raw.info.transaction_status == TransactionStatus.IDLE)
    except Exception:  # noqa: BLE001 - a connection that cannot even roll back is not given to anyone
        return False


def _alive(raw: Any) -> bool:
    """An idle connection's socket has nothing to read: readable means the server closed it or said it would."""
    try:
        poller = select.poll()  # not select(): it refuses descriptors past 1024, which a busy service reaches
        poller.register(raw.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        ready = poller.poll(0)
    except Exception:  # noqa: BLE001 - a closed connection has no socket to ask
        return False
    return not ready
