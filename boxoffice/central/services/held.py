"""Releasing a held foreign refund: `boxoffice central release-held ENTRY`.

A supervisor's refund of tickets another terminal (or the web shop) sold is applied under its override, up to
``ownership.FOREIGN_PER_HOUR`` entries and ``FOREIGN_TICKETS_PER_HOUR`` tickets an hour from one terminal; past
that it is held: kept in the journal, not applied, flagged ``foreign_refund_held`` (central/services/
ownership.py), because a stolen terminal could write that override on every ticket of the night.

Once the admin has checked that the refund was real (the customers were paid back at that counter), releasing it
applies the entry itself, whole, as its batch would have without the cap: every ticket it names refunded and
revoked on every terminal, its claims taken, a ticket another terminal refunded first flagged as usual. That keeps
the refund's own reason and entry, where revoking its tickets one by one (`central revoke-ticket`) would not. The
entry is judged again by every rule but the cap (its ids taken since, a role withdrawn: refused), an exchange's new
order is named, and a terminal revoked since it sent the entry needs ``force``. An entry is released once
(``held_releases``); only a held entry can be.
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.services.admin import run
from boxoffice.central.services.ingest import apply_released
from boxoffice.central.store import held as rows
from boxoffice.central.store import terminals as terminal_rows
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.clock import Clock, iso, system_clock
from boxoffice.domain.ids import is_uuid
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _


def release(url: str, entry_id: str, clock: Clock = system_clock, force: bool = False) -> dict[str, Any]:
    """Apply the held refund ``entry_id`` (the ``second_entry`` its ``foreign_refund_held`` conflict names) once;
    what it revoked, the order an exchange sold with it, and the terminal that sent it. Refused for a terminal
    revoked since (it may have been stolen when it wrote the refund) unless ``force``, and when any rule but the
    hourly cap refuses the entry now; retried whole on a deadlock."""
    if not is_uuid(entry_id):
        raise BoxOfficeError("bad_input", _("an entry id is a UUID (the second entry `boxoffice central conflicts "
                                            "--json` shows for a held refund), not {entry!r}").format(entry=entry_id))
    now = iso(clock())
    return run(url, lambda db: _release(db, entry_id, now, force))


def _release(db: CentralDB, entry_id: str, now: str, force: bool) -> dict[str, Any]:
    with db.transaction():
        held = rows.conflict_of(db, entry_id)
        entry = rows.entry(db, entry_id) if held else None
        if held is None or entry is None:
            raise BoxOfficeError("not_found", _("no refund held with entry {entry}: `boxoffice central conflicts` "
                                                "lists the held ones ({kind})").format(entry=entry_id,
                                                                                        kind=rows.HELD))
        done = rows.release_of(db, entry_id)
        if done is not None:
            raise BoxOfficeError("conflict", _("the refund of entry {entry} was released already, at {at}").format(
                entry=entry_id, at=done["released_at"]))
        terminal = terminal_rows.by_id(db, entry["terminal_id"])
        if terminal is None:
            raise BoxOfficeError("not_found", _("the terminal that sent entry {entry} is not known here").format(
                entry=entry_id))
        if terminal.get("revoked_at") and not force:
            raise BoxOfficeError("conflict", _("{terminal} was revoked at {at}, after it sent this refund: it may "
                                               "have been stolen when it wrote it. Check with the counter, then "
                                               "release it with --force").format(terminal=terminal["name"],
                                                                                 at=terminal["revoked_at"]))
        eff = apply_released(db, terminal, entry, now)
        tickets = sorted({t for t, _reason in eff.revoked} | {c.subject for c in eff.claims if c.action == "refund"})
        if not rows.record_release(db, entry_id, held["id"], now, len(tickets)):
            raise BoxOfficeError("conflict", _("the refund of entry {entry} was released already").format(
                entry=entry_id))
    return {"entry_id": entry_id, "terminal_id": terminal["id"], "terminal": terminal["name"],
            "terminal_revoked": terminal.get("revoked_at") is not None, "released_at": now, "tickets": tickets,
            "new_order": eff.order["code"] if eff.order else None}

