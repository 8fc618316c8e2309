"""`boxoffice incident ...`: the incident log, its notes and the timeline for the review."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    echo,
    emit_json,
    secho,
    table,
    terminal,
)
from boxoffice.i18n import _

incident_app = sub_app(_("The incident log: open, add notes, close, and the timeline for the review."))


@incident_app.command("open")
def incident_open(title: str = typer.Argument(..., help=_("What is wrong, e.g. 'printer 2 down'.")),
                  severity: str = typer.Option("minor", "--severity", help=_("minor, major or critical.")),
                  json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Open an incident.

    Example: boxoffice incident open "printer 2 down" --severity major
    """
    from boxoffice.services.incidents import open_incident

    with terminal() as ctx:
        inc = open_incident(ctx, title, severity)
    emit_json(inc) if json_out else echo(_("Incident {incident} opened: {title}").format(incident=inc["id"][-8:],
                                                                                title=inc["title"]))


@incident_app.command("note")
def incident_note(incident: str = typer.Argument(..., help=_("Incident id (the last 8 characters will do).")),
                  text: str = typer.Argument(..., help=_("What happened or was done.")),
                  json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Add a note to an open incident.

    Example: boxoffice incident note 1a2b3c4d "swapped to the spare printer"
    """
    from boxoffice.services.incidents import add_note

    with terminal() as ctx:
        note = add_note(ctx, incident, text)
    emit_json(note) if json_out else echo(_("Noted."))


@incident_app.command("close")
def incident_close(incident: str = typer.Argument(..., help=_("Incident id.")),
                   resolution: str = typer.Option(..., "--resolution", help=_("How it ended.")),
                   json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Close an incident with its resolution.

    Example: boxoffice incident close 1a2b3c4d --resolution "printer replaced"
    """
    from boxoffice.services.incidents import close_incident

    with terminal() as ctx:
        inc = close_incident(ctx, incident, resolution)
    emit_json(inc) if json_out else echo(_("Incident {incident} closed.").format(incident=inc["id"][-8:]))


@incident_app.command("list")
def incident_list(open_only: bool = typer.Option(False, "--open", help=_("Only open incidents.")),
                  json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """List incidents.

    Example: boxoffice incident list --open
    """
    from boxoffice.domain.clock import when_text
    from boxoffice.services.events import venue_tz
    from boxoffice.services.incidents import list_incidents

    with terminal() as ctx:
        items = list_incidents(ctx, open_only)
        tz = venue_tz(ctx)
    if json_out:
        emit_json(items)
        return
    echo(table([(i["id"][-8:], i["severity"], i["title"], when_text(i["opened_at"], tz),
                       when_text(i["closed_at"], tz, missing=_("open"))) for i in items],
                     [_("incident"), _("severity"), _("title"), _("opened"), _("closed")]))


@incident_app.command("timeline")
def incident_timeline(incident: str = typer.Argument(..., help=_("Incident id.")),
                      json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """The incident's notes and everything recorded while it was open, in time order.

    Example: boxoffice incident timeline 1a2b3c4d
    """
    from boxoffice.domain.clock import when_text
    from boxoffice.services.events import venue_tz
    from boxoffice.services.incidents import timeline

    with terminal() as ctx:
        inc = timeline(ctx, incident)
        tz = venue_tz(ctx)
    if json_out:
        emit_json(inc)
        return
    secho(_("{title} ({severity}), opened {when}").format(title=inc["title"], severity=inc["severity"],
                                                          when=when_text(inc["opened_at"], tz)), bold=True)
    echo(table([(when_text(t["at"], tz, seconds=True), t["what"], t["by"] or "", t["text"])
                      for t in inc["timeline"]], [_("at"), _("what"), _("by"), _("detail")]))
    if inc["closed_at"]:
        echo(_("closed {when}: {resolution}").format(when=when_text(inc["closed_at"], tz),
                                                      resolution=inc["resolution"]))
