"""Customers' personal data after the event: purge it once the venue no longer needs it, export one customer's.

A purge (``purge``) erases the names, e-mails, phones and notes of one past event's orders, and what other
registered tables hold of them (store/privacy.py ``PERSONAL``: real-name ticket holders, print jobs, parked
changes), in the orders, the pickup index and the journal; tickets, payments, refunds, pickups, check-ins and
every journal entry stay. The journal keeps each erased entry's original hash where it was, and one
``privacy.purge`` entry records the hash each erased entry has now, so `audit verify` still holds
(domain/privacy.py). That entry syncs: the central service erases its own copy of the event's customers
(central/services/privacy.py).
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

from boxoffice.domain.clock import parse_iso, when_text
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _, ngettext
from boxoffice.services.context import Ctx
from boxoffice.store import privacy as store
from boxoffice.store.db import write


class PurgeResult(TypedDict):
    """What a purge erased (or, with ``dry_run``, would erase): rows per table and journal entries."""

    event_id: str
    dry_run: bool
    keep_days: int
    purgeable_from: str
    orders: int
    rows: dict[str, int]
    journal_entries: int
    entry_id: str | None
    previous: dict[str, Any] | None


def keep_days(ctx: Ctx) -> int:
    from boxoffice.domain.privacy import DEFAULT_KEEP_DAYS

    return int((ctx.config.privacy or {}).get("keep_days", DEFAULT_KEEP_DAYS))


def purge(ctx: Ctx, event_id: str, *, dry_run: bool = False, origin: str = "terminal",
          ordered: bool = False) -> PurgeResult:
    """Erase one past event's customer data; refuse an event younger than ``[privacy] keep_days`` saying when it
    becomes purgeable, and (on an enrolled terminal) one whose entries to erase have not reached the central
    service, which checks every pushed entry against its hash.

    ``ordered``: the central admin ordered it (services/privacy_feed.py): no operator needs to be here (a sync in
    the background carries it out) and the venue's decision stands for ``keep_days``; an event that has not
    started is still refused."""
    from boxoffice.domain.privacy import PURGE_KIND, erased_hash, erased_text, purgeable_from
    from boxoffice.services.events import get_event

    op = ctx.operator if ordered else ctx.require("privacy")
    ev = get_event(ctx, event_id)
    keep = keep_days(ctx)
    when = purgeable_from(parse_iso(ev["starts_at"]), 0 if ordered else keep)
    if ctx.now() < when:
        raise BoxOfficeError("not_purgeable_yet",
                             _("event {event} started {started}; "
                               "its customers' data is kept {days} days ([privacy] keep_days): purgeable from "
                               "{purgeable}").format(event=ev["id"],
                                                     started=when_text(ev["starts_at"], ev["timezone"], year=True),
                                                     days=keep, purgeable=when_text(when, ev["timezone"], year=True)),
                             purgeable_from=when.isoformat())
    order_ids = store.event_order_ids(ctx.conn, ev["id"])
    erasures = [(e, t) for e in store.journal_naming(ctx.conn, ev["id"], order_ids)
                if (t := erased_text(e["payload"])) is not None]
    if _enrolled(ctx) and any(e["pushed_at"] is None for e, _ in erasures):
        waiting = sum(1 for e, _ in erasures if e["pushed_at"] is None)
        raise BoxOfficeError("sync_first", ngettext(
            "{count} journal entry with this event's customer data have not reached the central service: run "
            "`boxoffice sync`, then purge",
            "{count} journal entries with this event's customer data have not reached the central service: run "
            "`boxoffice sync`, then purge", waiting).format(count=waiting))
    result: PurgeResult = {"event_id": ev["id"], "dry_run": dry_run, "keep_days": keep,
                           "purgeable_from": when.isoformat(), "orders": len(order_ids), "rows": {},
                           "journal_entries": len(erasures), "entry_id": None,
                           "previous": store.last_purge(ctx.conn, ev["id"])}
    if dry_run:
        with write(ctx.conn):
            result["rows"] = store.erase_event(ctx.conn, ev["id"], dry_run=True)
        return result
    store.secure_delete(ctx.conn, True)
    try:
        with write(ctx.conn):
            result["rows"] = store.erase_event(ctx.conn, ev["id"], dry_run=False)
            erased = []
            for e, text in erasures:
                store.rewrite_payload(ctx.conn, e["seq"], text)
                erased.append({"id": e["id"], "seq": e["seq"], "erased_hash": erased_hash(e, text)})
            entry = ctx.journal(PURGE_KIND, {"event_id": ev["id"], "keep_days": keep, "origin": origin,
                                             "rows": result["rows"], "erased": erased})
            store.record_purge(ctx.conn, ev["id"], ctx.now_iso(), entry["id"], op["id"] if op else None, origin,
                               {**result["rows"], "journal": len(erased)})
        store.scrub_file(ctx.conn)
    finally:
        store.secure_delete(ctx.conn, False)
    result["entry_id"] = entry["id"]
    return result


def _enrolled(ctx: Ctx) -> bool:
    from boxoffice.store import sync_state

    return sync_state.get(ctx.conn) is not None


# --- subject access ---------------------------------------------------------------------------------------


class Export(TypedDict):
    """One customer's data as this terminal holds it."""

    query: dict[str, str]
    exported_at: str
    terminal_id: str
    orders: list[dict[str, Any]]


def export(ctx: Ctx, *, email: str | None = None, phone: str | None = None, code: str | None = None) -> Export:
    """Every order of one customer (found by e-mail, phone or one of their order codes) with its tickets,
    payments, pickups, real-name holders and complaints where those tables exist; ``not_found`` when none."""
    from boxoffice.domain.codes import normalise_code
    from boxoffice.domain.search_text import phone_digits

    ctx.require("privacy")
    given = [(k, v) for k, v in (("email", email), ("phone", phone), ("code", code)) if v]
    if len(given) != 1:
        raise BoxOfficeError("bad_input", _("name the customer one way: --email, --phone or --code"))
    how, value = given[0]
    if how == "email":
        found = store.orders_of_customer(ctx.conn, email=value.strip())
    elif how == "phone":
        digits = phone_digits(value)
        if not digits or len(digits) < 6:
            raise BoxOfficeError("bad_input", _("give the whole phone number (at least 6 digits)"))
        found = store.orders_of_customer(ctx.conn, phone_digits=digits)
    else:
        found = store.orders_of_customer(ctx.conn, code=normalise_code(value))
    if not found:
        raise BoxOfficeError("not_found", _("no order of that customer ({how}) on this terminal").format(how=how))
    orders = []
    for o in found:
        children = store.order_children(ctx.conn, o["id"])
        for h in children.get("holders", []):
            h.pop("id_hash", None)  # a digest of an ID number: nothing the customer can read, kept out of files
        orders.append({**o, **children})
    return {"query": {how: value}, "exported_at": ctx.now_iso(), "terminal_id": ctx.terminal["id"],
            "orders": orders}


def export_text(data: Export) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
