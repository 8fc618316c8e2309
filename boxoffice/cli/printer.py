"""`boxoffice print ...`: the print queue, a test page, the job list."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import (
    JSON_HELP,
    echo,
    emit_json,
    finish_printing,
    table,
    terminal,
)
from boxoffice.i18n import N_, _

print_app = sub_app(N_("The print queue: retry what did not print, print a test page, list jobs."))


@print_app.command("retry")
def retry(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Print every job that is still waiting (printer was off, out of paper, unplugged), oldest first.

    Example: boxoffice print retry
    """
    from boxoffice.services.printing import retry as do_retry

    with terminal() as ctx:
        results = do_retry(ctx)
    if json_out:
        emit_json(results)
    elif not results:
        echo(_("Nothing waiting to print."))
    else:
        echo(_("{printed} of {count} job(s) printed.").format(printed=sum(r["status"] == "printed" for r in results),
                                                             count=len(results)))
    finish_printing(results, json_out)


@print_app.command("test")
def test(json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Print a test page (text, accents, Chinese, a QR) on the configured printer.

    Example: boxoffice print test
    """
    from boxoffice.services.printing import test_print

    with terminal() as ctx:
        results = test_print(ctx)
    if json_out:
        emit_json(results)
    finish_printing(results, json_out)


@print_app.command("jobs")
def jobs(pending: bool = typer.Option(False, "--pending", help=_("Only jobs not yet printed.")),
         json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """List recent print jobs with their state and last error.

    Example: boxoffice print jobs --pending
    """
    from boxoffice.services.printing import list_jobs

    with terminal() as ctx:
        items = list_jobs(ctx, pending)
    if json_out:
        emit_json(items)
        return
    echo(table([(j["id"][-8:], j["kind"], j["status"], j["attempts"], j["printer_uri"], j["last_error"] or "")
                for j in items], [_("job"), _("kind"), _("status"), _("tries"), _("printer"), _("last error")]))
