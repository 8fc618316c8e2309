"""The pickup desk: hand an order's tickets out exactly once (finding it: services/pickup_find.py).

One transaction per pickup: each ticket is taken with a conditional UPDATE (so two desks racing for one order hand
it out once), a pickups row names who and when, the journal gets a "pickup" entry, and the print job is queued; the
tickets print after the commit, and a printer that fails leaves the pickup done and the job waiting for
`boxoffice print retry`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from boxoffice.domain.clock import when_text
from boxoffice.domain.codes import normalise_lookup
from boxoffice.domain.ids import uuid7
from boxoffice.domain.masking import masked
from boxoffice.domain.ticket_state import order_state, ticket_state
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services import pickup_shop
from boxoffice.services.context import Ctx, viewer_role
from boxoffice.services.pickup_find import DEFAULT_LIMIT as DEFAULT_LIMIT
from boxoffice.services.pickup_find import FindResult as FindResult
from boxoffice.services.pickup_find import FoundOrder as FoundOrder
from boxoffice.services.pickup_find import event_row
from boxoffice.services.pickup_find import find as find
from boxoffice.services.pickup_index import refresh_index as refresh_index
from boxoffice.store import pickup as store
from boxoffice.store.db import write
from boxoffice.tickets.token import looks_like_token

if TYPE_CHECKING:
    from boxoffice.services.printing import PrintResult


class PickupPlan(TypedDict):
    """What a pickup would hand out (:func:`plan_pickup`): the order's summary and tickets, those chosen, the note
    to confirm and the venue's time zone."""

    order: dict[str, Any]
    tickets: list[dict[str, Any]]
    chosen: list[dict[str, Any]]
    notes: str | None
    remaining_after: int
    timezone: str
    holder: dict[str, Any] | None  # real-name tickets: the holder whose ID was shown (services/holders.py)


class PickupResult(TypedDict):
    """Tickets handed out (:func:`pick_up`): which, where, how many still wait, and the print outcomes."""

    order: str
    order_id: str
    name: str | None
    handed_out: list[str]
    remaining: int
    notes: str | None
    jobs: list[str]
    print: list[PrintResult]
    places: list[str]
    holder: dict[str, Any] | None  # real-name tickets: the holder whose ID was shown


# --- finding ------------------------------------------------------------------------------------------------

# --- handing out --------------------------------------------------------------------------------------------


