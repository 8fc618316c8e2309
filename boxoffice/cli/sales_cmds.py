"""`boxoffice sell`, `order ...`, `print ...`, `ticket verify`."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    TOKEN_ARGUMENT,
    ask_pin,
    emit_json,
    finish_printing,
    table,
    terminal,
)

order_app = sub_app("Look up an order and reprint its tickets.")
print_app = sub_app("The print queue: retry what did not print, print a test page, list jobs.")
ticket_app = sub_app("Check a ticket's QR token offline.")


def _tenders(cash: str | None, card: list[str], comp: str | None, currency: str) -> list:
    from boxoffice.domain.money import parse_amount
    from boxoffice.domain.tenders import Tender, parse_card

    tenders = [parse_card(c, currency) for c in card]
    if cash is not None:
        tenders.append(Tender("cash", parse_amount(cash, currency)))
    if comp is not None:
        tenders.append(Tender("comp", reason=comp.strip() or None))
    return tenders


def sell(
    event: str = typer.Argument(..., help="Event id (see `boxoffice event list`)."),
    types: list[str] = typer.Option(..., "--type", "-t", help="Ticket type and count, repeatable: adult=2."),
    section: str = typer.Option(..., "--section", "-s", help="Section id."),
    seats: str = typer.Option(None, "--seats", help="Named seats, comma separated: B12,B13. Default: best available."),
    accessible: bool = typer.Option(False, "--wheelchair", help="Include a wheelchair space (and companion seats)."),
    cash: str = typer.Option(None, "--cash", help="Cash handed over, e.g. 100; the change is worked out."),
    card: list[str] = typer.Option([], "--card", help="Card: LAST4 (the rest) or LAST4:AMOUNT; only 4 digits kept."),
    comp: str = typer.Option(None, "--comp", help="Complimentary, with the reason; needs a supervisor."),
    supervisor: str = typer.Option(None, "--supervisor", help="Supervisor approving a comp (PIN asked)."),
    name: str = typer.Option(None, "--name", help="Customer name."),
    email: str = typer.Option(None, "--email", help="Customer e-mail."),
    phone: str = typer.Option(None, "--phone", help="Customer phone."),
    no_receipt: bool = typer.Option(False, "--no-receipt", help="Print tickets only."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Sell tickets at the window: places, payment, signed QR tickets and a receipt, printed at once.

    The sale is saved before printing; if the printer fails, the sale stands and `boxoffice print retry` prints
    it (exit status 7). Examples:
      boxoffice sell gala-1130 -s stalls -t adult=2 -t child=1 --cash 100
      boxoffice sell gala-1130 -s standing -t adult=4 --card 4242
      boxoffice sell gala-1130 -s stalls --seats F10,F11 -t adult=2 --card 4242:40 --cash 50
    """
    from boxoffice.domain.pricing import parse_type_counts
    from boxoffice.services.events import get_event
    from boxoffice.services.printing import run_jobs
    from boxoffice.services.sales import SaleRequest
    from boxoffice.services.sales import check as check_sale
    from boxoffice.services.sales import sell as do_sell

    with terminal() as ctx:
        currency = get_event(ctx, event)["currency"]
        req = SaleRequest(
            event_id=event, section_id=section, counts=parse_type_counts(types),
            tenders=_tenders(cash, card, comp, currency),
            seats=[s for s in seats.split(",") if s.strip()] if seats else None, accessible=accessible,
            customer_name=name, email=email, phone=phone, print_receipt=not no_receipt)
        if supervisor:  # everything else that could refuse the sale first, then the PIN
            check_sale(ctx, req, supervisor)
            req.supervisor = (supervisor, ask_pin(f"PIN for {supervisor}"))
        result = do_sell(ctx, req)
        prints = run_jobs(ctx, result["jobs"])
    order = result["order"]
    if json_out:
        emit_json({"order": order["code"], "order_id": order["id"], "total": result["total_text"],
                   "change": result["change_text"], "currency": result["currency"],
                   "tickets": [{"id": t["id"], "section": t["section_id"], "row": t["row"], "seat": t["seat"],
                                "type": t["ticket_type_id"], "token": t["token"]} for t in result["tickets"]],
                   "print": prints})
    else:
        places = ", ".join(f"{t['row']}{t['seat']}" if t["row"] else t["section_id"] for t in result["tickets"])
        typer.secho(f"SOLD {order['code']}  {len(result['tickets'])} ticket(s): {places}", bold=True, fg="green")
        typer.echo(f"Total {result['total_text']} {result['currency']}")
        if any(p["tender"] == "cash" for p in result["payments"]):
            typer.secho(f"CHANGE {result['change_text']}", bold=True)
    finish_printing(prints, json_out)


