"""Catalogue rules that a JSON Schema cannot say: cross-references, seat maps, times, money.

``build_catalog`` takes a document that already passed the schema and returns plain rows for the store, or
raises ``invalid_document`` with every problem located by its JSON pointer, so nothing is imported by halves.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from boxoffice.domain.clock import iso, to_utc, zone
from boxoffice.domain.demand_bands import build_bands
from boxoffice.domain.money import parse_amount, parse_rate
from boxoffice.domain.numbers import parse_whole
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

MAX_CATALOG_BYTES = 20_000_000  # a catalogue file larger than this is refused before it is read
AISLE_GAP = 1.0  # an aisle counts as one seat's width of walking space when scoring "nearest the centre"


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def _expand_seats(spec: str | list[str]) -> list[str]:
    if isinstance(spec, str):
        lo, hi = (parse_whole(x, _("seat range {spec!r}").format(spec=spec[:40])) for x in spec.split("-"))
        return [str(n) for n in range(lo, hi + 1)] if lo <= hi else []
    return list(spec)


def _section_ref(event_id: str, section_id: str) -> bytes:
    """Same two bytes as the ticket token's section ref (schemas/ticket-token.md), checked here for clashes."""
    return hashlib.sha256(f"{event_id}/{section_id}".encode()).digest()[:2]


def build_catalog(doc: dict[str, Any]) -> dict[str, Any]:
    """Check a schema-valid document and turn it into rows: venue, events, sections, seats, types, prices, tiers
    and demand bands."""
    p = _Problems()
    venue = doc["venue"]
    currency = venue["currency"]
    try:
        zone(venue["timezone"])
    except BoxOfficeError:
        p.add("/venue/timezone", _("unknown time zone {zone!r}").format(zone=venue["timezone"]))
    out: dict[str, Any] = {"venue": dict(venue), "events": []}
    seen_events: set[str] = set()
    for ei, ev in enumerate(doc["events"]):
        at = f"/events/{ei}"
        if ev["id"] in seen_events:
            p.add(f"{at}/id", _("event id {id!r} appears twice").format(id=ev["id"]))
        seen_events.add(ev["id"])
        out["events"].append(_build_event(ev, at, venue, currency, p))
    if p.items:
        raise BoxOfficeError("invalid_document", _("the catalogue has {count} problem(s); nothing was imported. "
                                                   "First: {first}").format(
            count=len(p.items), first=p.items[0]), errors=p.items)
    return out


def _build_event(ev: dict[str, Any], at: str, venue: dict[str, Any], currency: str, p: _Problems) -> dict[str, Any]:
    tz = ev.get("timezone", venue["timezone"])
    starts = doors = None
    where = f"{at}/timezone"  # the message is in the language in force: which field failed is tracked here
    try:
        zone(tz)
        where = f"{at}/starts_at"
        starts = to_utc(ev["starts_at"], tz)
        if "doors_at" in ev:
            doors = to_utc(ev["doors_at"], tz)
            if doors > starts:
                p.add(f"{at}/doors_at", _("doors open after the event starts"))
            elif starts - doors > timedelta(hours=24):
                p.add(f"{at}/doors_at", _("doors open more than 24 hours before the start"))
    except BoxOfficeError as exc:
        p.add(where, exc.message)
    rate = 0
    if "tax_rate" in ev:
        try:
            rate = parse_rate(ev["tax_rate"])
        except BoxOfficeError as exc:
            p.add(f"{at}/tax_rate", exc.message)
    event = {
        "id": ev["id"], "venue_id": venue["id"], "name": ev["name"],
        "starts_at": iso(starts) if starts else "", "doors_at": iso(doors) if doors else None,
        "timezone": tz, "currency": currency, "tax_rate_bp": rate,
        "per_order_limit": ev.get("per_order_limit", 10), "reentry": int(ev.get("reentry", False)),
        "per_customer_limit": ev.get("per_customer_limit"),
        "real_name": int(ev.get("real_name", False)), "holder_changes_max": ev.get("holder_changes_max"),
        # the pretix event this one mirrors and its pretix_sig1 public keys, kept whole for the door (as JSON text)
        "pretix": json.dumps(ev["pretix"], sort_keys=True) if "pretix" in ev else None,
    }
    if "holder_changes_max" in ev and not ev.get("real_name"):
        p.add(f"{at}/holder_changes_max", _("holder changes are capped only for a real-name event (real_name: true)"))
    sections, seats = _build_sections(ev, at, p)
    section_ids = {s["id"] for s in sections}
    types, prices = [], []
    seen_types: set[str] = set()
    for ti, tt in enumerate(ev["ticket_types"]):
        tat = f"{at}/ticket_types/{ti}"
        if tt["id"] in seen_types:
            p.add(f"{tat}/id", _("ticket type {id!r} appears twice").format(id=tt["id"]))
        seen_types.add(tt["id"])
        types.append({"event_id": ev["id"], "id": tt["id"], "name": tt["name"], "position": ti,
                      "per_order_limit": tt.get("per_order_limit"), "needs_supervisor": int(tt.get("comp", False))})
        for sid, amount in tt["prices"].items():
            if sid not in section_ids:
                p.add(f"{tat}/prices/{sid}", _("price for unknown section {section!r}").format(section=sid))
                continue
            try:
                minor = parse_amount(amount, currency)
            except BoxOfficeError as exc:
                p.add(f"{tat}/prices/{sid}", exc.message)
                continue
            if tt.get("comp") and minor:
                p.add(f"{tat}/prices/{sid}", _("a comp ticket type must be priced 0"))
            prices.append({"event_id": ev["id"], "ticket_type_id": tt["id"], "section_id": sid, "amount": minor})
    tiers = []
    last_hours = None
    for ri, tier in enumerate(ev.get("refund_policy", [])):
        rat = f"{at}/refund_policy/{ri}"
        hours = tier["until_hours_before"]
        if last_hours is not None and hours >= last_hours:
            p.add(f"{rat}/until_hours_before", _("tiers must run from the earliest (most hours before) to the latest"))
        last_hours = hours
        row = {"event_id": ev["id"], "position": ri, "until_hours_before": hours, "fee_bp": None, "fee_fixed": None}
        try:
            if "fee_percent" in tier:
                row["fee_bp"] = parse_rate(tier["fee_percent"])
            elif "fee_fixed" in tier:
                row["fee_fixed"] = parse_amount(tier["fee_fixed"], currency)
            else:
                row["fee_bp"] = 0
        except BoxOfficeError as exc:
            p.add(rat, exc.message)
        tiers.append(row)
    bands = build_bands(ev["id"], ev.get("refund_demand_bands", []), f"{at}/refund_demand_bands", p.add)
    if bands and not tiers:
        p.add(f"{at}/refund_demand_bands", _("demand bands scale the fees of a refund policy, and this event has no "
                                             "refund_policy: add its tiers or leave the bands out"))
    return {"event": event, "sections": sections, "seats": seats, "ticket_types": types, "prices": prices,
            "refund_tiers": tiers, "demand_bands": bands}


