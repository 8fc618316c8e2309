"""`boxoffice demo`, `boxoffice init` and `boxoffice config show`: setting a terminal up."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, clock, config, echo, emit_json, secho, table
from boxoffice.i18n import N_, _

config_app = sub_app(N_("Show the configuration in force and where each value came from."))


def init(
    name: str = typer.Option("Counter 1", "--name", "-n", help=_("A name people recognise: 'Counter 2', 'Door A'.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Make this machine a terminal: id, order-code tag, Ed25519 signing key (mode 0600) and database.

    Example: boxoffice --db /srv/boxoffice/counter1.db init --name "Counter 1"
    """
    from boxoffice.services.terminal import init_terminal

    cfg = config()
    ctx = init_terminal(cfg, name, clock())
    t = ctx.terminal
    ctx.close()
    info = {"id": t["id"], "name": t["name"], "tag": t["tag"], "key_id": t["key_id"], "db": str(cfg.db_path),
            "key_file": str(cfg.key_path)}
    if json_out:
        emit_json(info)
        return
    echo(_("Terminal {name} ({id}) ready.\n  database: {db}\n  signing key: {key} (key id {key_id})\nNext: add the "
           "first admin with `boxoffice operator add NAME --role admin`, then `boxoffice catalog import FILE`.").format(
        name=t["name"], id=t["id"], db=cfg.db_path, key=cfg.key_path, key_id=t["key_id"]))


@config_app.command("show")
def show(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Print every setting in force and where it came from (default, a file, an environment variable, an option).

    Example: boxoffice config show
    """
    from boxoffice.config import DESCRIPTIONS

    cfg = config()
    data = {k: {"value": v, "source": cfg.sources[k], "meaning": DESCRIPTIONS.get(k, "")}
            for k, v in cfg.values.items()}
    if json_out:
        emit_json({"file": str(cfg.file) if cfg.file else None, "settings": data})
        return
    echo(_("config file: {file}").format(file=cfg.file or _("(none found)")))
    echo(table([(k, d["value"], d["source"]) for k, d in data.items()], [_("setting"), _("value"), _("source")]))


def demo(
    directory: Path = typer.Option(Path("boxoffice-demo"), "--dir", help=_("Where to put the demo terminal.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Set up a demo terminal (venue, two events, five operators), sell two seats and print the tickets to PDF.

    Run it again to sell another order in the same demo. Its events are `gala` and `jazz`, a week and two weeks
    from the day it is made; the examples in every command's help run on it. Example: boxoffice demo --dir demo
    """
    from boxoffice.services.demo import run_demo

    out = run_demo(directory, clock())
    if json_out:
        emit_json(out)
        return
    if out["created"]:
        echo(_("Demo terminal made in {directory} (Demo Hall: 488 reserved seats and 300 standing; two "
               "events).").format(directory=out["directory"]))
    secho(_("SOLD {order}: {event}, 2 x Adult, seats {seats}; total {total} {currency}, change from 100.00: "
            "{change}").format(order=out["order"], event=out["event_name"], seats=", ".join(out["seats"]),
                               total=out["total"], currency=out["currency"], change=out["change"]),
          fg="green", bold=True)
    for r in out["print"]:
        echo(_("Tickets printed to {path}").format(path=r["to"]) if r["status"] == "printed"
             else _("NOT PRINTED: {error}").format(error=r["error"]))
    echo(_("Operators (name/role/PIN): {operators}").format(
        operators=", ".join(f"{o['name']}/{o['role']}/{o['pin']}" for o in out["operators"])))
    echo(_("Try it yourself:\n  cd {directory}\n  boxoffice event seats {event}\n"
           "  boxoffice login sam          (PIN 1111, asked without echo)\n"
           "  boxoffice sell {event} --section standing --type adult=2 --cash 50\n"
           "  boxoffice order show {order}").format(directory=out["directory"], event=out["event"],
                                                     order=out["order"]))