@order_app.command("show", context_settings=TOKEN_ARGUMENT)
def show(code: str = typer.Argument(..., help="Order code, e.g. K7M2-4XQ9 (case and hyphen forgiven), or a "
                                              "scanned ticket of the order (quote it)."),
         json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Show an order: customer, tickets with places and state, payments.

    Example: boxoffice order show k7m2-4xq9
    """
    from boxoffice.services.orders import order_details

    with terminal() as ctx:
        o = order_details(ctx, code)
    if json_out:
        emit_json(o)
        return
    typer.secho(f"Order {o['code']}  {o['event_name']}  {o['status']}  total {o['total_text']} {o['currency']}",
                bold=True)
    typer.echo(f"  sold {o['created_local']} via {o['channel']}" + (f"; customer {o['customer_name']}"
                                                                     if o["customer_name"] else ""))
    if o["notes"]:
        typer.secho(f"  NOTE: {o['notes']}", fg="yellow")
    typer.echo(table([(t["section_name"], (t["row"] or "") + (t["seat"] or ""), t["type"], t["price"], t["status"],
                       "yes" if t["picked_up_at"] else "", t["copies"] or "") for t in o["tickets"]],
                     ["section", "seat", "type", "price", "status", "picked up", "copies"]))
    typer.echo(table([(p["kind"], p["tender"], p["amount"], p["card_last4"] or "", p["change"] or "")
                      for p in o["payments"]], ["payment", "tender", "amount", "card", "change"]))


@order_app.command("reprint", context_settings=TOKEN_ARGUMENT)
def reprint(code: str = typer.Argument(..., help="Order code, or a scanned ticket of the order (quote it)."),
            supervisor: str = typer.Option(None, "--supervisor", help="Supervisor approving (PIN asked)."),
            json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Reprint an order's tickets marked COPY, with the same QR tokens; each copy is counted and journalled.

    Needs a supervisor. Example: boxoffice order reprint K7M2-4XQ9 --supervisor Sue
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
        typer.echo(f"Reprinted {len(out['tickets'])} ticket(s) of {out['order']} as COPY.")
    finish_printing(out["results"], json_out)


@print_app.command("retry")
def retry(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Print every job that is still waiting (printer was off, out of paper, unplugged), oldest first.

    Example: boxoffice print retry
    """
    from boxoffice.services.printing import retry as do_retry

    with terminal() as ctx:
        results = do_retry(ctx)
    if json_out:
        emit_json(results)
    elif not results:
        typer.echo("Nothing waiting to print.")
    else:
        typer.echo(f"{sum(r['status'] == 'printed' for r in results)} of {len(results)} job(s) printed.")
    finish_printing(results, json_out)


@print_app.command("test")
def test(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Print a test page (text, accents, Chinese, a QR) on the configured printer.

    Example: boxoffice print test
    """
    from boxoffice.services.printing import test_print

    with terminal() as ctx:
        results = test_print(ctx)
    if json_out:
        emit_json(results)
    finish_printing(results, json_out)


@print_app.command("jobs")
def jobs(pending: bool = typer.Option(False, "--pending", help="Only jobs not yet printed."),
         json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List recent print jobs with their state and last error.

    Example: boxoffice print jobs --pending
    """
    from boxoffice.services.printing import list_jobs

    with terminal() as ctx:
        items = list_jobs(ctx, pending)
    if json_out:
        emit_json(items)
        return
    typer.echo(table([(j["id"][-8:], j["kind"], j["status"], j["attempts"], j["printer_uri"], j["last_error"] or "")
                      for j in items], ["job", "kind", "status", "tries", "printer", "last error"]))


@ticket_app.command("verify", context_settings=TOKEN_ARGUMENT)
def verify(token: str = typer.Argument(None, help="The token text (quote it: it may hold spaces)."),
           image: Path = typer.Option(None, "--image", help="Read the QR from an image file instead."),
           json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Say whether a ticket is genuine and what it admits; a changed byte, unknown key or revoked ticket is refused.

    Exit status 6 for a refused ticket. Examples:
      boxoffice ticket verify 'NCF8...'
      boxoffice ticket verify --image photo.png
    """
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.tickets import decode_image
    from boxoffice.services.tickets import verify as do_verify

    if (token is None) == (image is None):
        raise BoxOfficeError("bad_input", "give a token or --image FILE")
    with terminal() as ctx:
        text = decode_image(str(image))[0] if image else token
        out = do_verify(ctx, text)
    if json_out:
        emit_json(out)
        return
    place = f"row {out['row']} seat {out['seat']}" if out["row"] else "standing"
    typer.secho(f"VALID  {out['event'] or 'unknown event'}  {out['section'] or ''}  {place}", fg="green", bold=True)
    if out["starts"]:
        typer.echo(f"  {out['starts']}; ticket {out['claims']['ticket_id']}")
