"""Bridge step `checkins` (see runner.py): pickups and door check-ins the terminals pushed, up to pretix.

Every pickup and admitted door scan (exits too) in the central journal is sent once, oldest first, through
``checkinrpc/redeem/`` with the ticket's pretix secret: a pickup on the bridge's pickup list, a door scan on the
event's entry list (checkin_lists.py), an exit as ``type: exit``; the entry's own time as ``datetime``. The secret is
known from ``pretix_tickets`` (written when a terminal sale went up or a web order came down) or, for a door scan of a
pretix ticket no central data knew yet (a signed ``pretix_sig1`` secret verified offline), from the entry's
``external_secret``.

Why it can be repeated: the nonce of each redeem is the journal entry id (with the ticket's place in the entry when
one pickup covers several tickets), and pretix answers a second redeem with a nonce it has seen on that ticket and
list as done, adding nothing. So the step needs no idempotency key (a key would also replay a refusal, such as a
missing permission, after it was put right), and a crash between pretix's answer and the record here costs nothing.

What pretix answers, and what becomes of it (``pretix_checkins.state``):
- ``ok``: sent;
- ``already_redeemed``: pretix had the ticket in already (its own scanner): a central conflict, the same shape as a
  double check-in between two terminals, naming pretix as the other side and the rule. When what pretix had was
  another boxoffice entry of the same ticket (two doors or desks: the central service flagged that pair when they
  were pushed), no second flag is raised for the same double check-in;
- any other refusal (canceled, unpaid, product not on the list, unknown or revoked secret...): refused, with
  pretix's reason, shown by `boxoffice central pretix status`;
- 5xx or no answer: the step stops there (the runner ends the round) and the next round takes it up again.
A ticket whose pretix secret is not known yet waits (``waiting``) and is looked at again each round; entries that
are not for pretix (another event, a scan the door refused, an entry the central service did not apply) are
``skipped``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from boxoffice.central.pretix import checkin_lists
from boxoffice.central.pretix.bridge import Bridge
from boxoffice.central.pretix.client import reason
from boxoffice.central.services import feed
from boxoffice.central.services.effects import CHECKIN_KINDS, EXIT_KINDS, PICKUP_KINDS, ticket_ids_of
from boxoffice.central.store import conflicts
from boxoffice.central.store import pretix_checkins as rows
from boxoffice.domain.ids import is_uuid, uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.wire import codec

PAGE = 100
KINDS = tuple(sorted(PICKUP_KINDS | CHECKIN_KINDS | EXIT_KINDS))
FINAL = frozenset({rows.SENT, rows.REFUSED, rows.CONFLICT, rows.SKIPPED})
NOT_APPLIED = conflicts.NOT_APPLIED  # central kept the entry, did not apply it
PRETIX = "pretix"
REDEEM = "checkinrpc/redeem/"
RULE = {"pickup": "pretix had this ticket picked up already; pretix keeps the first: the boxoffice pickup is kept "
                  "and flagged",
        "entry": "pretix had this ticket checked in already (another scanner); pretix keeps the first: the boxoffice "
                 "check-in is kept and flagged"}
_SECRET = re.compile(r"^[\x21-\x7e]{1,200}$")


def run(bridge: Bridge) -> dict[str, int]:
    """Send every pickup and check-in not sent yet, page by page; returns how many went which way."""
    step = _Step(bridge)
    for pick in (rows.waiting_with_secret, lambda db, n: rows.unseen(db, KINDS, n)):
        while True:
            page = [e for e in pick(bridge.db, PAGE) if e["id"] not in step.done]
            if not page:
                break
            step.page(page)
    return dict(step.counts)


def summary(db: Any) -> dict[str, Any]:
    """For `central pretix status`: tickets' check-ins pending (waiting for a secret, or in entries not looked at
    yet), sent, refused (with the newest refusals) and flagged."""
    n = rows.counts(db, KINDS)
    return {"pending": n[rows.WAITING] + n["unseen"], "sent": n[rows.SENT], "refused": n[rows.REFUSED],
            "conflict": n[rows.CONFLICT], "skipped": n[rows.SKIPPED], "refused_recent": rows.refused(db, 10)}


class _Step:
    """One run: the bridged events, the lists found so far, and the counts."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge, self.db = bridge, bridge.db
        events = bridge.settings.events
        self.bridged = {e.lower(): e for e in events}  # boxoffice event id -> pretix event slug
        self.bridged |= {k: v for k, v in rows.event_links(self.db).items() if v in events}
        self.local = {v: k for k, v in self.bridged.items()}
        self.lists: dict[tuple[str, str], int] = {}
        self.done: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.flags: dict[str, set[str]] = {}

    def page(self, entries: list[dict[str, Any]]) -> None:
        self.flags = rows.flagged(self.db, [e["id"] for e in entries])
        for e in entries:
            self.entry(e)
            self.done.add(e["id"])

    def entry(self, e: dict[str, Any]) -> None:
        """Every ticket of one entry: sent, refused, flagged, waiting or skipped."""
        payload = _payload(e)
        flags = self.flags.get(e["id"], set())
        role, ctype, tickets = _what(e["kind"], payload)
        external = payload.get("external_secret")
        external = external if isinstance(external, str) and _SECRET.match(external) else None
        why = (f"not applied by the central service ({', '.join(sorted(flags & NOT_APPLIED))})"
               if flags & NOT_APPLIED else None if role else "not an admission")
        if why is None and not tickets and external is None:
            why = "names no ticket"
        if why is not None:
            self._record(e, "", role or "entry", "", rows.SKIPPED, why)
            return
        had = rows.rows_of(self.db, e["id"])
        known = rows.secrets(self.db, tickets)
        central = rows.tickets(self.db, tickets)
        hint = payload.get("event") or payload.get("event_id")
        targets = list(enumerate(tickets)) if tickets else [(0, "")]
        for index, tid in targets:
            if had.get(tid) in FINAL:
                continue
            nonce = e["id"] if len(targets) == 1 else f"{e['id']}-{index}"
            if not tid:
                event_id = hint if isinstance(hint, str) else ""
                pretix_event, secret = self.bridged.get(event_id), external
            elif tid in known:
                pretix_event, secret = known[tid]["pretix_event"], known[tid]["secret"]
                event_id = self.local.get(pretix_event, "")
            else:
                ev = central.get(tid, {}).get("event_id") or hint
                state = rows.SKIPPED if isinstance(ev, str) and ev not in self.bridged else rows.WAITING
                self._record(e, tid, role, "", state, "no pretix secret for this ticket" if state == rows.WAITING
                             else "not a bridged event")
                continue
            if not pretix_event or not event_id or not secret:
                self._record(e, tid, role, pretix_event or "", rows.SKIPPED, "not a bridged event")
                continue
            order_id = central.get(tid, {}).get("order_id")
            self._send(e, tid, role, ctype, nonce, event_id, pretix_event, secret, order_id)

    def _send(self, e: dict[str, Any], tid: str, role: str, ctype: str, nonce: str, event_id: str,
              pretix_event: str, secret: str, order_id: str | None) -> None:
        list_id = checkin_lists.list_id(self.bridge, self.lists, event_id, pretix_event, role)
        body = {"secret": secret, "lists": [list_id], "nonce": nonce, "type": ctype, "datetime": e["at"],
                "force": False, "ignore_unpaid": False, "source_type": "barcode", "questions_supported": False}
        try:
            answer = self.bridge.client.post(REDEEM, body, key="")  # the nonce makes it idempotent (see above)
        except BoxOfficeError as exc:
            answer = self._refusal(exc, event_id, pretix_event)
        answer = answer if isinstance(answer, dict) else {}
        kind = role if ctype == "entry" else "exit"
        status = answer.get("status")
        if status == "ok":
            self._record(e, tid, kind, pretix_event, rows.SENT, None)
        elif answer.get("reason") == "already_redeemed":
            said = "already_redeemed"
            if tid and rows.sent_by_another(self.db, tid, kind, e["id"]):
                said += ": another boxoffice entry of this ticket went up first"
            else:
                self._flag(e, tid, role, pretix_event, list_id, answer, order_id)
            self._record(e, tid, kind, pretix_event, rows.CONFLICT, said)
        else:
            why = str(answer.get("reason") or status or "refused")
            explained = answer.get("reason_explanation")
            text = f"{why}: {reason(explained)}" if explained else why
            self._record(e, tid, kind, pretix_event, rows.REFUSED, text[:300])

    def _refusal(self, exc: BoxOfficeError, event_id: str, pretix_event: str) -> dict[str, Any]:
        """pretix's answer to a refused redeem, or the error again when the step must stop (no answer, a list that
        is gone, a permission missing: the next round tries again)."""
        if exc.code != "pretix_refused":
            raise exc
        body, status = exc.details.get("body"), exc.details.get("status")
        if isinstance(body, dict) and body.get("status") in ("error", "incomplete", "exchange"):
            return body
        if status == 400 and isinstance(body, dict) and "lists" in body:
            checkin_lists.forget(self.bridge, self.lists, event_id, pretix_event)
            raise exc
        if status in (400, 404):
            return {"status": "error", "reason": "invalid", "reason_explanation": reason(body)}
        raise exc

    def _flag(self, e: dict[str, Any], tid: str, role: str, pretix_event: str, list_id: int,
              answer: dict[str, Any], order_id: str | None) -> None:
        """A conflict as two terminals' double check-in is flagged: pretix's check-in first, this entry second;
        for the admin and for the terminal whose entry it was."""
        position = answer.get("position") if isinstance(answer.get("position"), dict) else {}
        first = _first_checkin(position, list_id, self.bridge.now())
        subject = tid or f"pretix:{pretix_event}/{position.get('order', '?')}-{position.get('positionid', '?')}"
        body = {"id": uuid7(), "kind": "picked_up_twice" if role == "pickup" else "checked_in_twice",
                "subject": str(subject)[:300], "order_id": order_id if is_uuid(order_id or "") else None,
                "ticket_id": tid if is_uuid(tid) else None, "first": first,
                "second": {"terminal_id": e["terminal_id"], "entry_id": e["id"], "at": e["at"]},
                "rule": RULE[role], "at": self.bridge.now()}
        with self.db.transaction():
            conflicts.insert(self.db, body)
            feed.append(self.db, [feed.Change("conflict", body, audience=e["terminal_id"])], self.bridge.now())
        self.counts["conflicts"] += 1

    def _record(self, e: dict[str, Any], tid: str, kind: str, pretix_event: str, state: str,
                result: str | None) -> None:
        with self.db.transaction():
            rows.record(self.db, e["id"], tid, kind, pretix_event, state, result, self.bridge.now())
        self.counts[state] += 1


