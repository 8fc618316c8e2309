"""Real parts for the central-service and sync tests: the central service served by uvicorn in a subprocess on
loopback, terminals that enroll and sync, and a loopback proxy that cuts, delays and repeats requests.

The fixtures built on these live in sync_support.py (loaded with ``pytest_plugins = ["sync_support"]``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

# Read once at import: the per-test isolation fixture removes BOXOFFICE_* variables from the environment.
REQUIRE_PG = os.environ.get("BOXOFFICE_REQUIRE_PG") == "1"
PG_URL = os.environ.get("BOXOFFICE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent
CROWD_EVENT = "crowd-night"


# --- PostgreSQL ---------------------------------------------------------------------------------------------


def pg_schema_url(database_url: str) -> str:
    """A fresh schema in the session database, as a URL whose connections use it (isolation without a new DB)."""
    import psycopg

    schema = f"s_{secrets.token_hex(6)}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{database_url}?options={quote(f'-csearch_path={schema}')}"


def central_db(backend: str, directory: Path, request: Any) -> str:
    """A fresh, initialised central database on ``backend`` ('sqlite' or 'pg')."""
    from boxoffice.central.services.admin import init

    url = pg_schema_url(request.getfixturevalue("pg_database")) if backend == "pg" else str(directory / "central.db")
    init(url)
    return url


# --- the central service in a subprocess --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CentralServer:
    """`boxoffice central serve` on loopback, stopped by ``stop()``."""

    def __init__(self, db_url: str, log: Path, args: tuple[str, ...] = (),
                 tls: tuple[Path, Path, Path] | None = None) -> None:
        """``args``: more `central serve` options; ``tls``: (certificate, key, CA bundle) to serve https with (the
        CA bundle checks it is up)."""
        self.db_url = db_url
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.ca_bundle = tls[2] if tls else None
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
        self._log = log.open("wb")
        https = ["--certfile", str(tls[0]), "--keyfile", str(tls[1])] if tls else []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from boxoffice.cli.main import run; run()", "central", "serve", "--db", db_url,
             "--port", str(self.port), *args, *https], cwd=ROOT, env=env, stdout=self._log,
            stderr=subprocess.STDOUT)
        self.log_path = log
        self._wait_up()

    def _wait_up(self, timeout: float = 30.0) -> None:
        import ssl

        import httpx

        verify = ssl.create_default_context(cafile=str(self.ca_bundle)) if self.ca_bundle else True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"central serve exited: {self.log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1, verify=verify).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"central serve did not come up: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class Central:
    """A running central service and its database, with admin helpers used directly on the database."""

    def __init__(self, backend: str, db_url: str, server: CentralServer) -> None:
        self.backend, self.db_url, self.server, self.url = backend, db_url, server, server.url

    def code(self, name: str = "Counter", hours: float = 24, readmit: bool = False) -> str:
        from boxoffice.central.services.admin import enroll_code

        return enroll_code(self.db_url, name, hours, readmit=readmit)["code"]

    def query(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        from boxoffice.central.store.db import connect

        with connect(self.db_url) as db:
            return db.all(sql, params)

    def scalar(self, sql: str, params: tuple = ()) -> Any:
        from boxoffice.central.store.db import connect

        with connect(self.db_url) as db:
            return db.scalar(sql, params)

    def publish(self, doc: dict[str, Any], tmp: Path) -> dict[str, Any]:
        from boxoffice.central.services.admin import publish_catalog

        path = tmp / f"catalog-{secrets.token_hex(3)}.json"
        path.write_text(json.dumps(doc))
        return publish_catalog(self.db_url, path)

    def web_orders(self, orders: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
        from boxoffice.central.services.admin import import_orders

        path = tmp / f"web-{secrets.token_hex(3)}.json"
        path.write_text(json.dumps({"format": "boxoffice.web-orders/1", "orders": orders}))
        return import_orders(self.db_url, path)


# --- terminals ----------------------------------------------------------------------------------------------


def client(url: str, token: str | None = None, **kw: Any) -> Any:
    from boxoffice.sync.client import CentralClient

    return CentralClient(url, token, **kw)


def enroll(ctx: Any, central: Central, url: str | None = None, readmit: bool = False) -> None:
    """Enroll a terminal with a fresh code (through ``url``, e.g. a proxy, when given; ``readmit``: a code that
    lets a revoked terminal back)."""
    from boxoffice.services.sync.rounds import enroll as do_enroll

    target = url or central.url
    with client(target) as c:
        do_enroll(ctx, target, central.code(ctx.terminal["name"], readmit=readmit), c)


def signed_enroll_body(ctx: Any, url: str, code: str, **overrides: Any) -> dict[str, Any]:
    """A POST /v1/enroll body as the terminal sends it: a fresh challenge for ``code`` from the service at ``url``,
    signed with the terminal's key; ``overrides`` change fields after signing (name, tag, key...)."""
    import base64

    import httpx

    from boxoffice.domain.enrollment import proof_message
    from boxoffice.services.signing import private_key

    t = ctx.terminal
    r = httpx.post(f"{url}/v1/enroll/challenge", json={"code": code, "terminal_id": t["id"]}, timeout=30)
    assert r.status_code == 200, r.text
    nonce = r.json()["nonce"]
    signature = private_key(ctx).sign(proof_message(nonce, t["id"], t["key_id"]))
    body = {"code": code, "terminal_id": t["id"], "name": t["name"], "tag": t["tag"], "key_id": t["key_id"],
            "public_key": t["public_key"], "nonce": nonce, "signature": base64.b64encode(signature).decode()}
    return body | overrides


