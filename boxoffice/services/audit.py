"""The audit trail: verify the journal's hash chain and the money tables against it, and show who did what.

``verify`` runs two independent checks.

1. **The chain** (domain.chain.find_breaks detects; ``diagnose`` below says what happened). Each entry's hash
   covers its fields and the previous entry's hash, so by hand:

   - *edited*: an entry's contents no longer match its hash (or were rewritten with a new hash, which the next
     entry's link then gives away);
   - *deleted*: an entry is missing (a gap in the sequence, or the link points at a hash nobody has; when the later
     entries were renumbered to hide the gap, their hashes still give their old numbers);
   - *inserted*: an entry sits between two entries that link to each other directly;
   - *reordered*: an entry follows another than the one it was written after;
   - *renumbered*: entries whose contents are intact but whose sequence numbers were changed.

   Entries a ``restore`` entry declares missing (a terminal put back from an older copy of its database, whose
   `boxoffice sync recover` has not brought them back yet, or never can because they never reached the central
   service) are a *declared gap*: reported apart (``declared_gaps``), not as a deletion.

2. **The records** (``reconcile``). Every sale's order and payments, every refund, exchange, shift and cash
   movement is written in the same transaction as a journal entry that holds a copy of it. A record with no
   journal entry (*unrecorded*: the entry was deleted, for instance the newest one, which no chain can show) or
   whose amount differs from its journal copy (*mismatch*: the table was edited instead of the journal) is
   reported too.

3. **The checkpoints** (services/checkpoints.py). Every ``domain.checkpoints.EVERY`` entries, at shift close and
   at each sync the terminal signs the chain's head with its key. A checkpoint whose entry is gone or hashes
   otherwise now is *rewritten*: someone rewrote the journal and recomputed every hash after the point they changed.

What this cannot see on its own: such a rewrite by someone who also holds the terminal's key file and signs new
checkpoints. The central service keeps the last checkpoint each terminal pushed and refuses the next push of a chain
that no longer contains it (``journal_rewritten``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from boxoffice.domain.chain import GENESIS, declared_gap, entry_hash, find_breaks, walk
from boxoffice.domain.clock import iso, to_utc, when_text
from boxoffice.domain.money import format_money
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _, ngettext
from boxoffice.services import audit_missing, audit_reconcile, checkpoints
from boxoffice.services.context import Ctx
from boxoffice.store import journal as journal_store
from boxoffice.store import operators as operator_store
from boxoffice.store import refunds as refund_store

RENUMBER_SEARCH = 8  # how far from its place an intact entry's original number is looked for


class AuditSummary(TypedDict):
    """A journal that holds (:func:`verify`): how many entries, the last one and its hash, and the gaps the
    journal itself declared (``breaks`` is empty; with breaks the same summary goes with ``audit_failed``)."""

    ok: bool
    entries: int
    last_seq: int
    head: str
    breaks: list[dict[str, Any]]
    declared_gaps: list[dict[str, Any]]


class LogEntry(TypedDict):
    """One line of the audit log (:func:`log`): when, what kind, who, and a few words on what it did."""

    seq: int
    at: str
    at_local: str
    kind: str
    operator: str | None
    what: str
    id: str


def _recomputed(e: Mapping[str, Any], seq: int | None = None) -> str:
    return entry_hash(e["prev_hash"], id=e["id"], seq=e["seq"] if seq is None else seq, terminal_id=e["terminal_id"],
                      kind=e["kind"], operator_id=e["operator_id"], at=e["at"], payload=e["payload"])


def _original_seq(e: Mapping[str, Any]) -> int | None:
    """The sequence number an entry was written with, if it is intact apart from its number (searched nearby)."""
    for k in range(1, RENUMBER_SEARCH + 1):
        for seq in (e["seq"] + k, e["seq"] - k):
            if seq > 0 and _recomputed(e, seq) == e["hash"]:
                return seq
    return None


def diagnose(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every break in a journal (entries in sequence order), each as {seq, id, kind, problem}. Pure.

    ``find_breaks`` decides whether the chain holds; this says, for each place it does not, which of edited,
    deleted, inserted, reordered or renumbered explains it (see the module docstring).
    """
    if not find_breaks(entries):
        return []
    return _Diagnosis(entries).run()


