"""Recall and write-off: the box office takes places back from a terminal, politely or by force.

Recall (the terminal is alive). Central records a ``recall`` move per section; the terminal receives it with its
grants, takes every unsold place of the section out at once, in one transaction with an ``allocation.release``
entry carrying the recall id, and refuses sales there until a new grant. Central frees the places only when that
entry arrives (once per entry id, like any release) and then marks the recall done: until then the places are
still the terminal's here, so nothing can be sold twice, and the recall shows as pending.

Write-off (a supervisor declares the terminal dead). Central cannot wait for an answer, so it frees the
terminal's allocation of the event at once, except the places central knows it sold (its valid tickets here).
What it frees is what the terminal might have sold offline: that risk is recorded on the write-off and flagged as a
conflict (``write_off_risk``) for a supervisor. A sale that terminal pushes later from the event (an entry past the
last one central had at the write-off) is flagged ``sold_after_write_off``, naming the write-off: when the place is
still free it goes back into the terminal's allocation (so nobody else can sell it); when it has gone elsewhere
the flag says the place is oversold. The terminal, if it ever syncs again, receives the write-off like a recall and
drops its unsold places, with no release to send (central freed them already).

Accounting, per section, at every moment: ``web sold + sum of allocations + held + free = capacity``. Freed places
go back to free (a held seat released to the terminal goes back to held); the write-off's risk is a count on the
write-off, not a fifth term. A late sale taken back moves one place from free (or held) to the terminal's
allocation; a late sale oversold changes no term and is the flagged excess.
"""

from __future__ import annotations

import json
from typing import Any

from boxoffice.central.services import allocation_ledger as ledger
from boxoffice.central.services import feed, free_text, stock_gate
from boxoffice.central.store import allocations as rows
from boxoffice.central.store import conflicts, journal, sales, terminals
from boxoffice.central.store.db import CentralDB, storable
from boxoffice.domain.ids import uuid7, uuid_or_none
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

CENTRAL = "central"  # the 'first' party of a conflict the box office itself caused


def _require(reason: str, by: str) -> tuple[str, str]:
    reason, by = reason.strip(), by.strip()
    if not reason or not by:
        raise BoxOfficeError("bad_input", _("give --reason and --by: the terminal shows them to its staff"))
    if len(reason) > 300 or len(by) > 100:
        raise BoxOfficeError("bad_input", _("keep --reason under 300 characters and --by under 100"))
    free_text.refuse_in_text(reason, N_("reason"))
    free_text.refuse_in_text(by, N_("--by name"))
    return reason, by


def _terminal(db: CentralDB, terminal_id: str, *, active: bool) -> dict[str, Any]:
    row = terminals.progress(db, terminal_id)
    if row is None or (active and row["revoked_at"] is not None):
        raise BoxOfficeError("not_found", _("no enrolled terminal {terminal_id!r}: `boxoffice central "
                                            "terminals`").format(terminal_id=terminal_id))
    return row


def _stop(db: CentralDB, kind: str, term: dict[str, Any], event_id: str, section_id: str, held: int, freed: int,
          seats: list[str], reason: str, by: str, now: str, **extra: Any) -> dict[str, Any]:
    move = ledger.record_move(db, kind, term["id"], event_id, section_id, freed, seats, None, now)
    seq = int(term["last_seq"] or 0)
    row = {"id": move["id"], "kind": kind, "terminal_id": term["id"], "event_id": event_id, "section_id": section_id,
           "reason": reason, "by_name": by, "at": now, "held": held, "known_sold": 0, "risk": 0,
           "known_seq": seq, "checked_seq": seq, "state": "pending" if kind == "recall" else "done",
           "done_at": None if kind == "recall" else now, "freed": 0 if kind == "recall" else freed, **extra}
    rows.insert_stop(db, row)
    return row


# -- recall ---------------------------------------------------------------------------------------------------

