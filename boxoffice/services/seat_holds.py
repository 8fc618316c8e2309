"""Seats held in a counter's basket while the customer decides.

A seat put in a basket is held for a few minutes (``hold_minutes`` in the config, 5 by default): no other basket,
named-seat sale or best-available pick on this database can take it, and the basket that holds it can sell it.
A hold ends when its basket is cancelled (:func:`release`), when the seats are sold, or when its time is up. Time
is read from the terminal's clock whenever holds are read, so an expired hold is simply no longer there; expired
rows are deleted the next time anyone holds a seat.

Why nothing is asked of the central service: a terminal only sells the seats the central service allocated to it,
and the central service's web shop refuses a seat allocated to a terminal (central/services/weborders.py,
``allocations_block``). A seat held here is in this terminal's allocation, so nobody else can sell it while the
hold lasts; the hold only has to keep the baskets of this database apart. A seat recalled by the central box office
stops being sellable here whatever holds it (the sale refuses it as not allocated). See docs/sync.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from boxoffice.domain.clock import iso
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _, ngettext
from boxoffice.services.context import Ctx
from boxoffice.store import seat_holds as store
from boxoffice.store.db import write

DEFAULT_MINUTES = 5
MAX_MINUTES = 60


class Hold(TypedDict):
    """What a basket holds in one section after :func:`hold`: every seat it holds there and until when."""

    basket_id: str
    event_id: str
    section_id: str
    seats: list[str]
    expires_at: str
    minutes: float


class HeldSeat(TypedDict):
    """One live hold of a basket (:func:`held`)."""

    event_id: str
    section_id: str
    label: str
    expires_at: str


def hold_minutes(ctx: Ctx) -> float:
    """How long a basket holds its seats: the config's ``hold_minutes`` (default 5)."""
    value = getattr(ctx.config, "values", {}).get("hold_minutes", DEFAULT_MINUTES)
    return float(value)


def hold(ctx: Ctx, event_id: str, section_id: str, labels: list[str], basket_id: str,
         minutes: float | None = None) -> Hold:
    """Hold ``labels`` for ``basket_id`` (adding to what it holds already), and restart the basket's time.

    All or nothing: ``seat_unavailable`` names every seat that is sold, held by another basket, a house seat or
    not in this terminal's allocation, and ``not_found``/``bad_input`` an unknown section, a standing section or a
    seat the section does not have. Seats the basket holds already are held again (no error).
    """
    from boxoffice.services.seat_map import section_seats

    ctx.require("sell")
    if not basket_id or not str(basket_id).strip():
        raise BoxOfficeError("bad_input", _("a hold needs a basket id"))
    span = hold_minutes(ctx) if minutes is None else float(minutes)
    if not 0 < span <= MAX_MINUTES:
        raise BoxOfficeError("bad_input", _("seats are held for 1 second to {max} minutes, not {minutes}").format(
            max=MAX_MINUTES, minutes=repr(minutes)))
    wanted = [str(x).strip().upper() for x in labels]
    if any(not x for x in wanted):
        raise BoxOfficeError("bad_input", _("a seat label is empty"))
    now = ctx.now()
    now_text, until = iso(now), iso(now + timedelta(minutes=span))
    op = ctx.operator
    with write(ctx.conn):
        store.purge_expired(ctx.conn, now_text)
        seats = {s["label"]: s for row in section_seats(ctx, event_id, section_id, basket_id) for s in row["seats"]}
        unknown = [x for x in wanted if x not in seats]
        if unknown:
            raise BoxOfficeError("seat_unavailable", _("{seats}: no such seat in section {section}").format(
                seats=", ".join(unknown), section=repr(section_id)), unknown=unknown, unavailable=[])
        taken = [x for x in wanted if not (seats[x]["state"] == "free"
                                           or (seats[x]["state"] == "held" and seats[x]["mine"]))]
        if taken:
            raise BoxOfficeError("seat_unavailable", ngettext(
                "{seats} is sold, held or not sellable here: choose other seats",
                "{seats} are sold, held or not sellable here: choose other seats", len(taken)).format(
                seats=", ".join(taken)), unavailable=taken, unknown=[])
        for label in wanted:
            if not store.take(ctx.conn, event_id, section_id, label, basket_id, op["id"] if op else None,
                              now_text, until):
                raise BoxOfficeError("seat_unavailable", _("{seat} was held by another basket a moment ago: "
                                                           "choose other seats").format(seat=label),
                                     unavailable=[label], unknown=[])
        store.extend(ctx.conn, basket_id, now_text, until)
        mine = [h["label"] for h in store.of_basket(ctx.conn, basket_id, now_text)
                if h["event_id"] == event_id and h["section_id"] == section_id]
    return {"basket_id": basket_id, "event_id": event_id, "section_id": section_id, "seats": mine,
            "expires_at": until, "minutes": span}


def release(ctx: Ctx, basket_id: str, labels: list[str] | None = None, *, event_id: str | None = None,
            section_id: str | None = None) -> int:
    """Release a basket's holds (on cancel, or once sold): all of them, or only ``labels`` (of one event and
    section when given). Returns how many holds ended; releasing nothing is not an error."""
    wanted = None if labels is None else [str(x).strip().upper() for x in labels]
    with write(ctx.conn):
        return store.drop(ctx.conn, basket_id, wanted, event_id, section_id)


def held(ctx: Ctx, basket_id: str) -> list[HeldSeat]:
    """The seats a basket holds now (expired holds are gone), oldest first."""
    return [{"event_id": h["event_id"], "section_id": h["section_id"], "label": h["label"],
             "expires_at": h["expires_at"]} for h in store.of_basket(ctx.conn, basket_id, ctx.now_iso())]


def holders(ctx: Ctx, event_id: str, section_id: str) -> dict[str, str]:
    """Each seat of a section held now, and the basket that holds it."""
    return store.holders(ctx.conn, event_id, section_id, ctx.now_iso())


def forget_sold(ctx: Ctx, event_id: str, section_id: str, labels: list[str]) -> None:
    """Inside a sale's transaction: the seats just sold need no hold any more."""
    store.drop_seats(ctx.conn, event_id, section_id, labels)