def _payload(e: dict[str, Any]) -> dict[str, Any]:
    try:
        payload = codec.loads(e["payload"])
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _what(kind: str, payload: dict[str, Any]) -> tuple[str, str, list[str]]:
    """(list role, redeem type, ticket ids) of an entry; role '' when it admitted nobody (the door refused)."""
    if kind in PICKUP_KINDS:
        return "pickup", "entry", ticket_ids_of(payload)
    if payload.get("admitted") is False or payload.get("result") not in (None, "admitted", "admit"):
        return "", "entry", []
    out = kind in EXIT_KINDS or payload.get("direction") in ("out", "exit")
    return "entry", "exit" if out else "entry", ticket_ids_of(payload)[:1]


def _first_checkin(position: dict[str, Any], list_id: int, now: str) -> dict[str, str]:
    """pretix's side of the conflict: its latest entry on the list for this ticket (when pretix's answer shows
    none, pretix itself as of now)."""
    found = [c for c in position.get("checkins") or [] if isinstance(c, dict) and c.get("list") == list_id
             and c.get("type", "entry") == "entry"]
    found.sort(key=lambda c: str(c.get("datetime") or ""))
    if not found:
        return {"terminal_id": PRETIX, "entry_id": PRETIX, "at": now}
    last = found[-1]
    ident = str(last.get("id")) if isinstance(last.get("id"), int) else ""
    return {"terminal_id": PRETIX, "entry_id": f"pretix-checkin-{ident}" if ident else PRETIX,
            "at": str(last.get("datetime") or now)[:40]}
