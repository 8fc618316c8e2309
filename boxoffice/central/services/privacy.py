"""Privacy purges on the central service: erase a past event's customer data from the central copy.

Two ways in. `boxoffice central privacy purge --event ID` (an admin at the central database) erases the event's
customers' names, e-mails, phones and notes from the orders (web orders and every terminal's sales), real-name
ticket holders where that table exists, the private bodies of the feed (terminals pull the public body from then
on) and the payloads of every terminal's journal entries that name the event. A terminal's ``privacy.purge``
journal entry, pushed at sync, does the same for that terminal's own sales only (below), and of the journals it
rewrites only that terminal's own entries it lists, each only when the erased text hashes as the entry says (so
the central copy of that journal stays verifiable, and a terminal recovered from it gets the same chain back).

A pushed purge is only what the terminal says, and a stolen terminal says anything: its ``at`` and ``keep_days``
are its own. So the central service judges it by its own clock, catalogue and settings: the event must have started
at least the larger of the entry's ``keep_days`` and the venue's own here (:func:`venue_keep_days`: ``meta``
``privacy_keep_days`` as the admin set it, else ``DEFAULT_KEEP_DAYS``, the default of every terminal's
``[privacy] keep_days``) before now here, and the sender must be a terminal that handles customers (``sell`` or
``pickup``), unless the central admin purged the event already (the terminal is following that order). Anything
else is kept, not applied, recorded as refused and flagged to the admin and the sender.

Even then a terminal's purge reaches only what that terminal sold: its own orders' customers, their real-name
holders and customer keys, their feed bodies and its own journal entries. Web orders and other terminals' sales are
the venue's to erase (`boxoffice central privacy purge`); what the entry asked beyond the sender's own (the event's
customer data it left) is recorded with the purge and flagged ``privacy_purge_partial`` to the admin and the sender.

An entry whose payload is nested too deep to read or write again is left as it is, counted (``journal_skipped``,
``skipped_entries``) and recorded with the purge, and the purge goes on with everything else: one such entry pushed
by any terminal never stops the purge of the events it names.

Money, tickets, claims and the entries themselves stay. What the central purge does not do: reach the terminals
through the feed (the feed's change kinds are a closed list each released terminal checks every page against, so
a new kind would stop older terminals' pulls); each terminal purges its own copy with `boxoffice privacy purge`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from boxoffice.central.services import feed, ownership
from boxoffice.central.store import privacy as store
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.clock import Clock, iso, parse_iso, system_clock
from boxoffice.domain.ids import uuid7
from boxoffice.domain.privacy import DEFAULT_KEEP_DAYS, PURGE_KIND, check_keep_days, erased_hash, erased_text
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

REFUSED_RULE = ("a terminal's purge erases the central copy only of an event that started at least keep_days (never "
                "fewer than the venue's keep_days here) before the central clock, sent by a sell or pickup terminal; "
                "else kept, not applied (the admin purges with boxoffice central privacy purge)")
PARTIAL = "privacy_purge_partial"
PARTIAL_RULE = ("a terminal's purge erases only the customer data of its own sales; web orders and other terminals' "
                "are kept until the admin purges the event (boxoffice central privacy purge)")


def purge(db: CentralDB, event_id: str, now: str, *, keep_days: int = DEFAULT_KEEP_DAYS,
          dry_run: bool = False) -> dict[str, Any]:
    """Erase one past event's customer data here; refuse an unknown event, or one that started less than
    ``keep_days`` before ``now``, saying when it becomes purgeable."""
    keep = _keep(keep_days)
    with db.transaction():
        when = _purgeable_from(db, event_id, keep)
        if when is None:
            raise BoxOfficeError("not_found", _("no event {event_id!r} in the central catalogue").format(
                event_id=event_id))
        if parse_iso(now) < when:
            raise BoxOfficeError("not_purgeable_yet", _("event {event_id} started less than {keep} days ago "
                                                        "(--keep-days): purgeable from {when}").format(
                                                            event_id=event_id, keep=keep, when=when.isoformat()),
                                 purgeable_from=when.isoformat())
        out = {"event_id": event_id, "dry_run": dry_run, "keep_days": keep, "purgeable_from": when.isoformat(),
               "rows": store.erase_tables(db, event_id, dry_run=dry_run),
               "feed_changes": store.erase_feed(db, event_id, dry_run=dry_run)}
        skipped: list[dict[str, Any]] = []  # entries too deep to erase: left as they are, the rest goes on
        erased = store.erase_journal(db, event_id, _strict, terminal_id=None, dry_run=dry_run, skipped=skipped)
        out["journal_entries"] = len(erased)
        out["journal_skipped"] = len(skipped)
        out["skipped_entries"] = skipped
        if not dry_run:
            store.record(db, {"id": uuid7(), "event_id": event_id, "at": now, "status": "done",
                              "detail": {k: out[k] for k in ("rows", "feed_changes", "journal_entries",
                                                             "journal_skipped", "skipped_entries")}})
            # every terminal purges its own copy at its next sync (signed: a forged order to erase is refused)
            feed.append(db, [feed.Change("privacy_purge", {"event_id": event_id, "ordered_at": now})], now)
    return out


def purge_at(url: str, event_id: str, *, clock: Clock = system_clock, keep_days: int = DEFAULT_KEEP_DAYS,
             dry_run: bool = False) -> dict[str, Any]:
    """:func:`purge` on the central database at ``url`` (the `central privacy purge` command)."""
    from boxoffice.central.services.admin import open_db

    with open_db(url) as db:
        return purge(db, event_id, iso(clock()), keep_days=keep_days, dry_run=dry_run)


def apply_entry(db: CentralDB, entry: dict[str, Any], now: str,
                terminal: dict[str, Any]) -> ownership.Verdict | None:
    """A terminal's ``privacy.purge`` entry, in the ingest's transaction: applied to the sender's own sales when
    :func:`_refusal` finds no reason not to; else recorded as refused. The verdict returned is the flag for the
    admin and the sender: the refusal, or (applied) the customer data of others the entry asked to erase and did
    not (``privacy_purge_partial``); None when there is nothing to say. The entry itself is kept, as every entry
    is, so the rest of the batch goes on."""
    tid = entry["terminal_id"]
    row: dict[str, Any] = {"id": uuid7(), "at": now, "origin": tid, "entry_id": entry["id"]}
    try:
        body = json.loads(entry["payload"])
        event_id, asked = str(body["event_id"]), _keep(body.get("keep_days", DEFAULT_KEEP_DAYS))
        listed = {str(x["id"]): str(x["erased_hash"]) for x in body.get("erased") or []}
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, BoxOfficeError):
        return _refused(db, row, "?", "unreadable purge entry")
    keep = max(asked, venue_keep_days(db))
    why = _refusal(db, event_id, keep, now, terminal)
    if why is not None:
        return _refused(db, row, event_id, why)
    row["event_id"] = event_id
    detail: dict[str, Any] = {"keep_days": keep, "asked_keep_days": asked,
                              "rows": store.erase_tables(db, event_id, dry_run=False, terminal_id=tid),
                              "feed_changes": store.erase_feed(db, event_id, dry_run=False, terminal_id=tid)}
    rewritten = 0
    for full in store.journal_entries(db, list(listed), tid):
        text = erased_text(full["payload"])
        if text is not None and erased_hash({**full, "seq": int(full["seq"])}, text) == listed[full["id"]]:
            store.set_payload(db, full["id"], text)
            rewritten += 1
    detail["journal_entries"] = rewritten
    kept = _left(db, event_id)  # what the entry asked beyond the sender's own: the venue's to erase
    if kept:
        detail["kept_of_others"] = kept
    row.update(status="done", detail=detail)
    store.record(db, row)
    if not kept:
        return None
    said = ", ".join(f"{n} {what}" for what, n in kept.items())
    shown = "".join(c for c in f"{event_id}: only this terminal's sales erased; kept {said}" if c.isprintable())
    return ownership.Verdict(PARTIAL, shown[:300], ownership.CENTRAL, PARTIAL_RULE, apply=True)


def _left(db: CentralDB, event_id: str) -> dict[str, int]:
    """The event's customer data still here (rows per table, feed changes), counted without changing anything."""
    left = store.erase_tables(db, event_id, dry_run=True)
    feed_changes = store.erase_feed(db, event_id, dry_run=True)
    if feed_changes:
        left["feed_changes"] = feed_changes
    return left


