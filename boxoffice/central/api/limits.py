"""Limits on what one client can make the central service do: requests per second, body bytes, log line length.

An ASGI middleware (:class:`LimitsMiddleware`) sits in front of every route, before anything is read:

* **Rate.** Each bearer token the service has accepted has a token bucket (``rate`` requests a second, ``burst`` at
  once); a request with no token, or a token not yet accepted (an enrollment, /healthz, a guessed token), draws
  from its client address's bucket instead (an IPv6 client's /64: :func:`address_key`), so a stranger cannot mint
  fresh buckets by making up tokens, nor by moving from address to address within its network. A token counts as
  accepted only once a route's token check passed it (:func:`vouch`, called by app.py after ``authenticate``): an
  answer that merely is not 401 proves nothing, since /healthz, the enrollment routes, a 404 or a 422 never look at
  the token. A 401 forgets it again. An empty bucket answers 429 ``rate_limited`` with ``Retry-After`` (whole
  seconds). The buckets live in the process's memory: each worker process enforces its own (with ``--workers 4`` a
  token may make four times the rate), and a restart forgets them. The defaults are far above a busy night: 32
  terminals syncing every few seconds make a few requests a second in all; one terminal catching up after a day
  offline makes about ten a second.
* **Size.** Every route has a body cap (:func:`body_cap`): a push ``PUSH_MAX_BYTES`` (the terminal cuts its batches
  to it), anything else ``SMALL_BODY_BYTES``. A ``Content-Length`` over the cap is refused with 413 ``too_large``
  before the body is read; a body that passes the cap while streaming (chunked) is refused when it does. The routes
  check the token before they read the body (central/api/app.py), so a stranger's body is never read at all.
* **Time.** A body must arrive whole within ``body_timeout`` seconds of the end of its head (408 ``too_slow``, and
  the connection is closed): without it a client could send a byte now and then and hold a connection and a
  request slot for ever (heads.py bounds the head the same way). 60 s carries an 8 MB push over 1.1 Mbit/s.
* **Unread bodies.** An answer sent before the request's body was read (401, 413, 429) carries
  ``Connection: close``, so the server drops the connection instead of swallowing the rest of the body.

:func:`log_config` bounds every log line: a request can put its path, headers or a traceback into a log line, and
each is cut to ``MAX_LOG_CHARS`` with control characters escaped.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from boxoffice.central.errors import CentralError
from boxoffice.i18n import _
from boxoffice.wire import codec
from boxoffice.wire.limits import PUSH_MAX_BYTES, SMALL_BODY_BYTES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_LOG_CHARS = 2000
MAX_BUCKETS = 100_000  # the least recently used are forgotten past this: a full bucket again, memory bounded
MAX_KNOWN_TOKENS = 10_000
VOUCHED = "boxoffice.token_checked"  # the scope key vouch() marks


@dataclass(frozen=True)
class Limits:
    """What `boxoffice central serve` enforces; every figure is a `serve` option."""

    rate_per_token: float = 50.0  # requests a second, sustained, per accepted token
    burst_per_token: int = 1000
    rate_per_address: float = 20.0  # requests a second from one address without an accepted token
    burst_per_address: int = 400
    push_max_bytes: int = PUSH_MAX_BYTES
    small_body_bytes: int = SMALL_BODY_BYTES
    body_timeout: float = 60.0  # seconds for a whole request body, from the end of its head
    journal_bytes_per_hour: int = 256_000_000  # one terminal's pushes an hour (central/services/journal_quota.py)

    def body_cap(self, method: str, path: str) -> int:
        """The most body bytes a request to ``path`` may carry."""
        if method == "POST" and path == "/v1/journal":
            return self.push_max_bytes
        return self.small_body_bytes


class TooLarge(CentralError):
    """A body over its route's cap: 413 ``too_large``."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, "too_large", _("the request body is over {size}, the most this route takes: send "
                                             "smaller batches").format(size=_size(cap)))


class TooSlow(CentralError):
    """A body not whole by its deadline: 408 ``too_slow`` (the connection is then closed)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, "too_slow", _("the request body did not arrive within {seconds} s: send it again "
                                            "over a faster link, or in smaller batches").format(seconds=f"{seconds:g}"))


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} kB"


class Buckets:
    """Token buckets by key, least recently used forgotten past ``MAX_BUCKETS`` (an attacker with many addresses
    then only resets their own buckets)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._held: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def take(self, key: str) -> float:
        """Take one request from ``key``'s bucket: 0 when allowed, else the seconds until one is free again."""
        now = self.clock()
        tokens, at = self._held.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate if self.rate > 0 else 3600.0
        self._held[key] = (tokens, now)
        while len(self._held) > MAX_BUCKETS:
            self._held.popitem(last=False)
        return wait


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value)
    return None


