"""Load a stranger or one runaway terminal can put on the central service: bodies read before the token was
checked, bodies past any size, floods of requests, documents of empty entries that made the schema checker take
gigabytes, and log lines as long as a request line. Each through a real `boxoffice central serve` on loopback."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_helpers import Central, CentralServer, central_db, enroll, sell, sync

from boxoffice.errors import EXIT_STATUSES
from boxoffice.wire.schemas import load_schema

pytest_plugins = ["sync_support"]

CENTRAL = EXIT_STATUSES["central_refused"][0]
# one token: 40 requests at once, then one every 20 s; an address without an accepted token: 80, then 10 a second
FLOOD_ARGS = ("--rate-per-token", "0.05", "--burst-per-token", "40", "--rate-per-address", "10",
              "--burst-per-address", "80", "--head-timeout", "2", "--body-timeout", "3")


def _serve(backend: str, directory: Path, request: Any, args: tuple[str, ...]) -> Central:
    from conftest import T0

    from boxoffice.services.demo_catalog import demo_catalog

    url = central_db(backend, directory, request)
    c = Central(backend, url, CentralServer(url, directory / "serve.log", args))
    c.publish(demo_catalog(T0.date()), directory)
    return c


@pytest.fixture(scope="module", params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def central(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    """The module's central service, started with low rate limits (the `terminals` fixture enrolls with it)."""
    c = _serve(request.param, tmp_path_factory.mktemp(f"limits-{request.param}"), request, FLOOD_ARGS)
    try:
        yield c
    finally:
        c.server.stop()


def _token(ctx: Any) -> str:
    return ctx.conn.execute("SELECT token FROM sync_state").fetchone()[0]


