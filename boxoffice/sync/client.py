"""The terminal's HTTP client of the central service (httpx), with retries for a network that comes and goes.

Every request the terminal makes is idempotent (entries apply once by id, pulls are reads by cursor), so a request
whose answer was lost is simply sent again: a few times at once with a short backoff, after which the caller sees
``central_unreachable`` and a later sync resumes. Answers are returned parsed; checking them is the caller's job.

A 429 (the service's rate limit, central/api/limits.py) is waited out as its ``Retry-After`` says, within the same
few tries, when the wait is short (``MAX_RATE_WAIT``); a longer one ends the sync at once with ``central_rate_limited``.
A 413 ends it with ``central_too_large``: the terminal cuts its pushes to the service's cap, so it means the service
was started with a smaller ``--max-push-mb``.
"""

from __future__ import annotations

import math
import random
import time
from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.wire import codec

RETRY_STATUSES = {502, 503, 504}
MAX_RATE_WAIT = 10.0  # seconds a 429's Retry-After may ask for before the sync stops and says so


class CentralClient:
    """One keep-alive connection pool to one central service, for one sync run."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 30.0, retries: int = 3,
                 backoff: float = 0.2, transport: Any = None, ca_bundle: str | None = None) -> None:
        """``ca_bundle``: a PEM file of the CA(s) that may sign the service's certificate (a private CA); else the
        system's. Certificates are always verified."""
        import httpx

        if not url.startswith(("http://", "https://")):
            raise BoxOfficeError("bad_input",
                _("the central URL must start with http:// or https://, not {url!r}").format(
                url=url))
        self.url = url.rstrip("/")
        self.retries, self.backoff = retries, backoff
        headers = {"User-Agent": "boxoffice-terminal", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.url, headers=headers, transport=transport, verify=_verify(ca_bundle),
                                  timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))
        self._errors = (httpx.TransportError,)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the API ----------------------------------------------------------------------------------------------

    def enroll_challenge(self, body: dict[str, Any]) -> Any:
        return self._call("POST", "/v1/enroll/challenge", body=body)

    def enroll(self, body: dict[str, Any]) -> Any:
        return self._call("POST", "/v1/enroll", body=body)

    def push(self, entries: list[dict[str, Any]]) -> Any:
        return self._call("POST", "/v1/journal", body={"entries": entries})

    def checkpoint(self, checkpoint: dict[str, Any]) -> Any:
        """Send the journal's signed head, after the entries up to it (a push with no entries)."""
        return self._call("POST", "/v1/journal", body={"entries": [], "checkpoint": checkpoint})

    def journal(self, after: int, limit: int = 500) -> Any:
        """This terminal's own entries after ``after``, as it pushed them, and its head there (to recover)."""
        return self._call("GET", "/v1/journal", params={"after": after, "limit": limit})

    def changes(self, after: int, limit: int) -> Any:
        return self._call("GET", "/v1/changes", params={"after": after, "limit": limit})

    def allocations(self, after: int, limit: int = 500) -> Any:
        return self._call("GET", "/v1/allocations", params={"after": after, "limit": limit})

    def top_up(self, body: dict[str, Any]) -> Any:
        return self._call("POST", "/v1/allocations/requests", body=body)

    def customer_limits(self, body: dict[str, Any]) -> Any:
        """How many places each customer key of a sale about to be made holds on the central service."""
        return self._call("POST", "/v1/customer-limits", body=body)

    def terminals(self) -> Any:
        return self._call("GET", "/v1/terminals")

    def venue_secret(self) -> Any:
        return self._call("GET", "/v1/venue-secret")

    def health(self) -> Any:
        return self._call("GET", "/healthz")

    # -- the wire ---------------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        content = codec.dumps_bytes(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        last: str = ""
        wait: float | None = None
        for attempt in range(self.retries + 1):
            if wait is not None:
                time.sleep(wait)
            elif attempt:
                time.sleep(self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random()))
            wait = None
            try:
                resp = self._http.request(method, path, content=content, params=params, headers=headers)
            except self._errors as exc:
                _refuse_certificate(exc, self.url)
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            if resp.status_code in RETRY_STATUSES:
                last = f"HTTP {resp.status_code}"
                continue
            if resp.status_code == 429:
                wait = _retry_after(resp)
                if wait <= MAX_RATE_WAIT and attempt < self.retries:
                    continue
                # This terminal's share of the hour's journal spent (journal_quota): the round holds its pushes
                # back and words it (services/sync/rounds.py); the code is all it needs from here.
                quota = {"central_code": "journal_quota"} if _central_code(resp) == "journal_quota" else {}
                raise BoxOfficeError("central_rate_limited", _("the central service at {url} is limiting this "
                                                               "terminal's requests "
                                                               "(rate_limited): try again in {seconds} s; nothing is "
                                                               "lost").format(url=self.url, seconds=math.ceil(wait)),
                                     retry_after=math.ceil(wait), **quota)
            return self._answer(resp, path)
        raise BoxOfficeError("central_unreachable", _("the central service at {url} did not answer ({problem}); "
                                                      "nothing is lost: the next sync carries on from here").format(
            url=self.url, problem=last))

    def _answer(self, resp: Any, path: str) -> Any:
        try:
            data = codec.loads(resp.content)
        except ValueError:
            data = None
        if resp.status_code >= 400:
            err = data.get("error", {}) if isinstance(data, dict) and isinstance(data.get("error"), dict) else {}
            code, message = err.get("code", f"http_{resp.status_code}"), err.get("message", resp.reason_phrase)
            if resp.status_code == 413:
                raise BoxOfficeError("central_too_large", _("the central service refused {path} as too large "
                                                            "({code}): {message}").format(
                    path=path, code=code, message=message), central_code=code)
            if resp.status_code == 408:  # our body came too slowly: a slow link, nothing applied; the next sync retries
                raise BoxOfficeError("central_unreachable", _("the central service stopped waiting for {path} "
                                                              "({code}): {message}").format(
                    path=path, code=code, message=message), central_code=code)
            if resp.status_code == 401:
                raise BoxOfficeError("not_enrolled", _("the central service refused this terminal's token ({code}): "
                                                       "{message}").format(code=code, message=message),
                                     central_code=code)
            raise BoxOfficeError("central_refused", _("the central service refused {path} ({code}): {message}").format(
                path=path, code=code, message=message), central_code=code, status=resp.status_code,
                errors=err.get("errors", []))
        if data is None:
            raise BoxOfficeError("central_refused", _("the central service answered {path} with something that is not "
                                                      "JSON; nothing was changed here").format(path=path))
        return data


