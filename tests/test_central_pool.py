"""The central service keeps idle PostgreSQL connections between requests (central/store/pool.py): a connection
the server closed while it sat idle, or one broken in the middle of a request, never fails the next request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sync_helpers import CentralServer, central_db

from boxoffice.central.store.pool import Connections

pytest_plugins = ["sync_support"]
pytestmark = pytest.mark.pg


@pytest.fixture
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return central_db("pg", tmp_path, request)


def _terminate_others(url: str) -> int:
    """What a PostgreSQL restart does to the service: every other session of the database ended by the server."""
    with psycopg.connect(url, autocommit=True) as admin:
        return len(admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                                 " current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                                 ).fetchall())


@pytest.fixture
def server(url: str, tmp_path: Path) -> Iterator[CentralServer]:
    s = CentralServer(url, tmp_path / "serve.log")
    try:
        yield s
    finally:
        s.stop()


def test_requests_after_the_database_ended_the_idle_connections_are_answered(url: str,
                                                                            server: CentralServer) -> None:
    for _ in range(3):
        assert httpx.get(server.url + "/healthz", timeout=30).status_code == 200
    assert _terminate_others(url) >= 1  # the connection the service kept idle
    for _ in range(3):
        answer = httpx.get(server.url + "/healthz", timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "ok"


def test_a_connection_broken_mid_request_is_dropped_and_the_next_one_works(url: str) -> None:
    pool = Connections(url)
    try:
        with pytest.raises(psycopg.OperationalError), pool.connection() as db:
            pid = db.scalar("SELECT pg_backend_pid()")
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            db.scalar("SELECT 1")
        assert pool.idle() == 0  # not given to anyone again
        with pool.connection() as db:
            assert db.scalar("SELECT 1") == 1
            assert db.scalar("SELECT pg_backend_pid()") != pid
        assert pool.idle() == 1  # a clean one is kept for the next request
    finally:
        pool.close()


def test_a_transaction_left_open_is_rolled_back_before_the_connection_is_reused(url: str) -> None:
    pool = Connections(url)
    try:
        with pool.connection() as db:
            db.raw.execute("BEGIN")
            db.execute("CREATE TABLE pool_probe (x int)")
        with pool.connection() as db:
            assert db.scalar("SELECT to_regclass('pool_probe') IS NULL") is True
    finally:
        pool.close()