def address_key(client: tuple[str, int] | None) -> str | None:
    """Who a client is, for its share of the service: its IPv4 address, or its IPv6 address's /64; None for a Unix
    socket (no address to tell clients apart by). One host commonly holds a whole /64, so a key per IPv6 address
    would let it draw a fresh rate bucket (and open a fresh share of connections, heads.py) from each of its 2**64
    addresses."""
    if not client or not client[0]:
        return None
    try:
        ip = ipaddress.ip_address(client[0].split("%", 1)[0])
    except ValueError:
        return client[0]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket is its IPv4 address
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _token_key(scope: Scope) -> str | None:
    """A digest of the bearer token (the token itself is never kept), or None without one."""
    value = _header(scope, b"authorization")
    if not value or value[:7].lower() != b"bearer ":
        return None
    return hashlib.sha256(value[7:].strip()).hexdigest()[:32]


class LimitsMiddleware:
    """Rate and size limits in front of the app (see the module's docstring)."""

    def __init__(self, app: Callable[..., Awaitable[None]], limits: Limits | None = None) -> None:
        self.app = app
        self.limits = limits or Limits()
        self.tokens = Buckets(self.limits.rate_per_token, self.limits.burst_per_token)
        self.addresses = Buckets(self.limits.rate_per_address, self.limits.burst_per_address)
        self._accepted: OrderedDict[str, None] = OrderedDict()  # digests of tokens a route's check passed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _token_key(scope)
        length_text = _header(scope, b"content-length")
        chunked = b"chunked" in (_header(scope, b"transfer-encoding") or b"").lower()
        length = int(length_text) if length_text and length_text.strip().isdigit() else 0
        body = {"pending": length > 0 or chunked, "read": 0}
        checked: dict[str, bool] = {"passed": False}  # set by vouch(); shared even if the scope is copied
        scope[VOUCHED] = checked

        if token is not None and token in self._accepted:
            wait = self.tokens.take(token)
        else:
            wait = self.addresses.take(address_key(scope.get("client")) or "?")  # an IPv6 client: its /64
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            await _refuse(send, 429, "rate_limited",
                          _("too many requests; try again in {seconds} s").format(seconds=seconds),
                          close=bool(body["pending"]), extra=[(b"retry-after", str(seconds).encode())])
            return
        cap = self.limits.body_cap(scope.get("method", "GET"), scope.get("path", ""))
        if length > cap:
            exc = TooLarge(cap)
            await _refuse(send, 413, exc.code, exc.message, close=True)
            return

        deadline = time.monotonic() + self.limits.body_timeout

        async def capped_receive() -> Message:
            if body["pending"]:  # a body still coming has a deadline; waiting for a disconnect after it has none
                try:
                    message = await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0.001))
                except TimeoutError:
                    raise TooSlow(self.limits.body_timeout) from None
            else:
                message = await receive()
            if message.get("type") == "http.request":
                body["read"] = int(body["read"]) + len(message.get("body", b""))
                if not message.get("more_body", False):
                    body["pending"] = False
                if int(body["read"]) > cap:
                    raise TooLarge(cap)
            return message

        async def watched_send(message: Message) -> None:
            if message.get("type") == "http.response.start":
                status = int(message.get("status", 200))
                if token is not None:
                    self._learn(token, status, checked["passed"])
                if body["pending"]:  # the rest of the body is not wanted: drop the connection after the answer
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, capped_receive, watched_send)

    def _learn(self, token: str, status: int, passed: bool) -> None:
        """Remember which tokens a route's check passed: they draw from their own bucket from then on. Any other
        answer teaches nothing, or made-up tokens would each get a bucket and push real ones out of the list."""
        if status == 401:
            self._accepted.pop(token, None)
        elif passed:
            self._accepted[token] = None
            self._accepted.move_to_end(token)
            while len(self._accepted) > MAX_KNOWN_TOKENS:
                self._accepted.popitem(last=False)


def vouch(scope: Scope) -> None:
    """Tell :class:`LimitsMiddleware` that this request's bearer token passed the route's check (a terminal's or
    the admin's): only then does the token get a rate bucket of its own. Safe to call from a worker thread: it sets
    one flag the middleware reads once the answer starts."""
    checked = scope.get(VOUCHED)
    if isinstance(checked, dict):
        checked["passed"] = True


