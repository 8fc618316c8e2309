"""Abuse of the central service by a terminal that is enrolled but lies: a real terminal's journal (sales, refunds,
pickups, check-ins, shifts) pushed with hostile payloads, kinds, times and operators, every hash made to match so
the entries reach the part that reads them; pushed twice; pushed with another terminal's token.

The central service never answers 5xx; a refused batch changes nothing there; an accepted one is applied once; and
an honest terminal that pulls afterwards never fails with anything but a clean refusal, its database whole.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stress_helpers import ABUSE_SCALE, changed_tables

from boxoffice.domain.chain import GENESIS, canonical, entry_hash
from boxoffice.errors import BoxOfficeError

EXAMPLES, DERANDOMIZE = 60 * ABUSE_SCALE, ABUSE_SCALE == 1  # more: benchmarks/bench_abuse.py
pytest_plugins = ["sync_support"]
TAGS = ("".join(t) for t in itertools.product("23456789ABCDEFGHJKMNPQRSTVXYZ", repeat=3))
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**64), max_value=2**64), st.floats(allow_nan=False,
                                                                                          allow_infinity=False),
    st.text(max_size=16), st.just([]), st.just({}), st.just([{}]),
    st.sampled_from(["", "Robert'); DROP TABLE journal;--", "\x00", "\x1b[31m", "A" * 20_000, "nope",
                     "00000000-0000-0000-0000-000000000000", "2026-13-45T99:99:99Z", "-1", "1e309", "W222-2222",
                     "sale", "refund", "pickup", "checkin", "exchange"]),
)


class Server:
    """The central service on loopback (SQLite) with the demo catalogue, and its database file."""

    def __init__(self, backend: str, directory: Path, request: pytest.FixtureRequest) -> None:
        from conftest import T0
        from sync_helpers import Central, CentralServer, central_db

        from boxoffice.services.demo_catalog import demo_catalog

        self.db_url = central_db(backend, directory, request)
        self.server = CentralServer(self.db_url, directory / "serve.log")
        self.central = Central(backend, self.db_url, self.server)
        self.central.publish(demo_catalog(T0.date()), directory)
        self.url = self.server.url
        self.http = httpx.Client(base_url=self.url, timeout=60)

    def enroll(self, name: str) -> tuple[str, str]:
        """A new terminal identity, enrolled: (terminal id, token)."""
        from sync_helpers import new_identity_body

        body = new_identity_body(lambda path, doc: self.http.post(path, json=doc).json(), self.central.code(name),
                                 name, next(TAGS))
        r = self.http.post("/v1/enroll", json=body)
        assert r.status_code == 200, r.text
        return body["terminal_id"], r.json()["token"]

    def push(self, entries: list[dict[str, Any]], token: str) -> httpx.Response:
        return self.http.post("/v1/journal", content=json.dumps({"entries": entries}).encode(),
                              headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})

    def close(self) -> None:
        self.http.close()
        self.server.stop()


    def fingerprint(self) -> dict[str, str]:
        """Table -> hash of its rows, whichever database the service runs on."""
        import hashlib

        from boxoffice.central.store.db import connect

        out = {}
        with connect(self.db_url) as db:
            for table in ("terminals", "journal", "changes", "claims", "conflicts", "orders", "tickets",
                          "revocations", "counters"):
                rows = db.all(f"SELECT * FROM {table}")
                out[table] = hashlib.sha256(repr(sorted(repr(sorted(r.items())) for r in rows)).encode()).hexdigest()
        return out


@pytest.fixture(scope="module", params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(request.param, tmp_path_factory.mktemp(f"central-abuse-{request.param}"), request)
    yield s
    s.close()


@pytest.fixture
def source_journal(make_terminal, cli, clock, demo_events) -> list[dict[str, Any]]:  # noqa: ANN001
    """A real terminal's journal after an evening's work, in the form a push sends it."""
    from pickup_fixtures import Central, setup_desk, standard_orders

    from boxoffice.store import journal as journal_store

    ctx = make_terminal(name="Source", fresh=True)
    gala = demo_events[0]
    central = Central.make()
    setup_desk(ctx, central, standard_orders(central, *demo_events))
    env = {"BOXOFFICE_PIN": "123456", "BOXOFFICE_PRINTER": f"file://{ctx.config.db_path.parent / 'printer.bin'}"}
    run = [["shift", "open", "--float", "100"], ["sell", gala, "-s", "stalls", "-t", "adult=2", "--cash", "100"],
           ["sell", gala, "-s", "standing", "-t", "adult=3", "--card", "4242"], ["shift", "cash-in", "20", "--reason",
                                                                                  "change"]]
    for args in run:
        assert cli(*args, db=ctx, env=env).exit_code == 0, args
    code = ctx.conn.execute("SELECT code FROM orders WHERE channel = 'box_office' ORDER BY created_at").fetchone()[0]
    assert cli("refund", code, "--yes", db=ctx, env=env).exit_code == 0
    web = ctx.conn.execute("SELECT code FROM orders WHERE channel = 'web' AND status = 'paid'").fetchone()[0]
    assert cli("pickup", web, "--yes", db=ctx, env=env).exit_code == 0
    clock.set("2026-12-08T18:50:00Z")
    assert cli("login", "ada", db=ctx, env=env).exit_code == 0
    tokens = "\n".join(r[0] for r in ctx.conn.execute("SELECT token FROM tickets WHERE status = 'valid' LIMIT 3"))
    cli("scan", "check", "--event", gala, db=ctx, env=env, input=tokens + "\n")
    entries = [{k: e[k] for k in ("id", "terminal_id", "seq", "kind", "operator_id", "at", "payload", "prev_hash",
                                  "hash")} for e in journal_store.iter_entries(ctx.conn)]
    kinds = {e["kind"] for e in entries}
    assert {"sale", "refund", "pickup", "checkin", "shift.open", "cash.in"} <= kinds, kinds
    return entries


def _as(entries: list[dict[str, Any]], terminal_id: str, salt: str) -> list[dict[str, Any]]:
    """The journal as another terminal's: its id, and every id inside made new (so its sales are its own)."""
    remap: dict[str, str] = {}

    def new(m: re.Match[str]) -> str:
        return remap.setdefault(m[0], str(uuid.uuid5(uuid.NAMESPACE_URL, f"{salt}/{m[0]}")))

    out = []
    for e in entries:
        e = dict(e)
        e["terminal_id"] = terminal_id
        e["id"] = UUID.sub(new, e["id"])
        e["payload"] = UUID.sub(new, e["payload"])
        out.append(e)
    return out


