"""What a report counts and what it leaves out, said once for every report kind and place it is made.

A manager reconciles the night from several reports: the terminals' own, a terminal's view of the venue, the
central service's. Each report carries its scope, both as stable codes for scripts (``includes`` / ``excludes``,
which never change with wording) and as one sentence that a table or PDF prints under its total, so nobody has to
read the code to know whether web orders, exchange credit or comps are in a figure.

Three places a report is made:

``own``      a terminal, by default: only what this terminal did (its sales, refunds, handouts, door scans).
``venue``    a terminal asked for the venue (``--venue``): everything it knows from sync as well (other terminals'
             sales, handouts and admissions, the web shop's orders), as far as it has synced.
``central``  the central service: every terminal's work as pushed, and the web shop; the sum of the terminals' own.
"""

from __future__ import annotations

from typing import Any

from boxoffice.i18n import N_, _

OWN, VENUE, CENTRAL = "own", "venue", "central"

# What each code means, as the sentence under a report's total says it.
PHRASES: dict[str, str] = {
    "box_office": N_("box-office sales"),
    "exchanges": N_("exchanges (the old tickets' value shows as tender exchange_credit)"),
    "comps": N_("comps (at 0.00)"),
    "other_terminals": N_("other terminals' sales"),
    "web": N_("paid web orders"),
    "unpaid_web": N_("unpaid web orders (listed apart)"),
    "refunds_paid_back": N_("refunds (report refunds; a refunded ticket stays counted as sold)"),
    "not_synced": N_("work not synced yet"),
    "refunds": N_("refunds of any order"),
    "exchange_refunds": N_("exchanges that paid back (reason exchange)"),
    "fees_kept": N_("fees kept"),
    "exchange_credit": N_("exchanges settled by credit alone"),
    "other_terminals_refunds": N_("other terminals' refunds (central report refunds)"),
    "venue_refunds": N_("refunds (the central service's PDF has the venue's)"),
    "handouts": N_("tickets handed out (a ticket two desks handed out counts at each; conflicts: the later one)"),
    "other_desks": N_("other desks' handouts"),
    "waiting": N_("paid tickets not handed out yet, as known here"),
    "box_office_handover": N_("box-office sales"),
    "refunded_tickets": N_("refunded and exchanged tickets"),
    "admissions": N_("admissions and exits"),
    "refusals": N_("refused scans"),
    "other_doors": N_("other doors' scans"),
    "other_doors_refusals": N_("other doors' refusals (central report checkins)"),
    "issued_context": N_("tickets column: the event's valid paid tickets known here"),
}

_SALES = {
    OWN: (["box_office", "exchanges", "comps"], ["other_terminals", "web", "unpaid_web", "refunds_paid_back"]),
    VENUE: (["box_office", "exchanges", "comps", "other_terminals", "web"],
            ["unpaid_web", "refunds_paid_back", "not_synced"]),
    CENTRAL: (["box_office", "exchanges", "comps", "web"], ["unpaid_web", "refunds_paid_back", "not_synced"]),
}
_REFUNDS = {
    OWN: (["refunds", "exchange_refunds", "fees_kept"], ["other_terminals_refunds", "exchange_credit"]),
    CENTRAL: (["refunds", "exchange_refunds", "fees_kept"], ["exchange_credit", "not_synced"]),
}
_PICKUPS = {
    OWN: (["handouts", "waiting", "unpaid_web"], ["other_desks", "box_office_handover", "refunded_tickets"]),
    VENUE: (["handouts", "other_desks", "waiting", "unpaid_web"],
            ["box_office_handover", "refunded_tickets", "not_synced"]),
    CENTRAL: (["handouts", "other_desks", "waiting", "unpaid_web"],
              ["box_office_handover", "refunded_tickets", "not_synced"]),
}
_CHECKINS = {
    OWN: (["admissions", "refusals", "issued_context"], ["other_doors"]),
    VENUE: (["admissions", "other_doors", "refusals", "issued_context"], ["other_doors_refusals", "not_synced"]),
    CENTRAL: (["admissions", "other_doors", "refusals"], ["not_synced"]),
}
_END_OF_DAY = {
    OWN: (["box_office", "exchanges", "comps", "refunds", "exchange_refunds", "fees_kept"],
          ["other_terminals", "web", "unpaid_web", "other_terminals_refunds"]),
    VENUE: (["box_office", "exchanges", "comps", "other_terminals", "web"],
            ["unpaid_web", "venue_refunds", "not_synced"]),
    CENTRAL: (["box_office", "exchanges", "comps", "web", "refunds", "exchange_refunds", "fees_kept"],
              ["unpaid_web", "not_synced"]),
}
TABLES: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "sales": _SALES, "refunds": _REFUNDS, "pickups": _PICKUPS, "checkins": _CHECKINS, "end_of_day": _END_OF_DAY}

_WHAT = {"sales": N_("sales"), "refunds": N_("refunds"), "pickups": N_("pickups"), "checkins": N_("door scans"),
         "end_of_day": N_("end-of-day figures")}


def scope(kind: str, where: str, terminal: str | None) -> dict[str, Any]:
    """The ``scope`` of a report: where it was made, the codes it includes and excludes, and the sentence saying so.

    ``terminal`` names the terminal making it (None on the central service).
    """
    includes, excludes = TABLES[kind][where]
    what = _(_WHAT[kind])
    if where == OWN:
        head = _("Counts this terminal's own {what} ({terminal}): ").format(what=what, terminal=terminal)
    elif where == VENUE:
        head = _("Counts the venue's {what} as {terminal} knows them from sync: ").format(what=what, terminal=terminal)
    elif kind in ("sales", "end_of_day"):
        head = _("Counts every terminal's {what} as synced, and the web shop's: ").format(what=what)
    else:
        head = _("Counts every terminal's {what} as synced: ").format(what=what)
    sep = _("; ")
    text = _("{head}{includes}. Leaves out: {excludes}.").format(
        head=head, includes=sep.join(
            _(PHRASES[c]) for c in includes), excludes=sep.join(_(PHRASES[c]) for c in excludes))
    return {"level": "terminal" if where == OWN else "venue", "terminal": terminal,
            "source": "central" if where == CENTRAL else "terminal", "includes": list(includes),
            "excludes": list(excludes), "text": text}
