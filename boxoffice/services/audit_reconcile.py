"""The records beyond the money that ``audit verify`` holds against the journal: tickets, revocations, pickups and
operators (services/audit.py reconciles orders, payments, refunds, exchanges, shifts and cash).

Each of these is written in the same transaction as a journal entry that names it, so by hand:

- a *ticket* of this terminal's own sale with no sale (or exchange) entry was issued outside a sale (``unrecorded``),
  and one whose price, place or token differs from its entry was changed (``mismatch``);
- a ticket a refund or exchange entry took back must be on the *revocation* list and no longer valid: a revocation
  deleted would let the door admit a refunded ticket (``missing``, ``mismatch``);
- a *pickup* entry's rows must be in the pickups table and its tickets marked handed out, or the desk would hand
  them out again (``missing``, ``mismatch``); a pickup row no entry wrote is ``unrecorded``;
- an *operator* must have been added by an ``operator.add`` entry, with the name and role it gave, and be disabled
  exactly when the last ``operator.disable``/``operator.enable`` entry says: a role raised by hand is a ``mismatch``.

What this cannot tell apart: a revocation added by hand from one another terminal's refund sent here by sync (both
have no entry in this journal); the central service's copy of that other journal answers it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from boxoffice.i18n import _
from boxoffice.store import audit_records as store

TICKET_FIELDS = ("section_id", "row", "seat", "ticket_type_id", "price", "tax", "token")


@dataclass
class Told:
    """What the journal says about tickets, revocations, pickups and operators, walked once in order."""

    tickets: dict[str, tuple[int, str, dict[str, Any]]] = field(default_factory=dict)  # id -> (seq, order, copy)
    revoked: dict[str, tuple[int, str]] = field(default_factory=dict)  # ticket -> (seq, 'refunded' | 'exchanged')
    pickups: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # id -> (seq, order, ticket)
    # (order, ticket) -> seq, of pickup entries that name no pickup rows: written by releases before the entry listed
    # them (as services/sync/replay.py reads them too); their rows are matched by what they handed out
    handed: dict[tuple[str, str], int] = field(default_factory=dict)
    operators: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {seq, name, role, disabled}


def told(entries: Sequence[Mapping[str, Any]]) -> Told:
    """Read the entries that write these records. Pure; an unreadable payload is left to the chain's check."""
    out = Told()
    for e in entries:
        kind = e["kind"]
        if kind not in ("sale", "exchange", "holder_change", "refund", "pickup") and not kind.startswith("operator."):
            continue
        try:
            p = json.loads(e["payload"])
            _read(out, e["seq"], kind, p)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
    return out


def _read(out: Told, seq: int, kind: str, p: dict[str, Any]) -> None:
    if kind in ("sale", "exchange", "holder_change"):  # a holder change: a new ticket, the old one revoked
        for t in p.get("tickets", []):
            out.tickets[t["id"]] = (seq, p["order"]["id"], t)
    if kind in ("exchange", "holder_change"):
        for tid in p.get("old_tickets", []):
            out.revoked[tid] = (seq, "exchanged")
    elif kind == "refund":
        for tid in p.get("revoked") or [i["ticket_id"] for i in p.get("items", [])]:
            out.revoked[tid] = (seq, "refunded")
    elif kind == "pickup":
        if "pickups" not in p:
            for tid in p.get("tickets", []):
                out.handed[(p["order"], tid)] = seq
        for r in p.get("pickups", []):
            out.pickups[r["id"]] = (seq, p["order"], r["ticket_id"])
    elif kind == "operator.add":
        out.operators[p["operator"]] = {"seq": seq, "name": p["name"], "role": p["role"], "disabled": 0}
    elif kind in ("operator.disable", "operator.enable") and p["operator"] in out.operators:
        out.operators[p["operator"]].update(seq=seq, disabled=int(kind == "operator.disable"))


def _fields(diff: list[str], row: Mapping[str, Any]) -> str:
    """The fields that differ and their values here: "price is 4500, tax is 750"."""
    return ", ".join(_("{field} is {value!r}").format(field=f, value=row[f]) for f in diff)


def _gap(kind: str, problem: str, record_id: str, seq: int | None = None) -> dict[str, Any]:
    return {"seq": seq, "id": record_id, "kind": kind, "problem": problem}


