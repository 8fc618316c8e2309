"""Pages capped by bytes as well as by count, and a stranger's IPv6 /64 held to one rate bucket.

A terminal may push entries whose payloads are a megabyte each (the push schema's most), and the feed carries large
bodies too (a catalogue with its seat plans). A page of a thousand of them was read whole into the service's memory:
one GET of /v1/journal grew the service by half a gigabyte. Through a real `central serve` on loopback, on SQLite
and on PostgreSQL: a page of the journal and a page of the change feed stop once their payloads reach the cap
(always holding one entry, so a terminal moves on) and say ``more`` as a page cut by count does; `sync recover`'s
read-back and `boxoffice sync` read every page and miss nothing.

The rate limit for requests without an accepted token keyed its buckets by the full client address, so one host
with an IPv6 /64 had 2**64 buckets; it keys them as the connection cap does (heads.py): by /64. That is checked in
process, through the ASGI app, since loopback offers a single IPv6 address.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_helpers import Central, central_db, client, sync

from boxoffice.domain.chain import entry_hash
from boxoffice.domain.ids import uuid7

pytest_plugins = ["sync_support"]

CAP = 4_000_000  # readback.MAX_PAGE_BYTES and feed.MAX_PAGE_BYTES, written out so the tests stand on their own
ENVELOPE = 64_000  # a page's JSON around its payloads: ids, hashes, times, the head
END = 2**53 - 1


def _token(ctx: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {ctx.conn.execute('SELECT token FROM sync_state').fetchone()[0]}"}


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


# --- the journal read back ------------------------------------------------------------------------------------


def _notes(terminal_id: str, seq: int, prev: str, sizes: list[int]) -> list[dict[str, Any]]:
    """Entries continuing a terminal's chain after (``seq``, ``prev``), each a note whose payload is about as long as
    its size: what a stolen terminal's token can push within its hourly share."""
    out = []
    at = "2026-12-01T10:00:00Z"
    for i, size in enumerate(sizes, start=seq + 1):
        entry_id, payload = uuid7(), '{"b":"' + "é" + "x" * (size - 10) + '"}'
        digest = entry_hash(prev, id=entry_id, seq=i, terminal_id=terminal_id, kind="note", operator_id=None, at=at,
                            payload=payload)
        out.append({"id": entry_id, "terminal_id": terminal_id, "seq": i, "kind": "note", "operator_id": None,
                    "at": at, "payload": payload, "prev_hash": prev, "hash": digest})
        prev = digest
    return out


class _Counting:
    """The real client, counting the journal pages recovery asks for."""

    def __init__(self, real: Any) -> None:
        self.real, self.pages = real, 0

    def journal(self, after: int, limit: int = 500) -> Any:
        self.pages += 1
        return self.real.journal(after, limit)


def test_a_journal_page_stops_at_the_byte_cap_and_recovery_reads_every_page(
        central: Central, terminals: Callable[..., list[Any]]) -> None:
    from boxoffice.services.sync.recovery import plan

    (ctx,) = terminals(1)
    sync(ctx)
    auth = _token(ctx)
    with httpx.Client(base_url=central.url, headers=auth, timeout=120) as http:
        head = http.get("/v1/journal", params={"after": END}).json()["head"]
        notes = _notes(ctx.terminal["id"], head["seq"], head["hash"], [999_000] * 12)
        for i in range(0, len(notes), 6):  # 6 MB a push, under the push cap
            pushed = http.post("/v1/journal", json={"entries": notes[i:i + 6]})
            assert pushed.status_code == 200, pushed.text[:300]

        pages, after = [], head["seq"]
        while True:
            answer = http.get("/v1/journal", params={"after": after, "limit": 1000})
            assert answer.status_code == 200
            page = answer.json()
            pages.append((len(answer.content), page))
            if not page["more"]:
                break
            after = page["entries"][-1]["seq"]
    assert [e["seq"] for _, p in pages for e in p["entries"]] == [e["seq"] for e in notes], "every entry, once"
    assert [e["hash"] for _, p in pages for e in p["entries"]] == [e["hash"] for e in notes]
    assert len(pages) >= 3, [len(p["entries"]) for _, p in pages]
    for size, page in pages:
        payloads = [_utf8(e["payload"]) for e in page["entries"]]
        assert payloads and sum(payloads[:-1]) < CAP, payloads  # stopped at the entry that reached the cap
        assert size < CAP + max(payloads) + ENVELOPE, size  # the page in memory: the cap and one entry, no more
        if page["more"]:
            assert sum(payloads) >= CAP and len(page["entries"]) < 1000  # cut by bytes, said as a full page says it
    assert pages[-1][1]["head"]["seq"] == notes[-1]["seq"]

    # `sync recover` reads it back page by page and finds every entry, in chain order
    with client(central.url, auth["Authorization"].removeprefix("Bearer ")) as real:
        source = _Counting(real)
        found = plan(ctx, source)
    assert [e["seq"] for e in found.replay] == [e["seq"] for e in notes]
    assert found.last == (notes[-1]["seq"], notes[-1]["hash"]) and source.pages >= 3


