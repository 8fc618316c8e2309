"""`boxoffice central privacy ...`: erase a past event's customer data from the central database."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import JSON_HELP, clock, echo, emit_json, secho

central_privacy_app = sub_app("Customers' personal data: purge it after a past event.")


@central_privacy_app.command("purge")
def central_privacy_purge(
    event: str = typer.Option(..., "--event", help="The past event whose customers' data goes."),
    keep_days: int = typer.Option(30, "--keep-days", help="Refuse an event that started fewer days ago (1-3650)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go; change nothing."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
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
    rows = ", ".join(f"{n} {t}" for t, n in out["rows"].items()) or "no rows with personal data"
    secho(f"{'Would erase' if dry_run else 'Erased'} the customer data of event {out['event_id']}: {rows}; "
          f"{out['feed_changes']} feed change(s); {out['journal_entries']} journal entr"
          f"{'y' if out['journal_entries'] == 1 else 'ies'}.", fg="yellow" if dry_run else "green")
    if not dry_run:
        echo("  Each terminal erases its own copy with `boxoffice privacy purge --event " + out["event_id"] + "`.")
