"""The `boxoffice` command: the table of its commands, its own options, and the entry point.

Each command is imported only when it runs (see cli/lazy.py); the table says where each one lives and what
`boxoffice --help` lists for it. Its texts are English, marked with ``N_``: they are translated where they are
shown (cli/lazy.py), in the language in force then.
"""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import make_app
from boxoffice.cli.common import ROOT_OPTIONS, TOKEN_ARGUMENT
from boxoffice.cli.lazy import Entry
from boxoffice.i18n import N_, _

_CLI = "boxoffice.cli."

COMMANDS = {
    "demo": Entry(_CLI + "setup", "demo", N_("Set up a demo terminal (venue, two events, five operators), sell two "
                                             "seats and print the tickets to PDF.")),
    "init": Entry(_CLI + "setup", "init", N_("Make this machine a terminal: id, order-code tag, Ed25519 signing key "
                                             "(mode 0600) and database.")),
    "login": Entry(_CLI + "operators", "login", N_("Log in at this terminal (PIN asked).")),
    "logout": Entry(_CLI + "operators", "logout", N_("Log the current operator out.")),
    "whoami": Entry(_CLI + "operators", "whoami", N_("Say who is logged in at this terminal.")),
    "sell": Entry(_CLI + "sales", "sell", N_("Sell tickets at the window: places, payment, signed QR tickets and a "
                                             "receipt, printed at once.")),
    "counter": Entry(_CLI + "counter.screen", "counter", N_("The full-screen desk to leave running: sale with seat "
                                                            "map and basket, will-call, door, operators and the "
                                                            "drawer (--plain: the line prompt).")),
    "resume": Entry(_CLI + "night", "resume", N_("Lift a pause, by id or by the same scope it was set with.")),
    "backup": Entry(_CLI + "backup", "backup", N_("Copy the live database while sales go on, verify the copy "
                                                  "(integrity and audit chain), keep the last N.")),
    "restore": Entry(_CLI + "backup", "restore", N_("Replace this terminal's database with a backup, after checking "
                                                    "it; a copy that fails is refused.")),
    "refund": Entry(_CLI + "money", "refund", N_("Refund an order or some of its tickets, as the event's refund policy "
                                                 "allows now."), TOKEN_ARGUMENT),
    "exchange": Entry(_CLI + "money", "exchange", N_("Exchange tickets for others (another event, section or seats) "
                                                     "in one step."), TOKEN_ARGUMENT),
    "alerts": Entry(_CLI + "reports", "alerts", N_("Alerts in force now: sales rate off its usual, refunds high, "
                                                   "refused scans, failed prints, stock running out, complaints "
                                                   "coming fast.")),
    "config": Entry(_CLI + "setup", "config_app", N_("Show the configuration in force and where each value came "
                                                     "from.")),
    "catalog": Entry(_CLI + "catalog", "catalog_app", N_("Load the venue's events, sections, seats, prices and refund "
                                                         "policies.")),
    "event": Entry(_CLI + "catalog", "event_app", N_("Look at events: list them, show one, draw its seat map.")),
    "operator": Entry(_CLI + "operators", "operator_app", N_("Manage the people who use this terminal and their "
                                                             "roles.")),
    "order": Entry(_CLI + "orders", "order_app", N_("Look up an order and reprint its tickets.")),
    "print": Entry(_CLI + "printer", "print_app", N_("The print queue: retry what did not print, print a test page, "
                                                     "list jobs.")),
    "ticket": Entry(_CLI + "tickets", "ticket_app", N_("Check a ticket's QR token offline; change a real-name "
                                                     "ticket's holder.")),
    "orders": Entry(_CLI + "web_orders", "orders_app", N_("Orders from other channels (the web shop): import them for "
                                                          "the pickup desk and the door.")),
    "keys": Entry(_CLI + "web_orders", "keys_app", N_("Public keys whose tickets this terminal accepts (the central "
                                                      "service's, other terminals').")),
    "pickup": Entry(_CLI + "pickup", "pickup_app", N_("Will-call: find an order, take payment for an unpaid "
                                                      "one, and hand it out exactly once.")),
    "scan": Entry(_CLI + "door", "scan_app", N_("Door check-in, offline: scan tickets from a barcode scanner, stdin "
                                                "or a photo.")),
    "pause": Entry(_CLI + "night", "pause_app", N_("Stop sales, pickups or scans at once (everywhere, one event, a "
                                                   "channel or a terminal).")),
    "incident": Entry(_CLI + "incidents", "incident_app", N_("The incident log: open, add notes, close, and the "
                                                             "timeline for the review.")),
    "complaint": Entry(_CLI + "complaints", "complaint_app", N_("Customers' complaints: write one down at the counter "
                                                                "or the door (anyone logged in); list and close them "
                                                                "(supervisors).")),
    "report": Entry(_CLI + "reports", "report_app", N_("Reports: sales and refunds grouped one way, pickups, door "
                                                       "check-ins, the end-of-day PDF.")),
    "shift": Entry(_CLI + "shifts", "shift_app", N_("Shifts and the cash drawer: open with a float, cash in/out, X "
                                                    "report, close with a count (Z).")),
    "drawer": Entry(_CLI + "shifts", "drawer_app", N_("The cash drawer.")),
    "audit": Entry(_CLI + "audit", "audit_app", N_("The tamper-evident journal: verify its hash chain, show who did "
                                                   "what.")),
    "privacy": Entry(_CLI + "privacy", "privacy_app", N_("Customers' personal data: purge it after a past event, "
                                                         "export one customer's on request.")),
    "sync": Entry(_CLI + "sync", "sync_app", N_("Share this terminal's journal with the central service and learn "
                                                "what others did.")),
    "allocation": Entry(_CLI + "allocation", "allocation_app", N_("What this terminal may sell when the central "
                                                                  "service owns the event: what it holds per section, "
                                                                  "how much of that is sold, and giving unsold places "
                                                                  "back.")),
    "warm": Entry(_CLI + "warm.command", "warm_app", N_("Keep the program loaded so that `sell`, `pickup` and the "
                                                        "other short commands start at once.")),
    "central": Entry(_CLI + "central", "central_app", N_("The central service many terminals share: serve it, "
                                                           "publish the catalogue, import web orders, enroll and "
                                                           "revoke terminals, see conflicts.")),
}

