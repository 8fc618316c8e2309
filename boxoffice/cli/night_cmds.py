"""`boxoffice pause|resume`, `incident ...`, `backup`, `restore`."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, emit_json, table, terminal

pause_app = sub_app("Stop sales, pickups or scans at once (everywhere, one event, a channel or a terminal).")
incident_app = sub_app("The incident log: open, add notes, close, and the timeline for the review.")

_EVENT = typer.Option(None, "--event", help="Only this event.")
_CHANNEL = typer.Option(None, "--channel", help="box_office, web or all.")
_TERMINAL = typer.Option(None, "--terminal", help="Only this terminal (id or name).")


def _pause(what: str, reason: str, event: str | None, channel: str | None, terminal_: str | None,
           json_out: bool) -> None:
    from boxoffice.services.pauses import pause

    with terminal() as ctx:
        row = pause(ctx, reason, what=what, event=event, channel=channel, terminal=terminal_)
    if json_out:
        emit_json(row)
    else:
        typer.secho(f"{what.upper()} PAUSED ({row['scope']}{' ' + row['target'] if row['target'] else ''}): "
                    f"{row['reason']}", fg="red", bold=True)


@pause_app.command("sales")
def pause_sales(reason: str = typer.Option(..., "--reason", "-r", help="Shown to everyone refused."),
                event: str = _EVENT, channel: str = _CHANNEL, terminal_: str = _TERMINAL,
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Pause sales; pickups and scans go on. Needs a supervisor.

    Example: boxoffice pause sales --event gala-1130 --reason "fire alarm"
    """
    _pause("sales", reason, event, channel, terminal_, json_out)


