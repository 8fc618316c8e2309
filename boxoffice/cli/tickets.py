"""`boxoffice ticket verify`: check a ticket's QR token offline."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    TOKEN_ARGUMENT,
    echo,
    emit_json,
    secho,
    terminal,
)
from boxoffice.i18n import N_, _

ticket_app = sub_app(N_("Check a ticket's QR token offline; change a real-name ticket's holder."))


@ticket_app.command("verify", context_settings=TOKEN_ARGUMENT)
def verify(token: str = typer.Argument(None, help=_("The token text (quote it: it may hold spaces).")),
           image: Path = typer.Option(None, "--image", help=_("Read the QR from an image file instead.")),
           json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Say whether a ticket is genuine and what it admits; a changed byte, unknown key or revoked ticket is refused.

    Exit status 6 for a refused ticket. Examples:
      boxoffice ticket verify 'NCF8...'
      boxoffice ticket verify --image photo.png
    """
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.tickets import decode_image
    from boxoffice.services.tickets import verify as do_verify

    if (token is None) == (image is None):
        raise BoxOfficeError("bad_input", _("give a token or --image FILE"))
    with terminal() as ctx:
        text = decode_image(str(image))[0] if image else token
        out = do_verify(ctx, text)
    if json_out:
        emit_json(out)
        return
    place = _("row {row} seat {seat}").format(row=out["row"], seat=out["seat"]) if out["row"] else _("standing")
    secho(_("VALID  {event}  {section}  {place}").format(event=out["event"] or _("unknown event"),
                                                         section=out["section"] or "", place=place),
          fg="green", bold=True)
    if out["starts"]:
        echo(_("  {starts}; ticket {ticket}").format(starts=out["starts"], ticket=out["claims"]["ticket_id"]))


@ticket_app.command("change-holder", context_settings=TOKEN_ARGUMENT)
def change_holder(ticket: str = typer.Argument(..., help=_("The ticket id, or its token scanned (quote it).")),
                  holder: str = typer.Option(..., "--holder", help=_("The new holder as 'NAME,KIND,NUMBER' (KIND: "
                                             "resident, passport or other). The number is hashed, never kept.")),
                  supervisor: str = typer.Option(None, "--supervisor", help=_("Supervisor approving (PIN asked), "
                                                 "when the operator logged in is not one.")),
                  receipt: bool = typer.Option(False, "--receipt", help=_("Print the order's receipt too.")),
                  json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Real-name events: give a ticket a new holder (a supervisor's action). The old ticket is revoked and a new
    one with the same place is printed, journaled and synced like a re-issue; no money moves. Refused past the
    event's holder_changes_max (holder_changes_exhausted). Example:
      boxoffice ticket change-holder 01934c1e-... --holder '王芳,resident,110105198001010024' --supervisor sue
    """
    from boxoffice.cli.common import ask_pin, finish_printing
    from boxoffice.domain.holders import parse_holder
    from boxoffice.services.holder_change import change_holder as do_change
    from boxoffice.services.holder_change import check
    from boxoffice.services.printing import run_jobs

    new_holder = parse_holder(holder)
    with terminal() as ctx:
        approval = None
        if supervisor:  # everything else that could refuse first, then the PIN
            check(ctx, ticket, supervisor)
            approval = (supervisor, ask_pin(_("PIN for {name}").format(name=supervisor)))
        out = do_change(ctx, ticket, new_holder, approval, receipt=receipt)
        prints = run_jobs(ctx, out["jobs"])
    if json_out:
        emit_json({"order": out["order_code"], "old_ticket_id": out["old_ticket_id"],
                   "ticket": {"id": out["ticket"]["id"], "token": out["ticket"]["token"],
                              "row": out["ticket"]["row"], "seat": out["ticket"]["seat"]},
                   "old_holder": out["old_holder"], "holder": out["holder"], "changes": out["changes"],
                   "changes_left": out["changes_left"], "approved_by": out["approved_by"], "print": prints})
    else:
        secho(_("HOLDER CHANGED  order {order}: old ticket {ticket} revoked").format(
            order=out["order_code"], ticket=out["old_ticket_id"]), bold=True, fg="green")
        echo(_("  was {holder}").format(holder=out["old_holder"]["line"]))
        echo(_("  now {holder}; new ticket {ticket}").format(holder=out["holder"]["line"], ticket=out["ticket"]["id"]))
        left = out["changes_left"]
        echo(_("  holder changes: {count}").format(count=out["changes"]) +
             ("" if left is None else _(" ({count} more allowed)").format(count=left)))
    finish_printing(prints, json_out)
