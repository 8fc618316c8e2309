"""`boxoffice refund` and `boxoffice exchange`: money going back for tickets, or tickets swapped for others."""

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
    table,
    terminal,
    warn_outside_shift,
)
from boxoffice.i18n import _

REASON_HELP = ("Why: cancelled, customer_request, duplicate, wrong_tickets, or other (with --note). "
               "Default customer_request.")


def _split(text: str | None) -> list[str] | None:
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def _supervisor(ctx: Any, name: str | None) -> tuple[str, str] | None:
    """The supervisor's PIN, asked and checked now: after every other check, before the question."""
    if not name:
        return None
    from boxoffice.services.operators import approve

    pin = ask_pin(_("PIN for {name}").format(name=name))
    approve(ctx, name, pin, "refund_override")
    return name, pin


def _confirm(question: str, yes: bool, json_out: bool) -> None:
    if not yes:
        confirm(question, abort=True, err=json_out)


def refund(
    code: str = typer.Argument(..., help=_("Order code, e.g. K7M2-224W, or a scanned ticket (quote it): then only "
                                         "that ticket unless --tickets says more.")),
    tickets: str = typer.Option(None, "--tickets", help=_("Only these tickets: ids, id endings or seats (F10,F11).")),
    count: int = typer.Option(None, "--count", "-n", min=1, metavar="N",
                              help=_("Refund N standing (general admission) places of the order: those not handed "
                                   "out and not admitted at the door go first, then the last sold.")),
    ticket_type: str = typer.Option(None, "--type", "-t", metavar="TYPE",
                                    help=_("With --count, when the order's standing places are of several types: "
                                         "only places of this ticket type (adult, child...).")),
    reason: str = typer.Option("customer_request", "--reason", help=REASON_HELP),
    note: str = typer.Option(None, "--note", help=_("A note kept with the refund and printed on its receipt.")),
    supervisor: str = typer.Option(None, "--supervisor", help=_("Supervisor approving an override (PIN asked).")),
    waive_fee: bool = typer.Option(False, "--waive-fee", help=_("Full price back despite the policy's fee (the venue "
                                                              "cancelled...): an override.")),
    yes: bool = typer.Option(False, "--yes", "-y", help=_("Do not ask for confirmation.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Refund an order or some of its tickets, as the event's refund policy allows now.

    Everything that could refuse it (permission, policy, who approves, shift, cash in the drawer) is checked before
    anything is asked. The amount, fee and where the money goes (cards first: refund it on the card machine; then
    cash) are shown before you confirm. Refunded tickets stop admitting at once and their places go back on sale.
    Outside the policy or above the refund limit a supervisor must approve (flagged as an override). A receipt with
    a signature line prints.
    Examples:
      boxoffice refund K7M2-224W
      boxoffice refund K7M2-224W --tickets F11 --reason wrong_tickets
      boxoffice refund K7M2-224W --count 2
      boxoffice refund K7M2-224W --reason cancelled --waive-fee --supervisor Sue --yes
    """
    from boxoffice.domain.money import format_money
    from boxoffice.services.printing import run_jobs
    from boxoffice.services.refunds import RefundRequest
    from boxoffice.services.refunds import check as check_refund
    from boxoffice.services.refunds import refund as do_refund

    req = RefundRequest(code=code, tickets=_split(tickets), reason=reason, note=note, waive_fee=waive_fee,
                        count=count, ticket_type=ticket_type)
    with terminal() as ctx:
        p = check_refund(ctx, req, supervisor)
        if not json_out:
            secho(_("Refund order {order} ({event}): {policy}").format(order=p["order"], event=p["event"],
                                                                       policy=p["policy"]), bold=True)
            echo(table([(t["place"], t["type"], t["price"], t["fee"], t["amount"]) for t in p["tickets"]],
                       [_("ticket"), _("type"), _("price"), _("fee"), _("refund")]))
            echo(_("Refund {amount} {currency} to {to}").format(amount=p["amount_text"], currency=p["currency"],
                                                                to=p["to"]))
            if p["overrides"]:
                secho(_("OVERRIDE needed: {reasons}").format(reasons="; ".join(p["overrides_text"])), fg="yellow",
                      bold=True)
        req.supervisor = _supervisor(ctx, supervisor)
        _confirm(p["question"], yes, json_out)
        req.expect_amount = p["amount"]
        out = do_refund(ctx, req)
        prints = run_jobs(ctx, out["jobs"])
    if json_out:
        emit_json({"refund": out["refund"]["id"], "order": out["order"], "amount": out["amount_text"],
                   "currency": out["currency"], "to": out["to"], "tickets": [i["ticket_id"] for i in out["items"]],
                   "override": out["override"], "overrides": out["overrides"], "approved_by": out["approved_by"],
                   "fee": format_money(out["refund"]["fee"], out["currency"]), "demand": out["demand"],
                   "payments": [{"tender": p["tender"], "amount": p["amount"], "card_last4": p["card_last4"]}
                                for p in out["payments"]], "outside_shift": out["outside_shift"], "print": prints})
    else:
        secho(_("REFUNDED {amount} {currency} on {order}: {steps}").format(
            amount=out["amount_text"], currency=out["currency"], order=out["order"], steps=out["steps"]),
              fg="green", bold=True)
        cash = sum(pay["amount"] for pay in out["payments"] if pay["tender"] == "cash")
        if cash:
            secho(_("GIVE CASH {amount}").format(amount=format_money(cash, out["currency"])), bold=True)
        if out["demand"]:
            echo(out["demand"]["text"])
        if out["override"]:
            secho(_("Override approved by {name} (flagged)").format(name=out["approved_by"]), fg="yellow")
        warn_outside_shift(out["outside_shift"])
    finish_printing(prints, json_out, pdf_only=True)


def exchange(
    code: str = typer.Argument(..., help=_("Order code of the tickets to exchange, or a scanned ticket (quote it): "
                                         "then only that ticket unless --tickets says more.")),
    tickets: str = typer.Option(None, "--tickets", help=_("Only these tickets: ids, id endings or seats.")),
    event: str = typer.Option(None, "--event", "-e", help=_("New event id (default: the same event).")),
    section: str = typer.Option(None, "--section", "-s", help=_("New section (default: the same section).")),
    seats: str = typer.Option(None, "--seats", help=_("New seats, comma separated (default: best available).")),
    types: list[str] = typer.Option([], "--type", "-t", help=_("New ticket types, e.g. adult=2 (default: as before).")),
    accessible: bool = typer.Option(False, "--wheelchair", help=_("Include a wheelchair space.")),
    cash: str = typer.Option(None, "--cash", help=_("Cash handed over for a difference to pay.")),
    card: list[str] = typer.Option([], "--card", help=_("Card for a difference to pay: LAST4 or LAST4:AMOUNT.")),
    supervisor: str = typer.Option(None, "--supervisor", help=_("Supervisor approving an override (PIN asked).")),
    note: str = typer.Option(None, "--note", help=_("A note kept with the exchange.")),
    yes: bool = typer.Option(False, "--yes", "-y", help=_("Do not ask for confirmation.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Exchange tickets for others (another event, section or seats) in one step.

    The customer hands back tickets of an order (all of its valid tickets, or those named with --tickets) and gets
    new ones in their place: on another event (--event), in another section (--section), on other seats (--seats,
    else the best available), or of other ticket types (--type); what is not given stays as it was.

    What happens, in one transaction: the old tickets stop admitting at once and their places go back on sale;
    their price is credited in full to a new order for the new tickets, which print at once with an exchange slip.
    If the new tickets cost more, the difference is paid with --cash or --card; if less, the difference goes back
    to the original tenders (refund it on the card machine, then cash), as a refund would.

    Everything that could refuse it (permission, places, payment, who approves) is checked before the prices and
    the difference are shown and you confirm (--yes skips the question). After the event has started, for
    tickets used at the door, or above the refund limit, a supervisor approves (--supervisor NAME, PIN asked).
    Exit status 3: no such order or ticket; 4: sold out or already refunded; 5: not permitted.

    Examples:
      boxoffice exchange K7M2-224W --seats F10,F11
      boxoffice exchange K7M2-224W --event jazz --section stalls --card 4242
      boxoffice exchange K7M2-224W --tickets F11 --section standing
      boxoffice exchange K7M2-224W --type concession=2 --yes
    """
    from boxoffice.cli.sales import _tenders
    from boxoffice.domain.money import format_money
    from boxoffice.domain.pricing import parse_type_counts
    from boxoffice.services.exchanges import ExchangeRequest, preview
    from boxoffice.services.exchanges import check as check_exchange
    from boxoffice.services.exchanges import exchange as do_exchange
    from boxoffice.services.printing import run_jobs

    req = ExchangeRequest(code=code, tickets=_split(tickets), event_id=event, section_id=section,
                          seats=_split(seats), counts=parse_type_counts(types) if types else None,
                          accessible=accessible, note=note)
    with terminal() as ctx:
        req.tenders = _tenders(cash, card, None, preview(ctx, req)["currency"])
        p = check_exchange(ctx, req, supervisor)
        if not json_out:
            secho(_("Exchange from order {order} to {event}, {section}").format(
                order=p["order"], event=p["to_event"], section=p["section"]), bold=True)
            echo(_("  returning: {tickets}").format(
                tickets=", ".join(f"{t['type']} {t['place']} {t['price']}" for t in p["old"])))
            echo(_("  new:       {tickets}").format(
                tickets=", ".join(f"{n['count']} x {n['type']} {n['price']}" for n in p["new"])))
            echo(_("  credit {credit}, new tickets {total}: {settle}").format(credit=p["credit"],
                                                                            total=p["new_total"],
                                                                            settle=p["settle"]))
            if p["overrides"]:
                secho(_("OVERRIDE needed: {reasons}").format(reasons="; ".join(p["overrides_text"])), fg="yellow",
                      bold=True)
        req.supervisor = _supervisor(ctx, supervisor)
        _confirm(_("Exchange {count} ticket(s) of {order}: {settle}?").format(count=len(p["old"]), order=p["order"],
                                                                             settle=p["settle"]), yes, json_out)
        req.expect_difference = p["difference"]
        out = do_exchange(ctx, req)
        prints = run_jobs(ctx, out["jobs"])
    if json_out:
        emit_json({"exchange": out["exchange"]["id"], "from": out["from"], "order": out["order"]["code"],
                   "difference": out["difference_text"], "change": out["change_text"], "currency": out["currency"],
                   "tickets": [{"id": t["id"], "section": t["section_id"], "row": t["row"], "seat": t["seat"],
                                "type": t["ticket_type_id"], "token": t["token"]} for t in out["tickets"]],
                   "refunds": [{"tender": r["tender"], "amount": r["amount"], "card_last4": r["card_last4"]}
                               for r in out["refunds"]], "override": out["override"],
                   "outside_shift": out["outside_shift"], "print": prints})
    else:
        places = ", ".join(f"{t['row']}{t['seat']}" if t["row"] else t["section_id"] for t in out["tickets"])
        secho(_("EXCHANGED {old} -> {new}: {places}").format(old=out["from"], new=out["order"]["code"],
                                                             places=places), fg="green", bold=True)
        if out["difference"] > 0 and any(p["tender"] == "cash" for p in out["payments"]):
            secho(_("CHANGE {amount}").format(amount=out["change_text"]), bold=True)
        elif out["difference"] < 0:
            echo(_("Refunded {refunds}: {steps}").format(
                refunds=", ".join(f"{r['tender']} {format_money(r['amount'], out['currency'])}"
                                  for r in out["refunds"]), steps=out["steps"]))
        warn_outside_shift(out["outside_shift"])
    finish_printing(prints, json_out, pdf_only=True)
