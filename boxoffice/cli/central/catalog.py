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


@central_catalog_app.command("export")
def export(
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_("Print the catalogue document itself (JSON).")),
) -> None:
    """Show the catalogue in force: every event as last published, with its sections, ticket types and prices.

    With --json it prints the document, ready for `boxoffice catalog import` or to publish again.
    Example: boxoffice central catalog export --json > venue.json
    """
    from boxoffice.central.services.admin import open_db
    from boxoffice.central.services.catalog_current import current_document

    with open_db(central_db(db)) as conn:
        doc = current_document(conn)
    if json_out:
        emit_json(doc or {})
        return
    if doc is None:
        echo(_("Nothing is published yet: boxoffice central catalog publish FILE"))
        return
    echo(f"{doc['venue']['name']} ({doc['venue']['currency']}, {doc['venue']['timezone']})")
    for ev in doc["events"]:
        echo(f"{ev['id']}  {ev['name']}  {ev['starts_at']}")
        for sec in ev["sections"]:
            size = sec.get("capacity", sum(len(r["seats"]) if isinstance(r["seats"], list) else
                                           int(r["seats"].split("-")[1]) - int(r["seats"].split("-")[0]) + 1
                                           for r in sec.get("rows", [])))
            echo("  " + _("section {id} {name} ({kind}, {places} places)").format(
                id=sec["id"], name=sec["name"], kind=sec["kind"], places=size))
        for tt in ev["ticket_types"]:
            prices = ", ".join(f"{sid} {amount}" for sid, amount in tt["prices"].items())
            echo("  " + _("ticket type {id} {name}: {prices}").format(id=tt["id"], name=tt["name"], prices=prices))


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
