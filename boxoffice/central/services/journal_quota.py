"""Each terminal's hourly share of the central journal, so that one stolen terminal cannot fill the central disk
before the admin hears of it.

Within its request rate a terminal could push about 25 MB a second of entries that are well formed, signed with its
own key and its own to make: the central database would grow until its disk was full, and the service would stop
for every terminal. So each push is charged its body's bytes against its terminal's share of the hour (the central
clock's): ``Limits.journal_bytes_per_hour`` (`central serve --journal-mb-per-hour`, 256 MB by default; 0: none).
Past it a push is refused, before it is parsed, with 429 ``journal_quota`` and a ``Retry-After`` to the next hour.
The terminal keeps its entries and sends them then: nothing is lost, and its sales go on offline meanwhile. `boxoffice
central alerts` names the terminal (``journal_quota``) for an hour after, so the admin can look and revoke it if it
was stolen. The default is far above a night's work: a terminal's sale entry is about 1-2 kB, so a day offline
with tens of thousands of them catches up within one hour's share. The share bounds request bytes; what they take
on disk (entries, their flags, feed changes, indexes) is up to about four times as much for refused entries.

A terminal past its share still pulls (services/sync/rounds.py): revocations, pauses and recalls reach it while its
entries wait. `central serve` refuses a share below --max-push-mb, which one full push could never fit.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from boxoffice.central.errors import CentralError
from boxoffice.central.store import terminals as rows
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.clock import iso, parse_iso
from boxoffice.i18n import _

MB = 1_000_000  # as `central serve --max-push-mb` counts them
CODE = "journal_quota"


def charge(db: CentralDB, terminal: dict[str, Any], nbytes: int, now: str, per_hour: int) -> None:
    """Charge a push of ``nbytes`` to ``terminal``'s share of the hour of ``now``; refuse it past ``per_hour``
    bytes (the refused bytes count too: a terminal sending again and again stays refused until the hour ends)."""
    if per_hour <= 0:
        return
    at = parse_iso(now)
    hour = _hour(at)
    with db.transaction():
        used = rows.charge_journal(db, terminal["id"], iso(hour), nbytes)
        if used > per_hour:
            rows.journal_quota_hit(db, terminal["id"], now)
    if used > per_hour:
        wait = max(1, math.ceil((hour + timedelta(hours=1) - at).total_seconds()))
        raise CentralError(429, CODE, _("this terminal has sent more than its share of journal this hour ({mb} MB): "
                                        "the central service takes its entries again in {seconds} s, and nothing "
                                        "is lost meanwhile").format(mb=per_hour // MB or 1, seconds=wait),
                           retry_after=wait)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def same_hour(hour: str | None, at: str) -> bool:
    """Whether the stored ``journal_hour`` is the hour of ``at`` (the count is still that hour's)."""
    return hour is not None and parse_iso(hour) == _hour(parse_iso(at))


def past_quota(db: CentralDB, now: str) -> list[dict[str, Any]]:
    """Terminals not revoked that went past their share within the hour before ``now``."""
    return rows.past_journal_quota_since(db, iso(parse_iso(now) - timedelta(hours=1)))