# --- the change feed ------------------------------------------------------------------------------------------


def _append(central: Central, terminal_id: str, sizes: list[int]) -> list[int]:
    """Changes of a kind this release's terminals do not know (one a later central service may send: the terminal
    parks it), for ``terminal_id`` alone, with bodies about ``sizes`` bytes long; their positions."""
    from boxoffice.central.services import feed
    from boxoffice.central.store.db import connect

    changes = [feed.Change("bulletin", {"n": i, "text": "ü" + "y" * (size - 30)}, audience=terminal_id)
               for i, size in enumerate(sizes)]
    with connect(central.db_url) as db, db.transaction():
        top = feed.append(db, changes, "2026-12-01T10:00:00Z")
    return list(range(top - len(sizes) + 1, top + 1))


def test_a_page_of_changes_stops_at_the_byte_cap_and_a_sync_pulls_every_page(
        central: Central, terminals: Callable[..., list[Any]]) -> None:
    (ctx,) = terminals(1)
    sync(ctx)
    start = ctx.conn.execute("SELECT cursor FROM sync_state").fetchone()[0]
    sizes = [4_200_000] + [900_000] * 8  # the first alone is past the cap: a page of one, so the cursor moves on
    positions = _append(central, ctx.terminal["id"], sizes)

    pages, cursor = [], start
    with httpx.Client(base_url=central.url, headers=_token(ctx), timeout=120) as http:
        while True:
            answer = http.get("/v1/changes", params={"after": cursor, "limit": 1000})
            assert answer.status_code == 200
            page = answer.json()
            pages.append((len(answer.content), page))
            cursor = page["cursor"]
            if not page["more"]:
                break
    got = [c["cursor"] for _, p in pages for c in p["changes"]]
    assert got == positions, "every change, once, in order"
    assert len(pages[0][1]["changes"]) == 1 and pages[0][1]["more"] and pages[0][1]["cursor"] == positions[0]
    assert len(pages) >= 3, [len(p["changes"]) for _, p in pages]
    for size, page in pages:
        bodies = [_utf8(c["body"]["text"]) for c in page["changes"]]
        assert bodies and sum(bodies[:-1]) < CAP, bodies
        assert size < CAP + max(bodies) + ENVELOPE, size
        if page["more"]:  # cut by bytes: the cursor stops at the page's last change, not at the head
            assert sum(bodies) >= CAP and page["cursor"] == page["changes"][-1]["cursor"] < page["head"]
    assert pages[-1][1]["cursor"] == pages[-1][1]["head"]

    # the terminal's own sync pulls every page and keeps every change (parked: a kind for a later release)
    out = sync(ctx)
    assert out["pages"] >= 3 and out["cursor"] == out["head"] and out["caught_up"], out
    kept: dict[int, tuple[str, str]] = {cursor: (kind, body) for cursor, kind, body in ctx.conn.execute(
        "SELECT cursor, kind, body FROM sync_parked")}
    assert sorted(kept) == positions and {kind for kind, _ in kept.values()} == {"bulletin"}
    parked = [json.loads(kept[position][1]) for position in positions]
    assert [(b["n"], len(b["text"])) for b in parked] == [(i, s - 29) for i, s in enumerate(sizes)]


# --- the rate bucket of an IPv6 /64 ---------------------------------------------------------------------------


def test_addresses_of_one_ipv6_64_draw_from_one_rate_bucket(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from boxoffice.central.api import heads
    from boxoffice.central.api.app import create_app
    from boxoffice.central.api.limits import Limits, address_key

    app = create_app(central_db("sqlite", tmp_path, request),
                     limits=Limits(rate_per_address=0.001, burst_per_address=5))  # 5 at once, then one in 1000 s

    async def healthz(address: str) -> int:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": "/healthz", "raw_path": b"/healthz", "query_string": b"",
                 "root_path": "", "headers": [(b"host", b"central")], "client": (address, 40000),
                 "server": ("::", 8765)}
        status: dict[str, int] = {}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]

        await app(scope, receive, send)
        return status["code"]

    async def each(addresses: list[str]) -> list[int]:
        return [await healthz(a) for a in addresses]

    # a new address of the same /64 for every request: one bucket, as one address would have
    spread = asyncio.run(each([f"2001:db8:1:2::{i:x}" for i in range(1, 21)]))
    assert spread == [200] * 5 + [429] * 15, spread
    assert asyncio.run(each(["2001:db8:1:2:ffff:ffff:ffff:ffff"])) == [429]
    # another /64, and an IPv4 client, have buckets of their own; an IPv4 client on a dual-stack socket is itself
    assert asyncio.run(each(["2001:db8:1:3::1"])) == [200]
    assert asyncio.run(each(["192.0.2.7"] * 4 + ["::ffff:192.0.2.7"] * 2)) == [200] * 5 + [429]
    # one client is one client for the connection cap too
    assert heads.address_key(("2001:db8:1:2::7d1", 1)) == address_key(("2001:db8:1:2::1", 1)) == "2001:db8:1:2::/64"
