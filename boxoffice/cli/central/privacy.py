"""`boxoffice central privacy ...`: erase a past event's customer data from the central database."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import JSON_HELP, clock, echo, emit_json, secho
from boxoffice.i18n import _, ngettext

central_privacy_app = sub_app(_("Customers' personal data: purge it after a past event."))


@central_privacy_app.command("purge")
def central_privacy_purge(
    event: str = typer.Option(..., "--event", help=_("The past event whose customers' data goes.")),
    keep_days: int = typer.Option(30, "--keep-days", help=_("Refuse an event that started fewer days ago (1-3650).")),
    dry_run: bool = typer.Option(False, "--dry-run", help=_("Say what would go; change nothing.")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Erase the names, e-mails, phones and notes of a past event's customers (web orders and every terminal's
    sales), real-name ticket holders, the feed's private copies and every terminal's journal copies of them.
    Money, tickets and the entries themselves stay.

    Terminals keep their own copies until each runs `boxoffice privacy purge --event ID` (the feed does not carry
    purges: see docs/security.md). Example: boxoffice central privacy purge --event gala --dry-run
    """
    from boxoffice.central.services.privacy import purge_at

    out = purge_at(central_db(db), event, clock=clock(), keep_days=keep_days, dry_run=dry_run)
    if json_out:
        emit_json(out)
        return
    rows = ", ".join(f"{n} {t}" for t, n in out["rows"].items()) or _("no rows with personal data")
    n = out["journal_entries"]
    entries = ngettext("{count} journal entry", "{count} journal entries", n).format(count=n)
    said = (_("Would erase the customer data of event {event}: {rows}; {feed} feed change(s); {entries}.")
            if dry_run else _("Erased the customer data of event {event}: {rows}; {feed} feed change(s); {entries}."))
    secho(said.format(event=out["event_id"], rows=rows, feed=out["feed_changes"], entries=entries),
          fg="yellow" if dry_run else "green")
    if not dry_run:
        echo(_("  Each terminal erases its own copy with `boxoffice privacy purge --event {event}`.").format(
            event=out["event_id"]))


@central_privacy_app.command("keep-days")
def central_privacy_keep_days(
    days: int = typer.Argument(None, help=_("Days after an event starts before its customers' data may go (1-3650); "
                                            "omit to show the value in force.")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Show or set how long the venue keeps its customers' data on the central service.

    A terminal's own `privacy purge` reaches the central copy only of its own sales, and only once the event started
    at least this many days ago, whatever keep_days the terminal's file says (default 30). Set it to the venue's
    [privacy] keep_days. Example: boxoffice central privacy keep-days 14
    """
    from boxoffice.central.services.privacy import keep_days_at, set_keep_days

    out = keep_days_at(central_db(db)) if days is None else set_keep_days(central_db(db), days)
    if json_out:
        emit_json(out)
        return
    said = (_("The venue keeps customers' data {days} days after an event starts.") if days is None else
            _("The venue now keeps customers' data {days} days after an event starts."))
    echo(said.format(days=out["keep_days"]))
