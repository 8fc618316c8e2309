"""`boxoffice scan ...`: door check-in, offline, from a barcode scanner, stdin or a photo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from boxoffice.cli.common import (
    JSON_HELP,
    TOKEN_ARGUMENT,
    echo,
    emit_json,
    json_text,
    secho,
    terminal,
)
from boxoffice.cli.default_group import default_command_app
from boxoffice.i18n import N_, _

scan_app = default_command_app(
    N_("Door check-in, offline: scan tickets from a barcode scanner, stdin or a photo.\n\n"
    "`boxoffice scan --event E ...` is `boxoffice scan check --event E ...` (see its --help).\n\n"
    "Examples:\n"
    "  boxoffice scan check --event jazz\n"
    "  boxoffice scan --event gala\n"
    "  boxoffice scan stats gala"),
    "check")


def _scan_stream(ctx: Any, ev: Any, direction: str, json_out: bool) -> int:
    """Scan the lines of stdin as they come; return how many were refused.

    Reading never waits for an answer: each line goes to the door's writer (services/door_writer.py), which
    commits whatever is queued in one transaction, and a second thread shows each answer, in order, once the
    commit holding it is done. A person at a keyboard-wedge scanner sees each answer after its own commit; a
    file or a handheld's buffer piped in is committed a group at a time. A line `x` switches exit mode.
    """
    import queue
    import threading
    from concurrent.futures import Future

    from boxoffice.services.door import check_direction
    from boxoffice.services.door_writer import DoorWriter

    shown: queue.SimpleQueue[Future[Any] | str | None] = queue.SimpleQueue()
    outcome: dict[str, Any] = {"refused": 0, "error": None}

    def show() -> None:
        while (item := shown.get()) is not None:
            if outcome["error"] is not None:
                continue  # after an error (a pause, recovery) nothing more is shown, as when it stopped the run
            if isinstance(item, str):
                if not json_out:
                    secho(item, bold=True, err=True)
                continue
            try:
                ans = item.result()
            except BaseException as exc:  # noqa: BLE001 - raised again in the main thread below
                outcome["error"] = exc
                continue
            _show_answer(ans, json_out)
            outcome["refused"] += ans["result"] == "refused"

    printer = threading.Thread(target=show, name="door-answers", daemon=True)
    printer.start()
    try:
        with DoorWriter(ctx) as writer:
            for line in sys.stdin:
                if outcome["error"] is not None:
                    break
                word = line.strip().lower()
                if not word:
                    continue
                if word == "x":
                    direction = "in" if direction == "out" else "out"
                    check_direction(ev, direction)
                    shown.put("EXIT mode" if direction == "out" else "entry mode")
                    continue
                shown.put(writer.submit(ev, line.rstrip("\r\n"), direction))
    except KeyboardInterrupt:
        echo("", err=True)
    finally:
        shown.put(None)
        printer.join()
    if outcome["error"] is not None:
        raise outcome["error"]
    return int(outcome["refused"])


@scan_app.command("check")
def scan_check(event: str = typer.Option(None, "--event", help=_("The event at this door (default: the only "
                                                                "event today).")),
               exit_: bool = typer.Option(False, "--exit", help=_("Exit scans (events with re-entry).")),
               image: Path = typer.Option(None, "--image", help=_("Read the QR code(s) from an image file.")),
               json_out: bool = typer.Option(False, "--json", help=_("One JSON object per scan, one per line."))
               ) -> None:
    """Check tickets in: one token per line from a barcode scanner (keyboard wedge) or stdin, or --image FILE.

    Each answer is one line: ADMIT (green) or REFUSED: reason (red). A line `x` switches exit mode on and off.
    Exit status 6 if any ticket was refused. `boxoffice scan --event ...` is the same command. Without --event,
    the only event today. Examples:
      boxoffice scan check --event gala
      boxoffice scan check --event gala --json < scans.txt
      boxoffice scan check --event gala --image phone-photo.png
    """
    from boxoffice.services.door import check_direction, door_event, scan_batch
    from boxoffice.services.tickets import decode_image

    refused = 0
    with terminal() as ctx:
        ctx.require("scan")
        ev = door_event(ctx, event)
        direction = "out" if exit_ else "in"
        check_direction(ev, direction)
        if image is not None:
            for ans in scan_batch(ctx, decode_image(str(image)), ev, direction):
                _show_answer(ans, json_out)
                refused += ans["result"] == "refused"
        else:
            if not json_out and sys.stdin.isatty():
                echo((_("Scanning for {event} (EXIT). x: exit mode; Ctrl-D or Ctrl-C to stop.") if exit_ else
                      _("Scanning for {event} (entry). x: exit mode; Ctrl-D or Ctrl-C to stop.")).format(event=ev.name),
                     err=True)
            refused += _scan_stream(ctx, ev, direction, json_out)
    if refused:
        raise typer.Exit(6)


@scan_app.command("check-id", context_settings=TOKEN_ARGUMENT)
def scan_check_id(token: str = typer.Argument(..., help=_("The ticket's token text (quote it: it may hold spaces).")),
                  id_number: str = typer.Option(..., "--id-number", help=_("The ID number typed or scanned from the "
                                                "document the customer shows; hashed, never kept or shown.")),
                  id_kind: str = typer.Option(None, "--id-kind", help=_("resident, passport or other (default: the "
                                              "holder's document kind).")),
                  json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Real-name events: say whether an ID document is the ticket holder's: MATCH, or NO MATCH (exit status 6).

    The ticket is checked as at the door (signature, revocation, the holder's binding); nothing is recorded: scan
    the ticket to admit. Example:
      boxoffice scan check-id 'NCF8...' --id-number 11010519491231002X
    """
    from boxoffice.domain.holders import id_kind as parse_kind
    from boxoffice.services.holders import check_id

    with terminal() as ctx:
        out = check_id(ctx, token, id_number, parse_kind(id_kind) if id_kind else None)
    if json_out:
        emit_json(out)
        return
    secho(_("  MATCH  {holder}  ").format(holder=out["holder"]["line"]), fg="white", bg="green", bold=True)


