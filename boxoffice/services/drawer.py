"""The open shift a drawer belongs to and the drawer's arithmetic: what shifts.py and blind_close.py both stand on.

    expected = float + cash taken by sales - cash given back by refunds + cash in - cash out
"""

from __future__ import annotations

import json
from typing import Any

from boxoffice.domain import denominations as denoms
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import operators as operator_store
from boxoffice.store import shifts as store


def current(ctx: Ctx, operator_id: str | None = None) -> dict[str, Any] | None:
    """The open shift of an operator (default: whoever is logged in) at this terminal, or None."""
    if operator_id is None:
        if ctx.operator is None:
            return None
        operator_id = ctx.operator["id"]
    return store.open_for(ctx.conn, operator_id, ctx.terminal["id"])


def _mine(ctx: Ctx, op: dict[str, Any]) -> dict[str, Any]:
    shift = current(ctx, op["id"])
    if shift is None:
        raise BoxOfficeError("shift_required", _("{name} has no open shift at this terminal: run `boxoffice shift "
                                                 "open --float AMOUNT` first").format(name=op["name"]))
    return shift


def refuse_if_counted(shift: dict[str, Any], name: str) -> None:
    """A drawer counted for its close takes no more money. The count is kept so that a second try cannot count to
    what the first one revealed; money paid in or out after it (a sale, a refund, a cash drop) would move the
    expected figure to meet the count instead, and close a shortfall at no variance without a supervisor."""
    if shift.get("drawer_count") is not None:
        raise BoxOfficeError("drawer_counted", _("{name}'s drawer was counted for closing: close the shift (`boxoffice "
                                                 "shift close`; a supervisor approves any variance) before any more "
                                                 "money goes in or out").format(name=name))


def cash_summary(ctx: Ctx, shift: dict[str, Any]) -> dict[str, int]:
    """The drawer's arithmetic for a shift (see the module docstring)."""
    pays = {(p["kind"], p["tender"]): p["amount"] for p in store.payment_totals(ctx.conn, shift["id"])}
    moves = {m["kind"]: m["amount"] for m in store.movement_totals(ctx.conn, shift["id"])}
    out = {"float": shift["float"], "sales": pays.get(("payment", "cash"), 0),
           "refunds": pays.get(("refund", "cash"), 0), "in": moves.get("in", 0), "out": moves.get("out", 0)}
    out["expected"] = out["float"] + out["sales"] - out["refunds"] + out["in"] - out["out"]
    return out


def _target(ctx: Ctx, operator_name: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(who asks, whose shift): your own, or with ``operator_name`` someone else's, which takes a supervisor."""
    op = ctx.require("shift")
    if operator_name is None:
        return op, _mine(ctx, op)
    other = operator_store.by_name(ctx.conn, operator_name)
    if other is None:
        raise BoxOfficeError("not_found", _("no operator named {name!r}").format(name=operator_name))
    if other["id"] != op["id"]:
        ctx.require("report")
    return op, _mine(ctx, other)


def kept_pieces(shift: dict[str, Any]) -> list[dict[str, Any]]:
    """The drawer's blind count by denomination kept on a shift, largest first (empty for a total or no count)."""
    if not shift.get("drawer_pieces"):
        return []
    pieces = {int(v): int(n) for v, n in json.loads(shift["drawer_pieces"]).items()}
    return denoms.count_lines(pieces, shift["currency"])
