"""`boxoffice central pretix ...`: the bridge to a venue's pretix, one round on demand and its status.

`boxoffice central serve --pretix URL ...` runs the same rounds in the background; docs/pretix.md says what is
mapped to what.
"""

from __future__ import annotations

from typing import Any

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import JSON_HELP, clock, config, echo, emit_json, secho
from boxoffice.i18n import N_, _

central_pretix_app = sub_app(_("The bridge to the venue's pretix: run one round now, or see how the last ended."))

URL_HELP = N_("pretix's address, e.g. https://pretix.example.org (plain http only on this machine).")
ORG_HELP = N_("The organizer's short form in pretix.")
EVENT_HELP = N_("A pretix event's short form; repeat for several events.")
TOKEN_HELP = N_("A file (chmod 600) holding the pretix API token; else BOXOFFICE_PRETIX_TOKEN. Never on the "
                "command line, where other users see it.")
STEPS = ("catalogue", "stock", "sales", "web_orders", "checkins")
_DB = typer.Option(None, "--db", help=_(DB_HELP))
_JSON = typer.Option(False, "--json", help=_(JSON_HELP))


@central_pretix_app.command("sync")
def sync(url: str = typer.Option(..., "--url", help=_(URL_HELP)),
         organizer: str = typer.Option(..., "--organizer", help=_(ORG_HELP)),
         event: list[str] = typer.Option(..., "--event", help=_(EVENT_HELP)),
         token_file: str = typer.Option(None, "--token-file", help=_(TOKEN_HELP)),
         step: list[str] = typer.Option(None, "--step", help=_("Only this step (catalogue, stock, sales, web_orders, "
                                                               "checkins); repeat for several.")),
         db: str = _DB, json_out: bool = _JSON) -> None:
    """Run one bridge round now: the catalogue down, vouchers for the terminals' places, sales up, web orders down,
    pickups and check-ins up.

    Every step is safe to repeat; a step pretix fails stops the round there (exit status 8) and the next round takes
    it up again.
    Example: boxoffice central pretix sync --url https://pretix.example.org --organizer venue --event gala
    --token-file /etc/boxoffice/pretix.token
    """
    from boxoffice.central.pretix.service import sync_once
    from boxoffice.central.pretix.settings import load
    from boxoffice.errors import BoxOfficeError

    unknown = [s for s in step or () if s not in STEPS]
    if unknown:
        raise BoxOfficeError("bad_input", _("no bridge step {step!r}: {steps}").format(step=unknown[0],
                                                                                        steps=", ".join(STEPS)))
    config()  # the venue's language ([venue] language): pretix's names are taken in it
    outcome = sync_once(central_db(db), load(url, organizer, event, token_file=token_file), clock(),
                        tuple(step or ()), token_file=token_file)
    if json_out:
        emit_json(outcome)
    else:
        for name, counts in outcome["steps"].items():
            shown = ", ".join(f"{k} {v}" for k, v in counts.items()) or _("nothing to do")
            echo(f"{name}: {shown}")
    if outcome["error"]:
        err = outcome["error"]
        if not json_out:
            secho(_("stopped at {step}: {message}").format(step=err["step"], message=err["message"]), fg="red",
                  err=True)
        raise typer.Exit(8)


@central_pretix_app.command("status")
def status(db: str = _DB, json_out: bool = _JSON) -> None:
    """How the last bridge round ended, when the last good one ran, and where each pull stands.

    Example: boxoffice central pretix status --json
    """
    from boxoffice.central.pretix.service import status as do_status

    body = do_status(central_db(db))
    if json_out:
        emit_json(body)
        return
    last = body["last_round"]
    if last is None:
        echo(_("no bridge round has run on this central database"))
        _show_checkins(body["checkins"])
        return
    echo(_("last round: {at} ({outcome})").format(at=last["at"], outcome=_("ok") if last["ok"] else _("stopped")))
    for name, counts in last["steps"].items():
        echo(f"  {name}: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or _("nothing to do")))
    if last["error"]:
        secho("  " + last["error"]["message"], fg="red")
    echo(_("last good round: {at}").format(at=body["last_good_round"] or "-"))
    _show_checkins(body["checkins"])


def _show_checkins(ups: dict[str, Any]) -> None:
    """Where the pickups and door check-ins going up to pretix stand, and the newest that pretix refused."""
    echo(_("pickups and check-ins up: {pending} pending, {sent} sent, {refused} refused by pretix, {conflict} "
           "flagged").format(**ups))
    for r in ups["refused_recent"]:
        secho("  " + _("refused: {kind} of ticket {ticket} (entry {entry}) on {event}: {reason}").format(
            kind=r["kind"], ticket=r["ticket_id"] or "-", entry=r["entry_id"], event=r["pretix_event"],
            reason=r["result"]), fg="yellow")


@central_pretix_app.command("orders")
def orders(failed: bool = typer.Option(False, "--failed", help=_("Only the sales pretix refused, with its reason.")),
           db: str = _DB, json_out: bool = _JSON) -> None:
    """The terminal sales the bridge sent up to pretix: each one's pretix code and state, and pretix's reason for
    those it refused.

    Example: boxoffice central pretix orders --failed
    """
    from boxoffice.central.pretix.orders_up import listing

    body = listing(central_db(db), failed_only=failed)
    if json_out:
        emit_json(body)
        return
    echo(", ".join(f"{state} {n}" for state, n in body["counts"].items()) or _("no sale has gone up to pretix"))
    for o in body["orders"]:
        line = f"{o['code'] or o['order_id']}  {o['pretix_event']}  {o['pretix_code'] or '-'}  {o['state']}"
        echo(line + (f"  {o['error']}" if o["error"] else ""))
