"""The central service over HTTP, served by uvicorn on loopback, on SQLite and on PostgreSQL: enrollment, push,
pull, tokens, and refusals that are located and never a server error."""

from __future__ import annotations

import json

import httpx
import pytest
from sync_helpers import Central, enroll, signed_enroll_body, sync

from boxoffice.store import journal as journal_store
from boxoffice.store.db import write

pytest_plugins = ["sync_support"]


def _entries(ctx, n_after: int = 0) -> list[dict]:
    rows = [e for e in journal_store.iter_entries(ctx.conn) if e["seq"] > n_after]
    return [{k: e[k] for k in ("id", "terminal_id", "seq", "kind", "operator_id", "at", "payload", "prev_hash",
                               "hash")} for e in rows]


def _token(ctx) -> str:
    return ctx.conn.execute("SELECT token FROM sync_state").fetchone()[0]


def _post(central: Central, path: str, body, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(central.url + path, content=data, headers={**headers, "Content-Type": "application/json"})


def test_health_and_openapi_describe_versioned_paths(central: Central) -> None:
    health = httpx.get(central.url + "/healthz").json()
    assert health["status"] == "ok"
    doc = httpx.get(central.url + "/openapi.json").json()
    assert {"/v1/enroll", "/v1/journal", "/v1/changes"} <= set(doc["paths"])
    push_schema = doc["paths"]["/v1/journal"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert push_schema == {"$ref": "#/components/schemas/SyncPush"}
    assert "SyncPush_entry" in doc["components"]["schemas"]


def test_enrollment_code_works_once(central: Central, make_terminal) -> None:
    ctx = make_terminal(name="Once", fresh=True)
    code = central.code("Once")
    first = _post(central, "/v1/enroll", signed_enroll_body(ctx, central.url, code))
    assert first.status_code == 200 and first.json()["token"].startswith("bxt_")
    # the code typed in lower case with spaces is still the same (spent) code: no challenge for it
    again = _post(central, "/v1/enroll/challenge", {"code": code.lower().replace("-", " "),
                                                    "terminal_id": ctx.terminal["id"]})
    assert again.status_code == 403 and again.json()["error"]["code"] == "bad_code"


def test_expired_code_and_clashing_tag_are_refused(central: Central, make_terminal) -> None:
    a, b = make_terminal(name="A", fresh=True), make_terminal(name="B", fresh=True)
    enroll(a, central)
    code = central.code("B")
    clash = _post(central, "/v1/enroll", signed_enroll_body(b, central.url, code, tag=a.terminal["tag"]))
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "tag_taken"
    body = signed_enroll_body(b, central.url, code)
    assert _post(central, "/v1/enroll", body).status_code == 200  # the code was not spent by the refusal
    c = make_terminal(name="C", fresh=True)
    expired = _post(central, "/v1/enroll/challenge", {"code": central.code("C", hours=1e-6),
                                                      "terminal_id": c.terminal["id"]})
    assert expired.status_code == 403 and expired.json()["error"]["code"] == "bad_code"


def test_key_id_must_match_the_public_key(central: Central, make_terminal) -> None:
    ctx = make_terminal(name="K", fresh=True)
    body = signed_enroll_body(ctx, central.url, central.code("K"), key_id="00000000")
    r = _post(central, "/v1/enroll", body)
    assert r.status_code == 422 and r.json()["error"]["errors"][0].startswith("/key_id")


def test_push_applies_each_entry_once(central: Central, terminals) -> None:
    (ctx,) = terminals(1)
    entries = _entries(ctx)
    token = _token(ctx)
    first = _post(central, "/v1/journal", {"entries": entries}, token).json()
    assert first == {"applied": len(entries), "duplicates": 0, "conflicts": []}
    second = _post(central, "/v1/journal", {"entries": entries}, token).json()
    assert second == {"applied": 0, "duplicates": len(entries), "conflicts": []}
    n = central.scalar("SELECT count(*) FROM journal WHERE terminal_id = ?", (ctx.terminal["id"],))
    assert n == len(entries)


def test_a_terminal_cannot_push_as_another(central: Central, terminals) -> None:
    a, b = terminals(2)
    r = _post(central, "/v1/journal", {"entries": _entries(a)}, _token(b))
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "wrong_terminal" and "own journal" in err["message"]
    assert central.scalar("SELECT count(*) FROM journal WHERE terminal_id = ?", (a.terminal["id"],)) == 0


def test_tokens_are_required_and_checked(central: Central, terminals) -> None:
    (ctx,) = terminals(1)
    assert httpx.get(central.url + "/v1/changes").status_code == 401
    bad = httpx.get(central.url + "/v1/changes", headers={"Authorization": "Bearer bxt_forged"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    assert httpx.get(central.url + "/v1/admin/terminals",
                     headers={"Authorization": f"Bearer {_token(ctx)}"}).status_code == 401


def test_altered_entry_is_refused_with_its_location(central: Central, terminals) -> None:
    (ctx,) = terminals(1)
    entries = _entries(ctx)
    entries[1]["payload"] = entries[1]["payload"].replace("}", ',"x":1}', 1)
    r = _post(central, "/v1/journal", {"entries": entries}, _token(ctx))
    assert r.status_code == 422
    assert r.json()["error"]["errors"] == ["/entries/1/hash: does not match the entry's contents"]
    assert central.scalar("SELECT count(*) FROM journal WHERE terminal_id = ?", (ctx.terminal["id"],)) == 0


@pytest.mark.parametrize("body, where", [
    (b"{not json", "/: line 1"),
    ({"entries": "no"}, "/entries: "),
    ({"entries": [{"id": "x"}]}, "/entries/0"),
    ({"entries": [], "extra": 1}, "/: Additional properties"),
])
def test_malformed_push_is_422_located(central: Central, terminals, body, where) -> None:
    (ctx,) = terminals(1)
    r = _post(central, "/v1/journal", body, _token(ctx))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_document"
    assert any(e.startswith(where) for e in err["errors"]), err["errors"]


def test_changes_page_by_cursor_and_refuse_a_cursor_ahead(central: Central, terminals) -> None:
    (ctx,) = terminals(1)
    token = {"Authorization": f"Bearer {_token(ctx)}"}
    got, cursor = [], 0
    while True:
        page = httpx.get(central.url + "/v1/changes", params={"after": cursor, "limit": 1}, headers=token).json()
        got += page["changes"]
        assert page["cursor"] >= cursor
        cursor = page["cursor"]
        if not page["more"]:
            break
    kinds = [c["kind"] for c in got]
    assert "catalog" in kinds and "key" in kinds
    assert [c["cursor"] for c in got] == sorted(c["cursor"] for c in got)
    ahead = httpx.get(central.url + "/v1/changes", params={"after": cursor + 1000}, headers=token)
    assert ahead.status_code == 409 and ahead.json()["error"]["code"] == "cursor_ahead"
    assert httpx.get(central.url + "/v1/changes", params={"limit": 0}, headers=token).status_code == 422
    assert httpx.get(central.url + "/v1/changes", params={"after": "x"}, headers=token).status_code == 422


def test_revoked_terminal_is_refused_and_others_are_told(central: Central, terminals) -> None:
    from boxoffice.central.services.admin import revoke_terminal

    a, b = terminals(2)
    sync(a)
    sync(b)
    out = revoke_terminal(central.db_url, a.terminal["id"])
    assert out["revoked"] and out["tickets_stay_valid"]
    r = httpx.get(central.url + "/v1/changes", headers={"Authorization": f"Bearer {_token(a)}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "terminal_revoked"
    from boxoffice.errors import BoxOfficeError

    with pytest.raises(BoxOfficeError) as exc:
        sync(a)
    assert exc.value.code == "not_enrolled"
    sync(b)
    assert b.conn.execute("SELECT revoked_at FROM sync_peers WHERE terminal_id = ?",
                          (a.terminal["id"],)).fetchone()[0]
    # a's key is still trusted by b: tickets a signed stay valid
    row = b.conn.execute("SELECT revoked_at FROM keys WHERE key_id = ?", (a.terminal["key_id"],)).fetchone()
    assert row is not None and row[0] is None


def test_admin_endpoints_need_the_admin_token(central: Central) -> None:
    from boxoffice.central.services.admin import new_admin_token

    token = new_admin_token(central.db_url)
    r = httpx.get(central.url + "/v1/admin/terminals", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and isinstance(r.json()["terminals"], list)
    assert httpx.get(central.url + "/v1/admin/conflicts").status_code == 401


def test_a_chain_break_is_kept_and_flagged(central: Central, terminals) -> None:
    (ctx,) = terminals(1)
    sync(ctx)
    sync(ctx)  # what the first pull journalled (the catalogue import) goes up too
    with write(ctx.conn):
        ctx.journal("note", {"n": 1})
    # rewrite the entry as if written after a deleted one: its own hash holds, its link to the one before does not
    from boxoffice.domain.chain import entry_hash

    e = _entries(ctx)[-1]
    e["prev_hash"] = "f" * 64
    e["hash"] = entry_hash(e["prev_hash"], id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"], kind=e["kind"],
                           operator_id=e["operator_id"], at=e["at"], payload=e["payload"])
    r = _post(central, "/v1/journal", {"entries": [e]}, _token(ctx)).json()
    assert r["applied"] == 1 and r["conflicts"][0]["kind"] == "chain_break"


def test_an_entry_others_could_not_read_is_kept_flagged_and_not_applied(central: Central, terminals) -> None:
    from boxoffice.domain.chain import canonical, entry_hash

    (ctx,) = terminals(1)
    sync(ctx)
    sync(ctx)
    last = _entries(ctx)[-1]
    payload = canonical({"order": {"id": "01a20000-0000-7000-8000-000000000001", "code": "ABC2-222Z",
                                   "event_id": "gala", "currency": "GBP", "created_at": last["at"], "total": 2 ** 70,
                                   "customer_name": "nul\x00name", "status": "paid"},
                         "tickets": [{"id": "not-a-ticket\x00", "section_id": "standing", "token": "X"}]})
    e = {"id": "01a20000-0000-7000-8000-0000000000aa", "terminal_id": ctx.terminal["id"], "seq": last["seq"] + 1,
         "kind": "sale", "operator_id": None, "at": last["at"], "payload": payload, "prev_hash": last["hash"]}
    e["hash"] = entry_hash(e["prev_hash"], id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"], kind=e["kind"],
                           operator_id=None, at=e["at"], payload=payload)
    r = _post(central, "/v1/journal", {"entries": [e]}, _token(ctx))
    assert r.status_code == 200, r.text
    (flag,) = r.json()["conflicts"]
    assert flag["kind"] == "unpublishable"
    assert central.scalar("SELECT count(*) FROM journal WHERE id = ?", (e["id"],)) == 1
    assert central.scalar("SELECT count(*) FROM orders WHERE code = 'ABC2-222Z'") == 0
    bad_op = {**e, "id": "01a20000-0000-7000-8000-0000000000ab", "operator_id": "op\x00"}
    r = _post(central, "/v1/journal", {"entries": [bad_op]}, _token(ctx))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_document"
