"""`boxoffice catalog ...` and `boxoffice event ...`."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    display_width,
    echo,
    echo_styled,
    emit_json,
    secho,
    styled,
    table,
    terminal,
)
from boxoffice.i18n import N_, _

catalog_app = sub_app(N_("Load the venue's events, sections, seats, prices and refund policies."))
event_app = sub_app(N_("Look at events: list them, show one, draw its seat map."))


@catalog_app.command("import")
def import_(
    file: Path = typer.Argument(None, help=_("A catalogue JSON document (schemas/catalog.schema.json).")),
    sample: bool = typer.Option(False, "--sample", help=_("Import the sample venue that ships with boxoffice "
                                                         "(its events a week and two weeks from today) instead of a "
                                                         "file.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Import a catalogue. A document with any error is refused whole, each error located; nothing is imported.

    Needs an admin. Start from the sample (`boxoffice catalog sample > venue.json`, edit it) or from the catalogue
    in force (`boxoffice catalog export`). Importing the same event again updates its names, times, prices and
    policy; its sections and seats can change only while it has no sales.
    Examples:
      boxoffice catalog import --sample
      boxoffice catalog sample --output venue.json --force
      boxoffice catalog import venue.json
    """
    from boxoffice.errors import BoxOfficeError

    if (file is None) == (not sample):
        raise BoxOfficeError("bad_input", _("import a catalogue FILE, or the sample venue with --sample (not both)"))
    with terminal() as ctx:
        if sample:
            from boxoffice.services.catalog import import_catalog
            from boxoffice.services.catalog_sample import sample_catalog

            summary = import_catalog(ctx, sample_catalog(ctx.now().date()))
        else:
            from boxoffice.services.catalog import import_catalog_file

            summary = import_catalog_file(ctx, file)
    if json_out:
        emit_json(summary)
        return
    echo(_("Imported {venue}: {created} new, {updated} updated event(s).").format(
        venue=summary["venue"], created=summary["created"], updated=summary["updated"]))
    echo(table([(e["id"], e["name"], e["sections"], e["seats"], e["capacity"]) for e in summary["events"]],
               [_("event"), _("name"), _("sections"), _("seats"), _("capacity")]))


def _write_document(text: str, output: Path | None, force: bool, what: str) -> None:
    """The document on stdout, or into ``output``: a file that exists is replaced only with --force."""
    if output is None:
        echo(text, nl=False)
        return
    from boxoffice.errors import BoxOfficeError

    try:
        with open(output, "w" if force else "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise BoxOfficeError("conflict", _("{path} exists: nothing was written (--force replaces it)").format(
            path=output)) from None
    except OSError as exc:
        raise BoxOfficeError("bad_input", _("cannot write {path}: {reason}").format(path=output,
                                                                                   reason=exc.strerror)) from None
    secho(_("Wrote {what} to {path}.").format(what=what, path=output), fg="green", err=True)




@catalog_app.command("export")
def export(output: Path = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help=_("Write to this file instead of stdout.")),
           force: bool = typer.Option(False, "--force", help=_("Replace the --output file if it exists."))) -> None:
    """Write the catalogue in force as the document `catalog import` takes: edit it and import it back, or take it
    to another terminal.

    The venue, every event with its sections, rows, aisles, seat flags, ticket types, prices and refund policy,
    and the venue's policy. Seats held now are written as held. Needs no login.
    Examples:
      boxoffice catalog export
      boxoffice catalog export --output venue.json --force
    """
    from boxoffice.cli.common import json_text
    from boxoffice.services.catalog_export import export_catalog

    with terminal() as ctx:
        doc = export_catalog(ctx)
    _write_document(json_text(doc) + "\n", output, force,
                    _("the catalogue ({count} event(s))").format(count=len(doc["events"])))


@catalog_app.command("sample")
def sample(output: Path = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help=_("Write to this file instead of stdout.")),
           force: bool = typer.Option(False, "--force", help=_("Replace the --output file if it exists."))) -> None:
    """Write the sample venue that ships with boxoffice, to edit into your own catalogue.

    A small theatre: a seated hall (aisles, wheelchair spaces, restricted-view and held seats), a standing floor,
    two events (moved to a week and two weeks from today), four ticket types and a refund policy. Needs no
    terminal.
    Examples:
      boxoffice catalog sample
      boxoffice catalog sample --output venue.json --force
    """
    from boxoffice.cli.common import clock, json_text
    from boxoffice.services.catalog_sample import sample_catalog

    doc = sample_catalog(clock()().date())
    _write_document(json_text(doc) + "\n", output, force, _("the sample venue"))


@event_app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """List events with start time (venue time), capacity and tickets sold.

    Example: boxoffice event list --json
    """
    from boxoffice.services.events import list_events

    with terminal() as ctx:
        events = list_events(ctx)
    if json_out:
        emit_json(events)
        return
    if not events:
        echo(_("No events yet: `boxoffice catalog import FILE` loads them."))
        return
    echo(table([(e["id"], e["name"], e["starts_local"], e["sold"], e["capacity"]) for e in events],
               [_("event"), _("name"), _("starts"), _("sold"), _("capacity")]))


