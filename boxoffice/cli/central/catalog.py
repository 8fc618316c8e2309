"""`boxoffice central catalog publish` and `central orders import`: what the terminals get at their sync."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import (
    JSON_HELP,
    clock,
    echo,
    emit_json,
)
from boxoffice.i18n import _

central_catalog_app = sub_app(_("The catalogue every terminal gets at its next sync."))


central_orders_app = sub_app(_("Web orders for the pickup desks."))


@central_catalog_app.command("publish")
def publish(
    file: Path = typer.Argument(..., help=_("A catalogue JSON document (schemas/catalog.schema.json).")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Publish a catalogue: checked whole like `boxoffice catalog import`, then sent to every terminal.

    Example: boxoffice central catalog publish venue.json
    """
    from boxoffice.central.services.admin import publish_catalog

    out = publish_catalog(central_db(db), file, clock())
    if json_out:
        emit_json(out)
        return
    names = ", ".join(e["name"] for e in out["events"])
    if out["published"]:
        echo(_("Published ({count} event(s): {names}); terminals get it at their next sync.").format(
            count=len(out["events"]), names=names))
    else:
        echo(_("This catalogue was published already ({names}); nothing new to send.").format(names=names))


@central_orders_app.command("import")
def import_orders(
    file: Path = typer.Argument(..., help=_("Web orders (schemas/sync-web-orders-import.schema.json).")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Import web orders: W codes, tickets signed with the central key, sent to every pickup desk.

    A document with any error is refused whole, each error located. Orders imported before (same ref) are skipped.
    Example: boxoffice central orders import shop-export.json
    """
    from boxoffice.central.services.admin import import_orders as do_import

    out = do_import(central_db(db), file, clock())
    if json_out:
        emit_json(out)
        return
    echo(_("Imported {imported} order(s), {tickets} ticket(s); {before} imported before.").format(
        imported=out["imported"], tickets=out["tickets"], before=out["already_imported"]))
