"""`boxoffice report ...`: sales, refunds, pickups, check-ins and the end-of-day PDF; tables, --csv and --json."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, echo, emit_json, secho, table, terminal
from boxoffice.domain.shown import shown
from boxoffice.i18n import N_, _, ngettext

report_app = sub_app(_("Reports: sales and refunds grouped one way, pickups, door check-ins, the end-of-day PDF."))

_DAY = typer.Option(None, "--day", help=_("A venue-local date, e.g. 2026-11-30 (default: all time)."))
_EVENT = typer.Option(None, "--event", help=_("Only this event."))


_CSV = typer.Option(False, "--csv", help=_("CSV for a spreadsheet."))
_JSON = typer.Option(False, "--json", help=_(JSON_HELP))
_VENUE = typer.Option(False, "--venue", help=_("The whole venue as this terminal knows it from sync (other "
                                               "terminals' work, paid web orders), not only this terminal's own."))

# The first column of a report grouped --by something: its header as shown (CSV keeps the --by value itself).
_BY_LABELS = {"type": N_("type"), "event": N_("event"), "day": N_("day"), "hour": N_("hour"),
              "operator": N_("operator"), "tender": N_("tender"), "channel": N_("channel"), "section": N_("section"),
              "terminal": N_("terminal"), "band": N_("band"), "reason": N_("reason")}


def _columns(names: list[str], **values: str) -> list[tuple[str, str]]:
    """Column headers (marked with N_), each as a CSV writes it (English: scripts and spreadsheet formulas read
    columns by name) and as a table shows it (translated)."""
    return [(name.format(**values), _(name).format(**values)) for name in names]


def _by_column(by: str) -> tuple[str, str]:
    return by, _(_BY_LABELS[by]) if by in _BY_LABELS else by


def _csv(header: list[str], rows: list[list]) -> None:
    """The rows for a spreadsheet, each cell shown as on screen (control characters replaced: domain.shown)."""
    w = csv.writer(sys.stdout)
    w.writerow(header)
    w.writerows([[c if isinstance(c, (int, float)) else shown(c) for c in r] for r in rows])


def _show(header: list[tuple[str, str]], rows: list[list], total: list | None, rep: dict, csv_out: bool,
          json_out: bool, notes: list[str] | None = None) -> None:
    """One report three ways: JSON (everything), CSV (the rows, no total: a spreadsheet sums), or a table with its
    scope, what it counts and leaves out, in a sentence under the total (and any ``notes`` after it)."""
    if json_out:
        emit_json(rep)
    elif csv_out:
        _csv([csv_name for csv_name, _shown in header], rows)
    else:
        echo(table(rows + ([total] if total else []), [shown_name for _csv_name, shown_name in header]))
        echo(rep["scope"]["text"])
        for note in notes or []:
            echo(note)


@report_app.command("sales")
def sales(by: str = typer.Option("type", "--by", help=_("type, event, day, hour, operator, tender, channel, "
                                                        "section.")),
          event: str = _EVENT, day: str = _DAY, venue: bool = _VENUE,
          csv_out: bool = typer.Option(False, "--csv", help=_("CSV for a spreadsheet.")),
          json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Tickets this terminal sold (what paid for them, for --by tender) grouped one way, with totals.

    Every --by adds up to the same total. --venue adds what other terminals and the web shop sold, as synced here.
    Needs a supervisor. Example: boxoffice report sales --by hour --day 2026-11-30 --csv > hours.csv
    """
    from boxoffice.services.reports import sales as do_sales

    with terminal() as ctx:
        rep = do_sales(ctx, by, event, day, venue)
    show_sales(rep, csv_out, json_out)


def unpaid_note(unpaid: dict) -> list[str]:
    """The line that says which unpaid orders a report left out, if any."""
    if not unpaid["orders"]:
        return []
    n = unpaid["orders"]
    return [ngettext("{orders} unpaid web order ({tickets} tickets, {amount}) not counted: no sale until paid.",
                     "{orders} unpaid web orders ({tickets} tickets, {amount}) not counted: no sale until paid.",
                     n).format(orders=n, tickets=unpaid["tickets"], amount=unpaid["amount_text"])]


