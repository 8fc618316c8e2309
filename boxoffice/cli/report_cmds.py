"""`boxoffice report ...`: sales, pickups and the end-of-day PDF; tables, --csv and --json."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, emit_json, table, terminal

report_app = sub_app("Reports: sales by day, event, hour, operator, tender and type; pickups; end-of-day PDF.")

_DAY = typer.Option(None, "--day", help="A venue-local date, e.g. 2026-11-30 (default: all time).")
_EVENT = typer.Option(None, "--event", help="Only this event.")


def _csv(header: list[str], rows: list[list]) -> None:
    w = csv.writer(sys.stdout)
    w.writerow(header)
    w.writerows(rows)


@report_app.command("sales")
def sales(by: str = typer.Option("type", "--by", help="type, event, day, hour, operator, tender, channel, section."),
          event: str = _EVENT, day: str = _DAY,
          csv_out: bool = typer.Option(False, "--csv", help="CSV for a spreadsheet."),
          json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Tickets sold (money taken, for --by tender) grouped one way, with totals. Needs a supervisor.

    Example: boxoffice report sales --by hour --day 2026-11-30 --csv > hours.csv
    """
    from boxoffice.services.reports import sales as do_sales

    with terminal() as ctx:
        rep = do_sales(ctx, by, event, day)
    rows = [[g["key"], g["count"], g["amount_text"]] for g in rep["groups"]]
    header = [by, "tickets" if by != "tender" else "payments", f"amount {rep['currency']}"]
    if json_out:
        emit_json(rep)
    elif csv_out:
        _csv(header, rows)
    else:
        typer.echo(table(rows + [["TOTAL", rep["total"]["count"], rep["total"]["amount_text"]]], header))


@report_app.command("pickups")
def pickups(event: str = _EVENT,
            csv_out: bool = typer.Option(False, "--csv", help="CSV for a spreadsheet."),
            json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Tickets of web and other orders picked up and still waiting, per event. Needs a supervisor.

    Example: boxoffice report pickups --event gala-1130
    """
    from boxoffice.services.reports import pickups as do_pickups

    with terminal() as ctx:
        rep = do_pickups(ctx, event)
    rows = [[g["event"], g["channel"], g["picked_up"], g["waiting"]] for g in rep["groups"]]
    header = ["event", "channel", "picked up", "waiting"]
    if json_out:
        emit_json(rep)
    elif csv_out:
        _csv(header, rows)
    else:
        typer.echo(table(rows, header))


@report_app.command("pdf")
def pdf(to: Path = typer.Option(..., "--to", help="The PDF file to write."), event: str = _EVENT, day: str = _DAY,
        json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """The end-of-day report as a PDF with charts (sales by hour, capacity used, tenders). Needs a supervisor.

    Example: boxoffice report pdf --day 2026-11-30 --to end-of-day.pdf
    """
    from boxoffice.printing.report_pdf import render_end_of_day
    from boxoffice.services.reports import end_of_day

    with terminal() as ctx:
        data = end_of_day(ctx, day, event)
    to.write_bytes(render_end_of_day(data))
    if json_out:
        emit_json({"file": str(to), "tickets": data["by_type"]["total"]["count"],
                   "sales": data["by_type"]["total"]["amount_text"]})
    else:
        typer.echo(f"End-of-day report written to {to}.")


def alerts(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Alerts in force now: sales rate off its usual, refunds high, refused scans, failed prints, stock running out.

    Thresholds are in the config ([alerts] table). Example: boxoffice alerts
    """
    from boxoffice.services.alerts import check

    with terminal() as ctx:
        items = check(ctx, ctx.config.alerts)
    if json_out:
        emit_json(items)
        return
    if not items:
        typer.secho("No alerts.", fg="green")
        return
    colours = {"critical": "red", "major": "yellow", "minor": "cyan"}
    for a in items:
        typer.secho(f"{a['severity'].upper():8} {a['message']}", fg=colours[a["severity"]],
                    bold=a["severity"] != "minor")
