"""Doors admit pretix tickets: pretix_sig1 secrets made by a real pretix verified offline with the event's keys;
tampered, foreign, revoked, expired secrets refused; a pretix web order's secret found once it synced; the journal
entry of a ticket admitted before its order synced carries the secret, and the central service keeps it."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest
from pickup_fixtures import Central as CentralKey
from pretix_kit import buy, cancel, make_event
from pretix_server import PretixServer
from sync_helpers import sync

from boxoffice.domain.ids import uuid7
from boxoffice.services.context import Ctx
from boxoffice.services.door import door_event, scan, stats
from boxoffice.services.sync.apply import Inbox
from boxoffice.tickets import pretix_sig1

pytest_plugins = ["sync_support"]

GALA, JAZZ = "gala-1208", "jazz-1215"
GALA_EVENING = "2026-12-08T19:00:00Z"  # doors opened 18:45 (London = UTC in December)


# --- the real pretix ----------------------------------------------------------------------------------------


def _event(server: PretixServer, *, sig1: bool) -> dict[str, Any]:
    """A pretix event of ours with one item in one quota (sig1: its tickets carry pretix_sig1 secrets)."""
    slug = f"pxdoor-{'s' if sig1 else 'r'}{secrets.token_hex(3)}"
    made = make_event(server, slug, quotas={"stalls": 100}, items={"adult": ("25.00", ["stalls"])}, sig1=sig1)
    return {"slug": slug, "item": made["items"]["adult"]}


def _buy(server: PretixServer, ev: dict[str, Any], *, valid_from: str | None = None,
         valid_until: str | None = None) -> dict[str, Any]:
    """A paid pretix order of one ticket: its code and the ticket's secret as pretix made it."""
    o = buy(server, ev["slug"], ev["item"], email="door@example.org", price="25.00", valid_from=valid_from,
            valid_until=valid_until)
    return {"code": o["code"], "secret": o["positions"][0]["secret"]}


def _keys(server: PretixServer, ev: dict[str, Any]) -> list[str]:
    with server.client() as c:
        return list(c.get(f"events/{ev['slug']}/").json()["valid_keys"]["pretix_sig1"])


@pytest.fixture(scope="session")
def shop(pretix_server: PretixServer) -> dict[str, Any]:
    """Two sig1 events (one mirrored by the Winter Gala, one by Late Night Jazz) and one with random secrets, with
    the tickets the tests scan."""
    px = pretix_server
    gala, jazz, plain = _event(px, sig1=True), _event(px, sig1=True), _event(px, sig1=False)
    out = {"gala": gala, "jazz": jazz, "plain": plain,
           "ok": _buy(px, gala), "again": _buy(px, gala), "cli": _buy(px, gala), "later": _buy(px, gala),
           "expired": _buy(px, gala, valid_until="2026-12-08T12:00:00Z"),
           "early": _buy(px, gala, valid_from="2026-12-08T21:00:00Z"),
           "canceled": _buy(px, gala), "jazz_ticket": _buy(px, jazz), "random": _buy(px, plain)}
    cancel(px, gala["slug"], out["canceled"]["code"])
    with px.client() as c:
        out["revoked"] = [r["secret"] for r in c.get(f"events/{gala['slug']}/revokedsecrets/").json()["results"]]
    out["gala_keys"], out["jazz_keys"] = _keys(px, gala), _keys(px, jazz)
    return out


def _catalogue(shop: dict[str, Any], today: Any) -> dict[str, Any]:
    """The demo catalogue with each event mirroring a pretix event (the catalogue's ``pretix`` block)."""
    from boxoffice.services.demo_catalog import demo_catalog

    doc = demo_catalog(today)
    for ev, which in zip(doc["events"], ("gala", "jazz"), strict=True):
        ev["pretix"] = {"event": shop[which]["slug"], "sig1_keys": shop[f"{which}_keys"]}
    return doc


