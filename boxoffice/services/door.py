"""The door: check a scanned ticket in (or out) with no network, and record each scan exactly once.

A ticket is admitted when its token verifies against a key this terminal trusts (a key whose terminal was revoked
only for tickets that synced data shows: see :func:`_signed_after_revocation`), it is not revoked (refunded,
re-issued), it is for the event being scanned and one of its sections, today is that event's day and the doors are
open, its order is paid, and it is not in already. Where the event allows re-entry, an exit scan lets the same
ticket in again. A genuine ticket with no order on this terminal is admitted but marked "not seen in synced data"
(``seen_in_sync`` False): a web ticket not pulled yet, a sale not pushed yet, or a key in the wrong hands.

Every scan, admitted or not, is a row in checkins whose id is a nonce made at the scan. Admissions and exits also
go into the journal in the same transaction, so sync can push them; the central service (or another terminal)
applies them by nonce with :func:`record_checkin`, which records a nonce once however often it arrives.

Scans read through stdin arrive faster than a person scans when they are piped from a file or a handheld's
buffer; :func:`scan_batch` checks each in turn inside one transaction (each scan sees those before it) and commits
once before any answer is shown, so an answer is never shown for a check-in that is not on disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, TypedDict, cast

from boxoffice.domain.clock import iso, parse_iso, zone
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.services.door_journal import ScanJournal, stamp
from boxoffice.services.door_verdict import (
    NOT_SEEN,
    DoorEvent,
    ScanVerdict,
    day_text,
    refused,
    today_and_place_refused,
)
from boxoffice.store import catalog as catalog_store
from boxoffice.store import checkins as store
from boxoffice.store.db import write

if TYPE_CHECKING:
    from boxoffice.tickets.checked import Checked


ADMITTED = "admitted"
DIRECTIONS = ("in", "out")


class ScanAnswer(ScanVerdict):
    """A scan decided and recorded (:func:`scan`, :func:`scan_batch`): the verdict with its nonce and time."""

    nonce: str
    at: str
    event_id: str
    direction: str


class DoorStats(TypedDict):
    """One event's door counts (:func:`stats`): in now, tickets ever let in, entries, exits, refusals, and the
    valid tickets this terminal has."""

    event_id: str
    event: str
    entries: int
    exits: int
    refused: int
    in_now: int
    checked_in: int
    tickets_here: int


def door_event(ctx: Ctx, event_id: str | None = None) -> DoorEvent:
    """The event to scan for: the one named, or the only event whose day is today (venue time)."""
    if event_id is None:
        today = [e for e in catalog_store.list_events(ctx.conn)
                 if parse_iso(e["starts_at"]).astimezone(zone(e["timezone"])).date()
                 == ctx.now().astimezone(zone(e["timezone"])).date()]
        if len(today) != 1:
            names = ", ".join(e["id"] for e in today) if today else _("none today")
            raise BoxOfficeError("bad_input", _("say which event to scan for: --event EVENT ({names})").format(
                names=names))
        event_id = today[0]["id"]
    cache = ctx.cache.setdefault("door_events", {})
    if event_id in cache:
        return cache[event_id]
    ev = catalog_store.get_event(ctx.conn, event_id)
    if ev is None:
        raise BoxOfficeError("not_found", _("no event {event!r} here: `boxoffice event list` shows them").format(
            event=event_id))
    from boxoffice.tickets.token import event_ref, section_ref

    tz = zone(ev["timezone"])
    start_local = parse_iso(ev["starts_at"]).astimezone(tz)
    midnight = datetime.combine(start_local.date(), time(0), tzinfo=tz)
    opens = parse_iso(ev["doors_at"]) if ev["doors_at"] else midnight
    info = DoorEvent(id=ev["id"], name=ev["name"], timezone=ev["timezone"], reentry=bool(ev["reentry"]),
                     ref=event_ref(ev["id"]), opens=opens, day=start_local.date(),
                     day_text=start_local.strftime("%a %d %b %Y"),
                     sections={section_ref(ev["id"], s["id"]): s["name"]
                               for s in catalog_store.sections(ctx.conn, ev["id"])},
                     real_name=bool(ev.get("real_name")),
                     types={t["id"]: t["name"] for t in catalog_store.ticket_types(ctx.conn, ev["id"])})
    cache[event_id] = info
    return info


def check_direction(ev: DoorEvent, direction: str) -> None:
    """Exit scans exist only where the event lets people back in."""
    if direction not in DIRECTIONS:
        raise BoxOfficeError("bad_input", _("a scan is an entry (in) or an exit (out)"))
    if direction == "out" and not ev.reentry:
        raise BoxOfficeError("bad_input", _("{event} has no re-entry: there are no exit scans for it").format(
            event=ev.name))


def scan(ctx: Ctx, text: str, ev: DoorEvent, direction: str = "in", nonce: str | None = None) -> ScanAnswer:
    """Check one scanned text and record the scan; the answer says ADMIT (or EXIT) or REFUSED and why."""
    _may_scan(ctx, ev, direction)
    with write(ctx.conn):
        journal = ScanJournal(ctx)
        answer = _scan_here(ctx, text, ev, direction, nonce or uuid7(), journal)
        journal.flush()
        return answer


def scan_batch(ctx: Ctx, texts: list[str], ev: DoorEvent, direction: str = "in") -> list[ScanAnswer]:
    """Check several scans in order in one transaction (one commit for all), answers in the same order."""
    return scan_group(ctx, [(ev, t, direction) for t in texts])


def scan_group(ctx: Ctx, scans: Sequence[tuple[DoorEvent, str, str]],
               checked: Sequence[Checked | None] = ()) -> list[ScanAnswer]:
    """Check scans (event, text, direction) in order in one transaction: one commit for all, answers in order.

    Each scan sees the ones before it (the same ticket twice: admitted, then "already in"). Who may scan, recovery
    and pauses are checked once per event and direction of the group, not once per ticket: a group is what
    arrived within one commit's time, and a pause set meanwhile applies from the next group on. Their journal
    entries are chained in memory after the head read once (services/door_journal.py). The signatures of a group of
    several are verified on several cores at once before the transaction (services/door_check.py); ``checked``
    gives them instead, scan by scan.
    """
    for ev, direction in {(ev.id, d): (ev, d) for ev, _text, d in scans}.values():
        _may_scan(ctx, ev, direction)
    if not checked and len(scans) > 1:  # services/door_check.py: on several cores for a group large enough
        from boxoffice.services.door_check import check_group

        checked = check_group([text for _ev, text, _direction in scans], _door_keys(ctx))
    with write(ctx.conn):
        journal = ScanJournal(ctx)
        ahead = checked or [None] * len(scans)
        answers = [_scan_here(ctx, text, ev, direction, uuid7(), journal, pre)
                   for (ev, text, direction), pre in zip(scans, ahead, strict=True)]
        journal.flush()
        return answers


def _may_scan(ctx: Ctx, ev: DoorEvent, direction: str) -> None:
    """The operator may scan, the direction makes sense here, and scans are not paused (emergency control)."""
    from boxoffice.services import pauses
    from boxoffice.services.recovery_state import require_ready

    ctx.require("scan")
    require_ready(ctx)
    check_direction(ev, direction)
    pauses.check(ctx, "scans", ev.id)


def _scan_here(ctx: Ctx, text: str, ev: DoorEvent, direction: str, nonce: str, journal: ScanJournal,
               checked: Checked | None = None) -> ScanAnswer:
    """Decide and record, inside the caller's transaction: one clock reading, the scan's time everywhere."""
    now = ctx.now()
    at = stamp(now)
    answer = cast(ScanAnswer, _decide(ctx, text, ev, direction, now, checked))  # completed on the next line
    answer |= {"nonce": nonce, "at": at, "event_id": ev.id, "direction": direction}
    _record(ctx, {"id": nonce, "ticket_id": answer["ticket_id"], "event_id": ev.id, "direction": direction,
                  "at": at, "operator_id": journal.operator_id, "terminal_id": journal.terminal_id,
                  "result": answer["code"] or ADMITTED, "external_secret": answer.get("external_secret")},
            journal=True, flag=answer.get("flag"), item=answer.get("pretix_item"), entries=journal)
    return answer


def _decide(ctx: Ctx, text: str, ev: DoorEvent, direction: str, now: datetime | None = None,
            checked: Checked | None = None) -> ScanVerdict:
    """The door's rules, in the order that gives the most useful reason: is it genuine (and was its key still
    trusted when it was sold), is it still good, is it for here and now, is it in already.

    A signature ``checked`` ahead (tickets/checked.py) stands for this text only if it was verified, for this very
    text, with the key this terminal trusts for its key id now; otherwise it is verified here."""
    keys = _door_keys(ctx)
    try:
        if checked is not None and checked.stands_for(text, keys(checked.decoded.key_id)):
            decoded = checked.decoded
        else:
            decoded = (_VERIFY or _verifier())(text, keys)
    except BoxOfficeError as exc:
        if exc.code == "malformed_token":  # not a boxoffice token: perhaps a pretix ticket's secret
            from boxoffice.services.door_pretix import Synced, decide_pretix

            pretix = decide_pretix(ctx, text, ev, direction)
            if isinstance(pretix, Synced):  # a pretix ticket synced here: its own token decides, as if scanned
                verdict = _decide(ctx, pretix.token, ev, direction, now)
                verdict["external_secret"] = pretix.secret
                return verdict
            if pretix is not None:
                return pretix
        return refused(exc.code, exc.message, exc.details.get("ticket_id"))
    state = store.ticket_state(ctx.conn, decoded.ticket_id)
    return cast(ScanVerdict, _rules(ctx, decoded, state, ev, direction, keys, now) | _facts(ev, decoded, state))


def _door_keys(ctx: Ctx) -> Any:
    """The trusted key for a key id (services.signing.public_key_for), kept until a sync or an import of keys
    empties the terminal's key cache."""
    keys = ctx.cache.get("door_keys")
    if keys is None or ctx.cache.get("public_keys") is None:
        from boxoffice.services.signing import public_key_for

        keys = ctx.cache["door_keys"] = public_key_for(ctx)
    return keys


