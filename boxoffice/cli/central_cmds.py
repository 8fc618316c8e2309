"""`boxoffice central ...`: run the central service and administer its database directly."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, clock, emit_json, table

central_app = sub_app(
    "The central service many terminals share: serve it, publish the catalogue, import web orders, enroll and "
    "revoke terminals, see conflicts. Each command takes --db (postgresql://... or a SQLite file path), else "
    "BOXOFFICE_CENTRAL_DB, else central.db in the user data dir."
)
central_catalog_app = sub_app("The catalogue every terminal gets at its next sync.")
central_orders_app = sub_app("Web orders for the pickup desks.")
central_terminal_app = sub_app("Settings of enrolled terminals: how many unsold places a top-up may leave one holding.")
central_app.add_typer(central_catalog_app, name="catalog")
central_app.add_typer(central_orders_app, name="orders")
central_app.add_typer(central_terminal_app, name="terminal")

DB_HELP = "Central database: postgresql://USER@HOST/DB or a SQLite file (else BOXOFFICE_CENTRAL_DB, else the user " \
          "data dir's central.db)."


def _db(value: str | None) -> str:
    if value:
        return value
    env = os.environ.get("BOXOFFICE_CENTRAL_DB")
    if env:
        return env
    from boxoffice.config import user_data_dir

    return str(user_data_dir() / "central.db")


@central_app.command("serve")
def serve(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8765, "--port", help="TCP port."),
    workers: int = typer.Option(1, "--workers", help="Worker processes (they share only the database)."),
) -> None:
    """Serve the central API (FastAPI on uvicorn) until Ctrl-C. OpenAPI at /openapi.json, health at /healthz.

    Example: boxoffice central serve --db postgresql://boxoffice@db/boxoffice --host 0.0.0.0
    """
    from boxoffice.central.server import serve as run

    if workers < 1 or workers > 64:
        from boxoffice.errors import BoxOfficeError

        raise BoxOfficeError("bad_input", "--workers is 1 to 64")
    run(_db(db), host=host, port=port, workers=workers)


@central_app.command("init")
def init(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Create the central database, its signing key and an admin token (printed this once). Safe to repeat: on an
    existing database it brings the schema up to this release's, like `central migrate`.

    Example: boxoffice central init --db postgresql://postgres@127.0.0.1/boxoffice
    """
    from boxoffice.central.services.admin import init as do_init

    out = do_init(_db(db), clock())
    if json_out:
        emit_json(out)
        return
    typer.echo(f"Central database {'created' if out['created'] else 'checked'}: {out['database']}")
    if out["migrations"] and not out["created"]:
        typer.echo(f"  schema upgraded to version {out['schema_version']}")
    typer.echo(f"  web tickets are signed with key {out['key_id']}")
    if out["admin_token"]:
        typer.echo(f"  admin token (shown once, keep it safe): {out['admin_token']}")
    typer.echo("Next: `boxoffice central catalog publish FILE`, `boxoffice central enroll-code --name 'Counter 1'`,"
               " then `boxoffice central serve`.")


