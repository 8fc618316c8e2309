"""`boxoffice orders import`, `keys ...`, `pickup ...`, `scan ...` and `counter`: the pickup desk and the door."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from boxoffice.cli.app import sub_app
from boxoffice.cli.common import JSON_HELP, TOKEN_ARGUMENT, emit_json, finish_printing, table, terminal


class _DefaultCommandGroup(TyperGroup):
    """A group whose first argument, when it is no sub-command, goes to a default command.

    So `boxoffice pickup WQ7K-2M4X` means `boxoffice pickup give WQ7K-2M4X`, and `boxoffice scan --event E` means
    `boxoffice scan check --event E`, while `pickup find` and `scan stats` stay sub-commands (codes never clash with
    command names). With nothing after it the group shows its help, as every group does.
    """

    default_command = ""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


class _PickupGroup(_DefaultCommandGroup):
    default_command = "give"


class _ScanGroup(_DefaultCommandGroup):
    default_command = "check"


def _group(help_text: str, cls: type[TyperGroup], no_args_is_help: bool) -> typer.Typer:
    return typer.Typer(help=help_text, cls=cls, rich_markup_mode=None, no_args_is_help=no_args_is_help,
                       add_completion=False, context_settings={"help_option_names": ["-h", "--help"]})


orders_app = sub_app("Orders from other channels (the web shop): import them for the pickup desk and the door.")
keys_app = sub_app("Public keys whose tickets this terminal accepts (the central service's, other terminals').")
pickup_app = _group("Will-call: find an order and hand it out exactly once.\n\n"
                    "  boxoffice pickup find 'anna smith'     boxoffice pickup WQ7K-2M4X", _PickupGroup, True)
scan_app = _group("Door check-in, offline: scan tickets from a barcode scanner, stdin or a photo.\n\n"
                  "`boxoffice scan --event E ...` is `boxoffice scan check --event E ...` (see its --help).\n\n"
                  "  boxoffice scan check       boxoffice scan --event gala-1208       boxoffice scan stats gala-1208",
                  _ScanGroup, True)


# --- orders and keys ----------------------------------------------------------------------------------------


@orders_app.command("import")
def orders_import(file: Path = typer.Argument(..., help="An orders JSON document (schemas/orders.schema.json)."),
                  json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Import web orders with their signed tickets. Any error refuses the whole file, each error located.

    Tokens must verify against a known key (`boxoffice keys import` first). Importing the same file again changes
    nothing; an order paid since, or with new notes, is updated. Needs a supervisor.
    Example: boxoffice orders import web-orders.json
    """
    from boxoffice.services.web_orders import import_orders_file

    with terminal() as ctx:
        out = import_orders_file(ctx, file)
    if json_out:
        emit_json(out)
        return
    typer.echo(f"Imported {out['created']} order(s) with {out['tickets']} ticket(s); {out['updated']} updated, "
               f"{out['unchanged']} unchanged.")
    for w in out["warnings"][:50]:
        typer.secho(f"WARNING: {w}", fg="yellow", err=True)