def _refusal(db: CentralDB, event_id: str, keep: int, now: str, terminal: dict[str, Any]) -> str | None:
    """Why a pushed purge may not erase the central copy (None: it may). Judged by the central clock and the
    event's start in the central catalogue, never the entry's own ``at``: a sender that wrote a date in 2099 is
    still purging tonight's event; and by ``keep``, already raised to the venue's keep_days here."""
    if store.purged_by_admin(db, event_id):
        return None  # the central admin ordered it: every terminal follows, whatever its roles or keep_days
    if not ownership.roles_of(terminal) & {ownership.SELL, ownership.PICKUP}:
        return "the sender has neither the sell nor the pickup role"
    when = _purgeable_from(db, event_id, keep)
    if when is None:
        return "event unknown here"
    if parse_iso(now) < when:
        return f"not past {keep} days here until {when.isoformat()}"
    return None


def venue_keep_days(db: CentralDB) -> int:
    """The venue's keep_days on the central service: what the admin set (:func:`set_keep_days`), else
    ``DEFAULT_KEEP_DAYS``. The floor under a terminal's purge, whatever keep_days the terminal's entry names: a
    terminal's own setting (or a stolen terminal's word) never shortens how long the venue keeps its customers."""
    value = store.keep_days(db)
    try:
        return check_keep_days(int(value)) if value is not None else DEFAULT_KEEP_DAYS
    except ValueError:
        return DEFAULT_KEEP_DAYS  # a value edited in by hand that is no keep_days: the default, never less


