"""`boxoffice allocation` on a terminal and `boxoffice central allocate` / `allocations` on the central database."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, clock, emit_json, table, terminal

allocation_app = sub_app(
    "What this terminal may sell when the central service owns the event: what it holds per section, how much of "
    "that is sold, and giving unsold places back."
)


def _split(value: str | None) -> list[str]:
    return [s.strip() for s in (value or "").split(",") if s.strip()]


@allocation_app.command("show")
def show(
    event: str = typer.Argument(None, help="Only this event."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Per section: places held here, sold, left, and whether the central service granted them.

    A terminal never synced with a central service holds every place ('own').
    Example: boxoffice allocation show gala-2025
    """
    from boxoffice.services.allocations import holdings

    with terminal() as ctx:
        rows = holdings(ctx, event)
    if json_out:
        emit_json(rows)
        return
    if not rows:
        typer.echo("No event here yet: `boxoffice catalog import FILE` or `boxoffice sync`.")
        return
    typer.echo(table([(r["event_id"], r["section_id"], r["kind"], r["capacity"], r["held"], r["sold"], r["left"],
                       "central" if r["granted_by_central"] else "own") for r in rows],
                     ["event", "section", "kind", "capacity", "held", "sold", "left", "from"]))


@allocation_app.command("release")
def release(
    event: str = typer.Argument(..., help="Event id."),
    section: str = typer.Option(..., "--section", help="Section id."),
    count: int = typer.Option(0, "--count", help="Standing places to give back."),
    seats: str = typer.Option(None, "--seats", help="Reserved seats to give back, e.g. A1,A2."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Give unsold places back: they leave this terminal at once; the central service frees them at the next sync.

    Supervisor. Only unsold places of this terminal's allocation can go back.
    Example: boxoffice allocation release gala-2025 --section floor --count 20
    """
    from boxoffice.services.allocations import release as do_release

    with terminal() as ctx:
        out = do_release(ctx, event, section, count, _split(seats))
    if json_out:
        emit_json(out)
        return
    what = ", ".join(out["seats"]) if out["seats"] else f"{out['count']} place(s)"
    typer.echo(f"Gave back {what} of {section}; the central service frees them at the next `boxoffice sync`.")


def allocate(
    event: str = typer.Argument(..., help="Event id."),
    terminal_: str = typer.Option(..., "--terminal", help="Terminal: its id, name or tag."),
    section: str = typer.Option(..., "--section", help="Section id."),
    count: int = typer.Option(0, "--count", help="Standing places to grant."),
    seats: str = typer.Option(None, "--seats", help="Reserved seats to grant, e.g. A1,A2,B5."),
    db: str = typer.Option(None, "--db", help="Central database (else BOXOFFICE_CENTRAL_DB)."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Grant a terminal places to sell: a count of standing places or named seats, only from what is free.

    Free is capacity minus web sales minus every terminal's allocation. The terminal gets it at its next sync.
    Example: boxoffice central allocate gala-2025 --terminal "Counter 1" --section floor --count 200
    """
    from boxoffice.central.allocation_admin import allocate as do_allocate
    from boxoffice.cli.central_cmds import _db

    out = do_allocate(_db(db), event, terminal_, section, count, _split(seats), clock())
    if json_out:
        emit_json(out)
        return
    what = ", ".join(out["seats"]) if out["seats"] else f"{out['count']} place(s)"
    typer.echo(f"Granted {what} of {section} to {out['terminal_name']}; it gets them at its next sync "
               f"({out['free']} left free).")


def allocations(
    event: str = typer.Argument(..., help="Event id."),
    db: str = typer.Option(None, "--db", help="Central database (else BOXOFFICE_CENTRAL_DB)."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Per section: capacity, sold on the web, allocated to each terminal, free (they always add up).

    Example: boxoffice central allocations gala-2025 --json
    """
    from boxoffice.central.allocation_admin import summary

    rows = summary(_db_value(db), event)
    if json_out:
        emit_json(rows)
        return
    typer.echo(table([(r["section_id"], r["kind"], r["capacity"], r["web_sold"],
                       ", ".join(f"{k}: {v}" for k, v in r["allocated"].items()) or "-", r["free"]) for r in rows],
                     ["section", "kind", "capacity", "web sold", "allocated", "free"]))


def _db_value(db: str | None) -> str:
    from boxoffice.cli.central_cmds import _db

    return _db(db)
