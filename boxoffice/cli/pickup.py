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
)
from boxoffice.cli.default_group import default_command_app

pickup_app = default_command_app("Will-call: find an order and hand it out exactly once.\n\n"
                                 "Examples:\n"
                                 "  boxoffice pickup find 'demo customer'\n"
                                 "  boxoffice pickup WQ72-2248", "give")


@pickup_app.command("find", context_settings=TOKEN_ARGUMENT)
def pickup_find(query: list[str] = typer.Argument(..., help="Code, scanned ticket, name, e-mail or phone digits."),
                event: str = typer.Option(None, "--event", help="Only orders for this event."),
                limit: int = typer.Option(20, "--limit", help="At most this many results."),
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Find orders by code (case and hyphens forgiven), scanned ticket, name (any order, accents optional,
    prefixes, Chinese), e-mail, or the last 4+ digits of the phone. Best matches first.

    Examples:
      boxoffice pickup find wq722248
      boxoffice pickup find smi ann
      boxoffice pickup find 0123
    """
    from boxoffice.services.pickup import find

    with terminal() as ctx:
        out = find(ctx, " ".join(query), event, max(1, min(limit, 200)))
    if json_out:
        emit_json(out)
        return
    if out["note"]:
        secho(out["note"], fg="yellow", err=True)
    echo(table([(r["code"], r["name"] or "", r["event"], f"{r['picked_up']}/{r['tickets']}",
                       _state(r), r["notes"] or "", r["match"]) for r in out["results"]],
                     ["code", "name", "event", "out", "state", "notes", "found by"]))


def _state(r: dict[str, Any]) -> str:
    if r["channel"] == "box_office":
        return "sold here"
    if r["status"] == "unpaid":
        return "NOT PAID"
    if r["tickets"] and r["picked_up"] >= r["tickets"]:
        return "handed out"
    return "partly out" if r["picked_up"] else "waiting"


@pickup_app.command("give", context_settings=TOKEN_ARGUMENT)
def pickup_give(code: str = typer.Argument(..., help="Order code, e.g. WQ72-2248, or a scanned ticket of the order "
                                                     "(quote it)."),
                tickets: str = typer.Option(None, "--tickets", help="Only these tickets: ids or their last 8 "
                                                                    "characters, comma separated."),
                count: int = typer.Option(None, "--count", help="Only this many tickets (the rest later)."),
                yes: bool = typer.Option(False, "--yes", "-y", help="The order's note (e.g. ID required) was "
                                                                    "checked: do not ask."),
                id_last4: str = typer.Option(None, "--id-last4", help="Real-name orders: the last four characters "
                                             "of a ticket holder's ID document."),
                id_number: str = typer.Option(None, "--id-number", help="Real-name orders: a ticket holder's whole "
                                              "ID number, matched by its keyed hash (never kept)."),
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
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
        raise BoxOfficeError("bad_input", "give --tickets or --count, not both")
    ids = [t.strip() for t in tickets.split(",") if t.strip()] if tickets else None
    with terminal() as ctx:
        ctx.require("pickup")
        plan = plan_pickup(ctx, code, ids, count, id_last4=id_last4, id_number=id_number)
        confirmed = yes
        if plan["notes"] and not yes and not json_out:
            secho(f"NOTE: {plan['notes']}", fg="yellow", bold=True)
            with contextlib.suppress(typer.Abort):
                confirmed = confirm(f"Checked? Hand out {len(plan['chosen'])} ticket(s) of "
                                          f"{plan['order']['code']}", default=False)
            if not confirmed:
                raise BoxOfficeError("conflict", f"not handed out: the note on {plan['order']['code']} was not "
                                                 "confirmed")
        out = pick_up(ctx, code, ticket_ids=ids, count=count, confirmed=confirmed, id_last4=id_last4,
                      id_number=id_number)
    if json_out:
        emit_json(out)
    else:
        who = f" ({out['name']})" if out["name"] else ""
        secho(f"HANDED OUT {out['order']}{who}: {len(out['handed_out'])} ticket(s): "
                    f"{', '.join(out['places'])}", fg="green", bold=True)
        if out["holder"]:
            echo(f"ID checked: {out['holder']['line']}")
        if out["remaining"]:
            echo(f"{out['remaining']} ticket(s) still to hand out.")
    finish_printing(out["print"], json_out)
