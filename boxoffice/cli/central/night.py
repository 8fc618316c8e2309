"""`boxoffice central alerts` and `central seats`: the night across every terminal, on the central database."""

from __future__ import annotations

import typer

from boxoffice.cli.central.common import DB_HELP, central_db
from boxoffice.cli.common import JSON_HELP, clock, config, echo, echo_styled, emit_json, secho, styled, table
from boxoffice.i18n import _

_DB = typer.Option(None, "--db", help=_(DB_HELP))
_JSON = typer.Option(False, "--json", help=_(JSON_HELP))


def alerts(db: str = _DB, json_out: bool = typer.Option(False, "--json", help=_(JSON_HELP))) -> None:
    """Alerts across every terminal: terminals out of touch, allocations running out, sales and refund rates,
    refused scans at the doors, and every alert raised on a terminal (as of its last sync).

    Thresholds are the config's [alerts] table, as on a terminal (sync_stale_minutes: how long without a sync is
    too long). Example: boxoffice central alerts --json
    """
    from boxoffice.central.services.alerts import alerts as work_out
    from boxoffice.cli.reports import show_alerts

    show_alerts(work_out(central_db(db), config().alerts, clock()), json_out,
                lambda a: ", ".join(a["terminals"]) if a["source"] == "terminal" else _("central"))


# free, held by the venue, sold on the web; a terminal's letter: lower case allocated to it, upper case sold by it
_LETTERS = "ABCDEFGIJKLMNPQRSTUVXYZ"  # no H, O or W: those mean held, free and web
_FIXED = {"free": ("o", "green"), "held": ("h", "yellow"), "web": ("W", "magenta")}


def seats(event: str = typer.Argument(..., help=_("Event id.")),
          section: str = typer.Option(None, "--section", "-s", help=_("Only this section.")),
          db: str = _DB, json_out: bool = _JSON) -> None:
    """Where every place is: free, held, sold on the web, allocated to which terminal, sold by which terminal.

    Reserved sections as a seat map (o free, h held, W web; each terminal a letter, lower case allocated to it,
    upper case sold by it); standing sections per terminal: allocated, sold, left.
    Example: boxoffice central seats gala --section stalls
    """
    from boxoffice.central.services.allocation_map import show

    m = show(central_db(db), event, section)
    if json_out:
        emit_json(m)
        return
    letters: dict[str, str] = {}
    for sec in m["sections"]:
        for row in sec.get("rows", []):
            for s in row["seats"]:
                for who in (s["allocated_to"], s["sold_by"]):
                    if who is not None and who not in letters:
                        letters[who] = _LETTERS[len(letters)] if len(letters) < len(_LETTERS) else "?"
    secho(f"{m['name']} ({m['event']})", bold=True)
    for sec in m["sections"]:
        if sec["kind"] == "reserved":
            c = sec["counts"]
            secho(_("{name} ({id}): {free} free, {allocated} allocated unsold, {sold} sold at terminals, {web} sold "
                    "on the web, {held} held; capacity {capacity}").format(
                        name=sec["name"], id=sec["id"], free=c["free"], allocated=c["allocated"], sold=c["sold"],
                        web=c["web"], held=c["held"], capacity=sec["capacity"]), bold=True)
            for row in sec["rows"]:
                parts = [styled(f"{row['row']:>3} ")]
                for s in row["seats"]:
                    if s["state"] in _FIXED:
                        sym, colour = _FIXED[s["state"]]
                    elif s["state"] == "sold":
                        sym, colour = letters[s["sold_by"]], "red"
                    else:
                        sym, colour = letters[s["allocated_to"]].lower(), "cyan"
                    parts.append(("   " if s["aisle_before"] else "") + styled(sym, fg=colour))
                echo_styled(parts)
        else:
            secho(_("{name} ({id}): {free} free, {web} sold on the web; capacity {capacity}").format(
                name=sec["name"], id=sec["id"], free=sec["free"], web=sec["web_sold"], capacity=sec["capacity"]),
                bold=True)
            if sec["terminals"]:
                echo(table([(t["terminal"], t["allocated"], t["sold"], t["left"]) for t in sec["terminals"]],
                                 [_("terminal"), _("allocated"), _("sold"), _("left")]))
    legend = "  ".join(f"{x}/{x.lower()} {name}" for name, x in letters.items())
    echo(_("legend: o free  h held  W web  {letters} (upper case sold, lower case allocated)").format(letters=legend)
         if legend else _("legend: o free  h held  W web"))
