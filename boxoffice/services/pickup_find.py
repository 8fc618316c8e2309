"""The pickup desk's search: find an order however the customer identifies it.

One query box takes an order code, a scanned ticket, a name, an e-mail or the last digits of a phone. The query's
shape decides where it goes first (a token, a code, a shop's order code or ticket secret matched exactly:
services/pickup_shop.py, a phone, an e-mail, else a name), and a code-shaped query that is no order here is tried as
a name too, because some surnames fit the code alphabet (STEPHENS).

The order search index follows the orders table rather than every writer of orders: before a search, orders added
since the last indexed one (a walk-up sale, an import) are indexed (services/pickup_index.py).
"""

from __future__ import annotations

from typing import TypedDict, cast

from boxoffice.domain.codes import normalise_code
from boxoffice.domain.ids import is_uuid
from boxoffice.domain.masking import masked
from boxoffice.domain.ticket_state import order_state
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services import pickup_shop
from boxoffice.services.context import Ctx, viewer_role
from boxoffice.services.pickup_index import refresh_index
from boxoffice.store import catalog as catalog_store
from boxoffice.store import pickup as store

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


# tickets.token's TOKEN_MIN_CHARS: a query shorter than this is never read as a token, so the token module (its
# hashes and classes) is imported only for one that may be (tests/test_startup_imports.py checks the two agree).
TOKEN_MIN_CHARS = 120
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
    if len(q) >= TOKEN_MIN_CHARS:
        from boxoffice.tickets.token import looks_like_token

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
    ev = event_row(ctx, r["event_id"])
    return {"order_id": r["id"], "code": r["code"], "event_id": r["event_id"],
            "event": ev["name"] if ev else r["event_id"], "channel": r["channel"],
            "status": order_state(r["status"], r["tickets"], r["revoked"]),
            "name": r["customer_name"], "email": r["email"], "phone_end": digits[-4:] if digits else None,
            "tickets": r["tickets"], "picked_up": r["picked"], "notes": r["notes"], "match": by}


def event_row(ctx: Ctx, event_id: str) -> dict | None:
    """The event's row, read once per context (the desk shows many orders of few events)."""
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