def _build_sections(ev: dict[str, Any], at: str, p: _Problems) -> tuple[list[dict], list[dict]]:
    sections: list[dict] = []
    seats: list[dict] = []
    seat_home: dict[str, str] = {}
    refs: dict[bytes, str] = {}
    for si, sec in enumerate(ev["sections"]):
        sat = f"{at}/sections/{si}"
        if any(s["id"] == sec["id"] for s in sections):
            p.add(f"{sat}/id", _("section id {id!r} appears twice").format(id=sec["id"]))
        ref = _section_ref(ev["id"], sec["id"])
        if ref in refs and refs[ref] != sec["id"]:
            p.add(f"{sat}/id", _("section id {id!r} clashes with {other!r} in ticket codes: rename one").format(
                id=sec["id"], other=refs[ref]))
        refs[ref] = sec["id"]
        labels: list[str] = []
        if sec["kind"] == "reserved":
            labels = _build_rows(ev["id"], sec, sat, seats, seat_home, p)
            capacity = len(labels)
        else:
            capacity = sec["capacity"]
            for flag in ("wheelchair", "companion", "restricted_view", "held"):
                if sec.get(flag):
                    p.add(f"{sat}/{flag}", _("seat flags belong to reserved sections"))
        sections.append({"event_id": ev["id"], "id": sec["id"], "name": sec["name"], "kind": sec["kind"],
                         "capacity": capacity, "position": si})
    return sections, seats


def _build_rows(event_id: str, sec: dict, sat: str, seats: list[dict], seat_home: dict[str, str],
                p: _Problems) -> list[str]:
    labels: list[str] = []
    mine: dict[str, dict] = {}
    seen_rows: set[str] = set()
    for ri, row in enumerate(sec["rows"]):
        rat = f"{sat}/rows/{ri}"
        if row["row"] in seen_rows:
            p.add(f"{rat}/row", _("row {row} appears twice in this section").format(row=row["row"]))
        seen_rows.add(row["row"])
        numbers = _expand_seats(row["seats"])
        if not numbers:
            p.add(f"{rat}/seats", _("the seat range is empty (first number above the last)"))
        aisles = set(row.get("aisles_after", []))
        for a in aisles - set(numbers):
            p.add(f"{rat}/aisles_after", _("aisle after seat {seat}, which is not in the row").format(seat=a))
        x = float(row.get("offset", 0))
        prev = None
        for idx, num in enumerate(numbers):
            label = f"{row['row']}{int(num)}"
            aisle_before = prev is not None and prev in aisles
            if aisle_before:
                x += AISLE_GAP
            if label in seat_home:
                p.add(f"{rat}/seats", _("seat {seat} is also in section {section!r}").format(
                    seat=label, section=seat_home[label]))
                continue
            seat_home[label] = sec["id"]
            seat = {"event_id": event_id, "section_id": sec["id"], "label": label, "row": row["row"],
                    "number": str(int(num)), "row_index": ri, "seat_index": idx, "x": x,
                    "aisle_before": int(aisle_before), "wheelchair": 0, "companion": 0, "restricted_view": 0,
                    "status": "free"}
            mine[label] = seat
            seats.append(seat)
            labels.append(label)
            x += 1.0
            prev = num
    for flag in ("wheelchair", "companion", "restricted_view", "held"):
        for label in sec.get(flag, []):
            if label not in mine:
                p.add(f"{sat}/{flag}", _("seat {seat} is not in this section").format(seat=label))
            elif flag == "held":
                mine[label]["status"] = "held"
            else:
                mine[label][flag] = 1
    return labels
