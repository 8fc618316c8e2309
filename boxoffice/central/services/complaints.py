"""Every terminal's complaints on the central service: taken from their journal entries at ingest, listed for the
admin (`boxoffice central complaints`), and counted across terminals for the ``complaints_high`` alert.

A pushed entry is hostile input: ``complaint.add`` and ``complaint.close`` payloads are read tolerantly, and one
whose fields a table cannot hold (not text, a NUL, too long, a category outside the fixed set) is left in the
journal as it came and not written here, rather than failing the whole batch. Card numbers never get this far: the
push is refused before (central/services/free_text.py; ``note`` is one of its free-text keys). A terminal closes
only its own complaints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice.central.store import complaints as store
from boxoffice.central.store import terminals
from boxoffice.central.store.db import CentralDB
from boxoffice.domain import complaints as rules
from boxoffice.domain.clock import iso, to_utc
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.wire import codec

ADD, CLOSE = "complaint.add", "complaint.close"
KINDS = frozenset({ADD, CLOSE})
_REF_MAX = 100  # ids, codes and event ids: far longer than any real one


def record(db: CentralDB, terminal_id: str, entries: Sequence[dict[str, Any]], now: str) -> int:
    """Write the complaints a batch's new entries add and close (in the caller's transaction); how many rows
    were written or closed."""
    adds, closes = [], []
    for e in entries:
        if e["kind"] not in KINDS:
            continue
        body = _payload(e)
        if body is None:
            continue
        if e["kind"] == ADD:
            row = _added(body, e, terminal_id, now)
            if row is not None:
                adds.append(row)
        elif _ref(body.get("id")) and _text(body.get("note"), rules.NOTE_MAX):
            closes.append((body["id"], e["at"], e["operator_id"], body["note"]))
    store.add(db, adds)
    closed = sum(store.close(db, cid, terminal_id, at, by, note) for cid, at, by, note in closes)
    return len(adds) + closed


def _payload(entry: dict[str, Any]) -> dict[str, Any] | None:
    try:
        body = codec.loads(entry["payload"])
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and "\x00" not in value


def _ref(value: Any) -> bool:
    return _text(value, _REF_MAX)


def _added(body: dict[str, Any], entry: dict[str, Any], terminal_id: str, now: str) -> tuple[Any, ...] | None:
    """A complaints row (store.COLUMNS order) from a ``complaint.add`` payload, or None when it cannot be one."""
    refs = ("event_id", "order_id", "order_code", "ticket_id")
    if not _ref(body.get("id")) or body.get("category") not in rules.CATEGORIES:
        return None
    if any(body.get(k) is not None and not _ref(body.get(k)) for k in refs):
        return None
    note = body.get("note")
    if note is not None and not _text(note, rules.NOTE_MAX):
        return None
    return (body["id"], terminal_id, entry["id"], body["category"], *(body.get(k) for k in refs), note, entry["at"],
            entry["operator_id"], now)


def in_force(db: CentralDB, now: Any, t: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``complaints_high`` alerts across every terminal as synced (domain/complaints.bursts), each naming the
    terminals its complaints came from."""
    after, upto = rules.window(now, t["complaints_minutes"])
    found = rules.bursts(store.in_window(db, after, upto), t["complaints_over"], t["complaints_venue_over"],
                         t["complaints_minutes"])
    names = terminals.names(db)
    for a in found:
        a["source"] = "central"
        a["terminals"] = [names.get(tid, tid) for tid in a["terminal_ids"]]
        a["message"] = _("{message}: `boxoffice central complaints --open` lists them").format(message=a["message"])
    return found


def list_complaints(url: str, *, status: str | None = None, category: str | None = None, event: str | None = None,
                    terminal: str | None = None, since: str | None = None,
                    until: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """`boxoffice central complaints`: every terminal's complaints as synced, oldest first, and the venue's time
    zone to show them in. ``terminal`` is a terminal's name or id; ``since`` and ``until`` are the venue's local
    times (or ISO times with a zone)."""
    from boxoffice.central.services import published
    from boxoffice.central.services.admin import open_db

    if status not in (None, "open", "closed"):
        raise BoxOfficeError("bad_input", _("status is open or closed"))
    with open_db(url) as db:
        tid = None
        if terminal:
            every = terminals.names(db)
            tid = terminal if terminal in every else next((k for k, v in every.items() if v == terminal), None)
            if tid is None:
                raise BoxOfficeError("not_found", _("no terminal {which!r}: `boxoffice central terminals` lists "
                                                    "them").format(which=terminal))
        tz = str(published.events(db)["venue"].get("timezone") or "UTC")
        return store.listed(db, status=status, category=rules.category(category) if category else None,
                            event_id=event, terminal_id=tid, since=iso(to_utc(since, tz)) if since else None,
                            until=iso(to_utc(until, tz)) if until else None), tz