_VERIFY: Any = None  # tickets.token.verify_token, once a scan has needed it (see _verifier)


def _verifier() -> Any:
    """``tickets.token.verify_token``, imported at the first scan rather than with this module (a command that
    scans nothing does without it) and kept: an import inside the scan itself costs a failed ``__path__`` look-up
    and its exception each time."""
    global _VERIFY  # noqa: PLW0603 - set once, the same function every time
    from boxoffice.tickets.token import verify_token

    _VERIFY = verify_token
    return verify_token


def _facts(ev: DoorEvent, decoded: Any, state: dict[str, Any]) -> dict[str, Any]:
    """Section, seat and ticket type as the steward reads them; nothing when the token is for another event."""
    section = ev.sections.get(decoded.section_ref) if decoded.event_ref == ev.ref else None
    if section is None:
        return {}
    facts: dict[str, Any] = {"section": section, "seat": f"{decoded.row}{decoded.seat}" if decoded.row else None}
    kind = ev.types.get(state["ticket_type_id"] or "")
    if kind is not None:
        facts["ticket_type"] = kind
    return facts


def _rules(ctx: Ctx, decoded: Any, state: dict[str, Any], ev: DoorEvent, direction: str,
           keys: Any, now: datetime | None = None) -> ScanVerdict:
    """The rules after the signature, on the ticket as this terminal knows it (:func:`_decide`). A refusal's
    words are looked up only for a refusal."""
    tid = decoded.ticket_id
    place = _place(ev, decoded)
    seen = state["token"] is not None
    late = None if seen else _signed_after_revocation(ctx, decoded.key_id.hex(), seen, ev.timezone)
    if late:
        return refused("key_revoked", _("{why}: {refuse}").format(why=late, refuse=_refuse()), tid, place, seen)
    if not seen and decoded.key_id.hex() == ctx.terminal.get("key_id") and not _recovering(ctx):
        # This terminal keeps every ticket it signs: one of its own it does not hold was signed with its key by
        # someone else, or sold on a database since put back (a terminal that was is trusted as before: marked).
        return refused("not_in_records", _("ticket signed by this terminal but not in its records (a copy of its "
                                           "key, or a sale undone behind its back): {refuse}").format(
            refuse=_refuse()), tid, place, seen)
    if state["revoked"] or (state["status"] is not None and state["status"] != "valid"):
        return refused("revoked", _("ticket was refunded or re-issued: {refuse}").format(refuse=_refuse()), tid, place,
                        seen)
    if state["token"] is not None and state["token"] != decoded.text:
        return refused("revoked", _("ticket was re-issued; this copy is void: {refuse}").format(refuse=_refuse()), tid,
                        place, seen)
    if decoded.event_ref != ev.ref:
        other = _other_event(ctx, decoded.event_ref)
        if other is None:
            return refused("unknown_event", _("ticket is for an event this terminal does not know, not {event}: "
                                               "sync, then scan again; if still unknown, {refuse}").format(
                event=ev.name, refuse=_refuse()), tid, None, seen)
        return refused("wrong_event", _("ticket is for {other}, not {event}").format(other=other, event=ev.name),
                        tid, place, seen)
    if place is None:
        return refused("unknown_section", _("ticket names a section {event} does not have: {refuse}").format(
            event=ev.name, refuse=_refuse()), tid, None, seen)
    if state["order_status"] == "unpaid":
        return refused("unpaid", _("order {code} is not paid: send the customer to the box office").format(
            code=state["order_code"]), tid, place, seen)
    holder = None
    if ev.real_name:
        from boxoffice.services.holders import for_door

        try:
            holder = for_door(ctx, decoded, keys)
        except BoxOfficeError as exc:
            return refused(exc.code, exc.message, tid, place, seen)
    stop = today_and_place_refused(ctx, ev, direction, state, tid, place, seen, now)
    if stop is not None:
        return stop
    # A ticket with no order here was never in anything this terminal synced (a web ticket not pulled yet, a sale
    # not pushed yet, or a forgery with a stolen key): its signature is genuine, so it is admitted, marked.
    answer: ScanVerdict = {"result": "admit" if direction == "in" else "exit", "code": None,
                           "message": place + ("" if seen else _(" ({not_seen}: genuine signature, checked "
                                                                 "offline)").format(not_seen=_(NOT_SEEN))),
                           "ticket_id": tid, "place": place, "seen_in_sync": seen}
    if holder is not None:
        answer["holder"] = dict(holder)
    code = state["order_code"]
    if code is not None and ("~" in code or state["code_twin"]):
        # Two orders carry this printed code (a terminal put back from an older copy sold again): the ticket id is
        # what admits, each ticket once; the shared code is said at the door and recorded with the scan.
        shown = code.split("~")[0]
        answer["flag"] = "order_code_reused"
        answer["message"] += _(" (order code {code} is shared by two orders: flagged for a supervisor)").format(
            code=shown)
    return answer