class _Diagnosis:
    """One walk over a broken journal, entry by entry, naming what explains each break.

    Kept as one object because the steps share what the walk has learnt so far: where each hash sits, which
    hashes some entry links to, which entries were already reported as moved, and the breaks found (a renumbered
    run grows as the walk goes on; an insertion replaces what was said about the entry before it).
    """

    def __init__(self, entries: Sequence[Mapping[str, Any]]) -> None:
        from boxoffice.domain.privacy import vouched

        self.entries = entries
        self.erased = vouched(entries)  # entries a privacy purge erased, as erased
        self.by_hash = {e["hash"]: i for i, e in enumerate(entries)}
        self.referenced = {e["prev_hash"] for e in entries}
        self.moved: set[int] = set()
        self.out: list[dict[str, Any]] = []

    def run(self) -> list[dict[str, Any]]:
        for i, e in enumerate(self.entries):
            self._explain_entry(i, e)
        for b in self.out:
            b.pop("last", None)
        return self.out

    def _add(self, i: int, kind: str, problem: str) -> None:
        self.out.append({"seq": self.entries[i]["seq"], "id": self.entries[i]["id"], "kind": kind,
                         "problem": problem})

    def _explain_entry(self, i: int, e: Mapping[str, Any]) -> None:
        prev_hash = self.entries[i - 1]["hash"] if i else GENESIS
        expected_seq = self.entries[i - 1]["seq"] + 1 if i else 1
        intact = _recomputed(e) in (e["hash"], self.erased.get(e["id"]))
        if intact and _declared_missing_before(e, expected_seq):
            return  # a restore declared the entries before it missing (domain.chain.declared_gap)
        if e["prev_hash"] == prev_hash:
            if not intact:
                self._changed_in_place(i, e)
            return
        src = -1 if e["prev_hash"] == GENESIS else self.by_hash.get(e["prev_hash"])
        if src is None:
            self._link_to_nowhere(i, e, intact, prev_hash, expected_seq)
        else:
            self._link_elsewhere(i, e, src)

    def _changed_in_place(self, i: int, e: Mapping[str, Any]) -> None:
        """Linked to the entry before it but no longer matching its hash: renumbered, or edited."""
        orig = _original_seq(e)
        if orig is None:
            self._add(i, "edited", _("its contents were changed after it was written"))
            return
        last = self.out[-1] if self.out else None
        if last is not None and last["kind"] == "renumbered" and last["last"] == e["seq"] - 1:
            last["last"] = e["seq"]
            last["problem"] = _("entries {first} to {last} were renumbered").format(first=last["seq"], last=e["seq"])
        else:
            self._add(i, "renumbered", _("entry {seq} was written as number {orig}").format(seq=e["seq"], orig=orig))
            self.out[-1]["last"] = e["seq"]

    def _link_to_nowhere(self, i: int, e: Mapping[str, Any], intact: bool, prev_hash: str,
                         expected_seq: int) -> None:
        """Linked to a hash no entry has: entries deleted (renumbered or not), or the entry before rewritten."""
        orig = None if intact else _original_seq(e)
        if orig is not None and orig > e["seq"]:
            gone = orig - e["seq"]
            self._add(i, "deleted", ngettext(
                "{count} entry before it were deleted and the rest renumbered (it was written as number {orig})",
                "{count} entries before it were deleted and the rest renumbered (it was written as number {orig})",
                gone).format(count=gone, orig=orig))
            self.out[-1]["last"] = e["seq"]
        elif e["seq"] > expected_seq:
            self._add(i, "deleted", _("entry {seq} deleted").format(seq=expected_seq)
                      if e["seq"] - expected_seq == 1 else
                      _("entries {first} to {last} deleted").format(first=expected_seq, last=e["seq"] - 1))
        elif self._previous_rewritten(i, prev_hash):
            self._add(i - 1, "edited", _("it was rewritten, hash and all, after it was written (the entry after it "
                                         "still links to the original)"))
        else:
            self._add(i, "deleted", _("the entry it was written after is missing"))

    def _previous_rewritten(self, i: int, prev_hash: str) -> bool:
        """The entry before ``i`` was rewritten with a fresh hash: nobody links to it, yet it is self-consistent."""
        return (bool(i) and self.entries[i - 1]["hash"] not in self.referenced
                and _recomputed(self.entries[i - 1]) == prev_hash)

    def _link_elsewhere(self, i: int, e: Mapping[str, Any], src: int) -> None:
        """Linked to an entry that is not the one before it: that one was inserted, or this one was moved."""
        if src == i - 2 and self.entries[i - 1]["hash"] not in self.referenced and i - 1 not in self.moved:
            self.out[:] = [b for b in self.out if b["seq"] != self.entries[i - 1]["seq"]]
            self._add(i - 1, "inserted", _("it was put between entries {before} and {after}, which link to each "
                                           "other").format(before=self.entries[i - 2]["seq"], after=e["seq"]))
            self.moved.add(i - 1)
        elif src in self.moved:
            return  # a consequence of the move already reported
        else:
            now = self.entries[i - 1]["seq"] if i else _("nothing")
            said = (_("it was written after the start but now follows entry {now}") if src == -1 else
                    _("it was written after entry {before} but now follows entry {now}"))
            self._add(i, "reordered", said.format(before=self.entries[src]["seq"] if src != -1 else "", now=now))
            self.moved.add(i)


