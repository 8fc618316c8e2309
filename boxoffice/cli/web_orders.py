"""`boxoffice orders import` and `keys ...`: web-shop orders and the keys their tickets are signed with."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    echo,
    emit_json,
    secho,
    table,
    terminal,
)
from boxoffice.i18n import _

orders_app = sub_app(_("Orders from other channels (the web shop): import them for the pickup desk and the door."))


keys_app = sub_app(_("Public keys whose tickets this terminal accepts (the central service's, other terminals')."))


@orders_app.command("import")
def orders_import(file: Path = typer.Argument(..., help=_("An orders JSON document (schemas/orders.schema.json).")),
                  json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Import web orders with their signed tickets. Any error refuses the whole file, each error located.

    Tokens must verify against a known key (`boxoffice keys import` first). Importing the same file again changes
    nothing; an order paid since, or with new notes, is updated. Needs a supervisor.
    Example: boxoffice orders import web-orders.json
    """
    from boxoffice.services.web_orders import import_orders_file

    with terminal() as ctx:
        out = import_orders_file(ctx, file)
    if json_out:
        emit_json(out)
        return
    echo(_("Imported {created} order(s) with {tickets} ticket(s); {updated} updated, {unchanged} unchanged.").format(
        created=out["created"], tickets=out["tickets"], updated=out["updated"], unchanged=out["unchanged"]))
    for w in out["warnings"][:50]:
        secho(_("WARNING: {warning}").format(warning=w), fg="yellow", err=True)


@keys_app.command("import")
def keys_import(file: Path = typer.Argument(..., help=_("A JSON list of {key_id, public_key, owner} "
                                                        "(schemas/keys.schema.json).")),
                json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Trust more ticket-signing keys (until sync brings them). A key id must match its key. Needs an admin.

    Example: boxoffice keys import central-keys.json
    """
    from boxoffice.services.web_orders import import_keys_file

    with terminal() as ctx:
        out = import_keys_file(ctx, file)
    if json_out:
        emit_json(out)
        return
    echo(_("Added {added} key(s); {unchanged} known already.").format(added=len(out["added"]),
                                                                       unchanged=out["unchanged"]))
    for k in out["added"]:
        echo(f"  {k['key_id']}  {k['owner']}")


@keys_app.command("list")
def keys_list(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """List the keys this terminal trusts, its own first.

    Example: boxoffice keys list
    """
    from boxoffice.domain.clock import when_text
    from boxoffice.services.events import venue_tz
    from boxoffice.services.web_orders import list_keys

    with terminal() as ctx:
        keys = list_keys(ctx)
        tz = venue_tz(ctx)
    if json_out:
        emit_json(keys)
        return
    echo(table([(k["key_id"], _("{owner} (this terminal)").format(owner=k["owner"]) if k["own"] else k["owner"],
                 when_text(k["added_at"], tz), when_text(k["revoked_at"], tz, missing="")) for k in keys],
                     [_("key id"), _("owner"), _("added"), _("revoked")]))
