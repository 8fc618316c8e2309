"""Where every place of an event is, seen from the central service: free, held by the venue, sold on the web,
allocated to which terminal, sold by which terminal.

Read from the grants (central/ledger.py, read only) and the tickets the central service holds (web orders and
every terminal's synced sales), so a sale a terminal has not pushed yet shows as its allocation, not as sold.
Reserved sections: one state per seat, with the seat layout of the published catalogue. Standing sections: per
terminal its allocation, what it has sold and what it has left, beside what the web shop sold and what is free.
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.services import allocation_ledger as ledger
from boxoffice.central.services import published
from boxoffice.central.store import sales, terminals
from boxoffice.central.store.db import CentralDB
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

WEB = "web"


def _sold(db: CentralDB, event_id: str) -> list[dict[str, Any]]:
    """Valid tickets of the event with the terminal (or the web shop) whose order they are, oldest order first."""
    return sales.event_tickets_valid(db, event_id)


def seat_map(db: CentralDB, event_id: str, section_id: str | None = None) -> dict[str, Any]:
    """The event's places, section by section (see the module docstring for what each section holds)."""
    info = published.events(db)["events"].get(event_id)
    if info is None:
        raise BoxOfficeError("not_found", _("no published event {event_id!r}: `boxoffice central catalog publish` "
                                            "first").format(event_id=event_id))
    secs = ledger.sections(db, event_id)
    if section_id and section_id not in secs:
        raise BoxOfficeError("not_found", _("event {event_id!r} has no section {section_id!r} (it has "
                                            "{sections})").format(event_id=event_id, section_id=section_id,
                                                                  sections=", ".join(secs)))
    names = terminals.names(db)
    sold = _sold(db, event_id)
    out = []
    for sec in info["sections"]:
        if section_id and sec["id"] != section_id:
            continue
        s = secs[sec["id"]]
        mine = [t for t in sold if t["section_id"] == s.id]
        base = {"id": s.id, "name": sec["name"], "kind": s.kind, "capacity": s.capacity}
        if s.kind == "reserved":
            seats = [x for x in info["seats"] if x["section_id"] == s.id]
            out.append(base | _reserved(db, s, seats, mine, names))
        else:
            out.append(base | _general(db, s, mine, names))
    return {"event": event_id, "name": info["event"]["name"], "sections": out}


def _who(terminal_id: str | None, names: dict[str, str]) -> str | None:
    return None if terminal_id is None else names.get(terminal_id, terminal_id)


def _reserved(db: CentralDB, sec: ledger.Section, seats: list[dict[str, Any]], sold: list[dict[str, Any]],
              names: dict[str, str]) -> dict[str, Any]:
    held_by = ledger.seats_of(db, sec.event_id, sec.id)
    web = ledger.web_seats(db, sec.event_id, sec.id)
    sellers: dict[str, list[str]] = {}
    for t in sold:
        if t["row_label"] is not None:
            sellers.setdefault(f"{t['row_label']}{t['seat']}", []).append(
                WEB if t["channel"] == "web" else t["terminal_id"] or WEB)
    rows: dict[str, list[dict[str, Any]]] = {}
    counts: dict[str, int] = {"free": 0, "held": 0, "web": 0, "allocated": 0, "sold": 0}
    for x in sorted(seats, key=lambda x: (x["row_index"], x["seat_index"])):
        label = x["label"]
        by = sellers.get(label, [])
        holder = held_by.get(label)
        seat: dict[str, Any] = {"label": label, "row": x["row"], "number": x["number"],
                                "aisle_before": bool(x["aisle_before"]), "allocated_to": _who(holder, names),
                                "allocated_to_id": holder, "sold_by": None, "sold_by_id": None}
        if (by and by[0] == WEB) or (not by and label in web):
            seat["state"] = "web"
        elif by:
            seat |= {"state": "sold", "sold_by": _who(by[0], names), "sold_by_id": by[0]}
            if len(set(by)) > 1:
                seat["also_sold_by"] = [_who(b, names) if b != WEB else WEB for b in dict.fromkeys(by[1:])]
        elif holder is not None:
            seat["state"] = "allocated"
        elif x["status"] == "held":
            seat["state"] = "held"
        else:
            seat["state"] = "free"
        counts[seat["state"]] += 1
        rows.setdefault(x["row"], []).append(seat)
    return {"counts": counts, "rows": [{"row": r, "seats": s} for r, s in rows.items()]}


def _general(db: CentralDB, sec: ledger.Section, sold: list[dict[str, Any]],
             names: dict[str, str]) -> dict[str, Any]:
    granted = ledger.allocated(db, sec.event_id, sec.id)
    by_terminal: dict[str, int] = {}
    for t in sold:
        if t["channel"] != "web" and t["terminal_id"]:
            by_terminal[t["terminal_id"]] = by_terminal.get(t["terminal_id"], 0) + 1
    per_terminal = [{"terminal": _who(tid, names), "terminal_id": tid, "allocated": granted.get(tid, 0),
                     "sold": by_terminal.get(tid, 0), "left": max(0, granted.get(tid, 0) - by_terminal.get(tid, 0))}
                    for tid in sorted(set(granted) | set(by_terminal), key=lambda t: _who(t, names) or t)]
    return {"web_sold": ledger.web_sold(db, sec.event_id, sec.id), "free": ledger.free(db, sec),
            "terminals": per_terminal}


def show(url: str, event_id: str, section_id: str | None = None) -> dict[str, Any]:
    """`boxoffice central seats`: the map, on the central database."""
    from boxoffice.central.services.admin import open_db

    with open_db(url) as db:
        return seat_map(db, event_id, section_id)