@central_app.command("migrate")
def migrate(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Upgrade the central database's schema to this release's, keeping every row. Safe to repeat.

    Run it once after installing a new release, before starting `central serve` (which refuses an older schema).
    Example: boxoffice central migrate --db postgresql://boxoffice@db/boxoffice
    """
    from boxoffice.central.services.admin import migrate as do_migrate

    out = do_migrate(_db(db), clock())
    if json_out:
        emit_json(out)
        return
    if out["migrations"]:
        typer.echo(f"Central schema upgraded from version {out['from']} to {out['schema_version']}: {out['database']}")
    else:
        typer.echo(f"Central schema is at version {out['schema_version']} already: nothing to do.")


@central_catalog_app.command("publish")
def publish(
    file: Path = typer.Argument(..., help="A catalogue JSON document (schemas/catalog.schema.json)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Publish a catalogue: checked whole like `boxoffice catalog import`, then sent to every terminal.

    Example: boxoffice central catalog publish venue.json
    """
    from boxoffice.central.services.admin import publish_catalog

    out = publish_catalog(_db(db), file, clock())
    if json_out:
        emit_json(out)
        return
    names = ", ".join(e["name"] for e in out["events"])
    if out["published"]:
        typer.echo(f"Published ({len(out['events'])} event(s): {names}); terminals get it at their next sync.")
    else:
        typer.echo(f"This catalogue was published already ({names}); nothing new to send.")


@central_orders_app.command("import")
def import_orders(
    file: Path = typer.Argument(..., help="Web orders (schemas/sync-web-orders-import.schema.json)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Import web orders: W codes, tickets signed with the central key, sent to every pickup desk.

    A document with any error is refused whole, each error located. Orders imported before (same ref) are skipped.
    Example: boxoffice central orders import shop-export.json
    """
    from boxoffice.central.services.admin import import_orders as do_import

    out = do_import(_db(db), file, clock())
    if json_out:
        emit_json(out)
        return
    typer.echo(f"Imported {out['imported']} order(s), {out['tickets']} ticket(s); {out['already_imported']} "
               "imported before.")


@central_app.command("enroll-code")
def enroll_code(
    name: str = typer.Option(..., "--name", help="Which terminal it is for, e.g. 'Counter 2'."),
    hours: float = typer.Option(24, "--hours", help="How long the code works."),
    roles: str = typer.Option("sell,pickup,door", "--roles",
                              help="What the terminal is for, comma-separated: sell, pickup, door. Only a terminal "
                                   "with sell gets places to sell (grants, top-ups)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Make a one-time enrollment code for a terminal (type it there: `boxoffice sync enroll URL CODE`).

    The terminal keeps the code's roles. A pickup desk or door scanner enrolled with --roles pickup,door never takes
    places from the sellers.
    Example: boxoffice central enroll-code --name "Door 1" --roles door
    """
    from boxoffice.central.services.admin import enroll_code as make
    from boxoffice.central.services.admin import venue_timezone
    from boxoffice.domain.clock import when_text

    out = make(_db(db), name, hours, clock(), roles)
    if json_out:
        emit_json(out)
        return
    until = when_text(out["expires_at"], venue_timezone(_db(db)))
    typer.echo(f"Enrollment code for {out['name']} ({', '.join(out['roles'])}): {out['code']}  (one use, until "
               f"{until})")


@central_app.command("terminals")
def terminals(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List enrolled terminals: tag, roles, top-up cap, key, entries pushed, last heard from, revoked or not.

    Times in the venue's zone (--json: ISO). Example: boxoffice central terminals --db postgresql://postgres@db/boxoffice
    """
    from boxoffice.central.services.admin import list_terminals, venue_timezone
    from boxoffice.domain.clock import when_text

    rows = list_terminals(_db(db))
    if json_out:
        emit_json(rows)
        return
    if not rows:
        typer.echo("No terminal enrolled yet: `boxoffice central enroll-code --name NAME`.")
        return
    tz = venue_timezone(_db(db))
    typer.echo(table([(r["name"], r["tag"], ",".join(r["roles"]),
                       f"{r['allocation_cap']}{'' if r['own_cap'] else ' (default)'}" if "sell" in r["roles"] else "-",
                       r["id"], r["key_id"], r["entries"], when_text(r["last_seen_at"], tz, missing="never"),
                       "REVOKED " + when_text(r["revoked_at"], tz) if r["revoked_at"] else "active") for r in rows],
                     ["name", "tag", "roles", "cap", "id", "key", "entries", "last seen", "status"]))


@central_terminal_app.command("set-cap")
def set_cap(
    cap: int = typer.Option(None, "--max", help="Most unsold places of one section a top-up leaves the terminal "
                                                 "holding (0: top-ups give nothing)."),
    terminal: str = typer.Option(None, "--terminal", help="Terminal id, name or tag; without it, --max sets the "
                                                          "default of every terminal with no cap of its own."),
    clear: bool = typer.Option(False, "--clear", help="With --terminal: drop its own cap; the default applies."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Cap what top-ups give a terminal: at most --max unsold places per section (default 50).

    A top-up that asks for more is cut to the cap, not refused. The cap counts what the terminal holds of a section
    and has not sold as far as the central service knows (its pushed sales). Grants by hand (`central allocate`)
    are not capped. It takes effect at the terminal's next top-up, on every service sharing the database.
    Examples: boxoffice central terminal set-cap --max 40
              boxoffice central terminal set-cap --terminal "Counter 1" --max 120
              boxoffice central terminal set-cap --terminal "Counter 1" --clear
    """
    from boxoffice.central.services.allocation_admin import set_cap as do_set
    from boxoffice.errors import BoxOfficeError

    if clear == (cap is not None) or (clear and terminal is None):
        raise BoxOfficeError("bad_input", "give --max N (with --terminal T for one terminal), or --terminal T --clear")
    out = do_set(_db(db), None if clear else cap, terminal)
    if json_out:
        emit_json(out)
        return
    if out["terminal_id"] is None:
        typer.echo(f"Default cap: {out['default_cap']} unsold place(s) per section for every terminal without its own.")
    elif out["own_cap"]:
        typer.echo(f"{out['terminal_name']}: top-ups leave it at most {out['allocation_cap']} unsold place(s) per "
                   "section.")
    else:
        typer.echo(f"{out['terminal_name']}: its own cap is gone; the default of {out['default_cap']} applies.")


@central_app.command("revoke")
def revoke(
    terminal: str = typer.Argument(..., help="Terminal id, tag or name."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Revoke a terminal: its token stops working at once and every terminal is told.

    Tickets it signed stay valid (a token carries no signing time); revoke any that must stop one by one with
    `boxoffice central revoke-ticket`. What it pushed stays. It can come back only with a new enrollment code.

    Example: boxoffice central revoke "Counter 3"
    """
    from boxoffice.central.services.admin import revoke_terminal

    out = revoke_terminal(_db(db), terminal, clock())
    if json_out:
        emit_json(out)
        return
    if out["already_revoked"]:
        typer.echo(f"{out['name']} was revoked already.")
    else:
        typer.echo(f"Revoked {out['name']} ({out['terminal_id']}): its token no longer works. Tickets it signed "
                   "stay valid; revoke any that must not be admitted with `boxoffice central revoke-ticket`.")


@central_app.command("revoke-ticket")
def revoke_ticket(
    ticket: str = typer.Argument(..., help="Ticket id."),
    reason: str = typer.Option("revoked by the box office", "--reason", help="Shown at the door."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Put one ticket on every terminal's revocation list (the door refuses it after their next sync).

    Example: boxoffice central revoke-ticket 01a207d3-885d-7257-8ae8-3b4391faf6ed --reason "reported stolen"
    """
    from boxoffice.central.services.admin import revoke_ticket as do_revoke

    out = do_revoke(_db(db), ticket, reason, clock())
    if json_out:
        emit_json(out)
        return
    typer.echo(f"Ticket {ticket} {'revoked' if out['revoked'] else 'was revoked already'}"
               + ("" if out["known_ticket"] else " (not a ticket the central service knows yet)") + ".")


@central_app.command("conflicts")
def conflicts(
    limit: int = typer.Option(1000, "--limit", help="At most this many, newest first."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List conflicts: the same ticket picked up, refunded or checked in on two terminals, a seat sold twice.

    Both actions are kept; the later one is flagged with the rule that decided. Terminals by name, times in the
    venue's zone (--json: ids and ISO times).
    Example: boxoffice central conflicts --json
    """
    from boxoffice.central.services.admin import list_conflicts, venue_timezone
    from boxoffice.domain.clock import when_text

    rows = list_conflicts(_db(db), limit)
    if json_out:
        emit_json(rows)
        return
    if not rows:
        typer.echo("No conflicts.")
        return
    tz = venue_timezone(_db(db))
    party = {"central": "the central box office", "web": "the web shop"}
    typer.echo(table([(when_text(r["at"], tz), r["kind"].replace("_", " "), r["order_code"] or "",
                       r["subject"], r["first_name"] or party.get(r["first_terminal"], r["first_terminal"]),
                       when_text(r["first_at"], tz),
                       r["second_name"] or party.get(r["second_terminal"], r["second_terminal"]),
                       when_text(r["second_at"], tz)) for r in rows],
                     ["flagged", "kind", "order", "ticket/seat", "first", "at", "then", "at"]))
    typer.echo(f"Rule: {rows[0]['rule']}.")


@central_app.command("status")
def status(
    db: str = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Counts: terminals, journal entries, orders, conflicts, and the feed's last position.

    Example: boxoffice central status --db central.db
    """
    from boxoffice.central.services.admin import status as get

    out = get(_db(db))
    if json_out:
        emit_json(out)
        return
    typer.echo("\n".join(f"{k.ljust(10)} {v}" for k, v in out.items()))
