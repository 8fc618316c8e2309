"""A privacy purge of a past event: the customers' names, e-mails and phones leave the database file, the money,
tickets and journal stay, `audit verify` still passes (old entries without a salt, new ones with), a recent event
is refused saying when it becomes purgeable, and --dry-run changes nothing. Through the CLI and the service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from boxoffice.domain.chain import canonical, entry_hash
from boxoffice.domain.tenders import Tender
from boxoffice.errors import BoxOfficeError
from boxoffice.services import privacy
from boxoffice.services.audit import verify
from boxoffice.services.sales import SaleRequest, sell

ANNA = {"customer_name": "Annabel Wrexham-Quist", "email": "annabel.quist@example.org", "phone": "+44 7700 900321"}
BORIS = {"customer_name": "Boris Ozymandias", "email": "boris.ozy@example.net", "phone": "+44 7700 900654"}
TRACES = ("Wrexham", "wrexham", "annabel.quist", "900321", "Ozymandias", "ozymandias", "boris.ozy", "900654")


def _sale(ctx: Any, event: str, who: dict[str, str], n: int = 2) -> dict[str, Any]:
    return sell(ctx, SaleRequest(event_id=event, section_id="standing", counts={"adult": n},
                                 tenders=[Tender("cash", 100_000)], print_receipt=False, **who))


def _traces(ctx: Any) -> list[str]:
    ctx.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(ctx.config.db_path)
    data = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    return [t for t in TRACES if t.encode() in data]


def _sales_total(cli: Any, db: Any) -> int:
    r = cli("report", "sales", "--by", "event", "--json", db=db)
    assert r.exit_code == 0, r.output
    return int(r.json()["total"]["amount"] if isinstance(r.json().get("total"), dict) else r.json()["total"])


def _legacy_sale(ctx: Any, event: str, who: dict[str, str]) -> None:
    """A sale as a release before this one journalled it: its entry has no salt (rewritten and rechained here,
    as that release would have written it)."""
    _sale(ctx, event, who, 1)
    last = ctx.conn.execute("SELECT * FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    payload = json.loads(last["payload"])
    assert "privacy_salt" in payload  # this release salts it
    payload.pop("privacy_salt")
    text = canonical(payload)
    h = entry_hash(last["prev_hash"], id=last["id"], seq=last["seq"], terminal_id=last["terminal_id"],
                   kind=last["kind"], operator_id=last["operator_id"], at=last["at"], payload=text)
    with ctx.conn:
        ctx.conn.execute("UPDATE journal SET payload = ?, hash = ? WHERE seq = ?", (text, h, last["seq"]))


def test_purge_of_a_past_event_keeps_money_and_chain(terminal, clock, cli, demo_events, login) -> None:
    gala, jazz = demo_events
    _legacy_sale(terminal, gala, BORIS)
    _sale(terminal, gala, ANNA)
    kept = _sale(terminal, jazz, {"customer_name": "Kept Customer", "email": "kept@example.com", "phone": None})
    before = cli("report", "sales", "--by", "event", "--json", db=terminal)
    assert before.exit_code == 0, before.output
    assert verify(terminal)["ok"]

    clock.advance(days=60)  # both events are long past; keep_days is 30 by default
    login(terminal, "sue")
    dry = cli("privacy", "purge", "--event", gala, "--dry-run", "--json", db=terminal)
    assert dry.exit_code == 0, dry.output
    assert dry.json()["rows"]["orders"] == 2 and dry.json()["journal_entries"] == 2
    assert {"Ozymandias", "annabel.quist", "900654"} <= set(_traces(terminal))  # nothing changed
    login(terminal, "pat")
    assert cli("pickup", "find", "Ozymandias", "--json", db=terminal).json()["results"]  # indexed for the desk
    login(terminal, "sue")

    out = cli("privacy", "purge", "--event", gala, db=terminal)
    assert out.exit_code == 0, out.output
    assert "Erased the customer data" in out.stdout
    assert _traces(terminal) == []
    rows = terminal.conn.execute("SELECT customer_name, email, phone, phone_digits FROM orders WHERE event_id = ?",
                                 (gala,)).fetchall()
    assert rows and all(tuple(r) == (None, None, None, None) for r in rows)
    # the other event keeps its customer
    assert terminal.conn.execute("SELECT customer_name FROM orders WHERE id = ?",
                                 (kept["order"]["id"],)).fetchone()[0] == "Kept Customer"
    after = cli("report", "sales", "--by", "event", "--json", db=terminal)
    assert after.json() == before.json()  # the money is all there
    check = cli("audit", "verify", "--json", db=terminal)
    assert check.exit_code == 0, check.output
    assert check.json()["ok"]
    # tickets are intact; the journal has every entry plus the purge
    assert terminal.conn.execute("SELECT count(*) FROM tickets WHERE event_id = ?", (gala,)).fetchone()[0] == 3
    purge_entry = json.loads(terminal.conn.execute("SELECT payload FROM journal WHERE kind = 'privacy.purge'")
                             .fetchone()[0])
    assert purge_entry["event_id"] == gala and len(purge_entry["erased"]) == 2
    # the pickup desk finds the order by code still, by name no more
    login(terminal, "pat")
    found = cli("pickup", "find", "Ozymandias", "--json", db=terminal)
    assert found.exit_code == 3 and "nothing matches" in found.output, found.output


def test_an_erased_entry_changed_afterwards_is_caught(terminal, clock, demo_events, login) -> None:
    gala, _ = demo_events
    _sale(terminal, gala, ANNA)
    clock.advance(days=45)
    login(terminal, "sue")
    privacy.purge(terminal, gala)
    assert verify(terminal)["ok"]
    seq = terminal.conn.execute("SELECT seq FROM journal WHERE kind = 'sale' ORDER BY seq DESC").fetchone()[0]
    with terminal.conn:
        terminal.conn.execute("UPDATE journal SET payload = replace(payload, '\"total\":', '\"total\":1') "
                              "WHERE seq = ?", (seq,))
    with pytest.raises(BoxOfficeError) as exc:
        verify(terminal)
    assert exc.value.code == "audit_failed"


def test_a_recent_event_is_refused_with_the_day_it_becomes_purgeable(terminal, clock, cli, demo_events,
                                                                      login, tmp_path) -> None:
    gala, _ = demo_events
    _sale(terminal, gala, ANNA)
    login(terminal, "sue")
    r = cli("privacy", "purge", "--event", gala, db=terminal)
    assert r.exit_code == 4
    assert "purgeable from" in r.stderr and "keep_days" in r.stderr
    assert "annabel.quist" in _traces(terminal)
    # a shorter keep_days from the config file lets it go sooner
    clock.advance(days=12)
    with pytest.raises(BoxOfficeError) as exc:
        privacy.purge(terminal, gala)
    assert exc.value.code == "not_purgeable_yet"
    terminal.config.values["privacy"] = {"keep_days": 3}
    assert privacy.purge(terminal, gala)["rows"]["orders"] == 1


def test_only_a_supervisor_purges(terminal, clock, cli, demo_events, login) -> None:
    gala, _ = demo_events
    clock.advance(days=60)
    login(terminal, "sam")
    r = cli("privacy", "purge", "--event", gala, db=terminal)
    assert r.exit_code == 5


def test_keep_days_is_checked_in_the_config_file(tmp_path) -> None:
    from boxoffice.config import load

    f = tmp_path / "boxoffice.toml"
    f.write_text("[privacy]\nkeep_days = 0\n")
    with pytest.raises(BoxOfficeError) as exc:
        load(str(f))
    assert exc.value.code == "bad_config"
    f.write_text("[privacy]\nkeep_days = 14\n")
    assert load(str(f)).privacy == {"keep_days": 14}


def test_migration_0018_keeps_the_rows_of_the_previous_schema(tmp_path) -> None:
    import sqlite3

    from boxoffice.store import migrations

    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    migrations.ensure_current(conn, upto="0014_key_revocations")
    conn.execute("INSERT INTO venue (id, name, timezone, currency) VALUES ('v', 'Hall', 'UTC', 'EUR')")
    conn.execute("INSERT INTO events (id, venue_id, name, starts_at, timezone, currency, updated_at) VALUES"
                 " ('e', 'v', 'Old night', '2026-01-01T19:00:00Z', 'UTC', 'EUR', '2026-01-01T00:00:00Z')")
    conn.execute("INSERT INTO orders (id, code, event_id, customer_name, total, currency, created_at) VALUES"
                 " ('o', 'ABC-1', 'e', 'Old Customer', 100, 'EUR', '2026-01-01T10:00:00Z')")
    assert "0018_privacy" in migrations.ensure_current(conn)
    assert conn.execute("SELECT customer_name FROM orders").fetchone()[0] == "Old Customer"
    assert conn.execute("SELECT count(*) FROM privacy_purges").fetchone()[0] == 0


def test_real_name_holders_are_erased_with_the_chain_still_verifying(terminal, clock, login) -> None:  # noqa: ANN001
    """A real-name event's holders (name, keyed ID hash, last four, and the binding that would confirm a guessed
    name) go from the holder table and from the sale's journal entry; the audit chain still verifies."""
    from realname_kit import JANE, LI, make_real_name, sell_named

    gala = make_real_name(terminal)
    sold = sell_named(terminal, gala, LI, JANE)
    clock.advance(days=40)
    login(terminal, "sue")
    out = privacy.purge(terminal, gala)
    assert out["rows"]["ticket_holders"] == 2
    left = terminal.conn.execute("SELECT count(*) FROM ticket_holders WHERE coalesce(name, '') <> ''"
                                 " OR coalesce(id_hash, '') <> '' OR coalesce(binding, '') <> ''").fetchone()[0]
    assert left == 0 and {t["id"] for t in sold["tickets"]} == {
        r[0] for r in terminal.conn.execute("SELECT ticket_id FROM ticket_holders")}
    terminal.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = Path(terminal.config.db_path).read_bytes()
    assert "李小明".encode() not in data and b"Jane Doe" not in data
    login(terminal, "ada")
    assert verify(terminal)["ok"]
