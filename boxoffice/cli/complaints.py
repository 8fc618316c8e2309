"""`boxoffice complaint ...`: write a customer's complaint down, list and close them."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, echo, emit_json, secho, table, terminal
from boxoffice.domain.complaints import CATEGORIES, NOTE_MAX

complaint_app = sub_app("Customers' complaints: write one down at the counter or the door (anyone logged in); "
                        "list and close them (supervisors). Categories: " + ", ".join(CATEGORIES) + ".")

_JSON = typer.Option(False, "--json", help=JSON_HELP)
_SEVERITY_COLOURS = {"critical": "red", "major": "yellow", "minor": "cyan"}


@complaint_app.command("add")
def complaint_add(category: str = typer.Argument(..., help=f"One of: {', '.join(CATEGORIES)}."),
                  note: str = typer.Argument(None, help=f"What the customer said, one line of at most {NOTE_MAX} "
                                                        "characters (never a card number)."),
                  order: str = typer.Option(None, "--order", help="The order it concerns: its code, or scan a "
                                                                  "ticket of it."),
                  ticket: str = typer.Option(None, "--ticket", help="The ticket it concerns: its id, or scan it."),
                  event: str = typer.Option(None, "--event", help="The event it is about, when no order is."),
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
    echo(f"Complaint {c['id'][-8:]} written down: {c['category']}{about}.")
    for a in done["alerts"]:
        secho(f"{a['severity'].upper():8} {a['message']}", fg=_SEVERITY_COLOURS[a["severity"]], bold=True)


@complaint_app.command("list")
def complaint_list(open_only: bool = typer.Option(False, "--open", help="Only complaints not closed yet."),
                   closed_only: bool = typer.Option(False, "--closed", help="Only closed complaints."),
                   category: str = typer.Option(None, "--category", help="Only this category."),
                   event: str = typer.Option(None, "--event", help="Only complaints about this event."),
                   since: str = typer.Option(None, "--since", help="Made at or after this local time "
                                                                   "(2026-12-08T19:00)."),
                   until: str = typer.Option(None, "--until", help="Made before this local time."),
                   json_out: bool = _JSON) -> None:
    """List complaints written down at this terminal, oldest first (supervisor or admin).

    Example: boxoffice complaint list --open --category safety
    """
    from boxoffice.domain.clock import when_text
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.complaints import list_complaints
    from boxoffice.services.events import venue_tz

    if open_only and closed_only:
        raise BoxOfficeError("bad_input", "give --open or --closed, not both")
    status = "open" if open_only else "closed" if closed_only else None
    with terminal() as ctx:
        items = list_complaints(ctx, status=status, category=category, event=event, since=since, until=until)
        tz = venue_tz(ctx)
    if json_out:
        emit_json(items)
        return
    if not items:
        echo("No complaints.")
        return
    echo(table([(c["id"][-8:], when_text(c["at"], tz), c["category"], c["order_code"] or c["event_id"] or "",
                 c["operator"] or "", c["note"] or "", when_text(c["closed_at"], tz, missing="open"))
                for c in items], ["complaint", "at", "category", "about", "by", "note", "closed"]))


@complaint_app.command("close")
def complaint_close(complaint: str = typer.Argument(..., help="Complaint id (the last 8 characters will do)."),
                    note: str = typer.Option(..., "--note", help="What was done or decided, one line."),
                    json_out: bool = _JSON) -> None:
    """Close a complaint with what was done about it (supervisor or admin).

    Example: boxoffice complaint close 1a2b3c4d --note "moved to a seat in row C"
    """
    from boxoffice.services.complaints import close

    with terminal() as ctx:
        done = close(ctx, complaint, note)
    emit_json(done) if json_out else echo(f"Complaint {done['id'][-8:]} closed.")