def _central_code(resp: Any) -> str | None:
    """The error code of a refusal's body, if it has one."""
    try:
        data = codec.loads(resp.content)
    except ValueError:
        return None
    err = data.get("error") if isinstance(data, dict) else None
    return err.get("code") if isinstance(err, dict) and isinstance(err.get("code"), str) else None


def _retry_after(resp: Any) -> float:
    """The seconds a 429 asks to wait (``Retry-After``, whole seconds), 1 when it says nothing usable."""
    text = resp.headers.get("retry-after", "")
    try:
        return min(max(float(text), 0.0), 86_400.0)
    except ValueError:
        return 1.0


def _verify(ca_bundle: str | None) -> Any:
    """What httpx verifies the server with: the system's CAs, or only those of ``ca_bundle``."""
    if ca_bundle is None:
        return True
    import ssl

    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise BoxOfficeError("certificate_error", _("the CA bundle {path} cannot be read as PEM certificates "
                                                    "({problem}): give the right file with "
                                                    "`boxoffice sync enroll URL CODE --ca-bundle FILE`").format(
            path=ca_bundle, problem=type(exc).__name__)) from None


def _refuse_certificate(exc: BaseException, url: str) -> None:
    """A certificate that does not verify is no passing network fault: say so at once instead of retrying."""
    import ssl

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(cause):
            reason = getattr(cause, "verify_message", "") or _("not signed by a trusted CA")
            raise BoxOfficeError("certificate_error", _("the certificate of {url} does not verify ({reason}): "
                                                        "nothing was sent. For a private CA, enroll with "
                                                        "`--ca-bundle FILE`; else check the address").format(
                url=url, reason=reason)) from None
        cause = cause.__cause__ or cause.__context__
