"""`boxoffice allocation show` and `allocation release`: what this terminal holds of a centrally owned event."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, echo, emit_json, table, terminal
from boxoffice.i18n import _

allocation_app = sub_app(_(
    "What this terminal may sell when the central service owns the event: what it holds per section, how much of "
    "that is sold, and giving unsold places back."
))


def _split(value: str | None) -> list[str]:
    return [s.strip() for s in (value or "").split(",") if s.strip()]


@allocation_app.command("show")
def show(
    event: str = typer.Argument(None, help=_("Only this event.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Per section: places held here, sold, left, and whether the central service granted them.

    A terminal never synced with a central service holds every place ('own').
    Example: boxoffice allocation show gala
    """
    from boxoffice.services.allocations import holdings
    from boxoffice.services.events import list_events

    with terminal() as ctx:
        rows = holdings(ctx, event)
        events = {e["id"]: e["name"] for e in list_events(ctx)}
    if json_out:
        emit_json(rows)
        return
    if not rows:
        echo(_("No event here yet: `boxoffice catalog import FILE` or `boxoffice sync`."))
        return
    echo(table([(events.get(r["event_id"], r["event_id"]), r["name"], r["kind"], r["capacity"], r["held"],
                       r["sold"], r["left"],
                       _("central") if r["granted_by_central"] else _("own")) for r in rows],
                     [_("event"), _("section"), _("kind"), _("capacity"), _("held"), _("sold"), _("left"),
                      _("from")]))


@allocation_app.command("release")
def release(
    event: str = typer.Argument(..., help=_("Event id.")),
    section: str = typer.Option(..., "--section", help=_("Section id.")),
    count: int = typer.Option(0, "--count", help=_("Standing places to give back.")),
    seats: str = typer.Option(None, "--seats", help=_("Reserved seats to give back, e.g. A1,A2.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Give unsold places back: they leave this terminal at once; the central service frees them at the next sync.

    Supervisor. Only unsold places of this terminal's allocation can go back.
    Example: boxoffice allocation release gala --section standing --count 20
    """
    from boxoffice.services.allocations import release as do_release

    with terminal() as ctx:
        out = do_release(ctx, event, section, count, _split(seats))
    if json_out:
        emit_json(out)
        return
    what = ", ".join(out["seats"]) if out["seats"] else _("{count} place(s)").format(count=out["count"])
    echo(_("Gave back {what} of {section}; the central service frees them at the next `boxoffice sync`.").format(
        what=what, section=section))
