"""A catalogue in force written back as the document `catalog import` takes (schemas/catalog.schema.json).

The store keeps what an import built (domain.catalog): each seat with its row, number, position and flags, amounts
in minor units, rates in basis points, times in UTC. This turns those rows back into the document's shape, so that
importing the result builds the same rows again: seat numbers that run on become a range ("1-24"), an aisle is
found again from the seat it follows, a row's offset from its first seat's position, times are written in the
event's own zone with their UTC offset (never ambiguous at a clock change), amounts and rates as decimal text.

What the rows do not keep cannot come back: seats held when the catalogue was imported and sold since are written
as they are now (sold seats are not held), and a row's seat numbers as given (leading zeros) are written plainly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from boxoffice.domain.clock import parse_iso, zone
from boxoffice.domain.money import format_money

FORMAT = "boxoffice.catalog/1"
SEAT_FLAGS = ("wheelchair", "companion", "restricted_view")


def percent_text(bp: int) -> str:
    """Basis points as the percent text a catalogue holds: 2000 -> "20", 550 -> "5.5"."""
    text = format(Decimal(bp) / 100, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def local_time(stored: str, tz: str) -> str:
    """A stored UTC time in zone ``tz``, with its offset: "2026-12-08T19:30+00:00"."""
    dt = parse_iso(stored).astimezone(zone(tz))
    return dt.isoformat(timespec="seconds" if dt.second else "minutes")


def _numbers(seats: Sequence[dict[str, Any]]) -> str | list[str]:
    """A row's seat numbers: "1-24" when they run on by one from the first, else the list."""
    numbers = [s["number"] for s in seats]
    if all(n.isdigit() for n in numbers):
        ints = [int(n) for n in numbers]
        if ints == list(range(ints[0], ints[0] + len(ints))) and len(ints) > 1:
            return f"{ints[0]}-{ints[-1]}"
    return numbers


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def reserved_section(section: dict[str, Any], seats: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A reserved section's rows and seat flags, from its seats in row and seat order."""
    rows: list[dict[str, Any]] = []
    by_row: dict[int, list[dict[str, Any]]] = {}
    for seat in seats:
        by_row.setdefault(seat["row_index"], []).append(seat)
    for index in sorted(by_row):
        row_seats = sorted(by_row[index], key=lambda s: s["seat_index"])
        row: dict[str, Any] = {"row": row_seats[0]["row"], "seats": _numbers(row_seats)}
        aisles = [before["number"] for before, seat in zip(row_seats, row_seats[1:], strict=False)
                  if seat["aisle_before"]]
        if aisles:
            row["aisles_after"] = aisles
        if row_seats[0]["x"]:
            row["offset"] = _number(row_seats[0]["x"])
        rows.append(row)
    out: dict[str, Any] = {"id": section["id"], "name": section["name"], "kind": "reserved", "rows": rows}
    for flag in SEAT_FLAGS:
        marked = [s["label"] for s in seats if s[flag]]
        if marked:
            out[flag] = marked
    held = [s["label"] for s in seats if s["status"] == "held"]
    if held:
        out["held"] = held
    return out


def general_section(section: dict[str, Any]) -> dict[str, Any]:
    return {"id": section["id"], "name": section["name"], "kind": "general", "capacity": section["capacity"]}


def event_document(event: dict[str, Any], venue_tz: str, sections: list[dict[str, Any]],
                   types: Sequence[dict[str, Any]], prices: Sequence[dict[str, Any]],
                   tiers: Sequence[dict[str, Any]], bands: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One event as the document holds it; ``sections`` already in document shape, in their order."""
    tz, cur = event["timezone"], event["currency"]
    doc: dict[str, Any] = {"id": event["id"], "name": event["name"], "starts_at": local_time(event["starts_at"], tz)}
    if event["doors_at"]:
        doc["doors_at"] = local_time(event["doors_at"], tz)
    if tz != venue_tz:
        doc["timezone"] = tz
    doc |= {"tax_rate": percent_text(event["tax_rate_bp"]), "per_order_limit": event["per_order_limit"]}
    if event.get("per_customer_limit") is not None:
        doc["per_customer_limit"] = event["per_customer_limit"]
    doc["reentry"] = bool(event["reentry"])
    if event.get("real_name"):
        doc["real_name"] = True
        if event.get("holder_changes_max") is not None:
            doc["holder_changes_max"] = event["holder_changes_max"]
    if event.get("pretix"):  # the pretix event it mirrors and its keys (the pretix bridge), as imported
        doc["pretix"] = json.loads(event["pretix"])
    doc["sections"] = sections
    order = {s["id"]: i for i, s in enumerate(sections)}
    doc["ticket_types"] = []
    for tt in types:
        mine = sorted((p for p in prices if p["ticket_type_id"] == tt["id"]), key=lambda p: order[p["section_id"]])
        item: dict[str, Any] = {"id": tt["id"], "name": tt["name"],
                                "prices": {p["section_id"]: format_money(p["amount"], cur) for p in mine}}
        if tt["per_order_limit"] is not None:
            item["per_order_limit"] = tt["per_order_limit"]
        if tt["needs_supervisor"]:
            item["comp"] = True
        doc["ticket_types"].append(item)
    if tiers:
        doc["refund_policy"] = [_tier(t, cur) for t in tiers]
    if bands:
        doc["refund_demand_bands"] = [{"sold_at_least": _number(b["sold_at_least_bp"] / 10000),
                                       "fee_scale_percent": percent_text(b["fee_scale_bp"])} for b in bands]
    return doc


def _tier(tier: dict[str, Any], currency: str) -> dict[str, Any]:
    out: dict[str, Any] = {"until_hours_before": tier["until_hours_before"]}
    if tier["fee_fixed"] is not None:
        out["fee_fixed"] = format_money(tier["fee_fixed"], currency)
    else:
        out["fee_percent"] = percent_text(tier["fee_bp"] or 0)
    return out

