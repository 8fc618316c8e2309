"""`boxoffice central pause ...` and `central resume`: the emergency pause for every terminal, from the centre."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import JSON_HELP, clock, echo, emit_json, secho, table
from boxoffice.i18n import N_, _

central_pause_app = sub_app(_("Stop sales, pickups or scans on every terminal (or an event, a channel, one "
                              "terminal) at its next sync."))

_REASON = typer.Option(..., "--reason", "-r", help=_("Shown to everyone refused."))
_EVENT = typer.Option(None, "--event", help=_("Only this event."))
_CHANNEL = typer.Option(None, "--channel", help=_("box_office, web or all."))
_TERMINAL = typer.Option(None, "--terminal", help=_("Only this terminal (id, tag or name)."))
_BY = typer.Option(None, "--by", help=_("Who set it, for the record."))
_PAUSED = {"sales": N_("SALES PAUSED ({scope}) on the terminals' next sync: {reason}"),
           "pickups": N_("PICKUPS PAUSED ({scope}) on the terminals' next sync: {reason}"),
           "scans": N_("SCANS PAUSED ({scope}) on the terminals' next sync: {reason}")}
_DB = typer.Option(None, "--db", help=_(DB_HELP))
_JSON = typer.Option(False, "--json", help=_(JSON_HELP))


def _pause(what: str, reason: str, event: str | None, channel: str | None, terminal: str | None, by: str | None,
           db: str | None, json_out: bool) -> None:
    from boxoffice.central.services.pauses import pause

    body = pause(central_db(db), reason, what=what, event=event, channel=channel, terminal=terminal, by=by,
                 clock=clock())
    if json_out:
        emit_json(body)
    else:
        scope = f"{body['scope']}{' ' + body['target'] if body['target'] else ''}"
        secho(_(_PAUSED[what]).format(scope=scope, reason=body["reason"]), fg="red", bold=True)


@central_pause_app.command("sales")
def pause_sales(reason: str = _REASON, event: str = _EVENT, channel: str = _CHANNEL, terminal: str = _TERMINAL,
                by: str = _BY, db: str = _DB,
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Pause sales on every terminal (or the scope given) from its next sync; pickups and scans go on.

    Example: boxoffice central pause sales --event gala --reason "show cancelled"
    """
    _pause("sales", reason, event, channel, terminal, by, db, json_out)


@central_pause_app.command("pickups")
def pause_pickups(reason: str = _REASON, event: str = _EVENT, channel: str = _CHANNEL, terminal: str = _TERMINAL,
                  by: str = _BY, db: str = _DB,
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Pause pickups on every terminal (or the scope given) from its next sync.

    Example: boxoffice central pause pickups --channel web --reason "web orders at door B only"
    """
    _pause("pickups", reason, event, channel, terminal, by, db, json_out)


@central_pause_app.command("scans")
def pause_scans(reason: str = _REASON, event: str = _EVENT, channel: str = _CHANNEL, terminal: str = _TERMINAL,
                by: str = _BY, db: str = _DB,
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Pause door check-ins on every terminal (or the scope given) from its next sync.

    Example: boxoffice central pause scans --event gala --reason "doors held by security"
    """
    _pause("scans", reason, event, channel, terminal, by, db, json_out)


@central_pause_app.command("list")
def pause_list(db: str = _DB, json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """The pauses in force that the central service has sent.

    Example: boxoffice central pause list
    """
    from boxoffice.central.services.admin import venue_timezone
    from boxoffice.central.services.pauses import in_force
    from boxoffice.domain.clock import when_text

    items = in_force(central_db(db))
    if json_out:
        emit_json(items)
        return
    if not items:
        echo(_("Nothing is paused."))
        return
    tz = venue_timezone(central_db(db))
    echo(table([(p["id"][-8:], p["what"], p["scope"], p["target"] or "", p["reason"],
                       when_text(p["paused_at"], tz)) for p in items],
                     [_("pause"), _("what"), _("scope"), _("target"), _("reason"), _("since")]))


def resume(pause_id: str = typer.Option(None, "--id", help=_("The pause to lift (from `central pause list`).")),
           what: str = typer.Option("sales", "--what", help=_("sales, pickups or scans.")),
           event: str = _EVENT, channel: str = _CHANNEL, terminal: str = _TERMINAL, by: str = _BY, db: str = _DB,
           json_out: bool = _JSON) -> None:
    """Lift a central pause, by id or by the scope it was set with; terminals resume at their next sync.

    Example: boxoffice central resume --event gala
    """
    from boxoffice.central.services.pauses import resume as do_resume

    lifted = do_resume(central_db(db), pause_id, what=what, event=event, channel=channel, terminal=terminal, by=by,
                       clock=clock())
    if json_out:
        emit_json(lifted)
    else:
        secho(_("Resumed: {count} pause(s) lifted at the terminals' next sync.").format(count=len(lifted)), fg="green")
