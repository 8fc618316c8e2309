"""`boxoffice central serve`, `init`, `migrate`, `status`, `conflicts`, `revoke-ticket` and `release-held`: the
central service and its database."""

from __future__ import annotations

import typer

from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import JSON_HELP, clock, display_width, echo, emit_json, table
from boxoffice.i18n import N_, _, ngettext

# The lines of `central status` (the keys of its --json, which stay as they are).
_STATUS_LABELS = {"database": N_("database"), "terminals": N_("terminals"), "journal": N_("journal"),
                  "orders": N_("orders"), "conflicts": N_("conflicts"), "feed_head": N_("feed_head")}


def serve(
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    host: str = typer.Option("127.0.0.1", "--host", help=_("Address to listen on (0.0.0.0: every interface).")),
    port: int = typer.Option(8765, "--port", help=_("TCP port.")),
    workers: int = typer.Option(1, "--workers", help=_("Worker processes (they share only the database).")),
    rate_per_token: float = typer.Option(50.0, "--rate-per-token",
                                         help=_("Requests a second one terminal or admin token may make, sustained "
                                                "(each worker counts its own).")),
    burst_per_token: int = typer.Option(1000, "--burst-per-token", help=_("Requests one token may make at once.")),
    rate_per_address: float = typer.Option(20.0, "--rate-per-address",
                                           help=_("Requests a second from one address without an accepted token "
                                                  "(enrollment, /healthz, unknown tokens).")),
    burst_per_address: int = typer.Option(400, "--burst-per-address",
                                          help=_("Requests one such address may make at once.")),
    max_push_mb: float = typer.Option(8.0, "--max-push-mb",
                                      help=_("Largest push body in MB (terminals cut their batches to 8 MB).")),
    max_connections: int = typer.Option(4096, "--max-connections",
                                        help=_("Open connections and requests under way before new ones get 503.")),
    backlog: int = typer.Option(2048, "--backlog", help=_("Connections the kernel queues before they are accepted.")),
    keep_alive: int = typer.Option(5, "--keep-alive", help=_("Seconds an idle keep-alive connection stays open.")),
    max_head_kb: int = typer.Option(16, "--max-head-kb", help=_("Largest request line and headers, in kB.")),
    head_timeout: float = typer.Option(10.0, "--head-timeout",
                                       help=_("Seconds a connection has to send a whole request head (then closed).")),
    per_address: int = typer.Option(256, "--connections-per-address",
                                    help=_("Connections one client address may hold open at once (an IPv6 /64 counts "
                                           "as one; each worker counts its own); more are closed on arrival. Keep "
                                           "it above the terminals behind one address (a NAT, a TLS proxy on this "
                                           "machine); 0: no cap.")),
    body_timeout: float = typer.Option(60.0, "--body-timeout",
                                       help=_("Seconds a request has to send its whole body after its head "
                                              "(then 408).")),
    certfile: str = typer.Option(None, "--certfile", help=_("Serve https with this PEM certificate (chain).")),
    keyfile: str = typer.Option(None, "--keyfile", help=_("The certificate's private key (PEM), with --certfile.")),
    pretix: str = typer.Option(None, "--pretix", help=_("Bridge mode: the venue's pretix at this address is the "
                                                         "source of truth (docs/pretix.md).")),
    pretix_organizer: str = typer.Option(None, "--pretix-organizer", help=_("With --pretix: the organizer's short "
                                                                             "form.")),
    pretix_event: list[str] = typer.Option(None, "--pretix-event", help=_("With --pretix: an event's short form; "
                                                                           "repeat for several.")),
    pretix_token_file: str = typer.Option(None, "--pretix-token-file", help=_("With --pretix: a file (chmod 600) "
                                                                               "holding the API token; else "
                                                                               "BOXOFFICE_PRETIX_TOKEN.")),
    pretix_every: float = typer.Option(10.0, "--pretix-every", help=_("With --pretix: seconds between bridge "
                                                                       "rounds.")),
    journal_mb: float = typer.Option(256.0, "--journal-mb-per-hour",
                                     help=_("Journal one terminal may push an hour, in MB; past it its pushes wait "
                                            "for the next hour and `central alerts` names it. 0: no share.")),
) -> None:
    """Serve the central API (FastAPI on uvicorn) until Ctrl-C. OpenAPI at /openapi.json, health at /healthz.

    Terminals on other machines need https: --certfile/--keyfile here, or a TLS proxy in front (docs/sync.md).
    Requests past the rate limits get 429 with Retry-After, bodies past their cap 413 (docs/errors.md).

    Example: boxoffice central serve --db postgresql://boxoffice@db/boxoffice --host 0.0.0.0 --certfile
    /etc/boxoffice/central.pem --keyfile /etc/boxoffice/central.key

    Bridge mode: --pretix https://pretix.example.org --pretix-organizer venue --pretix-event gala
    --pretix-token-file /etc/boxoffice/pretix.token (docs/pretix.md).
    """
    from pathlib import Path

    from boxoffice.central.api.limits import Limits, ServerLimits
    from boxoffice.central.server import serve as run
    from boxoffice.errors import BoxOfficeError

    if workers < 1 or workers > 64:
        raise BoxOfficeError("bad_input", _("--workers is 1 to 64"))
    if bool(certfile) != bool(keyfile):
        raise BoxOfficeError("bad_input", _("--certfile and --keyfile go together"))
    for path in (certfile, keyfile):
        if path and not Path(path).is_file():
            raise BoxOfficeError("bad_input", _("no file {path}").format(path=path))
    if min(rate_per_token, rate_per_address, max_push_mb, body_timeout) <= 0 or \
            min(burst_per_token, burst_per_address) < 1:
        raise BoxOfficeError("bad_input", _("the rates, bursts, --max-push-mb and --body-timeout must be above 0"))
    if per_address < 0:
        raise BoxOfficeError("bad_input", _("--connections-per-address is 0 (no cap) or more"))
    if journal_mb != 0 and journal_mb < max_push_mb:  # else a terminal's one full push would never be taken
        raise BoxOfficeError("bad_input", _("--journal-mb-per-hour is 0 (no share) or at least --max-push-mb"))
    if max_connections < 16 or backlog < 1 or keep_alive < 1 or not 1 <= max_head_kb <= 1024 or head_timeout <= 0:
        raise BoxOfficeError("bad_input", _("--max-connections is at least 16, --backlog and --keep-alive at least "
                                            "1, --max-head-kb 1 to 1024, --head-timeout above 0"))
    limits = Limits(rate_per_token=rate_per_token, burst_per_token=burst_per_token, rate_per_address=rate_per_address,
                    burst_per_address=burst_per_address, push_max_bytes=int(max_push_mb * 1_000_000),
                    body_timeout=body_timeout, journal_bytes_per_hour=int(journal_mb * 1_000_000))
    bounds = ServerLimits(limit_concurrency=max_connections, backlog=backlog, timeout_keep_alive=keep_alive,
                          max_head_bytes=max_head_kb * 1024, head_timeout=head_timeout,
                          connections_per_address=per_address)
    bridge = None
    if pretix:
        from boxoffice.central.pretix.settings import load

        if not pretix_organizer or not pretix_event:
            raise BoxOfficeError("bad_input", _("--pretix needs --pretix-organizer and --pretix-event"))
        if not 1 <= pretix_every <= 3600:
            raise BoxOfficeError("bad_input", _("--pretix-every is 1 to 3600 seconds"))
        bridge = load(pretix, pretix_organizer, pretix_event, token_file=pretix_token_file)
        from boxoffice.cli.common import config

        config()  # the venue's language ([venue] language): the bridge takes pretix's names in it
    run(central_db(db), host=host, port=port, workers=workers, limits=limits, server_limits=bounds,
        certfile=certfile, keyfile=keyfile, pretix=bridge, pretix_token_file=pretix_token_file,
        pretix_every=pretix_every)


