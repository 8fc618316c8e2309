"""What a terminal pulls that decides what it sells and admits (catalogues, keys, revocations) is signed by the
central key it pinned at enrollment; a rogue central service or a man in the middle can neither re-price tickets
nor make the terminal trust a key. Each attack below worked before signed feeds; now the page is refused
(`feed_signature`, exit 8) with nothing changed, and the terminal catches up once the real service answers."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
from conftest import T0
from sync_helpers import Central, CentralServer, FaultProxy, central_db, sync, view

from boxoffice.errors import BoxOfficeError
from boxoffice.tickets import keys
from boxoffice.wire import feed_sig

pytest_plugins = ["sync_support"]


def _doc(price: str = "22.50") -> dict:
    from boxoffice.services.demo_catalog import demo_catalog

    doc = demo_catalog(T0.date())
    doc["events"][0]["ticket_types"][0]["prices"]["standing"] = price  # adult, standing
    return doc


def _price(ctx) -> int:  # noqa: ANN001
    ev = _doc()["events"][0]["id"]
    return ctx.conn.execute("SELECT amount FROM prices WHERE event_id = ? AND ticket_type_id = 'adult' AND "
                            "section_id = 'standing'", (ev,)).fetchone()[0]


def _where(ctx) -> tuple:  # noqa: ANN001
    return view(ctx), _price(ctx), ctx.conn.execute("SELECT cursor, head FROM sync_state").fetchone()[:]


def _proxy(central: Central, rewrite) -> FaultProxy:  # noqa: ANN001
    plan = lambda n, method, path: "rewrite" if path.startswith("/v1/changes") else "pass"  # noqa: E731
    return FaultProxy(urlsplit(central.url).port, plan, rewrite=rewrite)


def _refused(ctx, url: str) -> BoxOfficeError:  # noqa: ANN001
    with pytest.raises(BoxOfficeError) as exc:
        sync(ctx, url=url, retries=1, backoff=0.01, timeout=10)
    assert exc.value.code == "feed_signature", exc.value.message
    assert "nothing was changed" in exc.value.message
    return exc.value


def test_the_central_service_signs_what_terminals_must_trust(central: Central, terminals) -> None:  # noqa: ANN001
    (ctx,) = terminals(1)
    sync(ctx)
    pin = ctx.conn.execute("SELECT central_key_id FROM sync_state").fetchone()[0]
    import json

    for row in central.query("SELECT kind, body FROM changes WHERE kind IN ('catalog', 'key', 'terminal_revoked',"
                             " 'revocation')"):
        assert json.loads(row["body"])["sig"]["key_id"] == pin, row["kind"]


def test_a_proxy_that_reprices_the_catalogue_is_refused_with_nothing_changed(central: Central, terminals, cli,
                                                                             tmp_path) -> None:  # noqa: ANN001
    (ctx,) = terminals(1)
    sync(ctx)
    central.publish(_doc("24.00"), tmp_path)  # the box office raises the price

    def cheap(path: str, page: dict) -> dict:
        for c in page["changes"]:
            if c["kind"] == "catalog":
                c["body"]["doc"]["events"][0]["ticket_types"][0]["prices"]["standing"] = "1.00"
        return page

    before = _where(ctx)
    with _proxy(central, cheap) as proxy:
        err = _refused(ctx, proxy.url)
        assert "(catalog) has a signature that does not match it" in err.message
        assert _where(ctx) == before
        # the man in the middle answers at the very address the terminal enrolled with
        enrolled = ctx.conn.execute("SELECT central_url FROM sync_state").fetchone()[0]
        with ctx.conn:
            ctx.conn.execute("UPDATE sync_state SET central_url = ?", (proxy.url,))
        out = cli("sync", db=ctx)
        assert out.exit_code == 8 and "did not come from the central service" in out.stderr
        assert _where(ctx) == before
        with ctx.conn:
            ctx.conn.execute("UPDATE sync_state SET central_url = ?", (enrolled,))
    sync(ctx)  # straight to the central service: the real price arrives
    assert _price(ctx) == 24_00


_ATTACKER = keys.generate_keypair()


def _signed(change: dict, private, key_id: str) -> dict:  # noqa: ANN001
    value = private.sign(feed_sig.message(change["cursor"], change["kind"], None, change["body"]))
    return {**change, "body": {**change["body"], "sig": {"key_id": key_id, "value": base64.b64encode(value).decode()}}}


@pytest.mark.parametrize("how", ["unsigned", "attacker_key", "attacker_key_pinned_id", "replayed"])
def test_a_proxy_that_injects_a_change_is_refused_with_nothing_changed(central: Central, terminals, how: str,
                                                                       tmp_path) -> None:
    (ctx,) = terminals(1)
    sync(ctx)
    private, public = _ATTACKER
    pinned = ctx.conn.execute("SELECT central_key_id FROM sync_state").fetchone()[0]
    old = central.query("SELECT pos, body FROM changes WHERE kind = 'catalog' ORDER BY pos LIMIT 1")[0]

    def inject(path: str, page: dict) -> dict:
        at = page["changes"][-1]["at"] if page["changes"] else "2026-12-01T10:00:00.000000Z"
        pos = page["head"] + 1
        if how == "replayed":  # the central key's own signature on an older catalogue, shown again later
            import json

            change = {"cursor": pos, "kind": "catalog", "at": at, "origin": None, "body": json.loads(old["body"])}
        else:
            change = {"cursor": pos, "kind": "key", "at": at, "origin": None,
                      "body": {"key_id": keys.key_id_hex(public), "public_key": keys.public_b64(public),
                               "owner": "central"}}
            if how == "attacker_key":
                change = _signed(change, private, keys.key_id_hex(public))
            elif how == "attacker_key_pinned_id":
                change = _signed(change, private, pinned)
        return {**page, "changes": [*page["changes"], change], "cursor": pos, "head": pos, "more": False}

    central.publish(_doc("23.00"), tmp_path)  # something real on the page too: it must not apply either
    before = _where(ctx)
    with _proxy(central, inject) as proxy:
        err = _refused(ctx, proxy.url)
    assert _where(ctx) == before
    assert ctx.conn.execute("SELECT count(*) FROM keys WHERE key_id = ?", (keys.key_id_hex(public),)).fetchone()[0] == 0
    expected = {"unsigned": "is not signed", "attacker_key": f"signed by key {keys.key_id_hex(public)}",
                "attacker_key_pinned_id": "does not match", "replayed": "does not match"}[how]
    assert expected in err.message
    sync(ctx)
    assert _price(ctx) == 23_00


def test_a_rogue_central_service_holding_the_token_cannot_reprice(central: Central, terminals, tmp_path,
                                                                  request) -> None:  # noqa: ANN001
    (ctx,) = terminals(1)
    sync(ctx)
    rogue_db = central_db("sqlite", tmp_path, request)  # its own database, so its own central key
    row = central.query("SELECT * FROM terminals WHERE id = ?", (ctx.terminal["id"],))[0]
    from boxoffice.central.store.db import connect

    with connect(rogue_db) as db, db.transaction():
        db.insert_rows("terminals", list(row), [tuple(row.values())])  # the stolen token's hash
        db.execute("UPDATE counters SET value = 1000 WHERE name = 'feed'")  # ahead of the terminal's cursor
    rogue = Central("sqlite", rogue_db, CentralServer(rogue_db, tmp_path / "rogue.log"))
    try:
        rogue.publish(_doc("1.00"), tmp_path)
        before = _where(ctx)
        err = _refused(ctx, rogue.url)
        assert "is signed by key" in err.message and "pinned at enrollment" in err.message
        assert _where(ctx) == before and _price(ctx) != 1_00
    finally:
        rogue.server.stop()


def test_a_terminal_that_pinned_no_key_must_enroll_again(central: Central, terminals, cli) -> None:  # noqa: ANN001
    from sync_helpers import enroll

    from boxoffice.store.db import write

    (ctx,) = terminals(1)
    with write(ctx.conn):  # as a terminal enrolled by the release before pinning
        ctx.conn.execute("UPDATE sync_state SET central_key_id = NULL, central_public_key = NULL")
    with pytest.raises(BoxOfficeError) as exc:
        sync(ctx)
    assert exc.value.code == "enroll_again" and "sync enroll" in exc.value.message
    out = cli("sync", db=ctx)
    assert out.exit_code == 8 and "enroll" in out.stderr
    assert "enrolls again" in cli("sync", "status", "--json", db=ctx).json()["warning"]
    enroll(ctx, central)
    assert sync(ctx)["by_kind"]["catalog"] >= 1


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def test_central_migration_6_signs_changes_stored_before(tmp_path, backend: str, request) -> None:  # noqa: ANN001
    import json

    from sync_helpers import pg_schema_url

    from boxoffice.central.services import signing
    from boxoffice.central.services.admin import migrate
    from boxoffice.central.store import schema
    from boxoffice.central.store.db import connect
    from boxoffice.services.sync.feed_check import check_page

    url = pg_schema_url(request.getfixturevalue("pg_database")) if backend == "pg" else str(tmp_path / "old.db")
    now = "2026-12-01T10:00:00.000000Z"
    terminal_key = keys.generate_keypair()[1]
    with connect(url) as db:
        schema.migrate(db, now, upto=4)  # a database of the release before signed feeds
        with db.transaction():
            key, _ = signing.ensure_key(db, now)
            db.insert_rows("changes", ("pos", "kind", "body", "origin", "audience", "at"), [
                (1, "key", json.dumps({"key_id": key["key_id"], "public_key": key["public_key"], "owner": "central"}),
                 None, None, now),
                (2, "key", json.dumps({"key_id": keys.key_id_hex(terminal_key),
                                       "public_key": keys.public_b64(terminal_key),
                                       "owner": "terminal:0190a1b2-0000-7000-8000-000000000001"}), None, None, now),
                (3, "catalog", json.dumps({"sha256": "0" * 64, "doc": _doc()}), None, None, now),
                (4, "revocation", json.dumps({"ticket_id": "0190a1b2-0000-7000-8000-0000000000aa", "at": now,
                                              "reason": "refunded"}), None, None, now),
            ])
            db.execute("UPDATE counters SET value = 4 WHERE name = 'feed'")
        with pytest.raises(BoxOfficeError) as exc:  # run without its step (not the migrate command): refused whole
            schema.migrate(db, now)
        assert exc.value.code == "database_older" and schema.version(db) == 4
    moved = migrate(url)
    assert moved["schema_version"] == schema.LATEST and 6 in moved["migrations"]
    with connect(url) as db:
        stored = db.all("SELECT pos AS cursor, kind, body, origin, at FROM changes ORDER BY pos")
    page = {"changes": [{**r, "body": json.loads(r["body"])} for r in stored], "cursor": 4, "more": False, "head": 4}
    pin = {"key_id": key["key_id"], "public_key": key["public_key"]}
    assert check_page(page, pin, "0190a1b2-0000-7000-8000-000000000002") == 4
    assert migrate(url)["migrations"] == []  # run again: nothing to do
