"""`boxoffice sync`, `sync --watch`, `sync enroll`, `sync status`, `sync conflicts`."""

from __future__ import annotations

import contextlib
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from boxoffice.cli.common import JSON_HELP, display_width, echo, emit_json, json_text, secho, table, terminal
from boxoffice.i18n import N_, _, ngettext

sync_app = typer.Typer(
    help=_("Share this terminal's journal with the central service and learn what others did. Plain `boxoffice "
           "sync` pushes then pulls once; --watch keeps doing it in the background while the counter sells."),
    rich_markup_mode=None, invoke_without_command=True, no_args_is_help=False, add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]})

WARN_ENV = "BOXOFFICE_SYNC_WARN_MINUTES"
INSECURE_WARNING = N_("plain http to another machine (enrolled with --insecure): the token and every sale cross "
                      "the network unencrypted")
_PHASES = {"push": N_("pushing journal"), "pull": N_("pulling changes"), "fetch": N_("reading back the journal"),
           "replay": N_("replaying entries")}


@contextmanager
def _client(url: str, token: str | None = None, ca_bundle: str | None = None) -> Any:
    """A client of the central service; always of the enrolled URL with its CA bundle, except to enroll."""
    try:
        from boxoffice.sync.client import CentralClient
    except ImportError:
        from boxoffice.errors import BoxOfficeError

        raise BoxOfficeError("bad_input", _("sync needs httpx: pip install 'boxoffice[central]'")) from None
    client = CentralClient(url, token, ca_bundle=ca_bundle)
    try:
        yield client
    finally:
        client.close()


class _Bars:
    """typer progress bars on stderr, one per phase, only for a person at a terminal and a long enough sync."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}
        self.done: dict[str, int] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or total < 2000:
            return
        if phase not in self.bars:
            for bar in self.bars.values():
                bar.render_finish()
            label = _(_PHASES[phase]) if phase in _PHASES else phase
            self.bars[phase] = typer.progressbar(length=total, label=label, file=sys.stderr)
            self.bars[phase].__enter__()
            self.done[phase] = 0
        self.bars[phase].update(max(0, done - self.done[phase]))
        self.done[phase] = done

    def close(self) -> None:
        for bar in self.bars.values():
            bar.__exit__(None, None, None)


def _show_summary(out: dict[str, Any], names: dict[str, str], tz: str) -> None:
    kinds = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(out["by_kind"].items()) if n and k != "parked")
    pushed = ngettext("Pushed {pushed} entry ({applied} new to the central service, {duplicates} it had).",
                      "Pushed {pushed} entries ({applied} new to the central service, {duplicates} it had).",
                      out["pushed"]).format(pushed=out["pushed"], applied=out["applied"], duplicates=out["duplicates"])
    pulled = (_("Pulled {pulled} change(s): {kinds}.") if kinds else _("Pulled {pulled} change(s).")).format(
        pulled=out["pulled"], kinds=kinds)
    echo(f"{pushed} {pulled}")
    if out["parked"]:
        echo(_("{count} change(s) wait for something not here yet (see `boxoffice sync status`).").format(
            count=out["parked"]))
    if out.get("top_up_requests") or out.get("grants_applied") or out.get("stops_applied"):
        said = (_("Allocation: {grants} grant(s) applied, {places} place(s) topped up in {requests} request(s), "
                  "{stops} recall(s) or write-off(s) applied (`boxoffice allocation show`).")
                if out.get("stops_applied") else
                _("Allocation: {grants} grant(s) applied, {places} place(s) topped up in {requests} request(s) "
                  "(`boxoffice allocation show`)."))
        echo(said.format(grants=out.get("grants_applied", 0), places=out.get("top_up_granted", 0),
                         requests=out.get("top_up_requests", 0), stops=out.get("stops_applied", 0)))
    flags = out["conflicts"] + out["new_conflicts"]
    if flags:
        seen: set[str] = set()
        secho(_("FLAGGED for a supervisor ({count}):").format(count=len({f["id"] for f in flags})), fg="yellow",
              bold=True, err=True)
        for f in flags:
            if f["id"] in seen:
                continue
            seen.add(f["id"])
            secho(f"  {_flag_line(f, names, tz)}", fg="yellow", err=True)


def _flag_line(f: dict[str, Any], names: dict[str, str], tz: str) -> str:
    """One flag as a supervisor reads it: the terminals by name, the times in the venue's zone."""
    from boxoffice.domain.clock import when_text
    from boxoffice.services.sync.rounds import terminal_name

    first, second = f.get("first", {}), f.get("second", {})
    what = f["kind"].replace("_", " ")
    return _("{what}: {subject} (first {first} at {first_at}, then {second} at {second_at}): {rule}").format(
        what=what, subject=f.get("ticket_id") or f["subject"], first=terminal_name(names, first.get("terminal_id")),
        first_at=when_text(first.get("at"), tz, missing="?"), second=terminal_name(names, second.get("terminal_id")),
        second_at=when_text(second.get("at"), tz, missing="?"), rule=f["rule"])


