"""What the central service's limits hold under load: its memory while it receives the largest push it allows, and
/healthz while a thousand idle or half-open connections sit on it.

Runs `boxoffice central serve` (SQLite central database, default limits) in a subprocess and enrolls one terminal
through the API.

    memory      The serve process's resident memory (``VmHWM``, its peak, from /proc) after it received and stored
                pushes of the largest body it takes (wire/limits.py PUSH_MAX_BYTES: 8 MB): a batch of 1,000 entries
                of 8 kB, then one of 9 entries of 0.89 MB (a payload is at most 1 MB). Floor: the same process's
                resident memory when idle after start-up and one small push. Goal: the peak under 300 MB
                (absolute: the brief's bound), the ratio to the floor given alongside.
    idle        /healthz answered on a fresh connection while 1,000 connections are open to the service, half of
                them silent and half having sent part of a request head and stopped (a slow-loris client). Floor:
                the same /healthz with no such connections, in the same run. Goal: every answer within 1 s.

    python benchmarks/bench_central_limits.py [--connections 1000] [-n 20]

Prints a table and appends one JSON line per figure to benchmarks/results/latest.jsonl.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
from harness import RESULTS, _commit  # noqa: E402

from boxoffice.domain.chain import GENESIS, canonical, entry_hash  # noqa: E402
from boxoffice.wire import codec  # noqa: E402
from boxoffice.wire.limits import PUSH_MAX_BYTES  # noqa: E402


class Served:
    """`boxoffice central serve` on a free loopback port, over a fresh SQLite central database."""

    def __init__(self, directory: Path) -> None:
        from boxoffice.central.services.admin import init

        self.db = str(directory / "central.db")
        init(self.db)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (directory / "serve.log").open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
        self.proc = subprocess.Popen([sys.executable, "-c", "from boxoffice.cli.main import run; run()", "central",
                                      "serve", "--db", self.db, "--port", str(self.port)], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("central serve did not come up")

    def memory_mb(self, field: str) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith(field + ":")) / 1024

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


def enroll(served: Served) -> tuple[str, str]:
    """A terminal enrolled through the API: (its id, its bearer token)."""
    from boxoffice.central.services.admin import enroll_code
    from boxoffice.tickets.keys import generate_keypair, key_id_hex, public_b64

    _, public = generate_keypair()
    tid = str(uuid.uuid4())
    body = {"code": enroll_code(served.db, "Bench")["code"], "terminal_id": tid, "name": "Bench", "tag": "B2C",
            "key_id": key_id_hex(public), "public_key": public_b64(public)}
    answer = httpx.post(f"{served.url}/v1/enroll", json=body, timeout=30)
    answer.raise_for_status()
    return tid, answer.json()["token"]


class Chain:
    """Journal entries of one terminal, hashed as a terminal hashes them, so the service stores every one."""

    def __init__(self, tid: str) -> None:
        self.tid, self.seq, self.prev = tid, 0, GENESIS

    def entries(self, count: int, payload_chars: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(count):
            self.seq += 1
            e = {"id": str(uuid.uuid4()), "terminal_id": self.tid, "seq": self.seq, "kind": "note",
                 "operator_id": None, "at": "2026-12-03T20:00:00Z",
                 "payload": canonical({"text": "x" * payload_chars})}
            e["hash"] = entry_hash(self.prev, **{k: e[k] for k in ("id", "seq", "terminal_id", "kind", "operator_id",
                                                                    "at", "payload")})
            e["prev_hash"], self.prev = self.prev, e["hash"]
            out.append(e)
        return out

    def largest(self, count: int) -> bytes:
        """A push body of ``count`` entries as close under PUSH_MAX_BYTES as their payloads allow."""
        per = (PUSH_MAX_BYTES - 1000) // count - 450
        body = codec.dumps_bytes({"entries": self.entries(count, per)})
        assert len(body) <= PUSH_MAX_BYTES, len(body)
        return body


def memory(served: Served, tid: str, token: str, rounds: int) -> list[dict[str, Any]]:
    chain = Chain(tid)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=served.url, headers=auth, timeout=120) as http:
        http.post("/v1/journal", content=codec.dumps_bytes({"entries": chain.entries(1, 100)})).raise_for_status()
        floor = served.memory_mb("VmRSS")
        sizes = []
        for _ in range(rounds):
            for count in (1000, 9):
                body = chain.largest(count)
                sizes.append(len(body))
                answer = http.post("/v1/journal", content=body)
                if answer.status_code != 200 or answer.json()["applied"] != count:
                    raise RuntimeError(f"push refused: {answer.status_code} {answer.text[:300]}")
        peak = served.memory_mb("VmHWM")
    return [_row("memory", f"peak RSS over {2 * rounds} pushes of {max(sizes) / 1e6:.2f} MB (1,000 and 9 entries)",
                 peak, "RSS idle after start-up", floor, unit="MB", goal="< 300 MB", met=peak < 300)]


def _healthz(url: str) -> float:
    start = time.perf_counter()
    answer = httpx.get(f"{url}/healthz", timeout=10, headers={"Connection": "close"})
    took = time.perf_counter() - start
    if answer.status_code != 200:
        raise RuntimeError(f"/healthz answered {answer.status_code}")
    return took


def idle(served: Served, connections: int, n: int) -> list[dict[str, Any]]:
    floor = [_healthz(served.url) for _ in range(n)]
    held = []
    for i in range(connections):
        sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
        if i % 2:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # half a head, never finished
        held.append(sock)
    try:
        time.sleep(1)
        loaded = [_healthz(served.url) for _ in range(n)]
        still = sum(1 for s in held if _open(s))
    finally:
        for s in held:
            s.close()
    worst = max(loaded)
    return [_row("idle", f"/healthz with {connections} idle/half-open connections ({still} still open), median",
                 statistics.median(loaded), "/healthz alone", statistics.median(floor), unit="s", goal="<= 1 s",
                 met=worst <= 1.0, extra={"worst_s": round(worst, 4), "open_after": still})]


def _open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def _row(bench: str, name: str, value: float, floor_name: str, floor: float, *, unit: str, goal: str, met: bool,
         extra: dict[str, Any] | None = None) -> dict[str, Any]:
    key = "median_s" if unit == "s" else "value_mb"
    return {"bench": f"central limits: {bench}", "name": name, key: round(value, 4), "floor": floor_name,
            "floor_" + key: round(floor, 4), "ratio": round(value / floor, 3), "goal": goal, "met": met,
            **(extra or {}), "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": f"{os.cpu_count()}-core {platform.node()}", "python": platform.python_version(),
            "commit": _commit()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000, help="idle and half-open connections (1000)")
    parser.add_argument("-n", type=int, default=20, help="/healthz requests timed each way (20)")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of largest pushes (3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        served = Served(Path(tmp))
        try:
            tid, token = enroll(served)
            rows = memory(served, tid, token, args.rounds) + idle(served, args.connections, args.n)
        finally:
            served.stop()
    for r in rows:
        value = f"{r['value_mb']:.0f} MB" if "value_mb" in r else f"{r['median_s'] * 1000:.1f} ms"
        floor = f"{r['floor_value_mb']:.0f} MB" if "value_mb" in r else f"{r['floor_median_s'] * 1000:.1f} ms"
        worst = f", worst {r['worst_s'] * 1000:.0f} ms" if "worst_s" in r else ""
        print(f"{r['name']}: {value} / {floor} ({r['floor']}) = {r['ratio']:.2f}x{worst}; goal {r['goal']}: "
              f"{'met' if r['met'] else 'MISSED'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