def plan_pickup(ctx: Ctx, code: str, ticket_ids: list[str] | None = None,
                count: int | None = None, *, id_last4: str | None = None, id_number: str | None = None) -> PickupPlan:
    """What a pickup would hand out, without doing it: the order, its notes, the tickets chosen.

    Raises what the pickup itself would, so a desk asks about an order's note only when the answer can matter:
    permission_denied, sales_paused (pickups paused), unpaid, already_picked_up (naming who and when), not_found,
    bad_input; for an order with real-name tickets, holder_required / holder_mismatch unless ``id_last4`` or
    ``id_number`` is a holder's (services/holders.py).
    """
    from boxoffice.services import pauses
    from boxoffice.services.recovery_state import require_ready

    ctx.require("pickup")
    require_ready(ctx)
    if looks_like_token(code):  # a scanned ticket hands out its order, as the desk's scan-then-Enter does
        from boxoffice.services.orders import order_for

        code = order_for(ctx, code)[0]["code"]
    try:
        order = store.summary_by_code(ctx.conn, normalise_lookup(code))
    except BoxOfficeError:  # no code: a shop's order code or ticket (pretix's) perhaps, else refused as before
        order = pickup_shop.order_for_pickup(ctx, code)
        if order is None:
            raise
    if order is None:
        raise BoxOfficeError("not_found", _("no order {code} here: check the code, or find it by "
                                            "name (boxoffice pickup find NAME)").format(code=normalise_lookup(code)))
    tickets = store.tickets_for_pickup(ctx.conn, order["id"])
    tz = (event_row(ctx, order["event_id"]) or {}).get("timezone", "UTC")
    pauses.check(ctx, "pickups", order["event_id"], order["channel"])
    if order["channel"] == "box_office":
        raise BoxOfficeError("already_picked_up", _("order {code} was sold and printed at the window "
                                                    "on {when}; a "
                                                    "supervisor can reprint it (boxoffice order reprint)").format(
            code=order["code"], when=when_text(order["created_at"], tz)))
    if order["status"] == "unpaid":
        raise BoxOfficeError("unpaid", _("order {code} is not paid: take payment first (boxoffice pickup pay "
                                         "{code} --cash AMOUNT, or the web shop); nothing was handed out").format(
            code=order["code"]))
    if order["status"] == "refunded":
        raise BoxOfficeError("already_refunded", _("order {code} was refunded: nothing to hand out").format(
            code=order["code"]))
    from boxoffice.services.holders import check_pickup

    holder = check_pickup(ctx, order, id_last4, id_number)
    valid = [t for t in tickets if t["status"] == "valid"]
    waiting = [t for t in valid if not t["picked_up_at"]]
    if ticket_ids:
        chosen = [_pick_ticket(valid, tid, order["code"]) for tid in ticket_ids]
        if len({t["id"] for t in chosen}) != len(chosen):
            raise BoxOfficeError("bad_input", _("a ticket is named twice"))
        done = [t for t in chosen if t["picked_up_at"]]
        if done:
            raise _already(order, done, tz)
    else:
        if not waiting:
            raise _already(order, valid, tz)
        if count is not None:
            if count < 1:
                raise BoxOfficeError("bad_input", _("--count is 1 or more"))
            if count > len(waiting):
                raise BoxOfficeError("bad_input", _("order {code} has {waiting} ticket(s) still to "
                                                    "hand out, not {count}").format(
                    code=order["code"], waiting=len(waiting), count=count))
            chosen = waiting[:count]
        else:
            chosen = waiting
    return {"order": order, "tickets": tickets, "chosen": chosen, "notes": order["notes"],
            "remaining_after": len(waiting) - len(chosen), "timezone": tz, "holder": holder}


def _pick_ticket(valid: list[dict], tid: str, code: str) -> dict:
    """A ticket of the order by its id or the end of it (the desk shows the last 8 characters)."""
    tid = tid.strip().lower()
    matches = [t for t in valid if t["id"] == tid or (len(tid) >= 6 and t["id"].endswith(tid))]
    if len(matches) != 1:
        shown = ", ".join(t["id"][-8:] for t in valid)
        raise BoxOfficeError("not_found" if not matches else "bad_input",
                             _("order {code} has no valid ticket {ticket}").format(code=code, ticket=repr(tid))
                             if not matches else
                             _("{ticket} names more than one ticket: give more of the id").format(ticket=repr(tid)),
                             tickets=shown)
    return matches[0]


def _already(order: dict, done: list[dict], tz: str) -> BoxOfficeError:
    """already_picked_up, saying by whom, when and where, and what a supervisor can do."""
    first = min(done, key=lambda t: t["picked_up_at"])
    who = first["picked_up_by_name"] or first["picked_up_by"] or "someone"  # details: the same in every language
    shown = first["picked_up_by_name"] or first["picked_up_by"] or _("someone")
    where = _(" at {terminal}").format(terminal=first["picked_up_at_terminal"]) \
        if first["picked_up_at_terminal"] else ""
    when = when_text(first["picked_up_at"], tz)
    return BoxOfficeError(
        "already_picked_up",
        _("order {code}: {count} ticket(s) were handed out already, by {who} on {when}{where}; a "
          "supervisor can reprint them (boxoffice order reprint {code})").format(
            code=order["code"], count=len(done), who=shown, when=when,
            where=where),
        by=who, at=first["picked_up_at"], tickets=[t["id"] for t in done])


