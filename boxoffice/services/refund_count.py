"""Which places of a standing (general admission) line a refund of ``--count N`` takes.

Standing places have no seat to name, so the operator says how many. The places taken are, in this order, those
not yet handed out at will-call and not yet admitted at the door, then those handed out but never admitted, and
the ones that got someone in last (a refund of those still needs a supervisor's override, as any refund of a used
ticket does). Among equals, the last sold goes first, so the order keeps the tickets the customer had longest.
"""

from __future__ import annotations

from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _, ngettext
from boxoffice.services.context import Ctx
from boxoffice.store import orders as order_store

MAX_COUNT = 10_000


def _used(ctx: Ctx, ticket_id: str) -> bool:
    from boxoffice.store.checkins import ticket_state

    return bool(ticket_state(ctx.conn, ticket_id)["last_direction"])


def pick_count(ctx: Ctx, order: dict[str, Any], count: int, ticket_type: str | None = None) -> list[dict[str, Any]]:
    """``count`` valid standing tickets of ``order`` (of ``ticket_type`` when given), chosen as the module says.

    Refuses (``bad_input``) a count below one, an order with fewer such places left than asked, and places that
    differ in section or ticket type (their prices differ, so the operator says which with ``ticket_type``)."""
    if count < 1 or count > MAX_COUNT:
        raise BoxOfficeError("bad_input", _("--count is how many standing places to refund: 1 or more, not {count}")
                             .format(count=count))
    tickets = [t for t in order_store.tickets_of(ctx.conn, order["id"]) if t["status"] == "valid"]
    standing = [t for t in tickets if t["row"] is None and t["seat"] is None]
    if ticket_type is not None:
        standing = [t for t in standing if t["ticket_type_id"] == ticket_type]
    if not standing:
        what = _(" of type {type}").format(type=repr(ticket_type)) if ticket_type else ""
        raise BoxOfficeError("bad_input", _("order {code} has no standing places{what} left to refund "
                                            "(seated tickets are named with --tickets)").format(
            code=order["code"], what=what))
    kinds = sorted({(t["section_id"], t["ticket_type_id"]) for t in standing})
    if len(kinds) > 1:
        listed = ", ".join(f"{section} {kind}" for section, kind in kinds)
        if len({section for section, _ in kinds}) > 1:
            raise BoxOfficeError("bad_input", _("order {code} has standing places in several sections "
                                                "({listed}): name the tickets with --tickets").format(
                code=order["code"], listed=listed))
        raise BoxOfficeError("bad_input", _("order {code} has standing places of several types ({listed}): "
                                            "say which with --type").format(code=order["code"], listed=listed))
    if count > len(standing):
        raise BoxOfficeError("bad_input", ngettext(
            "order {code} has {left} standing place left to refund, not {count}",
            "order {code} has {left} standing places left to refund, not {count}", len(standing)).format(
            code=order["code"], left=len(standing), count=count))
    ranked = sorted(enumerate(standing),
                    key=lambda it: (_used(ctx, it[1]["id"]), it[1]["picked_up_at"] is not None, -it[0]))
    return [t for _, t in ranked[:count]]