@pytest.fixture
def door(terminal: Ctx, shop: dict[str, Any], clock: Any, login: Any) -> Ctx:
    """A terminal whose catalogue carries the pretix keys, at the Winter Gala's door, dan (door) logged in."""
    from boxoffice.services.catalog import import_catalog

    import_catalog(terminal, _catalogue(shop, clock().date()))
    clock.set(GALA_EVENING)
    login(terminal, "dan")
    return terminal


def _scan(ctx: Ctx, text: str, event: str = GALA, direction: str = "in") -> dict[str, Any]:
    return dict(scan(ctx, text, door_event(ctx, event), direction))


def _journal(ctx: Ctx, kind: str) -> list[dict[str, Any]]:
    return [json.loads(r[0]) for r in ctx.conn.execute("SELECT payload FROM journal WHERE kind = ? ORDER BY seq",
                                                       (kind,))]


def _tamper(secret: str, at: int) -> str:
    """The secret with one byte of its payload changed, framed as pretix frames it (so only the signature fails)."""
    raw = bytearray(base64.b64decode(secret[::-1]))
    raw[5 + at] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()[::-1]


# --- the service ----------------------------------------------------------------------------------------------


def test_a_sig1_ticket_pretix_made_is_admitted_offline_once(door: Ctx, shop: dict[str, Any]) -> None:
    first = _scan(door, shop["ok"]["secret"])
    assert (first["result"], first["code"], first["ticket_id"]) == ("admit", None, None)
    assert first["seen_in_sync"] is False and "not seen in synced data" in first["message"]
    assert f"item {shop['gala']['item']}" in first["message"]
    again = _scan(door, shop["ok"]["secret"])
    assert (again["result"], again["code"], again["message"]) == ("refused", "already_checked_in",
                                                                  "already in since 19:00")
    entries = _journal(door, "checkin")
    assert len(entries) == 1 and entries[0]["ticket"] is None
    assert entries[0]["external_secret"] == shop["ok"]["secret"] and entries[0]["pretix_item"] == shop["gala"]["item"]
    assert entries[0]["nonce"] == first["nonce"]
    counts = stats(door, GALA)
    assert (counts["in_now"], counts["checked_in"], counts["entries"], counts["refused"]) == (1, 1, 1, 1)


def test_the_catalogue_keeps_the_pretix_block_whole(door: Ctx, shop: dict[str, Any]) -> None:
    from boxoffice.services.catalog_export import export_catalog

    events = {e["id"]: e for e in export_catalog(door)["events"]}
    assert events[GALA]["pretix"] == {"event": shop["gala"]["slug"], "sig1_keys": shop["gala_keys"]}
    assert events[JAZZ]["pretix"]["sig1_keys"] == shop["jazz_keys"]


def test_a_tampered_secret_is_refused_as_forged(door: Ctx, shop: dict[str, Any]) -> None:
    for at in (0, 3, 12):  # the seed's tag, inside the seed, the item
        out = _scan(door, _tamper(shop["again"]["secret"], at))
        assert (out["result"], out["code"]) == ("refused", "bad_signature"), at
    assert _journal(door, "checkin") == []
    assert _scan(door, shop["again"]["secret"])["result"] == "admit"  # the genuine one still goes in


def test_a_secret_of_another_event_is_refused(door: Ctx, shop: dict[str, Any]) -> None:
    out = _scan(door, shop["jazz_ticket"]["secret"])
    assert (out["result"], out["code"]) == ("refused", "wrong_event")
    assert out["message"] == "ticket is for Late Night Jazz, not Winter Gala"
    door.conn.execute("UPDATE events SET pretix = NULL WHERE id = ?", (JAZZ,))  # keys known for no event here
    door.cache.pop("pretix_keys", None)
    out = _scan(door, shop["jazz_ticket"]["secret"])
    assert (out["result"], out["code"]) == ("refused", "bad_signature")
    assert _journal(door, "checkin") == []


