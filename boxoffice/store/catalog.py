"""Catalogue tables: write an imported catalogue, read events, sections, seats, ticket types and prices."""

from __future__ import annotations

import sqlite3
from typing import Any

from boxoffice.store.db import one, rows


def _insert(conn: sqlite3.Connection, table: str, items: list[dict[str, Any]]) -> None:
    if not items:
        return
    cols = list(items[0])
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    conn.executemany(sql, [tuple(it[c] for c in cols) for it in items])


def upsert_venue(conn: sqlite3.Connection, venue: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO venue (id, name, timezone, currency) VALUES (:id, :name, :timezone, :currency)"
        " ON CONFLICT(id) DO UPDATE SET name=excluded.name, timezone=excluded.timezone, currency=excluded.currency",
        venue,
    )


def tickets_sold(conn: sqlite3.Connection, event_id: str) -> int:
    return conn.execute("SELECT count(*) FROM tickets WHERE event_id = ?", (event_id,)).fetchone()[0]


def layout_of(conn: sqlite3.Connection, event_id: str) -> tuple[set, set]:
    """The (section, kind, capacity) and (section, seat) sets, to tell whether a re-import changes the layout."""
    secs = {(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT id, kind, capacity FROM sections WHERE event_id = ?", (event_id,))}
    seats = {(r[0], r[1]) for r in conn.execute("SELECT section_id, label FROM seats WHERE event_id = ?", (event_id,))}
    return secs, seats


def replace_event(conn: sqlite3.Connection, ev: dict[str, Any], at: str, owns_inventory: bool) -> None:
    """Write an event with no sales yet, whole: its old rows go first."""
    conn.execute("DELETE FROM events WHERE id = ?", (ev["event"]["id"],))
    conn.execute(
        "INSERT INTO events (id, venue_id, name, starts_at, doors_at, timezone, currency, tax_rate_bp,"
        " per_order_limit, reentry, real_name, holder_changes_max, per_customer_limit, pretix, updated_at) VALUES"
        " (:id, :venue_id, :name, :starts_at, :doors_at, :timezone, :currency, :tax_rate_bp, :per_order_limit,"
        " :reentry, :real_name, :holder_changes_max, :per_customer_limit, :pretix, :updated_at)",
        {"per_customer_limit": None, "pretix": None} | ev["event"] | {"updated_at": at},
    )
    alloc = 1 if owns_inventory else 0
    _insert(conn, "sections", [s | {"allocated": s["capacity"] * alloc if s["kind"] == "general" else 0}
                               for s in ev["sections"]])
    _insert(conn, "seats", [s | {"allocated": alloc} for s in ev["seats"]])
    _replace_sales_terms(conn, ev)


def update_event_terms(conn: sqlite3.Connection, ev: dict[str, Any], at: str) -> None:
    """An event with sales keeps its layout; names, times, prices, limits and refund policy may change."""
    conn.execute(
        "UPDATE events SET name=:name, starts_at=:starts_at, doors_at=:doors_at, timezone=:timezone,"
        " tax_rate_bp=:tax_rate_bp, per_order_limit=:per_order_limit, reentry=:reentry, real_name=:real_name,"
        " holder_changes_max=:holder_changes_max, per_customer_limit=:per_customer_limit, pretix=:pretix,"
        " updated_at=:updated_at WHERE id=:id",
        {"per_customer_limit": None, "pretix": None} | ev["event"] | {"updated_at": at},
    )
    for s in ev["sections"]:
        conn.execute("UPDATE sections SET name=? WHERE event_id=? AND id=?", (s["name"], s["event_id"], s["id"]))
    _replace_sales_terms(conn, ev)


def _replace_sales_terms(conn: sqlite3.Connection, ev: dict[str, Any]) -> None:
    eid = ev["event"]["id"]
    conn.execute("DELETE FROM prices WHERE event_id = ?", (eid,))
    conn.execute("DELETE FROM refund_tiers WHERE event_id = ?", (eid,))
    conn.execute("DELETE FROM refund_demand_bands WHERE event_id = ?", (eid,))
    conn.execute("DELETE FROM ticket_types WHERE event_id = ?", (eid,))
    _insert(conn, "ticket_types", ev["ticket_types"])
    _insert(conn, "prices", ev["prices"])
    _insert(conn, "refund_tiers", ev["refund_tiers"])
    _insert(conn, "refund_demand_bands", ev.get("demand_bands", []))


def venue(conn: sqlite3.Connection) -> dict | None:
    return one(conn, "SELECT * FROM venue LIMIT 1")


def list_events(conn: sqlite3.Connection) -> list[dict]:
    """Events with capacity and sold counts (GA counters plus sold reserved seats)."""
    return rows(conn, """
        SELECT e.id, e.name, e.starts_at, e.doors_at, e.timezone, e.currency,
               (SELECT coalesce(sum(capacity), 0) FROM sections s WHERE s.event_id = e.id) AS capacity,
               (SELECT count(*) FROM tickets t WHERE t.event_id = e.id AND t.status = 'valid') AS sold
        FROM events e ORDER BY e.starts_at, e.id""")


def get_event(conn: sqlite3.Connection, event_id: str) -> dict | None:
    return one(conn, "SELECT * FROM events WHERE id = ?", (event_id,))


def sections(conn: sqlite3.Connection, event_id: str) -> list[dict]:
    """Sections with what is free, held, sold and in this terminal's allocation."""
    return rows(conn, """
        SELECT s.*,
          CASE s.kind WHEN 'general' THEN s.allocated - s.sold
            ELSE (SELECT count(*) FROM seats x WHERE x.event_id = s.event_id AND x.section_id = s.id
                  AND x.status = 'free' AND x.allocated = 1) END AS available,
          CASE s.kind WHEN 'general' THEN s.sold
            ELSE (SELECT count(*) FROM seats x WHERE x.event_id = s.event_id AND x.section_id = s.id
                  AND x.status = 'sold') END AS sold_count,
          CASE s.kind WHEN 'general' THEN 0
            ELSE (SELECT count(*) FROM seats x WHERE x.event_id = s.event_id AND x.section_id = s.id
                  AND x.status = 'held') END AS held
        FROM sections s WHERE s.event_id = ? ORDER BY s.position""", (event_id,))


def section(conn: sqlite3.Connection, event_id: str, section_id: str) -> dict | None:
    return one(conn, "SELECT * FROM sections WHERE event_id = ? AND id = ?", (event_id, section_id))


def seats(conn: sqlite3.Connection, event_id: str, section_id: str) -> list[dict]:
    return rows(conn, "SELECT * FROM seats WHERE event_id = ? AND section_id = ? ORDER BY row_index, seat_index",
                (event_id, section_id))


def seat_sellers(conn: sqlite3.Connection, event_id: str, section_id: str) -> dict[str, str | None]:
    """Each seat of a section with a valid ticket here, and the terminal whose order it is (None: the web shop).

    Orders pulled from other terminals are here too, so a seat another terminal sold shows as sold even though it
    was never in this terminal's seat stock."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT t.row || t.seat, o.terminal_id FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.event_id = ?"
        " AND t.section_id = ? AND t.status = 'valid' AND t.row IS NOT NULL ORDER BY o.created_at DESC",
        (event_id, section_id))}


def ticket_types(conn: sqlite3.Connection, event_id: str) -> list[dict]:
    return rows(conn, "SELECT * FROM ticket_types WHERE event_id = ? ORDER BY position", (event_id,))


def prices(conn: sqlite3.Connection, event_id: str) -> list[dict]:
    return rows(conn, "SELECT * FROM prices WHERE event_id = ?", (event_id,))


def refund_tiers(conn: sqlite3.Connection, event_id: str) -> list[dict]:
    return rows(conn, "SELECT * FROM refund_tiers WHERE event_id = ? ORDER BY position", (event_id,))


def demand_bands(conn: sqlite3.Connection, event_id: str) -> list[dict]:
    """The event's refund demand bands, from the least sold to the most sold."""
    return rows(conn, "SELECT * FROM refund_demand_bands WHERE event_id = ? ORDER BY position", (event_id,))


def places_sold(conn: sqlite3.Connection, event_id: str) -> tuple[int, int]:
    """(places sold, capacity) of an event as this terminal knows them: valid tickets of paid orders (its own sales,
    and other terminals' and the web shop's as synced), as the capacity report counts them, over the sum of the
    sections' capacities."""
    r = conn.execute(
        "SELECT (SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id"
        "        WHERE t.event_id = ? AND t.status = 'valid' AND o.status <> 'unpaid'),"
        " (SELECT coalesce(sum(capacity), 0) FROM sections WHERE event_id = ?)", (event_id, event_id)).fetchone()
    return int(r[0]), int(r[1])