def _names_and_zone(tctx: Any) -> tuple[dict[str, str], str]:
    from boxoffice.services.events import venue_tz
    from boxoffice.services.sync.rounds import terminal_names

    return terminal_names(tctx), venue_tz(tctx)


@sync_app.callback()
def sync(
    ctx: typer.Context,
    watch: bool = typer.Option(False, "--watch", help=_("Keep syncing every few seconds until Ctrl-C.")),
    interval: float = typer.Option(2.0, "--interval", help=_("Seconds between syncs with --watch.")),
    batch: int = typer.Option(500, "--batch", help=_("Journal entries per request.")),
    backup_to: Path = typer.Option(None, "--backup-to", help=_("With --watch: also keep verified backups in this "
                                                                 "folder (a second disk), as `boxoffice backup` "
                                                                 "does.")),
    backup_every: float = typer.Option(30.0, "--backup-every", help=_("Minutes between those backups.")),
    keep: int = typer.Option(10, "--keep", help=_("How many of those backups to keep.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Push this terminal's journal, then pull what others did; resumes where it stopped after a cut.

    One round, or all evening (with backups to a second disk):

    Examples:
      boxoffice sync --json
      boxoffice sync --watch
      boxoffice sync --watch --backup-to /media/usb/backups --backup-every 15
    """
    if ctx.invoked_subcommand is not None:
        return
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.sync import rounds as service

    if not 1 <= batch <= 1000:
        raise BoxOfficeError("bad_input", _("--batch is 1 to 1000"))
    if interval < 0.1:
        raise BoxOfficeError("bad_input", _("--interval is at least 0.1 seconds"))
    if backup_to is not None and not watch:
        raise BoxOfficeError("bad_input", _("--backup-to goes with --watch (for one backup now: boxoffice backup)"))
    if backup_to is not None and (backup_every <= 0 or keep < 1):
        raise BoxOfficeError("bad_input", _("--backup-every is above 0 minutes and --keep is 1 or more"))
    with contextlib.ExitStack() as stack:
        try:
            tctx = stack.enter_context(terminal())
            conn = service.connection(tctx)
        except BoxOfficeError as exc:
            _usage_if_bare(ctx, exc, json_out)
            raise
        if conn["insecure"] and not json_out:
            secho(_("WARNING: {warning}").format(warning=_(INSECURE_WARNING)), fg="yellow", err=True)
        if watch:
            _watch(tctx, conn, interval, batch, json_out, (backup_to, backup_every, keep))
            return
        bars = _Bars(enabled=not json_out and sys.stderr.isatty())
        try:
            with _client(conn["url"], conn["token"], conn["ca_bundle"]) as client:
                out = service.sync_once(tctx, client, batch=batch, progress=bars)
        finally:
            bars.close()
        shown = _names_and_zone(tctx)
    if json_out:
        emit_json(out)
        return
    _show_summary(out, *shown)


def _usage_if_bare(ctx: typer.Context, exc: Any, json_out: bool) -> None:
    """A terminal that cannot sync yet (no database, not enrolled) gets the usage first: what to run instead."""
    if not json_out and exc.code in ("not_initialised", "not_enrolled"):
        echo(ctx.get_help() + "\n")


def _watch(tctx: Any, conn: dict[str, Any], interval: float, batch: int, json_out: bool,
           backups: tuple[Path | None, float, int] = (None, 0.0, 0)) -> None:

    from boxoffice.services.sync import rounds as service
    from boxoffice.services.sync.watch import Backoff, watch

    backed_up: dict[str, Any] = {}

    def backup_if_due() -> None:
        """Before each sync, and whether or not the network is there: a verified copy when one is due."""
        from boxoffice.errors import BoxOfficeError
        from boxoffice.services.backup import periodic

        to, every, keep = backups
        if to is None:
            return
        try:
            report = periodic(tctx, to, every, keep)
        except BoxOfficeError as exc:  # a full or missing backup disk must not stop the sync
            backed_up["backup"] = {"error": exc.message}
            if not json_out:
                secho(_("backup failed: {message}").format(message=exc.message), fg="yellow", err=True)
            return
        if report is not None:
            backed_up["backup"] = {"file": report["file"], "entries": report["entries"]}
            if not json_out:
                echo(_("Backed up to {file} (verified).").format(file=report["file"]), err=True)

    def step() -> dict[str, Any]:
        backup_if_due()
        with _client(conn["url"], conn["token"], conn["ca_bundle"]) as client:
            return service.sync_once(tctx, client, batch=batch, max_pages=service.ROUND_PAGES)

    def report(result: dict[str, Any] | None, error: Any, wait: float) -> None:
        if json_out:
            line = {"ok": error is None, "next_in": round(wait, 1)}
            line.update(result or error.to_dict())
            line.update(backed_up)
            backed_up.clear()
            sys.stdout.write(json_text(line, indent=None) + "\n")
            sys.stdout.flush()
        elif error is not None:
            secho(_("sync failed ({message}); trying again in {wait:.0f} s").format(message=error.message, wait=wait),
                  fg="yellow", err=True)
        elif result and (result["pushed"] or result["pulled"] or result["conflicts"] or result["new_conflicts"]):
            _show_summary(result, *_names_and_zone(tctx))

    if not json_out:
        echo(_("Syncing with {url} every {interval:g} s; Ctrl-C stops.").format(url=conn["url"], interval=interval),
             err=True)
    rounds = watch(step, report, Backoff(interval=interval))
    if not json_out:
        echo(_("Stopped after {rounds} round(s); nothing was left half-done.").format(rounds=rounds), err=True)


@sync_app.command("enroll")
def enroll(
    url: str = typer.Argument(..., help=_("The central service, e.g. https://boxoffice.example:8765")),
    code: str = typer.Argument(..., help=_("The one-time code from `boxoffice central enroll-code --name NAME` "
                                           "(made for this terminal's name).")),
    ca_bundle: str = typer.Option(None, "--ca-bundle", help=_("PEM file of the CA that signed the central service's "
                                                              "certificate (a private CA); kept and used on every "
                                                              "sync.")),
    insecure: bool = typer.Option(False, "--insecure", help=_("Allow plain http to a host other than this machine "
                                                              "(a trusted network only; shown at every sync).")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Register this terminal with the central service (an admin must be logged in here).

    Sends its public key and proves it holds the private key; keeps the token it gets, and pins the URL, the CA
    bundle and the central service's key: later syncs go there only (a different central_url in the config is
    refused until an admin enrolls again). Plain http only to this machine (localhost), unless --insecure.
    Example: boxoffice sync enroll https://boxoffice.example:8765 K7M2-224W-ABCD-EFGH --ca-bundle venue-ca.pem
    """
    from boxoffice.domain.enrollment import check_url
    from boxoffice.services.sync import enrollment as service

    with terminal() as tctx:
        tctx.require("enroll")  # before any network: who may enroll is the first question
        target = check_url(url, insecure)
        with _client(target, ca_bundle=service.check_ca_bundle(ca_bundle)) as client:
            out = service.enroll(tctx, target, code, client, insecure=insecure, ca_bundle=ca_bundle)
    if json_out:
        emit_json(out)
        return
    echo(_("Enrolled {name} with {url}. {pending} journal entries to push: run `boxoffice sync` (or leave "
           "`boxoffice sync --watch` running).").format(name=out["name"], url=out["central_url"],
                                                        pending=out["pending"]))
    if out["warning"]:
        secho(_("WARNING: {warning}").format(warning=out["warning"]), fg="yellow", bold=True, err=True)


@sync_app.command("recover")
def recover(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Bring back from the central service what this terminal's database lacks, then sync.

    After `boxoffice restore` of an older backup, on a replacement machine, or when the terminal says its database
    was copied back: its own journal entries are read back, checked against their hash chain, and replayed (sales,
    tickets, payments, refunds, exchanges, pickups, check-ins, shifts, cash, allocation); order numbers and journal
    numbers go on after every one used. Entries made here on a copy put back are kept after the central service's,
    and flagged. Nothing is changed if the central service's copy does not continue this terminal's chain.

    Example: boxoffice sync recover --json
    """
    from boxoffice.services.sync import rounds as service
    from boxoffice.services.sync.recovery import recover as do_recover

    with terminal() as tctx:
        conn = service.connection(tctx)
        bars = _Bars(enabled=not json_out and sys.stderr.isatty())
        try:
            with _client(conn["url"], conn["token"], conn["ca_bundle"]) as client:
                out = do_recover(tctx, client, progress=bars)
        finally:
            bars.close()
    if json_out:
        emit_json(out)
        return
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(out["by_kind"].items()))
    echo(ngettext("Recovered {count} entry from the central service{kinds}; {already} were here already.",
                  "Recovered {count} entries from the central service{kinds}; {already} were here already.",
                  out["replayed"]).format(count=out["replayed"], kinds=f" ({kinds})" if kinds else "",
                                          already=out["already_here"]))
    if out["reappended"]:
        moved = out["reappended"]
        secho(ngettext("{count} entry made here on the copy put back kept after the central service's (now {first} "
                       "to {last}): flagged.",
                       "{count} entries made here on the copy put back kept after the central service's (now "
                       "{first} to {last}): flagged.", len(moved)).format(
                  count=len(moved), first=moved[0]["now"], last=moved[-1]["now"]), fg="yellow", err=True)
    clashes = {"order_code_reused": N_("order code {code} was given twice: the later order is kept as {kept_as}"),
               "seat_sold_twice": N_("seat {seat} was sold twice"),
               "oversold": N_("{places} place(s) of {section} sold beyond the allocation")}
    for c in out["clashes"]:
        what = (_(clashes[c["kind"]]).format(code=c.get("code"), kept_as=c.get("kept_as"), seat=c.get("seat"),
                                             places=c.get("places"), section=c.get("section"))
                if c["kind"] in clashes else c["kind"])
        secho(_("FLAGGED: {what}").format(what=what), fg="yellow", err=True)
    for n in out["not_rebuilt"]:
        secho(_("not rebuilt (entry {seq}, {kind}): {what}").format(seq=n["seq"], kind=n["kind"], what=n["what"]),
              fg="yellow", err=True)
    if out["lost"]:
        secho(_("Entries {first} to {last} never reached the central service: lost for good (flagged there).").format(
            first=out["lost"]["from"], last=out["lost"]["to"]), fg="yellow", err=True)
    if out.get("sync_error"):
        secho(_("The sync after it failed ({message}): run `boxoffice sync`.").format(
            message=out["sync_error"]["message"]), fg="yellow", err=True)
    else:
        echo(_("Synced. The terminal can sell again."))


@sync_app.command("status")
def status(
    warn_after: float = typer.Option(None, "--warn-after", help=_("Minutes without a good sync before warning "
                                                                    "(else {env}, else 15).").format(env=WARN_ENV)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Last good sync, entries waiting, age of the newest data, and a warning when out of touch too long.

    Example: boxoffice sync status --warn-after 30
    """
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.sync import rounds as service

    if warn_after is None:
        try:
            warn_after = float(os.environ.get(WARN_ENV, "") or service.WARN_AFTER_MINUTES)
        except ValueError:
            raise BoxOfficeError("bad_input", _("{env} must be a number of minutes").format(env=WARN_ENV)) from None
    with terminal() as tctx:
        out = service.status(tctx, warn_after)
        tz = _names_and_zone(tctx)[1]
    if json_out:
        emit_json(out)
        return
    from boxoffice.domain.clock import when_text

    if not out["enrolled"]:
        echo(_("Not enrolled: this terminal works alone. {count} journal entries kept here.").format(
            count=out["entries_waiting"]))
        return
    rows = [(_("central service"), out["central_url"]),
            (_("last good sync"), when_text(out["last_good_sync"], tz, missing=_("never"))),
            (_("entries waiting to push"), out["entries_waiting"]),
            (_("newest data from others"), when_text(out["newest_data_at"], tz, missing=_("none yet"))),
            (_("changes behind (at last pull)"), max(0, out["head"] - out["cursor"])),
            (_("flags not yet seen"), out["conflicts_unseen"]), (_("changes waiting to apply"), out["parked"])]
    if out["last_error"]:
        rows.append((_("last error"), out["last_error"]))
    if out["revoked_terminals"]:
        rows.append((_("revoked terminals"), ", ".join(out["revoked_terminals"])))
    if out.get("ca_bundle"):
        rows.append((_("CA bundle"), out["ca_bundle"]))
    width = max(display_width(k) for k, _v in rows)
    echo("\n".join(f"{k}{' ' * (width - display_width(k))}  {v}" for k, v in rows))
    if out.get("insecure"):
        secho(_("WARNING: {warning}").format(warning=_(INSECURE_WARNING)), fg="yellow", bold=True)
    if out["warning"]:
        secho(_("WARNING: {warning}").format(warning=out["warning"]), fg="yellow", bold=True)


@sync_app.command("conflicts")
def conflicts(
    all_: bool = typer.Option(False, "--all", help=_("Also those seen before.")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Flags the central service raised about this terminal (the same ticket picked up or refunded twice...).

    Terminals by name, times in the venue's zone (--json: ids and ISO times). Listing them marks them seen.
    Example: boxoffice sync conflicts --all
    """
    from boxoffice.domain.clock import when_text
    from boxoffice.services.sync import rounds as service

    with terminal() as tctx:
        rows = service.conflicts(tctx, unseen_only=not all_)
        tz = _names_and_zone(tctx)[1]
    if json_out:
        emit_json(rows)
        return
    if not rows:
        echo(_("No flags.") if all_ else _("No new flags (--all shows those seen before)."))
        return
    echo(table([(when_text(r["flagged_at"], tz), r["kind"].replace("_", " "),
                       r["order_code"] or r["order_id"] or "", r["ticket_id"] or r["subject"],
                       f"{r['first_name']}, {when_text(r['first_at'], tz)}",
                       f"{r['second_name']}, {when_text(r['second_at'], tz)}") for r in rows],
                     [_("flagged"), _("what"), _("order"), _("ticket"), _("first"), _("then")]))
    echo(_("Rule: {rule}.").format(rule=rows[0]["rule"]))
