"""Applying a pushed batch of journal entries: each exactly once, by id, in one transaction per batch.

Order of work inside the transaction, and why:
1. lock the terminal's row (an UPDATE), so two copies of one request (a client retry racing its original) run one
   after the other and the second finds everything there already;
2. refuse an entry whose sequence number is taken by a different entry (the terminal's journal was rebuilt), or is
   far past the terminal's last one here (central/services/entry_checks.py, as is the payload depth refused first);
3. insert the new entries with ON CONFLICT DO NOTHING ... RETURNING: what comes back is exactly what is new;
4. apply the new entries' effects (central/effects.py): orders, claims, conflicts, revocations; and write the
   complaints they add or close (central/services/complaints.py);
5. append the feed changes last, so the feed lock is held only for the moment before commit.
A batch that fails anywhere leaves nothing behind; the terminal sends it again.

Before an entry's effects are applied, central/services/ownership.py judges whether the sender may do it (its roles,
its own order codes and ids, another's tickets only under an override). A refused entry stays in the journal, is not
applied and is flagged to the admin and to the sender alone: the rule and why are in that module's docstring.
A sale is then compared with what the central service granted its terminal (allocation_ledger.Room): tickets past
that allocation are flagged ``oversold`` to the admin and the sender, and applied all the same (a customer may hold
them; a stolen terminal's are revoked with it by the admin).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice.central.errors import CentralError, invalid
from boxoffice.central.services import complaints, customer_limits, entry_checks, feed, free_text, ownership, privacy
from boxoffice.central.services.allocation_ledger import OVERSOLD, OVERSOLD_RULE, Room
from boxoffice.central.services.effects import SECRET_SUBJECT, Claim, Effect, parse_payload, read
from boxoffice.central.store import conflicts, journal, sale_entries, sales, terminals
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.chain import GENESIS, declared_gap, entry_hash
from boxoffice.domain.codes import reused_code
from boxoffice.domain.ids import uuid7, uuid_or_none
from boxoffice.domain.privacy import vouched
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _, ngettext
from boxoffice.wire.messages import problems

RULE = "first applied by central wins; later flagged"
CHAIN_RULE = "a terminal's journal runs unbroken from entry 1; central keeps what it receives and flags the break"
CONFLICT_KIND = {"pickup": "picked_up_twice", "refund": "refunded_twice", "checkin": "checked_in_twice",
                 "seat": "seat_sold_twice", "paid": "paid_twice"}
UNPUBLISHABLE_RULE = "an entry others could not read is kept, but not applied or passed on"
GAP_RULE = ("a terminal put back from an older copy of its database declares the entries that copy lacks; central "
            "keeps what it has, accepts the gap and flags the entries it never received as lost")
CODE_RULE = ("an order code names one order: a second order with it (a terminal put back from an older copy sold "
             "again before it knew how far it had got) is kept as CODE~ID and flagged; the ticket id admits")


def check_entries(terminal: dict[str, Any], entries: Sequence[dict[str, Any]],
                  parsed: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Refuse a batch that writes as another terminal (403) or whose entries do not match their own hashes (422).
    ``parsed``, when given, is filled with each entry's payload as ``effects.parse_payload`` reads it, by entry id:
    the card-number check and the effects then parse each payload once."""
    floats = [f"/entries/{i}/seq: must be a whole number written without a fraction" for i, e in enumerate(entries)
              if not isinstance(e["seq"], int)]
    if floats:
        raise invalid(_("a sequence number is not an integer"), floats)
    for i, e in enumerate(entries):
        if e["terminal_id"] != terminal["id"]:
            raise CentralError(403, "wrong_terminal", _("entry {i} ({id}) belongs to terminal {terminal}; a terminal "
                                                        "can only push its own journal").format(
                                                            i=i, id=e["id"], terminal=e["terminal_id"]),
                               pointer=f"/entries/{i}")
    erased = vouched(entries)  # entries a privacy purge in this batch erased before they were ever pushed
    bad = [f"/entries/{i}/hash: does not match the entry's contents" for i, e in enumerate(entries)
           if (h := _hash_of(e)) != e["hash"] and erased.get(e["id"]) != h]
    if bad:
        raise invalid(ngettext("{count} entry altered after being written; nothing was applied",
                               "{count} entries altered after being written; nothing was applied",
                               len(bad)).format(count=len(bad)), bad)
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids) or len({e["seq"] for e in entries}) != len(entries):
        raise invalid(_("the batch names one entry or sequence number twice"), ["/entries: duplicate id or seq"])
    payloads = [parse_payload(e["payload"]) for e in entries]
    entry_checks.refuse_deep(entries, payloads)  # before anything walks them (central/services/entry_checks.py)
    free_text.refuse_in_entries(entries, payloads)  # a card number in a name or a reason: refused, never stored
    if parsed is not None:
        parsed.update(zip(ids, payloads, strict=True))
    return sorted(entries, key=lambda e: e["seq"])