def new_identity_body(post: Callable[[str, dict[str, Any]], Any], code: str, name: str, tag: str) -> dict[str, Any]:
    """A POST /v1/enroll body for a terminal identity made here (a fresh id and key, no database), signed over a
    challenge asked for with ``post(path, json)`` (which returns the parsed answer)."""
    import base64

    from boxoffice.domain.enrollment import proof_message
    from boxoffice.domain.ids import uuid7
    from boxoffice.tickets.keys import generate_keypair, key_id_hex, public_b64

    private, public = generate_keypair()
    tid, key_id = uuid7(), key_id_hex(public)
    nonce = post("/v1/enroll/challenge", {"code": code, "terminal_id": tid})["nonce"]
    return {"code": code, "terminal_id": tid, "name": name, "tag": tag, "key_id": key_id,
            "public_key": public_b64(public), "nonce": nonce,
            "signature": base64.b64encode(private.sign(proof_message(nonce, tid, key_id))).decode()}


def sync(ctx: Any, url: str | None = None, **kw: Any) -> dict[str, Any]:
    """One push-and-pull round, as `boxoffice sync` does (through ``url`` when given)."""
    from boxoffice.services.sync.rounds import credentials, sync_once

    enrolled_url, token = credentials(ctx)
    retry = {k: kw.pop(k) for k in ("retries", "backoff", "timeout") if k in kw}
    with client(url or enrolled_url, token, **retry) as c:
        return sync_once(ctx, c, **kw)


def view(ctx: Any) -> dict[str, Any]:
    """What a terminal knows, for comparing terminals: orders, tickets, revocations, pickups, keys."""
    q = ctx.conn.execute
    return {
        "orders": sorted(tuple(r) for r in q("SELECT id, code, status FROM orders")),
        "tickets": sorted(tuple(r) for r in q("SELECT id, order_id, token, status FROM tickets")),
        "revoked": sorted(r[0] for r in q("SELECT ticket_id FROM revocations")),
        "picked_up": sorted(r[0] for r in q("SELECT id FROM tickets WHERE picked_up_at IS NOT NULL")),
        "keys": sorted(r[0] for r in q("SELECT key_id FROM keys")),
    }


def sell(ctx: Any, event_id: str, section: str = "standing", n: int = 1) -> dict:
    """A cash sale through the real service (no printing)."""
    from boxoffice.domain.tenders import Tender
    from boxoffice.services.sales import SaleRequest
    from boxoffice.services.sales import sell as do_sell

    req = SaleRequest(event_id=event_id, section_id=section, counts={"adult": n},
                      tenders=[Tender("cash", 100_00 * n)], print_receipt=False)
    return do_sell(ctx, req)


def publish_crowd_event(central: Central, tmp: Path) -> str:
    """Publish the demo catalogue plus one night with a standing floor of 50,000: room for the thousands of real
    sales the sync-load tests push and pull (the demo events hold 300 standing). Returns its event id."""
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    doc = demo_catalog(T0.date())
    night = dict(doc["events"][0])
    day = (T0 + timedelta(days=21)).date().isoformat()
    night.update(id=CROWD_EVENT, name="Crowd Night", starts_at=f"{day}T19:30", doors_at=f"{day}T18:45",
                 sections=[{"id": "standing", "name": "Standing", "kind": "general", "capacity": 50_000}],
                 ticket_types=[{"id": "adult", "name": "Adult", "prices": {"standing": "22.50"}}])
    doc["events"].append(night)
    central.publish(doc, tmp)
    return CROWD_EVENT