def _peak_rss_mb(central: Central) -> float:
    """The serve process's peak resident memory so far (VmHWM), in MB."""
    status = Path(f"/proc/{central.server.proc.pid}/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return kb / 1024


def _raw(central: Central, head: bytes, body: bytes = b"", timeout: float = 10.0) -> tuple[bytes, socket.socket]:
    """Send a request head and the start of a body on a plain socket, then read what comes back at once."""
    sock = socket.create_connection(("127.0.0.1", central.server.port), timeout=timeout)
    sock.sendall(head + body)
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    length = _header(answer, b"content-length")
    while length is not None and len(answer.split(b"\r\n\r\n", 1)[1]) < int(length):
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    return answer, sock


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _header(answer: bytes, name: bytes) -> bytes | None:
    for line in answer.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _error_body(resp: httpx.Response) -> dict[str, Any]:
    import jsonschema

    body = resp.json()
    jsonschema.validate(body, load_schema("sync-error.schema.json"))
    return body["error"]


# --- bodies -------------------------------------------------------------------------------------------------


def test_a_strangers_50_mb_body_is_refused_before_it_is_read(central: Central) -> None:
    fifty_mb = 50_000_000
    # it says its length: 413 before a byte of the body is sent
    head = (f"POST /v1/journal HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {'0' * 43}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {fifty_mb}\r\n\r\n").encode()
    answer, sock = _raw(central, head)
    sock.close()
    assert _status(answer) == 413 and b"too_large" in answer
    assert _header(answer, b"connection") == b"close"

    # it streams without a length: 401 while the client has sent 1 MB of its 50, and the connection is dropped
    head = (f"POST /v1/journal HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {'0' * 43}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"%x\r\n%s\r\n" % (1_000_000, b"[" * 1_000_000)
    answer, sock = _raw(central, head, chunk)
    assert _status(answer) == 401, answer[:300]
    assert _header(answer, b"connection") == b"close"
    sock.settimeout(10)
    with pytest.raises(OSError):  # the server hung up: the other 49 MB have nowhere to go
        for _ in range(60):
            sock.sendall(chunk)
    sock.close()


def test_an_oversized_authenticated_push_is_413(central: Central, terminals) -> None:
    (ctx,) = terminals(1)
    auth = {"Authorization": f"Bearer {_token(ctx)}", "Content-Type": "application/json"}
    body = json.dumps({"entries": [{"payload": "x" * 9_000_000}]}).encode()
    said = httpx.post(f"{central.url}/v1/journal", content=body, headers=auth, timeout=60)
    assert said.status_code == 413 and _error_body(said)["code"] == "too_large"

    def streamed() -> Iterator[bytes]:  # no Content-Length: refused once the cap is passed
        for start in range(0, len(body), 1_000_000):
            yield body[start:start + 1_000_000]

    try:
        sent = httpx.post(f"{central.url}/v1/journal", content=streamed(), headers=auth, timeout=60)
    except httpx.TransportError:  # the server may hang up before the client finished sending
        return
    assert sent.status_code == 413 and _error_body(sent)["code"] == "too_large"


def test_a_push_of_many_empty_entries_is_refused_with_a_few_errors(central: Central, terminals) -> None:
    (ctx,) = terminals(1)
    auth = {"Authorization": f"Bearer {_token(ctx)}", "Content-Type": "application/json"}
    many = httpx.post(f"{central.url}/v1/journal", content=b'{"entries":[' + b",".join([b"{}"] * 150_000) + b"]}",
                      headers=auth, timeout=60)
    assert many.status_code == 422
    err = _error_body(many)
    assert err["errors"] == ["/entries: 150000 items; at most 1000"]
    allowed = httpx.post(f"{central.url}/v1/journal", json={"entries": [{}] * 1000}, headers=auth, timeout=60)
    assert allowed.status_code == 422
    assert 1 <= len(_error_body(allowed)["errors"]) <= 21
    deep = httpx.post(f"{central.url}/v1/journal", content=b'{"entries":[],"checkpoint":' + b"[" * 500 + b"]" * 500
                      + b"}", headers=auth, timeout=60)
    assert deep.status_code == 422 and len(_error_body(deep)["errors"]) <= 21
    assert _peak_rss_mb(central) < 300  # the empty entries took 3.2 GB of errors before the bounds


# --- rate -----------------------------------------------------------------------------------------------------


def test_a_flood_from_one_token_gets_429_while_another_terminal_syncs(central: Central, terminals) -> None:
    flooder, other = terminals(2)
    auth = {"Authorization": f"Bearer {_token(flooder)}"}
    with httpx.Client(base_url=central.url, headers=auth, timeout=30) as http:
        answers = [http.get("/v1/terminals") for _ in range(80)]
    limited = [a for a in answers if a.status_code == 429]
    assert len(limited) >= 30 and {a.status_code for a in answers} == {200, 429}
    assert _error_body(limited[0])["code"] == "rate_limited"
    assert 1 <= int(limited[0].headers["retry-after"]) <= 20

    event = other.conn.execute("SELECT id FROM events ORDER BY id LIMIT 1").fetchone()[0]
    sell(other, event, n=1)
    sync(other)  # the other terminal's own bucket is full: its whole sync goes through
    assert central.scalar("SELECT COUNT(*) FROM journal WHERE terminal_id = ?", (other.terminal["id"],)) >= 1


def test_guessed_tokens_draw_from_the_address_bucket(central: Central) -> None:
    with httpx.Client(base_url=central.url, timeout=30) as http:
        codes = [http.get("/v1/terminals", headers={"Authorization": f"Bearer guess{n}"}).status_code
                 for n in range(150)]
    assert codes.count(401) >= 60 and 429 in codes  # a fresh made-up token each time is no fresh bucket


def test_boxoffice_sync_says_when_the_service_limits_it(central: Central, terminals, cli) -> None:
    (ctx,) = terminals(1)
    with httpx.Client(base_url=central.url, headers={"Authorization": f"Bearer {_token(ctx)}"}, timeout=30) as http:
        while http.get("/v1/terminals").status_code != 429:
            pass
    out = cli("sync", db=ctx)
    assert out.exit_code == EXIT_STATUSES["central_rate_limited"][0], out.output
    assert "is limiting this terminal's requests (rate_limited): try again in" in out.stderr
    assert "nothing is lost" in out.stderr and "Traceback" not in out.output


def test_the_client_waits_out_a_short_retry_after(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from boxoffice.sync.client import CentralClient

    quick = _serve("sqlite", tmp_path, request, ("--rate-per-token", "2", "--burst-per-token", "3"))
    try:
        token = _enrolled_token(quick, request)
        with CentralClient(quick.url, token, retries=5) as client:
            names = [client.terminals() for _ in range(8)]  # 3 at once, then 2 a second: the client waits
        assert len(names) == 8 and all(n == names[0] for n in names)
        assert '/v1/terminals HTTP/1.1" 429' in quick.server.log_path.read_text()  # limited, and it waited
    finally:
        quick.server.stop()


def _enrolled_token(central: Central, request: pytest.FixtureRequest) -> str:
    make_terminal = request.getfixturevalue("make_terminal")
    ctx = make_terminal(name="Counter quick", fresh=True)
    enroll(ctx, central)
    return _token(ctx)


# --- the CLI on 413 -------------------------------------------------------------------------------------------


def test_boxoffice_sync_says_when_a_push_is_too_large(tmp_path: Path, request: pytest.FixtureRequest, cli) -> None:
    small = _serve("sqlite", tmp_path, request, ("--max-push-mb", "0.001"))
    try:
        make_terminal = request.getfixturevalue("make_terminal")
        ctx = make_terminal(name="Counter small", fresh=True)
        enroll(ctx, small)
        sell(ctx, ctx.conn.execute("SELECT id FROM events ORDER BY id LIMIT 1").fetchone()[0], n=2)
        out = cli("sync", db=ctx)
        assert out.exit_code == EXIT_STATUSES["central_too_large"][0], out.output
        assert "refused /v1/journal as too large (too_large)" in out.stderr
        assert "send smaller batches" in out.stderr and "Traceback" not in out.output
    finally:
        small.server.stop()


def test_the_terminal_cuts_its_pushes_to_the_cap(tmp_path: Path, request: pytest.FixtureRequest,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from boxoffice.services.sync import rounds

    small = _serve("sqlite", tmp_path, request, ("--max-push-mb", "0.004"))
    try:
        make_terminal = request.getfixturevalue("make_terminal")
        ctx = make_terminal(name="Counter cut", fresh=True)
        enroll(ctx, small)
        event = ctx.conn.execute("SELECT id FROM events ORDER BY id LIMIT 1").fetchone()[0]
        for _ in range(6):
            sell(ctx, event, n=1)
        monkeypatch.setattr(rounds, "PUSH_MAX_BYTES", 4000)  # as if the service's cap were the terminal's own
        sync(ctx)
        sync(ctx)  # and what the first round journaled meanwhile
        mine = ctx.conn.execute("SELECT count(*) FROM journal WHERE pushed_at IS NOT NULL").fetchone()[0]
        assert small.scalar("SELECT count(*) FROM journal WHERE terminal_id = ?", (ctx.terminal["id"],)) == mine
        assert '" 413 ' not in small.server.log_path.read_text()  # no answer 413 (a client port may hold "413")
        assert small.server.log_path.read_text().count("POST /v1/journal") >= 3  # in several batches
    finally:
        small.server.stop()


# --- the server's own limits and its log ----------------------------------------------------------------------


def test_a_long_garbage_line_or_header_writes_a_bounded_log(central: Central) -> None:
    before = central.server.log_path.stat().st_size
    long_path = "/" + "A" * 12_000  # under the 16 kB head limit: answered 404, logged cut short
    answer, sock = _raw(central, f"GET {long_path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    sock.close()
    assert _status(answer) == 404
    huge = b"GET /" + b"B" * 200_000 + b" HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"\x01\x7f" * 100_000 + b"\r\n\r\n"
    answer, sock = _raw(central, huge)
    sock.close()
    assert answer == b"" or _status(answer) in (400, 413, 431)
    time.sleep(0.5)
    grown = central.server.log_path.stat().st_size - before
    assert grown < 12_000, f"the log grew by {grown} bytes for two requests"
    tail = central.server.log_path.read_bytes()[before:]
    assert all(len(line) <= 2_200 for line in tail.splitlines())


def test_a_slow_or_silent_connection_is_closed_at_the_head_deadline(central: Central) -> None:
    silent = socket.create_connection(("127.0.0.1", central.server.port), timeout=15)
    slow = socket.create_connection(("127.0.0.1", central.server.port), timeout=15)
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    for _ in range(3):  # a byte now and then does not keep it open
        time.sleep(0.5)
        slow.sendall(b"X")
    assert silent.recv(100) == b"" and slow.recv(100) == b""  # closed by the service (2 s), not by our timeout
    silent.close()
    slow.close()
    assert httpx.get(f"{central.url}/healthz", timeout=10).status_code == 200


def test_a_body_sent_a_byte_now_and_then_is_cut_off_at_its_deadline(central: Central, terminals) -> None:  # noqa: ANN001
    """A client with a good token that sends its push body slowly (each byte well within any per-read timeout)
    does not hold the connection: at the body deadline (3 s here) it gets 408 ``too_slow`` and the connection is
    closed; the service answers others meanwhile."""
    (box,) = terminals(1)
    settle = time.monotonic() + 30  # earlier tests of this module drain this address's bucket: let it refill
    while httpx.get(f"{central.url}/healthz", timeout=10).status_code == 429 and time.monotonic() < settle:
        time.sleep(1)
    head = (f"POST /v1/journal HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {_token(box)}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", central.server.port), timeout=20)
    sock.sendall(head + b'{"entries": [')
    started = time.monotonic()
    answer, asked_health = b"", None
    try:
        while b"\r\n\r\n" not in answer and time.monotonic() - started < 15:
            time.sleep(0.4)
            sock.sendall(b" ")
            if asked_health is None and time.monotonic() - started > 1:
                asked_health = httpx.get(f"{central.url}/healthz", timeout=10).status_code
            sock.settimeout(0.05)
            with contextlib.suppress(TimeoutError):
                answer += sock.recv(65536)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    assert _status(answer) == 408 and b"too_slow" in answer, answer[:200]
    assert 2.5 < time.monotonic() - started < 15
    assert asked_health == 200


# --- the same bounds on the terminal: imports and what it pulls -----------------------------------------------


def test_imports_of_many_empty_records_are_refused_with_a_few_errors(terminal, cli, write_json) -> None:  # noqa: ANN001
    catalog = cli("catalog", "import", str(write_json({"events": [{}] * 5000}, "catalog.json")), "--json",
                  db=terminal)
    assert catalog.exit_code == 2, catalog.output
    assert catalog.json()["error"]["details"]["errors"] == ["/events: 5000 items; at most 1000"]
    orders = cli("orders", "import", str(write_json({"format": "boxoffice.web-orders/1", "orders": [{}] * 200_000},
                                                   "orders.json")), "--json", db=terminal)
    assert orders.exit_code == 2, orders.output
    assert 1 <= len(orders.json()["error"]["details"]["errors"]) <= 21
    deep = cli("orders", "import", str(write_json({"orders": [[[[[[[[]]]]]]]] * 10 + [{"a": [[[[[[[[[[]]]]]]]]]]}]},
                                                 "deep.json")), "--json", db=terminal)
    assert deep.exit_code == 2 and len(deep.json()["error"]["details"]["errors"]) <= 21


def test_a_pulled_page_of_many_empty_changes_is_refused_with_a_few_errors(terminals) -> None:  # noqa: ANN001
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.sync.rounds import pull

    (ctx,) = terminals(1)

    class Hostile:
        """A central service whose page of changes is a long list of nothing."""

        def changes(self, after: int, limit: int) -> Any:
            return {"changes": [{}] * 200_000, "cursor": after + 1, "more": False, "head": after + 1}

    with pytest.raises(BoxOfficeError) as exc:
        pull(ctx, Hostile())  # type: ignore[arg-type]
    assert exc.value.code == "central_refused"
    assert exc.value.details["errors"] == ["/changes: 200000 items; at most 1000"]