def _hash_of(e: dict[str, Any]) -> str:
    """``domain.chain.entry_hash`` of a pushed entry."""
    return entry_hash(e["prev_hash"], id=e["id"], seq=e["seq"], terminal_id=e["terminal_id"], kind=e["kind"],
                      operator_id=e["operator_id"], at=e["at"], payload=e["payload"])


def apply_batch(db: CentralDB, terminal: dict[str, Any], entries: Sequence[dict[str, Any]],
                now: str) -> dict[str, Any]:
    """Store and apply a batch from ``terminal``; report how many were new, how many known, and conflicts raised."""
    parsed: dict[str, Any] = {}
    ordered = check_entries(terminal, entries, parsed)
    if not ordered:
        return {"applied": 0, "duplicates": 0, "conflicts": []}
    tid = terminal["id"]
    with db.transaction():
        terminals.seen(db, tid, now)
        entry_checks.refuse_far_ahead(ordered, terminals.last_seq(db, tid))  # read under the row's lock
        known = journal.known_between(db, tid, ordered[0]["seq"] - 1, ordered[-1]["seq"] + 1)
        diverged = [e for e in ordered if e["seq"] in known and known[e["seq"]]["id"] != e["id"]]
        if diverged:
            raise CentralError(409, "journal_diverged", _("entry {seq} of this terminal is already on the central "
                                                          "service with another id: the terminal's journal was "
                                                          "rebuilt; keep the old database and ask an admin").format(
                                                              seq=diverged[0]["seq"]))
        fresh = [e for e in ordered if e["seq"] not in known]
        inserted = journal.insert_new(db, [(e["id"], tid, e["seq"], e["kind"], e["at"], e["operator_id"],
                                            e["payload"], e["prev_hash"], e["hash"], now) for e in fresh])
        new = [e for e in fresh if e["id"] in inserted]
        state = _Batch(db, terminal, now)
        state.check_chain(new, known)
        state.check_gaps(new)
        effects = readable(new, now, parsed)
        state.known = ownership.Known(db, [eff for eff in effects if isinstance(eff, Effect)])
        for e, eff in zip(new, effects, strict=True):
            if isinstance(eff, str):
                state.unreadable(e, eff)
            else:
                state.apply(e, eff)
        state.flush()
        complaints.record(db, tid, new, now)  # what complaint entries mean: central/services/complaints.py
        for e in new:
            if privacy.applies_to(e):  # a terminal purged an event's customer data: the central copy follows
                refused = privacy.apply_entry(db, e, now, terminal)
                if refused is not None:  # kept, not applied: flagged like any entry the sender may not make
                    state._judged(e, refused)
        if new:
            last = new[-1]
            terminals.advance_journal(db, tid, last["seq"], last["hash"])
        feed.append(db, state.changes, now)
    return {"applied": len(new), "duplicates": len(ordered) - len(new), "conflicts": state.conflicts}


def apply_released(db: CentralDB, terminal: dict[str, Any], entry: dict[str, Any], now: str) -> Effect:
    """Apply a kept entry that ownership.py held (central/services/held.py): its effect as a batch would have
    applied it now, judged again by every rule but the hourly cap that held it, in the caller's transaction.
    Raises ``conflict`` when a rule refuses it now (its ids taken since, a role withdrawn), ``bad_input`` for an
    entry whose effect cannot be published."""
    (eff,) = readable([entry], now)
    if isinstance(eff, str):
        raise BoxOfficeError("bad_input", _("the entry cannot be applied: {problem}").format(problem=eff))
    state = _Batch(db, terminal, now)
    state.known = ownership.Known(db, [eff])
    refused = state.apply(entry, eff, cap=False)
    if refused is not None:
        raise BoxOfficeError("conflict", _("the entry would be refused now ({kind}: {subject}); nothing was "
                                           "applied").format(kind=refused.kind, subject=refused.subject))
    state.flush()
    feed.append(db, state.changes, now)
    return eff


