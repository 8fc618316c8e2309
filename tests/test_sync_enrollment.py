"""Enrollment as an attacker meets it: each way a terminal identity could be taken or a terminal sent elsewhere
before, refused now, through the CLI and through the service, against a real central service on loopback (SQLite
and PostgreSQL) and a real https one with a private CA. The happy paths still work.

The attacks: enrolling with nobody (or a seller) logged in; a stolen unused code used for another terminal's name;
someone else's public key (public: every terminal has every key) without its private key; a revoked terminal back
with a fresh code and no admin readmit; a config or environment central_url that differs from the enrolled one,
silently used; plain http to a machine other than this one.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_helpers import Central, CentralServer, central_db, client, enroll, signed_enroll_body, sync

from boxoffice.errors import BoxOfficeError
from boxoffice.services.sync import enrollment as service
from boxoffice.services.sync import rounds

pytest_plugins = ["sync_support"]  # the central service on loopback (SQLite and PostgreSQL)


def _post(central: Central, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(central.url + path, json=body, timeout=30)


def _enrolled_count(central: Central, terminal_id: str) -> int:
    return int(central.scalar("SELECT count(*) AS n FROM terminals WHERE id = ?", (terminal_id,)))


def _code_spent(central: Central, code: str) -> bool:
    from boxoffice.central.services.tokens import digest, normalise_code

    return central.scalar("SELECT used_at FROM enroll_codes WHERE code_hash = ?",
                          (digest(normalise_code(code)),)) is not None


# --- an admin operator at the terminal ----------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "sam", "sue"], ids=["nobody", "seller", "supervisor"])
def test_enrolling_needs_an_admin_logged_in_at_the_terminal(central: Central, make_terminal, cli, login,
                                                            who: str | None) -> None:
    ctx = make_terminal(name=f"Counter {who}", fresh=True, logged_in=who)
    code = central.code(ctx.terminal["name"])
    r = cli("sync", "enroll", central.url, code, "--json", db=ctx)
    expected = "not_logged_in" if who is None else "permission_denied"
    assert r.exit_code == 5 and r.json()["error"]["code"] == expected
    if who:
        assert "ask an admin" in r.json()["error"]["message"]
    with pytest.raises(BoxOfficeError) as exc, client(central.url) as c:
        service.enroll(ctx, central.url, code, c)
    assert exc.value.code == expected
    assert _enrolled_count(central, ctx.terminal["id"]) == 0 and not _code_spent(central, code)
    assert rounds.status(ctx)["enrolled"] is False
    login(ctx, "ada")  # the same code works once an admin is here
    ok = cli("sync", "enroll", central.url, code, "--json", db=ctx)
    assert ok.exit_code == 0, ok.output
    assert ok.json()["central_url"] == central.url and ok.json()["insecure"] is False


# --- a code for one name ------------------------------------------------------------------------------------


def test_a_stolen_code_does_not_enroll_a_terminal_of_another_name(central: Central, make_terminal, cli) -> None:
    code = central.code("Box 2")
    thief = make_terminal(name="Laptop", fresh=True)
    r = cli("sync", "enroll", central.url, code, "--json", db=thief)
    assert r.exit_code == 8 and r.json()["error"]["details"]["central_code"] == "wrong_name"
    assert "made for another terminal, not 'Laptop'" in r.json()["error"]["message"]
    with pytest.raises(BoxOfficeError) as exc, client(central.url) as c:
        service.enroll(thief, central.url, code, c)
    assert exc.value.details["central_code"] == "wrong_name"
    assert _enrolled_count(central, thief.terminal["id"]) == 0 and not _code_spent(central, code)
    # the terminal it was made for, its name typed in another case, enrolls with it
    owner = make_terminal(name="box 2", fresh=True)
    assert cli("sync", "enroll", central.url, code, db=owner).exit_code == 0
    assert _code_spent(central, code)


# --- proof of the private key -------------------------------------------------------------------------------


def test_someone_elses_public_key_without_its_private_key_is_refused(central: Central, make_terminal) -> None:
    victim = make_terminal(name="Victim", fresh=True)
    enroll(victim, central)
    sync(victim)
    attacker = make_terminal(name="Victim", fresh=True)  # a code for the victim's name, and the victim's public facts
    code = central.code("Victim")
    # Through the service: the attacker's terminal claims the victim's id, tag and public key but signs with its
    # own private key (the only one it has).
    for k in ("id", "tag", "key_id", "public_key"):
        attacker.terminal[k] = victim.terminal[k]
    with pytest.raises(BoxOfficeError) as exc, client(central.url) as c:
        service.enroll(attacker, central.url, code, c)
    assert exc.value.details["central_code"] == "key_not_proven"
    # Over HTTP, by hand: a signature of the right message by the wrong key, then none to speak of.
    body = signed_enroll_body(make_terminal(name="Victim", fresh=True), central.url, code)
    forged = {**body, "terminal_id": victim.terminal["id"], "tag": victim.terminal["tag"],
              "key_id": victim.terminal["key_id"], "public_key": victim.terminal["public_key"]}
    r = _post(central, "/v1/enroll", forged)
    assert r.status_code == 403 and r.json()["error"]["code"] == "bad_challenge"  # its nonce was for another id
    nonce = _post(central, "/v1/enroll/challenge", {"code": code, "terminal_id": victim.terminal["id"]}).json()
    zeros = {**forged, "nonce": nonce["nonce"], "signature": base64.b64encode(bytes(64)).decode()}
    r = _post(central, "/v1/enroll", zeros)
    assert r.status_code == 403 and r.json()["error"]["code"] == "key_not_proven"
    assert _post(central, "/v1/enroll", zeros).json()["error"]["code"] == "bad_challenge"  # a nonce works once
    assert not _code_spent(central, code)
    # the victim keeps its identity: its token still works
    assert sync(victim)["pushed"] >= 0
    assert central.scalar("SELECT count(*) AS n FROM terminals WHERE name = 'Victim'") == 1


def test_a_challenge_is_single_use_short_lived_and_bound_to_its_code(central: Central, make_terminal) -> None:
    from datetime import timedelta

    from boxoffice.central.errors import CentralError
    from boxoffice.central.services import enrollment
    from boxoffice.central.store.db import connect
    from boxoffice.domain.clock import iso, system_clock

    ctx = make_terminal(name="Nonce", fresh=True)
    code, other = central.code("Nonce"), central.code("Nonce")
    body = signed_enroll_body(ctx, central.url, code)
    later = iso(system_clock() + timedelta(minutes=3))
    with connect(central.db_url) as db:
        with pytest.raises(CentralError) as exc:
            enrollment.enroll(db, body, later)  # two minutes is all a nonce lives
        assert exc.value.code == "bad_challenge"
    body = signed_enroll_body(ctx, central.url, code)
    r = _post(central, "/v1/enroll", {**body, "code": other})  # a nonce for one code does not spend another
    assert r.status_code == 403 and r.json()["error"]["code"] == "bad_challenge"
    assert _post(central, "/v1/enroll", signed_enroll_body(ctx, central.url, code)).status_code == 200


# --- a revoked terminal comes back only when an admin says so -----------------------------------------------


def test_a_revoked_terminal_needs_an_admin_readmit(central: Central, make_terminal, cli) -> None:
    from boxoffice.central.services.admin import revoke_terminal

    ctx = make_terminal(name="Lost laptop", fresh=True)
    assert cli("sync", "enroll", central.url, central.code("Lost laptop"), db=ctx).exit_code == 0
    revoke_terminal(central.db_url, ctx.terminal["id"])
    fresh = central.code("Lost laptop")
    r = cli("sync", "enroll", central.url, fresh, "--json", db=ctx)
    assert r.exit_code == 8 and r.json()["error"]["details"]["central_code"] == "readmit_needed"
    assert "--readmit" in r.json()["error"]["message"]
    with pytest.raises(BoxOfficeError) as exc, client(central.url) as c:
        service.enroll(ctx, central.url, fresh, c)
    assert exc.value.details["central_code"] == "readmit_needed"
    assert central.scalar("SELECT revoked_at FROM terminals WHERE id = ?", (ctx.terminal["id"],)) is not None
    assert cli("sync", db=ctx).exit_code == 8  # still shut out
    made = cli("central", "enroll-code", "--name", "Lost laptop", "--readmit", "--db", central.db_url, "--json",
               now=None)  # the central service runs on the real clock
    assert made.exit_code == 0 and made.json()["readmit"] is True
    again = cli("sync", "enroll", central.url, made.json()["code"], db=ctx)
    assert again.exit_code == 0, again.output
    assert central.scalar("SELECT revoked_at FROM terminals WHERE id = ?", (ctx.terminal["id"],)) is None
    back = cli("sync", db=ctx)
    assert back.exit_code == 0, back.output


# --- the URL is pinned --------------------------------------------------------------------------------------


class _Listener:
    """A TCP port on loopback that counts the connections made to it (where a moved central_url points)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def test_a_central_url_in_the_config_or_environment_that_differs_is_refused(central: Central, make_terminal,
                                                                            cli, tmp_path: Path) -> None:
    ctx = make_terminal(name="Pinned", fresh=True)
    assert cli("sync", "enroll", central.url, central.code("Pinned"), db=ctx).exit_code == 0
    elsewhere = _Listener()
    try:
        conf = tmp_path / "moved.toml"
        conf.write_text(f'central_url = "{elsewhere.url}"\n', encoding="utf-8")
        for how in ({"args": ("--config", conf)}, {"env": {"BOXOFFICE_CENTRAL_URL": elsewhere.url}}):
            r = cli(*how.get("args", ()), "sync", "--json", db=ctx, env=how.get("env"))
            assert r.exit_code == 8 and r.json()["error"]["code"] == "central_moved"
            assert elsewhere.url in r.json()["error"]["message"] and "enrolls again" in r.json()["error"]["message"]
            shown = cli(*how.get("args", ()), "sync", "status", db=ctx, env=how.get("env"))
            assert shown.exit_code == 0 and "enrolls again" in shown.stdout
        assert elsewhere.connections == 0  # the token never went there
        ctx.config.values["central_url"] = elsewhere.url
        with pytest.raises(BoxOfficeError) as exc:
            rounds.credentials(ctx)
        assert exc.value.code == "central_moved"
    finally:
        elsewhere.close()
    # the enrolled URL in the config (with a trailing slash) is no move
    ctx.config.values["central_url"] = central.url + "/"
    assert rounds.credentials(ctx)[0] == central.url
    same = tmp_path / "same.toml"
    same.write_text(f'central_url = "{central.url}"\n', encoding="utf-8")
    assert cli("--config", same, "sync", db=ctx).exit_code == 0


