"""Sync as a terminal meets it: enroll and sync through the CLI, web orders reaching the pickup desk, pickups,
refunds and check-ins made elsewhere, conflicts flagged back, and a malformed answer changing nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sync_helpers import Central, enroll, sell, sync, view

from boxoffice.errors import BoxOfficeError
from boxoffice.services.sync import rounds as sync_service

pytest_plugins = ["sync_support"]


def _web(central: Central, tmp_path, event_id: str, n: int = 1, prefix: str = "shop", **extra) -> list[str]:
    orders = [{"ref": f"{prefix}-{i}", "event_id": event_id, "customer_name": f"Web Customer {i}",
               "email": f"web{i}@example.com", "phone": "+44 7700 900123", "tickets": [
                   {"section_id": "standing", "type": "adult"}], **extra} for i in range(n)]
    out = central.web_orders(orders, tmp_path)
    return out["codes"]


def test_enroll_sync_and_status_through_the_cli(central: Central, make_terminal, cli, clock) -> None:
    ctx = make_terminal(name="CLI counter", fresh=True)
    r = cli("sync", "status", "--json", db=ctx)
    assert r.exit_code == 0 and r.json()["enrolled"] is False
    r = cli("sync", db=ctx)
    assert r.exit_code == 8 and "not enrolled" in r.stderr
    r = cli("sync", "enroll", central.url, central.code("CLI counter"), "--json", db=ctx)
    assert r.exit_code == 0, r.stderr
    # the central service's own key is pinned: what this terminal pulls is checked against it
    central_key = central.scalar("SELECT key_id FROM signing_keys")
    assert cli("sync", "status", "--json", db=ctx).json()["central_key_id"] == central_key
    r = cli("sync", "--json", db=ctx)
    assert r.exit_code == 0, r.stderr
    out = r.json()
    assert out["pushed"] >= 5 and out["by_kind"]["catalog"] == 1 and out["waiting"] == 1
    status = cli("sync", "status", "--json", db=ctx).json()
    assert status["last_good_sync"] and status["warning"] is None and status["entries_waiting"] == 1
    # an hour later with no sync since: a plain warning
    later = clock.advance(hours=1)
    r = cli("sync", "status", now=later, db=ctx)
    assert "WARNING: no good sync for 60 min" in r.stdout
    assert cli("sync", "status", "--warn-after", "90", "--json", now=later, db=ctx).json()["warning"] is None


def test_a_second_enrollment_with_a_spent_code_is_refused(central: Central, make_terminal, cli) -> None:
    a, b = make_terminal(name="A", fresh=True), make_terminal(name="B", fresh=True)
    code = central.code("A")
    assert cli("sync", "enroll", central.url, code, db=a).exit_code == 0
    r = cli("sync", "enroll", central.url, code, "--json", db=b)
    assert r.exit_code == 8 and r.json()["error"]["code"] == "central_refused" and "bad_code" in r.stdout


def test_a_new_terminal_whose_tag_is_taken_draws_another_and_enrolls(central: Central, make_terminal, cli,
                                                                     demo_events) -> None:
    gala, _ = demo_events
    a, b = make_terminal(name="Tag A", fresh=True), make_terminal(name="Tag B", fresh=True)
    enroll(a, central)
    taken = a.terminal["tag"]
    with b.conn:
        b.conn.execute("UPDATE terminal SET tag = ?", (taken,))  # as if the two had drawn the same three characters
    r = cli("sync", "enroll", central.url, central.code("Tag B"), "--json", db=b)
    assert r.exit_code == 0, r.output
    new = b.conn.execute("SELECT tag FROM terminal").fetchone()[0]
    assert new != taken and len(new) == 3
    assert [r[0] for r in b.conn.execute("SELECT kind FROM journal WHERE kind = 'terminal.tag'")] == ["terminal.tag"]
    assert cli("sync", db=b).exit_code == 0
    sold = cli("sell", gala, "--section", "standing", "--type", "adult=1", "--cash", "50", "--json", db=b)
    assert sold.exit_code == 0 and sold.json()["order"].startswith(new), sold.output


def test_a_terminal_that_gave_out_codes_keeps_its_tag_and_is_refused_plainly(central: Central, make_terminal,
                                                                               cli) -> None:
    a, b = make_terminal(name="Kept A", fresh=True), make_terminal(name="Kept B", fresh=True)
    enroll(a, central)
    with b.conn:
        b.conn.execute("UPDATE terminal SET tag = ?, next_order_seq = 7", (a.terminal["tag"],))
    r = cli("sync", "enroll", central.url, central.code("Kept B"), "--json", db=b)
    assert r.exit_code == 8 and r.json()["error"]["code"] == "central_refused" and "tag_taken" in r.stdout
    assert b.conn.execute("SELECT tag FROM terminal").fetchone()[0] == a.terminal["tag"]


def test_unreachable_central_is_a_clear_refusal(make_terminal, cli) -> None:
    ctx = make_terminal(name="Lonely", fresh=True)
    from sync_helpers import free_port

    r = cli("sync", "enroll", f"http://127.0.0.1:{free_port()}", "AAAA-BBBB", db=ctx)
    assert r.exit_code == 8 and "did not answer" in r.stderr


def test_web_orders_reach_the_pickup_desk_and_are_handed_out_once(central, terminals, tmp_path,
                                                                    demo_events) -> None:
    from boxoffice.services.pickup import find, pick_up

    a, b = terminals(2)
    codes = _web(central, tmp_path, demo_events[0], 3, prefix=f"once-{a.terminal['tag']}")
    assert all(c.startswith("W") for c in codes)
    for t in (a, b):
        sync(t)
    found = find(a, "Web Customer 1")
    assert codes[1] in [r["code"] for r in found["results"]]
    assert find(b, codes[2])["results"][0]["code"] == codes[2]
    pick_up(a, codes[0], print_now=False)
    sync(a)
    sync(b)
    with pytest.raises(BoxOfficeError) as exc:
        pick_up(b, codes[0], print_now=False)
    assert exc.value.code == "already_picked_up"


def test_web_import_is_checked_and_idempotent(central: Central, tmp_path, demo_events) -> None:
    ev = demo_events[0]
    first = central.web_orders([{"ref": "idem-1", "event_id": ev, "tickets": [
        {"section_id": "stalls", "seat": "K5", "type": "adult"}]}], tmp_path)
    assert first["imported"] == 1
    again = central.web_orders([{"ref": "idem-1", "event_id": ev, "tickets": [
        {"section_id": "stalls", "seat": "K5", "type": "adult"}]}], tmp_path)
    assert again == {**again, "imported": 0, "already_imported": 1}
    with pytest.raises(BoxOfficeError) as exc:
        central.web_orders([{"ref": "idem-2", "event_id": ev, "tickets": [
            {"section_id": "stalls", "seat": "K5", "type": "adult"},
            {"section_id": "stalls", "seat": "Z99", "type": "adult"},
            {"section_id": "standing", "type": "nope"}]}, {"ref": "idem-3", "event_id": "no-such", "tickets": [
                {"section_id": "standing", "type": "adult"}]}], tmp_path)
    errors = exc.value.details["errors"]
    assert "/orders/0/tickets/1/seat" in " ".join(errors) and "/orders/0/tickets/2/type" in " ".join(errors)
    assert any(e.startswith("/orders/0/tickets/0/seat: already sold") for e in errors)
    assert any(e.startswith("/orders/1/event_id") for e in errors)


def test_refund_on_one_terminal_is_refused_at_another_door(central, terminals, demo_events, clock) -> None:
    from boxoffice.services.door import door_event, scan
    from boxoffice.services.refunds import RefundRequest, refund

    a, b = terminals(2)
    sale = sell(a, demo_events[0], n=2)
    refund(a, RefundRequest(code=sale["order"]["code"], tickets=[sale["tickets"][0]["id"]], print_receipt=False))
    sync(a)
    sync(b)
    gone, kept = sale["tickets"][0], sale["tickets"][1]
    assert b.conn.execute("SELECT reason FROM revocations WHERE ticket_id = ?", (gone["id"],)).fetchone()[0] \
        == "refunded"
    assert b.conn.execute("SELECT status FROM orders WHERE id = ?", (sale["order"]["id"],)).fetchone()[0] \
        == "part_refunded"
    clock.set(clock() + timedelta(days=7, hours=9))  # the event's evening, doors open
    ev = door_event(b, demo_events[0])
    assert scan(b, gone["token"], ev)["code"] == "revoked"
    assert scan(b, kept["token"], ev)["result"] == "admit"


def test_same_order_picked_up_on_two_cut_off_terminals_is_flagged(central, terminals, tmp_path, demo_events,
                                                                  cli) -> None:
    from boxoffice.services.pickup import pick_up

    a, b = terminals(2)
    (code,) = _web(central, tmp_path, demo_events[0], 1, prefix=f"twice-{a.terminal['tag']}")
    sync(a)
    sync(b)
    pick_up(a, code, print_now=False)  # the network is down: neither knows of the other's pickup
    pick_up(b, code, print_now=False)
    first = sync(a)
    second = sync(b)
    assert first["conflicts"] == []
    (flag,) = second["conflicts"]
    assert flag["kind"] == "picked_up_twice" and flag["rule"] == "first applied by central wins; later flagged"
    assert flag["first"]["terminal_id"] == a.terminal["id"] and flag["second"]["terminal_id"] == b.terminal["id"]
    sync(a)
    assert [c["id"] for c in sync_service.conflicts(a, mark_seen=False)] == [flag["id"]]
    r = cli("sync", "conflicts", db=b)
    assert "picked up twice" in r.stdout and code in r.stdout
    assert cli("sync", "conflicts", "--json", db=b).json() == []  # listed once, then seen
    from boxoffice.central.services.admin import list_conflicts

    assert flag["id"] in [c["id"] for c in list_conflicts(central.db_url)]
    # both pickups are kept on both terminals
    ticket = b.conn.execute("SELECT id FROM tickets WHERE order_id = (SELECT id FROM orders WHERE code = ?)",
                            (code,)).fetchone()[0]
    for t in (a, b):
        assert t.conn.execute("SELECT count(*) FROM pickups WHERE ticket_id = ?", (ticket,)).fetchone()[0] == 2


def test_the_same_ticket_checked_in_at_two_doors_is_flagged(central, terminals, demo_events, clock) -> None:
    from boxoffice.services.door import door_event, scan

    a, b, c = terminals(3)
    sale = sell(c, demo_events[0])
    for t in (c, a, b):
        sync(t)
    clock.set(clock() + timedelta(days=7, hours=9))
    token = sale["tickets"][0]["token"]
    assert scan(a, token, door_event(a, demo_events[0]))["result"] == "admit"
    assert scan(b, token, door_event(b, demo_events[0]))["result"] == "admit"
    sync(a)
    out = sync(b)
    assert [f["kind"] for f in out["conflicts"]] == ["checked_in_twice"]
    sync(c)
    # c learnt both check-ins, by nonce, once each
    assert c.conn.execute("SELECT count(*) FROM checkins WHERE ticket_id = ?",
                          (sale["tickets"][0]["id"],)).fetchone()[0] == 2
    assert scan(c, token, door_event(c, demo_events[0]))["code"] == "already_checked_in"


class _Fake:
    """A transport answering with whatever the test says, as a central service: the catalogue, key and revocation
    changes it serves are signed with the key it gave at enrollment (one key for every _Fake of a test run)."""

    from boxoffice.tickets import keys as _keys

    private, public = _keys.generate_keypair()

    def __init__(self, page) -> None:
        self.page = page

    def push(self, entries):
        return {"applied": len(entries), "duplicates": 0, "conflicts": []}

    def changes(self, after, limit):
        if not isinstance(self.page, dict) or not isinstance(self.page.get("changes"), list):
            return self.page
        return {**self.page, "changes": [self.sign(c) for c in self.page["changes"]]}

    @classmethod
    def sign(cls, change):
        import base64

        from boxoffice.wire import feed_sig

        if not isinstance(change, dict) or change.get("kind") not in feed_sig.SIGNED_KINDS \
                or not isinstance(change.get("body"), dict):
            return change
        value = cls.private.sign(feed_sig.message(change["cursor"], change["kind"], None, change["body"]))
        return {**change, "body": {**change["body"], "sig": {"key_id": cls._keys.key_id_hex(cls.public),
                                                             "value": base64.b64encode(value).decode()}}}

    def enroll_challenge(self, body):
        return {"nonce": "n" * 43, "expires_at": "2026-12-01T10:02:00.000000Z"}

    def enroll(self, body):
        keys = self._keys
        return {"token": "bxt_" + "x" * 43, "terminal_id": body["terminal_id"],
                "central_key": {"key_id": keys.key_id_hex(self.public), "public_key": keys.public_b64(self.public)}}


GOOD_KEY = {"cursor": 1, "kind": "key", "at": "2026-12-01T10:00:00.000000Z", "origin": None,
            "body": {"key_id": "00000000", "public_key": "A" * 43 + "=", "owner": "central"}}


@pytest.mark.parametrize("page", [
    {"changes": [], "cursor": 5},
    {"changes": [{**GOOD_KEY, "kind": "Not A Kind"}], "cursor": 1, "more": False, "head": 1},
    {"changes": [{**GOOD_KEY, "body": {"key_id": "zz"}}], "cursor": 1, "more": False, "head": 1},
    {"changes": [GOOD_KEY, GOOD_KEY], "cursor": 1, "more": False, "head": 1},
    {"changes": [GOOD_KEY], "cursor": 0, "more": False, "head": 1},
    ["not", "an", "object"],
], ids=["missing-fields", "malformed-kind", "bad-body", "out-of-order", "cursor-behind", "not-an-object"])
def test_a_malformed_answer_changes_nothing(make_terminal, page) -> None:
    ctx = make_terminal(name="Careful", fresh=True)
    sync_service.enroll(ctx, "https://central.invalid", "CODE", _Fake(page))
    before = view(ctx), ctx.conn.execute("SELECT cursor, head FROM sync_state").fetchone()[:]
    with pytest.raises(BoxOfficeError) as exc:
        sync_service.pull(ctx, _Fake(page))
    assert exc.value.code == "central_refused" and "nothing was changed" in exc.value.message
    assert (view(ctx), ctx.conn.execute("SELECT cursor, head FROM sync_state").fetchone()[:]) == before


def test_a_kind_of_a_later_release_is_parked_and_the_rest_of_the_page_applied(make_terminal, demo_events) -> None:
    """A central service of a later release may send a kind this terminal does not know: the change is kept aside
    (parked, not applied), the known ones around it are applied and the cursor moves on, so a newer central service
    never stops an older terminal's pulls."""
    ctx = make_terminal(name="Older", fresh=True)
    sync_service.enroll(ctx, "https://central.invalid", "CODE", _Fake(None))
    ticket = sell(ctx, demo_events[0])["tickets"][0]["id"]
    at = "2026-12-01T10:00:00.000000Z"
    later = {"cursor": 1, "kind": "pickup_withdrawn", "at": at, "origin": None,
             "body": {"anything": ["a later release", "says"], "ticket_ids": [ticket]}}
    known = {"cursor": 2, "kind": "conflict", "at": at, "origin": None,
             "body": {"id": "01a24500-0000-7000-8000-000000000001", "kind": "checked_in_twice", "subject": ticket,
                      "order_id": None, "ticket_id": ticket, "rule": "first applied by central wins; later flagged",
                      "first": {"terminal_id": "web", "entry_id": "x1", "at": at},
                      "second": {"terminal_id": "web", "entry_id": "x2", "at": at}, "at": at}}
    out = sync_service.pull(ctx, _Fake({"changes": [later, known], "cursor": 2, "more": False, "head": 2}))
    assert out["parked"] == 1
    assert ctx.conn.execute("SELECT cursor FROM sync_state").fetchone()[0] == 2
    parked = ctx.conn.execute("SELECT kind, reason FROM sync_parked").fetchall()
    assert [(r[0], "unknown to this release" in r[1]) for r in parked] == [("pickup_withdrawn", True)]


