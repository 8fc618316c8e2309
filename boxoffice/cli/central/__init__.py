"""`boxoffice central ...`: run the central service and administer its database directly.

One module per family of commands; this table says where each command lives, so `boxoffice central X` imports
only X's module.
"""

from __future__ import annotations

from boxoffice.cli.lazy import Entry, lazy_app
from boxoffice.i18n import N_, _

_HERE = "boxoffice.cli.central."

COMMANDS = {
    "serve": Entry(_HERE + "admin", "serve", N_("Serve the central API (FastAPI on uvicorn) until Ctrl-C.")),
    "init": Entry(_HERE + "admin", "init", N_("Create the central database, its signing key and an admin token "
                                           "(printed this once).")),
    "migrate": Entry(_HERE + "admin", "migrate", N_("Upgrade the central database's schema to this release's, keeping "
                                                 "every row.")),
    "enroll-code": Entry(_HERE + "terminals", "enroll_code", N_("Make a one-time enrollment code for a terminal (type "
                                                             "it there: `boxoffice sync enroll URL CODE`).")),
    "terminals": Entry(_HERE + "terminals", "terminals", N_("List enrolled terminals: tag, roles, top-up cap, key, "
                                                         "entries pushed, last heard from, revoked or not.")),
    "revoke": Entry(_HERE + "terminals", "revoke", N_("Revoke a terminal: its token stops working at once and every "
                                                   "terminal is told.")),
    "withdraw-checkins": Entry(_HERE + "terminals", "withdraw_checkins", N_("Let the tickets a revoked terminal "
                                                                            "admitted out again on every door, so "
                                                                            "their real holders get in.")),
    "revoke-ticket": Entry(_HERE + "admin", "revoke_ticket", N_("Put one ticket on every terminal's revocation list "
                                                             "(the door refuses it after their next sync).")),
    "release-held": Entry(_HERE + "admin", "release_held", N_("Apply a held foreign refund whole, once you have "
                                                            "checked it was real: every ticket it names is refunded "
                                                            "and revoked on every terminal at their next sync.")),
    "conflicts": Entry(_HERE + "admin", "conflicts", N_("List conflicts: the same ticket picked up, refunded or "
                                                     "checked in on two terminals, a seat sold twice.")),
    "status": Entry(_HERE + "admin", "status", N_("Counts: terminals, journal entries, orders, conflicts, and the "
                                               "feed's last position.")),
    "resume": Entry(_HERE + "pauses", "resume", N_("Lift a central pause, by id or by the scope it was set with; "
                                                "terminals resume at their next sync.")),
    "allocate": Entry(_HERE + "allocation", "allocate", N_("Grant a terminal places to sell: a count of standing "
                                                        "places or named seats, only from what is free.")),
    "allocations": Entry(_HERE + "allocation", "allocations", N_("Per section: capacity, sold on the web, allocated "
                                                              "to each terminal, held by the venue, free.")),
    "recall": Entry(_HERE + "allocation", "recall", N_("Pull a terminal's unsold places back: at its next sync it "
                                                    "gives them up and stops selling there.")),
    "write-off": Entry(_HERE + "allocation", "write_off", N_("Free a dead terminal's places of an event now, except "
                                                          "what it is known to have sold; flag the risk.")),
    "alerts": Entry(_HERE + "night", "alerts", N_("Alerts across every terminal: terminals out of touch, allocations "
                                               "running out, sales and refund rates, refused scans at the doors, "
                                               "and every alert raised on a terminal (as of its last sync).")),
    "complaints": Entry(_HERE + "complaints", "complaints", N_("Every terminal's complaints as synced, oldest first, "
                                                            "with the terminal each was written down at.")),
    "seats": Entry(_HERE + "night", "seats", N_("Where every place is: free, held, sold on the web, allocated to which "
                                             "terminal, sold by which terminal.")),
    "catalog": Entry(_HERE + "catalog", "central_catalog_app", N_("The catalogue every terminal gets at its next "
                                                               "sync.")),
    "orders": Entry(_HERE + "catalog", "central_orders_app", N_("Web orders for the pickup desks.")),
    "admin-token": Entry(_HERE + "admin_tokens", "central_admin_token_app", N_("Tokens of the HTTP admin endpoints "
                                                                            "(/v1/admin/*): list them, make one, "
                                                                            "revoke one.")),
    "terminal": Entry(_HERE + "terminals", "central_terminal_app", N_("Settings of enrolled terminals: how many unsold "
                                                                   "places a top-up may leave one holding.")),
    "pause": Entry(_HERE + "pauses", "central_pause_app", N_("Stop sales, pickups or scans on every terminal (or an "
                                                          "event, a channel, one terminal) at its next sync.")),
    "privacy": Entry(_HERE + "privacy", "central_privacy_app", N_("Customers' personal data: purge it after a past "
                                                               "event.")),
    "pretix": Entry(_HERE + "pretix", "central_pretix_app", N_("The bridge to the venue's pretix: run one round "
                                                            "now, or see how the last ended.")),
    "report": Entry(_HERE + "reports", "central_report_app", N_("Reports across every terminal and the web shop, from "
                                                             "what the terminals synced: sales, refunds, pickups, "
                                                             "door check-ins, the end-of-day PDF.")),
}

central_app = lazy_app(
    _("The central service many terminals share: serve it, publish the catalogue, import web orders, enroll and "
      "revoke terminals, see conflicts. Each command takes --db (postgresql://... or a SQLite file path), else "
      "BOXOFFICE_CENTRAL_DB, else central.db in the user data dir."),
    COMMANDS,
)
