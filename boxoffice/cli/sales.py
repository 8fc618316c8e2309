"""`boxoffice sell`: a sale at the window, from places and payment to printed tickets and receipt."""

from __future__ import annotations

from typing import Any

import typer

from boxoffice.cli.common import (
    JSON_HELP,
    ask_pin,
    confirm,
    echo,
    emit_json,
    finish_printing,
    secho,
    terminal,
    warn_outside_shift,
)
from boxoffice.i18n import _


def _tenders(cash: str | None, card: list[str], comp: str | None, currency: str) -> list:
    from boxoffice.domain.money import parse_amount
    from boxoffice.domain.tenders import Tender, parse_card

    tenders = [parse_card(c, currency) for c in card]
    if cash is not None:
        tenders.append(Tender("cash", parse_amount(cash, currency)))
    if comp is not None:
        tenders.append(Tender("comp", reason=comp.strip() or None))
    return tenders


def _holders(given: list[str]) -> list | None:
    """The --holder values parsed, or None: the ID rules are imported only for a real-name sale."""
    if not given:
        return None
    from boxoffice.domain.holders import parse_holder

    return [parse_holder(h) for h in given]


def _limit_line(limit: dict) -> None:
    """The event's limit per customer, when it applied: how many this customer may still buy, and whether the
    central service was asked or this terminal counted offline (then sales elsewhere may not be counted yet)."""
    if limit["counted"] == "none":
        return
    how = {"offline": _("counted offline"), "central": _("checked with the central service")}.get(
        limit["counted"], _("counted here"))
    echo(_("Limit {limit} per customer: {remaining} more for this customer ({how})").format(
        limit=limit["limit"], remaining=limit["remaining"], how=how))
    if limit["counted"] == "offline":
        secho(_("counted offline: sales at other terminals since the last sync are not counted; the central "
                "service flags a customer over the limit at sync"), fg="yellow", err=True)


def _quote(event: str, section: str, counts: dict[str, int], seats: str | None, accessible: bool,
           json_out: bool) -> None:
    """`sell --quote`: the basket priced by the same quote as the counter's screen; nothing is sold or taken."""
    from boxoffice.domain.money import format_money
    from boxoffice.services.basket import BasketLine
    from boxoffice.services.basket import quote as quote_basket

    named = [s.strip() for s in seats.split(",") if s.strip()] if seats else []
    with terminal() as ctx:
        q = quote_basket(ctx, [BasketLine(event, section, counts, named, accessible)])
    if json_out:
        emit_json({"quote": True, "currency": q["currency"], "total": q["total_text"], "tax": q["tax_text"],
                   "discount": q["discount_text"], "confirm": q["confirm"],
                   "lines": [{"event": x["event_id"], "section": x["section_id"], "type": x["ticket_type_id"],
                              "count": x["count"], "unit_price": format_money(x["unit_price"], q["currency"]),
                              "amount": format_money(x["amount"], q["currency"]),
                              "discount": format_money(x["discount"], q["currency"])} for x in q["lines"]]})
        return
    first = q["lines"][0]
    echo(_("QUOTE {event} · {section} (nothing sold, nothing taken)").format(event=first["event_name"],
                                                                             section=first["section_name"]))
    for x in q["lines"]:
        off = f"  (-{format_money(x['discount'], q['currency'])})" if x["discount"] else ""
        echo(f"  {x['text']}{off}")
    if q["discount"]:
        echo(_("Discounts -{amount}").format(amount=q["discount_text"]))
    echo(_("incl. tax {amount}").format(amount=q["tax_text"]))
    secho(_("Total {amount} {currency}").format(amount=q["total_text"], currency=q["currency"]), bold=True)
    for c in q["confirm"]:
        secho(_("tell the customer: {note}").format(note=c), fg="yellow")


def _at_terminal() -> bool:
    """Whether someone is there to answer a question (stdin is a terminal, not a pipe or a script)."""
    import sys

    return sys.stdin is not None and sys.stdin.isatty()


def _warn_places(ctx: Any, req: Any, yes: bool, json_out: bool) -> None:
    """Restricted-view seats and wheelchair spaces named before payment: asked about at a terminal (unless --yes),
    said on stderr otherwise; the sale then takes exactly the places named (services/place_notes.py)."""
    from boxoffice.services.place_notes import sale_warnings

    warn = sale_warnings(ctx, req)
    if not warn["places"]:
        return
    asking = not yes and _at_terminal()
    secho(_("NOTE {places}: tell the customer before taking payment").format(places=warn["text"]), fg="yellow",
          bold=True,
          err=json_out or not asking)
    if asking:
        confirm(_("Does the customer accept these places?"), abort=True, err=json_out)
    req.seats = warn["seats"]


