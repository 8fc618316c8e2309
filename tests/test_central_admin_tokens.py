"""Admin tokens can be listed (never shown again), made and revoked: a revoked one is refused by /v1/admin/* on the
very next request, and the last live one is kept unless the admin insists. Checked through the CLI an admin types
and the HTTP API of a real service on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_helpers import CentralServer, central_db

pytest_plugins = ["sync_support"]

CONFLICTS, BAD_INPUT, NOT_FOUND = 4, 2, 3


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A fresh central database with its service running: (database URL, service URL)."""
    url = central_db(request.param, tmp_path, request)
    server = CentralServer(url, tmp_path / "serve.log")
    try:
        yield url, server.url
    finally:
        server.stop()


def _admin_get(base: str, token: str) -> httpx.Response:
    return httpx.get(f"{base}/v1/admin/terminals", headers={"Authorization": f"Bearer {token}"})


def _listed(cli: Any, db: str) -> list[dict[str, Any]]:
    r = cli("central", "admin-token", "list", "--db", db, "--json")
    assert r.exit_code == 0, r.output
    return r.json()


def test_a_revoked_admin_token_is_refused_at_once(service: tuple[str, str], cli) -> None:
    db, base = service
    made = [cli("central", "admin-token", "new", "--name", name, "--db", db, "--json") for name in ("ops", "spare")]
    assert all(m.exit_code == 0 for m in made), [m.output for m in made]
    ops, spare = (m.json() for m in made)
    assert ops["token"].startswith("bxa_") and ops["prefix"] == ops["token"][:8]
    for token in (ops["token"], spare["token"]):
        assert _admin_get(base, token).status_code == 200

    listed = _listed(cli, db)  # the one `central init` made and ours: never a token, never its hash
    assert sorted((t["name"], t["live"]) for t in listed) == [("init", True), ("ops", True), ("spare", True)]
    assert {t["id"] for t in listed} >= {ops["id"], spare["id"]}
    text = cli("central", "admin-token", "list", "--db", db)
    assert text.exit_code == 0 and ops["id"] in text.stdout and f"{ops['prefix']}..." in text.stdout
    for out in (text.stdout, str(listed)):
        assert ops["token"] not in out and spare["token"] not in out and ops["token"][8:16] not in out

    gone = cli("central", "admin-token", "revoke", ops["id"][:6], "--db", db, "--json")
    assert gone.exit_code == 0, gone.output
    assert gone.json() | {"revoked_at": None} == {"id": ops["id"], "prefix": ops["prefix"], "name": "ops",
                                                  "revoked": True, "already_revoked": False, "revoked_at": None,
                                                  "live_left": 2}
    refused = _admin_get(base, ops["token"])  # the running service: the next request, no restart
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    assert httpx.get(f"{base}/v1/admin/conflicts", headers={"Authorization": f"Bearer {ops['token']}"}).status_code \
        == 401
    assert _admin_get(base, spare["token"]).status_code == 200  # the others still work
    again = cli("central", "admin-token", "revoke", ops["id"], "--db", db)
    assert again.exit_code == 0 and "revoked already" in again.stdout

    by_token = cli("central", "admin-token", "revoke", spare["token"], "--db", db)  # a leaked token, named as is
    assert by_token.exit_code == 0 and spare["id"] in by_token.stdout and spare["token"] not in by_token.output
    assert _admin_get(base, spare["token"]).status_code == 401
    status = {t["id"]: t["revoked_at"] is not None for t in _listed(cli, db)}
    assert status[ops["id"]] and status[spare["id"]] and list(status.values()).count(False) == 1


def test_the_last_live_admin_token_is_kept_unless_forced(service: tuple[str, str], cli) -> None:
    db, base = service
    made = cli("central", "admin-token", "new", "--db", db, "--json").json()
    first = next(t for t in _listed(cli, db) if t["name"] == "init")
    assert cli("central", "admin-token", "revoke", first["id"], "--db", db).exit_code == 0

    kept = cli("central", "admin-token", "revoke", made["id"], "--db", db, "--json")
    assert kept.exit_code == CONFLICTS
    assert kept.json()["error"]["code"] == "last_admin_token" and "--force" in kept.json()["error"]["message"]
    said = cli("central", "admin-token", "revoke", made["id"], "--db", db)
    assert said.exit_code == CONFLICTS and "last live one" in said.stderr and made["token"] not in said.output
    assert _admin_get(base, made["token"]).status_code == 200  # nothing changed

    for wrong, status in (("zz", BAD_INPUT), ("abc", BAD_INPUT), ("ffff0000ffff", NOT_FOUND),
                          ("bxa_not-a-token-we-made", NOT_FOUND)):
        r = cli("central", "admin-token", "revoke", wrong, "--db", db)
        assert r.exit_code == status, (wrong, r.output)
    assert _admin_get(base, made["token"]).status_code == 200

    forced = cli("central", "admin-token", "revoke", made["id"], "--force", "--db", db, "--json")
    assert forced.exit_code == 0 and forced.json()["live_left"] == 0
    assert _admin_get(base, made["token"]).status_code == 401
    assert all(not t["live"] for t in _listed(cli, db))

    fresh = cli("central", "admin-token", "new", "--db", db, "--json").json()  # whoever holds the database
    assert _admin_get(base, fresh["token"]).status_code == 200