def _declared_missing_before(e: Mapping[str, Any], expected_seq: int) -> bool:
    """Whether ``e`` is a restore entry declaring missing the entries between the one before it and itself."""
    gap = declared_gap(e)
    return gap is not None and e["seq"] > expected_seq and gap[0] <= expected_seq - 1


# Which fields of a record must equal its copy in the journal.
_COMPARED = {
    "orders": ("event_id", "total", "currency"),
    "payments": ("order_id", "kind", "tender", "amount", "card_last4", "shift_id"),
    "refunds": ("order_id", "amount", "fee", "reason_code", "override", "demand_band", "demand_scale_bp"),
    "exchanges": ("from_order_id", "to_order_id", "credit", "new_total", "difference"),
    "shifts": ("operator_id", "float"),
    "cash_movements": ("shift_id", "kind", "amount"),
}


def _copies(payload: Any, into: dict[str, dict[str, Any]]) -> None:
    """Every dict with an ``id`` anywhere in a payload: the journal's copy of a record."""
    if isinstance(payload, dict):
        if isinstance(payload.get("id"), str):
            into.setdefault(payload["id"], payload)
        for v in payload.values():
            _copies(v, into)
    elif isinstance(payload, list):
        for v in payload:
            _copies(v, into)


def reconcile(entries: Sequence[Mapping[str, Any]], records: Mapping[str, list[dict[str, Any]]]) -> list[dict]:
    """Records with no journal copy, or that differ from it. Pure: ``records`` is table -> rows."""
    copies: dict[str, dict[str, Any]] = {}
    for e in entries:
        try:
            _copies(json.loads(e["payload"]), copies)
        except (ValueError, TypeError):
            continue  # an entry edited into bad JSON is reported by the chain already
    out = []
    for table, recs in records.items():
        for r in recs:
            copy = copies.get(r["id"])
            if copy is None:
                out.append({"seq": None, "id": r["id"], "kind": "unrecorded",
                            "problem": _("{table} row {id} has no journal entry (the entry was deleted, or the "
                                         "row was added by hand)").format(table=table, id=r["id"])})
                continue
            diff = [f for f in _COMPARED[table] if f in copy and copy[f] != r[f]]
            if diff:
                out.append({"seq": None, "id": r["id"], "kind": "mismatch",
                            "problem": _("{table} row {id}: {fields} but the journal says {journal}").format(
                                table=table, id=r["id"],
                                fields=", ".join(_("{field} is {value!r}").format(field=f, value=r[f]) for f in diff),
                                journal=", ".join(repr(copy[f]) for f in diff))})
    return out