def sell_offline(ctx: Any, central: Central, event_id: str, n: int, section: str = "standing") -> None:
    """``n`` one-ticket cash sales through the sale service, as a terminal that sold all night without a network.

    The central box office first grants the terminal ``n`` places and five to spare, and one sync brings them down,
    so every sale passes the allocation check; the spare five keep the terminal above the tests' top-up line
    (sync_support.TEST_TOP_UP), so the next sync pushes the sales and asks for nothing more.
    """
    from boxoffice.central.services.allocation_admin import allocate

    allocate(central.db_url, event_id, ctx.terminal["id"], section, n + 5, [])
    sync(ctx)
    for _ in range(n):
        sell(ctx, event_id, section)


# --- a loopback proxy that misbehaves on purpose ------------------------------------------------------------


class FaultProxy:
    """HTTP/1.1 on loopback between a terminal and the central service, failing requests on purpose.

    ``plan(n, method, path)`` names what happens to the n-th request (1-based): 'pass'; 'cut_before' (closed before
    anything reaches the service); 'cut_request' (half the body sent, then both sides closed); 'cut_after' (the
    service answers, the terminal never hears it); 'repeat' (sent to the service twice, the second answer relayed);
    'truncate' (half the answer relayed, then closed); 'delay' (answered after ``delay`` seconds); 'reorder' (the
    terminal hears nothing, and the request reaches the service 1 to 5 x ``delay`` seconds later, after the ones
    that followed it, its retry included); 'rewrite' (the answer's JSON body passed through ``rewrite(path, doc)``,
    whatever it returns relayed: a man in the middle). Each request goes upstream on its own connection;
    connections are handled by at most ``max_threads`` threads.
    """

    def __init__(self, upstream_port: int, plan: Callable[[int, str, str], str], delay: float = 0.3,
                 max_threads: int = 16, rewrite: Callable[[str, Any], Any] | None = None) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.plan, self.delay, self.rewrite = plan, delay, rewrite
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)  # accept() wakes up to notice close()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.count = 0
        self.log: list[tuple[int, str, str, str]] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_threads)
        self._stop = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self.sock.close()
        self._acceptor.join(5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(60)
            self._slots.acquire()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_message(conn: socket.socket, buf: bytearray) -> bytes | None:
        """One whole HTTP message (head and Content-Length body) from ``conn``; None when it closes first."""
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            buf += chunk
        head_end = buf.index(b"\r\n\r\n") + 4
        length = 0
        for line in bytes(buf[:head_end]).split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        while len(buf) < head_end + length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            buf += chunk
        msg = bytes(buf[:head_end + length])
        del buf[:head_end + length]
        return msg

    def _upstream(self, request: bytes) -> bytes | None:
        with socket.create_connection(self.upstream, timeout=30) as up:
            up.sendall(request)
            return self._read_message(up, bytearray())

    def _rewritten(self, path: str, answer: bytes) -> bytes:
        """The answer with its JSON body replaced by ``rewrite(path, doc)`` and its Content-Length made to fit."""
        assert self.rewrite is not None
        head, body = answer.split(b"\r\n\r\n", 1)
        new = json.dumps(self.rewrite(path, json.loads(body))).encode("utf-8")
        lines = [ln if not ln.lower().startswith(b"content-length:") else b"content-length: %d" % len(new)
                 for ln in head.split(b"\r\n")]
        return b"\r\n".join(lines) + b"\r\n\r\n" + new

    def _late(self, request: bytes) -> None:
        with contextlib.suppress(OSError):
            self._upstream(request)

    def _serve(self, conn: socket.socket) -> None:
        buf = bytearray()
        try:
            conn.settimeout(60)
            while True:
                request = self._read_message(conn, buf)
                if request is None:
                    return
                first = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
                with self._lock:
                    self.count += 1
                    n = self.count
                action = self.plan(n, first[0], first[1])
                self.log.append((n, first[0], first[1], action))
                if action == "cut_before":
                    return
                if action == "reorder":
                    late = threading.Timer(self.delay * random.uniform(1, 5), self._late, args=(request,))
                    late.daemon = True
                    late.start()
                    return
                if action == "cut_request":
                    with socket.create_connection(self.upstream, timeout=30) as up:
                        up.sendall(request[: len(request) // 2 + 1])
                    return
                answer = self._upstream(request)
                if action == "repeat":
                    answer = self._upstream(request)
                if answer is None or action == "cut_after":
                    return
                if action == "truncate":
                    conn.sendall(answer[: len(answer) // 2])
                    return
                if action == "delay":
                    time.sleep(self.delay)
                if action == "rewrite" and self.rewrite is not None:
                    answer = self._rewritten(first[1], answer)
                conn.sendall(answer)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            self._slots.release()


def conflict_kinds(answer: dict[str, Any]) -> list[str]:
    """The kinds of the conflicts a push answered with, in order."""
    return [c["kind"] for c in answer["conflicts"]]


def flagged(cli: Any, central: Central, kind: str) -> list[dict[str, Any]]:
    """The conflicts of ``kind`` the admin sees (`boxoffice central conflicts --json`)."""
    out = cli("central", "conflicts", "--db", central.db_url, "--json")
    assert out.exit_code == 0, out.stderr
    return [c for c in out.json() if c["kind"] == kind]


def forged_entry(ctx: Any, kind: str, payload: dict[str, Any], after: dict[str, Any] | None = None,
                 at: str | None = None) -> dict[str, Any]:
    """An entry after the terminal's own last one (or after ``after``), at ``at`` or that one's time, hashed as an
    honest one is: what a tampered terminal sends."""
    from boxoffice.domain.chain import canonical, entry_hash
    from boxoffice.domain.ids import uuid7
    from boxoffice.store import journal as journal_store

    last = after or list(journal_store.iter_entries(ctx.conn))[-1]
    e = {"id": uuid7(), "terminal_id": ctx.terminal["id"], "seq": last["seq"] + 1, "kind": kind,
         "operator_id": last["operator_id"], "at": at or last["at"], "payload": canonical(payload),
         "prev_hash": last["hash"]}
    e["hash"] = entry_hash(e["prev_hash"], id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"], kind=kind,
                           operator_id=e["operator_id"], at=e["at"], payload=e["payload"])
    return e


def write_text_entry(ctx: Any, kind: str, payload_text: str) -> None:
    """A hostile entry whose payload is the given text, as a tampered database holds it (an escape such as a lone
    surrogate, which the terminal itself never writes), chained and hashed as an honest one: its next sync pushes
    it."""
    from boxoffice.domain.chain import entry_hash
    from boxoffice.domain.ids import uuid7
    from boxoffice.store import journal as journal_store

    last = list(journal_store.iter_entries(ctx.conn))[-1]
    e = {"id": uuid7(), "terminal_id": ctx.terminal["id"], "seq": last["seq"] + 1, "kind": kind,
         "operator_id": last["operator_id"], "at": last["at"], "payload": payload_text, "prev_hash": last["hash"]}
    e["hash"] = entry_hash(e["prev_hash"], id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"], kind=kind,
                           operator_id=e["operator_id"], at=e["at"], payload=payload_text)
    with ctx.conn:
        ctx.conn.execute("INSERT INTO journal (seq, id, terminal_id, kind, operator_id, at, payload, prev_hash, hash)"
                         " VALUES (:seq, :id, :terminal_id, :kind, :operator_id, :at, :payload, :prev_hash, :hash)", e)


def push_as(central: Central, ctx: Any, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Push through the terminal's own client and token, as `boxoffice sync` would."""
    from boxoffice.services.sync.rounds import credentials

    _, token = credentials(ctx)
    with client(central.url, token) as c:
        return c.push(entries)


def write_entry(ctx: Any, kind: str, payload: dict[str, Any]) -> None:
    """A hostile entry written into the terminal's own journal (a tampered database): its next sync pushes it."""
    from boxoffice.store.db import write

    with write(ctx.conn):
        ctx.journal(kind, payload)


def resigned(ctx: Any, sale: dict[str, Any]) -> dict[str, Any]:
    """The sale with each ticket's token signed anew by the terminal's own key for that ticket, event, section and
    place, as its sale service signs them: a sale made by hand that the central service takes as the terminal's
    own (central/services/entry_checks.py checks every new ticket's token)."""
    from boxoffice.services.signing import key_id_bytes, private_key
    from boxoffice.tickets.token import TicketClaims, sign_token

    key, kid, event = private_key(ctx), key_id_bytes(ctx), sale["order"]["event_id"]
    return {**sale, "tickets": [{**t, "token": sign_token(TicketClaims(t["id"], event, t["section_id"], t["row"],
                                                                      t["seat"]), key, kid)}
                                for t in sale["tickets"]]}