@scan_app.command("stats")
def scan_stats(event: str = typer.Argument(..., help=_("Event id.")),
               json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """How many are in now, how many tickets were let in, entries, exits and refusals.

    Example: boxoffice scan stats gala
    """
    from boxoffice.services.door import stats

    with terminal() as ctx:
        out = stats(ctx, event)
    if json_out:
        emit_json(out)
        return
    secho(_("{event}: {count} in now").format(event=out["event"], count=out["in_now"]), bold=True)
    echo(_("  {checked_in} ticket(s) checked in ({entries} entries, {exits} exits); {refused} scan(s) refused; "
           "{here} ticket(s) on this terminal").format(checked_in=out["checked_in"], entries=out["entries"],
                                                        exits=out["exits"], refused=out["refused"],
                                                        here=out["tickets_here"]))


def _show_answer(ans: dict[str, Any], json_out: bool) -> None:
    """One line per scan: a big coloured ADMIT / EXIT / REFUSED, or one JSON object."""
    if json_out:
        body = {k: ans[k] for k in ("result", "ticket_id", "place", "event_id", "direction", "nonce", "at",
                                    "seen_in_sync")}
        if "holder" in ans:
            body["holder"] = ans["holder"]
        if ans["code"]:
            body["error"] = {"code": ans["code"], "message": ans["message"]}
        sys.stdout.write(json_text(body, indent=None) + "\n")
        sys.stdout.flush()
        return
    if ans["result"] == "refused":
        secho(_("  REFUSED: {message}  ").format(message=ans["message"]), fg="white", bg="red", bold=True)
    else:
        admit = ans["result"] == "admit"
        secho((_("  ADMIT  {message}  ") if admit else _("  EXIT  {message}  ")).format(message=ans["message"]),
              fg="white", bg="green" if admit else "blue", bold=True)
        if "holder" in ans:
            secho(_("  HOLDER {holder}: compare with the ID document  ").format(holder=ans["holder"]["line"]),
                  bold=True)
        if not ans["seen_in_sync"]:
            secho(_("  NOT SEEN IN SYNCED DATA: tell a supervisor  "), fg="black", bg="yellow", bold=True)
