"""How far one sync round goes: a background round (`sync --watch`) pulls a bounded number of pages and pushes the
sales made meanwhile, later rounds catch up with every order exactly once, and `boxoffice sync` still brings
everything there was when it began."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sync_helpers import Central, client, sell, sell_offline, sync

from boxoffice.services.sync import pull as pulling
from boxoffice.services.sync import rounds
from boxoffice.store import sync_state

pytest_plugins = ["sync_support"]


def _orders_from(ctx: Any, terminal_id: str) -> list[str]:
    return [r[0] for r in ctx.conn.execute("SELECT id FROM orders WHERE terminal_id = ?", (terminal_id,))]


class SellsWhilePulling:
    """The real client, with one more sale made at the same counter while each page of changes is on the wire
    (a counter that keeps selling while its sync pulls)."""

    def __init__(self, real: Any, counter: Any, event: str) -> None:
        self.real, self.counter, self.event = real, counter, event
        self.sold: list[str] = []

    def push(self, entries: list[dict[str, Any]]) -> Any:
        return self.real.push(entries)

    def changes(self, after: int, limit: int) -> Any:
        self.sold.append(sell(self.counter, self.event)["order"]["id"])
        return self.real.changes(after, limit)


def test_a_background_round_pulls_at_most_its_pages_and_pushes_what_was_sold_meanwhile(
        central: Central, terminals, open_ctx, demo_events, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(pulling, "PULL_PAGE", 4)
    gala = demo_events[0]
    a, b = terminals(2)
    sell_offline(b, central, gala, 0)  # b holds places to sell, and has pulled all there was
    sell_offline(a, central, gala, 20)
    sync(a)
    sold_at_a = _orders_from(a, a.terminal["id"])
    assert len(sold_at_a) == 20 and _orders_from(b, a.terminal["id"]) == []

    url, token = rounds.credentials(b)
    with client(url, token) as real:
        busy = SellsWhilePulling(real, open_ctx(b), gala)
        out = rounds.sync_once(b, busy, max_pages=2)
    # two pages of four, no more: the rest waits for the next round
    assert out["pages"] == 2 and out["caught_up"] is False
    assert 0 < len(_orders_from(b, a.terminal["id"])) <= 8
    # the sale made while the first page was on the wire went up in the same round; the one made during the last
    # page waits for the next round's push
    first, last = busy.sold
    assert first in _central_orders(central, b) and last not in _central_orders(central, b)
    assert sync_state.pending_count(b.conn) >= 1

    more = 0
    while not out["caught_up"]:  # later background rounds catch up
        out = sync(b, max_pages=2)
        more += 1
        assert out["pages"] <= 2 and more < 10
    assert sorted(_orders_from(b, a.terminal["id"])) == sorted(sold_at_a)  # each of a's sales here once
    assert out["waiting"] == 0
    assert sorted(_central_orders(central, b)) == sorted(busy.sold)  # each of b's there once
    sync(a)
    assert sorted(_orders_from(a, b.terminal["id"])) == sorted(busy.sold)


def _central_orders(central: Central, ctx: Any) -> list[str]:
    return [r["id"] for r in central.query("SELECT id FROM orders WHERE terminal_id = ?", (ctx.terminal["id"],))]


def test_boxoffice_sync_brings_everything_however_many_pages(central: Central, terminals, demo_events, cli,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(pulling, "PULL_PAGE", 3)
    gala = demo_events[0]
    a, c = terminals(2)
    sync(c)
    sell_offline(a, central, gala, 20)
    sync(a)
    r = cli("sync", "--json", db=c)
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["caught_up"] is True and out["pages"] > rounds.ROUND_PAGES
    assert sorted(_orders_from(c, a.terminal["id"])) == sorted(_orders_from(a, a.terminal["id"]))
    status = cli("sync", "status", "--json", db=c).json()
    assert status["cursor"] == status["head"] and status["entries_waiting"] == 0


class GrowingFeed:
    """Another terminal sells and pushes while each page of changes is on the wire: the feed never stops growing."""

    def __init__(self, real: Any, other: Any, event: str) -> None:
        self.real, self.other, self.event = real, other, event
        self.calls = 0

    def push(self, entries: list[dict[str, Any]]) -> Any:
        return self.real.push(entries)

    def changes(self, after: int, limit: int) -> Any:
        self.calls += 1
        assert self.calls < 60, "the pull chased the other terminal's sales"
        sell(self.other, self.event)
        sync(self.other)
        return self.real.changes(after, limit)


def test_a_pull_ends_at_the_head_it_found_while_others_keep_selling(central: Central, terminals, demo_events,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(pulling, "PULL_PAGE", 1)
    gala = demo_events[0]
    a, b = terminals(2)
    sell_offline(a, central, gala, 8)
    sync(a)
    sync(b)
    sell(a, gala)
    sync(a)
    url, token = rounds.credentials(b)
    with client(url, token) as real:
        feed = GrowingFeed(real, a, gala)
        out = rounds.sync_once(b, feed)
    assert out["caught_up"] is True and feed.calls < 10
    sync(b)  # what was sold meanwhile comes with the next sync
    assert sorted(_orders_from(b, a.terminal["id"])) == sorted(_orders_from(a, a.terminal["id"]))


def test_watch_starts_the_next_round_at_once_while_a_round_left_pages() -> None:
    from boxoffice.services.sync.watch import Backoff, watch

    results = iter([{"caught_up": False}, {"caught_up": False}, {"caught_up": True}, {"caught_up": True}])
    waits: list[float] = []
    watch(lambda: next(results), lambda r, e, w: waits.append(w), Backoff(interval=5, rng=random.Random(1)),
          sleep=lambda s: None, rounds=4)
    assert waits[:2] == [0.0, 0.0] and all(4.5 <= w <= 5.5 for w in waits[2:])


def test_background_rounds_ask_for_grants_now_and_then_and_boxoffice_sync_every_time(central: Central, terminals,
                                                                                     demo_events) -> None:  # noqa: ANN001
    from boxoffice.central.services.allocation_admin import allocate

    (a,) = terminals(1)
    sync(a)
    assert "grants_applied" in sync(a, max_pages=rounds.ROUND_PAGES)
    allocate(central.db_url, demo_events[0], a.terminal["id"], "standing", 7, [])
    soon = sync(a, max_pages=rounds.ROUND_PAGES)  # within SLOW_EVERY of the last ask: not asked
    assert "grants_applied" not in soon
    assert sync(a)["grants_applied"] == 1  # `boxoffice sync` always asks


class CheckpointPastTheShare(SellsWhilePulling):
    """The real client, selling while it pulls, whose central service refuses the round's closing checkpoint as
    past the terminal's journal share (what the client raises on 429 ``journal_quota``, tests/
    test_central_journal_quota.py): the pushes fitted, the checkpoint after the pull did not."""

    def checkpoint(self, body: dict[str, Any]) -> Any:
        from boxoffice.errors import BoxOfficeError

        self.refused = body
        raise BoxOfficeError("central_rate_limited", "the central service is limiting this terminal's requests",
                             retry_after=1800, central_code="journal_quota")


def test_a_checkpoint_past_the_journal_share_holds_the_terminal_back_like_a_push(
        central: Central, terminals, open_ctx, demo_events, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    import time

    from boxoffice.errors import BoxOfficeError

    gala = demo_events[0]
    a, b = terminals(2)
    sell_offline(b, central, gala, 0)
    sync(b)  # nothing of b's waits: only the sale made while it pulls goes up, between two pages
    assert sync_state.pending_count(b.conn) == 0
    sell_offline(a, central, gala, 6)
    sync(a)
    monkeypatch.setattr(pulling, "PULL_PAGE", 4)  # a's six sales in two pages: b sells between them
    url, token = rounds.credentials(b)
    with client(url, token) as real:
        busy = CheckpointPastTheShare(real, open_ctx(b), gala)
        with pytest.raises(BoxOfficeError) as held:
            rounds.sync_once(b, busy)
    assert busy.refused and held.value.details.get("central_code") == "journal_quota"
    assert "takes no more of this terminal's journal" in held.value.message  # the round's words, not a 429's
    until = b.cache[rounds.QUOTA_UNTIL]
    assert 1790 <= until - time.time() <= 1800  # pushes wait for the time the service gave
    assert sorted(_orders_from(b, a.terminal["id"])) == sorted(_orders_from(a, a.terminal["id"]))  # pulled
