"""`boxoffice refund`, `exchange`, `shift ...`, `drawer open`, `audit verify|log`: money going back, the drawer,
and the record of it all."""

from __future__ import annotations

from typing import Any

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, ask_pin, emit_json, finish_printing, table, terminal

shift_app = sub_app("Shifts and the cash drawer: open with a float, cash in/out, X report, close with a count (Z).")
drawer_app = sub_app("The cash drawer.")
audit_app = sub_app("The tamper-evident journal: verify its hash chain, show who did what.")

REASON_HELP = ("Why: cancelled, customer_request, duplicate, wrong_tickets, or other (with --note). "
               "Default customer_request.")


def _split(text: str | None) -> list[str] | None:
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def _supervisor(ctx: Any, name: str | None) -> tuple[str, str] | None:
    """The supervisor's PIN, asked and checked now: after every other check, before the question."""
    if not name:
        return None
    from boxoffice.services.operators import approve

    pin = ask_pin(f"PIN for {name}")
    approve(ctx, name, pin, "refund_override")
    return name, pin


def _confirm(question: str, yes: bool, json_out: bool) -> None:
    if not yes:
        typer.confirm(question, abort=True, err=json_out)


def refund(
    code: str = typer.Argument(..., help="Order code, e.g. K7M2-4XQ9, or a scanned ticket (quote it): then only "
                                         "that ticket unless --tickets says more."),
    tickets: str = typer.Option(None, "--tickets", help="Only these tickets: ids, id endings or seats (F10,F11)."),
    reason: str = typer.Option("customer_request", "--reason", help=REASON_HELP),
    note: str = typer.Option(None, "--note", help="A note kept with the refund and printed on its receipt."),
    supervisor: str = typer.Option(None, "--supervisor", help="Supervisor approving an override (PIN asked)."),
    waive_fee: bool = typer.Option(False, "--waive-fee", help="Full price back despite the policy's fee (the venue "
                                                              "cancelled...): an override."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Refund an order or some of its tickets, as the event's refund policy allows now.

    Everything that could refuse it (permission, policy, who approves, shift, cash in the drawer) is checked before
    anything is asked. The amount, fee and where the money goes (cards first: refund it on the card machine; then
    cash) are shown before you confirm. Refunded tickets stop admitting at once and their places go back on sale.
    Outside the policy or above the refund limit a supervisor must approve (flagged as an override). A receipt with
    a signature line prints.
    Examples:
      boxoffice refund K7M2-4XQ9
      boxoffice refund K7M2-4XQ9 --tickets F11 --reason wrong_tickets
      boxoffice refund K7M2-4XQ9 --reason cancelled --waive-fee --supervisor Sue --yes
    """
    from boxoffice.domain.money import format_money
    from boxoffice.services.printing import run_jobs
    from boxoffice.services.refunds import RefundRequest
    from boxoffice.services.refunds import check as check_refund
    from boxoffice.services.refunds import refund as do_refund

    req = RefundRequest(code=code, tickets=_split(tickets), reason=reason, note=note, waive_fee=waive_fee)
    with terminal() as ctx:
        p = check_refund(ctx, req, supervisor)
        if not json_out:
            typer.secho(f"Refund order {p['order']} ({p['event']}): {p['policy']}", bold=True)
            typer.echo(table([(t["place"], t["type"], t["price"], t["fee"], t["amount"]) for t in p["tickets"]],
                             ["ticket", "type", "price", "fee", "refund"]))
            typer.echo(f"Refund {p['amount_text']} {p['currency']} to {p['to']}")
            if p["overrides"]:
                typer.secho(f"OVERRIDE needed: {'; '.join(p['overrides_text'])}", fg="yellow", bold=True)
        req.supervisor = _supervisor(ctx, supervisor)
        _confirm(p["question"], yes, json_out)
        req.expect_amount = p["amount"]
        out = do_refund(ctx, req)
        prints = run_jobs(ctx, out["jobs"])
    if json_out:
        emit_json({"refund": out["refund"]["id"], "order": out["order"], "amount": out["amount_text"],
                   "currency": out["currency"], "to": out["to"], "tickets": [i["ticket_id"] for i in out["items"]],
                   "override": out["override"], "overrides": out["overrides"], "approved_by": out["approved_by"],
                   "payments": [{"tender": p["tender"], "amount": p["amount"], "card_last4": p["card_last4"]}
                                for p in out["payments"]], "print": prints})
    else:
        typer.secho(f"REFUNDED {out['amount_text']} {out['currency']} on {out['order']}: {out['steps']}",
                    fg="green", bold=True)
        cash = sum(pay["amount"] for pay in out["payments"] if pay["tender"] == "cash")
        if cash:
            typer.secho(f"GIVE CASH {format_money(cash, out['currency'])}", bold=True)
        if out["override"]:
            typer.secho(f"Override approved by {out['approved_by']} (flagged)", fg="yellow")
    finish_printing(prints, json_out, pdf_only=True)


def exchange(
    code: str = typer.Argument(..., help="Order code of the tickets to exchange, or a scanned ticket (quote it): "
                                         "then only that ticket unless --tickets says more."),
    tickets: str = typer.Option(None, "--tickets", help="Only these tickets: ids, id endings or seats."),
    event: str = typer.Option(None, "--event", "-e", help="New event id (default: the same event)."),
    section: str = typer.Option(None, "--section", "-s", help="New section (default: the same section)."),
    seats: str = typer.Option(None, "--seats", help="New seats, comma separated (default: best available)."),
    types: list[str] = typer.Option([], "--type", "-t", help="New ticket types, e.g. adult=2 (default: as before)."),
    accessible: bool = typer.Option(False, "--wheelchair", help="Include a wheelchair space."),
    cash: str = typer.Option(None, "--cash", help="Cash handed over for a difference to pay."),
    card: list[str] = typer.Option([], "--card", help="Card for a difference to pay: LAST4 or LAST4:AMOUNT."),
    supervisor: str = typer.Option(None, "--supervisor", help="Supervisor approving an override (PIN asked)."),
    note: str = typer.Option(None, "--note", help="A note kept with the exchange."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Exchange tickets for others (another event, section or seats) in one step.

    Everything that could refuse it is checked before anything is asked. The old tickets are credited in full and
    stop admitting; the new ones print at once. A dearer exchange is paid with --cash/--card; a cheaper one is
    refunded to the original tenders (a card on the card machine, then cash). Examples:
      boxoffice exchange K7M2-4XQ9 --seats F10,F11
      boxoffice exchange K7M2-4XQ9 --event jazz-1215 --section stalls --card 4242
      boxoffice exchange K7M2-4XQ9 --tickets F11 --section standing
    """
    from boxoffice.cli.sales_cmds import _tenders
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
            typer.secho(f"Exchange from order {p['order']} to {p['to_event']}, {p['section']}", bold=True)
            typer.echo("  returning: " + ", ".join(f"{t['type']} {t['place']} {t['price']}" for t in p["old"]))
            typer.echo("  new:       " + ", ".join(f"{n['count']} x {n['type']} {n['price']}" for n in p["new"]))
            typer.echo(f"  credit {p['credit']}, new tickets {p['new_total']}: {p['settle']}")
            if p["overrides"]:
                typer.secho(f"OVERRIDE needed: {'; '.join(p['overrides_text'])}", fg="yellow", bold=True)
        req.supervisor = _supervisor(ctx, supervisor)
        _confirm(f"Exchange {len(p['old'])} ticket(s) of {p['order']}: {p['settle']}?", yes, json_out)
        req.expect_difference = p["difference"]
        out = do_exchange(ctx, req)
        prints = run_jobs(ctx, out["jobs"])
    if json_out:
        emit_json({"exchange": out["exchange"]["id"], "from": out["from"], "order": out["order"]["code"],
                   "difference": out["difference_text"], "change": out["change_text"], "currency": out["currency"],
                   "tickets": [{"id": t["id"], "section": t["section_id"], "row": t["row"], "seat": t["seat"],
                                "type": t["ticket_type_id"], "token": t["token"]} for t in out["tickets"]],
                   "refunds": [{"tender": r["tender"], "amount": r["amount"], "card_last4": r["card_last4"]}
                               for r in out["refunds"]], "override": out["override"], "print": prints})
    else:
        places = ", ".join(f"{t['row']}{t['seat']}" if t["row"] else t["section_id"] for t in out["tickets"])
        typer.secho(f"EXCHANGED {out['from']} -> {out['order']['code']}: {places}", fg="green", bold=True)
        if out["difference"] > 0 and any(p["tender"] == "cash" for p in out["payments"]):
            typer.secho(f"CHANGE {out['change_text']}", bold=True)
        elif out["difference"] < 0:
            typer.echo("Refunded " + ", ".join(f"{r['tender']} {format_money(r['amount'], out['currency'])}"
                                               for r in out["refunds"]) + f": {out['steps']}")
    finish_printing(prints, json_out, pdf_only=True)


def _amount(ctx: Any, text: str) -> int:
    from boxoffice.domain.money import parse_amount
    from boxoffice.services.shifts import currency

    return parse_amount(text, currency(ctx))


def _show_report(z: dict) -> None:
    from boxoffice.services.shifts import report_lines

    typer.secho(f"{z['kind']} REPORT ({z['currency']})", bold=True)
    for label, value in report_lines(z):
        if value:
            typer.echo(f"  {label:<30}{value:>20}")
        else:
            typer.secho(label, bold=True)


@shift_app.command("open")
def shift_open(float_: str = typer.Option(..., "--float", help="Cash counted into the drawer, e.g. 150.00."),
               json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Open your shift at this terminal with the float in the drawer (one open shift per person and terminal).

    Example: boxoffice shift open --float 150
    """
    from boxoffice.services.shifts import open_shift

    with terminal() as ctx:
        row = open_shift(ctx, _amount(ctx, float_))
    if json_out:
        emit_json(row)
    else:
        typer.secho(f"Shift open with a float of {float_}.", fg="green")


def _cash(kind: str, amount: str, reason: str, json_out: bool) -> None:
    from boxoffice.domain.money import format_money
    from boxoffice.services.shifts import cash_move, currency

    with terminal() as ctx:
        row = cash_move(ctx, kind, _amount(ctx, amount), reason)
        cur = currency(ctx)
    if json_out:
        emit_json(row)
    else:
        typer.echo(f"Cash {kind}: {format_money(row['amount'], cur)} ({row['reason']}).")


@shift_app.command("cash-in")
def cash_in(amount: str = typer.Argument(..., help="Amount put into the drawer."),
            reason: str = typer.Option(..., "--reason", help="Why: 'more change from the safe'."),
            json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Put cash into the drawer during the shift, with a reason. Example: boxoffice shift cash-in 50 --reason change"""
    _cash("in", amount, reason, json_out)


@shift_app.command("cash-out")
def cash_out(amount: str = typer.Argument(..., help="Amount taken out of the drawer."),
             reason: str = typer.Option(..., "--reason", help="Why: 'to the safe'."),
             json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Take cash out of the drawer (a drop to the safe), with a reason. Example: boxoffice shift cash-out 200
    --reason safe"""
    _cash("out", amount, reason, json_out)


@shift_app.command("status")
def shift_status(operator: str = typer.Option(None, "--operator", help="Someone else's shift (supervisor)."),
                 json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """The X report: your shift so far, by tender and ticket type, and the cash the drawer should hold.

    Example: boxoffice shift status
    """
    from boxoffice.services.shifts import status

    with terminal() as ctx:
        z = status(ctx, operator)
    if json_out:
        emit_json(z)
    else:
        _show_report(z)


@shift_app.command("close")
def shift_close(counted: str = typer.Option(..., "--counted", help="Cash counted in the drawer now."),
                operator: str = typer.Option(None, "--operator", help="Close someone else's shift (supervisor)."),
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Close the shift with the cash counted: the Z report (expected, counted, variance) prints and is kept as a PDF.

    Example: boxoffice shift close --counted 412.50
    """
    from boxoffice.services.printing import run_jobs
    from boxoffice.services.shifts import close_shift

    with terminal() as ctx:
        z = close_shift(ctx, _amount(ctx, counted), operator)
        prints = run_jobs(ctx, z["jobs"])
    if json_out:
        emit_json(z | {"print": prints})
    else:
        _show_report(z)
        if z["pdf"]:
            typer.echo(f"Z report saved to {z['pdf']}")
        else:
            typer.secho(f"Z report not saved as PDF: {z['pdf_error']}", fg="yellow", err=True)
    finish_printing(prints, json_out, pdf_only=True)


@drawer_app.command("open")
def drawer_open(reason: str = typer.Option("no sale", "--reason", help="Why it was opened with no sale."),
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Open the cash drawer with no sale; it is recorded in your shift and the journal.

    Example: boxoffice drawer open --reason 'change for a note'
    """
    from boxoffice.services.printing import run_jobs
    from boxoffice.services.shifts import drawer_open as do_open

    with terminal() as ctx:
        row = do_open(ctx, reason)
        prints = run_jobs(ctx, row["jobs"])
    if json_out:
        emit_json(row | {"print": prints})
    else:
        typer.echo("Drawer opened (recorded)." if all(p["status"] == "printed" for p in prints) else
                   "Drawer kick recorded, but the printer did not take it.")
    finish_printing(prints, json_out, pdf_only=True)


@audit_app.command("verify")
def audit_verify(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Check the journal's hash chain, its signed checkpoints and the records against it; exit status 9 if anything
    was tampered with.

    Each problem is named with its entry: edited, deleted, inserted, reordered, renumbered, rewritten after a signed
    checkpoint, or a record (money, ticket, revocation, pickup, operator) with no, a missing or a different journal
    entry. Entries a restore of an older backup declared missing are listed apart, as a
    declared gap, not a tamper. Example: boxoffice audit verify
    """
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.audit import verify

    with terminal() as ctx:
        try:
            out = verify(ctx)
        except BoxOfficeError as exc:
            if exc.code == "audit_failed" and not json_out:
                typer.echo(table([(b["seq"] or "-", b["kind"], b["problem"]) for b in exc.details["breaks"]],
                                 ["seq", "break", "what"]))
            raise
    if json_out:
        emit_json(out)
        return
    typer.secho(f"OK: {out['entries']} journal entries, chain intact up to {out['last_seq']}; "
                "every record matches its entry", fg="green")
    for g in out["declared_gaps"]:
        typer.secho(f"Declared gap: entries {g['after'] + 1} to {g['upto']} are not here; the restore at entry "
                    f"{g['seq']} declared them (a backup put back: `boxoffice sync recover` brings back what the "
                    "central service holds)", fg="yellow")


@audit_app.command("log")
def audit_log(operator: str = typer.Option(None, "--operator", help="Only this operator's entries."),
              kind: str = typer.Option(None, "--kind", help="Only this kind: refund, sale, shift, cash.out..."),
              since: str = typer.Option(None, "--since", help="From this time (venue time): 2026-12-01T18:00."),
              until: str = typer.Option(None, "--until", help="Before this time (venue time)."),
              limit: int = typer.Option(None, "--limit", help="Only the newest N entries."),
              json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Who did what and when, from the journal. Example: boxoffice audit log --kind refund --since 2026-12-01"""
    from boxoffice.services.audit import log

    with terminal() as ctx:
        entries = log(ctx, operator=operator, kind=kind, since=since, until=until, limit=limit)
    if json_out:
        emit_json(entries)
        return
    typer.echo(table([(e["seq"], e["at_local"], e["operator"] or "-", e["kind"], e["what"]) for e in entries],
                     ["seq", "when", "who", "kind", "what"]))
