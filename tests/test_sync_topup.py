"""Top-up at sync: an enrolled terminal holds nothing of a central event until it asks, asks when it runs low and
not otherwise, and a request whose answer is lost grants once however often it is sent again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Central, FaultProxy, sell, sync

from boxoffice.central.services import allocation_topup
from boxoffice.central.services import allocations as central_alloc
from boxoffice.central.services.allocation_admin import summary
from boxoffice.central.store.db import connect
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.services import allocations as service

pytest_plugins = ["sync_support"]

NOT_ALLOCATED = 10


def _held(ctx: Any, event: str, section: str) -> dict[str, Any]:
    return next(r for r in service.holdings(ctx, event) if r["section_id"] == section)


def _central(central: Central, event: str, section: str, terminal_id: str) -> int:
    row = next(r for r in summary(central.db_url, event) if r["section_id"] == section)
    assert row["web_sold"] + sum(row["allocated"].values()) + row["held"] + row["free"] == row["capacity"]
    assert row["balanced"]
    return row["allocated"].get(terminal_id, 0)


def _config(tmp_path: Path, below: int, to: int) -> Path:
    path = tmp_path / "counter.toml"
    path.write_text(f"[allocation]\ntop_up_below = {below}\ntop_up_to = {to}\n", encoding="utf-8")
    return path


def test_enroll_sync_sell_through_the_cli_tops_up_when_low_and_not_otherwise(central: Central, make_terminal, cli,
                                                                             demo_events, tmp_path) -> None:
    gala, _ = demo_events
    ctx = make_terminal(name="Top-up counter", fresh=True)
    conf = str(_config(tmp_path, 3, 6))
    assert cli("sync", "enroll", central.url, central.code("Top-up counter"), db=ctx).exit_code == 0
    r = cli("--config", conf, "sync", "--json", db=ctx)
    assert r.exit_code == 0, r.stderr
    first = r.json()
    assert first["top_up_requests"] == 4 and first["top_up_granted"] == 24  # 2 events x 2 sections x 6
    shown = {row["section_id"]: row for row in cli("allocation", "show", gala, "--json", db=ctx).json()}
    assert shown["standing"]["held"] == 6 and shown["standing"]["granted_by_central"]
    assert shown["stalls"]["held"] == 6 and shown["stalls"]["capacity"] == 488
    tid = ctx.terminal["id"]
    assert _central(central, gala, "standing", tid) == 6

    def sell_cli(n: int):  # noqa: ANN202
        return cli("sell", gala, "--section", "standing", "--type", f"adult={n}", "--card", "4242", "--json", db=ctx)

    assert sell_cli(4).exit_code in (0, 7)
    over = sell_cli(3)
    assert over.exit_code == NOT_ALLOCATED and "sync to top it up" in over.json()["error"]["message"]
    again = cli("--config", conf, "sync", "--json", db=ctx).json()  # 2 unsold, under 3: ask for 4 more
    assert again["top_up_requests"] == 1 and again["top_up_granted"] == 4 and again["grants_applied"] == 1
    assert _held(ctx, gala, "standing")["left"] == 6 and _central(central, gala, "standing", tid) == 10
    quiet = cli("--config", conf, "sync", "--json", db=ctx).json()  # 6 unsold: nothing to ask
    assert quiet["top_up_requests"] == 0 and quiet["grants_applied"] == 0
    assert sell_cli(3).exit_code in (0, 7)
    text = cli("--config", conf, "sync", db=ctx)  # 3 unsold is not under 3
    assert text.exit_code == 0 and "topped up" not in text.stdout

    bad = tmp_path / "bad.toml"
    bad.write_text('[allocation]\ntop_up_below = "ten"\n', encoding="utf-8")
    refused = cli("--config", str(bad), "sync", db=ctx)
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert refused.stderr.startswith("error: config file ") and "[allocation]" in refused.stderr
    assert _held(ctx, gala, "standing")["left"] == 3  # nothing asked, nothing changed


def test_an_enrolled_terminal_with_no_grant_does_not_own_the_event(central: Central, terminals, demo_events) -> None:
    gala, _ = demo_events
    (a,) = terminals(1)
    assert _held(a, gala, "standing")["held"] == 300  # before its first sync: the catalogue it imported itself
    a.config.values["allocation"] = {"top_up_below": 0}  # no top-up: it holds only what is granted by hand
    sync(a)
    assert _held(a, gala, "standing")["held"] == 0 and _held(a, gala, "stalls")["held"] == 0
    with pytest.raises(BoxOfficeError) as refused:
        sell(a, gala)
    assert refused.value.code == "not_allocated"


def test_a_top_up_whose_answer_is_lost_grants_once(central: Central, terminals, demo_events) -> None:
    gala, jazz = demo_events
    (a,) = terminals(1)
    tid = a.terminal["id"]
    # the first top-up's answer never arrives and the client gives up: the request stays open here
    cut = {"n": 0}

    def plan(n: int, method: str, path: str) -> str:
        if method == "POST" and path.startswith("/v1/allocations/requests"):
            cut["n"] += 1
            return "cut_after" if cut["n"] == 1 else "pass"
        return "pass"

    with FaultProxy(int(central.url.rsplit(":", 1)[1]), plan) as proxy:
        with pytest.raises(BoxOfficeError) as lost:
            sync(a, proxy.url, retries=0)
        assert lost.value.code == "central_unreachable"
        open_ = [r[0] for r in a.conn.execute("SELECT id FROM allocation_requests WHERE answered_at IS NULL")]
        assert len(open_) == 4  # every request is stored before it is sent; the sync stopped at the first
        got = central.query("SELECT id, granted FROM allocation_requests WHERE terminal_id = ?", (tid,))
        assert len(got) == 1 and got[0]["id"] in open_ and got[0]["granted"] == 10  # granted; never heard
        # the next sync sends the same id again (and the client retries it too): the first answer, nothing more
        out = sync(a, proxy.url)
    assert out["top_up_requests"] == 4 and out["top_up_granted"] == 40
    assert central.scalar("SELECT count(*) FROM allocation_requests WHERE terminal_id = ?", (tid,)) == 4
    assert central.scalar("SELECT count(*) FROM allocation_moves WHERE terminal_id = ? AND kind = 'grant'",
                          (tid,)) == 4
    for event in (gala, jazz):
        for section in ("standing", "stalls"):
            assert _held(a, event, section)["held"] == 10
            assert _central(central, event, section, tid) == 10
    # a repeated pull (the position lost, every grant sent again) adds nothing
    with connect(central.db_url) as db:
        everything = central_alloc.grants_after(db, tid, 0)

    class Replay:
        def allocations(self, after: int, limit: int = 500) -> Any:
            return everything

    assert service.pull_grants(a, Replay())["grants_applied"] == 0
    assert _held(a, gala, "standing")["held"] == 10


def test_top_up_on_the_service_is_idempotent_and_gives_seats_together(central: Central, terminals,
                                                                       demo_events) -> None:
    gala, _ = demo_events
    a, b = terminals(2)
    sync(a), sync(b)
    now = "2026-12-01T10:00:00Z"
    rid = uuid7()
    with connect(central.db_url) as db:
        before = central_alloc.allocated(db, gala, "stalls").get(a.terminal["id"], 0)
        first = allocation_topup.top_up(db, a.terminal["id"], gala, "stalls", 4, rid, now)
        again = allocation_topup.top_up(db, a.terminal["id"], gala, "stalls", 4, rid, now)
        with pytest.raises(BoxOfficeError) as other:
            allocation_topup.top_up(db, b.terminal["id"], gala, "stalls", 4, rid, now)
        after = central_alloc.allocated(db, gala, "stalls").get(a.terminal["id"], 0)
        seats = central_alloc.seats_of(db, gala, "stalls")
    assert first["granted"] == 4 and not first["replayed"]
    assert again["replayed"] and {k: again[k] for k in ("granted", "seats", "grant_id")} == \
        {k: first[k] for k in ("granted", "seats", "grant_id")}
    assert other.value.code == "conflict"
    assert after == before + 4
    rows = {s[0] for s in first["seats"]}
    numbers = sorted(int(s[1:]) for s in first["seats"])
    assert len(rows) == 1 and numbers == list(range(numbers[0], numbers[0] + 4))  # one block, side by side
    assert all(seats[s] == a.terminal["id"] for s in first["seats"])
    sync(a)
    assert set(first["seats"]) <= {r[0] for r in a.conn.execute(
        "SELECT label FROM seats WHERE event_id = ? AND section_id = 'stalls' AND allocated = 1", (gala,))}
