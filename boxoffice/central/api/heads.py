"""uvicorn's h11 protocol with deadlines for each request head and a cap on one address's connections.

* **Head deadline.** A connection that has not sent a whole request line and headers within ``head_timeout``
  seconds of opening (or of its last answer) is closed. Without it a client that sends half a head and then a byte
  now and then (a slow-loris client) holds the connection for ever: uvicorn's keep-alive timer only starts after a
  first answer and stops at the first byte.
* **First byte.** A new connection that has sent nothing at all within ``first_byte_timeout`` seconds (3 by
  default, never more than the head deadline) is closed sooner: a terminal sends its request as soon as it has
  connected, so a silent connection is only someone holding a slot.
* **Per address.** One client address holds at most ``connections_per_address`` connections at once (256 by
  default; IPv6 addresses are counted by their /64, which one host commonly holds whole); a connection past that is
  closed as soon as it is accepted, before it is read. Every connection counts against ``--max-connections``, past
  which every new request gets 503: without the cap a few thousand idle connections from one address locked every
  terminal out. The count is per worker process, like the rate buckets (limits.py); 0 turns the cap off (a TLS
  proxy on the same machine makes every client one address). Over https a connection is counted, and its
  first-byte clock starts, only once its TLS handshake is done: asyncio gives a handshake 60 s of its own.

The figures come from `central serve` through the environment (:meth:`ServerLimits.uvicorn_options` in limits.py),
so worker processes read them too. The body has its own deadline and cap (limits.py); a request under way is the
app's to finish.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from boxoffice.central.api.limits import address_key  # one client: the rate buckets count it the same way

HEAD_TIMEOUT_ENV = "BOXOFFICE_CENTRAL_HEAD_TIMEOUT"
FIRST_BYTE_TIMEOUT_ENV = "BOXOFFICE_CENTRAL_FIRST_BYTE_TIMEOUT"
PER_ADDRESS_ENV = "BOXOFFICE_CENTRAL_CONNECTIONS_PER_ADDRESS"
DEFAULT_HEAD_TIMEOUT = 10.0
DEFAULT_FIRST_BYTE_TIMEOUT = 3.0
DEFAULT_PER_ADDRESS = 256

_open: dict[str, int] = {}  # connections held by each address key, in this process (touched by its loop only)


def _number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def head_timeout() -> float:
    """The deadline `central serve` set, else the default."""
    return _number(HEAD_TIMEOUT_ENV, DEFAULT_HEAD_TIMEOUT)


def first_byte_timeout() -> float:
    """Seconds a new connection has to send its first byte: the configured figure, at most the head deadline."""
    return min(_number(FIRST_BYTE_TIMEOUT_ENV, DEFAULT_FIRST_BYTE_TIMEOUT), head_timeout())


def connections_per_address() -> int:
    """The most connections one address may hold at once; 0 for no cap."""
    return max(0, int(_number(PER_ADDRESS_ENV, DEFAULT_PER_ADDRESS)))


class HeadDeadlineH11(H11Protocol):
    """H11Protocol closing a connection whose next request head is late, and one past its address's share (see the
    module's docstring)."""

    _head_timer: asyncio.TimerHandle | None = None
    _address: str | None = None  # the key this connection is counted under, once counted
    _silent = True  # nothing received yet
    _opened = 0.0

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        key, cap = address_key(self.client), connections_per_address()
        if key is not None and cap:
            if _open.get(key, 0) >= cap:
                self.transport.close()  # before a byte of it is read
                return
            _open[key] = _open.get(key, 0) + 1
            self._address = key
        self._opened = self.loop.time()
        self._arm(first_byte_timeout())

    def data_received(self, data: bytes) -> None:
        first, self._silent = self._silent, False
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:  # a whole head came: the request runs
            self._disarm()
        elif first and self._head_timer is not None:  # it spoke: the rest of the head deadline from opening
            self._arm(head_timeout() - (self.loop.time() - self._opened))

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm(head_timeout())

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._address is not None:
            left = _open.get(self._address, 1) - 1
            if left > 0:
                _open[self._address] = left
            else:
                _open.pop(self._address, None)
            self._address = None
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._head_timer = self.loop.call_later(max(seconds, 0.001), self._expire)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expire(self) -> None:
        self._head_timer = None
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()
