"""The central service's HTTP API (FastAPI): versioned paths, bearer tokens, JSON Schema on every message.

Bodies are read as raw JSON and checked against the schemas in schemas/ (the same files terminals check answers
against), not against models declared here, so there is one description of each message. The OpenAPI document at
/openapi.json embeds those schemas. This module imports FastAPI at once: only `boxoffice central serve` imports
it. Each unit of work takes a database connection from the process's few idle ones (central/store/pool.py: given
back clean, dropped after an error) and the process holds no other state between requests, so any number of them
can serve one PostgreSQL database.

Status codes: 200 done; 401 no or unknown token; 403 a forbidden act (another terminal's entries, a bad code);
404 unknown path; 409 conflicts with what the service holds; 413 a body over its route's cap (``too_large``); 422 a
malformed request, its first problems located; 429 too many requests (``rate_limited``, with Retry-After); 503 the
database is unreachable, or stayed busy (code ``busy``). Every error body matches schemas/sync-error.schema.json.
The rate and size limits are central/api/limits.py's, in front of every route; the routes that take a body check the
token before they read it.

Concurrency: every request's work runs through ``db.retry`` on a pooled connection (a push: each of its steps through
``db.retry``). On PostgreSQL a transaction that another writer deadlocked or made unserialisable is rolled back
whole and the unit runs again from the start, a few times with random waits, which is safe because every unit is
idempotent (entries by id, top-ups by request id); only after that bound does the terminal see 503 ``busy``, which
its client retries too.
No request runs DDL: the schema is made by `boxoffice central init` / `migrate` (central/schema.py).
"""

from __future__ import annotations

import contextlib
import json
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from boxoffice.central.api import openapi as customise
from boxoffice.central.api.limits import Limits, LimitsMiddleware, limits_from_env, vouch
from boxoffice.central.errors import CentralError, invalid
from boxoffice.central.services import (
    allocation_stops,
    allocation_topup,
    allocations,
    checkpoints,
    conflicts,
    customer_limits,
    enrollment,
    feed,
    ingest,
    journal_quota,
    readback,
    terminals,
    venue_secret,
)
from boxoffice.central.services.allocation_ledger import RELEASE_KIND
from boxoffice.central.store import schema
from boxoffice.central.store.db import CentralDB, retry
from boxoffice.central.store.pool import Connections
from boxoffice.domain.card_numbers import masked
from boxoffice.domain.clock import iso, system_clock
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.wire import codec
from boxoffice.wire.messages import problems

API_VERSION = "1"
HTTP_PHRASES = (N_("Not Found"), N_("Method Not Allowed"))


def _check(doc: Any, schema_name: str, what: str) -> None:
    errors = problems(doc, schema_name)
    if errors:
        raise invalid(_("the {what} does not match {schema}: {problem}").format(what=_(what), schema=schema_name,
                                                                             problem=errors[0]), errors)


def _holds_nul(doc: Any) -> bool:
    """Whether any text in a parsed document (a key or a string value) holds the NUL character."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _json(raw: bytes, what: str) -> Any:
    """A body parsed; its size was bounded while it was read (central/api/limits.py)."""
    try:
        doc = codec.loads(raw)  # orjson refuses a lone surrogate escape and nesting past 1024 itself
        if codec.orjson is None:
            json.dumps(doc, ensure_ascii=False).encode("utf-8")  # an escape such as \ud800 is half a character
        if b"\\u0000" in raw and _holds_nul(doc):
            raise invalid(_("the {what} holds a NUL character (\\u0000), which no text column can store").format(
                what=_(what)), ["/: NUL in text"])
        return doc
    except UnicodeEncodeError:
        raise invalid(_("the {what} holds an escape (\\ud800 to \\udfff) that is half of a character").format(
            what=_(what)), ["/: not text"]) from None
    except UnicodeDecodeError:
        raise invalid(_("the {what} is not UTF-8 text").format(what=_(what)), ["/: not UTF-8"]) from None
    except RecursionError:
        raise invalid(_("the {what} nests arrays or objects too deeply").format(what=_(what)),
                      ["/: too deep"]) from None
    except json.JSONDecodeError as exc:  # orjson's decode error is one too
        where = f"/: line {exc.lineno} column {exc.colno}: {exc.msg}"
        raise invalid(_("the {what} is not valid JSON").format(what=_(what)), [where]) from None


def _terminal(db: CentralDB, request: Request) -> dict[str, Any]:
    """The terminal the request's token belongs to, else 401. The token is then vouched for, so it draws from its own
    rate bucket (limits.py); a token no route checked draws from its address's."""
    term = terminals.authenticate(db, request.headers.get("authorization"))
    vouch(request.scope)
    return term


