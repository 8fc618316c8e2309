"""`boxoffice order show` and `order reprint`: look up an order and reprint its tickets."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    TOKEN_ARGUMENT,
    ask_pin,
    echo,
    emit_json,
    finish_printing,
    secho,
    table,
    terminal,
)
from boxoffice.i18n import N_, _

order_app = sub_app(N_("Look up an order and reprint its tickets."))


@order_app.command("show", context_settings=TOKEN_ARGUMENT)
def show(code: str = typer.Argument(..., help=_("Order code, e.g. K7M2-224W (case and hyphen forgiven), or a "
                                              "scanned ticket of the order (quote it).")),
         json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Show an order: customer, tickets with places and state, payments.

    Example: boxoffice order show k7m2-224w
    """
    from boxoffice.services.orders import order_details

    with terminal() as ctx:
        o = order_details(ctx, code)
    if json_out:
        emit_json(o)
        return
    secho(_("Order {code}  {event}  {status}  total {total} {currency}").format(
        code=o["code"], event=o["event_name"], status=o["status"], total=o["total_text"], currency=o["currency"]),
          bold=True)
    echo(_("  sold {when} via {channel}").format(when=o["created_local"], channel=o["channel"]) +
         (_("; customer {name}").format(name=o["customer_name"]) if o["customer_name"] else ""))
    if o["notes"]:
        secho(_("  NOTE: {notes}").format(notes=o["notes"]), fg="yellow")
    echo(table([(t["section_name"], (t["row"] or "") + (t["seat"] or ""), t["type"], t["price"], t["status"],
                 _("yes") if t["picked_up_at"] else "", t["copies"] or "") for t in o["tickets"]],
               [_("section"), _("seat"), _("type"), _("price"), _("status"), _("picked up"), _("copies")]))
    echo(table([(p["kind"], p["tender"], p["amount"], p["card_last4"] or "", p["change"] or "")
                for p in o["payments"]], [_("payment"), _("tender"), _("amount"), _("card"), _("change")]))


@order_app.command("reprint", context_settings=TOKEN_ARGUMENT)
def reprint(code: str = typer.Argument(..., help=_("Order code, or a scanned ticket of the order (quote it).")),
            supervisor: str = typer.Option(None, "--supervisor", help=_("Supervisor approving (PIN asked).")),
            json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Reprint an order's tickets marked COPY, with the same QR tokens; each copy is counted and journalled.

    Needs a supervisor. Example: boxoffice order reprint K7M2-224W --supervisor Sue
    """
    from boxoffice.services.orders import check_reprint
    from boxoffice.services.orders import reprint as do_reprint

    with terminal() as ctx:
        plan = check_reprint(ctx, code, supervisor)  # before the PIN: the order, its tickets, who may approve
        sup = (supervisor, ask_pin(f"PIN for {supervisor}")) if supervisor and plan["needs_supervisor"] else None
        out = do_reprint(ctx, code, sup)
    if json_out:
        emit_json(out)
    else:
        echo(_("Reprinted {count} ticket(s) of {order} as COPY.").format(count=len(out["tickets"]), order=out["order"]))
    finish_printing(out["results"], json_out)
