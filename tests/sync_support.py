"""Fixtures for the central-service and sync tests: a PostgreSQL database per session (skipped without a server,
failed instead when BOXOFFICE_REQUIRE_PG=1), the central service on SQLite and on PostgreSQL, enrolled terminals.

Test modules load them with ``pytest_plugins = ["sync_support"]``; the helpers are in sync_helpers.py.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sync_helpers import (  # noqa: F401 - helpers re-exported for modules that import them from here
    PG_URL,
    REQUIRE_PG,
    Central,
    CentralServer,
    FaultProxy,
    central_db,
    enroll,
    publish_crowd_event,
    sell,
    sell_offline,
    sync,
    view,
)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database made for this test session (dropped after): its URL. Skips, or fails with BOXOFFICE_REQUIRE_PG=1,
    when no server answers."""
    try:
        import psycopg

        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any reason the server is not there
        reason = f"PostgreSQL is not reachable at {PG_URL} ({type(exc).__name__}: {str(exc).strip()[:200]})"
        if REQUIRE_PG:
            pytest.fail(f"{reason}, and BOXOFFICE_REQUIRE_PG=1 says these tests must run")
        pytest.skip(reason)
    name = f"boxoffice_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


TEST_TOP_UP = {"top_up_below": 5, "top_up_to": 10}
BACKENDS = ["sqlite", pytest.param("pg", marks=pytest.mark.pg)]


@pytest.fixture(scope="module", params=BACKENDS)
def central(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    """The central service, served by uvicorn on loopback, on SQLite and on PostgreSQL; one per module and backend.

    It publishes the demo catalogue dated from the test clock, so terminals and web orders agree on the events.
    """
    from boxoffice.services.demo_catalog import demo_catalog

    directory = tmp_path_factory.mktemp(f"central-{request.param}")
    url = central_db(request.param, directory, request)
    server = CentralServer(url, directory / "serve.log")
    c = Central(request.param, url, server)
    from conftest import T0

    c.publish(demo_catalog(T0.date()), directory)
    try:
        yield c
    finally:
        server.stop()


@pytest.fixture
def terminals(make_terminal: Callable[..., Any], central: Central) -> Callable[..., list[Any]]:
    """``terminals(n)``: n fresh standard terminals, each enrolled with the central service.

    Many terminals share one central service per module, so each tops up a few places at a time (``[allocation]``
    top_up_below 5, top_up_to 10) rather than the default 50, which would leave later terminals nothing to hold.
    """

    def make(n: int, url: str | None = None) -> list[Any]:
        out = []
        for _ in range(n):
            ctx = make_terminal(name=f"Counter {secrets.token_hex(4)}", fresh=True)
            ctx.config.values["allocation"] = dict(TEST_TOP_UP)
            enroll(ctx, central, url)
            out.append(ctx)
        return out

    return make