def _admin(db: CentralDB, request: Request) -> None:
    """Pass the admin token, else 401; vouched for like a terminal's (see :func:`_terminal`)."""
    terminals.authenticate_admin(db, request.headers.get("authorization"))
    vouch(request.scope)


def create_app(db_url: str, clock: Callable[[], Any] = system_clock, limits: Limits | None = None) -> FastAPI:
    """The ASGI app for the central database at ``db_url``, behind the rate and size limits of ``limits``."""
    pool = Connections(db_url)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()

    app = FastAPI(title="boxoffice central service", version=API_VERSION, openapi_url="/openapi.json",
                  docs_url="/docs", redoc_url=None, lifespan=lifespan,
                  description="Terminals enroll once, push their journal and pull changes by cursor. "
                              "See schemas/sync-*.schema.json.")

    from boxoffice.central.pretix.gate import install_from_env

    install_from_env()  # bridge mode: a grant raises the terminal's pretix voucher first (services/stock_gate.py)

    def now() -> str:
        return iso(clock())

    quota = (limits or Limits()).journal_bytes_per_hour

    weakref.finalize(app, pool.close)  # an app dropped without its lifespan ending (a test's) closes them too

    def run(fn: Callable[[CentralDB], Any]) -> Any:
        """One connection for one unit of work, given back clean or closed; run again whole after a deadlock."""
        with pool.connection() as db:
            return retry(db, fn)

    def json_text(text: str, status: int = 200) -> Response:
        return Response(content=text.encode("utf-8"), status_code=status, media_type="application/json")

    @app.exception_handler(CentralError)
    async def central_error(_request: Request, exc: CentralError) -> JSONResponse:
        wait = exc.details.get("retry_after")
        headers = {"Retry-After": str(int(wait))} if isinstance(wait, int) else None
        return JSONResponse(masked(exc.body()), status_code=exc.status, headers=headers)  # no card number repeated

    @app.exception_handler(BoxOfficeError)
    async def boxoffice_error(_request: Request, exc: BoxOfficeError) -> JSONResponse:
        status = {"invalid_document": 422, "bad_input": 422, "card_number_in_text": 422, "not_found": 404,
                  "database_error": 503,
                  "not_initialised": 503, "database_newer": 503, "database_older": 503, "busy": 503}.get(exc.code, 409)
        body = {"error": {"code": exc.code, "message": exc.message, **exc.details}}
        return JSONResponse(masked(body), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [f"/{'/'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
        return JSONResponse(masked(invalid(_("the request is malformed"), errors).body()), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # every method of the path (two routes share /v1/journal: GET and POST)
            methods = {m for r in app.routes if getattr(r, "path", None) == request.url.path
                       for m in getattr(r, "methods", None) or ()}
            if methods:
                headers = {**(headers or {}), "Allow": ", ".join(sorted(methods))}
        detail = str(exc.detail)  # Starlette's reason phrase for its own 404 and 405: translated like ours
        message = _(detail) if detail in HTTP_PHRASES else detail
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=exc.status_code,
                            headers=headers)

    from boxoffice.central.store.db import database_errors

    @app.exception_handler(database_errors()[0])
    async def db_error(_request: Request, exc: Exception) -> JSONResponse:
        return _db_unavailable(exc)

    if len(database_errors()) > 1:
        app.add_exception_handler(database_errors()[1], lambda _r, exc: _db_unavailable(exc))

    def _db_unavailable(exc: Exception) -> JSONResponse:
        return JSONResponse({"error": {"code": "database_unavailable",
                                       "message": _("the central database failed: {error}; try again").format(
                                           error=type(exc).__name__)}},
                            status_code=503)

    @app.get("/healthz", tags=["service"], response_model=None, summary="Liveness and database check")
    async def healthz() -> JSONResponse:
        def check(db: CentralDB) -> dict[str, Any]:
            schema.check(db)
            return {"status": "ok", "feed_head": feed.head(db), "api": API_VERSION}

        return JSONResponse(await run_in_threadpool(run, check))

    @app.post("/v1/enroll/challenge", tags=["terminal"], response_model=None,
              summary="Ask for a nonce to sign before enrolling (bound to the code and terminal id; two minutes, once)",
              openapi_extra=customise.body("sync-enroll-challenge.schema.json",
                                           "sync-enroll-challenge-response.schema.json"))
    async def enroll_challenge(request: Request) -> JSONResponse:
        body = _json(await request.body(), N_("enrollment challenge request"))
        _check(body, "sync-enroll-challenge.schema.json", N_("enrollment challenge request"))
        return JSONResponse(await run_in_threadpool(run, lambda db: enrollment.challenge(db, body, now())))

    @app.post("/v1/enroll", tags=["terminal"], response_model=None,
              summary="Register a terminal: a one-time code for its name, and its signature of the challenge",
              openapi_extra=customise.body("sync-enroll.schema.json", "sync-enroll-response.schema.json"))
    async def enroll(request: Request) -> JSONResponse:
        body = _json(await request.body(), N_("enrollment request"))
        _check(body, "sync-enroll.schema.json", N_("enrollment request"))
        at = now()
        await run_in_threadpool(run, lambda db: enrollment.prove(db, body, at))  # once: it spends the nonce
        return JSONResponse(await run_in_threadpool(run, lambda db: enrollment.register(db, body, at)))

    @app.post("/v1/journal", tags=["terminal"], response_model=None,
              summary="Push journal entries (each applied once, by id)",
              openapi_extra=customise.body("sync-push.schema.json", "sync-push-response.schema.json", auth=True))
    async def push(request: Request) -> JSONResponse:
        await run_in_threadpool(run, lambda db: _terminal(db, request))  # before a byte of the body
        raw = await request.body()  # capped while it streams (limits.py)

        def work(db: CentralDB) -> dict[str, Any]:
            term = _terminal(db, request)  # again in the unit that writes: revoked meanwhile is refused
            retry(db, lambda d: journal_quota.charge(d, term, len(raw), now(), quota))  # before it is parsed
            body = _json(raw, N_("journal batch"))
            _check(body, "sync-push.schema.json", N_("journal batch"))
            # three units, each retried on its own: running the batch again after a later step collided would
            # answer with every entry a duplicate and lose the conflicts it raised
            answer = retry(db, lambda d: ingest.apply_batch(d, term, body["entries"], now()))
            # the next two only read what a batch of their kind brought (duplicates too: a batch sent again after
            # a step failed holds the same kinds), so a batch without one skips their queries
            kinds = {e["kind"] for e in body["entries"]}
            if RELEASE_KIND in kinds:
                retry(db, lambda d: allocations.apply_pending_releases(d, term["id"], now()))  # once per entry id
            if "sale" in kinds:
                retry(db, lambda d: allocation_stops.flag_late_sales(d, term["id"], now()))  # after a write-off
            if body.get("checkpoint") is not None:  # after its entries: refused when the chain left the last one
                retry(db, lambda d: checkpoints.accept(d, term, body["checkpoint"], now()))
            return answer

        def once(fn: Callable[[CentralDB], Any]) -> Any:
            with pool.connection() as db:
                return fn(db)

        return JSONResponse(await run_in_threadpool(once, work))

    @app.get("/v1/journal", tags=["terminal"], response_model=None,
             summary="This terminal's own journal entries after a number, as pushed (to recover from them)",
             openapi_extra=customise.responses("sync-journal.schema.json", auth=True))
    async def journal(request: Request, after: int = Query(0, ge=0, le=2**53),
                      limit: int = Query(500, ge=1, le=readback.MAX_PAGE)) -> JSONResponse:

        def work(db: CentralDB) -> Any:
            term = _terminal(db, request)  # the token says whose entries: never a parameter
            return readback.entries_after(db, term, after, limit)

        return JSONResponse(await run_in_threadpool(run, work))

    @app.get("/v1/allocations", tags=["terminal"], response_model=None,
             summary="This terminal's allocation grants after a position (each applied once, by id)",
             openapi_extra=customise.responses("sync-allocations.schema.json", auth=True))
    async def grants(request: Request, after: int = Query(0, ge=0, le=2**53),
                     limit: int = Query(500, ge=1, le=allocations.MAX_PAGE)) -> JSONResponse:

        def work(db: CentralDB) -> Any:
            term = _terminal(db, request)
            return allocations.grants_after(db, term["id"], after, limit)

        return JSONResponse(await run_in_threadpool(run, work))

    @app.post("/v1/allocations/requests", tags=["terminal"], response_model=None,
              summary="Ask for more places of a section (top-up); once per request id",
              openapi_extra=customise.body("sync-allocation-request.schema.json",
                                           "sync-allocation-request-response.schema.json", auth=True))
    async def top_up(request: Request) -> JSONResponse:
        await run_in_threadpool(run, lambda db: _terminal(db, request))  # before a byte of the body
        raw = await request.body()

        def work(db: CentralDB) -> Any:
            term = _terminal(db, request)
            body = _json(raw, N_("top-up request"))
            _check(body, "sync-allocation-request.schema.json", N_("top-up request"))
            return allocation_topup.top_up(db, term["id"], body["event_id"], body["section_id"], body["count"],
                                           body["id"], now())

        return JSONResponse(await run_in_threadpool(run, work))

    @app.post("/v1/customer-limits", tags=["terminal"], response_model=None,
              summary="How many places each customer key of a sale about to be made holds and may still buy",
              openapi_extra=customise.body("sync-customer-limits.schema.json",
                                           "sync-customer-limits-response.schema.json", auth=True))
    async def customer_limits_of(request: Request) -> JSONResponse:
        await run_in_threadpool(run, lambda db: _terminal(db, request))  # before a byte of the body
        raw = await request.body()

        def work(db: CentralDB) -> Any:
            term = _terminal(db, request)
            body = _json(raw, N_("customer limits request"))
            _check(body, "sync-customer-limits.schema.json", N_("customer limits request"))
            return customer_limits.answer(db, term, body)

        return JSONResponse(await run_in_threadpool(run, work))

    @app.get("/v1/changes", tags=["terminal"], response_model=None, summary="Pull changes after a cursor",
             openapi_extra=customise.responses("sync-changes.schema.json", auth=True))
    async def changes(request: Request, after: int = Query(0, ge=0, le=2**53),
                      limit: int = Query(500, ge=1, le=feed.MAX_PAGE)) -> Response:

        def work(db: CentralDB) -> str:
            term = _terminal(db, request)
            terminals.seen(db, term["id"], now())
            return feed.page(db, term["id"], after, limit, customers=terminals.sees_customers(term),
                             holders=terminals.sees_holders(term))

        return json_text(await run_in_threadpool(run, work))

    @app.get("/v1/terminals", tags=["terminal"], response_model=None,
             summary="Every terminal's id and name, so a terminal can name the others (schemas/sync-terminals)",
             openapi_extra=customise.responses(None, auth=True))
    async def terminal_names(request: Request) -> JSONResponse:

        def work(db: CentralDB) -> Any:
            _terminal(db, request)
            return terminals.names(db)

        return JSONResponse(await run_in_threadpool(run, work))

    @app.get("/v1/venue-secret", tags=["terminal"], response_model=None,
             summary="The venue secret customers are matched by (for terminals enrolled before it existed)",
             openapi_extra=customise.responses("sync-venue-secret.schema.json", auth=True))
    async def venue_secret_of(request: Request) -> JSONResponse:

        def work(db: CentralDB) -> Any:
            _terminal(db, request)
            with db.transaction():
                return {"venue_secret": venue_secret.ensure(db, now())}

        return JSONResponse(await run_in_threadpool(run, work))

    @app.get("/v1/admin/terminals", tags=["admin"], response_model=None, summary="Enrolled terminals (admin token)",
             openapi_extra=customise.responses(None, auth=True))
    async def admin_terminals(request: Request) -> JSONResponse:

        def work(db: CentralDB) -> Any:
            _admin(db, request)
            return {"terminals": terminals.listing(db)}

        return JSONResponse(await run_in_threadpool(run, work))

    @app.get("/v1/admin/conflicts", tags=["admin"], response_model=None, summary="Conflicts flagged (admin token)",
             openapi_extra=customise.responses(None, auth=True))
    async def admin_conflicts(request: Request, limit: int = Query(100, ge=1, le=10_000)) -> JSONResponse:

        def work(db: CentralDB) -> Any:
            _admin(db, request)
            return {"conflicts": conflicts.newest(db, limit)}

        return JSONResponse(await run_in_threadpool(run, work))

    customise.install(app)
    app.add_middleware(LimitsMiddleware, limits=limits or Limits())
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: the database comes from BOXOFFICE_CENTRAL_DB."""
    import os

    app = create_app(os.environ.get("BOXOFFICE_CENTRAL_DB", ""), limits=limits_from_env())
    collector_for_serving()
    return app


GC_YOUNG_THRESHOLD = 50_000  # container allocations between two collections of the youngest generation


def collector_for_serving() -> None:
    """Set the cyclic garbage collector for a serving process, once its app is built.

    A push of 500 entries allocates some hundred thousand short-lived containers (parsed payloads, effects, rows,
    feed bodies), nearly none of them in a cycle. With Python's default threshold (700) the collector ran hundreds
    of times a push, and its older passes walked every object the process holds for good (modules, schemas, the
    app): about a tenth of the service's processor time. The objects made at start-up are moved out of its sight
    (``gc.freeze``) and the youngest generation is collected every ``GC_YOUNG_THRESHOLD`` allocations instead; a
    cycle (an exception and its traceback) is still freed, a little later."""
    import gc

    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(max(_young, GC_YOUNG_THRESHOLD), middle, old)
