"""A terminal catching up after a night offline pulls while its push is being applied (PostgreSQL).

A push locks the terminal's row for its whole transaction (central/services/ingest.py: two copies of one batch run
one after the other). A pull from the same terminal meanwhile must still be answered at once: what a person sees is
the other counters' sales arriving while the night's journal goes up, not a pull that waits for each batch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_helpers import Central, CentralServer, enroll, pg_schema_url, publish_crowd_event, sell_offline, sync

from boxoffice.central.services.admin import init

pytest_plugins = ["sync_support"]
pytestmark = pytest.mark.pg

OLD = "2000-01-01T00:00:00.000000Z"


@pytest.fixture
def pg_central(pg_database: str, tmp_path: Path) -> Iterator[Central]:
    url = pg_schema_url(pg_database)
    init(url)
    server = CentralServer(url, tmp_path / "serve.log")
    try:
        yield Central("pg", url, server)
    finally:
        server.stop()


def _token(ctx: Any) -> str:
    from boxoffice.services.sync.rounds import credentials

    return credentials(ctx)[1]


def test_a_pull_is_answered_while_the_terminals_own_push_holds_its_row(
        pg_central: Central, make_terminal: Any, tmp_path: Path) -> None:
    import psycopg

    event = publish_crowd_event(pg_central, tmp_path)
    night, other = make_terminal(tmp_path / "night", name="Night"), make_terminal(tmp_path / "other", name="Other")
    for ctx in (night, other):
        enroll(ctx, pg_central)
        sync(ctx)
    sell_offline(other, pg_central, event, 2)
    sync(other)  # what the night terminal will pull
    tid = night.terminal["id"]
    headers = {"Authorization": f"Bearer {_token(night)}"}
    with psycopg.connect(pg_central.db_url, autocommit=True) as conn:
        conn.execute("UPDATE terminals SET last_seen_at = %s WHERE id = %s", (OLD, tid))
        answers: list[httpx.Response] = []
        pull = threading.Thread(target=lambda: answers.append(
            httpx.get(f"{pg_central.url}/v1/changes", params={"after": 0, "limit": 500}, headers=headers,
                      timeout=120)))
        with conn.transaction():  # what a push does first, held as a long batch would hold it
            conn.execute("UPDATE terminals SET last_seen_at = %s WHERE id = %s", ("2026-01-01T00:00:00Z", tid))
            pull.start()
            pull.join(60)
            answered_during_push = not pull.is_alive()
        pull.join()
    assert answered_during_push, "the pull waited for the push's transaction"
    assert answers[0].status_code == 200, answers[0].text
    kinds = [c["kind"] for c in answers[0].json()["changes"]]
    assert kinds.count("order") == 2  # the other counter's two sales came down


def test_a_pull_with_nothing_holding_the_row_still_marks_the_terminal_seen(pg_central: Central, make_terminal: Any,
                                                                         tmp_path: Path) -> None:
    ctx = make_terminal(tmp_path / "t", name="Seen")
    enroll(ctx, pg_central)
    tid = ctx.terminal["id"]
    pg_central.query("UPDATE terminals SET last_seen_at = ? WHERE id = ? RETURNING id", (OLD, tid))
    r = httpx.get(f"{pg_central.url}/v1/changes", params={"after": 0},
                  headers={"Authorization": f"Bearer {_token(ctx)}"}, timeout=60)
    assert r.status_code == 200, r.text
    assert pg_central.scalar("SELECT last_seen_at FROM terminals WHERE id = ?", (tid,)) > OLD
