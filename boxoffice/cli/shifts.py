"""`boxoffice shift ...` and `drawer open`: shifts and the cash drawer."""

from __future__ import annotations

from typing import Any

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    display_width,
    echo,
    emit_json,
    finish_printing,
    prompt,
    secho,
    terminal,
)
from boxoffice.i18n import N_, _

shift_app = sub_app(N_("Shifts and the cash drawer: open with a float, cash in/out, X report, close with a count (Z)."))


drawer_app = sub_app(N_("The cash drawer."))


_PIECES = {"note": _("  {value} notes"), "coin": _("  {value} coins")}  # the count's prompt, per kind of piece


def _amount(ctx: Any, text: str) -> int:
    from boxoffice.domain.money import parse_amount
    from boxoffice.services.shifts import currency

    return parse_amount(text, currency(ctx))


def _show_report(z: dict) -> None:
    from boxoffice.services.shifts import report_lines

    secho(_("{kind} REPORT ({currency})").format(kind=z["kind"], currency=z["currency"]), bold=True)
    for label, value in report_lines(z):
        if value:
            echo(f"  {label}{' ' * (30 - display_width(label))}{value:>20}")  # a Chinese label is wider
        else:
            secho(label, bold=True)


@shift_app.command("open")
def shift_open(float_: str = typer.Option(..., "--float", help=_("Cash counted into the drawer, e.g. 150.00.")),
               json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Open your shift at this terminal with the float in the drawer (one open shift per person and terminal).

    Example: boxoffice shift open --float 150
    """
    from boxoffice.services.shifts import open_shift

    with terminal() as ctx:
        row = open_shift(ctx, _amount(ctx, float_))
    if json_out:
        emit_json(row)
    else:
        secho(_("Shift open with a float of {amount}.").format(amount=float_), fg="green")


def _cash(kind: str, amount: str, reason: str, json_out: bool) -> None:
    from boxoffice.domain.money import format_money
    from boxoffice.services.shifts import cash_move, currency

    with terminal() as ctx:
        row = cash_move(ctx, kind, _amount(ctx, amount), reason)
        cur = currency(ctx)
    if json_out:
        emit_json(row)
    else:
        echo((_("Cash in: {amount} ({reason}).") if kind == "in" else _("Cash out: {amount} ({reason}).")).format(
            amount=format_money(row["amount"], cur), reason=row["reason"]))


@shift_app.command("cash-in")
def cash_in(amount: str = typer.Argument(..., help=_("Amount put into the drawer.")),
            reason: str = typer.Option(..., "--reason", help=_("Why: 'more change from the safe'.")),
            json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Put cash into the drawer during the shift, with a reason. Example: boxoffice shift cash-in 50 --reason change"""
    _cash("in", amount, reason, json_out)


@shift_app.command("cash-out")
def cash_out(amount: str = typer.Argument(..., help=_("Amount taken out of the drawer.")),
             reason: str = typer.Option(..., "--reason", help=_("Why: 'to the safe'.")),
             json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Take cash out of the drawer (a drop to the safe), with a reason. Example: boxoffice shift cash-out 200
    --reason safe"""
    _cash("out", amount, reason, json_out)


@shift_app.command("status")
def shift_status(operator: str = typer.Option(None, "--operator", help=_("Someone else's shift (supervisor).")),
                 json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """The X report: your shift so far, by tender and ticket type, and the cash the drawer should hold.

    Your own shift's report shows counts but no money until its drawer is counted (`boxoffice shift count`): a
    blind close. A supervisor's report on someone else's shift (--operator) shows everything.

    Example: boxoffice shift status
    """
    from boxoffice.services.shifts import status

    with terminal() as ctx:
        z = status(ctx, operator)
    if json_out:
        emit_json(z)
    else:
        _show_report(z)


COUNT_HELP = _("Pieces counted, VALUExPIECES, once per value: --count 20x3 --count 0.50x4 is three 20s and four "
               "50p coins. Instead of --counted.")


def _pieces(ctx: Any, texts: list[str] | None) -> dict[int, int] | None:
    from boxoffice.domain.denominations import parse_counts
    from boxoffice.services.shifts import currency

    return parse_counts(texts, currency(ctx)) if texts else None


def _interactive() -> bool:
    """Whether someone is at a terminal to answer questions (else every answer must be an option)."""
    import sys

    return sys.stdin is not None and sys.stdin.isatty()


def _ask_count(ctx: Any, json_out: bool) -> tuple[int | None, dict[int, int] | None]:
    """The count typed at the prompt, piece by piece where the currency's notes and coins are known."""
    from boxoffice.domain.denominations import denominations
    from boxoffice.domain.money import format_money
    from boxoffice.services.shifts import currency

    if json_out or not _interactive():
        from boxoffice.errors import BoxOfficeError

        raise BoxOfficeError("bad_input", _("count the drawer: --counted AMOUNT or --count VALUExPIECES (the "
                                            "expected cash is shown after the count)"))
    cur = currency(ctx)
    values = denominations(cur)
    secho(_("Count the drawer. What it should hold is shown after the count."), bold=True)
    if not values:
        return _amount(ctx, prompt(_("Cash counted ({currency})").format(currency=cur))), None
    pieces = {v: int(prompt(_PIECES.get(kind, "  {value} " + kind + "s").format(value=f"{format_money(v, cur):>8}"),
                            default=0, type=int))
              for v, kind in values}
    return None, pieces


def _approver(ctx: Any, shift_owner: str | None, name: str | None, interactive: bool) -> tuple[str, str] | None:
    """The supervisor approving a variance (PIN asked once everything else about them is checked)."""
    from boxoffice.cli.common import ask_pin
    from boxoffice.domain.permissions import allowed
    from boxoffice.services.operators import check_approver

    me = ctx.operator
    if me is not None and me["id"] != shift_owner and allowed(me["role"], "variance"):
        return None  # a supervisor closing someone else's drawer approves it by closing it
    if not name and interactive:
        name = prompt(_("Supervisor approving the variance"), default="", show_default=False).strip()
    if not name:
        return None
    check_approver(ctx, name, "variance")
    return name, ask_pin(_("PIN for {name}").format(name=name))


@shift_app.command("count")
def shift_count(counted: str = typer.Option(None, "--counted", help=_("Cash counted in the drawer, as a total."),
                                            metavar="AMOUNT"),
                count: list[str] = typer.Option(None, "--count", help=COUNT_HELP, metavar="VALUExN"),
                operator: str = typer.Option(None, "--operator", help=_("Someone else's drawer (supervisor).")),
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Count the drawer before closing (blind: what it should hold is not shown); the count is kept and fixed.

    Examples:
      boxoffice shift count --count 20x3 --count 10x4 --count 1x12
      boxoffice shift count --counted 412.50
    """
    from boxoffice.domain.money import format_money
    from boxoffice.services.blind_close import count_drawer

    with terminal() as ctx:
        total, pieces = (_amount(ctx, counted) if counted else None), _pieces(ctx, count)
        if total is None and pieces is None:
            total, pieces = _ask_count(ctx, json_out)
        kept = count_drawer(ctx, total, pieces, operator)
    if json_out:
        emit_json(kept)
    else:
        echo(_("Counted {amount}: kept. `boxoffice shift close` shows what the drawer should hold.").format(
            amount=format_money(kept["counted"], kept["currency"])))


@shift_app.command("close")
def shift_close(counted: str = typer.Option(None, "--counted", help=_("Cash counted in the drawer now, as a "
                                                                   "total."), metavar="AMOUNT"),
                count: list[str] = typer.Option(None, "--count", help=COUNT_HELP, metavar="VALUExN"),
                note: str = typer.Option(None, "--note", help=_("Why the count differs from what was expected.")),
                supervisor: str = typer.Option(None, "--supervisor", help=_("Supervisor approving a variance (PIN "
                                                                         "asked).")),
                operator: str = typer.Option(None, "--operator", help=_("Close someone else's shift (supervisor).")),
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Close the shift, blind: count the drawer first, then see what it should hold; the Z report prints and is
    kept as a PDF.

    The count is asked (note by note, coin by coin) unless given, or taken from `shift count`. Only then is the
    expected cash shown. A variance needs --note and a supervisor's approval (--supervisor, PIN asked); refused
    without them (exit 4), the count is kept, so close again with them.
    Examples:
      boxoffice shift close --counted 412.50
      boxoffice shift close --count 50x2 --count 20x3 --count 0.50x4
      boxoffice shift close --note 'change given twice' --supervisor sue
    """
    from boxoffice.domain.money import format_money
    from boxoffice.services import blind_close as blind
    from boxoffice.services.printing import run_jobs
    from boxoffice.services.shifts import _target, close_shift

    interactive = _interactive() and not json_out
    with terminal() as ctx:
        total, pieces = (_amount(ctx, counted) if counted else None), _pieces(ctx, count)
        kept = blind.counted_of(ctx, operator)
        if kept is None:
            if total is None and pieces is None:
                total, pieces = _ask_count(ctx, json_out)
            kept = blind.count_drawer(ctx, total, pieces, operator)
            total = pieces = None
        seen = blind.reveal(ctx, operator)
        cur = seen["currency"]
        if not json_out:
            echo(_("Counted {counted}; expected {expected}; variance {variance}.").format(
                counted=format_money(seen["counted"], cur), expected=format_money(seen["expected"], cur),
                variance=format_money(seen["variance"], cur)))
        approver = None
        if seen["needs_approval"]:
            if not note and interactive:
                note = prompt(_("Why does the drawer differ?"), default="", show_default=False)
            _owner, shift = _target(ctx, operator)
            approver = _approver(ctx, shift["operator_id"], supervisor, interactive)
        z = close_shift(ctx, total, operator, pieces=pieces, note=note, supervisor=approver)
        prints = run_jobs(ctx, z["jobs"])
    if json_out:
        emit_json(z | {"print": prints})
    else:
        _show_report(z)
        if z["pdf"]:
            echo(_("Z report saved to {path}").format(path=z["pdf"]))
        else:
            secho(_("Z report not saved as PDF: {error}").format(error=z["pdf_error"]), fg="yellow", err=True)
    finish_printing(prints, json_out, pdf_only=True)


@drawer_app.command("open")
def drawer_open(reason: str = typer.Option("no sale", "--reason", help=_("Why it was opened with no sale.")),
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
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
        echo(_("Drawer opened (recorded).") if all(p["status"] == "printed" for p in prints) else
             _("Drawer kick recorded, but the printer did not take it."))
    finish_printing(prints, json_out, pdf_only=True)
