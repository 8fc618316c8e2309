"""The pretix stock gate (central/services/stock_gate.py): a grant raises the terminal's voucher in pretix first, a
release lowers it after. Installed in every process that grants places in bridge mode: the service's workers
(central/api/app.py) and `boxoffice central allocate` / `recall` / `write-off` when ``BOXOFFICE_PRETIX_BRIDGE`` is
set (central/pretix/service.py's ``settings_to_env`` sets it for the service).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from boxoffice.central.pretix.client import PretixClient
from boxoffice.central.pretix.settings import PretixSettings
from boxoffice.central.pretix.vouchers import Vouchers
from boxoffice.central.services import allocation_ledger as ledger
from boxoffice.central.services import stock_gate
from boxoffice.central.store import pretix_vouchers as rows
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.clock import iso, system_clock
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _


class PretixGate:
    """Raises and lowers the bridge's vouchers for grants and releases of linked sections (others pass)."""

    def __init__(self, settings: PretixSettings) -> None:
        self.settings = settings
        self._client: PretixClient | None = None
        self._lock = threading.Lock()

    def _vouchers(self) -> Vouchers:
        with self._lock:  # one keep-alive pool per process, made on first use
            if self._client is None:  # short: a grant waits on it holding the database's write lock
                self._client = PretixClient(self.settings, timeout=8.0, retries=1)
            return Vouchers(self._client, lambda: iso(system_clock()))

    def before_grant(self, db: CentralDB, terminal_id: str, event_id: str, section_id: str, count: int,
                     seats: Sequence[str]) -> None:
        """Raise the voucher by ``count`` (or make the seats' vouchers); pretix's refusal refuses the grant."""
        if not rows.linked(db, event_id, section_id):
            return
        self._check_event(db, event_id, section_id)
        vouchers = self._vouchers()
        if seats:
            vouchers.seats(db, terminal_id, event_id, section_id, list(seats), add_only=True)
            return
        target = ledger.allocated(db, event_id, section_id).get(terminal_id, 0) + count
        vouchers.standing(db, terminal_id, event_id, section_id, target)

    def after_release(self, db: CentralDB, terminal_id: str, event_id: str, section_id: str) -> None:
        """Lower the terminal's vouchers of a section to what it holds now (its own transaction, under the lock)."""
        if not rows.linked(db, event_id, section_id):
            return
        vouchers = self._vouchers()
        with db.transaction():
            ledger.lock(db)
            vouchers.reconcile(db, terminal_id, event_id, section_id)

    def _check_event(self, db: CentralDB, event_id: str, section_id: str) -> None:
        """A linked section of a pretix event this process was not given is refused (its vouchers would be made
        with the wrong organizer's token, or not be lowered by the rounds)."""
        link = rows.section_link(db, event_id, section_id)
        events = {link["pretix_event"]} if link else {s["pretix_event"] for s in
                                                      rows.seat_links(db, event_id, section_id).values()}
        stray = sorted(events - set(self.settings.events))
        if stray:
            raise BoxOfficeError("bad_config", _("{event_id}/{section_id} is linked to the pretix event {pretix} "
                                                 "which this bridge was not given (--pretix-event)").format(
                                                     event_id=event_id, section_id=section_id, pretix=stray[0]))


def install_for(db_url: str) -> bool:
    """Install the pretix gate for an admin command on ``db_url``: bridge mode from the environment, else the
    settings the last bridge round on that database used (central/pretix/service.py ``remember``); whether it
    did. So `boxoffice central allocate` moves places in pretix with no more than the database named."""
    if install_from_env():
        return True
    from boxoffice.central.pretix.service import remembered_settings

    settings = remembered_settings(db_url)
    if settings is None:
        return False
    stock_gate.install(PretixGate(settings))
    return True


def install_from_env() -> bool:
    """Install the pretix gate when this process runs in bridge mode (``BOXOFFICE_PRETIX_BRIDGE``); whether it
    did."""
    from boxoffice.central.pretix.service import settings_from_env

    settings = settings_from_env()
    if settings is None:
        return False
    stock_gate.install(PretixGate(settings))
    return True