def recall(db: CentralDB, event_id: str, terminal_id: str, *, section_id: str | None = None, reason: str, by: str,
           now: str) -> dict[str, Any]:
    """Ask a terminal to give back every unsold place of an event (or one section); freed when its release comes.

    One recall per section; a section with a recall still pending for this terminal is left as it is.
    """
    reason, by = _require(reason, by)
    with db.transaction():
        ledger.lock(db)
        term = _terminal(db, terminal_id, active=True)
        secs = [ledger.section(db, event_id, section_id)] if section_id else \
            list(ledger.sections(db, event_id).values())
        made, pending = [], []
        for sec in secs:
            if rows.pending_recall(db, terminal_id, event_id, sec.id):
                pending.append(sec.id)
                continue
            held = ledger.allocated(db, event_id, sec.id).get(terminal_id, 0)
            row = _stop(db, "recall", term, event_id, sec.id, held, 0, [], reason, by, now)
            made.append({"id": row["id"], "section_id": sec.id, "held": held})
    return {"event_id": event_id, "terminal_id": terminal_id, "terminal_name": term["name"], "reason": reason,
            "by": by, "recalls": made, "already_pending": pending}


def recall_released(db: CentralDB, terminal_id: str, recall_id: Any, entry_id: str, freed: int, now: str) -> bool:
    """Mark a recall done when its terminal's release entry was applied (inside that transaction); once."""
    if not isinstance(recall_id, str):
        return False
    return rows.finish_recall(db, recall_id, terminal_id, entry_id, freed, now)


# -- write-off ------------------------------------------------------------------------------------------------