def priced_as_paid(ctx: Ctx) -> list[dict[str, Any]]:
    """Orders whose ticket prices disagree with the money taken for them: a price edited in the tickets table,
    which no journal copy is compared against, would otherwise pass (refunds pay the tenders' share either way)."""
    from boxoffice.domain.paid_share import disagreeing, order_takings

    mine = (None, ctx.terminal["id"])  # orders another terminal or the web shop sold are theirs to answer for
    orders = [o | {"takings": order_takings(o["paid"], o["credit"], o["total"],
                                            has_tenders=bool(o["tenders"] or o["exchanges"]))}
              for o in refund_store.takings(ctx.conn) if o["channel"] == "box_office" and o["terminal_id"] in mine]
    return [{"seq": None, "id": o["id"], "kind": "mismatch",
             "problem": _("order {code}: its tickets' prices add up to {priced} but {taken} was taken for it (a "
                          "ticket's price was changed)").format(code=o["code"], priced=o["priced"], taken=o["takings"])}
            for o in disagreeing(orders)]


def verify(ctx: Ctx) -> AuditSummary:
    """Check the chain and the records; raise ``audit_failed`` (exit 9) listing every break, else a summary."""
    ctx.require("audit")
    entries = list(journal_store.iter_entries(ctx.conn))
    breaks = (diagnose(entries) + checkpoints.problems(ctx, entries)
              + reconcile(entries, refund_store.money_records(ctx.conn, _COMPARED))
              + audit_missing.check(ctx.conn, entries)  # and every money record the journal wrote still there
              + audit_reconcile.check(ctx.conn, entries)  # tickets, revocations, pickups, operators
              + priced_as_paid(ctx))
    summary: AuditSummary = {
        "ok": not breaks, "entries": len(entries), "last_seq": entries[-1]["seq"] if entries else 0,
        "head": entries[-1]["hash"] if entries else GENESIS, "breaks": breaks, "declared_gaps": walk(entries)[1]}
    if breaks:
        kinds = sorted({b["kind"] for b in breaks})
        signed = next((f"{b['problem']}; " for b in breaks if b["kind"] == "rewritten"), "")
        raise BoxOfficeError("audit_failed", _("the journal was changed behind the tool's back: {signed}{count} "
                                               "problem(s) ({kinds}); keep this database as evidence and tell a "
                                               "supervisor").format(signed=signed, count=len(breaks),
                                                                    kinds=", ".join(kinds)), **summary)
    return summary


def _when(ctx: Ctx, text: str | None) -> str | None:
    """A --since/--until value (venue local unless it says otherwise) as stored UTC text."""
    if not text:
        return None
    from boxoffice.services.refunds import venue_tz

    return iso(to_utc(text, venue_tz(ctx)))


