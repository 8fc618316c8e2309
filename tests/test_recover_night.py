"""A scripted night with a restore from an older backup in the middle.

A counter runs its night through the services (a shift with a float, walk-up sales in the standing area and in
reserved seats, a refund, an exchange into a seat, a web order picked up, a check-in at the door, cash in and out,
the drawer opened, a pause, an incident, complaints, a reprint, places given back, the shift closed with its count),
syncing as it goes. Half-way through, a backup is taken; at the end the terminal syncs, and its database is kept
aside as the original. Then the older backup is restored (`boxoffice restore`) and `boxoffice sync recover` rebuilds
the terminal from the central service.

The recovered database must equal the original, table by table and row by row. Left out, and why:
- print_jobs: the printer queue is this machine's (a recovered terminal does not print the night again);
- session: who is logged in here now, and since when (local, not part of what was sold);
- sync_state: times of this terminal's last pull, push and sync, and the feed head it last saw (its own
  bookkeeping; the central URL, token and cursor are compared);
- sync_conflicts: received_at and seen_at (when the flag arrived here and was looked at);
- allocation_grants.applied_at, allocation_events.since, allocation_stops.applied_at and .lifted_at: when this
  terminal applied what it pulled (the grants themselves, their positions and what they hold are compared);
- keys.added_at of keys pulled again; order_search: the pickup desk's index, rebuilt from the orders;
- journal.pushed_at: when the central service acknowledged each entry; and the recovered journal has, after the
  original's entries (compared whole: id, number, kind, operator, time, payload, hashes), the restore and the
  recovery themselves.

Then the night goes on: every synced sale is on the terminal again, no order code, ticket id, journal number or
place is given twice, and sync works (no journal_diverged), on SQLite and PostgreSQL central services.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from conftest import PINS
from night_kit import act_as, dump, refund, sell
from sync_helpers import Central, sync

from boxoffice.central.services.allocation_admin import allocate
from boxoffice.domain.money import parse_amount
from boxoffice.services import allocations as allocation_service
from boxoffice.services import complaints, shifts
from boxoffice.services.door import door_event, scan
from boxoffice.services.exchanges import ExchangeRequest, exchange
from boxoffice.services.incidents import add_note, close_incident, open_incident
from boxoffice.services.orders import reprint
from boxoffice.services.pauses import pause, resume
from boxoffice.services.pickup import pick_up

pytest_plugins = ["sync_support"]

SEATS = [f"A{i}" for i in range(1, 11)]


def _copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close(), b.close()
    return dst


def _without(rows: list[tuple], columns: list[str], drop: tuple[str, ...]) -> list[tuple]:
    keep = [i for i, c in enumerate(columns) if c not in drop]
    return sorted((tuple(r[i] for i in keep) for r in rows), key=repr)


def _columns(db: Path, table: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    finally:
        conn.close()


LOCAL_COLUMNS = {
    "sync_state": ("enrolled_at", "head", "last_push_at", "last_pull_at", "last_good_sync", "last_attempt_at",
                   "last_error", "newest_change_at"),
    "sync_conflicts": ("received_at", "seen_at"),
    "allocation_grants": ("applied_at",),
    "allocation_events": ("since",),
    "allocation_stops": ("applied_at", "lifted_at"),
    "keys": ("added_at",),
    "journal": ("pushed_at",),
}
LOCAL_TABLES = ("print_jobs", "session", "checkpoints")  # checkpoints: signed heads of this database's own journal


def compare(original: Path, recovered: Path) -> dict[str, int]:
    """Every table of the two databases, row by row (module docstring); returns the rows compared per table."""
    before, after = dump(original), dump(recovered)
    assert set(before) == set(after)
    compared = {}
    for table in sorted(before):
        if table in LOCAL_TABLES:
            continue
        cols = _columns(original, table)
        old = _without(before[table], cols, LOCAL_COLUMNS.get(table, ()))
        new = _without(after[table], cols, LOCAL_COLUMNS.get(table, ()))
        if table == "journal":
            old_ids = {r[cols.index("id")] for r in before[table]}
            extra = [r for r in after[table] if r[cols.index("id")] not in old_ids]
            assert sorted(r[cols.index("kind")] for r in extra) == ["recover", "restore"], extra
            new = _without([r for r in after[table] if r[cols.index("id")] in old_ids], cols, ("pushed_at",))
        assert new == old, f"{table} differs after the recovery"
        compared[table] = len(old)
    return compared


def _night_first_half(ctx: Any, clock: Any, central: Central, gala: str) -> dict[str, Any]:
    """The shift opens, sales in both sections, a sync."""
    act_as(ctx, "sam")
    shift = shifts.open_shift(ctx, parse_amount("100.00", "GBP"))
    made = {"shift": shift["id"], "sales": []}
    clock.advance(minutes=5)
    made["sales"].append(sell(ctx, gala, "standing", {"adult": 2}, "cash"))
    clock.advance(minutes=5)
    made["sales"].append(sell(ctx, gala, "stalls", {"adult": 2}, "card", seats=["A1", "A2"]))
    clock.advance(minutes=5)
    made["sales"].append(sell(ctx, gala, "standing", {"child": 1, "adult": 1}, "split"))
    sync(ctx)
    return made


def _night_second_half(ctx: Any, clock: Any, central: Central, gala: str, tmp_path: Path,
                       made: dict[str, Any]) -> None:
    """After the backup: more sales, a refund, an exchange, a web order picked up, cash, pause, incident (and
    complaints), reprint, places given back; then the door on the evening, the shift closed, and a sync."""
    clock.advance(minutes=10)
    act_as(ctx, "sam")
    made["sales"].append(sell(ctx, gala, "stalls", {"adult": 1, "concession": 1}, "cash", seats=["A3", "A4"]))
    clock.advance(minutes=5)
    made["sales"].append(sell(ctx, gala, "standing", {"adult": 3}, "card"))
    clock.advance(minutes=5)
    first = made["sales"][0]
    refund(ctx, first["order"]["code"], tickets=[first["tickets"][0]["id"]])
    clock.advance(minutes=5)
    moved = exchange(ctx, ExchangeRequest(code=made["sales"][2]["order"]["code"],
                                          tickets=[made["sales"][2]["tickets"][1]["id"]], section_id="stalls",
                                          seats=["A5"], counts={"adult": 1},
                                          tenders=[_cash(20)]))
    made["exchange"] = moved
    shifts.cash_move(ctx, "in", parse_amount("50.00", "GBP"), "change from the bar")
    shifts.cash_move(ctx, "out", parse_amount("20.00", "GBP"), "float for the cloakroom")
    shifts.drawer_open(ctx, "a customer's change query")
    # a web order, imported after the backup, reaches the desk and is handed out
    web = central.web_orders([{"ref": f"night-{ctx.terminal['tag']}", "event_id": gala,
                               "customer_name": "Nell Web", "email": "nell@example.com",
                               "tickets": [{"section_id": "standing", "type": "adult"}]}], tmp_path)
    sync(ctx)
    act_as(ctx, "pat")
    clock.advance(minutes=5)
    pick_up(ctx, web["codes"][0], print_now=False)
    act_as(ctx, "sue")
    p = pause(ctx, "queue at the door", what="sales", event=gala)
    clock.advance(minutes=2)
    resume(ctx, p["id"])
    inc = open_incident(ctx, "printer 2 jammed", "minor")
    add_note(ctx, inc["id"], "cleared the paper path")
    complaint = complaints.add(ctx, "queue", "waited while the printer was jammed", event=gala)["complaint"]
    complaints.add(ctx, "price", order=made["sales"][1]["order"]["code"])
    complaints.close(ctx, complaint["id"], "apologised")
    close_incident(ctx, inc["id"], "printer back")
    reprint(ctx, made["sales"][1]["order"]["code"])
    allocation_service.release(ctx, gala, "standing", 2)
    # the evening: doors open, a check-in
    clock.set(clock() + timedelta(days=7, hours=8, minutes=50))
    act_as(ctx, "dan")
    ev = door_event(ctx, gala)
    assert scan(ctx, made["sales"][1]["tickets"][0]["token"], ev)["result"] == "admit"
    assert scan(ctx, first["tickets"][0]["token"], ev)["code"] == "revoked"
    act_as(ctx, "sam")
    clock.advance(minutes=30)
    z = shifts.close_shift(ctx, parse_amount("150.00", "GBP"), note="a busy night", supervisor=("sue", "222222"))
    assert z["kind"] == "Z"
    act_as(ctx, "ada")
    sync(ctx)


def _cash(amount: int) -> Any:
    from boxoffice.domain.tenders import Tender

    return Tender("cash", amount=amount * 100)


def test_a_night_restored_from_an_older_backup_is_rebuilt_row_by_row(central: Central, terminals, clock, cli,
                                                                     tmp_path: Path) -> None:
    (ctx,) = terminals(1)
    ctx.config.values["allocation"] = {"top_up_below": 0}  # here and in the CLI (below): grants by hand only
    cfg = tmp_path / "boxoffice.toml"
    cfg.write_text("[allocation]\ntop_up_below = 0\n", encoding="utf-8")
    sync(ctx)
    gala = ctx.conn.execute("SELECT id FROM events WHERE id LIKE 'gala%'").fetchone()[0]
    allocate(central.db_url, gala, ctx.terminal["id"], "standing", 20, [])
    allocate(central.db_url, gala, ctx.terminal["id"], "stalls", 0, SEATS)
    assert sync(ctx)["grants_applied"] == 2
    db = ctx.config.db_path
    made = _night_first_half(ctx, clock, central, gala)

    backup = cli("--config", cfg, "backup", "--to", tmp_path / "usb", "--json", db=ctx)
    assert backup.exit_code == 0, backup.output
    _night_second_half(ctx, clock, central, gala, tmp_path, made)
    assert cli("login", "ada", db=ctx, pin=PINS["ada"]).exit_code == 0  # a week on: yesterday's session has ended
    sync(ctx)  # the login is pushed like any entry: nothing unsent when the backup goes back
    assert ctx.conn.execute("SELECT count(*) FROM journal WHERE pushed_at IS NULL").fetchone()[0] == 0
    original = _copy(db, tmp_path / "original" / "terminal.db")
    codes_before = {r[0] for r in ctx.conn.execute("SELECT code FROM orders WHERE terminal_id = ?",
                                                   (ctx.terminal["id"],))}

    restored = cli("--config", cfg, "restore", backup.json()["file"], "--yes", "--json", db=ctx)
    assert restored.exit_code == 0, restored.output
    said = restored.json()
    assert said["older"] and said["state"] == "needed" and not said["lost"]
    assert said["since_backup"]["sale"] == 2 and said["since_backup"]["refund"] == 1
    assert said["since_text"].startswith("2 sales, 1 refund, 1 exchange, 1 pickup, 1 check-in")

    recovered = cli("--config", cfg, "sync", "recover", "--json", db=ctx)
    assert recovered.exit_code == 0, recovered.output
    out = recovered.json()
    assert out["not_rebuilt"] == [] and out["clashes"] == [] and out["reappended"] == [] and out["lost"] is None
    assert out["by_kind"]["sale"] == 2 and out["by_kind"]["exchange"] == 1 and out["by_kind"]["pickup"] == 1
    assert "sync_error" not in out

    recovered_copy = _copy(db, tmp_path / "recovered" / "terminal.db")
    rows = compare(original, recovered_copy)
    for table in ("orders", "tickets", "payments", "refunds", "refund_items", "exchanges", "exchange_items",
                  "pickups", "checkins", "shifts", "cash_movements", "pauses", "incidents", "incident_notes",
                  "complaints",
                  "revocations", "seats", "sections", "allocation_grants", "terminal", "operators"):
        assert rows[table] > 0, table

    # The terminal holds what the central service says it holds, and has sold what it says it sold.
    held = {(h["section_id"]): (h["held"], h["sold"]) for h in allocation_service.holdings(ctx, gala)}
    central_count = central.scalar("SELECT count FROM allocations WHERE event_id = ? AND section_id = 'standing'"
                                   " AND terminal_id = ?", (gala, ctx.terminal["id"]))
    central_seats = central.scalar("SELECT count(*) AS n FROM allocated_seats WHERE event_id = ? AND"
                                   " section_id = 'stalls' AND terminal_id = ?", (gala, ctx.terminal["id"]))
    assert held["standing"][0] == central_count == 18 and held["stalls"][0] == central_seats == 10
    sold_centrally = central.scalar(
        "SELECT count(*) AS n FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.terminal_id = ? AND"
        " t.section_id = 'standing' AND t.status = 'valid'", (ctx.terminal["id"],))
    assert held["standing"][1] == sold_centrally

    # The night goes on: new codes, no place twice, sync as before.
    act_as(ctx, "sam")
    left = held["standing"][0] - held["standing"][1]
    new_codes = []
    while left:
        more = sell(ctx, gala, "standing", {"adult": min(left, 10)}, "cash")
        new_codes.append(more["order"]["code"])
        left -= min(left, 10)
    assert not set(new_codes) & codes_before
    late = sell(ctx, gala, "stalls", {"adult": 1}, "cash")
    assert late["tickets"][0]["row"] + late["tickets"][0]["seat"] not in {"A1", "A2", "A3", "A4", "A5"}
    from boxoffice.errors import BoxOfficeError

    try:
        sell(ctx, gala, "standing", {"adult": 1}, "cash")
        raise AssertionError("a place beyond the allocation was sold")
    except BoxOfficeError as exc:
        assert exc.code == "not_allocated"
    again = sync(ctx)
    assert again["pushed"] > 0 and again["conflicts"] == []
    codes = [r["code"] for r in central.query("SELECT code FROM orders WHERE terminal_id = ?",
                                              (ctx.terminal["id"],))]
    assert len(codes) == len(set(codes)) == len(codes_before) + len(new_codes) + 1
    ticket_ids = [r["id"] for r in central.query("SELECT t.id FROM tickets t JOIN orders o ON o.id = t.order_id"
                                                 " WHERE o.terminal_id = ?", (ctx.terminal["id"],))]
    assert len(ticket_ids) == len(set(ticket_ids))
    seqs = [r["seq"] for r in central.query("SELECT seq FROM journal WHERE terminal_id = ? ORDER BY seq",
                                            (ctx.terminal["id"],))]
    assert seqs == list(range(1, len(seqs) + 1)), "one journal, every number once, no gap"
    assert central.scalar("SELECT count(*) AS n FROM conflicts WHERE second_terminal = ?",
                          (ctx.terminal["id"],)) == 0
    assert cli("login", "ada", db=ctx, pin=PINS["ada"]).exit_code == 0  # the backup's session is a week old
    verified = cli("--config", cfg, "audit", "verify", "--json", db=ctx)
    assert verified.exit_code == 0, verified.output
    shutil.rmtree(tmp_path / "original")