def test_a_revoked_secret_is_refused(door: Ctx, shop: dict[str, Any]) -> None:
    canceled = shop["canceled"]["secret"]
    assert canceled in shop["revoked"]
    box = Inbox(door, door.now_iso())
    for n, secret in enumerate(shop["revoked"], 1):
        box.apply({"cursor": n, "kind": "revoked_secret",
                   "body": {"event_id": shop["gala"]["slug"], "secret": secret}})
    box.finish()
    assert box.counts["revoked_secret"] == len(shop["revoked"])
    out = _scan(door, canceled)
    assert (out["result"], out["code"]) == ("refused", "revoked")
    assert _journal(door, "checkin") == []


def test_a_secret_outside_its_validity_is_refused(door: Ctx, shop: dict[str, Any], clock: Any) -> None:
    expired = _scan(door, shop["expired"]["secret"])
    assert (expired["result"], expired["code"]) == ("refused", "wrong_day") and "no longer valid" in expired["message"]
    early = _scan(door, shop["early"]["secret"])
    assert (early["result"], early["code"]) == ("refused", "wrong_day") and "not valid yet" in early["message"]
    clock.set("2026-12-08T21:30:00Z")
    assert _scan(door, shop["early"]["secret"])["result"] == "admit"


def _web_order(key: CentralKey, secret: str) -> dict[str, Any]:
    """A pretix web order as the feed brings it: a boxoffice ticket signed centrally, carrying its pretix secret."""
    tid = uuid7()
    return {"order": {"id": uuid7(), "code": key.next_code(), "event_id": GALA, "channel": "web", "terminal_id": None,
                      "status": "paid", "customer_name": "Web Customer", "email": None, "phone": None, "notes": None,
                      "total": 2500, "tax": 0, "currency": "GBP", "created_at": "2026-12-02T10:00:00Z"},
            "tickets": [{"id": tid, "section_id": "standing", "row": None, "seat": None, "ticket_type_id": "adult",
                         "price": 2500, "tax": 0, "token": key.sign(tid, GALA, "standing"),
                         "external_secret": secret}]}


def _pull(ctx: Ctx, *changes: tuple[str, dict[str, Any]]) -> Inbox:
    """Apply feed changes as a pull does (the central side of these kinds is the bridge's)."""
    from boxoffice.store.db import write

    box = Inbox(ctx, ctx.now_iso())
    with write(ctx.conn):
        for n, (kind, body) in enumerate(changes, 1):
            box.apply({"cursor": n, "kind": kind, "body": body})
        box.finish()
    return box


def test_a_random_pretix_secret_is_admitted_only_once_its_order_synced(door: Ctx, shop: dict[str, Any],
                                                                       login: Any) -> None:
    from boxoffice.services.web_orders import import_keys

    secret = shop["random"]["secret"]
    assert not pretix_sig1.looks_like(secret)
    before = _scan(door, secret)
    assert (before["result"], before["code"]) == ("refused", "malformed_token")
    key = CentralKey.make()
    login(door, "ada")
    import_keys(door, key.keys_doc())
    login(door, "dan")
    body = _web_order(key, secret)
    assert _pull(door, ("web_order", body)).counts["web_order"] == 1
    tid = body["tickets"][0]["id"]
    assert door.conn.execute("SELECT external_secret FROM tickets WHERE id = ?", (tid,)).fetchone()[0] == secret
    admitted = _scan(door, secret)
    assert (admitted["result"], admitted["ticket_id"], admitted["seen_in_sync"]) == ("admit", tid, True)
    assert admitted["place"] == "Standing"
    assert _scan(door, secret)["code"] == "already_checked_in"
    assert _scan(door, body["tickets"][0]["token"])["code"] == "already_checked_in"  # one ticket, two QR codes
    entry = _journal(door, "checkin")[-1]
    assert entry["ticket"] == tid and entry["external_secret"] == secret


def test_a_sig1_ticket_admitted_before_its_order_synced_stays_in(door: Ctx, shop: dict[str, Any],
                                                                 login: Any) -> None:
    from boxoffice.services.web_orders import import_keys

    secret = shop["later"]["secret"]
    assert _scan(door, secret)["result"] == "admit"
    key = CentralKey.make()
    login(door, "ada")
    import_keys(door, key.keys_doc())
    login(door, "dan")
    body = _web_order(key, secret)
    _pull(door, ("web_order", body))
    by_secret = _scan(door, secret)
    assert (by_secret["code"], by_secret["ticket_id"]) == ("already_checked_in", body["tickets"][0]["id"])
    assert _scan(door, body["tickets"][0]["token"])["code"] == "already_checked_in"
    assert stats(door, GALA)["in_now"] == 1


