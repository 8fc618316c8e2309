"""`boxoffice audit ...`: verify the journal's hash chain and show who did what."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    echo,
    emit_json,
    secho,
    table,
    terminal,
)
from boxoffice.i18n import _

audit_app = sub_app(_("The tamper-evident journal: verify its hash chain, show who did what."))


@audit_app.command("verify")
def audit_verify(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Check the journal's hash chain, its signed checkpoints and the records against it; exit status 9 if anything
    was tampered with.

    Each problem is named with its entry: edited, deleted, inserted, reordered, renumbered, rewritten after a signed
    checkpoint, or a record (money, ticket, revocation, pickup, operator) with no, a missing or a different journal
    entry. Entries a restore of an older backup declared missing are listed apart, as a
    declared gap, not a tamper. Example: boxoffice audit verify
    """
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.audit import verify

    with terminal() as ctx:
        try:
            out = verify(ctx)
        except BoxOfficeError as exc:
            if exc.code == "audit_failed" and not json_out:
                echo(table([(b["seq"] or "-", b["kind"], b["problem"]) for b in exc.details["breaks"]],
                                 [_("seq"), _("break"), _("what")]))
            raise
    if json_out:
        emit_json(out)
        return
    secho(_("OK: {entries} journal entries, chain intact up to {last_seq}; every record matches its entry").format(
        entries=out["entries"], last_seq=out["last_seq"]), fg="green")
    for g in out["declared_gaps"]:
        secho(_("Declared gap: entries {first} to {last} are not here; the restore at entry {seq} declared them "
                "(a backup put back: `boxoffice sync recover` brings back what the central service holds)").format(
                    first=g["after"] + 1, last=g["upto"], seq=g["seq"]), fg="yellow")


@audit_app.command("log")
def audit_log(operator: str = typer.Option(None, "--operator", help=_("Only this operator's entries.")),
              kind: str = typer.Option(None, "--kind", help=_("Only this kind: refund, sale, shift, cash.out...")),
              since: str = typer.Option(None, "--since", help=_("From this time (venue time): 2026-12-01T18:00.")),
              until: str = typer.Option(None, "--until", help=_("Before this time (venue time).")),
              limit: int = typer.Option(None, "--limit", help=_("Only the newest N entries.")),
              json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Who did what and when, from the journal. Example: boxoffice audit log --kind refund --since 2026-12-01"""
    from boxoffice.services.audit import log

    with terminal() as ctx:
        entries = log(ctx, operator=operator, kind=kind, since=since, until=until, limit=limit)
    if json_out:
        emit_json(entries)
        return
    echo(table([(e["seq"], e["at_local"], e["operator"] or "-", e["kind"], e["what"]) for e in entries],
                     [_("seq"), _("when"), _("who"), _("kind"), _("what")]))
