"""`boxoffice pause ...` and `boxoffice resume`: stopping sales, pickups or scans at once, and lifting it."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, echo, emit_json, secho, table, terminal

pause_app = sub_app("Stop sales, pickups or scans at once (everywhere, one event, a channel or a terminal).")

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
        secho(f"{what.upper()} PAUSED ({row['scope']}{' ' + row['target'] if row['target'] else ''}): "
                    f"{row['reason']}", fg="red", bold=True)


@pause_app.command("sales")
def pause_sales(reason: str = typer.Option(..., "--reason", "-r", help="Shown to everyone refused."),
                event: str = _EVENT, channel: str = _CHANNEL, terminal_: str = _TERMINAL,
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Pause sales; pickups and scans go on. Needs a supervisor.

    Example: boxoffice pause sales --event gala --reason "fire alarm"
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

    Example: boxoffice pause scans --event gala --reason "doors held"
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
        echo("Nothing is paused.")
        return
    headers = ["pause", "what", "scope", "target", "reason", "from", "since"]
    echo(table([(p["id"][-8:], p["what"], p["scope"], p["target"] or "", p["reason"], p["source"],
                       when_text(p["paused_at"], tz)) for p in items], headers))


def resume(pause_id: str = typer.Option(None, "--id", help="The pause to lift (from `pause list`)."),
           what: str = typer.Option("sales", "--what", help="sales, pickups or scans."),
           event: str = _EVENT, channel: str = _CHANNEL, terminal_: str = _TERMINAL,
           json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Lift a pause, by id or by the same scope it was set with. Needs a supervisor.

    Example: boxoffice resume --event gala
    """
    from boxoffice.services.pauses import resume as do_resume

    with terminal() as ctx:
        lifted = do_resume(ctx, pause_id, what=what, event=event, channel=channel, terminal=terminal_)
    if json_out:
        emit_json(lifted)
    else:
        secho(f"Resumed: {len(lifted)} pause(s) lifted.", fg="green")