# --- the command line -------------------------------------------------------------------------------------------


def test_scanning_pretix_secrets_at_the_command_line(door: Ctx, shop: dict[str, Any], cli: Any) -> None:
    good = shop["cli"]["secret"]
    lines = "\n".join([good, good, _tamper(good, 5), shop["jazz_ticket"]["secret"], "NOT-A-TICKET"]) + "\n"
    run = cli("scan", "--event", GALA, db=door, input=lines)
    assert run.exit_code == 6
    out = [ln.strip() for ln in run.stdout.splitlines() if ln.strip()]
    assert out[0].startswith("ADMIT  pretix ticket (item") and out[1] == "NOT SEEN IN SYNCED DATA: tell a supervisor"
    assert out[2:] == ["REFUSED: already in since 19:00",
                       "REFUSED: pretix ticket not signed by Winter Gala's keys: forged, or for another event; "
                       "refuse entry; send the customer to the box office",
                       "REFUSED: ticket is for Late Night Jazz, not Winter Gala",
                       out[-1]]
    assert out[-1].startswith("REFUSED: ")
    js = cli("scan", "check", "--event", GALA, "--json", db=door, input=good + "\n" + shop["expired"]["secret"] + "\n")
    objects = [json.loads(ln) for ln in js.stdout.splitlines()]
    assert [o["error"]["code"] for o in objects] == ["already_checked_in", "wrong_day"]
    assert set(objects[0]) == {"result", "ticket_id", "place", "event_id", "direction", "nonce", "at", "seen_in_sync",
                               "error"}
    assert all(good not in o["error"]["message"] for o in objects)


# --- the upgrade ------------------------------------------------------------------------------------------------


