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

OWN, VENUE, CENTRAL = "own", "venue", "central"

# What each code means, as the sentence under a report's total says it.
PHRASES: dict[str, str] = {
    "box_office": "box-office sales",
    "exchanges": "exchanges (the old tickets' value shows as tender exchange_credit)",
    "comps": "comps (at 0.00)",
    "other_terminals": "other terminals' sales",
    "web": "paid web orders",
    "unpaid_web": "unpaid web orders (listed apart)",
    "refunds_paid_back": "refunds (report refunds; a refunded ticket stays counted as sold)",
    "not_synced": "work not synced yet",
    "refunds": "refunds of any order",
    "exchange_refunds": "exchanges that paid back (reason exchange)",
    "fees_kept": "fees kept",
    "exchange_credit": "exchanges settled by credit alone",
    "other_terminals_refunds": "other terminals' refunds (central report refunds)",
    "venue_refunds": "refunds (the central service's PDF has the venue's)",
    "handouts": "tickets handed out (a ticket two desks handed out counts at each; conflicts: the later one)",
    "other_desks": "other desks' handouts",
    "waiting": "paid tickets not handed out yet, as known here",
    "box_office_handover": "box-office sales",
    "refunded_tickets": "refunded and exchanged tickets",
    "admissions": "admissions and exits",
    "refusals": "refused scans",
    "other_doors": "other doors' scans",
    "other_doors_refusals": "other doors' refusals (central report checkins)",
    "issued_context": "tickets column: the event's valid paid tickets known here",
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

_WHAT = {"sales": "sales", "refunds": "refunds", "pickups": "pickups", "checkins": "door scans",
         "end_of_day": "end-of-day figures"}


def scope(kind: str, where: str, terminal: str | None) -> dict[str, Any]:
    """The ``scope`` of a report: where it was made, the codes it includes and excludes, and the sentence saying so.

    ``terminal`` names the terminal making it (None on the central service).
    """
    includes, excludes = TABLES[kind][where]
    what = _WHAT[kind]
    if where == OWN:
        head = f"Counts this terminal's own {what} ({terminal}): "
    elif where == VENUE:
        head = f"Counts the venue's {what} as {terminal} knows them from sync: "
    else:
        web = ", and the web shop's" if kind in ("sales", "end_of_day") else ""
        head = f"Counts every terminal's {what} as synced{web}: "
    text = (head + "; ".join(PHRASES[c] for c in includes) + ". Leaves out: "
            + "; ".join(PHRASES[c] for c in excludes) + ".")
    return {"level": "terminal" if where == OWN else "venue", "terminal": terminal,
            "source": "central" if where == CENTRAL else "terminal", "includes": list(includes),
            "excludes": list(excludes), "text": text}