@keys_app.command("import")
def keys_import(file: Path = typer.Argument(..., help="A JSON list of {key_id, public_key, owner} "
                                                      "(schemas/keys.schema.json)."),
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Trust more ticket-signing keys (until sync brings them). A key id must match its key. Needs an admin.

    Example: boxoffice keys import central-keys.json
    """
    from boxoffice.services.web_orders import import_keys_file

    with terminal() as ctx:
        out = import_keys_file(ctx, file)
    if json_out:
        emit_json(out)
        return
    typer.echo(f"Added {len(out['added'])} key(s); {out['unchanged']} known already.")
    for k in out["added"]:
        typer.echo(f"  {k['key_id']}  {k['owner']}")


@keys_app.command("list")
def keys_list(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List the keys this terminal trusts, its own first.

    Example: boxoffice keys list
    """
    from boxoffice.domain.clock import when_text
    from boxoffice.services.events import venue_tz
    from boxoffice.services.web_orders import list_keys

    with terminal() as ctx:
        keys = list_keys(ctx)
        tz = venue_tz(ctx)
    if json_out:
        emit_json(keys)
        return
    typer.echo(table([(k["key_id"], k["owner"] + (" (this terminal)" if k["own"] else ""), when_text(k["added_at"], tz),
                       when_text(k["revoked_at"], tz, missing="")) for k in keys],
                     ["key id", "owner", "added", "revoked"]))


# --- pickup -------------------------------------------------------------------------------------------------


@pickup_app.command("find", context_settings=TOKEN_ARGUMENT)
def pickup_find(query: list[str] = typer.Argument(..., help="Code, scanned ticket, name, e-mail or phone digits."),
                event: str = typer.Option(None, "--event", help="Only orders for this event."),
                limit: int = typer.Option(20, "--limit", help="At most this many results."),
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Find orders by code (case and hyphens forgiven), scanned ticket, name (any order, accents optional,
    prefixes, Chinese), e-mail, or the last 4+ digits of the phone. Best matches first.

    Examples: boxoffice pickup find wq7k2m4x     boxoffice pickup find smi ann     boxoffice pickup find 0123
    """
    from boxoffice.services.pickup import find

    with terminal() as ctx:
        out = find(ctx, " ".join(query), event, max(1, min(limit, 200)))
    if json_out:
        emit_json(out)
        return
    if out["note"]:
        typer.secho(out["note"], fg="yellow", err=True)
    typer.echo(table([(r["code"], r["name"] or "", r["event"], f"{r['picked_up']}/{r['tickets']}",
                       _state(r), r["notes"] or "", r["match"]) for r in out["results"]],
                     ["code", "name", "event", "out", "state", "notes", "found by"]))


def _state(r: dict[str, Any]) -> str:
    if r["channel"] == "box_office":
        return "sold here"
    if r["status"] == "unpaid":
        return "NOT PAID"
    if r["tickets"] and r["picked_up"] >= r["tickets"]:
        return "handed out"
    return "partly out" if r["picked_up"] else "waiting"


@pickup_app.command("give", context_settings=TOKEN_ARGUMENT)
def pickup_give(code: str = typer.Argument(..., help="Order code, e.g. WQ7K-2M4X, or a scanned ticket of the order "
                                                     "(quote it)."),
                tickets: str = typer.Option(None, "--tickets", help="Only these tickets: ids or their last 8 "
                                                                    "characters, comma separated."),
                count: int = typer.Option(None, "--count", help="Only this many tickets (the rest later)."),
                yes: bool = typer.Option(False, "--yes", "-y", help="The order's note (e.g. ID required) was "
                                                                    "checked: do not ask."),
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Hand an order out: records who and when, prints its tickets. `boxoffice pickup CODE` is the same.

    An unpaid order is refused; a second pickup is refused naming who and when (a supervisor can reprint with
    `boxoffice order reprint`). A note such as "ID required" is shown and must be confirmed.
    Examples:
      boxoffice pickup give WQ7K-2M4X
      boxoffice pickup WQ7K-2M4X --count 2
      boxoffice pickup WQ7K-2M4X --tickets 5f3a9c21,77d0e4b8 --yes
    """
    from boxoffice.errors import BoxOfficeError
    from boxoffice.services.pickup import pick_up, plan_pickup

    if tickets is not None and count is not None:
        raise BoxOfficeError("bad_input", "give --tickets or --count, not both")
    ids = [t.strip() for t in tickets.split(",") if t.strip()] if tickets else None
    with terminal() as ctx:
        ctx.require("pickup")
        plan = plan_pickup(ctx, code, ids, count)
        confirmed = yes
        if plan["notes"] and not yes and not json_out:
            typer.secho(f"NOTE: {plan['notes']}", fg="yellow", bold=True)
            with contextlib.suppress(typer.Abort):
                confirmed = typer.confirm(f"Checked? Hand out {len(plan['chosen'])} ticket(s) of "
                                          f"{plan['order']['code']}", default=False)
            if not confirmed:
                raise BoxOfficeError("conflict", f"not handed out: the note on {plan['order']['code']} was not "
                                                 "confirmed")
        out = pick_up(ctx, code, ticket_ids=ids, count=count, confirmed=confirmed)
    if json_out:
        emit_json(out)
    else:
        who = f" ({out['name']})" if out["name"] else ""
        typer.secho(f"HANDED OUT {out['order']}{who}: {len(out['handed_out'])} ticket(s): "
                    f"{', '.join(out['places'])}", fg="green", bold=True)
        if out["remaining"]:
            typer.echo(f"{out['remaining']} ticket(s) still to hand out.")
    finish_printing(out["print"], json_out)


# --- scan ---------------------------------------------------------------------------------------------------


def _show_answer(ans: dict[str, Any], json_out: bool) -> None:
    """One line per scan: a big coloured ADMIT / EXIT / REFUSED, or one JSON object."""
    if json_out:
        body = {k: ans[k] for k in ("result", "ticket_id", "place", "event_id", "direction", "nonce", "at")}
        if ans["code"]:
            body["error"] = {"code": ans["code"], "message": ans["message"]}
        sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    if ans["result"] == "refused":
        typer.secho(f"  REFUSED: {ans['message']}  ", fg="white", bg="red", bold=True)
    else:
        word = "ADMIT" if ans["result"] == "admit" else "EXIT"
        typer.secho(f"  {word}  {ans['message']}  ", fg="white", bg="green" if word == "ADMIT" else "blue",
                    bold=True)


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
                typer.echo(f"Scanning for {ev.name} ({'EXIT' if exit_ else 'entry'}). x: exit mode; "
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
                                typer.secho("EXIT mode" if direction == "out" else "entry mode", bold=True, err=True)
            except KeyboardInterrupt:
                typer.echo("", err=True)
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
    typer.secho(f"{out['event']}: {out['in_now']} in now", bold=True)
    typer.echo(f"  {out['checked_in']} ticket(s) checked in ({out['entries']} entries, {out['exits']} exits); "
               f"{out['refused']} scan(s) refused; {out['tickets_here']} ticket(s) on this terminal")


# --- counter ------------------------------------------------------------------------------------------------

_STYLES: dict[str, dict[str, Any]] = {
    "admit": {"fg": "white", "bg": "green", "bold": True},
    "refused": {"fg": "white", "bg": "red", "bold": True},
    "ok": {"fg": "green", "bold": True},
    "warn": {"fg": "yellow", "bold": True},
    "title": {"bold": True},
    "info": {},
}


@contextlib.contextmanager
def _hold_interrupts() -> Iterator[list[int]]:
    """Ctrl-C while an action runs waits until it is done: an action is never cut in half, and its answer is shown."""
    held: list[int] = []
    try:
        old = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    except ValueError:  # not the main thread: nothing to hold
        yield held
        return
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, old)


def counter(event: str = typer.Option(None, "--event", help="The event for quick sales and the door (default: "
                                                            "the only event today)."),
            door: bool = typer.Option(False, "--door", help="Start in door (check-in) mode."),
            exit_: bool = typer.Option(False, "--exit", help="Start the door in exit mode.")) -> None:
    """The desk mode to leave running: scan or type, and the order comes up; Enter hands it out.

    Keeps the database and keys open all evening. At the prompt: a code, ticket, name, e-mail or phone digits
    finds an order; Enter (or p, or p N) hands it out; s SECTION TYPE=N cash AMOUNT sells; d switches to door
    check-in (x: exit mode); h shows help; q quits. Ctrl-C cancels what is on screen (twice quits) and never
    leaves an action half-done. Example: boxoffice counter --event gala-1208
    """
    from boxoffice.services.counter import Counter

    with terminal() as ctx:
        desk = Counter(ctx, event, door=door, exit_mode=exit_)
        op = ctx.operator or {}
        typer.secho(f"{ctx.terminal['name']}: {op.get('name', '?')} at the desk. h for help, q to quit.", bold=True)
        while True:
            try:
                line = input(desk.prompt())
            except KeyboardInterrupt:
                typer.echo("")
                reply = desk.interrupt()
            except EOFError:
                typer.echo("")
                break
            else:
                lines = [line, *_queued_lines()]
                with _hold_interrupts() as held:
                    replies = desk.handle_lines(lines) if len(lines) > 1 else [desk.handle(line)]
                reply = replies[-1]
                if held:
                    reply.add("info", "(Ctrl-C came while saving: the action above was finished first)")
                for earlier in replies[:-1]:
                    _show(earlier)
            _show(reply)
            if reply.quit:
                break


def _show(reply: Any) -> None:
    for ln in reply.lines:
        typer.secho(ln.text, **_STYLES.get(ln.style, {}))


def _queued_lines(most: int = 500) -> list[str]:
    """Lines already typed or scanned and waiting on stdin, read without waiting for more.

    A keyboard-wedge scanner's buffer or a pasted list arrives faster than it is answered; taking the waiting
    lines together lets the door commit them at once (see services.counter.Counter.handle_lines).
    """
    import select

    out: list[str] = []
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return out
    while len(out) < most:
        try:
            ready, _, _ = select.select([fd], [], [], 0)
        except (OSError, ValueError):
            break
        if not ready:
            break
        line = sys.stdin.readline()
        if not line:
            break
        out.append(line.rstrip("\r\n"))
    return out
