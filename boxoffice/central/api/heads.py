"""uvicorn's h11 protocol with a deadline for each request head: a connection that has not sent a whole request
line and headers within ``head_timeout`` seconds of opening (or of its last answer) is closed.

Without it a client that opens a connection and sends nothing, or half a head and then a byte now and then (a
slow-loris client), holds the connection for ever: uvicorn's keep-alive timer only starts after a first answer and
stops at the first byte. Each such connection counts against ``--max-connections``, past which every new request
gets 503. The deadline comes from `central serve --head-timeout` through the environment, so worker processes read
it too. The body has its own deadline and cap (limits.py); a request under way is the app's to finish.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEAD_TIMEOUT_ENV = "BOXOFFICE_CENTRAL_HEAD_TIMEOUT"
DEFAULT_HEAD_TIMEOUT = 10.0


def head_timeout() -> float:
    """The deadline `central serve` set, else the default."""
    try:
        return float(os.environ.get(HEAD_TIMEOUT_ENV, DEFAULT_HEAD_TIMEOUT))
    except ValueError:
        return DEFAULT_HEAD_TIMEOUT


class HeadDeadlineH11(H11Protocol):
    """H11Protocol closing a connection whose next request head is late (see the module's docstring)."""

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:  # a whole head came: the request runs
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._head_timer = self.loop.call_later(head_timeout(), self._expire)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expire(self) -> None:
        self._head_timer = None
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()
