"""`boxoffice privacy ...`: erase past events' customer data, and export one customer's data on request."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, echo, emit_json, secho, terminal
from boxoffice.i18n import _, ngettext

privacy_app = sub_app(_("Customers' personal data: purge it after a past event, export one customer's on request."))


@privacy_app.command("purge")
def privacy_purge(event: str = typer.Option(..., "--event", help=_("The past event whose customers' data goes.")),
                  dry_run: bool = typer.Option(False, "--dry-run", help=_("Say what would go; change nothing.")),
                  json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Erase the names, e-mails, phones and notes of a past event's customers (and real-name ticket holders),
    here and, at the next sync, on the central service. Money, tickets, pickups and the journal stay; the journal
    keeps a hash where the data was, and `audit verify` still passes.

    Refused until the event started `[privacy] keep_days` ago (config; default 30), saying when it becomes
    purgeable. Supervisor or admin. Example: boxoffice privacy purge --event gala --dry-run
    """
    from boxoffice.services.privacy import purge

    with terminal() as ctx:
        out = purge(ctx, event, dry_run=dry_run)
    if json_out:
        emit_json(out)
        return
    rows = ", ".join(f"{n} {t}" for t, n in out["rows"].items()) or _("no rows with personal data")
    n = out["journal_entries"]
    entries = ngettext("{count} journal entry", "{count} journal entries", n).format(count=n)
    said = (_("Would erase the customer data of event {event} ({orders} orders): {rows}; {entries}.") if dry_run
            else _("Erased the customer data of event {event} ({orders} orders): {rows}; {entries}."))
    secho(said.format(event=out["event_id"], orders=out["orders"], rows=rows, entries=entries),
          fg="yellow" if dry_run else "green")
    if out["previous"]:
        echo(_("  (purged before at {when})").format(when=out["previous"]["purged_at"]))
    if not dry_run:
        echo(_("  Money, tickets and the journal are kept; the purge syncs to the central service at the next "
               "sync."))


@privacy_app.command("export")
def privacy_export(email: str = typer.Option(None, "--email", help=_("The customer's e-mail address.")),
                   phone: str = typer.Option(None, "--phone", help=_("The customer's whole phone number.")),
                   code: str = typer.Option(None, "--code", help=_("One of the customer's order codes.")),
                   out: Path = typer.Option(None, "--out", help=_("Write to this file (made 0600) instead of stdout."))
                   ) -> None:
    """One customer's data as JSON, for a subject access request: their orders with tickets, payments, pickups,
    real-name holders and complaints where this terminal keeps them. Supervisor or admin.

    Example: boxoffice privacy export --email anna@example.org --out anna.json
    """
    from boxoffice.filemodes import write_private
    from boxoffice.services.privacy import export, export_text

    with terminal() as ctx:
        data = export(ctx, email=email, phone=phone, code=code)
    text = export_text(data)
    if out is None:
        echo(text, nl=False)
        return
    write_private(out, text.encode("utf-8"))
    secho(_("Wrote {count} order(s) of this customer to {file} (readable by you only).").format(
        count=len(data["orders"]), file=out), fg="green")
