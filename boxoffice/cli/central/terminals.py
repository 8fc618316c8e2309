"""`boxoffice central enroll-code`, `terminals`, `terminal set-cap`, `revoke` and `withdraw-checkins`: enrolled
terminals."""

from __future__ import annotations

import typer

from boxoffice.cli.app import sub_app
from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import (
    JSON_HELP,
    clock,
    confirm,
    echo,
    emit_json,
    secho,
    table,
)
from boxoffice.i18n import _

central_terminal_app = sub_app(_("Settings of enrolled terminals: how many unsold places a top-up may leave one "
                                 "holding."))


def enroll_code(
    name: str = typer.Option(..., "--name", help=_("Which terminal it is for, e.g. 'Counter 2'.")),
    hours: float = typer.Option(24, "--hours", help=_("How long the code works.")),
    roles: str = typer.Option("sell,pickup,door", "--roles",
                              help=_("What the terminal is for, comma-separated: sell, pickup, door. Only a terminal "
                                     "with sell gets places to sell (grants, top-ups).")),
    readmit: bool = typer.Option(False, "--readmit", help=_("Let this code bring back a revoked terminal of this "
                                                            "name (same machine, same key); without it a revoked "
                                                            "terminal is refused.")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Make a one-time enrollment code for a terminal (type it there: `boxoffice sync enroll URL CODE`).

    The code works only for a terminal of that name (any case). The terminal keeps the code's roles. A pickup
    desk or door scanner enrolled with --roles pickup,door never takes places from the sellers.
    After `central revoke`, --readmit lets the terminal back. Examples:
      boxoffice central enroll-code --name "Door 1" --roles door
      boxoffice central enroll-code --name "Counter 2" --readmit
    """
    from boxoffice.central.services.admin import enroll_code as make
    from boxoffice.central.services.admin import venue_timezone
    from boxoffice.domain.clock import when_text

    out = make(central_db(db), name, hours, clock(), roles, readmit)
    if json_out:
        emit_json(out)
        return
    until = when_text(out["expires_at"], venue_timezone(central_db(db)))
    said = (_("Enrollment code for {name} ({roles}): {code}  (one use, until {until}; may readmit it after a "
              "revocation)") if readmit
            else _("Enrollment code for {name} ({roles}): {code}  (one use, until {until})"))
    echo(said.format(name=out["name"], roles=", ".join(out["roles"]), code=out["code"], until=until))


def terminals(
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """List enrolled terminals: tag, roles, top-up cap, key, entries pushed, last heard from, revoked or not.

    Times in the venue's zone (--json: ISO). Example: boxoffice central terminals --db postgresql://postgres@db/boxoffice
    """
    from boxoffice.central.services.admin import list_terminals, venue_timezone
    from boxoffice.domain.clock import when_text

    rows = list_terminals(central_db(db))
    if json_out:
        emit_json(rows)
        return
    if not rows:
        echo(_("No terminal enrolled yet: `boxoffice central enroll-code --name NAME`."))
        return
    tz = venue_timezone(central_db(db))
    echo(table([(r["name"], r["tag"], ",".join(r["roles"]),
                 (r["allocation_cap"] if r["own_cap"] else _("{cap} (default)").format(cap=r["allocation_cap"]))
                 if "sell" in r["roles"] else "-",
                 r["id"], r["key_id"], r["entries"], when_text(r["last_seen_at"], tz, missing=_("never")),
                 _("REVOKED {when}").format(when=when_text(r["revoked_at"], tz)) if r["revoked_at"] else _("active"))
                for r in rows],
               [_("name"), _("tag"), _("roles"), _("cap"), _("id"), _("key"), _("entries"), _("last seen"),
                _("status")]))


@central_terminal_app.command("set-cap")
def set_cap(
    cap: int = typer.Option(None, "--max", help=_("Most unsold places of one section a top-up leaves the terminal "
                                                   "holding (0: top-ups give nothing).")),
    terminal: str = typer.Option(None, "--terminal", help=_("Terminal id, name or tag; without it, --max sets the "
                                                            "default of every terminal with no cap of its own.")),
    clear: bool = typer.Option(False, "--clear", help=_("With --terminal: drop its own cap; the default applies.")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
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
        raise BoxOfficeError("bad_input", _("give --max N (with --terminal T for one terminal), or --terminal T "
                                            "--clear"))
    out = do_set(central_db(db), None if clear else cap, terminal)
    if json_out:
        emit_json(out)
        return
    if out["terminal_id"] is None:
        echo(_("Default cap: {cap} unsold place(s) per section for every terminal without its own.").format(
            cap=out["default_cap"]))
    elif out["own_cap"]:
        echo(_("{terminal}: top-ups leave it at most {cap} unsold place(s) per section.").format(
            terminal=out["terminal_name"], cap=out["allocation_cap"]))
    else:
        echo(_("{terminal}: its own cap is gone; the default of {cap} applies.").format(
            terminal=out["terminal_name"], cap=out["default_cap"]))


def revoke(
    terminal: str = typer.Argument(..., help=_("Terminal id, tag or name.")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Revoke a terminal: its token stops working at once and every terminal is told.

    Doors keep admitting the tickets it signed that reached the central service before now (they arrive with the
    sync); any other ticket signed with its key is refused (a token carries no signing time). Revoke one that must
    stop with `boxoffice central revoke-ticket`. What it pushed stays; the tickets it admitted at a door can be let
    out again everywhere with `boxoffice central withdraw-checkins`. It can come back only with a new code.

    Example: boxoffice central revoke "Counter 3"
    """
    from boxoffice.central.services.admin import revoke_terminal

    out = revoke_terminal(central_db(db), terminal, clock())
    if json_out:
        emit_json(out)
        return
    if out["already_revoked"]:
        echo(_("{name} was revoked already.").format(name=out["name"]))
    else:
        echo(_("Revoked {name} ({id}): its token no longer works. Doors admit only the tickets it signed that "
               "reached this service; revoke any other that must not be admitted with `boxoffice central "
               "revoke-ticket`.").format(name=out["name"], id=out["terminal_id"]))


def withdraw_checkins(
    terminal: str = typer.Argument(..., help=_("The revoked terminal: id, tag or name.")),
    since: str = typer.Option(..., "--since", help=_("From when its admissions are withdrawn: the venue's local time "
                                                     "this service received them at or after (2026-12-08T19:00).")),
    yes: bool = typer.Option(False, "--yes", help=_("Do not ask for confirmation.")),
    db: str = typer.Option(None, "--db", help=_(DB_HELP)),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Let the tickets a revoked terminal admitted out again on every door, so their real holders get in.

    A stolen door terminal can admit every ticket of the night before it is revoked, and every other door then
    refuses the real holders ("already in at another door"). This gives back each admission it still holds from
    entries received here since --since, and tells every terminal: each door admits those tickets again after its
    next sync. Admissions it let out again, or that another door holds, are not touched.
    Example: boxoffice central withdraw-checkins "Door 3" --since 2026-12-08T19:00
    """
    from boxoffice.central.services.admin import venue_timezone
    from boxoffice.central.services.withdrawals import preview, withdraw

    url = central_db(db)
    tz = venue_timezone(url)
    if not yes and not json_out:
        plan = preview(url, terminal, since, tz, clock())
        if not plan["admissions"] and not plan["handed_back"] and not plan["dated_ahead"]:
            echo(_("{name} holds no admission received since {since}: nothing to withdraw.").format(
                name=plan["name"], since=since))
            _kept_before(plan, since)
            return
        if plan["handed_back"] or plan["dated_ahead"]:
            echo(_("Of its admissions since then, {handed} stay in (another door let their holders in first) and "
                   "{ahead} carry a time ahead of now, left in place.").format(
                handed=len(plan["handed_back"]), ahead=len(plan["dated_ahead"])))
        confirm(_("Withdraw the {count} admission(s) {name} still holds, received since {since}?").format(
            count=plan["admissions"], name=plan["name"], since=since), abort=True)
    out = withdraw(url, terminal, since, tz, clock())
    if json_out:
        emit_json(out)
        return
    echo(_("Withdrew {count} admission(s) by {name}: every door lets those tickets in again after its next "
           "sync.").format(count=out["admissions"], name=out["name"]))
    if out["handed_back"]:
        echo(_("{count} ticket(s) stay in: another door let their holders in first.").format(
            count=len(out["handed_back"])))
    if out["dated_ahead"]:
        secho(_("{count} admission(s) carry a time ahead of now, a forged one: left in place, since letting those "
                "tickets out would let anyone in with them until that time. Admit their holders by hand, or revoke "
                "and reissue the tickets: {tickets}").format(count=len(out["dated_ahead"]),
                                                             tickets=", ".join(out["dated_ahead"][:20])),
              fg="yellow", err=True)
    _kept_before(out, since)


def _kept_before(found: dict, since: str) -> None:
    """Say how many admissions from before --since stay, so a time set too late is noticed."""
    if found["kept_before_since"]:
        echo(_("{count} admission(s) it made before {since} stay; give an earlier --since to withdraw them "
               "too.").format(count=found["kept_before_since"], since=since))
