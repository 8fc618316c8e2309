"""A stolen terminal cannot fill the central disk: each terminal has an hourly share of journal.

Through a real service on loopback (`central serve --journal-mb-per-hour`), on SQLite and on PostgreSQL: a terminal
that pushes past its share is refused with 429 ``journal_quota`` and a Retry-After to the next hour, before its
body is parsed; its entries stay on the terminal (nothing is lost) and `boxoffice central alerts` names it; another
terminal's pushes go on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_helpers import Central, CentralServer, central_db, enroll, sell_offline, sync

pytest_plugins = ["sync_support"]

SHARE_MB = "0.05"  # 50 kB an hour: about 35 sales' entries


@pytest.mark.parametrize("backend", ["sqlite", "pg"])
def test_a_terminal_past_its_hourly_share_waits_still_pulls_and_the_admin_is_told(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest, make_terminal: Any, demo_events: Any,
        cli: Any) -> None:
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    url = central_db(backend, tmp_path, request)
    central = Central(backend, url, CentralServer(url, tmp_path / "serve.log", (
        "--max-push-mb", "0.02", "--journal-mb-per-hour", SHARE_MB)))
    try:
        central.publish(demo_catalog(T0.date()), tmp_path)
        gala = demo_events[0]
        greedy, honest = (make_terminal(name=n, fresh=True) for n in ("Counter greedy", "Counter honest"))
        for ctx in (greedy, honest):
            enroll(ctx, central)
        sell_offline(greedy, central, gala, 40)  # 40 sales' entries, about 50 kB: more than its share
        first_ticket = greedy.conn.execute("SELECT id FROM tickets ORDER BY rowid LIMIT 1").fetchone()[0]
        out = cli("sync", "--json", "--batch", "10", db=greedy)  # pushes of 10 entries, within --max-push-mb
        assert out.exit_code == 8, out.stdout + out.stderr
        said = out.stdout + out.stderr
        assert "journal_quota" in said and "nothing is lost" in said
        sent = central.scalar("SELECT count(*) FROM journal WHERE terminal_id = ? AND kind = 'sale'",
                              (greedy.terminal["id"],))
        waiting = greedy.conn.execute("SELECT count(*) FROM journal WHERE kind = 'sale' AND pushed_at IS NULL"
                                      ).fetchone()[0]
        assert 0 < sent < 40 and sent + waiting == 40  # the rest waits on the terminal for the next hour
        # the raw answer: 429 with a Retry-After up to the next hour, before the body is even parsed
        token = greedy.conn.execute("SELECT token FROM sync_state").fetchone()[0]
        raw = httpx.post(f"{central.url}/v1/journal", content=b"{not json at all", timeout=30,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert raw.status_code == 429 and raw.json()["error"]["code"] == "journal_quota"
        assert 1 <= int(raw.headers["retry-after"]) <= 3600
        # held back from pushing, the terminal still pulls: a ticket the admin revokes is refused at its door
        assert central.scalar("SELECT count(*) FROM tickets WHERE id = ?", (first_ticket,)) == 1  # pushed first
        assert cli("central", "revoke-ticket", first_ticket, "--db", url).exit_code == 0
        again = cli("sync", "--json", "--batch", "10", db=greedy)
        assert again.exit_code == 8 and "journal_quota" in again.stdout + again.stderr
        assert greedy.conn.execute("SELECT count(*) FROM revocations WHERE ticket_id = ?",
                                   (first_ticket,)).fetchone()[0] == 1
        # `sync --watch` on the held-back terminal keeps its usual pace (not an outage's back-off), and does not
        # send its refused push again every round
        import random

        from boxoffice.services.sync.watch import Backoff, watch

        waits: list[float] = []
        errors: list[Any] = []
        asked = central.scalar("SELECT journal_hour_bytes FROM terminals WHERE id = ?", (greedy.terminal["id"],))
        watch(lambda: sync(greedy), lambda _r, err, _w: errors.append(err), Backoff(rng=random.Random(7)),
              sleep=waits.append, rounds=6)
        assert all(e is not None and e.details.get("central_code") == "journal_quota" for e in errors), errors
        assert len(waits) == 5 and all(1.5 <= w <= 2.5 for w in waits), waits
        assert central.scalar("SELECT journal_hour_bytes FROM terminals WHERE id = ?",
                              (greedy.terminal["id"],)) <= asked + 20_000  # one refused push at most, not six
        # another terminal is not held back
        sell_offline(honest, central, gala, 1)
        assert sync(honest)["pushed"] >= 1
        alerts = cli("central", "alerts", "--db", url, "--json")
        assert alerts.exit_code == 0, alerts.stderr
        quota = [a for a in alerts.json() if a["code"] == "journal_quota"]
        assert [a["terminals"] for a in quota] == [["Counter greedy"]] and quota[0]["severity"] == "major"
        assert "Counter greedy" in cli("central", "alerts", "--db", url).stdout
    finally:
        central.server.stop()


def test_serve_refuses_a_share_that_one_push_could_not_fit(cli: Any, tmp_path: Path) -> None:
    for share in ("-1", "4"):  # below 0; below the 8 MB of one push
        out = cli("central", "serve", "--db", str(tmp_path / "c.db"), "--journal-mb-per-hour", share)
        assert out.exit_code == 2 and "--journal-mb-per-hour" in out.stderr
