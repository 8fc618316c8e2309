"""`boxoffice shift ...` and `drawer open`: shifts and the cash drawer."""

from __future__ import annotations

from typing import Any

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    echo,
    emit_json,
    finish_printing,
    secho,
    terminal,
)

shift_app = sub_app("Shifts and the cash drawer: open with a float, cash in/out, X report, close with a count (Z).")


drawer_app = sub_app("The cash drawer.")


def _amount(ctx: Any, text: str) -> int:
    from boxoffice.domain.money import parse_amount
    from boxoffice.services.shifts import currency

    return parse_amount(text, currency(ctx))


def _show_report(z: dict) -> None:
    from boxoffice.services.shifts import report_lines

    secho(f"{z['kind']} REPORT ({z['currency']})", bold=True)
    for label, value in report_lines(z):
        if value:
            echo(f"  {label:<30}{value:>20}")
        else:
            secho(label, bold=True)


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
        secho(f"Shift open with a float of {float_}.", fg="green")


def _cash(kind: str, amount: str, reason: str, json_out: bool) -> None:
    from boxoffice.domain.money import format_money
    from boxoffice.services.shifts import cash_move, currency

    with terminal() as ctx:
        row = cash_move(ctx, kind, _amount(ctx, amount), reason)
        cur = currency(ctx)
    if json_out:
        emit_json(row)
    else:
        echo(f"Cash {kind}: {format_money(row['amount'], cur)} ({row['reason']}).")


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
            echo(f"Z report saved to {z['pdf']}")
        else:
            secho(f"Z report not saved as PDF: {z['pdf_error']}", fg="yellow", err=True)
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
        echo("Drawer opened (recorded)." if all(p["status"] == "printed" for p in prints) else
                   "Drawer kick recorded, but the printer did not take it.")
    finish_printing(prints, json_out, pdf_only=True)