def _rechain(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    prev = GENESIS
    for e in entries:
        e["prev_hash"] = prev
        e["hash"] = prev = entry_hash(prev, id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"], kind=e["kind"],
                                      operator_id=e["operator_id"], at=e["at"], payload=e["payload"])
    return entries


def _places(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _places(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            out += _places(v, (*prefix, i))
    return out


@st.composite
def lies(draw: st.DrawFn, n_entries: int) -> list[tuple[int, str, Any]]:
    """A few edits: (entry index, what, value): a payload place set or dropped, or a kind, time or operator set."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, n_entries - 1))
        what = draw(st.sampled_from(["payload", "payload", "payload", "drop", "kind", "at", "operator_id"]))
        edits.append((i, what, draw(HOSTILE) if what != "drop" else None, draw(st.integers(0, 10**6))))
    return edits


def _apply(entries: list[dict[str, Any]], edits: list[tuple]) -> list[dict[str, Any]]:
    for i, what, value, pick in edits:
        e = entries[i]
        value = copy.deepcopy(value)
        if what in ("kind", "at", "operator_id"):
            e[what] = value if what == "operator_id" or isinstance(value, str) else str(value)
            continue
        payload = json.loads(e["payload"])
        places = _places(payload)
        if not places:
            continue
        path = places[pick % len(places)]
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        if what == "drop":
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        e["payload"] = canonical(payload)
    return entries


def _pull_cleanly(reader: Any) -> None:
    from sync_helpers import sync

    try:
        sync(reader)
    except BoxOfficeError as exc:
        assert exc.code in ("central_refused", "central_unreachable"), (exc.code, exc.message)
    assert reader.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_a_lying_terminal_never_breaks_the_central_service_or_an_honest_terminal(
        server: Server, source_journal: list[dict[str, Any]], make_terminal) -> None:  # noqa: ANN001
    from sync_helpers import enroll

    from boxoffice.services.audit import verify

    reader = make_terminal(name="Honest", fresh=True)
    enroll(reader, server.central)
    _pull_cleanly(reader)
    honest_tid, honest_token = reader.terminal["id"], reader.conn.execute("SELECT token FROM sync_state").fetchone()[0]
    answers: dict[int, int] = {}
    n = itertools.count()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(edits=lies(len(source_journal)), swap_token=st.booleans())
    def check(edits: list[tuple], swap_token: bool) -> None:
        k = next(n)
        tid, token = server.enroll(f"Liar {k}")
        entries = _rechain(_apply(_as(copy.deepcopy(source_journal), tid, f"liar-{k}"), edits))
        before = server.fingerprint()
        r = server.push(entries, honest_token if swap_token else token)
        answers[r.status_code] = answers.get(r.status_code, 0) + 1
        assert r.status_code < 500, (r.status_code, r.text[:500], edits)
        body = r.json()
        if swap_token:  # another terminal's credentials: refused (malformed first, else as the wrong terminal)
            assert r.status_code == 422 or (r.status_code == 403 and body["error"]["code"] == "wrong_terminal"), \
                r.text[:300]
        if r.status_code >= 400:
            assert "error" in body and body["error"]["message"], r.text
            changed = changed_tables(before, server.fingerprint())
            assert changed in ([], ["terminals"]), (r.status_code, changed, r.text[:300])
            return
        assert body["applied"] + body["duplicates"] == len(entries)
        again = server.push(entries, token)  # the same batch again (a retry, a replay): nothing new
        assert again.status_code == 200 and again.json()["applied"] == 0, again.text[:300]
        stored = server.central.scalar("SELECT count(*) FROM journal WHERE terminal_id = ?", (tid,))
        assert stored == len(entries)
        _pull_cleanly(reader)

    check()
    assert answers.get(200, 0) >= 5 and sum(v for s, v in answers.items() if 400 <= s < 500) >= 5, answers
    # The honest terminal took in what it could, kept its own journal intact, and still sells.
    assert verify(reader)["ok"]
    assert reader.terminal["id"] == honest_tid
    from sync_helpers import sell

    assert sell(reader, reader.conn.execute("SELECT id FROM events ORDER BY starts_at").fetchone()[0])["order"]


POINTED = [  # (kind of entry, path in its payload, value): the places a storing service trips on
    ("sale", ("order", "customer_name"), "nul \x00 inside"),
    ("sale", ("order", "total"), 2**70),
    ("sale", ("order", "total"), None),
    ("sale", ("order", "status"), None),
    ("sale", ("order", "code"), ["K7M2-4XQ9"]),
    ("sale", ("tickets", 0, "price"), []),
    ("sale", ("tickets", 0, "ticket_type_id"), None),
    ("sale", ("tickets", 0, "row"), {"row": "A"}),
    ("sale", ("tickets",), "not a list"),
    ("refund", ("items",), None),
    ("refund", ("revoked",), [None, 7, "x\x00y"]),
    ("pickup", ("tickets",), [{"id": None}, 3]),
    ("checkin", ("ticket",), "\x00"),
    ("checkin", ("event",), ["night"]),
    ("checkin", ("nonce",), 12),
    ("checkin", ("nonce",), "\x00"),
]


@pytest.mark.parametrize("kind,path,value", POINTED, ids=[f"{k}-{'.'.join(map(str, p))}-{type(v).__name__}"
                                                          for k, p, v in POINTED])
def test_a_pointed_lie_in_a_payload_is_stored_or_refused_never_a_server_error(
        server: Server, source_journal: list[dict[str, Any]], kind: str, path: tuple, value: Any) -> None:
    tid, token = server.enroll(f"Pointed {next(TAGS)}")
    entries = _as(copy.deepcopy(source_journal), tid, f"pointed-{tid}")
    target = next(e for e in entries if e["kind"] == kind)
    payload = json.loads(target["payload"])
    parent = payload
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    target["payload"] = canonical(payload)
    before = server.fingerprint()
    r = server.push(_rechain(entries), token)
    assert r.status_code in (200, 422), (r.status_code, r.text[:300])
    if r.status_code == 200:
        assert r.json()["applied"] == len(entries)
    else:
        assert changed_tables(before, server.fingerprint()) in ([], ["terminals"])


@pytest.mark.parametrize("field,value", [("operator_id", "op\x00"), ("payload", '{"order": "\x00"}')])
def test_a_nul_character_outside_the_payload_text_is_refused_located(
        server: Server, source_journal: list[dict[str, Any]], field: str, value: str) -> None:
    tid, token = server.enroll(f"Nul {next(TAGS)}")
    entries = _as(copy.deepcopy(source_journal), tid, f"nul-{tid}")
    entries[-1][field] = value
    before = server.fingerprint()
    r = server.push(_rechain(entries), token)
    assert r.status_code == 422 and "NUL" in r.json()["error"]["message"], r.text[:300]
    assert changed_tables(before, server.fingerprint()) in ([], ["terminals"])
