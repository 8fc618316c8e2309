"""The pickup desk finds a web order by what the shop that sold it gave the customer.

A customer who bought in pretix's shop holds pretix's order code (from pretix's confirmation e-mail, e.g. Q7XKD) or
a pretix ticket whose QR is the ticket's pretix secret, not the W code the central service gave the order. Both
reach the terminal with the web order (the order's ``shop_ref``, each ticket's ``external_secret``), and both are
looked up here exactly, each through its own index: a query that is neither costs two indexed reads that find
nothing, and no other search is widened by it.

The secret is what admits the ticket at the door, so it never appears in what is found: the answer's query is a
label, not the secret.
"""

from __future__ import annotations

from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import pickup as store

MAX_SHOP_REF = 64  # as the feed's order.shop_ref
MAX_SECRET = 255  # as the feed's ticket.external_secret
BY_SHOP_REF = "shop_ref"
BY_SHOP_TICKET = "shop_ticket"


def _one_word(q: str) -> bool:
    return bool(q) and all("!" <= ch <= "~" for ch in q)


def find(ctx: Ctx, query: str, event_id: str | None, limit: int) -> tuple[str, str, list[dict]] | None:
    """(query as shown, how it matched, orders) for a shop's order reference or ticket secret, else None.

    Orders of another event than ``event_id`` (when given) do not count, so the query goes on to the other
    searches as before.
    """
    q = query.strip()
    if not _one_word(q):
        return None
    if len(q) <= MAX_SHOP_REF:
        found = [r for r in store.summaries_by_shop_ref(ctx.conn, q, limit)
                 if event_id is None or r["event_id"] == event_id]
        if found:
            return q, BY_SHOP_REF, found
    order = order_by_secret(ctx, q)
    if order is not None and (event_id is None or order["event_id"] == event_id):
        return _("(a shop ticket)"), BY_SHOP_TICKET, [order]
    return None


def order_by_secret(ctx: Ctx, secret: str) -> dict | None:
    """The order (with its counts) of the ticket whose shop secret is exactly ``secret``, or None."""
    if not _one_word(secret) or len(secret) > MAX_SECRET:
        return None
    ticket_id = store.ticket_by_external_secret(ctx.conn, secret)
    return store.summary_by_ticket(ctx.conn, ticket_id) if ticket_id else None


def order_for_pickup(ctx: Ctx, text: str) -> dict | None:
    """The one order a desk means by a shop reference or a scanned shop ticket (``boxoffice pickup Q7XKD``), or
    None: a reference two orders share names neither, and the desk finds them with `pickup find`."""
    q = (text or "").strip()
    if not _one_word(q):
        return None
    found = store.summaries_by_shop_ref(ctx.conn, q, 2) if len(q) <= MAX_SHOP_REF else []
    if len(found) == 1:
        return found[0]
    return order_by_secret(ctx, q) if not found else None
