"""`boxoffice complaint ...`: write a customer's complaint down, list and close them."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, echo, emit_json, secho, table, terminal
from boxoffice.domain.complaints import CATEGORIES, NOTE_MAX
from boxoffice.i18n import N_, _

complaint_app = sub_app(_("Customers' complaints: write one down at the counter or the door (anyone logged in); "
                          "list and close them (supervisors). Categories: {categories}.").format(
                              categories=", ".join(CATEGORIES)))

_JSON = typer.Option(False, "--json", help=_(JSON_HELP))
_SEVERITY_COLOURS = {"critical": "red", "major": "yellow", "minor": "cyan"}
_SEVERITY_LABELS = {"critical": N_("CRITICAL"), "major": N_("MAJOR"), "minor": N_("MINOR")}


@complaint_app.command("add")
def complaint_add(category: str = typer.Argument(..., help=_("One of: {categories}.").format(
                      categories=", ".join(CATEGORIES))),
                  note: str = typer.Argument(None, help=_("What the customer said, one line of at most {limit} "
                                                          "characters (never a card number).").format(
                                                              limit=NOTE_MAX)),
                  order: str = typer.Option(None, "--order", help=_("The order it concerns: its code, or scan a "
                                                                    "ticket of it.")),
                  ticket: str = typer.Option(None, "--ticket", help=_("The ticket it concerns: its id, or scan it.")),
                  event: str = typer.Option(None, "--event", help=_("The event it is about, when no order is.")),
                  json_out: bool = _JSON) -> None:
    """Write down a customer's complaint, as heard at the counter or the door.

    Counts towards the complaints alert (`boxoffice alerts`), which this command also shows once in force.
    Example: boxoffice complaint add queue "waited 40 minutes at the pickup desk" --event gala
    """
    from boxoffice.services.complaints import add

    with terminal() as ctx:
        done = add(ctx, category, note, order=order, ticket=ticket, event=event)
    if json_out:
        emit_json(done)
        return
    c = done["complaint"]
    about = f" ({c['order_code'] or c['event_id']})" if c["order_code"] or c["event_id"] else ""
    echo(_("Complaint {complaint} written down: {category}{about}.").format(complaint=c["id"][-8:],
                                                                             category=c["category"], about=about))
    for a in done["alerts"]:
        label = _(_SEVERITY_LABELS.get(a["severity"], a["severity"].upper()))
        secho(f"{label:8} {a['message']}", fg=_SEVERITY_COLOURS[a["severity"]], bold=True)


@complaint_app.command("list")
def complaint_list(open_only: bool = typer.Option(False, "--open", help=_("Only complaints not closed yet.")),
                   closed_only: bool = typer.Option(False, "--closed", help=_("Only closed complaints.")),
                   category: str = typer.Option(None, "--category", help=_("Only this category.")),
                   event: str = typer.Option(None, "--event", help=_("Only complaints about this event.")),
                   since: str = typer.Option(None, "--since", help=_("Made at or after this local time "
                                                                     "(2026-12-08T19:00).")),
                   until: str = typer.Option(None, "--until", help=_("Made before this local time.")),
                   json_out: bool = _JSON) -> None:
    """List complaints written down at this terminal, oldest first (supervisor or admin).

    Example: boxoffice complaint list --open --category safety
    """
    from boxoffice.domain.clock import when_text
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.complaints import list_complaints
    from boxoffice.services.events import venue_tz

    if open_only and closed_only:
        raise BoxOfficeError("bad_input", _("give --open or --closed, not both"))
    status = "open" if open_only else "closed" if closed_only else None
    with terminal() as ctx:
        items = list_complaints(ctx, status=status, category=category, event=event, since=since, until=until)
        tz = venue_tz(ctx)
    if json_out:
        emit_json(items)
        return
    if not items:
        echo(_("No complaints."))
        return
    echo(table([(c["id"][-8:], when_text(c["at"], tz), c["category"], c["order_code"] or c["event_id"] or "",
                 c["operator"] or "", c["note"] or "", when_text(c["closed_at"], tz, missing=_("open")))
                for c in items], [_("complaint"), _("at"), _("category"), _("about"), _("by"), _("note"),
                                  _("closed")]))


@complaint_app.command("close")
def complaint_close(complaint: str = typer.Argument(..., help=_("Complaint id (the last 8 characters will do).")),
                    note: str = typer.Option(..., "--note", help=_("What was done or decided, one line.")),
                    json_out: bool = _JSON) -> None:
    """Close a complaint with what was done about it (supervisor or admin).

    Example: boxoffice complaint close 1a2b3c4d --note "moved to a seat in row C"
    """
    from boxoffice.services.complaints import close

    with terminal() as ctx:
        done = close(ctx, complaint, note)
    emit_json(done) if json_out else echo(_("Complaint {complaint} closed.").format(complaint=done["id"][-8:]))
