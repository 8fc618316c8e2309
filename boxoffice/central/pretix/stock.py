"""Bridge step `stock` (see runner.py): every terminal's vouchers in pretix made equal to its allocation again.

Grants raise a voucher before they commit and releases lower it after (central/services/stock_gate.py), so in a
calm service this step finds nothing to do. It mends what a crash, a failed lowering, or a hand in pretix's back
office left: for every (terminal, section) that has an allocation of a linked section or a voucher row, the
voucher's ``max_usages`` becomes the allocation (raised only through pretix's quota check, never past it: a raise
pretix refuses is counted ``refused`` and tried again next round); and every ``boxoffice`` voucher the bridge
keeps no row for (a reserve a crash left, a voucher of a grant that was rolled back) is given back.

Each pretix event is done in one transaction under the allocation lock: grants and releases wait for it, so what a
terminal holds cannot move while its voucher is compared, and a voucher made by a grant still in flight is not
taken for a stray one. In a calm round that is one listing per event.
"""

from __future__ import annotations

from boxoffice.central.pretix.bridge import Bridge
from boxoffice.central.pretix.vouchers import Vouchers
from boxoffice.central.services import allocation_ledger as ledger
from boxoffice.central.store import pretix_vouchers as rows
from boxoffice.central.store.db import CentralDB
from boxoffice.errors import BoxOfficeError


def run(bridge: Bridge) -> dict[str, int]:
    """One pass: counts of vouchers raised, lowered, unchanged, refused (no room in pretix) and strays given back."""
    counts = {"raised": 0, "lowered": 0, "unchanged": 0, "refused": 0, "strays": 0}
    vouchers = Vouchers(bridge.client, bridge.now)
    db = bridge.db
    for event in bridge.settings.events:
        with db.transaction():
            ledger.lock(db)
            listing = vouchers.listing(event)
            for terminal_id, event_id, section_id in _pairs(db, event):
                try:
                    for k, v in vouchers.reconcile(db, terminal_id, event_id, section_id, listing).items():
                        counts[k] += v
                except BoxOfficeError as exc:
                    if exc.code != "sold_out":
                        raise
                    counts["refused"] += 1
            known = rows.known_ids(db, event)
            for vid, voucher in listing.items():
                if vid not in known and vouchers.give_back(event, voucher):
                    counts["strays"] += 1
    return counts


def _pairs(db: CentralDB, pretix_event: str) -> list[tuple[str, str, str]]:
    """Every (terminal, event, section) of one pretix event with an allocation of a linked section or a voucher."""
    found: set[tuple[str, str, str]] = set()
    for event_id, section_id in rows.linked_sections(db):
        link = rows.section_link(db, event_id, section_id)
        events = {link["pretix_event"]} if link else {s["pretix_event"] for s in
                                                      rows.seat_links(db, event_id, section_id).values()}
        if pretix_event not in events:
            continue
        holders = set(ledger.allocated(db, event_id, section_id))
        found |= {(t, event_id, section_id) for t in holders}
    found |= {p for p in rows.pairs(db) if _event_of(db, p) == pretix_event}
    return sorted(found)


def _event_of(db: CentralDB, pair: tuple[str, str, str]) -> str | None:
    """The pretix event of a pair's voucher rows."""
    for row in rows.of_section(db, *pair).values():
        return str(row["pretix_event"])
    return None
