"""The pretix side of stock: one quota-blocking voucher per (terminal, section), one per seat of a reserved section,
each blocking exactly what the terminal holds, so pretix's web shop cannot sell the terminal's places.

A standing section's voucher: ``quota`` = the section's quota, ``block_quota``, ``max_usages`` = the terminal's whole
allocation of the section (unsold + sold from it; an order the bridge sends up for a terminal's sale redeems it),
price mode none, tag ``boxoffice``, a comment naming the terminal. A reserved seat's voucher: ``seat`` = its guid,
``item`` = the seat's item, ``max_usages`` 1.

Raising is the part that must not oversell, and pretix checks the quota only when a blocking voucher is *made*
(a PATCH that raises ``max_usages`` is taken unchecked, even past the quota's size). So a raise first makes a
reserve voucher for the difference (checked and locked by pretix: a refusal means the quota has no room, and the
grant is refused ``sold_out``), then raises the terminal's voucher by that much (now covered), then deletes the
reserve. A crash in between leaves both, which blocks too much (pretix sells less), never too little; the
``stock`` step deletes a reserve it finds (a ``boxoffice`` voucher it keeps no row for).

Codes are what a web customer types: ``BX-`` and 32 random base32 characters (160 bits), which nobody guesses.
pretix 2026.8 has no per-voucher sales channel, so the code's secrecy is what keeps the web shop from redeeming it.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from boxoffice.central.pretix.client import PretixClient, reason
from boxoffice.central.services import allocation_ledger as ledger
from boxoffice.central.store import pretix_vouchers as rows
from boxoffice.central.store import terminals
from boxoffice.central.store.db import CentralDB
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

TAG = "boxoffice"
PREFIX = "BX-"
Counts = dict[str, int]


def new_code() -> str:
    """A voucher code nobody can guess: 160 random bits."""
    return PREFIX + base64.b32encode(secrets.token_bytes(20)).decode("ascii")


class Vouchers:
    """The bridge's vouchers in one pretix organizer. Callers hold the allocation lock (``ledger.lock``) in a
    transaction, so what a terminal holds cannot move while its voucher is set."""

    def __init__(self, client: PretixClient, now: Callable[[], str]) -> None:
        self.client, self.now = client, now

    # -- pretix, one voucher at a time ------------------------------------------------------------------------

    def get(self, event: str, voucher_id: int) -> dict[str, Any] | None:
        """A voucher as pretix has it; None when it is gone."""
        try:
            found = self.client.get(f"events/{event}/vouchers/{int(voucher_id)}/")
        except BoxOfficeError as exc:
            if exc.code == "pretix_refused" and exc.details.get("status") == 404:
                return None
            raise
        return found if isinstance(found, dict) else None

    def listing(self, event: str) -> dict[int, dict[str, Any]]:
        """Every ``boxoffice`` voucher of an event, by id."""
        return {int(v["id"]): v for v in self.client.all(f"events/{event}/vouchers/", {"tag": TAG})
                if isinstance(v, dict) and isinstance(v.get("id"), int)}

    def _create(self, event: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        """Make a blocking voucher; pretix's refusal (no room in the quota, the seat taken) is ``sold_out``."""
        code = new_code()
        try:
            made = self.client.post(f"events/{event}/vouchers/", {
                "code": code, "block_quota": True, "allow_ignore_quota": False, "price_mode": "none", "tag": TAG,
                "min_usages": 0,
                **body}, key=f"boxoffice-voucher-{code}")
        except BoxOfficeError as exc:
            if exc.code != "pretix_refused" or exc.details.get("status") != 400:
                raise
            extra = {"available": self._room(event, int(body["quota"]))} if body.get("quota") else {}
            raise BoxOfficeError("sold_out", _("pretix has no room for {what}: {reason}").format(
                what=what, reason=reason(exc.details.get("body"))), pretix_event=event, **extra) from None
        if not isinstance(made, dict) or not isinstance(made.get("id"), int):
            raise BoxOfficeError("pretix_refused", _("pretix answered a new voucher without its id"))
        return made

    def _room(self, event: str, quota: int) -> int:
        """What pretix says is left in a quota now (a hint for a smaller request: only making a voucher is a check)."""
        try:
            found = self.client.get(f"events/{event}/quotas/{int(quota)}/availability/")
        except BoxOfficeError:
            return 0
        left = found.get("available_number") if isinstance(found, dict) else None
        return max(0, left) if isinstance(left, int) and not isinstance(left, bool) else 0

    def _set_max(self, event: str, voucher_id: int, n: int) -> dict[str, Any]:
        # min_usages 0: pretix refuses a max_usages under it, and a voucher lowered to nothing is kept (its code too)
        return dict(self.client.patch(f"events/{event}/vouchers/{int(voucher_id)}/",
                                      {"max_usages": int(n), "min_usages": 0}) or {})

    def give_back(self, event: str, voucher: dict[str, Any]) -> bool:
        """Delete a voucher nobody redeemed; one that was redeemed keeps exactly its redemptions. Whether anything
        changed in pretix."""
        redeemed = int(voucher.get("redeemed") or 0)
        if redeemed == 0:
            try:
                self.client.delete(f"events/{event}/vouchers/{int(voucher['id'])}/")
                return True
            except BoxOfficeError as exc:
                if exc.code != "pretix_refused":
                    raise
        if int(voucher.get("max_usages") or 0) != redeemed:
            self._set_max(event, int(voucher["id"]), redeemed)
            return True
        return False

    # -- a standing section -------------------------------------------------------------------------------------

    def standing(self, db: CentralDB, terminal_id: str, event_id: str, section_id: str, target: int,
                 listing: dict[int, dict[str, Any]] | None = None) -> str:
        """Make the terminal's voucher of a standing section block ``target`` places: 'raised', 'lowered' or
        'unchanged'. Raising refused by pretix raises ``sold_out``."""
        link = rows.section_link(db, event_id, section_id)
        if link is None or link["quota"] is None:
            return "unchanged"
        event, row = link["pretix_event"], rows.of_section(db, terminal_id, event_id, section_id).get("")
        voucher = None
        if row is not None:
            vid = int(row["voucher_id"])
            voucher = (listing.get(vid) if listing is not None else self.get(str(row["pretix_event"]), vid))
            if voucher is None or int(voucher.get("quota") or 0) != link["quota"]:
                if voucher is not None:  # the section now is another quota: the old voucher blocks the wrong one
                    self.give_back(str(row["pretix_event"]), voucher)
                rows.drop(db, terminal_id, event_id, section_id, "")
                voucher = None

        def what(n: int) -> str:
            return _("{count} more place(s) of {event_id}/{section_id} for {terminal}").format(
                count=n, event_id=event_id, section_id=section_id, terminal=self._name(db, terminal_id))

        if voucher is None:
            if target <= 0:
                return "unchanged"
            made = self._create(event, {"quota": link["quota"], "max_usages": target,
                                        "comment": self._comment(db, terminal_id, event_id, section_id)},
                                what(target))
            self._keep(db, terminal_id, event_id, section_id, "", event, made)
            return "raised"
        have = int(voucher.get("max_usages") or 0)
        if have < target:
            reserve = self._create(event, {"quota": link["quota"], "max_usages": target - have,
                                           "comment": f"boxoffice: reserve while voucher {voucher['id']} is raised"},
                                   what(target - have))
            voucher = self._set_max(event, int(voucher["id"]), target)
            with contextlib.suppress(BoxOfficeError):  # the places are the terminal's now; a reserve left over only
                self.give_back(event, reserve)         # blocks too much until the stock step gives it back
            outcome = "raised"
        elif have > max(target, int(voucher.get("redeemed") or 0)):
            voucher = self._set_max(event, int(voucher["id"]), max(target, int(voucher.get("redeemed") or 0)))
            outcome = "lowered"
        else:
            outcome = "unchanged"
        self._keep(db, terminal_id, event_id, section_id, "", event, voucher)
        return outcome

    # -- a reserved section: one voucher per seat ---------------------------------------------------------------

    def seats(self, db: CentralDB, terminal_id: str, event_id: str, section_id: str, wanted: Iterable[str],
              listing: dict[int, dict[str, Any]] | None = None, *, add_only: bool = False) -> Counts:
        """Make the terminal's seat vouchers of a section exactly ``wanted`` (with ``add_only``: at least). A seat
        pretix refuses raises ``sold_out`` after the vouchers made by this call are given back."""
        links = rows.seat_links(db, event_id, section_id)
        if not links:
            return {}
        want = set(wanted)
        counts = {"raised": 0, "lowered": 0, "unchanged": 0}
        have = rows.of_section(db, terminal_id, event_id, section_id)
        live: dict[str, dict[str, Any]] = {}
        for seat, row in have.items():
            if not seat:
                continue
            vid, event = int(row["voucher_id"]), str(row["pretix_event"])
            voucher = listing.get(vid) if listing is not None else (
                self.get(event, vid) if seat in want or not add_only else {"id": vid, "max_usages": 1})
            if voucher is None:
                rows.drop(db, terminal_id, event_id, section_id, seat)
            elif seat not in want and not add_only:
                self.give_back(event, voucher)
                rows.drop(db, terminal_id, event_id, section_id, seat)
                counts["lowered"] += 1
            else:
                live[seat] = voucher
        made: list[tuple[str, dict[str, Any]]] = []
        try:
            for seat in sorted(want):
                link = links.get(seat)
                if link is None or link["item"] is None:
                    raise BoxOfficeError("bad_config", _("seat {seat} of {event_id}/{section_id} has no pretix link: "
                                                         "run the bridge's catalogue step").format(
                                                             seat=seat, event_id=event_id, section_id=section_id))
                voucher = live.get(seat)
                if voucher is not None and int(voucher.get("max_usages") or 0) >= 1:
                    counts["unchanged"] += 1
                    continue
                if voucher is not None:
                    self._set_max(link["pretix_event"], int(voucher["id"]), 1)
                    counts["raised"] += 1
                    continue
                what = _("seat {seat} of {event_id}/{section_id} for {terminal}").format(
                    seat=seat, event_id=event_id, section_id=section_id, terminal=self._name(db, terminal_id))
                new = self._create(link["pretix_event"], {
                    "seat": link["guid"], "item": link["item"], "max_usages": 1,
                    "comment": self._comment(db, terminal_id, event_id, section_id, seat)}, what)
                made.append((link["pretix_event"], new))
                self._keep(db, terminal_id, event_id, section_id, seat, link["pretix_event"], new)
                counts["raised"] += 1
        except BoxOfficeError:
            for event, voucher in made:  # best effort: the stock step deletes what is left
                with contextlib.suppress(BoxOfficeError):
                    self.give_back(event, voucher)
            raise
        return counts

    # -- one terminal's section, whatever its kind --------------------------------------------------------------

    def reconcile(self, db: CentralDB, terminal_id: str, event_id: str, section_id: str,
                  listing: dict[int, dict[str, Any]] | None = None) -> Counts:
        """Make a terminal's vouchers of a section equal to its allocation now."""
        if rows.seat_links(db, event_id, section_id):  # reserved: a voucher per seat, even if a quota is linked
            held = sorted(s for s, t in ledger.seats_of(db, event_id, section_id).items() if t == terminal_id)
            return self.seats(db, terminal_id, event_id, section_id, held, listing)
        target = ledger.allocated(db, event_id, section_id).get(terminal_id, 0)
        return {self.standing(db, terminal_id, event_id, section_id, target, listing): 1}

    # -- rows and words -----------------------------------------------------------------------------------------

    def _keep(self, db: CentralDB, terminal_id: str, event_id: str, section_id: str, seat: str, event: str,
              voucher: dict[str, Any]) -> None:
        rows.put(db, {"terminal_id": terminal_id, "event_id": event_id, "section_id": section_id, "seat": seat,
                      "pretix_event": event, "voucher_id": int(voucher["id"]), "code": str(voucher["code"]),
                      "max_usages": int(voucher.get("max_usages") or 0), "updated_at": self.now()})

    @staticmethod
    def _name(db: CentralDB, terminal_id: str) -> str:
        return terminals.names(db).get(terminal_id, terminal_id)

    def _comment(self, db: CentralDB, terminal_id: str, event_id: str, section_id: str, seat: str = "") -> str:
        where = f"{event_id}/{section_id}" + (f"/{seat}" if seat else "")
        return (f"boxoffice: places of {where} held by the terminal {self._name(db, terminal_id)} ({terminal_id}); "
                "the bridge keeps max_usages equal to its allocation")[:1000]
