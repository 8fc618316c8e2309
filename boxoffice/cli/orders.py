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
from boxoffice.i18n import N_

order_app = sub_app(N_("Look up an order and reprint its tickets."))


@order_app.command("show", context_settings=TOKEN_ARGUMENT)
def show(code: str = typer.Argument(..., help="Order code, e.g. K7M2-224W (case and hyphen forgiven), or a "
                                              "scanned ticket of the order (quote it)."),
         json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Show an order: customer, tickets with places and state, payments.

    Example: boxoffice order show k7m2-224w
    """
    from boxoffice.services.orders import order_details

    with terminal() as ctx:
        o = order_details(ctx, code)
    if json_out:
        emit_json(o)
        return
    secho(f"Order {o['code']}  {o['event_name']}  {o['status']}  total {o['total_text']} {o['currency']}",
                bold=True)
    echo(f"  sold {o['created_local']} via {o['channel']}" + (f"; customer {o['customer_name']}"
                                                                     if o["customer_name"] else ""))
    if o["notes"]:
        secho(f"  NOTE: {o['notes']}", fg="yellow")
    echo(table([(t["section_name"], (t["row"] or "") + (t["seat"] or ""), t["type"], t["price"], t["status"],
                       "yes" if t["picked_up_at"] else "", t["copies"] or "") for t in o["tickets"]],
                     ["section", "seat", "type", "price", "status", "picked up", "copies"]))
    echo(table([(p["kind"], p["tender"], p["amount"], p["card_last4"] or "", p["change"] or "")
                      for p in o["payments"]], ["payment", "tender", "amount", "card", "change"]))


@order_app.command("reprint", context_settings=TOKEN_ARGUMENT)
def reprint(code: str = typer.Argument(..., help="Order code, or a scanned ticket of the order (quote it)."),
            supervisor: str = typer.Option(None, "--supervisor", help="Supervisor approving (PIN asked)."),
            json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
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
        echo(f"Reprinted {len(out['tickets'])} ticket(s) of {out['order']} as COPY.")
    finish_printing(out["results"], json_out)