def test_a_key_that_is_not_its_id_is_parked_not_trusted(make_terminal) -> None:
    ctx = make_terminal(name="Keys", fresh=True)
    sync_service.enroll(ctx, "https://central.invalid", "CODE", _Fake(None))
    out = sync_service.pull(ctx, _Fake({"changes": [GOOD_KEY], "cursor": 1, "more": False, "head": 1}))
    assert out["parked"] == 1
    assert ctx.conn.execute("SELECT count(*) FROM keys WHERE key_id = '00000000'").fetchone()[0] == 0
    assert ctx.conn.execute("SELECT cursor FROM sync_state").fetchone()[0] == 1


def test_an_order_for_an_unknown_event_waits_for_its_catalogue(make_terminal, demo_events) -> None:
    from boxoffice.services.demo_catalog import demo_catalog

    bare = make_terminal(name="Bare", fresh=True, catalog=False)
    sync_service.enroll(bare, "https://central.invalid", "CODE", _Fake(None))
    donor = make_terminal(name="Donor", fresh=True)
    sale = sell(donor, demo_events[0])
    body = {"order": {k: sale["order"][k] for k in ("id", "code", "event_id", "channel", "terminal_id", "status",
                                                     "customer_name", "email", "phone", "notes", "total", "tax",
                                                     "currency", "created_at")},
            "tickets": [{k: t[k] for k in ("id", "section_id", "row", "seat", "ticket_type_id", "price", "tax",
                                           "token")} for t in sale["tickets"]]}
    at = "2026-12-01T10:00:00.000000Z"
    order = {"cursor": 1, "kind": "order", "at": at, "origin": donor.terminal["id"], "body": body}
    assert sync_service.pull(bare, _Fake({"changes": [order], "cursor": 1, "more": False, "head": 1}))["parked"] == 1
    cat = {"cursor": 2, "kind": "catalog", "at": at, "origin": None,
           "body": {"sha256": "0" * 64, "doc": demo_catalog(donor.now().date())}}
    out = sync_service.pull(bare, _Fake({"changes": [cat], "cursor": 2, "more": False, "head": 2}))
    assert out["parked"] == 0
    assert bare.conn.execute("SELECT code FROM orders").fetchone()[0] == sale["order"]["code"]