def init(
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Create the central database, its signing key and an admin token (printed this once). Safe to repeat: on an
    existing database it brings the schema up to this release's, like `central migrate`.

    Example: boxoffice central init --db postgresql://postgres@127.0.0.1/boxoffice
    """
    from boxoffice.central.services.admin import init as do_init

    out = do_init(central_db(db), clock())
    if json_out:
        emit_json(out)
        return
    said = _("Central database created: {database}") if out["created"] else _("Central database checked: {database}")
    echo(said.format(database=out["database"]))
    if out["migrations"] and not out["created"]:
        echo(_("  schema upgraded to version {version}").format(version=out["schema_version"]))
    echo(_("  web tickets are signed with key {key}").format(key=out["key_id"]))
    if out["admin_token"]:
        echo(_("  admin token (shown once, keep it safe): {token}").format(token=out["admin_token"]))
    echo(_("Next: `boxoffice central catalog publish FILE`, `boxoffice central enroll-code --name 'Counter 1'`, "
           "then `boxoffice central serve`."))


def migrate(
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Upgrade the central database's schema to this release's, keeping every row. Safe to repeat.

    Run it once after installing a new release, before starting `central serve` (which refuses an older schema).
    Example: boxoffice central migrate --db postgresql://boxoffice@db/boxoffice
    """
    from boxoffice.central.services.admin import migrate as do_migrate

    out = do_migrate(central_db(db), clock())
    if json_out:
        emit_json(out)
        return
    if out["migrations"]:
        echo(_("Central schema upgraded from version {old} to {new}: {database}").format(
            old=out["from"], new=out["schema_version"], database=out["database"]))
    else:
        echo(_("Central schema is at version {version} already: nothing to do.").format(
            version=out["schema_version"]))


def conflicts(
    limit: int = typer.Option(1000, "--limit", help=_("At most this many, newest first.")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """List conflicts: the same ticket picked up, refunded or checked in on two terminals, a seat sold twice.

    Both actions are kept; the later one is flagged with the rule that decided. Terminals by name, times in the
    venue's zone (--json: ids and ISO times). Refunds held for release are listed whatever --limit says.
    Example: boxoffice central conflicts --json
    """
    from boxoffice.central.services.admin import list_conflicts, unreleased_held, venue_timezone
    from boxoffice.domain.clock import when_text

    rows = list_conflicts(central_db(db), limit)
    if json_out:
        emit_json(rows)
        return
    if not rows:
        echo(_("No conflicts."))
        return
    tz = venue_timezone(central_db(db))
    party = {"central": _("the central box office"), "web": _("the web shop")}
    echo(table([(when_text(r["at"], tz), r["kind"].replace("_", " "), r["order_code"] or "",
                       r["subject"], r["first_name"] or party.get(r["first_terminal"], r["first_terminal"]),
                       when_text(r["first_at"], tz),
                       r["second_name"] or party.get(r["second_terminal"], r["second_terminal"]),
                       when_text(r["second_at"], tz)) for r in rows],
                     [_("flagged"), _("kind"), _("order"), _("ticket/seat"), _("first"), _("at"), _("then"),
                      _("at")]))
    echo(_("Rule: {rule}.").format(rule=rows[0]["rule"]))
    held = unreleased_held(rows)  # all, past --limit
    if held:
        echo(_("Refunds held, each applied whole by `boxoffice central release-held ENTRY` once checked:"))
        echo("\n".join(f"  {r['second_entry']}  {r['second_name'] or r['second_terminal']}" for r in held))


def status(
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Counts: terminals, journal entries, orders, conflicts, and the feed's last position.

    Example: boxoffice central status --db central.db
    """
    from boxoffice.central.services.admin import status as get

    out = get(central_db(db))
    if json_out:
        emit_json(out)
        return
    labels = [_(_STATUS_LABELS[k]) if k in _STATUS_LABELS else k for k in out]
    echo("\n".join(f"{label}{' ' * max(0, 10 - display_width(label))} {v}" for label, v in zip(labels, out.values(),
                                                                                          strict=True)))


def revoke_ticket(
    ticket: str = typer.Argument(..., help=_("Ticket id.")),
    reason: str = typer.Option("revoked by the box office", "--reason", help=_("Shown at the door.")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Put one ticket on every terminal's revocation list (the door refuses it after their next sync).

    Example: boxoffice central revoke-ticket 01a207d3-885d-7257-8ae8-3b4391faf6ed --reason "reported stolen"
    """
    from boxoffice.central.services.admin import revoke_ticket as do_revoke

    out = do_revoke(central_db(db), ticket, reason, clock())
    if json_out:
        emit_json(out)
        return
    if out["known_ticket"]:
        said = _("Ticket {ticket} revoked.") if out["revoked"] else _("Ticket {ticket} was revoked already.")
    else:
        said = (_("Ticket {ticket} revoked (not a ticket the central service knows yet).") if out["revoked"]
                else _("Ticket {ticket} was revoked already (not a ticket the central service knows yet)."))
    echo(said.format(ticket=ticket))


def release_held(
    entry: str = typer.Argument(..., help=_("The held refund's entry id: the second entry `boxoffice central "
                                            "conflicts --json` shows for it (foreign_refund_held).")),
    force: bool = typer.Option(False, "--force", help=_("Release it even though its terminal has been revoked "
                                                        "since it sent the refund.")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Apply a held foreign refund whole, once you have checked it was real: every ticket it names is refunded
    and revoked on every terminal at their next sync.

    A terminal's refunds of tickets it did not sell, past 20 entries or 200 tickets an hour, are held rather than
    applied (a stolen terminal could write a supervisor's override on every ticket of the night). Released once,
    judged again by every other rule; a terminal revoked since needs --force.

    Example: boxoffice central release-held 01a207d3-885d-7257-8ae8-3b4391faf6ed --db central.db
    """
    from boxoffice.central.services.held import release

    out = release(central_db(db), entry, clock(), force=force)
    if json_out:
        emit_json(out)
        return
    echo(ngettext("Released: {count} ticket refunded by {terminal} is revoked everywhere at the next sync.",
                  "Released: {count} tickets refunded by {terminal} are revoked everywhere at the next sync.",
                  len(out["tickets"])).format(count=len(out["tickets"]), terminal=out["terminal"]))
    if out["new_order"]:
        echo(_("The exchange's new order {code} is applied with it.").format(code=out["new_order"]))
    if out["terminal_revoked"]:
        echo(_("Note: {terminal} has been revoked since it sent this refund.").format(terminal=out["terminal"]))
