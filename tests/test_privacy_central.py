"""A privacy purge syncs: a terminal's purge of a past event reaches a real central service on loopback (SQLite and
PostgreSQL), which erases its own copy (orders, the feed's private bodies, the terminal's journal copies) keeping
the money; the central service's own purge command refuses a recent event and erases a past one; a terminal rebuilt
from the central copy of a purged journal gets a chain that verifies. A central database of the previous schema
moves to version 11 keeping its rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Central, client, sync

from boxoffice.central.services.admin import enroll_code
from boxoffice.domain.tenders import Tender
from boxoffice.services import privacy
from boxoffice.services.audit import verify
from boxoffice.services.sales import SaleRequest, sell
from boxoffice.services.sync.rounds import enroll as do_enroll

pytest_plugins = ["sync_support"]

CAROL = {"customer_name": "Carolina Pemberton-Vask", "email": "carolina.vask@example.org",
         "phone": "+44 7700 900777"}
TRACES = ("Pemberton", "carolina.vask", "900777")


def _enrolled(make_terminal: Any, central: Central, name: str) -> Any:
    ctx = make_terminal(name=name, fresh=True)
    ctx.config.values["allocation"] = {"top_up_below": 5, "top_up_to": 10}
    with client(central.url) as c:
        do_enroll(ctx, central.url, enroll_code(central.db_url, name)["code"], c)
    return ctx


def _central_text(central: Central, event: str) -> str:
    """Everything the central database holds of the event's customers, as text to search."""
    orders = central.query("SELECT customer_name, email, phone, notes FROM orders WHERE event_id = ?", (event,))
    journal = central.query("SELECT payload FROM journal WHERE payload LIKE ?", (f"%{event}%",))
    changes = central.query("SELECT body, private_body FROM changes WHERE kind = 'order'")
    return repr(orders) + repr(journal) + repr(changes)


def _past_here(central: Central, event: str, days: int = 60) -> None:
    """The central catalogue dates the event ``days`` before the central service's own clock: it judges a pushed
    purge by that clock, and the test clock moves only the terminals'."""
    from datetime import UTC, datetime, timedelta

    from boxoffice.central.store.db import connect
    from boxoffice.domain.clock import iso

    with connect(central.db_url) as db, db.transaction():
        db.execute("UPDATE events SET starts_at = ? WHERE id = ?", (iso(datetime.now(UTC) - timedelta(days=days)),
                                                                    event))


def _sale(ctx: Any, event: str) -> dict[str, Any]:
    return sell(ctx, SaleRequest(event_id=event, section_id="standing", counts={"adult": 2},
                                 tenders=[Tender("cash", 100_000)], print_receipt=False, **CAROL))


def test_a_terminal_purge_reaches_the_central_copy(central: Central, make_terminal, clock, demo_events, login,
                                                   cli) -> None:
    gala, _ = demo_events
    counter = _enrolled(make_terminal, central, "Counter P")
    sync(counter)
    sale = _sale(counter, gala)
    clock.advance(days=40)
    login(counter, "sue")
    # not yet at the central service: the purge would erase entries it never received
    with pytest.raises(Exception) as exc:
        privacy.purge(counter, gala)
    assert getattr(exc.value, "code", None) == "sync_first"
    sync(counter)
    assert all(t in _central_text(central, gala) for t in TRACES)
    money = central.query("SELECT total, currency FROM orders WHERE id = ?", (sale["order"]["id"],))

    login(counter, "sue")  # the clock moved past the login's hours
    out = cli("privacy", "purge", "--event", gala, "--json", db=counter)
    assert out.exit_code == 0, out.output
    _past_here(central, gala)
    sync(counter)

    text = _central_text(central, gala)
    assert [t for t in TRACES if t in text] == []
    assert central.query("SELECT total, currency FROM orders WHERE id = ?", (sale["order"]["id"],)) == money
    assert central.scalar("SELECT count(*) AS n FROM tickets WHERE order_id = ?", (sale["order"]["id"],)) == 2
    done = central.query("SELECT status, origin FROM privacy_purges WHERE event_id = ?", (gala,))
    assert done == [{"status": "done", "origin": counter.terminal["id"]}]
    assert verify(counter)["ok"]


def test_the_central_purge_command(central: Central, make_terminal, clock, demo_events, cli) -> None:
    _, jazz = demo_events
    counter = _enrolled(make_terminal, central, "Counter Q")
    sync(counter)
    _sale(counter, jazz)
    sync(counter)
    early = cli("central", "privacy", "purge", "--event", jazz, "--db", central.db_url)
    assert early.exit_code == 4 and "purgeable from" in early.stderr
    clock.advance(days=60)
    dry = cli("central", "privacy", "purge", "--event", jazz, "--dry-run", "--json", "--db", central.db_url)
    assert dry.exit_code == 0, dry.output
    assert dry.json()["rows"]["orders"] >= 1
    assert "carolina.vask" in _central_text(central, jazz)
    out = cli("central", "privacy", "purge", "--event", jazz, "--db", central.db_url)
    assert out.exit_code == 0, out.output
    assert "Erased the customer data" in out.stdout
    assert [t for t in TRACES if t in _central_text(central, jazz)] == []
    missing = cli("central", "privacy", "purge", "--event", "no-such-event", "--db", central.db_url)
    assert missing.exit_code == 3