async def _refuse(send: Send, status: int, code: str, message: str, *, close: bool,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """An error answer of schemas/sync-error.schema.json, sent without calling the app."""
    content = codec.dumps_bytes({"error": {"code": code, "message": message}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
               *(extra or [])]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


# --- log lines ------------------------------------------------------------------------------------------------


def bounded(text: str, limit: int = MAX_LOG_CHARS) -> str:
    """``text`` with control characters escaped (one record, one line) and cut to ``limit`` characters."""
    if len(text) > limit:
        text = text[:limit] + f"... [{len(text) - limit} more characters]"
    return text.encode("unicode_escape", errors="backslashreplace").decode("ascii") if not text.isprintable() \
        else text


class _Bounded(logging.Formatter):
    """Mixed into uvicorn's formatters: the record's arguments (a request line, a header) are cut before they are
    put in, and the whole record, traceback included, after."""

    def format(self, record: logging.LogRecord) -> str:
        from boxoffice.domain.card_numbers import mask_card_numbers  # a request's text may hold one: never logged

        # masked before cut: a number cut in two would leave its first digits
        if isinstance(record.args, tuple):
            record.args = tuple(bounded(mask_card_numbers(a), 500) if isinstance(a, str) else a for a in record.args)
        return bounded(mask_card_numbers(super().format(record)),
                       MAX_LOG_CHARS * 4 if record.exc_info else MAX_LOG_CHARS)


def _formatters() -> tuple[type[logging.Formatter], type[logging.Formatter]]:
    from uvicorn.logging import AccessFormatter, DefaultFormatter

    class BoundedDefault(_Bounded, DefaultFormatter):
        pass

    class BoundedAccess(_Bounded, AccessFormatter):
        pass

    return BoundedDefault, BoundedAccess


def bounded_default(**kw: Any) -> logging.Formatter:
    """uvicorn's default formatter with bounded lines (named in :func:`log_config`)."""
    return _formatters()[0](**kw)


def bounded_access(**kw: Any) -> logging.Formatter:
    """uvicorn's access-log formatter with bounded lines (named in :func:`log_config`)."""
    return _formatters()[1](**kw)


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with both formatters bounded; by name, so worker processes build it too."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["default"]["()"] = f"{__name__}.bounded_default"
    config["formatters"]["access"]["()"] = f"{__name__}.bounded_access"
    return config


LIMITS_ENV = "BOXOFFICE_CENTRAL_LIMITS"


def limits_to_env(limits: Limits) -> str:
    """The limits as JSON, for worker processes that build the app from the environment."""
    from dataclasses import asdict

    return codec.dumps(asdict(limits))


def limits_from_env() -> Limits:
    """The limits `central serve` put in the environment for its workers, else the defaults."""
    import os

    text = os.environ.get(LIMITS_ENV)
    return Limits(**codec.loads(text)) if text else Limits()


@dataclass(frozen=True)
class ServerLimits:
    """uvicorn's own limits, as `central serve` options: connections, backlog, keep-alive, request head size.

    ``limit_concurrency`` counts open connections as well as requests under way; past it uvicorn answers 503 at
    once. It must stay well above the idle connections a night can hold (32 terminals keep one each): the process
    raises its open-file limit to fit (:func:`raise_file_limit`). So that one stranger cannot fill it,
    ``connections_per_address`` caps what one client address holds (heads.py closes the rest on arrival) and a
    connection silent for ``first_byte_timeout`` seconds is closed. The cap stays above the terminals a venue puts
    behind one NAT address; 0 turns it off, for a TLS proxy on the same machine (every client is then one address).
    The head limit is h11's (``h11_max_incomplete_event_size``), so the h11 parser is used, not httptools, which
    has no limit on a request line or header; heads.py adds a deadline for the head."""

    limit_concurrency: int = 4096
    backlog: int = 2048
    timeout_keep_alive: int = 5
    max_head_bytes: int = 16_384
    head_timeout: float = 10.0  # seconds for a whole request head (heads.py): a slow-loris connection is closed
    connections_per_address: int = 256  # open at once from one address (an IPv6 /64); 0: no cap
    first_byte_timeout: float = 3.0  # seconds a new connection may stay silent (at most head_timeout)

    def uvicorn_options(self) -> dict[str, Any]:
        """uvicorn.run's keyword arguments; raises the open-file limit and hands heads.py's figures to workers."""
        import os

        from boxoffice.central.api import heads

        raise_file_limit(self.limit_concurrency + 256)
        os.environ[heads.HEAD_TIMEOUT_ENV] = str(self.head_timeout)
        os.environ[heads.FIRST_BYTE_TIMEOUT_ENV] = str(self.first_byte_timeout)
        os.environ[heads.PER_ADDRESS_ENV] = str(self.connections_per_address)
        return {"limit_concurrency": self.limit_concurrency, "backlog": self.backlog,
                "timeout_keep_alive": self.timeout_keep_alive, "http": "boxoffice.central.api.heads:HeadDeadlineH11",
                "h11_max_incomplete_event_size": self.max_head_bytes, "log_config": log_config()}


def raise_file_limit(wanted: int) -> None:
    """Raise the soft limit on open files towards ``wanted`` (never past the hard limit): each connection is one."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
