"""The `boxoffice` command: every sub-app wired to the root, and the entry point."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli import (
    allocation_cmds,
    catalog_cmds,
    central_cmds,
    central_night_cmds,
    central_pause_cmds,
    central_report_cmds,
    money_cmds,
    night_cmds,
    operator_cmds,
    pickup_cmds,
    report_cmds,
    sales_cmds,
    setup_cmds,
    sync_cmds,
)
from boxoffice.cli.app import make_app
from boxoffice.cli.common import ROOT_OPTIONS, TOKEN_ARGUMENT

app = make_app(
    "Box office for the night: walk-up sales, will-call pickup, refunds, QR tickets on receipt printers or PDF.\n\n"
    "Works with no network; syncs with a central service when there is one. Start with `boxoffice demo`, or "
    "`boxoffice init` for a real counter. Exit statuses: 0 ok, 2 bad input, 3 not found, 4 conflicts with the "
    "current state (sold out, already picked up...), 5 not permitted, 6 ticket refused, 7 printer offline (sale "
    "kept), 8 central service, 9 database, 10 sales paused or not allocated here."
)


@app.callback()
def root(
    db: Path = typer.Option(None, "--db", help="Terminal database (else BOXOFFICE_DB, the config file, the user "
                                               "data dir).", envvar=None),
    config: Path = typer.Option(None, "--config", help="Config file (else BOXOFFICE_CONFIG, ./boxoffice.toml, the "
                                                       "user config dir)."),
) -> None:
    ROOT_OPTIONS.clear()
    ROOT_OPTIONS.update(db=str(db) if db else None, config=str(config) if config else None)


app.command("demo")(setup_cmds.demo)
app.command("init")(setup_cmds.init)
app.add_typer(setup_cmds.config_app, name="config")
app.add_typer(catalog_cmds.catalog_app, name="catalog")
app.add_typer(catalog_cmds.event_app, name="event")
app.add_typer(operator_cmds.operator_app, name="operator")
app.command("login")(operator_cmds.login)
app.command("logout")(operator_cmds.logout)
app.command("whoami")(operator_cmds.whoami)
app.command("sell")(sales_cmds.sell)
app.add_typer(sales_cmds.order_app, name="order")
app.add_typer(sales_cmds.print_app, name="print")
app.add_typer(sales_cmds.ticket_app, name="ticket")
app.add_typer(pickup_cmds.orders_app, name="orders")
app.add_typer(pickup_cmds.keys_app, name="keys")
app.add_typer(pickup_cmds.pickup_app, name="pickup")
app.add_typer(pickup_cmds.scan_app, name="scan")
app.command("counter")(pickup_cmds.counter)
app.add_typer(night_cmds.pause_app, name="pause")
app.command("resume")(night_cmds.resume)
app.add_typer(night_cmds.incident_app, name="incident")
app.command("backup")(night_cmds.backup)
app.command("restore")(night_cmds.restore)
app.add_typer(report_cmds.report_app, name="report")
app.command("refund", context_settings=TOKEN_ARGUMENT)(money_cmds.refund)
app.command("exchange", context_settings=TOKEN_ARGUMENT)(money_cmds.exchange)
app.add_typer(money_cmds.shift_app, name="shift")
app.add_typer(money_cmds.drawer_app, name="drawer")
app.add_typer(money_cmds.audit_app, name="audit")
app.command("alerts")(report_cmds.alerts)
app.add_typer(sync_cmds.sync_app, name="sync")
central_cmds.central_app.add_typer(central_pause_cmds.central_pause_app, name="pause")
central_cmds.central_app.command("resume")(central_pause_cmds.resume)
app.add_typer(allocation_cmds.allocation_app, name="allocation")
central_cmds.central_app.command("allocate")(allocation_cmds.allocate)
central_cmds.central_app.command("allocations")(allocation_cmds.allocations)
central_cmds.central_app.command("recall")(allocation_cmds.recall)
central_cmds.central_app.command("write-off")(allocation_cmds.write_off)
central_cmds.central_app.add_typer(central_report_cmds.central_report_app, name="report")
central_cmds.central_app.command("alerts")(central_night_cmds.alerts)
central_cmds.central_app.command("seats")(central_night_cmds.seats)
app.add_typer(central_cmds.central_app, name="central")


def run() -> None:
    """Console-script entry point."""
    app()