def show_sales(rep: dict, csv_out: bool, json_out: bool) -> None:
    """A sales report as a table, CSV or JSON (also for `boxoffice central report sales`)."""
    by = rep["by"]
    rows = [[g["key"], g["count"], g["amount_text"]] for g in rep["groups"]]
    header = [_by_column(by), (rep["unit"], _(rep["unit"])), *_columns([N_("amount {currency}")],
                                                                         currency=rep["currency"])]
    _show(header, rows, [_("TOTAL"), rep["total"]["count"], rep["total"]["amount_text"]], rep, csv_out, json_out,
          unpaid_note(rep["unpaid"]))


@report_app.command("pickups")
def pickups(event: str = _EVENT, venue: bool = _VENUE, csv_out: bool = _CSV,
            json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Tickets of web and other orders handed out at this desk, still waiting, and unpaid, per event.

    A ticket another desk had handed out first counts here too, and under conflicts. --venue counts every desk's
    handouts known from sync. Needs a supervisor. Example: boxoffice report pickups --event gala
    """
    from boxoffice.services.reports import pickups as do_pickups

    with terminal() as ctx:
        rep = do_pickups(ctx, event, venue)
    show_pickups(rep, csv_out, json_out)


def show_pickups(rep: dict, csv_out: bool, json_out: bool) -> None:
    """A pickups report; with a ``terminal`` per group (central, by terminal) that column is shown too, and "of
    which elsewhere" only where it can be other than 0 (a terminal's view of the venue)."""
    t = rep["total"]
    cols = [(N_("picked up"), "picked_up"), (N_("of which elsewhere"), "elsewhere"), (N_("conflicts"), "conflicts"),
            (N_("waiting"), "waiting"), (N_("unpaid"), "unpaid")]
    if rep["scope"]["level"] != "venue" or rep["scope"]["source"] == "central":
        cols.pop(1)
    head, fields = [c[0] for c in cols], [c[1] for c in cols]
    if rep["groups"] and "terminal" in rep["groups"][0]:
        rows = [[g["event"], g["channel"], g["terminal"] or "-", *(g[f] for f in fields)] for g in rep["groups"]]
        _show(_columns([N_("event"), N_("channel"), N_("picked up at"), *head]), rows,
              [_("TOTAL"), "", "", *(t[f] for f in fields)], rep, csv_out, json_out)
        return
    rows = [[g["event"], g["channel"], *(g[f] for f in fields)] for g in rep["groups"]]
    _show(_columns([N_("event"), N_("channel"), *head]), rows, [_("TOTAL"), "", *(t[f] for f in fields)], rep,
          csv_out, json_out)


@report_app.command("refunds")
def refunds(by: str = typer.Option("reason", "--by", help=_("band (the demand band that scaled the fee), day, "
                                                           "event, operator, reason or tender.")),
            event: str = _EVENT, day: str = _DAY,
            venue: bool = typer.Option(False, "--venue", help=_("Refused: other terminals' refunds are not synced "
                                                                "to a terminal (use `boxoffice central report "
                                                                "refunds`).")),
            csv_out: bool = _CSV, json_out: bool = _JSON) -> None:
    """Money paid back at this terminal grouped one way, with totals: refunds, tickets, fees kept, amount.

    Exchanges that paid a difference back count as reason 'exchange'. --by tender counts the refund payments.
    Needs a supervisor. Example: boxoffice report refunds --by operator --day 2026-11-30
    """
    from boxoffice.services.reports import refunds as do_refunds

    with terminal() as ctx:
        rep = do_refunds(ctx, by, event, day, venue)
    show_refunds(rep, csv_out, json_out)


def show_refunds(rep: dict, csv_out: bool, json_out: bool) -> None:
    """A refunds report as a table, CSV or JSON (also for `boxoffice central report refunds`)."""
    by, cur, t = rep["by"], rep["currency"], rep["total"]
    if by == "tender":
        header = [_by_column(by), *_columns([N_("payments"), N_("paid back {currency}")], currency=cur)]
        rows = [[g["key"], g["count"], g["amount_text"]] for g in rep["groups"]]
        total = [_("TOTAL"), t["count"], t["amount_text"]]
    else:
        header = [_by_column(by), *_columns([N_("refunds"), N_("tickets"), N_("overrides"), N_("fees {currency}"),
                                             N_("paid back {currency}")], currency=cur)]
        rows = [[g["key"], g["count"], g["tickets"], g["overrides"], g["fee_text"], g["amount_text"]]
                for g in rep["groups"]]
        total = [_("TOTAL"), t["count"], t["tickets"], t["overrides"], t["fee_text"], t["amount_text"]]
    _show(header, rows, total, rep, csv_out, json_out)


@report_app.command("checkins")
def checkins(event: str = _EVENT,
             by: str = typer.Option("event", "--by", help=_("event (totals), hour, or reason (refusals).")),
             venue: bool = typer.Option(False, "--venue", help=_("Admissions and exits at every door known from "
                                                                 "sync too, not only this door's.")),
             csv_out: bool = _CSV, json_out: bool = _JSON) -> None:
    """Scans at this door per event: admitted, exits, in now (entries less exits), refused by reason, by hour.

    Needs a supervisor. --json always gives everything. Example: boxoffice report checkins --by hour --csv
    """
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.reports import CHECKINS_BY
    from boxoffice.services.reports import checkins as do_checkins

    if by not in CHECKINS_BY:
        raise BoxOfficeError("bad_input", _("--by {by}: use one of {choices}").format(
            by=repr(by), choices=", ".join(CHECKINS_BY)))
    with terminal() as ctx:
        rep = do_checkins(ctx, event, venue)
    show_checkins(rep, by, csv_out, json_out)


def show_checkins(rep: dict, by: str, csv_out: bool, json_out: bool) -> None:
    """A check-ins report one way: per event, per hour, per refusal reason, or (central) per terminal. A
    ``withdrawn`` column (admissions the admin withdrew from a stolen terminal) is shown when there are any."""
    t = rep["total"]
    withdrawn = [N_("withdrawn")] if t.get("withdrawn") else []
    if by == "hour":
        header = _columns([N_("event"), N_("hour"), N_("admitted"), N_("exits"), N_("refused"), *withdrawn])
        rows = [[g["event"], h["hour"], h["admitted"], h["exits"], h["refused"]] + ([h["withdrawn"]] if withdrawn
                                                                                   else [])
                for g in rep["events"] for h in g["by_hour"]]
        total = [_("TOTAL"), "", t["admitted"], t["exits"], t["refused"]] + ([t["withdrawn"]] if withdrawn else [])
    elif by == "terminal":
        header = _columns([N_("event"), N_("terminal"), N_("admitted"), N_("exits"), N_("refused"), *withdrawn])
        rows = [[g["event"], x["terminal"], x["admitted"], x["exits"], x["refused"]]
                + ([x["withdrawn"]] if withdrawn else [])
                for g in rep["events"] for x in g.get("by_terminal", [])]
        total = [_("TOTAL"), "", t["admitted"], t["exits"], t["refused"]] + ([t["withdrawn"]] if withdrawn else [])
    elif by == "reason":
        header = _columns([N_("event"), N_("refused because"), N_("scans")])
        rows = [[g["event"], code, n] for g in rep["events"] for code, n in g["refused_by"].items()]
        total = [_("TOTAL"), "", t["refused"]]
    else:
        header = _columns([N_("event"), N_("admitted"), N_("exits"), N_("in now"), N_("refused"), *withdrawn,
                           N_("tickets")])
        rows = [[g["event"], g["admitted"], g["exits"], g["in_now"], g["refused"]]
                + ([g["withdrawn"]] if withdrawn else []) + [g["tickets"]] for g in rep["events"]]
        total = [_("TOTAL"), t["admitted"], t["exits"], t["in_now"], t["refused"]] \
            + ([t["withdrawn"]] if withdrawn else []) + [""]
    _show(header, rows, total, rep, csv_out, json_out)


@report_app.command("pdf")
def pdf(to: Path = typer.Option(..., "--to", help=_("The PDF file to write.")), event: str = _EVENT, day: str = _DAY,
        venue: bool = typer.Option(False, "--venue", help=_("Every sale known here from sync, not only this "
                                                            "terminal's (then without refunds: see the central "
                                                            "PDF).")),
        json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """This terminal's end-of-day report as a PDF with charts (sales by hour, capacity used, tenders) and refunds.

    Needs a supervisor. Example: boxoffice report pdf --day 2026-11-30 --to end-of-day.pdf
    """
    from boxoffice.services.reports import end_of_day

    with terminal() as ctx:
        data = end_of_day(ctx, day, event, venue)
    write_end_of_day(to, data, json_out, N_("End-of-day report written to {file}."))


def write_end_of_day(to: Path, data: dict, json_out: bool, what: str) -> None:
    """Render an end-of-day report (a terminal's or the whole venue's) to ``to`` and say so (``what``: the
    sentence that says so, marked with N_), with its totals and what they count."""
    from boxoffice.filemodes import write_private
    from boxoffice.printing.report_pdf import render_end_of_day

    write_private(to, render_end_of_day(data))  # the night's takings, by operator: the owner's alone
    refunds = data["refunds_by_reason"]
    if json_out:
        emit_json({"file": str(to), "tickets": data["by_type"]["total"]["tickets"],
                   "sales": data["by_type"]["total"]["amount_text"],
                   "refunded": refunds["total"]["amount_text"] if refunds is not None else None,
                   "unpaid": data["by_type"]["unpaid"], "scope": data["scope"],
                   "cash_outside_shift": data.get("cash_outside_shift")})
    else:
        echo(_(what).format(file=to))
        echo(data["scope"]["text"])
        loose = data.get("cash_outside_shift")
        for line in (loose or {}).get("lines", []):
            secho(ngettext("Cash booked to no shift: {count} payment or refund, {taken} {currency} taken, {given} "
                           "{currency} given back (orders {orders}); no drawer count expected it",
                           "Cash booked to no shift: {count} payments or refunds, {taken} {currency} taken, {given} "
                           "{currency} given back (orders {orders}); no drawer count expected it",
                           line["count"]).format(count=line["count"], taken=line["taken_text"],
                                                 given=line["given_text"], currency=line["currency"],
                                                 orders=", ".join(loose["orders"])), fg="yellow", bold=True)


def alerts(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Alerts in force now: sales rate off its usual, refunds high, refused scans, failed prints, stock running out,
    complaints coming fast.

    Thresholds are in the config ([alerts] table). Example: boxoffice alerts
    """
    from boxoffice.services.alerts import check_and_journal

    with terminal() as ctx:
        items = check_and_journal(ctx)
    show_alerts(items, json_out)


_SEVERITY_COLOURS = {"critical": "red", "major": "yellow", "minor": "cyan"}
_SEVERITY_LABELS = {"critical": N_("CRITICAL"), "major": N_("MAJOR"), "minor": N_("MINOR")}


def show_alerts(items: list[dict], json_out: bool, where: Callable[[dict], str] | None = None) -> None:
    """Alerts one a line, coloured by severity (a terminal's, or the central service's with ``where`` naming the
    terminals each touches), or as JSON."""
    if json_out:
        emit_json(items)
        return
    if not items:
        secho(_("No alerts."), fg="green")
        return
    for a in items:
        place = f"[{where(a)}] " if where else ""
        label = _(_SEVERITY_LABELS.get(a["severity"], a["severity"].upper()))
        secho(f"{label:8} {place}{a['message']}", fg=_SEVERITY_COLOURS[a["severity"]],
                    bold=a["severity"] != "minor")