def tickets(t: Told, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each of this terminal's tickets has its sale entry, and matches it."""
    out = []
    for r in rows:
        src = t.tickets.get(r["id"])
        if src is None:
            out.append(_gap("unrecorded", _("tickets row {id} (order {code}) has no sale entry: a ticket issued "
                                            "outside a sale").format(id=r["id"], code=r["code"]), r["id"]))
            continue
        seq, order_id, copy = src
        diff = [f for f in TICKET_FIELDS if f in copy and copy[f] != r[f]]
        if order_id != r["order_id"]:
            out.append(_gap("mismatch", _("tickets row {id} belongs to order {code} but entry {seq} sold it in order "
                                          "{order}").format(id=r["id"], code=r["code"], seq=seq, order=order_id),
                            r["id"], seq))
        if diff:
            out.append(_gap("mismatch", _("tickets row {id}: {fields} but entry {seq} says {journal}").format(
                id=r["id"], fields=_fields(diff, r), seq=seq, journal=", ".join(repr(copy[f]) for f in diff)),
                r["id"], seq))
    return out


def revocations(t: Told, revoked: set[str], states: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every ticket a refund or exchange took back is on the revocation list and no longer valid."""
    out = []
    for tid, (seq, why) in t.revoked.items():
        if tid not in revoked:
            said = (_("ticket {ticket} was refunded at entry {seq} but is not on the revocation list: the door "
                      "would admit it") if why == "refunded" else
                    _("ticket {ticket} was exchanged at entry {seq} but is not on the revocation list: the door "
                      "would admit it"))
            out.append(_gap("missing", said.format(ticket=tid, seq=seq), tid, seq))
        state = states.get(tid)
        if state is not None and state["status"] == "valid":
            said = (_("tickets row {ticket} is valid but entry {seq} says it was refunded") if why == "refunded" else
                    _("tickets row {ticket} is valid but entry {seq} says it was exchanged"))
            out.append(_gap("mismatch", said.format(ticket=tid, seq=seq), tid, seq))
    return out


def pickups(t: Told, rows: list[dict[str, Any]], states: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every pickup made here has its entry and every entry's pickups are here, their tickets handed out."""
    out = []
    here = {r["id"]: r for r in rows}
    for r in rows:
        src = t.pickups.get(r["id"])
        if src is None and (r["order_id"], r["ticket_id"]) in t.handed:
            continue  # an older release's entry, naming the ticket it handed out rather than the row
        if src is None:
            out.append(_gap("unrecorded", _("pickups row {id} (ticket {ticket}) has no pickup entry").format(
                id=r["id"], ticket=r["ticket_id"]), r["id"]))
        elif (src[1], src[2]) != (r["order_id"], r["ticket_id"]):
            out.append(_gap("mismatch", _("pickups row {id} is of ticket {ticket} but entry {seq} handed out ticket "
                                          "{other}").format(id=r["id"], ticket=r["ticket_id"], seq=src[0],
                                                            other=src[2]), r["id"], src[0]))
    for pid, (seq, _order, tid) in t.pickups.items():
        if pid not in here:
            out.append(_gap("missing", _("pickup {pickup} of ticket {ticket} at entry {seq} is not in the pickups "
                                         "table: the ticket could be handed out again").format(
                pickup=pid, ticket=tid, seq=seq), pid, seq))
        state = states.get(tid)
        if state is not None and state["picked_up_at"] is None:
            out.append(_gap("mismatch", _("tickets row {ticket} is not handed out but entry {seq} handed it "
                                          "out").format(ticket=tid, seq=seq), tid, seq))
    return out


def operators(t: Told, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The operators table is what the operator entries made of it."""
    out = []
    here = {r["id"] for r in rows}
    for r in rows:
        src = t.operators.get(r["id"])
        if src is None:
            out.append(_gap("unrecorded", _("operators row {name} has no operator.add entry: added by "
                                            "hand").format(name=r["name"]), r["id"]))
            continue
        diff = [f for f in ("name", "role", "disabled") if src[f] != r[f]]
        if diff:
            out.append(_gap("mismatch", _("operators row {name}: {fields} but the journal says {journal} (entry "
                                          "{seq})").format(name=r["name"], fields=_fields(diff, r),
                                                           journal=", ".join(repr(src[f]) for f in diff),
                                                           seq=src["seq"]), r["id"], src["seq"]))
    for oid, src in t.operators.items():
        if oid not in here:
            out.append(_gap("missing", _("operator {name} added at entry {seq} is not in the operators "
                                         "table").format(name=src["name"], seq=src["seq"]), oid, src["seq"]))
    return out


def check(conn: Any, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every gap between these records and the journal, tickets first, then revocations, pickups, operators."""
    t = told(entries)
    states = store.ticket_states(conn)
    return (tickets(t, store.own_tickets(conn)) + revocations(t, store.revoked(conn), states)
            + pickups(t, store.own_pickups(conn), states) + operators(t, store.operators(conn)))
