"""Who may refund or exchange what: the overrides a refund needs (another channel's order, another terminal's
sale, a used ticket) and who approves them, refused before any PIN is asked or any money moves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from boxoffice.domain.permissions import PERMISSIONS, allowed
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.services.refund_receipt import OVERRIDES

# Roles as a refusal names them (the role itself stays English in --json and the database).
ROLE_WORDS: dict[str, str] = {"seller": N_("seller"), "pickup": N_("pickup"), "door": N_("door"),
                              "supervisor": N_("supervisor"), "admin": N_("admin")}


def channel_override(ctx: Ctx, order: dict[str, Any]) -> list[str]:
    """Another channel's order (the web shop's) or another terminal's sale is not this terminal's to pay back alone:
    the central service applies a refund of another terminal's tickets only under a supervisor's override (see
    central/services/ownership.py), so the override is asked here, before any money moves, not found out at sync.

    An order an exchange made here is judged by where its tickets came from: every order back along its exchanges.
    Else one approved exchange (even, new seats) would turn a web order paid online, or another counter's sale, into
    this counter's own, which a seller then refunds alone, in cash from the drawer that never took the money."""
    from boxoffice.store import orders as order_store
    from boxoffice.store import refunds as refund_store

    seen = {order["id"]}
    while True:
        if order["channel"] != "box_office":
            return ["other_channel"]
        if order["terminal_id"] != ctx.terminal["id"]:
            return ["other_terminal"]
        made = refund_store.moved_into(ctx.conn, order["id"])
        if made is None or made["from_order_id"] in seen:
            return []
        seen.add(made["from_order_id"])
        earlier = order_store.order_by_id(ctx.conn, made["from_order_id"])
        if earlier is None:
            return []
        order = earlier


def used_override(ctx: Ctx, tickets: list[dict[str, Any]]) -> list[str]:
    """A ticket that got someone in once is not refunded or exchanged without a supervisor."""
    from boxoffice.store.checkins import ticket_state

    return ["used"] if any(ticket_state(ctx.conn, t["id"])["last_direction"] for t in tickets) else []


def authorise(ctx: Ctx, op: dict[str, Any], overrides: list[str], supervisor: tuple[str, str] | None,
              action: str, detail: str) -> Mapping[str, Any] | None:
    """Who approves the overrides (None when there are none); refuses, naming the role needed, when nobody may."""
    check_authority(ctx, op, overrides, supervisor[0] if supervisor else None, action, detail)
    if supervisor is not None:  # a PIN given for nothing still has to be right: no silent guessing
        from boxoffice.services.operators import approve

        approver = approve(ctx, supervisor[0], supervisor[1], "refund_override")
        return approver if overrides else None
    return op if overrides else None


def check_authority(ctx: Ctx, op: dict[str, Any], overrides: list[str], supervisor: str | None, action: str,
                    detail: str) -> None:
    """Refuse now what :func:`authorise` would refuse for want of authority, before any PIN or question.

    ``supervisor`` is the name given to approve (their PIN comes later): they must exist, be enabled and hold the
    override permission. With nobody named, the operator must be allowed the overrides themselves.
    """
    if supervisor is not None:
        from boxoffice.services.operators import check_approver

        check_approver(ctx, supervisor, "refund_override")
        return
    if not overrides:
        return
    if "other_channel" in overrides:
        raise BoxOfficeError("central_unreachable",
                             _("{detail} belongs to another channel; refunding it needs the central service, which "
                               "this terminal cannot reach: try again online, or a supervisor may override now "
                               "(--supervisor NAME; the override is flagged for review)").format(detail=detail))
    if allowed(op["role"], "refund_override"):
        return
    needed = _(" or ").join(_(ROLE_WORDS.get(r, r)) for r in PERMISSIONS["refund_override"])
    why = _(" and ").join(_(OVERRIDES[o]) for o in overrides)
    code = "not_refundable" if overrides == ["outside_policy"] else "permission_denied"
    message = (_("{name} ({role}) may not refund {why} ({detail}): ask a {needed} "
                 "to approve with --supervisor NAME (PIN asked)") if action == "refund" else
               _("{name} ({role}) may not exchange {why} ({detail}): ask a {needed} "
                 "to approve with --supervisor NAME (PIN asked)") if action == "exchange" else
               _("{name} ({role}) may not {action} {why} ({detail}): ask a {needed} "
                 "to approve with --supervisor NAME (PIN asked)"))
    raise BoxOfficeError(code, message.format(name=op["name"], role=_(ROLE_WORDS.get(op["role"], op["role"])),
                                              action=action, why=why, detail=detail, needed=needed),
                         needed=list(PERMISSIONS["refund_override"]), overrides=overrides)
