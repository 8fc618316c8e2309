"""The pretix bridge's frame: its settings refuse what would leak the token, its client retries only what is safe
and reports pretix's refusals in one line, and `boxoffice central pretix` checks its input before anything is sent.

The client's fault paths run against a small HTTP server on loopback that answers as a failing pretix would (a 503,
a refusal with pretix's error shape): a real pretix cannot be made to fail on cue. Everything else of the bridge is
tested against a real pretix (tests/test_pretix_*.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from boxoffice.central.pretix import service
from boxoffice.central.pretix.client import PretixClient, reason
from boxoffice.central.pretix.settings import load
from boxoffice.errors import BoxOfficeError

TOKEN = "tok3nSECRETabcdefghij0123456789"


class Script:
    """What the stand-in server answers, in order, and what it was sent."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, Any]] = []
        self.seen: list[dict[str, Any]] = []


@pytest.fixture
def stand_in() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                "body": body})
            status, doc = script.answers.pop(0) if script.answers else (200, {})
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


def _token_file(tmp_path: Path, mode: int = 0o600, text: str = TOKEN) -> Path:
    path = tmp_path / "pretix.token"
    path.write_text(text + "\n")
    path.chmod(mode)
    return path


# -- settings -----------------------------------------------------------------------------------------------------

def test_settings_take_the_token_from_a_private_file_and_never_show_it(tmp_path: Path) -> None:
    s = load("http://127.0.0.1:8000/", "venue", ["gala", "gala"], token_file=str(_token_file(tmp_path)))
    assert (s.url, s.organizer, s.events, s.token) == ("http://127.0.0.1:8000", "venue", ("gala",), TOKEN)
    assert s.api == "http://127.0.0.1:8000/api/v1/organizers/venue/"
    assert TOKEN not in repr(s)


def test_settings_refuse_a_token_file_others_can_read(tmp_path: Path) -> None:
    with pytest.raises(BoxOfficeError) as err:
        load("https://pretix.example.org", "venue", ["gala"], token_file=str(_token_file(tmp_path, 0o644)))
    assert err.value.code == "unsafe_file" and "chmod 600" in err.value.message


@pytest.mark.parametrize(("url", "organizer", "events", "code"), [
    ("http://pretix.example.org", "venue", ["gala"], "insecure_url"),
    ("ftp://pretix.example.org", "venue", ["gala"], "bad_config"),
    ("https://pretix.example.org/?x=1", "venue", ["gala"], "bad_config"),
    ("https://pretix.example.org", "ven ue", ["gala"], "bad_config"),
    ("https://pretix.example.org", "venue", ["../admin"], "bad_config"),
    ("https://pretix.example.org", "venue", [], "bad_config"),
])
def test_settings_refuse_what_pretix_could_not_be(url: str, organizer: str, events: list[str], code: str) -> None:
    with pytest.raises(BoxOfficeError) as err:
        load(url, organizer, events, env={"BOXOFFICE_PRETIX_TOKEN": TOKEN})
    assert err.value.code == code


def test_settings_want_a_token_and_a_sane_one(tmp_path: Path) -> None:
    with pytest.raises(BoxOfficeError) as err:
        load("https://p.example.org", "venue", ["gala"], env={})
    assert err.value.code == "bad_config" and "BOXOFFICE_PRETIX_TOKEN" in err.value.message
    with pytest.raises(BoxOfficeError) as err:
        load("https://p.example.org", "venue", ["gala"], token_file=str(_token_file(tmp_path, text="a b\nc")))
    assert err.value.code == "bad_config" and "a b" not in err.value.message


# -- the client ---------------------------------------------------------------------------------------------------

def _client(url: str, **kw: Any) -> PretixClient:
    return PretixClient(load(url, "venue", ["gala"], env={"BOXOFFICE_PRETIX_TOKEN": TOKEN}), backoff=0.01, **kw)


def test_a_failing_pretix_is_asked_again_and_the_answer_used(stand_in: tuple[str, Script]) -> None:
    url, script = stand_in
    script.answers = [(503, {}), (429, {}), (200, {"name": "Gala"})]
    with _client(url) as client:
        assert client.get("events/gala/") == {"name": "Gala"}
        assert client.requests == 3
    assert [s["path"] for s in script.seen] == ["/api/v1/organizers/venue/events/gala/"] * 3
    assert script.seen[0]["headers"]["Authorization"] == f"Token {TOKEN}"


def test_a_write_carries_its_idempotency_key_on_every_try(stand_in: tuple[str, Script]) -> None:
    url, script = stand_in
    script.answers = [(409, {"detail": "in progress"}), (201, {"code": "ABC12"})]
    with _client(url) as client:
        assert client.post("events/gala/orders/", {"positions": []}, key="order-1") == {"code": "ABC12"}
    assert [s["headers"].get("X-Idempotency-Key") for s in script.seen] == ["order-1", "order-1"]


def test_a_refusal_is_one_line_with_pretixs_reason_and_no_token(stand_in: tuple[str, Script]) -> None:
    url, script = stand_in
    script.answers = [(400, {"positions": [{"voucher": ["The voucher has expired.\n\x1b[31m"]}]})]
    with _client(url) as client, pytest.raises(BoxOfficeError) as err:
        client.post("events/gala/orders/", {}, key="k")
    assert err.value.code == "pretix_refused" and err.value.details["status"] == 400
    assert "positions.voucher: The voucher has expired." in err.value.message
    assert "\n" not in err.value.message and "\x1b" not in err.value.message and TOKEN not in err.value.message
    assert len(script.seen) == 1  # a refusal is not asked again


