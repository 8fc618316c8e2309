"""The central service under concurrent load on PostgreSQL: two `boxoffice central serve` processes on one database,
terminals topping up through both at once while `boxoffice central orders import` runs three times side by side.

What a venue would check afterwards: every request was answered (no 503, no internal error from the CLI), a request
id sent to both services at once got one answer twice, no place was granted twice (each terminal's allocation is
exactly the sum of the grants it was told about, and the places still add up to the capacity), and every web order
is in exactly once whichever import got it in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import ROOT, CentralServer, new_identity_body, pg_schema_url

from boxoffice.central.services import allocations
from boxoffice.central.services.admin import enroll_code, init, publish_catalog
from boxoffice.central.store.db import connect
from boxoffice.domain.codes import ALPHABET
from boxoffice.domain.ids import uuid7

pytest_plugins = ["sync_support"]
pytestmark = pytest.mark.pg

TERMINALS = 12
ROUNDS = 2          # each terminal tops up both sections of the event this many times at least
DUPLICATES = 4      # request ids sent to both services at the same moment
WEB_ORDERS = 30


@pytest.fixture
def two_services(pg_database: str, tmp_path: Path) -> Iterator[tuple[str, list[CentralServer]]]:
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    url = pg_schema_url(pg_database)
    init(url)
    doc = tmp_path / "catalog.json"
    doc.write_text(json.dumps(demo_catalog(T0.date())))
    publish_catalog(url, doc)
    servers = [CentralServer(url, tmp_path / f"serve-{i}.log") for i in range(2)]
    try:
        yield url, servers
    finally:
        for s in servers:
            s.stop()


def _enroll(url: str, service: str, i: int) -> dict[str, Any]:
    """A terminal enrolled over HTTP with a key of its own; returns its id and token."""
    import httpx

    body = new_identity_body(lambda path, doc: httpx.post(f"{service}{path}", json=doc, timeout=30).json(),
                             enroll_code(url, f"Load {i}")["code"], f"Load {i}",
                             "T" + ALPHABET[i // len(ALPHABET)] + ALPHABET[i % len(ALPHABET)])
    r = httpx.post(f"{service}/v1/enroll", json=body, timeout=30)
    assert r.status_code == 200, r.text
    return {"id": body["terminal_id"], "token": r.json()["token"]}


def _web_doc(path: Path, event: str, refs: range) -> Path:
    """Web orders: two standing places each, and every fifth a seat of the back row (top-ups give the front)."""
    orders = []
    for n in refs:
        tickets = [{"section_id": "standing", "type": "adult"}] * 2
        if n % 5 == 0:
            tickets = [*tickets, {"section_id": "stalls", "type": "adult", "seat": f"S{n // 5 + 1}"}]
        orders.append({"ref": f"shop-{n}", "event_id": event, "customer_name": f"Web {n}",
                       "email": f"w{n}@example.com", "tickets": tickets})
    path.write_text(json.dumps({"format": "boxoffice.web-orders/1", "orders": orders}))
    return path


def _import(url: str, path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    return subprocess.Popen([sys.executable, "-c", "from boxoffice.cli.main import run; run()", "central", "orders",
                             "import", str(path), "--db", url, "--json"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_top_ups_and_web_imports_at_once_through_two_services(two_services, demo_events, tmp_path: Path) -> None:
    import httpx

    url, servers = two_services
    gala, _ = demo_events
    terms = [_enroll(url, servers[i % 2].url, i) for i in range(TERMINALS)]
    docs = [_web_doc(tmp_path / "a.json", gala, range(0, 20)), _web_doc(tmp_path / "b.json", gala, range(10, 30)),
            _web_doc(tmp_path / "c.json", gala, range(0, WEB_ORDERS))]

    answers: list[tuple[int, dict[str, Any], int, dict[str, Any]]] = []  # (terminal, request, status, body)
    lock = threading.Lock()
    go = threading.Barrier(TERMINALS + DUPLICATES * 2)

    def ask(t: int, service: str, body: dict[str, Any], wait: bool = True) -> None:
        if wait:
            go.wait(60)
        r = httpx.post(f"{service}/v1/allocations/requests", json=body, timeout=120,
                       headers={"Authorization": f"Bearer {terms[t]['token']}"})
        with lock:
            answers.append((t, body, r.status_code, r.json()))

    def terminal_load(t: int, imports: list[subprocess.Popen[bytes]]) -> None:
        rounds = 0
        while rounds < ROUNDS or any(p.poll() is None for p in imports):
            for k, (section, count) in enumerate((("standing", 3), ("stalls", 2))):
                body = {"id": uuid7(), "event_id": gala, "section_id": section, "count": count}
                ask(t, servers[(t + k + rounds) % 2].url, body, wait=rounds == 0 and k == 0)
            rounds += 1

    dup_bodies = [{"id": uuid7(), "event_id": gala, "section_id": "standing", "count": 4} for _ in range(DUPLICATES)]
    imports = [_import(url, d) for d in docs]
    with ThreadPoolExecutor(max_workers=TERMINALS + DUPLICATES * 2) as pool:
        futures = [pool.submit(terminal_load, t, imports) for t in range(TERMINALS)]
        futures += [pool.submit(ask, d, servers[s].url, dup_bodies[d]) for d in range(DUPLICATES) for s in (0, 1)]
        for f in futures:
            f.result()
    outs = [p.communicate(timeout=300) for p in imports]

    # every request answered, every import done
    failed = [(status, body) for _, _, status, body in answers if status != 200]
    assert not failed, failed[:3]
    assert len(answers) >= TERMINALS * ROUNDS * 2 + DUPLICATES * 2
    for p, (_, err) in zip(imports, outs, strict=True):
        assert p.returncode == 0, err.decode()[-800:]
    imported = [json.loads(out) for out, _ in outs]
    assert sum(i["imported"] for i in imported) == WEB_ORDERS

    # a request id sent to both services: one grant, the same answer twice
    for body in dup_bodies:
        pair = [a for _, b, _, a in answers if b["id"] == body["id"]]
        assert len(pair) == 2 and sorted(a["replayed"] for a in pair) == [False, True]
        assert pair[0]["grant_id"] == pair[1]["grant_id"] and pair[0]["granted"] == pair[1]["granted"]

    with connect(url) as db:
        web = db.all("SELECT ref FROM orders WHERE channel = 'web'")
        assert sorted(r["ref"] for r in web) == sorted(f"shop-{n}" for n in range(WEB_ORDERS))
        # no place granted twice: each terminal holds exactly what it was told it was granted, once per request
        told: dict[tuple[str, str], int] = {}
        for t, body, _, a in answers:
            if not a["replayed"]:
                key = (terms[t]["id"], body["section_id"])
                told[key] = told.get(key, 0) + a["granted"]
        for section in ("standing", "stalls"):
            held = allocations.allocated(db, gala, section)
            assert held == {tid: n for (tid, s), n in told.items() if s == section and n}
        grants = db.scalar("SELECT count(*) FROM allocation_moves WHERE kind = 'grant'")
        assert grants == sum(1 for _, _, _, a in answers if not a["replayed"] and a["granted"])
        secs = allocations.sections(db, gala)
        standing = secs["standing"]
        assert allocations.web_sold(db, gala, "standing") == WEB_ORDERS * 2
        assert (allocations.web_sold(db, gala, "standing") + sum(allocations.allocated(db, gala, "standing").values())
                + allocations.free(db, standing)) == standing.capacity
        web_seats = allocations.web_seats(db, gala, "stalls")
        seat_holders = allocations.seats_of(db, gala, "stalls")
        assert len(web_seats) == WEB_ORDERS // 5 and not web_seats & set(seat_holders)
