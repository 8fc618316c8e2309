"""Rules of recovering a terminal put back from an older copy of its database. Pure: no I/O.

States (the ``recovery`` row, services/recovery.py):
- ``needed``: the database is behind what the terminal did (restored from an older backup, copied back by hand, or
  its journal diverged from the central service's copy). Nothing that changes a sale, a ticket or the cash may be
  done until `boxoffice sync recover` has brought back what the copy lacks: the allocation, the tickets handed out
  and checked in, the shift open, are all as they were at the copy.
- ``gap``: restored with ``--accept-loss``. The terminal works on; the central service's allocations are held at
  zero (places it may have sold since the copy are not sold again) until the recovery.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from boxoffice.i18n import N_, _, ngettext

NEEDED, GAP = "needed", "gap"

# What may still be journalled while recovery is needed: nothing here touches a sale, a ticket, a seat or the
# drawer. People log in and out (and are unlocked or given a new PIN), incidents and complaints are written down, an
# emergency pause still works, a replacement machine can enroll again, and the restore and the recovery record
# themselves.
ALLOWED_WHILE_NEEDED = frozenset({
    "operator.login", "operator.logout", "operator.locked", "operator.unlock", "operator.pin_reset",
    "operator.language", "incident.open",
    "incident.note", "incident.close", "pause", "resume", "sync.enroll", "restore", "recover", "recover.reappended",
    "alert.raised", "alert.cleared", "complaint.add", "complaint.close",
})

MESSAGES = {
    "restore": N_("this terminal was restored from an older backup: run `boxoffice sync recover` before selling"),
    "copied_back": N_("this terminal's database was copied back from an older file: run `boxoffice sync recover` "
                      "before selling"),
    "diverged": N_("this terminal's journal no longer matches the central service's copy (its database was put "
                   "back from an older file): run `boxoffice sync recover` before selling"),
    # No central service to recover from: only the newer file, or accepting the loss, gets the terminal going.
    "alone": N_("this terminal's database was put back from an older file and it has no central service to "
                "recover from: put the newer file back, or `boxoffice restore BACKUP --accept-loss` to go on without "
                "what was done since"),
}

# How entry kinds are counted when saying what a copy lacks ("12 sales, 3 refunds since this backup").
_NOUNS: dict[str, Callable[[int], str]] = {
    "sale": lambda n: ngettext("{n} sale", "{n} sales", n),
    "refund": lambda n: ngettext("{n} refund", "{n} refunds", n),
    "exchange": lambda n: ngettext("{n} exchange", "{n} exchanges", n),
    "pickup": lambda n: ngettext("{n} pickup", "{n} pickups", n),
    "checkin": lambda n: ngettext("{n} check-in", "{n} check-ins", n),
    "scan.refused": lambda n: ngettext("{n} refused scan", "{n} refused scans", n),
    "shift.open": lambda n: ngettext("{n} shift opened", "{n} shifts opened", n),
    "shift.close": lambda n: ngettext("{n} shift closed", "{n} shifts closed", n),
    "cash.in": lambda n: ngettext("{n} cash in", "{n} cash ins", n),
    "cash.out": lambda n: ngettext("{n} cash out", "{n} cash outs", n),
    "allocation.release": lambda n: ngettext("{n} allocation release", "{n} allocation releases", n),
}
_ORDER = list(_NOUNS)


def blocks(state: str | None, kind: str) -> bool:
    """Whether an entry of ``kind`` is refused in ``state``."""
    return state == NEEDED and kind not in ALLOWED_WHILE_NEEDED


def describe(kinds: Mapping[str, int]) -> str:
    """'12 sales, 3 refunds and 40 other entries' for counts by entry kind (the kinds people care about first)."""
    parts = []
    other = 0
    for kind, n in sorted(kinds.items(), key=lambda kv: (_ORDER.index(kv[0]) if kv[0] in _NOUNS else 99, kv[0])):
        if not n:
            continue
        if kind in _NOUNS:
            parts.append(_NOUNS[kind](n).format(n=n))
        elif kind == "entries":  # counted without their kinds (from the marks file or the central service)
            parts.append(ngettext("{n} journal entry", "{n} journal entries", n).format(n=n))
        else:
            other += n
    if other:
        parts.append(ngettext("{n} other entry", "{n} other entries", other).format(n=other))
    if not parts:
        return _("nothing")
    if len(parts) == 1:
        return parts[0]
    return _("{items} and {last}").format(items=_(", ").join(parts[:-1]), last=parts[-1])


def places_left_sold(entries: list[tuple[str, dict]]) -> dict[str, list]:
    """The places a run of entries (kind, payload), in order, left sold: the tickets their sales and exchanges
    issued, less those their own refunds and exchanges took back. {"general": [[event, section, n]], "seats":
    [[event, section, label]]}.

    What entries lost with an overwritten database had sold: those places stay out of sale here after a restore
    that accepted the loss, so no customer who holds one of those tickets finds a second customer on the place.
    """
    tickets: dict[str, tuple[str, str, str | None]] = {}
    for kind, p in entries:
        if not isinstance(p, dict):
            continue
        if kind == "refund":
            for item in p.get("items") or []:
                if isinstance(item, dict):
                    tickets.pop(str(item.get("ticket_id")), None)
        if kind == "exchange":
            for old in p.get("old_tickets") or []:
                tickets.pop(str(old), None)
        if kind in ("sale", "exchange") and isinstance(p.get("order"), dict):
            event = str(p["order"].get("event_id"))
            for t in p.get("tickets") or []:
                if isinstance(t, dict) and t.get("id"):
                    label = f"{t['row']}{t['seat']}" if t.get("row") is not None else None
                    tickets[str(t["id"])] = (event, str(t.get("section_id")), label)
    general: dict[tuple[str, str], int] = {}
    seats = []
    for event, section, label in tickets.values():
        if label is None:
            general[(event, section)] = general.get((event, section), 0) + 1
        else:
            seats.append([event, section, label])
    return {"general": [[e, s, n] for (e, s), n in sorted(general.items())], "seats": sorted(seats)}