def test_watch_backs_off_with_jitter_and_recovers() -> None:
    import random

    from boxoffice.services.sync.watch import Backoff, watch

    outcomes = iter([BoxOfficeError("central_unreachable", "down")] * 4 + [None, None])
    waits: list[float] = []

    def step():
        o = next(outcomes)
        if o is not None:
            raise o
        return {"ok": True}

    seen = []
    rounds = watch(step, lambda r, e, w: seen.append((r is not None, w)), Backoff(interval=5, base=2, cap=300,
                                                                                  rng=random.Random(1)),
                   sleep=waits.append, rounds=6)
    assert rounds == 6
    failures = [w for ok, w in seen if not ok]
    assert [ok for ok, _ in seen] == [False] * 4 + [True, True]
    assert all(0 <= w <= min(300, 2 * 2 ** (i + 1)) for i, w in enumerate(failures))
    assert len(set(failures)) == 4  # jittered, not a fixed ladder
    assert all(4.5 <= w <= 5.5 for ok, w in seen if ok)


def test_watch_stops_cleanly_on_ctrl_c(central: Central, make_terminal, tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    ctx = make_terminal(name="Watcher", fresh=True)
    enroll(ctx, central)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    proc = subprocess.Popen([sys.executable, "-c", "from boxoffice.cli.main import run; run()", "--db",
                             str(ctx.config.db_path), "sync", "--watch", "--interval", "0.2", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline and len(lines) < 3:
        lines.append(proc.stdout.readline())
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    rounds = [json.loads(x) for x in lines + out.splitlines() if x.strip()]
    assert rounds[0]["ok"] and rounds[0]["pushed"] >= 5
    assert all(r["ok"] for r in rounds)
    assert "Traceback" not in err


def test_a_push_sends_what_was_waiting_when_it_began(central: Central, terminals, open_ctx, demo_events) -> None:  # noqa: ANN001
    """On a busy counter sales keep coming while a push is out: they wait for the next round, so the round reaches
    its pull and the other terminals' sales arrive here without waiting for this counter to fall quiet."""
    from sync_helpers import client

    from boxoffice.store import sync_state

    (a,) = terminals(1)
    sync(a)
    for _ in range(3):
        sell(a, demo_events[0])
    waiting = sync_state.pending_count(a.conn)
    url, token = sync_service.credentials(a)
    real, counter = client(url, token), open_ctx(a)

    class BusyCounter:
        """Sells once more at the same counter while each push is on the wire."""

        def push(self, entries):  # noqa: ANN001, ANN202
            sell(counter, demo_events[0])
            return real.push(entries)

    with real:
        first = sync_service.push(a, BusyCounter(), batch=2)
        assert first["pushed"] == waiting
        left = sync_state.pending_count(a.conn)
        assert left > 0  # the sales made during the push, for the next round
        assert sync_service.push(a, real)["pushed"] == left
    assert sync_state.pending_count(a.conn) == 0
    assert central.scalar("SELECT count(*) AS n FROM journal WHERE terminal_id = ?", (a.terminal["id"],)) == \
        a.conn.execute("SELECT count(*) FROM journal").fetchone()[0]
