"""`boxoffice pause ...` and `boxoffice resume`: stopping sales, pickups or scans at once, and lifting it."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, echo, emit_json, secho, table, terminal
from boxoffice.i18n import N_, _

pause_app = sub_app(_("Stop sales, pickups or scans at once (everywhere, one event, a channel or a terminal)."))

_EVENT = typer.Option(None, "--event", help=_("Only this event."))
_CHANNEL = typer.Option(None, "--channel", help=_("box_office, web or all."))
_TERMINAL = typer.Option(None, "--terminal", help=_("Only this terminal (id or name)."))
_PAUSED = {"sales": N_("SALES PAUSED ({scope}): {reason}"), "pickups": N_("PICKUPS PAUSED ({scope}): {reason}"),
           "scans": N_("SCANS PAUSED ({scope}): {reason}")}


def _pause(what: str, reason: str, event: str | None, channel: str | None, terminal_: str | None,
           json_out: bool) -> None:
    from boxoffice.services.pauses import pause

    with terminal() as ctx:
        row = pause(ctx, reason, what=what, event=event, channel=channel, terminal=terminal_)
    if json_out:
        emit_json(row)
    else:
        scope = f"{row['scope']}{' ' + row['target'] if row['target'] else ''}"
        secho(_(_PAUSED[what]).format(scope=scope, reason=row["reason"]), fg="red", bold=True)


@pause_app.command("sales")
def pause_sales(reason: str = typer.Option(..., "--reason", "-r", help=_("Shown to everyone refused.")),
                event: str = _EVENT, channel: str = _CHANNEL, terminal_: str = _TERMINAL,
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Pause sales; pickups and scans go on. Needs a supervisor.

    Example: boxoffice pause sales --event gala --reason "fire alarm"
    """
    _pause("sales", reason, event, channel, terminal_, json_out)


@pause_app.command("pickups")
def pause_pickups(reason: str = typer.Option(..., "--reason", "-r", help=_("Shown to everyone refused.")),
                  event: str = _EVENT, channel: str = _CHANNEL, terminal_: str = _TERMINAL,
                  json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Pause pickups at the will-call desk. Needs a supervisor.

    Example: boxoffice pause pickups --reason "queue moved to door B"
    """
    _pause("pickups", reason, event, channel, terminal_, json_out)


@pause_app.command("scans")
def pause_scans(reason: str = typer.Option(..., "--reason", "-r", help=_("Shown to everyone refused.")),
                event: str = _EVENT, channel: str = _CHANNEL, terminal_: str = _TERMINAL,
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Pause door check-ins. Needs a supervisor.

    Example: boxoffice pause scans --event gala --reason "doors held"
    """
    _pause("scans", reason, event, channel, terminal_, json_out)


@pause_app.command("list")
def pause_list(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
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
        echo(_("Nothing is paused."))
        return
    headers = [_("pause"), _("what"), _("scope"), _("target"), _("reason"), _("from"), _("since")]
    echo(table([(p["id"][-8:], p["what"], p["scope"], p["target"] or "", p["reason"], p["source"],
                       when_text(p["paused_at"], tz)) for p in items], headers))


def resume(pause_id: str = typer.Option(None, "--id", help=_("The pause to lift (from `pause list`).")),
           what: str = typer.Option("sales", "--what", help=_("sales, pickups or scans.")),
           event: str = _EVENT, channel: str = _CHANNEL, terminal_: str = _TERMINAL,
           json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Lift a pause, by id or by the same scope it was set with. Needs a supervisor.

    Example: boxoffice resume --event gala
    """
    from boxoffice.services.pauses import resume as do_resume

    with terminal() as ctx:
        lifted = do_resume(ctx, pause_id, what=what, event=event, channel=channel, terminal=terminal_)
    if json_out:
        emit_json(lifted)
    else:
        secho(_("Resumed: {count} pause(s) lifted.").format(count=len(lifted)), fg="green")
