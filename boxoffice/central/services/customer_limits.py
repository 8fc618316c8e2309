"""Limits per customer on the central service: counting each customer key's places, answering a terminal's online
check (POST /v1/customer-limits), and flagging a customer over an event's cap at sync.

Keys are keyed hashes under the venue secret (boxoffice/domain/customer_ids.py): a terminal's sale carries them in
its journal entry (``customer_keys``); a web order's are computed here at import from its phone and e-mail. The
service never sees the identifiers a terminal hashed, and never says who else holds places: only how many a key
holds and may still buy.

Why a flag and not a refusal at sync: two terminals cut off from each other may each sell within the cap and
together pass it. Both sales were paid and their tickets printed; undoing either is a person's decision. So both are
kept and the later one is flagged (``customer_over_limit``) for a supervisor, like a double pickup.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from boxoffice.central.errors import CentralError
from boxoffice.central.services import venue_secret
from boxoffice.central.store import catalogs
from boxoffice.central.store import customer_keys as rows
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.customer_ids import keyed_hash, normalise_email, normalise_phone
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

SELL = "sell"
KIND = "customer_over_limit"
RULE = ("a customer may hold at most the event's per-customer limit; sales made offline that pass it together are "
        "all kept, the later flagged for a supervisor")


def cap_of(db: CentralDB, event_id: str) -> int | None:
    """The event's ``per_customer_limit`` as published, or None (no cap, or no such event)."""
    model = catalogs.event_model(db, event_id)
    if model is None:
        return None
    cap = json.loads(model)["event"].get("per_customer_limit")
    return int(cap) if isinstance(cap, int) and cap > 0 else None


def answer(db: CentralDB, terminal: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """How many places each key of ``body`` (schemas/sync-customer-limits.schema.json) holds and may still buy.
    A terminal without the sell role is refused (403): the answer is for a sale about to be made."""
    if SELL not in str(terminal.get("roles") or "").split(","):
        raise CentralError(403, "permission_denied", _("this terminal was not enrolled to sell: it has no use for the "
                                                       "customer limits"))
    if not catalogs.event_exists(db, body["event_id"]):
        raise CentralError(404, "not_found", _("no published event {event_id!r}").format(event_id=body["event_id"]))
    cap = cap_of(db, body["event_id"])
    keys = list(dict.fromkeys(k["key"] for k in body["keys"]))
    held = rows.bought(db, body["event_id"], keys)
    return {"event_id": body["event_id"], "limit": cap,
            "keys": [{"key": k, "bought": held[k], "remaining": None if cap is None else max(0, cap - held[k])}
                     for k in keys]}


def web_keys(db: CentralDB, phone: str | None, email: str | None, places: int, now: str) -> list[tuple[str, int]]:
    """A web order's keys from its phone and e-mail, with the central secret (alike to every terminal's). An
    identifier that does not normalise is left out: the shop took it, and it can match no other purchase."""
    out: list[tuple[str, int]] = []
    for kind, value, normal in (("phone", phone, normalise_phone), ("email", email, normalise_email)):
        if value and value.strip():
            try:
                out.append((keyed_hash(venue_secret.secret(db, now), kind, normal(value)), places))
            except BoxOfficeError:
                continue
    return out


def record(db: CentralDB, sold: Sequence[tuple[dict[str, Any], dict[str, Any], list[tuple[str, int]]]]
           ) -> list[dict[str, Any]]:
    """Store the keys of new orders ((order, who: terminal_id/entry_id/at, keys)); return one finding per order
    and key now over its event's cap: {order_id, event_id, key, held, cap, first: who sold the earliest other}.

    Call after the orders' tickets are written (a key counts its order's valid tickets)."""
    if not sold:
        return []
    rows.add(db, [(o["id"], o["event_id"], k, n, who["terminal_id"], who["entry_id"], who["at"])
                  for o, who, keys in sold for k, n in keys])
    caps: dict[str, int | None] = {}
    over: list[dict[str, Any]] = []
    for o, _who, keys in sold:
        eid = o["event_id"]
        if eid not in caps:
            caps[eid] = cap_of(db, eid)
        cap = caps[eid]
        if cap is None or not keys:
            continue
        held = rows.bought(db, eid, [k for k, _places in keys])
        for key, _places in keys:
            if held[key] > cap:
                first = rows.first_other(db, eid, key, o["id"])
                over.append({"order_id": o["id"], "event_id": eid, "key": key, "held": held[key], "cap": cap,
                             "first": first})
    return over


def subject(finding: dict[str, Any]) -> str:
    """What a flag names: the event, the customer's count against the cap, and a short prefix of the key (enough to
    tell two flags about one customer apart; it reveals nothing without the venue secret)."""
    return (f"{finding['event_id']}: customer {finding['key'][:10]} holds {finding['held']} ticket(s), limit "
            f"{finding['cap']} per customer")


def flag_web(db: CentralDB, over: list[dict[str, Any]], now: str) -> list[tuple[dict[str, Any], str | None]]:
    """Flag web orders that took a customer over the cap (the shop sold them: both kept). Returns each flag's body
    with the terminal that sold the earlier order (None: another web order), for the caller's feed changes."""
    from boxoffice.central.store import conflicts
    from boxoffice.domain.ids import uuid7

    out = []
    for found in over:
        first = found["first"] or {"terminal_id": "web", "entry_id": found["order_id"], "at": now}
        body = {"id": uuid7(), "kind": KIND, "subject": subject(found), "order_id": found["order_id"],
                "ticket_id": None,
                "first": {"terminal_id": first["terminal_id"], "entry_id": first["entry_id"], "at": first["at"]},
                "second": {"terminal_id": "web", "entry_id": found["order_id"], "at": now}, "rule": RULE, "at": now}
        conflicts.insert(db, body)
        out.append((body, None if first["terminal_id"] == "web" else first["terminal_id"]))
    return out