def pick_up(ctx: Ctx, code: str, *, ticket_ids: list[str] | None = None, count: int | None = None,
            confirmed: bool = False, print_now: bool = True, id_last4: str | None = None,
            id_number: str | None = None) -> PickupResult:
    """Hand tickets out: recorded and journalled in one transaction, then printed.

    An order with notes ("ID required") is handed out only with ``confirmed``: the desk must have shown the note
    and had it acknowledged. Returns the order code, the tickets handed out, those still waiting, and print results.
    """
    op = ctx.require("pickup")
    plan = plan_pickup(ctx, code, ticket_ids, count, id_last4=id_last4, id_number=id_number)  # permission, state
    order = plan["order"]
    if plan["notes"] and not confirmed:
        raise BoxOfficeError("conflict", _("order {code} says: {notes}. Check it, then confirm "
                                           "the pickup (--yes); nothing was handed out").format(
            code=order["code"], notes=plan["notes"]), notes=plan["notes"])
    from boxoffice.services.printing import queue_order, run_jobs

    now = ctx.now_iso()
    ids = [t["id"] for t in plan["chosen"]]
    with write(ctx.conn):
        for tid in ids:
            if not store.mark_picked_up(ctx.conn, tid, now, op["id"]):
                # Another desk took it between the plan and now: the same answer as a second pickup.
                taken = [t for t in store.tickets_for_pickup(ctx.conn, order["id"]) if t["id"] == tid]
                raise _already(order, taken, plan["timezone"])
        rows = [{"id": uuid7(), "order_id": order["id"], "ticket_id": tid, "at": now, "operator_id": op["id"],
                 "terminal_id": ctx.terminal["id"]} for tid in ids]
        store.insert_pickups(ctx.conn, rows)
        # The pickups rows' ids go in the entry too, so a terminal rebuilt from its journal has the same rows.
        ctx.journal("pickup", {"order": order["id"], "code": order["code"], "tickets": ids, "at": now,
                               "notes_confirmed": bool(plan["notes"]),
                               **({"holder_id_checked": plan["holder"]["ticket_id"]} if plan["holder"] else {}),
                               "pickups": [{"id": r["id"], "ticket_id": r["ticket_id"]} for r in rows]})
        jobs = queue_order(ctx, order["id"], receipt=False, ticket_ids=ids)
    results = run_jobs(ctx, jobs) if print_now else []
    return {"order": order["code"], "order_id": order["id"], "name": order["customer_name"],
            "handed_out": ids, "remaining": plan["remaining_after"], "notes": plan["notes"], "jobs": jobs,
            "print": results,
            "places": [_place(t) for t in plan["chosen"]], "holder": plan["holder"]}


def _place(t: dict) -> str:
    sec = t.get("section_name") or t["section_id"]
    return f"{sec} {t['row']}{t['seat']}" if t["row"] else sec


def order_view(ctx: Ctx, code: str) -> dict[str, Any]:
    """An order as the desk sees it before handing out: customer, notes, each ticket and whether it is out."""
    order = store.summary_by_code(ctx.conn, normalise_lookup(code))
    if order is None:
        raise BoxOfficeError("not_found", _("no order {code} here").format(code=normalise_lookup(code)))
    ev = event_row(ctx, order["event_id"])
    tz = ev["timezone"] if ev else "UTC"
    tickets = store.tickets_for_pickup(ctx.conn, order["id"])
    return masked(viewer_role(ctx), {"code": order["code"], "name": order["customer_name"],
            "status": order_state(order["status"], order["tickets"], order["revoked"]),
            "channel": order["channel"], "notes": order["notes"], "event": ev["name"] if ev else order["event_id"],
            "tickets": [{"id": t["id"], "short": t["id"][-8:], "place": _place(t),
                         "type": t["type_name"] or t["ticket_type_id"],
                         "status": ticket_state(t["status"], t["revoked"]),
                         "picked_up": when_text(t["picked_up_at"], tz) if t["picked_up_at"]
                         else None, "by": t["picked_up_by_name"]} for t in tickets]})
