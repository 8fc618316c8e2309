"""The two pretix check-in lists the bridge redeems on, per event: the pickup list and the entry list.

Pickups go on a list of the bridge's own ("boxoffice pickup"): a handout at the desk is not an entry, so the list is
left out of pretix's statistics and does not make a ticket "used" (it can still be canceled or changed). Door scans
go on the event's entry list: the first check-in list that is not the pickup list, so they count wherever pretix's
own scanners count; when the event has none, the bridge makes one ("boxoffice door"). Both are linked in
``pretix_links`` (kind ``checkin_list``, local id ``EVENT/pickup`` and ``EVENT/entry``) and only looked for again
when pretix says a linked list is gone.
"""

from __future__ import annotations

from typing import Any

from boxoffice.central.pretix.bridge import Bridge
from boxoffice.central.store import pretix_checkins as rows
from boxoffice.domain.ids import uuid7

KIND = "checkin_list"
PICKUP, ENTRY = "pickup", "entry"
DOOR_LIST = "boxoffice door"


def local_ids(event_id: str) -> list[str]:
    """The link ids of one boxoffice event's two lists."""
    return [f"{event_id}/{PICKUP}", f"{event_id}/{ENTRY}"]


def list_id(bridge: Bridge, cache: dict[tuple[str, str], int], event_id: str, pretix_event: str,
            role: str) -> int:
    """The id of the pretix list a check-in of ``role`` (pickup or entry) goes on, found or made once."""
    if (pretix_event, role) in cache:
        return cache[(pretix_event, role)]
    local = f"{event_id}/{role}"
    linked = rows.link(bridge.db, KIND, local)
    if linked is not None and linked["pretix_event"] == pretix_event:
        found = int(linked["pretix_id"])
    else:
        found = _find_or_make(bridge, cache, event_id, pretix_event, role)
        with bridge.db.transaction():
            rows.put_link(bridge.db, KIND, local, pretix_event, str(found))
    cache[(pretix_event, role)] = found
    return found


def forget(bridge: Bridge, cache: dict[tuple[str, str], int], event_id: str, pretix_event: str) -> None:
    """Drop one event's list links (pretix refused a list id): the next round looks for them again."""
    for role in (PICKUP, ENTRY):
        cache.pop((pretix_event, role), None)
    with bridge.db.transaction():
        rows.drop_links(bridge.db, KIND, local_ids(event_id))


def _find_or_make(bridge: Bridge, cache: dict[tuple[str, str], int], event_id: str, pretix_event: str,
                  role: str) -> int:
    path = f"events/{pretix_event}/checkinlists/"
    lists = bridge.client.all(path)
    name = bridge.settings.pickup_list
    if role == PICKUP:
        mine = [cl for cl in lists if cl.get("name") == name]
        return int(mine[0]["id"]) if mine else _make(bridge, path, name, pickup=True)
    pickup = list_id(bridge, cache, event_id, pretix_event, PICKUP)
    others = sorted((cl for cl in lists if int(cl["id"]) != pickup and cl.get("name") != name),
                    key=lambda cl: int(cl["id"]))
    return int(others[0]["id"]) if others else _make(bridge, path, DOOR_LIST, pickup=False)


def _make(bridge: Bridge, path: str, name: str, *, pickup: bool) -> int:
    """A new list for every product. The key is new each time: a list is made only when none was found by name."""
    body: dict[str, Any] = {"name": name, "all_products": True, "limit_products": [], "include_pending": False,
                            "allow_multiple_entries": False, "allow_entry_after_exit": True}
    if pickup:
        body |= {"ignore_in_statistics": True, "consider_tickets_used": False}
    made = bridge.client.post(path, body, key=f"boxoffice-list-{uuid7()}")
    return int(made["id"])