# --- plain http only to this machine ------------------------------------------------------------------------


class _ToLoopback(httpx.HTTPTransport):
    """Sends requests for any host to the central service on loopback: a service "on another machine" for the
    terminal's checks, without leaving this one."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return super().handle_request(request)


def test_plain_http_to_another_host_is_refused_unless_insecure(central: Central, make_terminal, cli) -> None:
    from boxoffice.sync.client import CentralClient

    ctx = make_terminal(name="Far", fresh=True)
    code = central.code("Far")
    far = "http://192.0.2.10:8765"  # TEST-NET: nothing would answer, and nothing is tried
    r = cli("sync", "enroll", far, code, "--json", db=ctx)
    assert r.exit_code == 2 and r.json()["error"]["code"] == "insecure_url"
    assert "https://" in r.json()["error"]["message"] and "--insecure" in r.json()["error"]["message"]
    with pytest.raises(BoxOfficeError) as exc, client(central.url) as c:  # a client that could reach the service
        service.enroll(ctx, far, code, c)
    assert exc.value.code == "insecure_url" and not _code_spent(central, code)
    # With --insecure it is allowed, and said at enroll and in every `sync status`.
    port = int(central.url.rsplit(":", 1)[1])
    named = f"http://central.venue.test:{port}"
    with CentralClient(named, transport=_ToLoopback(port)) as c:
        out = service.enroll(ctx, named, code, c, insecure=True)
    assert out["insecure"] is True and "unencrypted" in (out["warning"] or "")
    assert rounds.status(ctx)["insecure"] is True
    shown = cli("sync", "status", db=ctx)
    assert shown.exit_code == 0 and "WARNING: plain http to another machine" in shown.stdout
    entry = ctx.conn.execute("SELECT payload FROM journal WHERE kind = 'sync.enroll'").fetchone()[0]
    assert json.loads(entry)["insecure"] is True


@pytest.mark.parametrize("url", ["http://127.0.0.1:1", "http://127.8.9.10:1", "http://localhost:1",
                                 "http://[::1]:1", "https://central.example:8765"])
def test_loopback_and_https_need_no_insecure(url: str) -> None:
    from boxoffice.domain.enrollment import check_url

    assert check_url(url + "/") == url


@pytest.mark.parametrize("url", ["http://10.0.0.5:8765", "http://central.local", "http://127.0.0.1.nip.io:80",
                                 "http://[::2]:1"])
def test_plain_http_elsewhere_needs_insecure(url: str) -> None:
    from boxoffice.domain.enrollment import check_url

    with pytest.raises(BoxOfficeError) as exc:
        check_url(url)
    assert exc.value.code == "insecure_url"
    assert check_url(url, insecure=True) == url


def test_the_openapi_document_describes_the_challenge(central: Central) -> None:
    doc = httpx.get(central.url + "/openapi.json", timeout=30).json()
    op = doc["paths"]["/v1/enroll/challenge"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("SyncEnrollChallenge")
    assert {"SyncEnrollChallenge", "SyncEnrollChallengeResponse"} <= set(doc["components"]["schemas"])
    assert {"nonce", "signature"} <= set(doc["components"]["schemas"]["SyncEnroll"]["required"])


# --- https end to end ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_central(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The central service serving https on loopback with a certificate of a private CA: (central, CA bundle,
    another CA's bundle)."""
    from conftest import T0
    from tls_helpers import make_ca, make_server_cert

    from boxoffice.services.demo_catalog import demo_catalog

    directory = tmp_path_factory.mktemp("central-tls")
    ca_pem, ca_cert, ca_key = make_ca(directory / "ca")
    cert, key = make_server_cert(directory / "server", ca_cert, ca_key)
    stranger_pem = make_ca(directory / "other", "some other CA")[0]
    url = central_db("sqlite", directory, request)
    server = CentralServer(url, directory / "serve.log", tls=(cert, key, ca_pem))
    c = Central("sqlite", url, server)
    c.publish(demo_catalog(T0.date()), directory)
    try:
        yield c, ca_pem, stranger_pem
    finally:
        server.stop()