def keep_days_at(url: str) -> dict[str, int]:
    """The venue's keep_days on the central database at ``url`` (:func:`venue_keep_days`)."""
    from boxoffice.central.services.admin import open_db

    with open_db(url) as db:
        return {"keep_days": venue_keep_days(db)}


def set_keep_days(url: str, days: int) -> dict[str, int]:
    """Set the venue's keep_days on the central database at ``url`` (1-3650): the floor of terminals' purges."""
    from boxoffice.central.services.admin import open_db

    keep = _keep(days)
    with open_db(url) as db, db.transaction():
        store.set_keep_days(db, keep)
    return {"keep_days": keep}


def _refused(db: CentralDB, row: dict[str, Any], event_id: str, why: str) -> ownership.Verdict:
    """Record a pushed purge as refused; the flag for the admin and the sender."""
    row.update(event_id=event_id, status="refused", detail={"why": why})
    store.record(db, row)
    shown = "".join(c for c in f"{event_id}: {why}" if c.isprintable())[:300]  # the sender's text, on its feed
    return ownership.Verdict("privacy_purge_refused", shown, ownership.CENTRAL, REFUSED_RULE)


def applies_to(entry: dict[str, Any]) -> bool:
    return entry.get("kind") == PURGE_KIND


def _strict(text: str) -> str | None:
    """``erased_text`` raising (Unerasable, a ValueError) for a payload too deep: the store counts it, skips it."""
    return erased_text(text, strict=True)


def history(db: CentralDB, event_id: str | None = None) -> list[dict[str, Any]]:
    """Every purge recorded here (of one event), oldest first, with its detail parsed."""
    return [{**r, "detail": json.loads(r["detail"])} for r in store.purges(db, event_id)]


def _keep(value: Any) -> int:
    try:
        return check_keep_days(value)
    except ValueError as exc:
        raise BoxOfficeError("bad_input", str(exc)) from None


def _purgeable_from(db: CentralDB, event_id: str, keep: int) -> Any:
    starts = store.event_start(db, event_id)
    if not starts:
        return None
    return parse_iso(starts) + timedelta(days=keep)