def summarise(kind: str, payload: dict[str, Any], names: Mapping[str, str], currency: str) -> str:
    """One line saying what an entry did, for people; other kinds show their payload's keys."""

    def m(v: int) -> str:
        return format_money(v, currency)

    if kind == "sale":
        o = payload["order"]
        return _("order {code}: {count} ticket(s), {total}").format(
            code=o["code"], count=len(payload.get("tickets", [])), total=m(o["total"]))
    if kind == "refund":
        r = payload["refund"]
        flag = _("; OVERRIDE {why}").format(why=r["override_why"]) if r.get("override") else ""
        return _("refund {amount} (fee {fee}) of {count} ticket(s), reason {reason}{flag}").format(
            amount=m(r["amount"]), fee=m(r["fee"]), count=len(payload.get("items", [])), reason=r["reason_code"],
            flag=flag)
    if kind == "exchange":
        x = payload["exchange"]
        return _("exchange of {count} ticket(s) into order {code}, difference {difference}").format(
            count=len(payload.get("old_tickets", [])), code=payload["order"]["code"], difference=m(x["difference"]))
    if kind in ("cash.in", "cash.out"):
        mv = payload["movement"]
        said = {"in": _("cash in {amount}: {reason}"), "out": _("cash out {amount}: {reason}")}.get(
            mv["kind"], "cash {kind} {amount}: {reason}")
        return said.format(kind=mv["kind"], amount=m(mv["amount"]), reason=mv["reason"])
    if kind == "drawer.open":
        return _("drawer opened: {reason}").format(reason=payload["movement"]["reason"])
    if kind == "shift.open":
        return _("shift opened with float {float}").format(float=m(payload["shift"]["float"]))
    if kind == "shift.close":
        approved = payload.get("approved_by")
        return _("shift closed: expected {expected}, counted {counted}, variance {variance}").format(
            expected=m(payload["expected"]), counted=m(payload["counted"]), variance=m(payload["variance"])) + \
            (_(" ({note}; approved by {approver})").format(note=payload.get("note"),
                                                           approver=names.get(approved, approved))
             if approved else "")
    if kind == "shift.count":
        return _("drawer counted: {counted}").format(counted=m(payload["counted"]))
    who = payload.get("operator")
    if kind in ("operator.unlock", "operator.pin_reset") and isinstance(who, str):
        done = (_("unlocked operator {name}, approved by {approver}") if kind == "operator.unlock" else
                _("PIN reset for operator {name}, approved by {approver}"))
        approver = names.get(payload.get("approved_by") or "", "?")
        return done.format(name=names.get(who, payload.get("name", who)), approver=approver)
    if isinstance(who, str) and who in names:
        return _("operator {name}").format(name=names[who])
    return ", ".join(sorted(payload))[:80]


def log(ctx: Ctx, *, operator: str | None = None, kind: str | None = None, since: str | None = None,
        until: str | None = None, limit: int | None = None) -> list[LogEntry]:
    """Who did what and when, oldest first: filtered by operator name, kind (``shift`` also matches
    ``shift.open``...) and a [since, until) window in venue time."""
    ctx.require("audit")
    names = {o["id"]: o["name"] for o in operator_store.list_all(ctx.conn)}
    op_id = None
    if operator:
        op = operator_store.by_name(ctx.conn, operator)
        if op is None:
            raise BoxOfficeError("not_found", _("no operator named {name!r}").format(name=operator))
        op_id = op["id"]
    from boxoffice.services.refunds import venue_tz
    from boxoffice.store.catalog import venue

    tz, cur = venue_tz(ctx), str(ctx.config.currency or (venue(ctx.conn) or {}).get("currency") or "XXX")
    out: list[LogEntry] = []
    for e in journal_store.iter_entries(ctx.conn, operator_id=op_id, since=_when(ctx, since),
                                        until=_when(ctx, until)):
        if kind and not (e["kind"] == kind or e["kind"].startswith(kind + ".")):
            continue
        try:
            payload = json.loads(e["payload"])
            text = summarise(e["kind"], payload, names, cur)
        except (ValueError, KeyError, TypeError):
            text = _("(unreadable payload)")
        out.append({"seq": e["seq"], "at": e["at"], "at_local": when_text(e["at"], tz, year=True, seconds=True),
                    "kind": e["kind"], "operator": names.get(e["operator_id"] or "", e["operator_id"]),
                    "what": text, "id": e["id"]})
    return out[-limit:] if limit else out
