"""`boxoffice central allocate`, `allocations`, `recall` and `write-off`: places granted to terminals."""

from __future__ import annotations

import typer

from boxoffice.cli.allocation import _split
from boxoffice.cli.central.common import central_db
from boxoffice.cli.common import (
    JSON_HELP,
    clock,
    echo,
    emit_json,
    table,
)
from boxoffice.i18n import _


def _bridge(db: str | None) -> None:
    """In bridge mode places move in pretix too: a grant raises the terminal's voucher first, a write-off lowers it
    after (central/services/stock_gate.py). Bridge mode: BOXOFFICE_PRETIX_BRIDGE, or a database a bridge round
    ran on."""
    from boxoffice.central.pretix.gate import install_for

    install_for(central_db(db))


def allocate(
    event: str = typer.Argument(..., help=_("Event id.")),
    terminal_: str = typer.Option(..., "--terminal", help=_("Terminal: its id, name or tag.")),
    section: str = typer.Option(..., "--section", help=_("Section id.")),
    count: int = typer.Option(0, "--count", help=_("Standing places to grant.")),
    seats: str = typer.Option(None, "--seats", help=_("Reserved seats to grant, e.g. A1,A2,B5.")),
    include_held: bool = typer.Option(False, "--include-held",
                                      help=_("Also release the named seats the venue holds back (house seats) to "
                                             "this terminal, which may then sell them; recorded with the grant.")),
    db: str = typer.Option(None, "--db", help=_("Central database (else BOXOFFICE_CENTRAL_DB).")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Grant a terminal places to sell: a count of standing places or named seats, only from what is free.

    Free is capacity minus web sales, every terminal's allocation and the seats the venue holds back. A held seat
    is granted only with --include-held. Only a terminal enrolled with the sell role gets places. The terminal gets
    them at its next sync.
    Example: boxoffice central allocate gala --terminal "Counter 1" --section standing --count 200
    """
    from boxoffice.central.services.allocation_admin import allocate as do_allocate

    _bridge(db)

    out = do_allocate(central_db(db), event, terminal_, section, count, _split(seats), clock(), include_held)
    if json_out:
        emit_json(out)
        return
    what = ", ".join(out["seats"]) if out["seats"] else _("{count} place(s)").format(count=out["count"])
    held = (_("; held seats released to it: {seats}").format(seats=", ".join(out["held_released"]))
            if out["held_released"] else "")
    echo(_("Granted {what} of {section} to {terminal}{held}; it gets them at its next sync ({free} left free).").format(
        what=what, section=section, terminal=out["terminal_name"], held=held, free=out["free"]))


def allocations(
    event: str = typer.Argument(..., help=_("Event id.")),
    db: str = typer.Option(None, "--db", help=_("Central database (else BOXOFFICE_CENTRAL_DB).")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Per section: capacity, sold on the web, allocated to each terminal, held by the venue, free.

    They always add up: web sold + allocated + held + free = capacity, a terminal's allocation counting what it sold
    from it (`balanced` in --json; a section that does not is named, and is a bug to report). Sections and terminals
    by name (--json: their ids, with the names beside).
    Example: boxoffice central allocations gala --json
    """
    from boxoffice.central.services.admin import venue_timezone
    from boxoffice.central.services.allocation_admin import summary

    rows = summary(central_db(db), event)
    if json_out:
        emit_json(rows)
        return
    tz = venue_timezone(central_db(db))
    echo(table([(r["section_name"], r["kind"], r["capacity"], r["web_sold"],
                       ", ".join(f"{r['terminal_names'][k]}: {v}" for k, v in r["allocated"].items()) or "-",
                       r["held"], r["free"], _notes(r, tz)) for r in rows],
                     [_("section"), _("kind"), _("capacity"), _("web sold"), _("allocated"), _("held"), _("free"),
                      _("notes")]))
    off = [r["section_name"] for r in rows if not r["balanced"]]
    if off:
        echo(_("WARNING: web sold + allocated + held + free != capacity in {sections}: report this.").format(
            sections=", ".join(off)))
    else:
        echo(_("In every section: web sold + allocated + held + free = capacity."))


def _notes(row: dict, tz: str) -> str:
    from boxoffice.domain.clock import when_text

    names = row["terminal_names"]
    notes = [_("recall pending: {terminal}").format(terminal=names[t]) for t in row.get("recalls_pending", [])]
    out: dict[str, list[str]] = {}
    for seat, holder in row.get("house_seats_released", {}).items():
        out.setdefault(holder, []).append(seat)
    notes += [_("house seats released to {terminal}: {seats}").format(terminal=names.get(t, t), seats=", ".join(seats))
              for t, seats in out.items()]
    for w in row.get("write_offs", []):
        said = (_("RISK: {risk} written off from {terminal} by {by} on {when} ({reason}), {late} sold after")
                if w["late_sales"] else _("RISK: {risk} written off from {terminal} by {by} on {when} ({reason})"))
        notes.append(said.format(risk=w["risk"], terminal=names[w["terminal_id"]], by=w["by"],
                                 when=when_text(w["at"], tz), reason=w["reason"], late=w["late_sales"]))
    return "; ".join(notes) or "-"


def recall(
    event: str = typer.Argument(..., help=_("Event id.")),
    terminal_: str = typer.Option(..., "--terminal", help=_("Terminal: its id, name or tag.")),
    section: str = typer.Option(None, "--section", help=_("Only this section (else every section of the event).")),
    reason: str = typer.Option(..., "--reason", help=_("Why: the terminal shows it when a sale is refused.")),
    by: str = typer.Option("central box office", "--by", help=_("Who recalls.")),
    db: str = typer.Option(None, "--db", help=_("Central database (else BOXOFFICE_CENTRAL_DB).")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Pull a terminal's unsold places back: at its next sync it gives them up and stops selling there.

    The places are freed here when the terminal's release arrives (the sync after); until then the recall is
    pending in `boxoffice central allocations`. A new `central allocate` lets the terminal sell again.
    Example: boxoffice central recall gala --terminal "Counter 2" --section standing --reason "closing the desk"
    """
    from boxoffice.central.services.allocation_admin import recall as do_recall

    out = do_recall(central_db(db), event, terminal_, section, reason, by, clock())
    if json_out:
        emit_json(out)
        return
    what = ", ".join(_("{section} ({held} held)").format(section=r["section_id"], held=r["held"])
                     for r in out["recalls"]) or _("nothing new")
    said = _("Recalled {what} from {terminal}; freed when it syncs and its release arrives.").format(
        what=what, terminal=out["terminal_name"])
    if out["already_pending"]:
        said += _(" Already pending: {sections}.").format(sections=", ".join(out["already_pending"]))
    echo(said)


def write_off(
    event: str = typer.Argument(..., help=_("Event id.")),
    terminal_: str = typer.Option(..., "--terminal", help=_("Terminal: its id, name or tag (a revoked one too).")),
    by: str = typer.Option(..., "--by", help=_("The supervisor who declares the terminal dead.")),
    reason: str = typer.Option(..., "--reason", help=_("Why, e.g. 'counter 3 stolen'.")),
    yes: bool = typer.Option(False, "--yes", help=_("Confirm: the places are freed now, whatever it sold offline.")),
    db: str = typer.Option(None, "--db", help=_("Central database (else BOXOFFICE_CENTRAL_DB).")),
    json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP)),
) -> None:
    """Free a dead terminal's places of an event now, except what it is known to have sold; flag the risk.

    What it may have sold offline is recorded as a risk (`central conflicts`, `central allocations`); a sale it
    pushes later from those places is flagged, never silently accepted. Needs --yes.
    Example: boxoffice central write-off gala --terminal "Counter 3" --by "Ann Lee" --reason "stolen" --yes
    """
    from boxoffice.central.services.allocation_admin import write_off as do_write_off
    from boxoffice.errors import BoxOfficeError

    _bridge(db)

    if not yes:
        raise BoxOfficeError("bad_input", _("a write-off frees places the terminal may have sold offline: add --yes "
                                            "to confirm (or `boxoffice central recall` if the terminal still "
                                            "syncs)"))
    out = do_write_off(central_db(db), event, terminal_, by, reason, clock())
    if json_out:
        emit_json(out)
        return
    echo(table([(s["section_id"], s["held"], s["known_sold"], s["freed"]) for s in out["sections"]],
                     [_("section"), _("held"), _("known sold"), _("freed (risk)")]))
    echo(_("Wrote off {terminal}'s places of {event}: {risk} freed place(s) it may have sold offline are flagged in "
           "`boxoffice central conflicts`.").format(terminal=out["terminal_name"], event=event, risk=out["risk"]))