def test_a_database_at_0026_keeps_its_tickets_and_scans_through_0027(tmp_path: Any) -> None:
    from boxoffice.store import migrations
    from boxoffice.store.db import connect

    path = tmp_path / "old.db"
    old = connect(path, create=True, migrate=False)
    assert migrations.ensure_current(old, upto="0026_operator_language")[-1] == "0026_operator_language"
    old.execute("INSERT INTO checkins (id, ticket_id, event_id, direction, at, terminal_id, result)"
                " VALUES ('c1', 't1', 'gala', 'in', '2026-12-08T19:00:00Z', 'term', 'admitted')")
    old.commit()
    old.close()
    conn = connect(path)
    assert "0027_pretix" in migrations.applied(conn)
    assert tuple(conn.execute("SELECT ticket_id, result, external_secret FROM checkins WHERE id = 'c1'").fetchone()) \
        == ("t1", "admitted", None)
    for table, column in (("tickets", "external_secret"), ("events", "pretix")):
        assert column in [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    assert conn.execute("SELECT count(*) FROM revoked_external_secrets").fetchone()[0] == 0
    conn.close()


# --- the central service keeps it ---------------------------------------------------------------------------


def test_two_doors_admitting_one_sig1_ticket_are_flagged_centrally(central: Any, terminals: Any,
                                                                  pretix_server: PretixServer, shop: dict[str, Any],
                                                                  clock: Any, login: Any, tmp_path: Any) -> None:
    from conftest import T0

    central.publish(_catalogue(shop, T0.date()), tmp_path)
    one, two = terminals(2)
    for ctx in (one, two):
        sync(ctx)
        assert ctx.conn.execute("SELECT pretix FROM events WHERE id = ?", (GALA,)).fetchone()[0] is not None
    clock.set(GALA_EVENING)
    secret = _buy(pretix_server, shop["gala"])["secret"]  # a new ticket: each central backend sees its own
    answers = []
    for ctx in (one, two):
        login(ctx, "dan")
        answers.append(_scan(ctx, secret))
    assert [a["result"] for a in answers] == ["admit", "admit"]  # cut off from each other, both let it in
    for ctx in (one, two):
        sync(ctx)
    rows = central.query("SELECT terminal_id, kind, payload FROM journal WHERE kind = 'checkin'")
    mine = [r for r in rows if json.loads(r["payload"]).get("external_secret") == secret]
    assert sorted(r["terminal_id"] for r in mine) == sorted(c.terminal["id"] for c in (one, two))
    flags = central.query("SELECT kind, subject FROM conflicts")
    assert [f["kind"] for f in flags if f["kind"] == "unpublishable"] == []
    twice = [f for f in flags if f["kind"] == "checked_in_twice" and f["subject"].startswith("pretix:")]
    assert len(twice) == 1 and secret not in twice[0]["subject"]


def test_a_terminal_rebuilt_from_the_central_service_still_knows_the_ticket_is_in(
        central: Any, make_terminal: Any, cli: Any, pretix_server: PretixServer, shop: dict[str, Any], clock: Any,
        login: Any, tmp_path: Any) -> None:
    from conftest import T0

    central.publish(_catalogue(shop, T0.date()), tmp_path)
    ctx = make_terminal(name="Door rebuilt", fresh=True)
    assert cli("sync", "enroll", central.url, central.code("Door rebuilt"), db=ctx).exit_code == 0
    assert cli("sync", db=ctx).exit_code == 0
    made = cli("backup", "--to", tmp_path / "usb", "--json", db=ctx)
    assert made.exit_code == 0, made.output
    clock.set(GALA_EVENING)
    secret = _buy(pretix_server, shop["gala"])["secret"]
    login(ctx, "dan")
    assert _scan(ctx, secret)["result"] == "admit"
    login(ctx, "ada")
    assert cli("sync", db=ctx).exit_code == 0
    restored = cli("restore", made.json()["file"], "--yes", db=ctx)
    assert restored.exit_code == 0, restored.output
    recovered = cli("sync", "recover", "--json", db=ctx)
    assert recovered.exit_code == 0, recovered.output
    rows = ctx.conn.execute("SELECT ticket_id, external_secret FROM checkins WHERE result = 'admitted'").fetchall()
    assert [tuple(r) for r in rows] == [(None, secret)]
    login(ctx, "dan")
    ctx.cache.clear()
    assert _scan(ctx, secret)["code"] == "already_checked_in"


# --- hostile input to the parser ----------------------------------------------------------------------------


def _forge(payload: bytes, *, version: int = 1, n: int | None = None, m: int | None = None,
           sig: bytes | None = None) -> tuple[str, str]:
    """A secret framed as pretix frames it, signed with a key of ours; and that key in pretix's form."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    private = Ed25519PrivateKey.generate()
    signature = private.sign(payload) if sig is None else sig
    raw = (bytes([version]) + (len(payload) if n is None else n).to_bytes(2, "big")
           + (len(signature) if m is None else m).to_bytes(2, "big") + payload + signature)
    pem = private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(raw).decode()[::-1], base64.b64encode(pem).decode()


def _field(number: int, value: int | bytes) -> bytes:
    def varint(v: int) -> bytes:
        out = bytearray()
        v &= (1 << 64) - 1
        while True:
            b, v = v & 0x7F, v >> 7
            out.append(b | (0x80 if v else 0))
            if not v:
                return bytes(out)

    if isinstance(value, bytes):
        return varint(number << 3 | 2) + varint(len(value)) + value
    return varint(number << 3) + varint(value)


GOOD = _field(1, b"abcdefghi") + _field(2, 42)
NOW = int(datetime(2026, 12, 8, 19, tzinfo=UTC).timestamp())


def test_a_forged_secret_in_pretix_form_parses_and_verifies_only_with_its_key() -> None:
    text, key = _forge(GOOD + _field(5, NOW - 60) + _field(6, NOW + 60))
    ok = pretix_sig1.check(text, [key], NOW)
    assert ok.status == pretix_sig1.OK and ok.ticket is not None
    assert (ok.ticket.seed, ok.ticket.item, ok.ticket.valid_from, ok.ticket.valid_until) == ("abcdefghi", 42,
                                                                                             NOW - 60, NOW + 60)
    assert pretix_sig1.check(text, [key], NOW + 61).status == pretix_sig1.EXPIRED
    assert pretix_sig1.check(text, [key], NOW - 61).status == pretix_sig1.NOT_YET_VALID
    _, other = _forge(GOOD)
    assert pretix_sig1.check(text, [other], NOW).status == pretix_sig1.BAD_SIGNATURE
    assert pretix_sig1.check(text, [], NOW).status == pretix_sig1.BAD_SIGNATURE
    assert pretix_sig1.check(text, ["not a key", "QUJD", "x" * 5000, other, key], NOW).key_index == 4


@pytest.mark.parametrize("text", [
    None, 42, b"bytes", "", " ", "A" * 10_000, "not base64 at all!", "====", "QQ==",  # nothing of it
    _forge(GOOD)[0][:40],  # truncated
    _forge(GOOD)[0][4:],  # the end cut off (the text is reversed)
    _forge(GOOD, version=2)[0], _forge(GOOD, version=0)[0],  # wrong version
    _forge(GOOD, n=65535)[0], _forge(GOOD, m=65535)[0], _forge(GOOD, n=0)[0],  # lengths that lie
    _forge(GOOD, n=len(GOOD) - 1)[0], _forge(GOOD, m=63)[0],
    _forge(GOOD * 30)[0],  # a payload past the cap
    _forge(GOOD)[0] + "=",  # padding out of place
    _forge(GOOD)[0].replace("A", "-"),  # an alphabet pretix does not use
    "\u00e9" * 100, "\x00" * 100,
])
def test_hostile_text_is_malformed_never_an_exception(text: Any) -> None:
    out = pretix_sig1.check(text, [], NOW)
    assert out.status in (pretix_sig1.MALFORMED, pretix_sig1.BAD_SIGNATURE) and out.ticket is None


@pytest.mark.parametrize("payload", [
    b"",  # empty: refused by the frame
    b"\x0a\x09abc",  # a length past the end
    b"\x10" + b"\xff" * 11,  # a varint longer than 10 bytes
    b"\x10" + b"\xff" * 9 + b"\x7f",  # a varint past 64 bits
    b"\x0b\x0c",  # a group
    b"\x0f",  # wire type 7
    b"\x00\x01",  # field number 0
    _field(1, 7) + _field(2, 42),  # the seed as a number
    _field(1, b"abc") + _field(2, b"xy"),  # the item as bytes
    _field(1, b"\xff\xfe") + _field(2, 42),  # a seed that is not UTF-8
    _field(1, b"s" * 100) + _field(2, 42),  # a seed past the cap
    _field(2, 42),  # no seed
    _field(1, b"abc"),  # no item
    _field(1, b"abc") + _field(2, -5),  # a negative item
    _field(1, b"abc") + _field(2, 42) + b"\x1d\x00\x00",  # a fixed32 cut short
])
def test_a_signed_payload_that_is_no_ticket_is_malformed(payload: bytes) -> None:
    text, key = _forge(payload)
    out = pretix_sig1.check(text, [key], NOW)
    assert out.status == pretix_sig1.MALFORMED and out.ticket is None


def test_unknown_fields_are_skipped_and_zero_bounds_mean_none() -> None:
    payload = GOOD + _field(3, 7) + _field(5, 0) + _field(6, 0) + _field(9, 5) + _field(10, b"future") \
        + bytes([11 << 3 | 5]) + b"\x00\x00\x00\x00" + bytes([12 << 3 | 1]) + b"\x00" * 8
    text, key = _forge(payload)
    out = pretix_sig1.check(text, [key], NOW)
    assert out.status == pretix_sig1.OK and out.ticket is not None
    assert (out.ticket.variation, out.ticket.valid_from, out.ticket.valid_until) == (7, None, None)