def _refuse() -> str:
    return _("refuse entry; send the customer to the box office")


def _recovering(ctx: Ctx) -> bool:
    """Whether this terminal was ever put back from an older copy: tickets it sold after that copy may be missing
    here for good (a loss accepted, sales that never reached the central service), and their holders are genuine."""
    from boxoffice.store import recovery as recovery_store

    return recovery_store.state(ctx.conn) is not None or recovery_store.ever_put_back(ctx.conn)


def _signed_after_revocation(ctx: Ctx, key_id: str, seen: bool, tz: str) -> str | None:
    """Why a ticket signed with a revoked terminal's key is refused, or None when its key was not revoked or the
    ticket is vouched for.

    A token carries no issue time (tickets/token.py: a version 6 QR code has no room for one), so the door asks
    what it synced instead: the central service takes nothing from a revoked terminal, so a sale it handed on (an
    order of this ticket here) reached it before the revocation, or after an admin let that machine enroll again.
    A ticket no synced data shows cannot be told from one minted after the revocation by whoever holds the key
    file, and is refused. (An honest sale made offline before the revocation and never pushed is refused too: the
    box office sees the customer.)
    """
    from boxoffice.store import terminal as terminal_store

    if seen:
        return None
    revoked = terminal_store.key_revocation(ctx.conn, key_id)
    if revoked is None:
        return None
    when = day_text(parse_iso(revoked["at"]).astimezone(zone(tz)), "%d %b %H:%M")
    said = (_("signed with {name}'s key, revoked {when}, and {not_seen}: nothing shows it was sold before that")
            if revoked["name"] else
            _("signed with key {key}, revoked {when}, and {not_seen}: nothing shows it was sold before that"))
    return said.format(name=revoked["name"], key=key_id, when=when, not_seen=_(NOT_SEEN))


