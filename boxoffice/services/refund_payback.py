"""Paying money back, for a refund and for an exchange that costs less: which tenders it goes back to, what the
operator is told to do with it, the payment rows that record it, and the drawer check before cash leaves.

Apart from refunds.py because exchanges pay back by exactly the same rules, and the rules of what may be refunded
(policy, permission, which tickets) are a separate job.
"""

from __future__ import annotations

from typing import Any

from boxoffice.domain.ids import uuid7
from boxoffice.domain.money import format_money, parse_amount
from boxoffice.domain.tenders import TENDER_LABELS
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.store import orders as order_store
from boxoffice.store import refunds as store


def refund_limit(ctx: Ctx, currency: str) -> int:
    """``refund_supervisor_above`` in minor units: refunds above it need a supervisor."""
    return parse_amount(str(ctx.config.refund_supervisor_above), currency)


def above_limit(ctx: Ctx, order: dict[str, Any], amount: int) -> bool:
    """Whether paying ``amount`` back on ``order`` takes it past the refund limit, counting what the order has had
    back already: the limit is on what one order gives back, so refunding it a few tickets at a time (or a cheaper
    exchange after a refund) needs the supervisor the whole refund would."""
    return amount > 0 and store.given_back(ctx.conn, order["id"]) + amount > refund_limit(ctx, order["currency"])


def refund_plan(ctx: Ctx, order: dict[str, Any], amount: int) -> list[dict[str, Any]]:
    """How ``amount`` goes back: [{tender, amount, card_last4, reference}], cards first then cash (module doc)."""
    sources: list[dict[str, Any]] = []
    seen: set[str] = set()
    oid: str | None = order["id"]
    while oid and oid not in seen:  # this order, then the order its exchange credit came from, and so on
        seen.add(oid)
        pays = [p for p in order_store.payments_of(ctx.conn, oid) if p["kind"] == "payment"
                and p["tender"] in ("card", "cash") and p["amount"] > 0]
        back = store.refunded_against(ctx.conn, [p["id"] for p in pays])
        sources += [p | {"left": p["amount"] - back[p["id"]]} for p in reversed(pays)]
        oid = store.exchanged_from(ctx.conn, oid)
    plan: list[dict[str, Any]] = []
    due = amount
    for tender in ("card", "cash"):
        for p in sources:
            if due <= 0:
                break
            if p["tender"] == tender and p["left"] > 0:
                take = min(p["left"], due)
                plan.append({"tender": tender, "amount": take, "card_last4": p["card_last4"], "reference": p["id"]})
                due -= take
    if due > 0:  # paid where no local tender can return it (a web order): the drawer pays
        plan.append({"tender": "cash", "amount": due, "card_last4": None, "reference": None})
    return plan


# domain.tenders.TENDER_LABELS of the tenders money goes back to, marked for the catalogue: shown with _().
_TENDER_WORDS = (N_("Cash"), N_("Card"))


def plan_text(plan: list[dict[str, Any]], currency: str) -> str:
    parts = [f"{_(TENDER_LABELS[p['tender']])}{' ****' + p['card_last4'] if p['card_last4'] else ''} "
             f"{format_money(p['amount'], currency)}" for p in plan]
    return _(", ").join(parts) or _("nothing to pay back")


def plan_steps(plan: list[dict[str, Any]], currency: str) -> str:
    """What the operator does with the money, in order: "refund 39.37 on the card machine now (card ****4242),
    then give back 10.00 in cash". The terminal records a card refund; the card machine is what pays it."""
    steps = []
    for p in plan:
        amount = format_money(p["amount"], currency)
        if p["tender"] == "card":
            card = _(" (card ****{last4})").format(last4=p["card_last4"]) if p["card_last4"] else ""
            steps.append(_("refund {amount} on the card machine now{card}").format(amount=amount, card=card))
        else:
            steps.append(_("give back {amount} in cash").format(amount=amount))
    return _(", then ").join(steps) or _("nothing to pay back")


def refund_rows(ctx: Ctx, order_id: str, plan: list[dict[str, Any]], approver: str | None,
                shift_id: str | None) -> list[dict[str, Any]]:
    """Payment rows of kind 'refund' for a plan; each names the payment it returns in ``reference``."""
    now = ctx.now_iso()
    return [{"id": uuid7(), "order_id": order_id, "kind": "refund", "tender": p["tender"], "amount": p["amount"],
             "tendered": None, "change": None, "card_last4": p["card_last4"], "reference": p["reference"],
             "comp_reason": None, "approved_by": approver, "shift_id": shift_id, "created_at": now}
            for p in plan if p["amount"] > 0]

