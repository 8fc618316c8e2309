"""The bridge's HTTP client of pretix's REST API (httpx): paced, retried with backoff, errors as one line.

pretix is somebody else's server on somebody else's network: every answer is checked for size and shape before it
is used, a request is retried only when sending it again cannot do anything twice (reads, and writes that carry an
``X-Idempotency-Key``, which pretix answers from its record), and what reaches the operator is one line with the
method, the path and pretix's own reason, never the token. Requests are paced by a token bucket (pretix limits API
clients too) and a 429 is waited out as its ``Retry-After`` says.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

from boxoffice.central.pretix.settings import PretixSettings
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

RETRY_STATUSES = {409, 429, 502, 503, 504}  # 409: pretix is still working on the same idempotency key
MAX_BODY = 64 * 1024 * 1024
MAX_WAIT = 30.0
PAGE_SIZE = 50
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class PretixClient:
    """One keep-alive connection pool to one pretix organizer's API."""

    def __init__(self, settings: PretixSettings, *, timeout: float = 30.0, retries: int = 4, backoff: float = 0.25,
                 rate: float = 50.0, burst: int = 50, transport: Any = None) -> None:
        import httpx

        self.settings = settings
        self.retries, self.backoff = retries, backoff
        self._rate, self._burst = rate, float(burst)
        self._tokens, self._stamp = float(burst), time.monotonic()
        self._lock = threading.Lock()
        self.requests = 0
        self._http = httpx.Client(
            base_url=settings.api, transport=transport, follow_redirects=False,
            headers={"Authorization": f"Token {settings.token}", "Accept": "application/json",
                     "User-Agent": "boxoffice-pretix-bridge"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))
        self._errors: tuple[type[Exception], ...] = (httpx.TransportError,)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> PretixClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the calls ------------------------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET one resource (``path`` relative to the organizer, e.g. ``events/gala/items/``)."""
        return self._send("GET", path, params=params)

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every page of a listing, one list of results at a time (so a 10,000-order pull stays flat in memory).
        The next page is asked for by its number, never by the URL pretix returns, so an answer cannot send the
        token elsewhere."""
        query = {**(params or {}), "page_size": PAGE_SIZE}
        page = 1
        while True:
            results, more = self.page(path, {**query, "page": page})
            yield results
            if not more:
                return
            page += 1

    def page(self, path: str, params: dict[str, Any]) -> tuple[list[Any], bool]:
        """One page of a listing: its results (checked to be a list, each still to be checked by the caller) and
        whether pretix has more after it."""
        body = self._send("GET", path, params=params)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise BoxOfficeError("pretix_refused", _("pretix answered {path} with something that is not a list")
                                 .format(path=path))
        return results, bool(body.get("next"))

    def all(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every result of a (small) listing: items, quotas, check-in lists."""
        return [r for page in self.pages(path, params) for r in page]

    def post(self, path: str, body: Any, *, key: str) -> Any:
        """POST with an idempotency key: pretix answers a repeat from its record, so a retry never does it twice."""
        return self._send("POST", path, json=body, key=key)

    def patch(self, path: str, body: Any) -> Any:
        """PATCH (setting fields to values is the same done twice, so it may be retried)."""
        return self._send("PATCH", path, json=body)

    def delete(self, path: str) -> Any:
        """DELETE; a 404 on a retry means the first one went through."""
        return self._send("DELETE", path)

    # -- the machinery --------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
              key: str | None = None) -> Any:
        if path.startswith(("/", "http:", "https:")) or ".." in path:
            raise ValueError(f"pretix paths are relative to the organizer: {path!r}")
        headers = {"X-Idempotency-Key": key} if key else {}
        for attempt in range(self.retries + 1):
            self._pace()
            try:
                self.requests += 1
                resp = self._http.request(method, path, params=params, json=json, headers=headers)
            except self._errors as exc:
                if attempt < self.retries:
                    self._sleep(attempt)
                    continue
                raise BoxOfficeError("pretix_unreachable", _("pretix at {url} did not answer {method} {path}: "
                                                             "{reason}").format(url=self.settings.url, method=method,
                                                                                path=path, reason=type(exc).__name__)
                                     ) from None
            if resp.status_code in RETRY_STATUSES and attempt < self.retries:
                self._sleep(attempt, resp.headers.get("Retry-After"))
                continue
            return self._answer(method, path, resp)
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer(self, method: str, path: str, resp: Any) -> Any:
        if len(resp.content) > MAX_BODY:
            raise BoxOfficeError("pretix_refused", _("pretix answered {method} {path} with more than {mb} MB")
                                 .format(method=method, path=path, mb=MAX_BODY // 2**20))
        if resp.status_code == 204 or (method == "DELETE" and resp.status_code == 404):
            return None
        if resp.status_code >= 500:
            raise BoxOfficeError("pretix_unreachable", _("pretix failed {method} {path} (HTTP {status}): try again "
                                                         "later").format(method=method, path=path,
                                                                         status=resp.status_code))
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code >= 400:
            raise BoxOfficeError("pretix_refused", _("pretix refused {method} {path} (HTTP {status}): {reason}")
                                 .format(method=method, path=path, status=resp.status_code, reason=reason(body)),
                                 status=resp.status_code, body=body if isinstance(body, dict | list) else None)
        return body

    def _pace(self) -> None:
        """Token bucket: ``rate`` requests a second, ``burst`` at once."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._rate
            self._tokens -= 1
        if wait:
            time.sleep(wait)

    def _sleep(self, attempt: int, retry_after: str | None = None) -> None:
        try:
            wait = float(retry_after) if retry_after else self.backoff * 2 ** attempt
        except ValueError:
            wait = self.backoff * 2 ** attempt
        time.sleep(min(MAX_WAIT, max(0.0, wait)) * (1 + random.random() / 4))


def reason(body: Any) -> str:
    """pretix's own words for a refusal, flattened to one short line: ``{"detail": ...}`` or field errors (nested
    per position: ``{"positions": [{"voucher": ["..."]}]}``)."""
    found: list[str] = []

    def walk(value: Any, where: str) -> None:
        if len(found) >= 3:
            return
        if isinstance(value, str):
            found.append(f"{where}: {value}" if where and where != "detail" else value)
        elif isinstance(value, list):
            for v in value:
                walk(v, where)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k) if not where or where == "detail" else f"{where}.{k}")

    walk(body, "")
    text = _CONTROL.sub(" ", "; ".join(found) or _("no reason given"))
    return text[:240]