@event_app.command("show")
def show(
    event: str = typer.Argument(..., help=_("Event id, as in `boxoffice event list`.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Show an event: times, sections with what is left, ticket types with prices, refund policy.

    Example: boxoffice event show gala
    """
    from boxoffice.services.events import show_event

    with terminal() as ctx:
        ev = show_event(ctx, event)
    if json_out:
        emit_json(ev)
        return
    echo(_("{name} ({id})\n  starts {starts}").format(name=ev["name"], id=ev["id"], starts=ev["starts_local"]) +
         (_(", doors {doors}").format(doors=ev["doors_local"]) if ev["doors_local"] else "") +
         _("\n  tax {tax}%, at most {limit} tickets an order").format(tax=f"{ev['tax_rate_bp'] / 100:g}",
                                                                       limit=ev["per_order_limit"]) +
         (_(", {limit} per customer").format(limit=ev["per_customer_limit"]) if ev.get("per_customer_limit")
          else ""))
    echo(table([(s["id"], s["name"], s["kind"], s["capacity"], s["sold_count"], s["held"], s["available"])
                for s in ev["sections"]],
               [_("section"), _("name"), _("kind"), _("capacity"), _("sold"), _("held"), _("available here")]))
    sec_ids = [s["id"] for s in ev["sections"]]
    echo(table([[t["id"], t["name"]] + [t["prices"].get(s, "-") for s in sec_ids] for t in ev["ticket_types"]],
               [_("type"), _("name"), *sec_ids]))
    if ev["refund_policy"]:
        echo(_("Refunds: {tiers}; after that none.").format(tiers="; ".join(
            _("until {hours} h before: fee {fee}").format(hours=t["until_hours_before"], fee=t["fee"])
            for t in ev["refund_policy"])))
        if ev["demand_bands"]:
            echo(_("  Demand bands (share of the tier's fee kept): {bands}.").format(bands="; ".join(
                _("{count}+ sold: {scale}").format(count=b["sold_at_least"], scale=b["fee_scale"])
                for b in ev["demand_bands"])))
    else:
        echo(_("Refunds: none (no refund policy)."))


@event_app.command("seats")
def seats(
    event: str = typer.Argument(..., help=_("Event id.")),
    section: str = typer.Option(None, "--section", "-s", help=_("Only this section.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Draw the seat map: row names at both ends, seat numbers above (read downwards: tens over units), aisles as
    gaps, each seat one mark, and a legend saying what each mark means.

    Marks: o free to sell here, + held in a basket, x sold here, X sold by another terminal, W sold on the web,
    - allocated elsewhere (not sellable here), h house seat, @ wheelchair place, & companion seat, ! restricted view.
    `boxoffice central seats` shows which terminal holds each place. Example: boxoffice event seats gala
    --section stalls
    """
    from boxoffice.domain.seat_plan import MARKS, layout, legend_lines, mark_of
    from boxoffice.services.events import seat_map

    with terminal() as ctx:
        sections = seat_map(ctx, event, section)
    if json_out:
        emit_json(sections)
        return
    governed = any(sec["allocation"] == "central" for sec in sections)
    for sec in sections:
        here = _(", {count} in this terminal's allocation").format(count=sec["allocated_here"]) if governed else ""
        if sec["kind"] != "reserved":
            secho(_("{name} ({id}): {available} available here, {sold} sold, capacity {capacity}{here}").format(
                name=sec["name"], id=sec["id"], available=sec["available"], sold=sec["sold"],
                capacity=sec["capacity"], here=here), bold=True)
            continue
        secho(_("{name} ({id}): {available} available here, {sold} sold, {held} held in baskets, {house} house "
                "seats, capacity {capacity}{here}").format(
            name=sec["name"], id=sec["id"], available=sec["available"], sold=sec["sold"], held=sec["held"],
            house=sec["house"], capacity=sec["capacity"], here=here), bold=True)
        plan = layout(sec["rows"])
        stage = _("STAGE")
        echo(" " * plan.margin + stage.center(plan.width - display_width(stage) + len(stage)).rstrip())
        for line in plan.lines:
            if not line.seats:
                echo(plan.row_text(line))
                continue
            cells = [" "] * plan.width
            for col, seat in line.seats:
                symbol, _meaning, colour = MARKS[mark_of(seat)]
                cells[col] = styled(symbol, fg=colour.split()[-1], bold=colour.startswith("bold"))
            echo_styled([styled(f"{line.label:>{plan.label_width}} "), *cells, styled(f" {line.label}")])
    if any(sec["kind"] == "reserved" for sec in sections):
        for text in legend_lines():
            echo(text)