def _sold_by(db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> tuple[int, set[str]]:
    """The valid tickets central has from a terminal in a section: their number and their seats."""
    sold = sales.terminal_tickets_valid(db, terminal_id, event_id, section_id)
    return len(sold), {f"{r['row_label']}{r['seat']}" for r in sold if r["row_label"] is not None}


def write_off(db: CentralDB, event_id: str, terminal_id: str, *, by: str, reason: str, now: str) -> dict[str, Any]:
    """Free a dead terminal's allocation of an event now, except what central knows it sold; flag the rest."""
    reason, by = _require(reason, by)
    with db.transaction():
        ledger.lock(db)
        term = _terminal(db, terminal_id, active=False)
        sections, changes = [], []
        for sec in ledger.sections(db, event_id).values():
            known, known_seats = _sold_by(db, terminal_id, event_id, sec.id)
            if sec.kind == "general":
                held = ledger.allocated(db, event_id, sec.id).get(terminal_id, 0)
                keep = min(held, known)
                rows.set_general(db, event_id, sec.id, terminal_id, keep)
                freed_seats: list[str] = []
                freed = held - keep
            else:
                mine = sorted(s for s, t in ledger.seats_of(db, event_id, sec.id).items() if t == terminal_id)
                held = len(mine)
                freed_seats = [s for s in mine if s not in known_seats]
                rows.remove_seats(db, event_id, sec.id, terminal_id, freed_seats)
                freed = len(freed_seats)
            row = _stop(db, "write_off", term, event_id, sec.id, held, freed, freed_seats, reason, by, now,
                        known_sold=known, risk=freed)
            if freed:
                changes += _flag(db, "write_off_risk", f"{event_id}/{sec.id}: {freed} place(s) freed", None, None,
                                 row, {"terminal_id": terminal_id, "entry_id": row["id"], "at": now},
                                 f"write-off by {by} ({reason}): {term['name']} may have sold these offline; a sale "
                                 "it pushes later is flagged", now)
            sections.append({"id": row["id"], "section_id": sec.id, "kind": sec.kind, "held": held,
                             "known_sold": known, "freed": freed, "seats": freed_seats, "risk": freed})
        feed.append(db, changes, now)
    for s in sections:  # committed: now pretix (stock_gate.py)
        if s["freed"]:
            stock_gate.after_release(db, terminal_id, event_id, s["section_id"])
    return {"event_id": event_id, "terminal_id": terminal_id, "terminal_name": term["name"], "by": by,
            "reason": reason, "sections": sections, "risk": sum(s["risk"] for s in sections)}


def _flag(db: CentralDB, kind: str, subject: str, order_id: str | None, ticket_id: str | None,
          stop: dict[str, Any], second: dict[str, Any], rule: str, now: str) -> list[feed.Change]:
    """A conflict row for the supervisor, and the same flag on the terminal's feed (it sees it if it comes back)."""
    body = {"id": uuid7(), "kind": kind, "subject": subject[:300], "order_id": order_id, "ticket_id": ticket_id,
            "first": {"terminal_id": CENTRAL, "entry_id": stop["id"], "at": stop["at"]}, "second": second,
            "rule": rule[:300], "at": now}
    conflicts.insert(db, body)
    return [feed.Change("conflict", body, origin=None, audience=second["terminal_id"])]


def flag_late_sales(db: CentralDB, terminal_id: str, now: str) -> int:
    """After a push: flag each sale of a written-off event the terminal made that central had not seen at the
    write-off. Each entry is looked at once (``checked_seq`` moves past it). The number of tickets flagged."""
    if not rows.has_write_off(db, terminal_id):
        return 0
    flagged = 0
    with db.transaction():
        ledger.lock(db)
        stops = {(s["event_id"], s["section_id"]): s for s in rows.write_offs(db, terminal_id)}
        since = min(int(s["checked_seq"]) for s in stops.values())
        entries = journal.entries_of_kind_after(db, terminal_id, "sale", since)
        changes: list[feed.Change] = []
        for e in entries:
            order, tickets = _sale(e["payload"])
            for t in tickets:
                if not _readable(order, t):  # a sale's payload as pushed: junk ingest never applied is no sale
                    continue
                stop = stops.get((order["event_id"], t["section_id"]))
                if stop is None or e["seq"] <= int(stop["checked_seq"]):
                    continue
                changes += _late_ticket(db, stop, e, order, t, now)
                flagged += 1
        top = terminals.last_seq(db, terminal_id)
        rows.write_offs_checked_to(db, terminal_id, top)
        feed.append(db, changes, now)
    for event_id, section_id in {(s["event_id"], s["section_id"]) for s in stops.values()} if flagged else ():
        stock_gate.after_release(db, terminal_id, event_id, section_id)  # a late sale taken back: voucher to match
    return flagged


def _sale(payload: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        doc = json.loads(payload)
    except ValueError:
        return {}, []
    order = doc.get("order") if isinstance(doc, dict) else None
    tickets = doc.get("tickets") if isinstance(doc, dict) else None
    if not isinstance(order, dict) or not isinstance(tickets, list):
        return {}, []
    return order, [t for t in tickets if isinstance(t, dict)]


def _readable(order: dict[str, Any], ticket: dict[str, Any]) -> bool:
    """Whether a pushed sale's order and ticket carry ids and name their event, section and place as storable text
    (a list, a number or a NUL there made this check fail every later push of the terminal; an id that is no id,
    sent in a flag, made the terminal refuse its pulls)."""
    def text(v: Any) -> bool:
        return storable(v, 200) and v != ""

    place = [ticket.get("row"), ticket.get("seat")]
    return uuid_or_none(order.get("id")) is not None and uuid_or_none(ticket.get("id")) is not None \
        and text(order.get("event_id")) and text(ticket.get("section_id")) and (
            place == [None, None] or all(text(p) or (type(p) is int and 0 <= p < 10**6) for p in place))


def _late_ticket(db: CentralDB, stop: dict[str, Any], entry: dict[str, Any], order: dict[str, Any],
                 ticket: dict[str, Any], now: str) -> list[feed.Change]:
    """Take the place back into the terminal's allocation if it is still free; flag the sale either way."""
    sec = ledger.section(db, stop["event_id"], stop["section_id"])
    tid = stop["terminal_id"]
    label = f"{ticket.get('row')}{ticket.get('seat')}" if ticket.get("row") is not None else None
    if label is None:
        back = ledger.free(db, sec) > 0
        if back:
            ledger.add_general(db, sec.event_id, sec.id, tid, 1)
    else:  # a seat still free, or held by the venue again, goes back; one sold or allocated elsewhere does not
        back = label in ledger.free_seats(db, sec) | ledger.held_seats(db, sec)
        if back:
            ledger.add_seats(db, sec.event_id, sec.id, tid, [label])
    rows.count_late_sale(db, stop["id"])
    what = ("the place was still free: it is back in the terminal's allocation" if back else
            "the place had been sold or allocated elsewhere: it is oversold, settle it with the customer")
    subject = f"{sec.event_id}/{sec.id}" + (f"/{label}" if label else "")
    ids = [uuid_or_none(order.get("id")), uuid_or_none(ticket.get("id"))]
    return _flag(db, "sold_after_write_off", subject, ids[0], ids[1], stop,
                 {"terminal_id": tid, "entry_id": entry["id"], "at": str(entry["at"])[:40]},
                 f"sold after write-off {stop['id']} by {stop['by_name']} ({stop['reason'][:120]}); {what}", now)