def test_a_central_purge_reaches_every_terminal_at_its_next_sync(central: Central, make_terminal, clock,
                                                                 demo_events, cli, login) -> None:
    """The central admin's purge goes out on the signed feed: each terminal erases its own copy at its next sync
    (nobody logged in there), its audit chain still verifies, and its purge entry goes back up."""
    _, jazz = demo_events
    seller = _enrolled(make_terminal, central, "Counter S")
    desk = _enrolled(make_terminal, central, "Desk D")
    sync(seller)
    sale = _sale(seller, jazz)
    sync(seller)
    sync(desk)  # the desk pulled the order (and her name with it, as a pickup desk may)
    clock.advance(days=60)
    out = cli("central", "privacy", "purge", "--event", jazz, "--db", central.db_url)
    assert out.exit_code == 0, out.output
    for ctx in (seller, desk):
        assert ctx.conn.execute("SELECT count(*) FROM orders WHERE customer_name LIKE '%Pemberton%'").fetchone()[0]
        cli("logout", db=ctx)
        sync(ctx)
        assert ctx.conn.execute("SELECT count(*) FROM orders WHERE customer_name LIKE '%Pemberton%'"
                                " OR email LIKE '%vask%'").fetchone()[0] == 0
        assert ctx.conn.execute("SELECT count(*) FROM privacy_pending").fetchone()[0] == 0
        login(ctx, "ada")
        assert verify(ctx)["ok"]
    assert seller.conn.execute("SELECT total FROM orders WHERE id = ?", (sale["order"]["id"],)).fetchone()[0] \
        == sale["order"]["total"]
    origins = {r["origin"] for r in central.query("SELECT origin FROM privacy_purges WHERE event_id = ?", (jazz,))}
    assert seller.terminal["id"] in origins  # the seller's purge entry reached the central service


def test_previous_central_schema_upgrades(tmp_path: Path) -> None:
    from boxoffice.central.store import schema
    from boxoffice.central.store.db import connect

    url = str(tmp_path / "old.db")
    with connect(url) as db:
        schema.migrate(db, "2026-12-01T10:00:00Z", upto=7)
        with db.transaction():
            db.execute("INSERT INTO orders (id, code, event_id, channel, status, customer_name, total, tax, currency,"
                       " created_at) VALUES ('o1', 'AAA-1', 'e1', 'web', 'paid', 'Kept Name', 100, 0, 'EUR',"
                       " '2026-12-01T10:00:00Z')")
        moved = schema.migrate(db, "2026-12-02T10:00:00Z")
        assert 11 in moved["migrations"] and schema.version(db) == schema.LATEST
        assert db.scalar("SELECT customer_name FROM orders WHERE id = 'o1'") == "Kept Name"
        assert db.all("SELECT * FROM privacy_purges") == []


def test_a_terminal_rebuilt_from_the_purged_central_copy_verifies(central: Central, make_terminal, clock,
                                                                   demo_events, login, tmp_path: Path) -> None:
    from boxoffice.services.backup import backup, restore
    from boxoffice.services.sync.recovery import recover

    gala, _ = demo_events
    ctx = _enrolled(make_terminal, central, "Counter R")
    sync(ctx)
    copy = Path(backup(ctx, tmp_path / "usb")["file"])  # before the sale: recovery brings the sale back
    _sale(ctx, gala)
    sync(ctx)
    clock.advance(days=40)
    login(ctx, "sue")
    privacy.purge(ctx, gala)
    _past_here(central, gala)
    login(ctx, "ada")  # an admin restores
    sync(ctx)
    out = restore(ctx, copy, central=lambda url, token: client(url, token))
    assert out["state"] == "needed", out
    token = ctx.conn.execute("SELECT token FROM sync_state").fetchone()[0]
    with client(central.url, token) as real:
        back = recover(ctx, real)
    assert back["by_kind"]["sale"] == 1, back
    assert "privacy.purge" not in str(back.get("not_rebuilt")), back
    # this event's purge once (the shared central service may also have ordered purges of other events)
    assert ctx.conn.execute("SELECT count(*) FROM journal WHERE kind = 'privacy.purge'"
                            " AND json_extract(payload, '$.event_id') = ?", (gala,)).fetchone()[0] == 1
    login(ctx, "sue")
    assert verify(ctx)["ok"]
    assert ctx.conn.execute("SELECT count(*) FROM orders WHERE customer_name IS NOT NULL AND event_id = ?",
                            (gala,)).fetchone()[0] == 0