def _would_publish(entry: dict[str, Any], eff: Effect) -> list[dict[str, Any]]:
    """The feed changes an entry's effect makes, as a terminal would receive them."""
    bodies = [eff.change] if eff.change is not None else []
    if eff.order is not None:
        bodies = [("order", eff.order_body())]
        if eff.holders:
            bodies.append(("holders", {"holders": _holder_rows(eff)}))
    bodies += [("revocation", {"ticket_id": t, "at": entry["at"], "reason": r, "terminal_id": entry["terminal_id"]})
               for t, r in eff.revoked]
    bodies += [("pickup" if c.action == "pickup" else "revocation" if c.action == "refund" else "checkin",
                _claim_probe(c, entry)) for c in [*eff.claims, *eff.release]
               if c.action not in ("seat", "paid") and not c.subject.startswith(SECRET_SUBJECT)]
    return [{"cursor": 1, "kind": k, "at": entry["at"], "origin": entry["terminal_id"], "body": b} for k, b in bodies]


def _holder_rows(eff: Effect) -> list[dict[str, Any]]:
    """A sale's (or holder change's) real-name holders as the ``holders`` feed change carries them."""
    assert eff.order is not None
    return [{**{k: v for k, v in h.items() if k != "replaces"}, "order_id": eff.order["id"],
             "event_id": eff.order["event_id"], "changes": h["changes"] or 0} for h in eff.holders]


def _claim_probe(c: Claim, entry: dict[str, Any]) -> dict[str, Any]:
    """A body that carries a claim's ids in checked fields, so an id that no terminal could store is caught."""
    if c.action == "pickup":
        return {"order_id": c.order_id, "ticket_ids": [c.ticket_id] if c.ticket_id else [],
                "terminal_id": entry["terminal_id"], "entry_id": entry["id"], "at": entry["at"]}
    if c.action == "refund":
        return {"ticket_id": c.ticket_id or c.subject, "at": entry["at"], "reason": "refunded"}
    return {"ticket_id": c.subject, "order_id": c.order_id, "direction": "in", "terminal_id": entry["terminal_id"],
            "entry_id": entry["id"], "at": entry["at"]}


def readable(entries: list[dict[str, Any]], now: str, parsed: dict[str, Any] | None = None) -> list[Effect | str]:
    """Each entry's effect, or the first problem with what it would publish.

    Everything an effect writes centrally (orders, tickets, claims) or publishes is first checked against
    sync-changes.schema.json: a field no terminal could take (a NUL in a name, an id that is no id, an amount past
    2**53) would fail a database write or stop every terminal's pull at it. Such an entry is stored like any other;
    its effects are not applied and it is flagged to its origin. One check covers a whole batch in the usual case.
    """
    parsed = parsed or {}
    effects = [read(e, parsed.get(e["id"])) for e in entries]
    probes = [_would_publish(e, eff) if isinstance(eff, Effect) else [] for e, eff in zip(entries, effects,
                                                                                             strict=True)]
    flat = [p for ps in probes for p in ps]
    chunks = [flat[i:i + feed.MAX_PAGE] for i in range(0, len(flat), feed.MAX_PAGE)]
    if all(isinstance(eff, Effect) for eff in effects) and all(
            not problems({"changes": c, "cursor": 1, "more": False, "head": 1}, "sync-changes.schema.json")
            for c in chunks):
        return list(effects)
    out: list[Effect | str] = []
    for eff, ps in zip(effects, probes, strict=True):
        if isinstance(eff, str):
            out.append(eff)
            continue
        errors = [] if not ps else problems({"changes": ps[:feed.MAX_PAGE], "cursor": 1, "more": False, "head": 1},
                                            "sync-changes.schema.json")
        out.append(errors[0][:200] if errors else eff)
    return out


