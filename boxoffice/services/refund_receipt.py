"""The refund receipt's content: what was cancelled, the fee kept and the demand band that set it, where the money
went, who refunded it and any override (printing/documents.py lays it out)."""

from __future__ import annotations

from typing import Any

from boxoffice.domain.clock import when_text
from boxoffice.domain.money import format_money
from boxoffice.domain.tenders import TENDER_LABELS
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _, use_language
from boxoffice.services.context import Ctx
from boxoffice.services.demand_fee import receipt_lines
from boxoffice.services.events import venue_tz
from boxoffice.store import catalog as catalog_store
from boxoffice.store import orders as order_store
from boxoffice.store import refunds as store

# Each override as the screen, the error messages and the receipt name it (translated where shown: _(value)).
OVERRIDES = {
    "outside_policy": N_("outside the refund policy"),
    "above_limit": N_("above the refund limit"),
    "other_channel": N_("an order of another channel, with the central service out of reach"),
    "other_terminal": N_("an order sold at another terminal"),
    "used": N_("a ticket already admitted at the door"),
    "fee_waived": N_("the policy's fee waived"),
}

# The reason codes (services/refunds.REASONS) as the receipt prints them: the code with spaces, in English.
REASON_LABELS = {
    "cancelled": N_("cancelled"),
    "customer_request": N_("customer request"),
    "duplicate": N_("duplicate"),
    "wrong_tickets": N_("wrong tickets"),
    "other": N_("other"),
}


def place_label(t: dict[str, Any]) -> str:
    """'F10' for a seat, the section for a standing place."""
    if t.get("row") is not None:
        return f"{t['row']}{t['seat']}"
    return str(t.get("section_name") or t["section_id"])


def receipt_view(ctx: Ctx, refund_id: str, pays: list[dict[str, Any]]) -> Any:
    """What the refund receipt shows (printing/documents.py lays it out): what was cancelled, the fee kept, where
    the money went, who refunded it and any override, in the venue's language (``[venue] language``)."""
    with use_language(ctx.config.venue_language):
        return _receipt_view(ctx, refund_id, pays)


def _receipt_view(ctx: Ctx, refund_id: str, pays: list[dict[str, Any]]) -> Any:
    from boxoffice.printing.documents import RefundReceiptView
    from boxoffice.store import operators as operator_store

    r = store.get_refund(ctx.conn, refund_id)
    if r is None:
        raise BoxOfficeError("not_found", _("no refund {refund}").format(refund=refund_id))
    order = order_store.order_by_id(ctx.conn, r["order_id"])
    assert order is not None
    cur = order["currency"]
    ev = catalog_store.get_event(ctx.conn, order["event_id"])
    override = None
    if r["override"]:
        sup = operator_store.by_id(ctx.conn, r["approved_by"]) if r["approved_by"] else None
        why = _(", ").join(_(OVERRIDES[o]) for o in (r["override_why"] or "").split(",") if o in OVERRIDES)
        override = (why, sup["name"] if sup else "-")
    op = operator_store.by_id(ctx.conn, r["operator_id"])
    return RefundReceiptView(
        venue=ctx.config.venue_name or (catalog_store.venue(ctx.conn) or {}).get("name", ""),
        order_code=order["code"], time=when_text(r["at"], venue_tz(ctx), year=True),
        event=f"{ev['name']}, {when_text(ev['starts_at'], ev['timezone'], year=True)}" if ev else None,
        items=[(f"{i['type_name'] or i['ticket_type_id']} {place_label(i)}", format_money(i["price"], cur),
                format_money(-i["fee"], cur) if i["fee"] else None)
               for i in store.refund_items(ctx.conn, refund_id)],
        refunded=format_money(r["amount"], cur),
        tenders=[(_(TENDER_LABELS[p["tender"]]) + (f" ****{p['card_last4']}" if p["card_last4"] else ""),
                  format_money(p["amount"], cur)) for p in pays],
        reason=_(REASON_LABELS.get(r["reason_code"], r["reason_code"].replace("_", " "))),
        note=r["note"] or None, override=override,
        demand=tuple(receipt_lines(ctx, r, order["event_id"], cur)),
        operator=op["name"] if op else "-",
        open_drawer=bool(ctx.config.drawer_on_cash and any(p["tender"] == "cash" for p in pays)),
        language=ctx.config.venue_language)
