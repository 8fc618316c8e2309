"""`boxoffice catalog ...` and `boxoffice event ...`."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, echo, echo_styled, emit_json, secho, styled, table, terminal
from boxoffice.i18n import N_

catalog_app = sub_app(N_("Load the venue's events, sections, seats, prices and refund policies."))
event_app = sub_app(N_("Look at events: list them, show one, draw its seat map."))


@catalog_app.command("import")
def import_(
    file: Path = typer.Argument(None, help="A catalogue JSON document (schemas/catalog.schema.json)."),
    sample: bool = typer.Option(False, "--sample", help="Import the sample venue that ships with boxoffice (its "
                                                       "events a week and two weeks from today) instead of a file."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
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
        raise BoxOfficeError("bad_input", "import a catalogue FILE, or the sample venue with --sample (not both)")
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
    echo(f"Imported {summary['venue']}: {summary['created']} new, {summary['updated']} updated event(s).")
    echo(table([(e["id"], e["name"], e["sections"], e["seats"], e["capacity"]) for e in summary["events"]],
                     ["event", "name", "sections", "seats", "capacity"]))


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
        raise BoxOfficeError("conflict", f"{output} exists: nothing was written (--force replaces it)") from None
    except OSError as exc:
        raise BoxOfficeError("bad_input", f"cannot write {output}: {exc.strerror}") from None
    secho(f"Wrote {what} to {output}.", fg="green", err=True)


_OUTPUT = typer.Option(None, "--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
_FORCE = typer.Option(False, "--force", help="Replace the --output file if it exists.")


@catalog_app.command("export")
def export(output: Path = _OUTPUT, force: bool = _FORCE) -> None:
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
    _write_document(json_text(doc) + "\n", output, force, f"the catalogue ({len(doc['events'])} event(s))")


@catalog_app.command("sample")
def sample(output: Path = _OUTPUT, force: bool = _FORCE) -> None:
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
    _write_document(json_text(doc) + "\n", output, force, "the sample venue")


@event_app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
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
        echo("No events yet: `boxoffice catalog import FILE` loads them.")
        return
    echo(table([(e["id"], e["name"], e["starts_local"], e["sold"], e["capacity"]) for e in events],
                     ["event", "name", "starts", "sold", "capacity"]))


@event_app.command("show")
def show(
    event: str = typer.Argument(..., help="Event id, as in `boxoffice event list`."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
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
    echo(f"{ev['name']} ({ev['id']})\n  starts {ev['starts_local']}" +
               (f", doors {ev['doors_local']}" if ev["doors_local"] else "") +
               f"\n  tax {ev['tax_rate_bp'] / 100:g}%, at most {ev['per_order_limit']} tickets an order" +
               (f", {ev['per_customer_limit']} per customer" if ev.get("per_customer_limit") else ""))
    echo(table([(s["id"], s["name"], s["kind"], s["capacity"], s["sold_count"], s["held"], s["available"])
                      for s in ev["sections"]],
                     ["section", "name", "kind", "capacity", "sold", "held", "available here"]))
    sec_ids = [s["id"] for s in ev["sections"]]
    echo(table([[t["id"], t["name"]] + [t["prices"].get(s, "-") for s in sec_ids] for t in ev["ticket_types"]],
                     ["type", "name", *sec_ids]))
    if ev["refund_policy"]:
        echo("Refunds: " + "; ".join(f"until {t['until_hours_before']} h before: fee {t['fee']}"
                                           for t in ev["refund_policy"]) + "; after that none.")
        if ev["demand_bands"]:
            echo("  Demand bands (share of the tier's fee kept): " + "; ".join(
                f"{b['sold_at_least']}+ sold: {b['fee_scale']}" for b in ev["demand_bands"]) + ".")
    else:
        echo("Refunds: none (no refund policy).")


@event_app.command("seats")
def seats(
    event: str = typer.Argument(..., help="Event id."),
    section: str = typer.Option(None, "--section", "-s", help="Only this section."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
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
        here = f", {sec['allocated_here']} in this terminal's allocation" if governed else ""
        if sec["kind"] != "reserved":
            secho(f"{sec['name']} ({sec['id']}): {sec['available']} available here, {sec['sold']} sold, "
                  f"capacity {sec['capacity']}{here}", bold=True)
            continue
        secho(f"{sec['name']} ({sec['id']}): {sec['available']} available here, {sec['sold']} sold, "
              f"{sec['held']} held in baskets, {sec['house']} house seats, capacity {sec['capacity']}{here}",
              bold=True)
        plan = layout(sec["rows"])
        echo(" " * plan.margin + "STAGE".center(plan.width).rstrip())
        for line in plan.lines:
            if not line.seats:
                echo(plan.row_text(line))
                continue
            cells = [" "] * plan.width
            for col, seat in line.seats:
                symbol, _, colour = MARKS[mark_of(seat)]
                cells[col] = styled(symbol, fg=colour.split()[-1], bold=colour.startswith("bold"))
            echo_styled([styled(f"{line.label:>{plan.label_width}} "), *cells, styled(f" {line.label}")])
    if any(sec["kind"] == "reserved" for sec in sections):
        for text in legend_lines():
            echo(text)