def test_a_pretix_that_keeps_failing_ends_as_unreachable(stand_in: tuple[str, Script]) -> None:
    url, script = stand_in
    script.answers = [(502, {})] * 5
    with _client(url, retries=2) as client, pytest.raises(BoxOfficeError) as err:
        client.get("events/")
    assert err.value.code == "pretix_unreachable" and len(script.seen) == 3


def test_pages_follow_page_numbers_not_the_url_pretix_gives(stand_in: tuple[str, Script]) -> None:
    url, script = stand_in
    script.answers = [(200, {"results": [{"id": 1}], "next": "http://evil.example/steal"}),
                      (200, {"results": [{"id": 2}], "next": None})]
    with _client(url) as client:
        assert client.all("events/gala/orders/", {"status": "p"}) == [{"id": 1}, {"id": 2}]
    assert all(s["path"].startswith("/api/v1/organizers/venue/events/gala/orders/?") for s in script.seen)
    assert "page=2" in script.seen[1]["path"] and "status=p" in script.seen[1]["path"]


def test_nothing_listening_is_unreachable_not_a_traceback() -> None:
    with _client("http://127.0.0.1:9", retries=1) as client, pytest.raises(BoxOfficeError) as err:
        client.get("events/")
    assert err.value.code == "pretix_unreachable" and "127.0.0.1:9" in err.value.message


def test_reason_reads_pretixs_error_shapes() -> None:
    assert reason({"detail": "Not found."}) == "Not found."
    assert reason(["quota exceeded"]) == "quota exceeded"
    assert reason(None) == "no reason given"
    assert len(reason({"x": ["y" * 1000]})) <= 240


# -- the command line ---------------------------------------------------------------------------------------------

def test_cli_refuses_an_unsafe_token_file_before_sending_anything(cli: Any, tmp_path: Path,
                                                                  stand_in: tuple[str, Script]) -> None:
    url, script = stand_in
    db = tmp_path / "central.db"
    assert cli("central", "init", "--db", str(db), "--json").exit_code == 0
    res = cli("central", "pretix", "sync", "--db", str(db), "--url", url, "--organizer", "venue", "--event", "gala",
              "--token-file", str(_token_file(tmp_path, 0o640)))
    assert res.exit_code == 9 and "chmod 600" in res.stderr and TOKEN not in res.stderr + res.stdout
    res = cli("central", "pretix", "sync", "--db", str(db), "--url", "http://pretix.example.org", "--organizer",
              "venue", "--event", "gala", env={"BOXOFFICE_PRETIX_TOKEN": TOKEN})
    assert res.exit_code == 2 and "https" in res.stderr
    res = cli("central", "pretix", "sync", "--db", str(db), "--url", url, "--organizer", "venue", "--event", "gala",
              "--step", "everything", env={"BOXOFFICE_PRETIX_TOKEN": TOKEN})
    assert res.exit_code == 2 and "catalogue" in res.stderr
    assert script.seen == []


def test_status_before_any_round(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    assert cli("central", "init", "--db", str(db), "--json").exit_code == 0
    assert cli("central", "pretix", "status", "--db", str(db), "--json").json()["last_round"] is None
    assert "no bridge round" in cli("central", "pretix", "status", "--db", str(db)).stdout


def test_serve_refuses_half_a_bridge(cli: Any, tmp_path: Path) -> None:
    res = cli("central", "serve", "--db", str(tmp_path / "c.db"), "--pretix", "http://127.0.0.1:1",
              env={"BOXOFFICE_PRETIX_TOKEN": TOKEN})
    assert res.exit_code == 2 and "--pretix-organizer" in res.stderr


# -- the background rounds of `central serve --pretix` ------------------------------------------------------------

def _next_round(db: Path, cli: Any, after: dict[str, Any] | None, timeout: float = 30.0) -> dict[str, Any]:
    """The first round `central pretix status` shows that is not ``after``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = cli("central", "pretix", "status", "--db", str(db), "--json").json()["last_round"]
        if last is not None and last != after:
            return dict(last)
        time.sleep(0.1)
    raise AssertionError("no further round")


@pytest.mark.parametrize("answer", [(503, {"detail": "down for maintenance"}), (200, {"unexpected": "shape"})],
                         ids=["refused", "nonsense"])
def test_a_failed_background_round_is_kept_and_tried_again_soon(
        cli: Any, tmp_path: Path, stand_in: tuple[str, Script], monkeypatch: pytest.MonkeyPatch,
        answer: tuple[int, Any]) -> None:
    """A venue bridging once an hour whose first round meets a failing pretix is not left an hour without one: the
    round is shown as failed by `central pretix status`, and tried again within RETRY_AFTER_FAILURE."""
    url, script = stand_in
    script.answers = [answer] * 1000
    db = tmp_path / "central.db"
    assert cli("central", "init", "--db", str(db), "--json").exit_code == 0
    monkeypatch.setattr(service, "RETRY_AFTER_FAILURE", 0.3)
    stop = threading.Event()
    settings = load(url, "venue", ["gala"], env={"BOXOFFICE_PRETIX_TOKEN": TOKEN})
    thread = service.start_loop(str(db), settings, interval=3600, stop=stop)
    try:
        first = _next_round(db, cli, None)
        again = _next_round(db, cli, first)
    finally:
        stop.set()
        thread.join(10)
    for last in (first, again):
        assert last["ok"] is False and last["error"]["message"], last
    assert TOKEN not in json.dumps(again)
