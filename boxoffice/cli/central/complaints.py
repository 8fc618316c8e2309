"""`boxoffice central complaints`: every terminal's complaints, as synced."""

from __future__ import annotations

import typer

from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import JSON_HELP, echo, emit_json, table
from boxoffice.i18n import _


def complaints(open_only: bool = typer.Option(False, "--open", help=_("Only complaints not closed yet.")),
               closed_only: bool = typer.Option(False, "--closed", help=_("Only closed complaints.")),
               category: str = typer.Option(None, "--category", help=_("Only this category.")),
               event: str = typer.Option(None, "--event", help=_("Only complaints about this event.")),
               terminal: str = typer.Option(None, "--terminal", help=_("Only those written down at this terminal "
                                                                       "(name or id).")),
               since: str = typer.Option(None, "--since", help=_("Made at or after this local time "
                                                                 "(2026-12-08T19:00).")),
               until: str = typer.Option(None, "--until", help=_("Made before this local time.")),
               db: str = typer.Option(None, "--db", help=_(DB_HELP)),
               json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Every terminal's complaints as synced, oldest first, with the terminal each was written down at.

    A complaint is closed on the terminal that took it (`boxoffice complaint close`); the close arrives here at
    that terminal's next sync. Example: boxoffice central complaints --open --category safety --json
    """
    from boxoffice.central.services.complaints import list_complaints
    from boxoffice.domain.clock import when_text
    from boxoffice.errors import BoxOfficeError

    if open_only and closed_only:
        raise BoxOfficeError("bad_input", _("give --open or --closed, not both"))
    items, tz = list_complaints(central_db(db), status="open" if open_only else "closed" if closed_only else None,
                            category=category, event=event, terminal=terminal, since=since, until=until)
    if json_out:
        emit_json(items)
        return
    if not items:
        echo(_("No complaints."))
        return
    echo(table([(c["id"][-8:], when_text(c["at"], tz), c["terminal"] or c["terminal_id"], c["category"],
                 c["order_code"] or c["event_id"] or "", c["note"] or "", when_text(c["closed_at"], tz,
                                                                                    missing=_("open")))
                for c in items], [_("complaint"), _("at"), _("terminal"), _("category"), _("about"), _("note"),
                                  _("closed")]))
