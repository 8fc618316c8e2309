"""`boxoffice scan ...`: door check-in, offline, from a barcode scanner, stdin or a photo."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from boxoffice.cli.common import (
    JSON_HELP,
    echo,
    emit_json,
    json_text,
    secho,
    terminal,
)
from boxoffice.cli.default_group import default_command_app

scan_app = default_command_app(
    "Door check-in, offline: scan tickets from a barcode scanner, stdin or a photo.\n\n"
    "`boxoffice scan --event E ...` is `boxoffice scan check --event E ...` (see its --help).\n\n"
    "  boxoffice scan check       boxoffice scan --event gala-1208       boxoffice scan stats gala-1208",
    "check")


def _line_batches(stream: Any) -> Iterator[list[str]]:
    """Lines from stdin, grouped by what has arrived together.

    A person at a keyboard-wedge scanner gets each line on its own, at once; a file or a handheld's buffer piped
    in arrives in large reads, and each read's complete lines are checked together and committed once.
    """
    try:
        fd = stream.fileno()
        interactive = os.isatty(fd)
    except (AttributeError, OSError, ValueError):
        fd, interactive = None, True
    if fd is None or interactive:
        for line in stream:
            yield [line]
        return
    rest = b""
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        if lines:
            yield [ln.decode("utf-8", "replace") for ln in lines]
    if rest:
        yield [rest.decode("utf-8", "replace")]


@scan_app.command("check")
def scan_check(event: str = typer.Option(None, "--event", help="The event at this door (default: the only "
                                                                "event today)."),
               exit_: bool = typer.Option(False, "--exit", help="Exit scans (events with re-entry)."),
               image: Path = typer.Option(None, "--image", help="Read the QR code(s) from an image file."),
               json_out: bool = typer.Option(False, "--json", help="One JSON object per scan, one per line.")
               ) -> None:
    """Check tickets in: one token per line from a barcode scanner (keyboard wedge) or stdin, or --image FILE.

    Each answer is one line: ADMIT (green) or REFUSED: reason (red). A line `x` switches exit mode on and off.
    Exit status 6 if any ticket was refused. `boxoffice scan --event ...` is the same command. Examples:
      boxoffice scan check                      (the only event today)
      boxoffice scan check --event gala-1208 --json < scans.txt
      boxoffice scan check --event gala-1208 --image phone-photo.png
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
                echo(f"Scanning for {ev.name} ({'EXIT' if exit_ else 'entry'}). x: exit mode; "
                           "Ctrl-D or Ctrl-C to stop.", err=True)
            try:
                for batch in _line_batches(sys.stdin):
                    run: list[str] = []
                    for line in [*batch, None]:
                        if line is not None and line.strip().lower() not in ("x", ""):
                            run.append(line.rstrip("\r\n"))
                            continue
                        for ans in scan_batch(ctx, run, ev, direction) if run else []:
                            _show_answer(ans, json_out)
                            refused += ans["result"] == "refused"
                        run = []
                        if line is not None and line.strip().lower() == "x":
                            direction = "in" if direction == "out" else "out"
                            check_direction(ev, direction)
                            if not json_out:
                                secho("EXIT mode" if direction == "out" else "entry mode", bold=True, err=True)
            except KeyboardInterrupt:
                echo("", err=True)
    if refused:
        raise typer.Exit(6)


@scan_app.command("stats")
def scan_stats(event: str = typer.Argument(..., help="Event id."),
               json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """How many are in now, how many tickets were let in, entries, exits and refusals.

    Example: boxoffice scan stats gala-1208
    """
    from boxoffice.services.door import stats

    with terminal() as ctx:
        out = stats(ctx, event)
    if json_out:
        emit_json(out)
        return
    secho(f"{out['event']}: {out['in_now']} in now", bold=True)
    echo(f"  {out['checked_in']} ticket(s) checked in ({out['entries']} entries, {out['exits']} exits); "
               f"{out['refused']} scan(s) refused; {out['tickets_here']} ticket(s) on this terminal")


def _show_answer(ans: dict[str, Any], json_out: bool) -> None:
    """One line per scan: a big coloured ADMIT / EXIT / REFUSED, or one JSON object."""
    if json_out:
        body = {k: ans[k] for k in ("result", "ticket_id", "place", "event_id", "direction", "nonce", "at",
                                    "seen_in_sync")}
        if ans["code"]:
            body["error"] = {"code": ans["code"], "message": ans["message"]}
        sys.stdout.write(json_text(body, indent=None) + "\n")
        sys.stdout.flush()
        return
    if ans["result"] == "refused":
        secho(f"  REFUSED: {ans['message']}  ", fg="white", bg="red", bold=True)
    else:
        word = "ADMIT" if ans["result"] == "admit" else "EXIT"
        secho(f"  {word}  {ans['message']}  ", fg="white", bg="green" if word == "ADMIT" else "blue",
              bold=True)
        if not ans["seen_in_sync"]:
            secho("  NOT SEEN IN SYNCED DATA: tell a supervisor  ", fg="black", bg="yellow", bold=True)
