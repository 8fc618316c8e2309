"""The pickup desk: find an order however the customer identifies it, and hand its tickets out exactly once.

Finding. One query box takes an order code, a scanned ticket, a name, an e-mail or the last digits of a phone. The
query's shape decides where it goes first (a token, a code, a shop's order code or ticket secret matched exactly:
services/pickup_shop.py, a phone, an e-mail, else a name), and a code-shaped query that is no order here is tried as
a name too, because some surnames fit the code alphabet (STEPHENS).

Handing out. One transaction per pickup: each ticket is taken with a conditional UPDATE (so two desks racing for
one order hand it out once), a pickups row names who and when, the journal gets a "pickup" entry, and the print job
is queued; the tickets print after the commit, and a printer that fails leaves the pickup done and the job waiting
for `boxoffice print retry`.

The order search index follows the orders table rather than every writer of orders: before a search, orders added
since the last indexed one (a walk-up sale, an import) are indexed (services/pickup_index.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, cast

from boxoffice.domain.clock import when_text
from boxoffice.domain.codes import normalise_code, normalise_lookup
from boxoffice.domain.ids import is_uuid, uuid7
from boxoffice.domain.masking import masked
from boxoffice.domain.ticket_state import order_state, ticket_state
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services import pickup_shop
from boxoffice.services.context import Ctx, viewer_role
from boxoffice.services.pickup_index import refresh_index
from boxoffice.store import catalog as catalog_store
from boxoffice.store import pickup as store
from boxoffice.store.db import write
from boxoffice.tickets.token import looks_like_token

if TYPE_CHECKING:
    from boxoffice.services.printing import PrintResult

DEFAULT_LIMIT = 20
MIN_NAME_CHARS = 2
MAX_QUERY_CHARS = 200
MAX_CODE_CHARS = 16  # a code typed with spaces or hyphens between its eight characters
SEARCH_CAP = 200  # index entries ranked per search; more than this and the desk is asked to type more


class FoundOrder(TypedDict):
    """A search hit as the desk shows it (:func:`find`): the phone only by its last digits, how it matched."""

    order_id: str
    code: str
    event_id: str
    event: str
    channel: str
    status: str
    name: str | None
    email: str | None
    phone_end: str | None
    tickets: int
    picked_up: int
    notes: str | None
    match: str


class FindResult(TypedDict):
    """What :func:`find` found, best first, with how the query was read (``by``) and a note for the desk."""

    query: str
    by: str
    results: list[FoundOrder]
    note: str | None


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


SCANNED = 24  # a query this long with no space is a scanned ticket (a pretix secret), not something typed


def find(ctx: Ctx, query: str, event_id: str | None = None, limit: int = DEFAULT_LIMIT) -> FindResult:
    """Orders matching what was typed or scanned, best first: {query, by, results, note}.

    ``by`` says how the query was read (code, token, ticket, shop_ref, shop_ticket, email, phone, name). Raises
    bad_input for a query that cannot be searched (too short, a code with a wrong check character that matches no
    name either), and not_found when nothing matches.
    """
    q = (query or "").strip()
    if not q:
        raise BoxOfficeError("bad_input", _("type an order code, a name, an e-mail or the last 4+ digits of a phone"))
    if len(q) > MAX_QUERY_CHARS:
        raise BoxOfficeError("bad_input", _("that is too long to be an order code, name, e-mail, phone or ticket"))
    if looks_like_token(q):
        return _by_token(ctx, query, event_id)
    if len(q) == 36 and is_uuid(q.lower()):
        found = store.summary_by_ticket(ctx.conn, q.lower())
        return _answer(ctx, q, "ticket", [found] if found else [], event_id)
    code_error: BoxOfficeError | None = None
    code_shaped = False
    if len(q) <= MAX_CODE_CHARS:
        try:
            code = normalise_code(q)
        except BoxOfficeError as exc:
            # Eight code characters with a wrong check character: said so unless a name matches (STEPHENS).
            if "order_code" in exc.details:
                code_error, code_shaped = exc, True
        else:
            code_shaped = True
            found = store.summary_by_code(ctx.conn, code)
            if found is not None:
                return _answer(ctx, q, "code", [found], event_id)
    shop = pickup_shop.find(ctx, q, event_id, limit)  # a pretix order code or ticket, matched exactly
    if shop is not None:
        return _answer(ctx, *shop, event_id)
    from boxoffice.domain import search_text  # not for an order found by its code

    if search_text.looks_like_phone(q):
        out = _by_phone(ctx, q, event_id, limit)
    elif "@" in q:
        out = _by_email(ctx, q, event_id, limit)
    else:
        out = _by_name(ctx, q, event_id, limit)
    if not out["results"]:
        if code_error is not None:
            raise code_error
        if code_shaped:
            raise BoxOfficeError("not_found", _("no order {code} here, and no customer by that name: "
                                                "check the code, or sync").format(code=normalise_code(q)))
        shown = repr(q) if len(q) < SCANNED or " " in q else _("that scanned ticket")  # never a ticket's secret
        raise BoxOfficeError("not_found", _("nothing matches {query}: try the order code, another spelling, "
                                            "the e-mail, or the last digits of the phone").format(query=shown))
    if code_error is not None:
        out["note"] = _("not an order code ({reason}); these are names that match").format(
            reason=code_error.message)
    return out


def _answer(ctx: Ctx, query: str, by: str, found: list[dict], event_id: str | None,
            note: str | None = None) -> FindResult:
    role = viewer_role(ctx)
    results = [cast(FoundOrder, masked(role, _result(ctx, r, by))) for r in found
               if r is not None and (event_id is None or r["event_id"] == event_id)]
    if not results and by in ("code", "ticket", "token"):
        scope = _(" for event {event}").format(event=repr(event_id)) if event_id else ""
        message = (_("no order {query}{scope} on this terminal: check it, or sync") if by == "code" else
                   _("no ticket {query}{scope} on this terminal: check it, or sync") if by == "ticket" else
                   _("no order for this ticket{scope} on this terminal: check it, or sync"))
        raise BoxOfficeError("not_found", message.format(query=query, scope=scope))
    return {"query": query, "by": by, "results": results, "note": note}


def _result(ctx: Ctx, r: dict, by: str) -> FoundOrder:
    """A search hit as the desk shows it: the phone only by its last digits."""
    digits = r.get("phone_digits") or ""
    ev = _event(ctx, r["event_id"])
    return {"order_id": r["id"], "code": r["code"], "event_id": r["event_id"],
            "event": ev["name"] if ev else r["event_id"], "channel": r["channel"],
            "status": order_state(r["status"], r["tickets"], r["revoked"]),
            "name": r["customer_name"], "email": r["email"], "phone_end": digits[-4:] if digits else None,
            "tickets": r["tickets"], "picked_up": r["picked"], "notes": r["notes"], "match": by}


def _event(ctx: Ctx, event_id: str) -> dict | None:
    cache = ctx.cache.setdefault("events", {})
    if event_id not in cache:
        cache[event_id] = catalog_store.get_event(ctx.conn, event_id)
    return cache[event_id]


def _by_token(ctx: Ctx, text: str, event_id: str | None) -> FindResult:
    """A scanned ticket: its signature must verify before its ticket id is trusted to name an order."""
    from boxoffice.services.signing import public_key_for
    from boxoffice.tickets.token import verify_token

    decoded = verify_token(text, public_key_for(ctx))
    found = store.summary_by_ticket(ctx.conn, decoded.ticket_id)
    note = None
    if found is not None and found["ticket_token"] != decoded.text:
        note = _("this ticket was re-issued: the scanned token is not the current one")
    if found is None:
        raise BoxOfficeError("not_found", _("ticket {ticket} is genuine but its order is not on this "
                                            "terminal: sync, or import the web orders").format(
            ticket=decoded.ticket_id))
    return _answer(ctx, decoded.text, "token", [found], event_id, note)


def _top(ctx: Ctx, ranked: list[str], capped: bool, event_id: str | None, limit: int) -> tuple[list[dict], str | None]:
    """The best ``limit`` of the ranked order ids as summaries (only the event's, if one is given)."""
    wanted = ranked if event_id else ranked[:limit]
    found = store.summaries(ctx.conn, wanted, event_id)
    out = [found[i] for i in wanted if i in found][:limit]
    note = _("more than {cap} orders match: these are the best {count} of the first {cap}; "
             "type more to narrow it down").format(cap=SEARCH_CAP, count=len(out)) if capped else None
    return out, note


def _by_phone(ctx: Ctx, query: str, event_id: str | None, limit: int) -> FindResult:
    from boxoffice.domain import search_text

    digits = search_text.phone_digits(query)
    if len(digits) < search_text.MIN_PHONE_DIGITS:
        raise BoxOfficeError("bad_input", _("type at least {count} digits of the phone "
                                            "number (its last digits)").format(count=search_text.MIN_PHONE_DIGITS))
    refresh_index(ctx)
    # A number said in national form (07700 900123) is stored in international form (+44 7700 900123) or the
    # other way round: without its trunk zero, or by its last nine digits, it is still the number's ending.
    hits: list[tuple] = []
    for ending in dict.fromkeys((digits, digits.lstrip("0"), digits[-9:])):
        if len(ending) >= search_text.MIN_PHONE_DIGITS:
            hits = store.match(ctx.conn, search_text.phone_term(ending), SEARCH_CAP + 1, column="phone_rev")
            if hits:
                break
    # The closest number first: the one that is exactly what was typed, then the shortest that ends with it.
    hits.sort(key=lambda h: (len(h[2]), h[0]))
    found, note = _top(ctx, [h[0] for h in hits[:SEARCH_CAP]], len(hits) > SEARCH_CAP, event_id, limit)
    return _answer(ctx, query, "phone", found, event_id, note)


def _by_email(ctx: Ctx, query: str, event_id: str | None, limit: int) -> FindResult:
    found = store.summaries_by_email(ctx.conn, query, limit)
    if found:
        return _answer(ctx, query, "email", found, event_id)
    from boxoffice.domain import search_text

    terms = search_text.query_terms(query.replace("@", " "))
    if not terms:
        return _answer(ctx, query, "email", [], event_id)
    refresh_index(ctx)
    expression = "email : (" + " AND ".join(t.fts(prefix=True) for t in terms) + ")"
    hits = store.match(ctx.conn, expression, SEARCH_CAP + 1)
    found, note = _top(ctx, [h[0] for h in hits[:SEARCH_CAP]], len(hits) > SEARCH_CAP, event_id, limit)
    return _answer(ctx, query, "email", found, event_id, note)


def _by_name(ctx: Ctx, query: str, event_id: str | None, limit: int) -> FindResult:
    """Whole words first; only when no name has them all as whole words, the same words as prefixes.

    Ranked here rather than by FTS5's bm25: bm25 must count every document holding each term, a pass over each
    term's whole list that costs more than the match itself, and "how many of the words typed are whole words of
    the name, then the shortest name" is the order a desk wants anyway.
    """
    from boxoffice.domain import search_text

    terms = search_text.query_terms(query)
    if not terms:
        raise BoxOfficeError("bad_input", _("{query} has no letters or digits to search for").format(
            query=repr(query)))
    if not any(t.cjk for t in terms) and max(len(t.text) for t in terms) < MIN_NAME_CHARS:
        raise BoxOfficeError("bad_input", _("type at least {count} letters of a name").format(count=MIN_NAME_CHARS))
    refresh_index(ctx)
    hits = store.match(ctx.conn, search_text.name_match(terms, prefix=False), SEARCH_CAP + 1)
    if not hits:
        hits = store.match(ctx.conn, search_text.name_match(terms, prefix=True), SEARCH_CAP + 1)
    capped, hits = len(hits) > SEARCH_CAP, hits[:SEARCH_CAP]
    hits.sort(key=lambda h: (search_text.rank_key(terms, h[1]), h[0]))
    found, note = _top(ctx, [h[0] for h in hits], capped, event_id, limit)
    return _answer(ctx, query, "name", found, event_id, note)


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
    tz = (_event(ctx, order["event_id"]) or {}).get("timezone", "UTC")
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
    ev = _event(ctx, order["event_id"])
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