def _place(ev: DoorEvent, decoded: Any) -> str | None:
    """The place as said at the door; None when the token's section is not one of the event's."""
    section = ev.sections.get(decoded.section_ref)
    if section is None:
        return None
    return f"{section} {decoded.row}{decoded.seat}" if decoded.row else section


def _other_event(ctx: Ctx, ref: bytes) -> str | None:
    """The event a token names, as people call it; None when this terminal knows no such event."""
    from boxoffice.tickets.token import event_ref

    for e in catalog_store.list_events(ctx.conn):
        if event_ref(e["id"]) == ref:
            day = day_text(parse_iso(e["starts_at"]).astimezone(zone(e["timezone"])), "%a %d %b")
            return _("{event} ({day})").format(event=e["name"], day=day)
    return None


def _record(ctx: Ctx, row: dict[str, Any], journal: bool, flag: str | None = None, item: int | None = None,
            entries: ScanJournal | None = None) -> bool:
    """Insert a scan by nonce; journal admissions and exits (through ``entries``, a group's journal, when given).
    False when the nonce was recorded before.

    The same nonce arriving with different facts is a fault upstream (or tampering): refused, not merged.
    """
    if store.insert(ctx.conn, row):
        if journal:
            kind, payload = _entry(row, flag, item)
            if entries is None:
                ctx.journal(kind, payload, operator_id=row["operator_id"])
            else:
                entries.add(kind, payload, row["operator_id"], row["at"])
        return True
    had = store.by_nonce(ctx.conn, row["id"])
    if had is not None and any(had[k] != row[k] for k in ("ticket_id", "event_id", "direction", "result")):
        raise BoxOfficeError("conflict", _("check-in {nonce} is recorded already with other details: not applied "
                                           "again").format(nonce=row["id"]))
    return False