def sell(
    event: str = typer.Argument(..., help=_("Event id (see `boxoffice event list`).")),
    types: list[str] = typer.Option(..., "--type", "-t", help=_("Ticket type and count, repeatable: adult=2.")),
    section: str = typer.Option(..., "--section", "-s", help=_("Section id.")),
    seats: str = typer.Option(None, "--seats",
                              help=_("Named seats, comma separated: B12,B13. Default: best available.")),
    accessible: bool = typer.Option(False, "--wheelchair", help=_("Include a wheelchair space (and companion seats).")),
    cash: str = typer.Option(None, "--cash", help=_("Cash handed over, e.g. 100; the change is worked out.")),
    card: list[str] = typer.Option([], "--card", help=_("Card: LAST4 (the rest) or LAST4:AMOUNT; only 4 digits kept.")),
    comp: str = typer.Option(None, "--comp", help=_("Complimentary, with the reason; needs a supervisor.")),
    supervisor: str = typer.Option(None, "--supervisor", help=_("Supervisor approving a comp (PIN asked).")),
    name: str = typer.Option(None, "--name", help=_("Customer name.")),
    email: str = typer.Option(None, "--email", help=_("Customer e-mail.")),
    phone: str = typer.Option(None, "--phone", help=_("Customer phone.")),
    no_receipt: bool = typer.Option(False, "--no-receipt", help=_("Print tickets only.")),
    holder: list[str] = typer.Option([], "--holder", help=_("Real-name events: a ticket's holder as "
                                     "'NAME,KIND,NUMBER' (KIND: resident, passport or other), once per ticket, in "
                                     "the order the tickets are issued. The number is hashed, never kept.")),
    quote: bool = typer.Option(False, "--quote", help=_("Show the lines, discounts, tax share and total; sell "
                                                          "and take nothing.")),
    yes: bool = typer.Option(False, "--yes", "-y", help=_("The customer accepted restricted-view or "
                                                          "wheelchair places: do not ask.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Sell tickets at the window: places, payment, signed QR tickets and a receipt, printed at once.

    A real-name event (docs/real-name.md) needs one --holder a ticket, no more and no fewer (holder_required).

    Restricted-view seats and wheelchair spaces among the places are named before payment is taken: at a terminal
    you are asked to confirm the customer accepts them (--yes: they have); the tickets and receipt say so.

    The sale is saved before printing; if the printer fails, the sale stands and `boxoffice print retry` prints
    it (exit status 7). Examples:
      boxoffice sell gala -s stalls -t adult=2 -t child=1 --cash 100
      boxoffice sell gala -s standing -t adult=4 --card 4242
      boxoffice sell gala -s stalls --seats F10,F11 -t adult=2 --card 4242:40 --cash 50
      boxoffice sell gala -s stalls -t adult=2 -t child=1 --quote
      boxoffice sell expo-0101 -s hall -t adult=2 --cash 200 --holder '李小明,resident,11010519491231002X'
        --holder 'Jane Doe,passport,E12345678'
    """
    from boxoffice.domain.pricing import parse_type_counts
    from boxoffice.services.events import get_event
    from boxoffice.services.printing import run_jobs
    from boxoffice.services.sales import SaleRequest
    from boxoffice.services.sales import check as check_sale
    from boxoffice.services.sales import sell as do_sell

    if quote:
        _quote(event, section, parse_type_counts(types), seats, accessible, json_out)
        return
    with terminal() as ctx:
        currency = get_event(ctx, event)["currency"]
        req = SaleRequest(
            event_id=event, section_id=section, counts=parse_type_counts(types),
            tenders=_tenders(cash, card, comp, currency),
            seats=[s for s in seats.split(",") if s.strip()] if seats else None, accessible=accessible,
            customer_name=name, email=email, phone=phone, print_receipt=not no_receipt,
            holders=_holders(holder))
        if supervisor:  # everything else that could refuse the sale first, then the PIN
            check_sale(ctx, req, supervisor)
            req.supervisor = (supervisor, ask_pin(_("PIN for {name}").format(name=supervisor)))
        _warn_places(ctx, req, yes, json_out)
        result = do_sell(ctx, req)
        prints = run_jobs(ctx, result["jobs"])
        from boxoffice.services.place_flags import ticket_flags

        flags = ticket_flags(ctx, result["tickets"])
    order = result["order"]
    if json_out:
        emit_json({"order": order["code"], "order_id": order["id"], "total": result["total_text"],
                   "change": result["change_text"], "currency": result["currency"],
                   "tickets": [{"id": t["id"], "section": t["section_id"], "row": t["row"], "seat": t["seat"],
                                "type": t["ticket_type_id"], "token": t["token"], "flags": flags[t["id"]]}
                               for t in result["tickets"]],
                   "holders": result["holders"], "customer_limit": result["customer_limit"],
                   "outside_shift": result["outside_shift"], "print": prints})
    else:
        places = ", ".join(f"{t['row']}{t['seat']}" if t["row"] else t["section_id"] for t in result["tickets"])
        secho(_("SOLD {order}  {count} ticket(s): {places}").format(order=order["code"],
                                                                    count=len(result["tickets"]), places=places),
              bold=True, fg="green")
        echo(_("Total {amount} {currency}").format(amount=result["total_text"], currency=result["currency"]))
        for h in result["holders"]:
            echo(_("  holder {holder}").format(holder=h["line"]))
        if any(p["tender"] == "cash" for p in result["payments"]):
            secho(_("CHANGE {amount}").format(amount=result["change_text"]), bold=True)
        _limit_line(result["customer_limit"])
        warn_outside_shift(result["outside_shift"])
    finish_printing(prints, json_out)
