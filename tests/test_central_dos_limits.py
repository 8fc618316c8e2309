"""Two ways one stranger could lock terminals out of the central service, each through a real service on loopback:
made-up bearer tokens that each earned a rate bucket of their own, and idle connections that filled the server's
connection limit so that everyone got 503."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_helpers import ROOT, Central, CentralServer, central_db, enroll, free_port

pytest_plugins = ["sync_support"]

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def _served(tmp_path: Path, request: pytest.FixtureRequest, args: tuple[str, ...]) -> Central:
    url = central_db("sqlite", tmp_path, request)
    return Central("sqlite", url, CentralServer(url, tmp_path / "serve.log", args))


# --- A: made-up tokens -----------------------------------------------------------------------------------------


def test_made_up_tokens_are_limited_like_no_token_while_a_terminals_token_keeps_its_bucket(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    # an address without an accepted token: 12 requests, then one every 20 s; a token: 100, then one every 20 s
    central = _served(tmp_path, request, ("--rate-per-address", "0.05", "--burst-per-address", "12",
                                          "--rate-per-token", "0.05", "--burst-per-token", "100"))
    try:
        ctx = request.getfixturevalue("make_terminal")(name="Counter real", fresh=True)
        enroll(ctx, central)
        real = {"Authorization": f"Bearer {ctx.conn.execute('SELECT token FROM sync_state').fetchone()[0]}"}
        with httpx.Client(base_url=central.url, timeout=30) as http:
            assert http.get("/v1/terminals", headers=real).status_code == 200  # checked: its own bucket from now on

            # one made-up token on a route that never checks it: no bucket of its own (it had 21 answers of 200)
            same = [http.get("/healthz", headers={"Authorization": "Bearer bogusa"}) for _ in range(21)]
            codes = [a.status_code for a in same]
            assert codes.count(200) <= 12 and codes[-1] == 429, codes
            limited = next(a for a in same if a.status_code == 429)
            assert limited.json()["error"]["code"] == "rate_limited" and int(limited.headers["retry-after"]) >= 1

            # a fresh made-up token for each request, on /healthz, an enrollment route and a path that does not
            # exist, answers like no token at all: the address's bucket is empty
            fresh = [http.get("/healthz", headers={"Authorization": f"Bearer guess{n}"}).status_code
                     for n in range(5)]
            fresh += [http.post("/v1/enroll/challenge", json={}, headers={"Authorization": f"Bearer enr{n}"})
                      .status_code for n in range(5)]
            fresh += [http.get("/nowhere", headers={"Authorization": f"Bearer lost{n}"}).status_code for n in range(5)]
            assert fresh == [429] * 15, fresh
            assert http.get("/healthz").status_code == 429

            # the terminal whose token the service checked is not held back by the stranger
            mine = [http.get("/v1/terminals", headers=real).status_code for _ in range(20)]
            assert mine == [200] * 20, mine
    finally:
        central.server.stop()


# --- B: idle connections ---------------------------------------------------------------------------------------


class _Direct(CentralServer):
    """The central service with connection limits `central serve` has no option for, started through
    ``boxoffice.central.server.serve`` in a process of its own."""

    def __init__(self, db_url: str, log: Path, **limits: Any) -> None:
        self.db_url, self.port, self.ca_bundle = db_url, free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = log.open("wb")
        script = ("import sys; from boxoffice.central.api.limits import ServerLimits; "
                  "from boxoffice.central.server import serve; "
                  f"serve(sys.argv[1], port={self.port}, server_limits=ServerLimits(**{limits!r}))")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
        self.proc = subprocess.Popen([sys.executable, "-c", script, db_url], cwd=ROOT, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        self._wait_up()


def _direct(tmp_path: Path, request: pytest.FixtureRequest, **limits: Any) -> _Direct:
    return _Direct(central_db("sqlite", tmp_path, request), tmp_path / "serve.log", **limits)


def _answer(sock: socket.socket) -> bytes:
    """What the service sends back until it has sent a whole head, or closes: b"" when it closed unanswered."""
    got = b""
    try:
        while b"\r\n\r\n" not in got:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:  # closed while our request was unread
        pass
    return got


def _kept_alive(port: int) -> socket.socket:
    """A connection that was answered once and is left open (so the service certainly counts it)."""
    for _ in range(50):  # one refused while an earlier connection was still being let go is tried again
        sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        sock.sendall(HEALTHZ)
        if _answer(sock).startswith(b"HTTP/1.1 200"):
            return sock
        sock.close()
    raise AssertionError("the service never answered a connection under the cap")


def _healthz_when_served(url: str, within: float = 20.0) -> int:
    deadline = time.monotonic() + within
    while True:
        try:
            return httpx.get(f"{url}/healthz", timeout=10).status_code
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_connections_past_one_addresss_cap_are_closed_and_it_is_served_again_once_it_lets_go(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    server = _direct(tmp_path, request, connections_per_address=4, first_byte_timeout=60.0, head_timeout=60.0,
                     timeout_keep_alive=60)
    held: list[socket.socket] = []
    try:
        held = [_kept_alive(server.port) for _ in range(3)]
        held.append(socket.create_connection(("127.0.0.1", server.port), timeout=20))  # opened, says nothing
        extra = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        extra.sendall(HEALTHZ)
        assert _answer(extra) == b""  # closed unanswered, long before the 60 s deadlines and our 20 s timeout
        extra.close()
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}/healthz", timeout=10)

        held.pop().close()  # one of the four lets go: a new connection fits again
        assert _healthz_when_served(server.url) == 200
        for sock in held:
            sock.close()
        held = []
        many = [_kept_alive(server.port) for _ in range(4)]  # its whole share again, nothing left over
        for sock in many:
            sock.close()
        assert _healthz_when_served(server.url) == 200
    finally:
        for sock in held:
            sock.close()
        server.stop()


def test_a_connection_that_sends_nothing_is_closed_at_the_first_byte_deadline(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    server = _direct(tmp_path, request, first_byte_timeout=1.0, head_timeout=60.0, timeout_keep_alive=60)
    try:
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        with contextlib.closing(silent):
            assert silent.recv(100) == b""  # closed by the service (1 s), not by the 60 s head deadline or our 30 s

        talking = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        with contextlib.closing(talking):
            talking.sendall(b"GET /healthz HTTP/1.1\r\n")  # its first bytes at once, the rest after the deadline
            time.sleep(3)
            talking.sendall(b"Host: x\r\n\r\n")
            assert _answer(talking).startswith(b"HTTP/1.1 200")  # a connection that spoke has the head deadline
    finally:
        server.stop()