def _entry(row: dict[str, Any], flag: str | None, item: int | None) -> tuple[str, dict[str, Any]]:
    """The journal entry of a recorded scan: an admission or exit (``checkin``), or a refusal, which changes no
    ticket but which the central reports and alerts count at every door (``scan.refused``)."""
    if row["result"] != ADMITTED:
        return "scan.refused", {"nonce": row["id"], "ticket": row["ticket_id"], "event": row["event_id"],
                                "direction": row["direction"], "at": row["at"], "result": row["result"]}
    payload = {"nonce": row["id"], "ticket": row["ticket_id"], "event": row["event_id"],
               "direction": row["direction"], "at": row["at"], "terminal": row["terminal_id"]}
    if flag:
        payload["flag"] = flag
    secret = row.get("external_secret")
    if secret:
        payload["external_secret"] = secret
    if item is not None:
        payload["pretix_item"] = item
    return "checkin", payload


def record_checkin(ctx: Ctx, nonce: str, *, ticket_id: str | None, event_id: str, direction: str, at: str,
                   result: str = ADMITTED, operator_id: str | None = None, terminal_id: str | None = None,
                   journal: bool = True, external_secret: str | None = None) -> bool:
    """Record a check-in made here or elsewhere, once per nonce; True if this call recorded it.

    What sync calls to apply a check-in it received: sending it again (a retry, a replay) changes nothing.
    ``journal=False`` for entries that came from another terminal's journal.
    """
    from boxoffice.domain.ids import is_uuid

    if not is_uuid(nonce):
        raise BoxOfficeError("bad_input", _("a check-in nonce is a UUID, not {nonce!r}").format(nonce=nonce))
    if direction not in DIRECTIONS:
        raise BoxOfficeError("bad_input", _("a check-in direction is in or out"))
    row = {"id": nonce, "ticket_id": ticket_id, "event_id": event_id, "direction": direction, "at": iso(parse_iso(at)),
           "operator_id": operator_id, "terminal_id": terminal_id or ctx.terminal["id"], "result": result,
           "external_secret": external_secret}
    with write(ctx.conn):
        return _record(ctx, row, journal)


def stats(ctx: Ctx, event_id: str) -> DoorStats:
    """How many are in now, how many tickets were ever let in, entries, exits and refusals for one event."""
    ev = catalog_store.get_event(ctx.conn, event_id)
    if ev is None:
        raise BoxOfficeError("not_found", _("no event {event!r} here: `boxoffice event list` shows them").format(
            event=event_id))
    return cast(DoorStats, {"event_id": ev["id"], "event": ev["name"], **store.stats(ctx.conn, ev["id"])})