app = make_app(
    N_("Box office for the night: walk-up sales, will-call pickup, refunds, QR tickets on receipt printers or PDF.\n\n"
    "Works with no network; syncs with a central service when there is one. Start with `boxoffice demo`, or "
    "`boxoffice init` for a real counter. Exit statuses: 0 ok, 2 bad input, 3 not found, 4 conflicts with the "
    "current state (sold out, already picked up...), 5 not permitted, 6 ticket refused, 7 printer offline (sale "
    "kept), 8 central service, 9 database, 10 sales paused or not allocated here."),
    COMMANDS,
)


@app.callback()
def root(
    db: Path = typer.Option(None, "--db", metavar="FILE", envvar=None,
                            help=_("Terminal database (else BOXOFFICE_DB, the config file, the user data dir).")),
    config: Path = typer.Option(None, "--config", metavar="FILE",
                                help=_("Config file (else BOXOFFICE_CONFIG, ./boxoffice.toml, the user config dir).")),
) -> None:
    ROOT_OPTIONS.clear()
    ROOT_OPTIONS.update(db=str(db) if db else None, config=str(config) if config else None)


def run() -> None:
    """Console-script entry point.

    The process ends with the command: what is left to free then is freed by the operating system, so the
    interpreter's shutdown is spared its cyclic garbage collections (``gc.freeze`` at exit: the collector then skips
    every object alive, about 45 M instructions of a sale's 700 M). It is registered before the command runs, so
    the command's own exit handlers run before it (those registered at import, such as logging's flush, after it;
    none needs the collector). Objects freed by their reference count, such as a database connection or a file a
    module still holds, are closed at shutdown as before; only cyclic garbage is left to the operating system."""
    import atexit
    import gc

    atexit.register(gc.freeze)
    app()
