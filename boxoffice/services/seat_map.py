"""The seat map as this terminal sees it: every seat of a reserved section with its state here.

States: ``free`` (sellable here now), ``sold``, ``held`` (in a basket on this terminal's database; ``mine`` when
the basket asking holds it), ``elsewhere`` (not in this terminal's allocation: another terminal's, or kept by the
central service) and ``house`` (held back by the venue in the catalogue). Each seat also says what kind of place it
is (wheelchair, companion, restricted view) and where it is drawn (``x``, with the row's offset and aisles in it).
The command line and the full-screen counter both read it from here, and so does best available for a basket.
"""

from __future__ import annotations

from typing import Any

from boxoffice.domain import seating
from boxoffice.domain.seat_plan import mark_of
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import catalog as store
from boxoffice.store import seat_holds as hold_store


def section_seats(ctx: Ctx, event_id: str, section_id: str, basket_id: str | None = None) -> list[dict[str, Any]]:
    """The rows of a reserved section, front first, as ``{"row", "seats"}`` with each seat's state here.

    ``basket_id``: the basket asking; the seats it holds are ``held`` with ``mine`` True.
    """
    sec = store.section(ctx.conn, event_id, section_id)
    if sec is None:
        raise BoxOfficeError("not_found", _("event {event} has no section {section}").format(
            event=repr(event_id), section=repr(section_id)))
    if sec["kind"] != "reserved":
        raise BoxOfficeError("bad_input", _("{section} is general admission: it has no seats").format(
            section=sec["name"]))
    sellers = store.seat_sellers(ctx.conn, event_id, section_id)
    held = hold_store.holders(ctx.conn, event_id, section_id, ctx.now_iso())  # live holds: expiry read here
    me = ctx.terminal["id"]
    rows: dict[int, dict[str, Any]] = {}
    for s in store.seats(ctx.conn, event_id, section_id):
        label = s["label"]
        sold_by = None
        if s["status"] == "sold" or label in sellers:
            state = "sold"  # a seat another terminal or the web sold came here as its ticket, by sync
            seller = sellers.get(label, me)
            sold_by = "here" if seller == me else "web" if seller is None else "terminal"
        elif s["status"] == "held":
            state = "house"
        elif not s["allocated"]:
            state = "elsewhere"
        elif label in held:
            state = "held"
        else:
            state = "free"
        seat = {"label": label, "row": s["row"], "number": s["number"], "state": state, "x": s["x"],
                "here": bool(s["allocated"]), "sold_here": sold_by == "here" if state == "sold" else None,
                "sold_by": sold_by, "mine": state == "held" and basket_id is not None and held[label] == basket_id,
                "aisle_before": bool(s["aisle_before"]), "wheelchair": bool(s["wheelchair"]),
                "companion": bool(s["companion"]), "restricted_view": bool(s["restricted_view"])}
        seat["mark"] = mark_of(seat)
        rows.setdefault(s["row_index"], {"row": s["row"], "seats": []})["seats"].append(seat)
    return [rows[k] for k in sorted(rows)]


def seating_rows(rows: list[dict[str, Any]], basket_id: str | None = None) -> list[list[seating.Seat]]:
    """The section's rows as best available sees them: a seat is available when free here, or held by the
    basket choosing (``basket_id``), so that basket may choose again among its own seats."""
    def usable(s: dict[str, Any]) -> bool:
        return s["state"] == "free" or (basket_id is not None and s["state"] == "held" and s["mine"])

    return [[seating.Seat(label=s["label"], row=s["row"], number=s["number"], x=s["x"], available=usable(s),
                          wheelchair=s["wheelchair"], companion=s["companion"], aisle_before=s["aisle_before"])
             for s in r["seats"]] for r in rows]


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many seats are in each state (every state named, zero when none)."""
    out = dict.fromkeys(("free", "sold", "held", "elsewhere", "house"), 0)
    for r in rows:
        for s in r["seats"]:
            out[s["state"]] += 1
    return out