@pause_app.command("pickups")
def pause_pickups(reason: str = typer.Option(..., "--reason", "-r", help="Shown to everyone refused."),
                  event: str = _EVENT, channel: str = _CHANNEL, terminal_: str = _TERMINAL,
                  json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Pause pickups at the will-call desk. Needs a supervisor.

    Example: boxoffice pause pickups --reason "queue moved to door B"
    """
    _pause("pickups", reason, event, channel, terminal_, json_out)


@pause_app.command("scans")
def pause_scans(reason: str = typer.Option(..., "--reason", "-r", help="Shown to everyone refused."),
                event: str = _EVENT, channel: str = _CHANNEL, terminal_: str = _TERMINAL,
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Pause door check-ins. Needs a supervisor.

    Example: boxoffice pause scans --event gala-1130 --reason "doors held"
    """
    _pause("scans", reason, event, channel, terminal_, json_out)


@pause_app.command("list")
def pause_list(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List active pauses.

    Example: boxoffice pause list
    """
    from boxoffice.domain.clock import when_text
    from boxoffice.services.events import venue_tz
    from boxoffice.services.pauses import active

    with terminal() as ctx:
        items = active(ctx)
        tz = venue_tz(ctx)
    if json_out:
        emit_json(items)
        return
    if not items:
        typer.echo("Nothing is paused.")
        return
    headers = ["pause", "what", "scope", "target", "reason", "from", "since"]
    typer.echo(table([(p["id"][-8:], p["what"], p["scope"], p["target"] or "", p["reason"], p["source"],
                       when_text(p["paused_at"], tz)) for p in items], headers))


def resume(pause_id: str = typer.Option(None, "--id", help="The pause to lift (from `pause list`)."),
           what: str = typer.Option("sales", "--what", help="sales, pickups or scans."),
           event: str = _EVENT, channel: str = _CHANNEL, terminal_: str = _TERMINAL,
           json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Lift a pause, by id or by the same scope it was set with. Needs a supervisor.

    Example: boxoffice resume --event gala-1130
    """
    from boxoffice.services.pauses import resume as do_resume

    with terminal() as ctx:
        lifted = do_resume(ctx, pause_id, what=what, event=event, channel=channel, terminal=terminal_)
    if json_out:
        emit_json(lifted)
    else:
        typer.secho(f"Resumed: {len(lifted)} pause(s) lifted.", fg="green")


@incident_app.command("open")
def incident_open(title: str = typer.Argument(..., help="What is wrong, e.g. 'printer 2 down'."),
                  severity: str = typer.Option("minor", "--severity", help="minor, major or critical."),
                  json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Open an incident.

    Example: boxoffice incident open "printer 2 down" --severity major
    """
    from boxoffice.services.incidents import open_incident

    with terminal() as ctx:
        inc = open_incident(ctx, title, severity)
    emit_json(inc) if json_out else typer.echo(f"Incident {inc['id'][-8:]} opened: {inc['title']}")


@incident_app.command("note")
def incident_note(incident: str = typer.Argument(..., help="Incident id (the last 8 characters will do)."),
                  text: str = typer.Argument(..., help="What happened or was done."),
                  json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Add a note to an open incident.

    Example: boxoffice incident note 1a2b3c4d "swapped to the spare printer"
    """
    from boxoffice.services.incidents import add_note

    with terminal() as ctx:
        note = add_note(ctx, incident, text)
    emit_json(note) if json_out else typer.echo("Noted.")


@incident_app.command("close")
def incident_close(incident: str = typer.Argument(..., help="Incident id."),
                   resolution: str = typer.Option(..., "--resolution", help="How it ended."),
                   json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Close an incident with its resolution.

    Example: boxoffice incident close 1a2b3c4d --resolution "printer replaced"
    """
    from boxoffice.services.incidents import close_incident

    with terminal() as ctx:
        inc = close_incident(ctx, incident, resolution)
    emit_json(inc) if json_out else typer.echo(f"Incident {inc['id'][-8:]} closed.")


@incident_app.command("list")
def incident_list(open_only: bool = typer.Option(False, "--open", help="Only open incidents."),
                  json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
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
    typer.echo(table([(i["id"][-8:], i["severity"], i["title"], when_text(i["opened_at"], tz),
                       when_text(i["closed_at"], tz, missing="open")) for i in items],
                     ["incident", "severity", "title", "opened", "closed"]))


@incident_app.command("timeline")
def incident_timeline(incident: str = typer.Argument(..., help="Incident id."),
                      json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
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
    typer.secho(f"{inc['title']} ({inc['severity']}), opened {when_text(inc['opened_at'], tz)}", bold=True)
    typer.echo(table([(when_text(t["at"], tz, seconds=True), t["what"], t["by"] or "", t["text"])
                      for t in inc["timeline"]], ["at", "what", "by", "detail"]))
    if inc["closed_at"]:
        typer.echo(f"closed {when_text(inc['closed_at'], tz)}: {inc['resolution']}")


def backup(to: Path = typer.Option(..., "--to", help="Folder for the copies (e.g. a second disk)."),
           keep: int = typer.Option(10, "--keep", help="How many copies to keep there."),
           json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Copy the live database while sales go on, verify the copy (integrity and audit chain), keep the last N.

    Example: boxoffice backup --to /media/usb/backups --keep 20
    """
    from boxoffice.services.backup import backup as do_backup

    with terminal() as ctx:
        report = do_backup(ctx, to, keep)
    if json_out:
        emit_json(report)
    else:
        typer.echo(f"Backed up to {report['file']} ({report['entries']} journal entries, verified).")


def _central_factory():  # noqa: ANN202 - (url, token) -> a client, or None without the central extra
    try:
        from boxoffice.sync.client import CentralClient
    except ImportError:
        return None
    return lambda url, token: CentralClient(url, token, timeout=10.0, retries=1)


def restore(file: Path = typer.Argument(..., help="A backup made by `boxoffice backup`."),
            yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
            accept_loss: bool = typer.Option(False, "--accept-loss", help="Restore a backup older than the terminal "
                                             "even when what was done since may be lost for good (never pushed to "
                                             "the central service, or it cannot be asked now): an incident records "
                                             "it, and the central service's places are held at zero here until "
                                             "`boxoffice sync recover`."),
            admin: str = typer.Option(None, "--admin", help="When there is no readable database here (a replacement "
                                      "machine, a ruined disk): an admin of the backup, whose PIN is asked and "
                                      "checked against it."),
            json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Replace this terminal's database with a backup, after checking it; a copy that fails is refused. Admin only.

    A backup older than the terminal is compared with what the terminal did since (read before anything is
    overwritten): what the central service holds comes back with `boxoffice sync recover`, and the terminal does
    not sell until then; what never reached it would be lost, so that is refused unless --accept-loss.

    Example: boxoffice restore /media/usb/backups/boxoffice-backup-Counter_1-20261130T200000000000Z.db
    """
    from boxoffice.cli.common import ask_pin, clock, config
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.backup import check_restore, check_restore_new, restore_new
    from boxoffice.services.backup import restore as do_restore
    from boxoffice.services.opening import open_terminal

    question = f"Replace this terminal's database with {file}?"
    try:
        ctx = open_terminal(config(), clock())
    except BoxOfficeError as exc:  # nothing readable here: the backup goes in its place, an admin of it agreeing
        if exc.code not in ("not_initialised", "database_error"):
            raise
        if admin is None:
            raise BoxOfficeError(exc.code, f"{exc.message}; to put the backup in its place, give --admin NAME (an "
                                           "admin of the backup: the PIN is asked and checked against it)") from None
        pin = ask_pin(f"PIN for {admin}")
        check_restore_new(config(), file, admin, pin, accept_loss=accept_loss, central=_central_factory())
        if not yes and not json_out:
            typer.confirm(question, abort=True)
        report = restore_new(config(), file, admin, pin, accept_loss=accept_loss,
                             central=_central_factory(), clock=clock())
    else:
        try:
            # an admin, a copy that verifies, this terminal's own, nothing lost unasked: before the question
            check_restore(ctx, file, accept_loss=accept_loss, central=_central_factory())
            if not yes and not json_out:
                typer.confirm(question, abort=True)
            report = do_restore(ctx, file, accept_loss=accept_loss, central=_central_factory())
        finally:
            ctx.close()
    if json_out:
        emit_json(report)
        return
    typer.echo(f"Restored from {file} ({report['entries']} journal entries).")
    if report.get("older"):
        typer.echo(f"{report['since_text']}; " + ("they are on the central service."
                                                  if not report.get("lost") else "some of them may be lost."))
    if report.get("incident"):
        typer.echo(f"Incident {report['incident'][-8:]} records what may be lost.")
    if report.get("message"):
        typer.secho(report["message"], fg="yellow", bold=True)
    if report.get("key_missing"):
        typer.secho(f"The terminal's signing key {report['key_missing']} is not here: copy it from the old "
                    "machine (or its safe copy) before selling.", fg="yellow", err=True)
