"""`boxoffice central report ...`: the terminal's reports across every terminal and the web shop, on the central
database; the same tables, --csv and --json, plus a grouping by terminal."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import JSON_HELP, clock
from boxoffice.cli.reports import show_checkins, show_pickups, show_refunds, show_sales, write_end_of_day
from boxoffice.i18n import N_, _

central_report_app = sub_app(_("Reports across every terminal and the web shop, from what the terminals synced: "
                               "sales, refunds, pickups, door check-ins, the end-of-day PDF."))

_DAY = typer.Option(None, "--day", help=_("A venue-local date, e.g. 2026-11-30 (default: all time)."))
_EVENT = typer.Option(None, "--event", help=_("Only this event."))
_CSV = typer.Option(False, "--csv", help=_("CSV for a spreadsheet."))
_JSON = typer.Option(False, "--json", help=_(JSON_HELP))
_DB = typer.Option(None, "--db", help=_(DB_HELP))


@central_report_app.command("sales")
def sales(by: str = typer.Option("type", "--by", help=_("type, event, day, hour, operator, tender, channel, "
                                                        "section or terminal.")),
          event: str = _EVENT, day: str = _DAY, db: str = _DB, csv_out: bool = _CSV, json_out: bool = _JSON) -> None:
    """Tickets sold on every terminal and the web shop (what paid for them, for --by tender) grouped one way.

    The sum of the terminals' own `report sales`, plus the web shop's paid orders (unpaid ones listed apart), as
    synced; every --by adds up to the same total.
    Example: boxoffice central report sales --by terminal --day 2026-11-30
    """
    from boxoffice.central.services.report_admin import sales as do_sales

    show_sales(do_sales(central_db(db), by, event, day), csv_out, json_out)


@central_report_app.command("refunds")
def refunds(by: str = typer.Option("reason", "--by", help=_("band (the demand band that scaled the fee), day, "
                                                           "event, operator, reason, tender or terminal.")),
            event: str = _EVENT, day: str = _DAY, db: str = _DB, csv_out: bool = _CSV,
            json_out: bool = _JSON) -> None:
    """Money paid back on every terminal grouped one way, with totals: refunds, tickets, fees kept, amount.

    Exchanges that paid a difference back count as reason 'exchange'. --by tender counts the refund payments.
    Example: boxoffice central report refunds --by terminal --csv > refunds.csv
    """
    from boxoffice.central.services.report_admin import refunds as do_refunds

    show_refunds(do_refunds(central_db(db), by, event, day), csv_out, json_out)


@central_report_app.command("pickups")
def pickups(event: str = _EVENT, by: str = typer.Option("event", "--by", help=_("event, or terminal (which desk "
                                                                               "handed them out).")),
            db: str = _DB, csv_out: bool = _CSV, json_out: bool = _JSON) -> None:
    """Tickets of web orders handed out at every desk, still waiting and unpaid, per event (and per terminal).

    Each desk's handouts count, a ticket two desks handed out at each (and under conflicts at the later), so the
    picked-up total is the sum of the terminals' own `report pickups`.
    Example: boxoffice central report pickups --by terminal
    """
    from boxoffice.central.services.report_admin import pickups as do_pickups

    show_pickups(do_pickups(central_db(db), event, by), csv_out, json_out)


@central_report_app.command("checkins")
def checkins(event: str = _EVENT,
             by: str = typer.Option("event", "--by", help=_("event (totals), hour, reason (refusals) or terminal.")),
             db: str = _DB, csv_out: bool = _CSV, json_out: bool = _JSON) -> None:
    """Door check-ins at every door per event: admitted, exits, in now, refused by reason, by hour, by terminal.

    --json always gives everything. Example: boxoffice central report checkins --by terminal
    """
    from boxoffice.central.services.report_admin import CHECKINS_BY
    from boxoffice.central.services.report_admin import checkins as do_checkins
    from boxoffice.domain.reports import check_by

    check_by(by, CHECKINS_BY)
    show_checkins(do_checkins(central_db(db), event), by, csv_out, json_out)


@central_report_app.command("pdf")
def pdf(to: Path = typer.Option(..., "--to", help=_("The PDF file to write.")), event: str = _EVENT, day: str = _DAY,
        db: str = _DB, json_out: bool = _JSON) -> None:
    """The end-of-day report for the whole venue as a PDF with charts (sales by hour, capacity used, tenders).

    Example: boxoffice central report pdf --day 2026-11-30 --to venue-end-of-day.pdf
    """
    from boxoffice.central.services.report_admin import end_of_day

    write_end_of_day(to, end_of_day(central_db(db), day, event, clock()), json_out,
                     N_("End-of-day report for every terminal written to {file}."))