class _Batch:
    """The effects of one batch, gathered so that rows of one kind go to the database together."""

    def __init__(self, db: CentralDB, terminal: dict[str, Any], now: str) -> None:
        self.db, self.terminal, self.tid, self.now = db, terminal, terminal["id"], now
        self.known: ownership.Known | None = None  # who owns what the batch names (set by apply_batch)
        self.changes: list[feed.Change] = []
        self.conflicts: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []
        self.tickets: list[tuple[str, str, dict[str, Any]]] = []
        self.seat_claims: list[tuple[Claim, dict[str, Any]]] = []
        self.keys: list[tuple[dict[str, Any], dict[str, Any], list[tuple[str, int]]]] = []
        self.holders: list[tuple[Any, ...]] = []
        self.sold_in: dict[str, dict[str, Any]] = {}  # order id -> the entry of this batch that sold it
        self.room = Room(db, terminal["id"])  # what the sender may still sell (allocation_ledger.Room)

    def check_chain(self, new: list[dict[str, Any]], known: dict[int, dict[str, Any]]) -> None:
        """Flag (never refuse) an entry that does not follow the one before it: the journal was edited. Each link
        is checked once, when its second end arrives: a new entry against the one before it, and the stored entry
        after a new one (pushed ahead of it, out of order or past a gap) against it."""
        prev: dict[int, str] = {seq: r["hash"] for seq, r in known.items()}
        prev[0] = GENESIS
        broken = []
        for e in new:
            before = prev.get(e["seq"] - 1)
            if before is not None and before != e["prev_hash"]:
                broken.append(e)
            prev[e["seq"]] = e["hash"]
        for e in sorted(broken + entry_checks.broken_successors(new, known), key=lambda e: e["seq"]):
            self._flag("chain_break", f"journal/{self.tid}/{e['seq']}", Claim("chain", str(e["seq"]), None, None),
                       {"terminal_id": self.tid, "entry_id": e["id"], "at": e["at"]}, e, CHAIN_RULE)

    def check_gaps(self, new: list[dict[str, Any]]) -> None:
        """Flag the entries a ``restore`` entry declares missing that central never received: they were lost with
        the database the terminal was put back over. The gap itself is accepted (never ``journal_diverged``): the
        restore entry is numbered after every entry the terminal made, so nothing before it is reused."""
        for e in new:
            gap = declared_gap(e)
            if gap is None:
                continue
            have = journal.highest_below(self.db, self.tid, e["seq"])
            if have >= e["seq"] - 1:
                continue  # central has every entry up to it: nothing was lost
            first, last = max(have, gap[0]) + 1, e["seq"] - 1
            subject = f"journal/{self.tid}/{first}" + (f"-{last}" if last > first else "")
            self._flag("journal_gap", subject, Claim("gap", subject, None, None),
                       {"terminal_id": self.tid, "entry_id": e["id"], "at": e["at"]}, e, GAP_RULE)

    def unreadable(self, entry: dict[str, Any], problem: str) -> None:
        """Keep the entry, apply nothing of it, and tell its terminal why."""
        body = {"id": uuid7(), "kind": conflicts.UNPUBLISHABLE, "subject": f"{entry['kind']}: {problem}"[:300],
                "order_id": None, "ticket_id": None,
                "first": {"terminal_id": self.tid, "entry_id": entry["id"], "at": entry["at"]},
                "second": {"terminal_id": self.tid, "entry_id": entry["id"], "at": entry["at"]},
                "rule": UNPUBLISHABLE_RULE, "at": self.now}
        self._record_conflict(body)
        self.changes.append(feed.Change("conflict", body, origin=self.tid, audience=self.tid))

    def apply(self, entry: dict[str, Any], eff: Effect, cap: bool = True) -> ownership.Verdict | None:
        """Apply an entry's effect, once ownership.py let it (``cap`` off: the admin released it past the hourly
        cap on overrides); the verdict that refused it, if one did."""
        once_only = [c for c in eff.claims if c.action != "seat"]
        if once_only or eff.release or eff.revoked:
            self.flush()  # a pickup or refund may concern a sale earlier in this batch: write that first
        assert self.known is not None
        verdict = ownership.judge(self.db, self.terminal, entry, eff, self.known, self.now, cap)
        if verdict is not None:
            self._judged(entry, verdict)
            if not verdict.apply:
                return verdict
        for claim in eff.release:
            sales.release_claim(self.db, claim.action, claim.subject)
        for claim in once_only:
            self._claim(claim, entry)
        for ticket_id, reason in eff.revoked:
            self._revoke(ticket_id, reason, entry)
        if eff.paid is not None:
            sales.mark_paid(self.db, eff.paid)
        if eff.order is not None:
            self._within_allocation(entry, eff)
        if eff.order is not None:  # a sale, or an exchange's new order: written in bulk with its neighbours
            self.orders.append(eff.order)
            self.tickets += [(eff.order["id"], eff.order["event_id"], t) for t in eff.tickets]
            self.sold_in.setdefault(eff.order["id"], {"terminal_id": self.tid, "entry_id": entry["id"],
                                                      "at": entry["at"]})
            self.known.sold(self.tid, eff.order["id"], [t["id"] for t in eff.tickets])
            self.seat_claims += [(c, entry) for c in eff.claims if c.action == "seat"]
            self.holders += [(h["ticket_id"], eff.order["id"], eff.order["event_id"], self.tid, h["name"],
                              h["id_kind"], h["id_hash"], h["id_last4"], h["changes"] or 0, h["binding_key"],
                              h["binding"], h["created_at"], h["replaces"]) for h in eff.holders]
            if eff.keys:
                self.keys.append((eff.order, {"terminal_id": self.tid, "entry_id": entry["id"], "at": entry["at"]},
                                  eff.keys))
            self.changes.append(feed.Change("order", eff.order_body(), origin=self.tid))
            if eff.holders:  # to doors and pickup desks only (feed.page)
                self.changes.append(feed.Change("holders", {"holders": _holder_rows(eff)}, origin=self.tid))
        elif eff.change is not None:
            self.changes.append(feed.Change(eff.change[0], eff.change[1], origin=self.tid))
        return None

    def _claim(self, claim: Claim, entry: dict[str, Any]) -> None:
        if sales.claim(self.db, [(claim.action, claim.subject, self.tid, entry["id"], entry["at"])]):
            return
        holder = sales.claim_holder(self.db, claim.action, claim.subject)
        if holder is not None and holder["terminal_id"] != self.tid:
            self._flag(CONFLICT_KIND[claim.action], claim.subject, claim, holder, entry, RULE)

    def _codes_reused(self, orders: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
        """The orders to store, each new order whose code another order holds already kept as CODE~ID instead
        (domain.codes.reused_code) and flagged, and the ids of those new here. The feed still carries the printed
        code: each terminal applies the same rule when it finds the code taken (services/sync/apply.py)."""
        codes = sorted({o["code"] for o in orders})
        holders: dict[str, dict[str, Any]] = {r["code"]: r for r in sales.orders_with_codes(self.db, codes)}
        out, new = [], []
        for o in orders:
            held = holders.get(o["code"])
            if held is not None and held["id"] == o["id"]:
                out.append(o)  # the same order again: skipped by the insert
                continue
            new.append(o["id"])
            if held is None:
                holders[o["code"]] = o
                out.append(o)
                continue
            out.append({**o, "code": reused_code(o["code"], o["id"])})
            second = self._sale_entry(o)
            self._flag("order_code_reused", o["code"], Claim("code", o["code"], o["id"], None),
                       self._sale_entry(held), {"id": second["entry_id"], "at": second["at"]}, CODE_RULE)
        return out, new

    def _sale_entry(self, order: dict[str, Any]) -> dict[str, Any]:
        """Who sold an order, and in which entry (for a flag, when a code clashes): by the row noted when it was
        stored (store/sale_entries.py) or by this batch's own sales, never by reading payloads; the order itself
        when neither knows (a web order, one stored before those rows were kept)."""
        found = sale_entries.of_order(self.db, order["id"]) or self.sold_in.get(order["id"])
        return found or {"terminal_id": order.get("terminal_id") or "web", "entry_id": order["id"],
                         "at": order["created_at"]}

    def _revoke(self, ticket_id: str, reason: str, entry: dict[str, Any]) -> None:
        new = sales.revoke(self.db, ticket_id, entry["at"], reason, self.tid)
        seat = sales.ticket_place(self.db, ticket_id)
        if seat is not None:
            self.room.forget(seat)
        # The seat is free to sell again, anywhere, once no valid ticket sits on it: a late (or released) refund
        # must not free a seat sold again since, nor a seat sold twice while the other ticket is valid.
        ownership.free_seat(self.db, ticket_id, seat)
        if new:
            self.changes.append(feed.Change("revocation", {"ticket_id": ticket_id, "at": entry["at"],
                                                           "reason": reason, "terminal_id": self.tid},
                                            origin=self.tid))

    def _flag(self, kind: str, subject: str, claim: Claim, first: dict[str, Any], entry: dict[str, Any],
              rule: str) -> None:
        # The ids come from the second entry's payload, and the flag goes to the first terminal too: one that is no
        # id would make that terminal refuse every page of its feed from this change on (the page schema).
        body = {"id": uuid7(), "kind": kind, "subject": subject, "order_id": uuid_or_none(claim.order_id),
                "ticket_id": uuid_or_none(claim.ticket_id),
                "first": {"terminal_id": first["terminal_id"], "entry_id": first["entry_id"], "at": first["at"]},
                "second": {"terminal_id": self.tid, "entry_id": entry["id"], "at": entry["at"]},
                "rule": rule, "at": self.now}
        self._record_conflict(body)
        for audience in dict.fromkeys(t for t in (first["terminal_id"], self.tid) if t != "web"):
            self.changes.append(feed.Change("conflict", body, origin=self.tid, audience=audience))

    def _judged(self, entry: dict[str, Any], verdict: ownership.Verdict) -> None:
        """Flag an entry refused (or applied under an override) by the ownership rules: to the admin, and to the
        sender alone; whoever owns the thing it touched is not bothered (their things are untouched)."""
        body = {"id": uuid7(), "kind": verdict.kind, "subject": verdict.subject, "order_id": verdict.order_id,
                "ticket_id": verdict.ticket_id,
                "first": {"terminal_id": verdict.owner, "entry_id": entry["id"], "at": entry["at"]},
                "second": {"terminal_id": self.tid, "entry_id": entry["id"], "at": entry["at"]},
                "rule": verdict.rule, "at": self.now}
        self._record_conflict(body)
        self.changes.append(feed.Change("conflict", body, origin=self.tid, audience=self.tid))

    def _within_allocation(self, entry: dict[str, Any], eff: Effect) -> None:
        """Compare a sale with what the central service granted its terminal: tickets past it are flagged
        ``oversold`` to the admin and the sender. They are applied all the same: a terminal's genuine key signed
        them, so a customer may hold them (an honest terminal that sold past its grant is an accounting gap to look
        into, not a ticket to refuse at the door); a stolen terminal's are revoked with it by the admin."""
        assert eff.order is not None and self.known is not None
        known = self.known.tickets  # tickets already here as the sender's own: counted when they were applied
        new = [t for t in eff.tickets if t["id"] not in known]
        _, over = self.room.split(str(eff.order["event_id"]), new)
        if not over:
            return
        places = ", ".join(dict.fromkeys(f"{eff.order['event_id']}/{t['section_id']}" for t in over))
        subject = f"{places}: {len(over)} of {len(new)} tickets past the terminal's allocation"
        self._judged(entry, ownership.Verdict(OVERSOLD, subject[:300], ownership.CENTRAL, OVERSOLD_RULE,
                                              eff.order["id"], over[0]["id"], apply=True))

    def _record_conflict(self, body: dict[str, Any]) -> None:
        conflicts.insert(self.db, body)
        self.conflicts.append(body)

    def flush(self) -> None:
        """Write the gathered orders, tickets and seat claims in bulk; flag seats another terminal sold first."""
        orders, tickets, seat_claims, holders, keys = (self.orders, self.tickets, self.seat_claims, self.holders,
                                                       self.keys)
        self.orders, self.tickets, self.seat_claims, self.holders, self.keys = [], [], [], [], []
        if orders:
            orders, new = self._codes_reused(orders)
            sales.insert_orders(self.db, orders)
            sale_entries.record(self.db, [(o, w["terminal_id"], w["entry_id"], w["at"]) for o in new
                                          if (w := self.sold_in.get(o)) is not None])
        if tickets:
            sales.insert_tickets(self.db, [(t["id"], oid, eid, t["section_id"], t["row"], t["seat"],
                                            t["ticket_type_id"], t["price"] or 0, t["tax"] or 0, t["token"])
                                           for oid, eid, t in tickets])
        if holders:
            sales.insert_holders(self.db, holders)
        if seat_claims:
            rows = [(c.subject, e) for c, e in seat_claims]
            got = sales.claim(self.db, [("seat", s, self.tid, e["id"], e["at"]) for s, e in rows])
            for claim, entry in seat_claims:
                if claim.subject not in got:
                    holder = sales.claim_holder(self.db, "seat", claim.subject)
                    if holder is not None and holder["entry_id"] != entry["id"] and holder["terminal_id"] != self.tid:
                        self._flag("seat_sold_twice", claim.subject, claim, holder, entry, RULE)
        self._over_limit(keys)

    def _over_limit(self, keys: list[tuple[dict[str, Any], dict[str, Any], list[tuple[str, int]]]]) -> None:
        """Count the new sales' customer keys; flag a customer now over the event's cap (both sales kept)."""
        by_entry = {o["id"]: who for o, who, _ in keys}
        for found in customer_limits.record(self.db, keys):
            first = found["first"] or by_entry[found["order_id"]]
            who = by_entry[found["order_id"]]
            self._flag(customer_limits.KIND, customer_limits.subject(found),
                       Claim("customer", found["key"], found["order_id"], None),
                       first, {"id": who["entry_id"], "at": who["at"]}, customer_limits.RULE)
