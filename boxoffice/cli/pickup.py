"""`boxoffice pickup ...`: will-call, finding an order and handing it out exactly once."""

from __future__ import annotations

import contextlib
from typing import Any

import typer

from boxoffice.cli.common import (
    JSON_HELP,
    TOKEN_ARGUMENT,
    confirm,
    echo,
    emit_json,
    finish_printing,
    secho,
    table,
    terminal,
    warn_outside_shift,
)
from boxoffice.cli.default_group import default_command_app
from boxoffice.i18n import N_, _

pickup_app = default_command_app(N_("Will-call: find an order, take payment for an unpaid one, and hand it out "
                                 "exactly once.\n\n"
                                 "Examples:\n"
                                 "  boxoffice pickup find 'demo customer'\n"
                                 "  boxoffice pickup WQ72-2248"), "give")


@pickup_app.command("find", context_settings=TOKEN_ARGUMENT)
def pickup_find(query: list[str] = typer.Argument(..., help=_("Code, scanned ticket, name, e-mail or phone digits.")),
                event: str = typer.Option(None, "--event", help=_("Only orders for this event.")),
                limit: int = typer.Option(20, "--limit", help=_("At most this many results.")),
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Find orders by code (case and hyphens forgiven), scanned ticket, name (any order, accents optional,
    prefixes, Chinese), e-mail, or the last 4+ digits of the phone. Best matches first.

    A web order bought in pretix is found by its pretix order code too (e.g. Q7XKD, any case), or by scanning its
    pretix ticket.

    Examples:
      boxoffice pickup find wq722248
      boxoffice pickup find q7xkd
      boxoffice pickup find smi ann
      boxoffice pickup find 0123
    """
    from boxoffice.services.pickup_find import find  # services.pickup's own: not its hand-out imports

    with terminal() as ctx:
        out = find(ctx, " ".join(query), event, max(1, min(limit, 200)))
    if json_out:
        emit_json(out)
        return
    if out["note"]:
        secho(out["note"], fg="yellow", err=True)
    echo(table([(r["code"], r["name"] or "", r["event"], f"{r['picked_up']}/{r['tickets']}",
                       _state(r), r["notes"] or "", r["match"]) for r in out["results"]],
               [_("code"), _("name"), _("event"), _("out"), _("state"), _("notes"), _("found by")]))


def _state(r: dict[str, Any]) -> str:
    if r["channel"] == "box_office":
        return _("sold here")
    if r["status"] == "unpaid":
        return _("NOT PAID")
    if r["tickets"] and r["picked_up"] >= r["tickets"]:
        return _("handed out")
    return _("partly out") if r["picked_up"] else _("waiting")


@pickup_app.command("give", context_settings=TOKEN_ARGUMENT)
def pickup_give(code: str = typer.Argument(..., help=_("Order code, e.g. WQ72-2248, or a scanned ticket of the order "
                                                     "(quote it).")),
                tickets: str = typer.Option(None, "--tickets", help=_("Only these tickets: ids or their last 8 "
                                                                    "characters, comma separated.")),
                count: int = typer.Option(None, "--count", help=_("Only this many tickets (the rest later).")),
                yes: bool = typer.Option(False, "--yes", "-y", help=_("The order's note (e.g. ID required) was "
                                                                    "checked: do not ask.")),
                id_last4: str = typer.Option(None, "--id-last4", help=_("Real-name orders: the last four characters "
                                             "of a ticket holder's ID document.")),
                id_number: str = typer.Option(None, "--id-number", help=_("Real-name orders: a ticket holder's whole "
                                              "ID number, matched by its keyed hash (never kept).")),
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Hand an order out: records who and when, prints its tickets. `boxoffice pickup CODE` is the same.

    An order with real-name tickets (docs/real-name.md) is handed out only against a holder's ID document:
    --id-last4 XXXX or --id-number NUMBER (holder_required without one, holder_mismatch for a wrong one).

    An unpaid order is refused; a second pickup is refused naming who and when (a supervisor can reprint with
    `boxoffice order reprint`). A note such as "ID required" is shown and must be confirmed.
    Examples:
      boxoffice pickup give WQ72-2248
      boxoffice pickup WQ72-2248 --count 2
      boxoffice pickup WQ72-2248 --tickets 5f3a9c21,77d0e4b8 --yes
      boxoffice pickup WQ72-2248 --id-last4 002X
    """
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.pickup import pick_up, plan_pickup

    if tickets is not None and count is not None:
        raise BoxOfficeError("bad_input", _("give --tickets or --count, not both"))
    ids = [t.strip() for t in tickets.split(",") if t.strip()] if tickets else None
    with terminal() as ctx:
        ctx.require("pickup")
        plan = plan_pickup(ctx, code, ids, count, id_last4=id_last4, id_number=id_number)
        confirmed = yes
        if plan["notes"] and not yes and not json_out:
            secho(_("NOTE: {notes}").format(notes=plan["notes"]), fg="yellow", bold=True)
            with contextlib.suppress(typer.Abort):
                confirmed = confirm(_("Checked? Hand out {count} ticket(s) of {order}").format(
                    count=len(plan["chosen"]), order=plan["order"]["code"]), default=False)
            if not confirmed:
                raise BoxOfficeError("conflict", _("not handed out: the note on {order} was not confirmed").format(
                    order=plan["order"]["code"]))
        out = pick_up(ctx, code, ticket_ids=ids, count=count, confirmed=confirmed, id_last4=id_last4,
                      id_number=id_number)
    if json_out:
        emit_json(out)
    else:
        who = f" ({out['name']})" if out["name"] else ""
        secho(_("HANDED OUT {order}{who}: {count} ticket(s): {places}").format(
            order=out["order"], who=who, count=len(out["handed_out"]), places=", ".join(out["places"])),
              fg="green", bold=True)
        if out["holder"]:
            echo(_("ID checked: {holder}").format(holder=out["holder"]["line"]))
        if out["remaining"]:
            echo(_("{count} ticket(s) still to hand out.").format(count=out["remaining"]))
    finish_printing(out["print"], json_out)


@pickup_app.command("pay")
def pickup_pay(code: str = typer.Argument(..., help=_("Order code of an unpaid web order, e.g. WQ72-2248.")),
               cash: str = typer.Option(None, "--cash", help=_("Cash handed over, e.g. 50; the change is worked out.")),
               card: list[str] = typer.Option([], "--card", help=_("Card: LAST4 (the rest) or LAST4:AMOUNT; only 4 "
                                                                 "digits kept.")),
               no_receipt: bool = typer.Option(False, "--no-receipt", help=_("Do not print a receipt.")),
               json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Take payment for an unpaid web order at the desk, then hand it out with `boxoffice pickup CODE`.

    Paid as a sale is (cash with change, card by its last four, or split), booked to the open shift's drawer and
    journalled; a second payment is refused (already_paid). Needs a seller, supervisor or admin.
    Examples:
      boxoffice pickup pay WQ72-2248 --cash 50
      boxoffice pickup pay WQ72-2248 --card 4242
      boxoffice pickup pay WQ72-2248 --card 4242:10 --cash 20
    """
    from boxoffice.services.desk_payment import amount_due, pay_order, tenders
    from boxoffice.services.printing import run_jobs

    with terminal() as ctx:
        due = amount_due(ctx, code)
        out = pay_order(ctx, code, tenders(cash, card, due["currency"]), print_receipt=not no_receipt)
        prints = run_jobs(ctx, out["jobs"])
    if json_out:
        emit_json({"order": out["order"], "order_id": out["order_id"], "total": out["total_text"],
                   "change": out["change_text"], "currency": out["currency"],
                   "payments": [{"tender": p["tender"], "amount": p["amount"], "card_last4": p["card_last4"]}
                                for p in out["payments"]], "outside_shift": out["outside_shift"], "print": prints})
    else:
        secho(_("PAID {order}: {total} {currency}").format(order=out["order"], total=out["total_text"],
                                                           currency=out["currency"]), fg="green", bold=True)
        if any(p["tender"] == "cash" for p in out["payments"]):
            secho(_("CHANGE {amount}").format(amount=out["change_text"]), bold=True)
        warn_outside_shift(out["outside_shift"])
        echo(_("Hand it out now: boxoffice pickup {order}").format(order=out["order"]))
    finish_printing(prints, json_out)