def test_https_enroll_and_sync_with_the_ca_bundle(tls_central: Any, make_terminal, cli, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    central, ca_pem, stranger_pem = tls_central
    assert central.url.startswith("https://127.0.0.1:")
    ctx = make_terminal(name="TLS counter", fresh=True)
    code = central.code("TLS counter")
    for bundle in ((), ("--ca-bundle", str(stranger_pem))):  # the system's CAs, or another CA: neither signed it
        r = cli("sync", "enroll", central.url, code, *bundle, "--json", db=ctx)
        assert r.exit_code == 8 and r.json()["error"]["code"] == "certificate_error", r.output
        assert "does not verify" in r.json()["error"]["message"] and "--ca-bundle" in r.json()["error"]["message"]
    assert not _code_spent(central, code)
    # The bundle is given by a relative path: it is kept whole, and used from anywhere on every later sync.
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "venue-ca.pem").write_bytes(ca_pem.read_bytes())
    monkeypatch.chdir(tmp_path)
    r = cli("sync", "enroll", central.url, code, "--ca-bundle", "certs/venue-ca.pem", "--json", db=ctx)
    assert r.exit_code == 0, r.output
    assert r.json()["ca_bundle"] == str(tmp_path / "certs" / "venue-ca.pem") and r.json()["warning"] is None
    monkeypatch.chdir(Path(__file__).parent)
    synced = cli("sync", "--json", db=ctx)
    assert synced.exit_code == 0, synced.output
    assert synced.json()["by_kind"].get("catalog") == 1
    status = cli("sync", "status", "--json", db=ctx).json()
    assert status["central_url"] == central.url and status["ca_bundle"].endswith("venue-ca.pem")
    assert status["insecure"] is False
    # Through the service: a client without the bundle is refused at once, with the bundle it syncs.
    from boxoffice.sync.client import CentralClient

    url, token = rounds.credentials(ctx)
    with CentralClient(url, token, retries=0) as c, pytest.raises(BoxOfficeError) as exc:
        rounds.sync_once(ctx, c)
    assert exc.value.code == "certificate_error"
    conn = rounds.connection(ctx)
    with CentralClient(conn["url"], conn["token"], ca_bundle=conn["ca_bundle"]) as c:
        assert rounds.sync_once(ctx, c)["pulled"] >= 0


def test_serve_takes_a_certificate_and_its_key_together(cli, tmp_path: Path) -> None:
    pem = tmp_path / "cert.pem"
    pem.write_text("not used", encoding="utf-8")
    alone = cli("central", "serve", "--db", str(tmp_path / "c.db"), "--certfile", str(pem))
    assert alone.exit_code == 2 and "--keyfile" in alone.output
    missing = cli("central", "serve", "--db", str(tmp_path / "c.db"), "--certfile", str(pem), "--keyfile",
                  str(tmp_path / "nope.key"))
    assert missing.exit_code == 2 and "nope.key" in missing.output
