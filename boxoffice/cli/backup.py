"""`boxoffice backup` and `boxoffice restore`: copies of the terminal database and putting one back."""

from __future__ import annotations

from pathlib import Path

import typer

from boxoffice.cli.common import (
    JSON_HELP,
    ask_pin,
    clock,
    config,
    confirm,
    echo,
    emit_json,
    secho,
    terminal,
)
from boxoffice.i18n import _


def backup(to: Path = typer.Option(..., "--to", help=_("Folder for the copies (e.g. a second disk).")),
           keep: int = typer.Option(10, "--keep", help=_("How many copies to keep there.")),
           json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Copy the live database while sales go on, verify the copy (integrity and audit chain), keep the last N.

    Examples:
      boxoffice backup --to backups
      boxoffice backup --to /media/usb/backups --keep 20
    """
    from boxoffice.services.backup import backup as do_backup

    with terminal() as ctx:
        report = do_backup(ctx, to, keep)
    if json_out:
        emit_json(report)
    else:
        echo(_("Backed up to {file} ({entries} journal entries, verified).").format(file=report["file"],
                                                                             entries=report["entries"]))


def _central_factory():  # noqa: ANN202 - (url, token[, ca_bundle]) -> a client, or None without the central extra
    try:
        from boxoffice.sync.client import CentralClient
    except ImportError:
        return None
    return lambda url, token, ca_bundle=None: CentralClient(url, token, timeout=10.0, retries=1, ca_bundle=ca_bundle)


def restore(file: Path = typer.Argument(..., help=_("A backup made by `boxoffice backup`.")),
            yes: bool = typer.Option(False, "--yes", help=_("Do not ask for confirmation.")),
            accept_loss: bool = typer.Option(False, "--accept-loss", help=_("Restore a backup older than the terminal "
                                             "even when what was done since may be lost for good (never pushed to "
                                             "the central service, or it cannot be asked now): an incident records "
                                             "it, and the central service's places are held at zero here until "
                                             "`boxoffice sync recover`.")),
            admin: str = typer.Option(None, "--admin", help=_("When there is no readable database here (a replacement "
                                      "machine, a ruined disk): an admin of the backup, whose PIN is asked and "
                                      "checked against it.")),
            json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Replace this terminal's database with a backup, after checking it; a copy that fails is refused. Admin only.

    A backup older than the terminal is compared with what the terminal did since (read before anything is
    overwritten): what the central service holds comes back with `boxoffice sync recover`, and the terminal does
    not sell until then; what never reached it would be lost, so that is refused unless --accept-loss.

    Example: boxoffice restore /media/usb/backups/boxoffice-backup-Counter_1-20261130T200000000000Z.db
    """
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.backup import check_restore, check_restore_new, check_target, restore_new
    from boxoffice.services.backup import restore as do_restore
    from boxoffice.services.opening import open_terminal

    question = _("Replace this terminal's database with {file}?").format(file=file)
    try:
        ctx = open_terminal(config(), clock())
    except BoxOfficeError as exc:  # nothing readable here: the backup goes in its place, an admin of it agreeing
        if exc.code not in ("not_initialised", "database_error", "backup_copy"):
            raise
        check_target(config().db_path)  # a folder given for the database is no place to put a backup
        if admin is None:
            raise BoxOfficeError(exc.code, _("{message}; to put the backup in its place, give --admin NAME (an "
                                             "admin of the backup: the PIN is asked and checked against it)").format(
                                                 message=exc.message)) from None
        pin = ask_pin(_("PIN for {name}").format(name=admin))
        check_restore_new(config(), file, admin, pin, accept_loss=accept_loss, central=_central_factory())
        if not yes and not json_out:
            confirm(question, abort=True)
        report = restore_new(config(), file, admin, pin, accept_loss=accept_loss,
                             central=_central_factory(), clock=clock())
    else:
        try:
            # an admin, a copy that verifies, this terminal's own, nothing lost unasked: before the question
            check_restore(ctx, file, accept_loss=accept_loss, central=_central_factory())
            if not yes and not json_out:
                confirm(question, abort=True)
            report = do_restore(ctx, file, accept_loss=accept_loss, central=_central_factory())
        finally:
            ctx.close()
    if json_out:
        emit_json(report)
        return
    echo(_("Restored from {file} ({entries} journal entries).").format(file=file, entries=report["entries"]))
    if report.get("older"):
        since = (_("{since}; they are on the central service.")
                 if not report.get("lost") and not report.get("head_unknown")
                 else _("{since}; some of them may be lost."))
        echo(since.format(since=report["since_text"]))
    if report.get("kept_live"):
        echo(_("The database as it was is kept in {file}.").format(file=report["kept_live"]))
    if incident := report.get("incident"):
        echo(_("Incident {incident} records what may be lost.").format(incident=incident[-8:]))
    if report.get("message"):
        secho(report["message"], fg="yellow", bold=True)
    if report.get("key_missing"):
        secho(_("The terminal's signing key {key} is not here: copy it from the old machine (or its safe copy) "
                "before selling.").format(key=report["key_missing"]), fg="yellow", err=True)
