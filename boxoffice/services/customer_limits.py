"""Limits per customer: an event may cap the tickets one customer buys, across orders, counters and the web shop.

A customer is a *key*: the keyed hash (domain/customer_ids.py, under the venue secret every enrolled terminal shares
with the central service) of an ID number for a real-name event's holder, else of the sale's phone and of its
e-mail. Both count: a customer is over the cap if either of their identifiers is. Only hashes are stored and synced.

How a sale is counted (:func:`enforce`, called once by services/sales.py before anything is written):

- online (enrolled, and the central service answers within ``ASK_TIMEOUT`` seconds): the central service says how
  many places each key holds there (every terminal's synced sales and every web order), and this terminal adds its
  own sales the central service has not received yet;
- offline (not enrolled, or no answer): the terminal counts what it knows, its own sales and the orders it has
  pulled, and says "counted offline". What can slip through then is in docs/sync.md ("Limits per customer"); the
  central service flags any customer over the cap at sync, with both sales kept.

A refusal (``customer_limit``) says how many this customer may still buy, never who else bought or where.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.services.venue_secret import venue_secret
from boxoffice.store import customer_keys as rows
from boxoffice.store import sync_state

CLIENT_FACTORY = "central_client"  # ctx.cache key: (url, token, ca_bundle) -> LimitSource; set by the CLI
ASK_TIMEOUT = 2.0  # seconds the counter waits for the central service before counting offline
ANSWER_SCHEMA = "sync-customer-limits-response.schema.json"
MAX_KEYS = 1000

CustomerKey = tuple[str, int]  # (keyed hash, places this sale gives that customer)


class LimitSource(Protocol):
    """What the online check needs of the network (boxoffice/sync/client.py's CentralClient has it)."""

    def customer_limits(self, body: dict[str, Any]) -> Any: ...

    def close(self) -> None: ...


@dataclass
class Limits:
    """What :func:`enforce` found: the keys the sale records, and how they were counted."""

    keys: list[CustomerKey] = field(default_factory=list)
    limit: int | None = None
    counted: str = "none"  # "central"; "offline" (enrolled, central not reached: this terminal's own count);
    # "here" (never enrolled: this terminal holds every sale of the event); "none" (no cap, or no key)
    remaining: int | None = None  # after this sale, for the customer closest to the cap
    why_offline: str | None = None

    def journal_fields(self) -> dict[str, Any]:
        """What the sale's journal entry carries, so the central service and other terminals can count it."""
        if not self.keys:
            return {}
        return {"customer_keys": [{"key": k, "places": n} for k, n in self.keys]}

    def record(self, ctx: Ctx, order_id: str, event_id: str, journal_seq: int | None) -> None:
        """Store the keys of a sale made here, inside the sale's transaction."""
        rows.add(ctx.conn, [(order_id, event_id, k, n, "own", journal_seq) for k, n in self.keys])

    def shown(self) -> dict[str, Any]:
        """For the sale's result and the screen."""
        return {"limit": self.limit, "counted": self.counted, "remaining": self.remaining}


def customer_keys(ctx: Ctx, *, phone: str | None = None, email: str | None = None,
                  places: int = 1) -> list[CustomerKey]:
    """The keys of a sale's customer from its phone and e-mail (either, both or none), each with ``places``.

    ``+86 138-0013-8000`` and ``13800138000`` give one key (domain/customer_ids.normalise_phone). A phone or e-mail
    that is malformed is refused (``bad_input``): it could never match the customer's other purchases."""
    from boxoffice.domain.customer_ids import keyed_hash, normalise_email, normalise_phone

    out: list[CustomerKey] = []
    if phone and phone.strip():
        out.append((keyed_hash(venue_secret(ctx), "phone", normalise_phone(phone)), places))
    if email and email.strip():
        out.append((keyed_hash(venue_secret(ctx), "email", normalise_email(email)), places))
    return out


def merged(keys: list[CustomerKey]) -> list[CustomerKey]:
    """One entry a key, places added (two holders with one ID number are one customer)."""
    out: dict[str, int] = {}
    for key, places in keys:
        if places < 1:
            raise BoxOfficeError("bad_input", _("a customer key holds at least one place"))
        out[key] = out.get(key, 0) + places
    return list(out.items())


def enforce(ctx: Ctx, event: Mapping[str, Any], keys: list[CustomerKey]) -> Limits:
    """Refuse (``customer_limit``) a sale that would take any of its customers past the event's cap.

    ``keys``: (keyed hash, places) for each customer of the sale: :func:`customer_keys` for a sale by phone and
    e-mail; one per holder (``id_hash(secret, kind, number)[0]``, places 1 each) for a real-name event. Returns
    what the sale must carry (:meth:`Limits.journal_fields`, :meth:`Limits.record`). An event without a cap, or a
    sale without a key, is not counted and records nothing."""
    cap = event.get("per_customer_limit")
    if not cap or not keys:
        return Limits()
    keys = merged(keys)
    if len(keys) > MAX_KEYS:
        raise BoxOfficeError("bad_input", _("a sale names at most {max} customers").format(max=MAX_KEYS))
    hashes = [k for k, _places in keys]
    local = rows.bought(ctx.conn, event["id"], hashes)
    central, why = _ask_central(ctx, event["id"], keys)
    # Not enrolled: this terminal sells the whole event, so its own count is every sale ('here').
    counted = "central" if central is not None else "here" if why == "not enrolled" else "offline"
    remaining: int | None = None
    for i, (key, places) in enumerate(keys):
        held = central[key] + local[key]["unpushed"] if central is not None else local[key]["known"]
        left = max(0, cap - held)
        if places > left:
            raise BoxOfficeError("customer_limit", _refusal(event, cap, left, counted), remaining=left, limit=cap,
                                 counted=counted, customer=i)
        remaining = left - places if remaining is None else min(remaining, left - places)
    return Limits(keys=keys, limit=cap, counted=counted, remaining=remaining, why_offline=why)


def carried(ctx: Ctx, event: Mapping[str, Any], *, phone: str | None, email: str | None, places: int,
            holder_keys: list[str] | None = None) -> Limits:
    """The keys an exchange's new order carries from the order it replaces, not checked: the customer held the old
    tickets within the cap, and the old ones stop counting as the new ones start. ``holder_keys``: a real-name
    event's holders (one place each), which then stand for the customer instead of the phone and e-mail. A phone or
    e-mail that does not normalise (stored before it was checked) carries nothing."""
    if not event.get("per_customer_limit"):
        return Limits()
    try:
        keys = merged([(k, 1) for k in holder_keys] if holder_keys else
                      customer_keys(ctx, phone=phone, email=email, places=places))
    except BoxOfficeError:
        return Limits()
    return Limits(keys=keys, limit=event["per_customer_limit"], counted="none")


def _refusal(event: Mapping[str, Any], cap: int, left: int, counted: str) -> str:
    how = _(" (counted offline: this terminal's own count)") if counted == "offline" else ""
    if left <= 0:
        return _("this customer has reached the limit of {cap} ticket(s) per customer for {event}{how}: no more "
                 "may be sold to them").format(cap=cap, event=event["name"], how=how)
    return _("this customer may buy {left} more ticket(s) for {event} (limit {cap} per customer){how}: sell {left} "
             "or fewer").format(left=left, event=event["name"], cap=cap, how=how)


def _ask_central(ctx: Ctx, event_id: str, keys: list[CustomerKey]) -> tuple[dict[str, int] | None, str | None]:
    """Places each key holds on the central service, or (None, why) when it cannot be asked or does not answer."""
    enrolled = sync_state.get(ctx.conn)
    if enrolled is None:
        return None, "not enrolled"
    factory = ctx.cache.get(CLIENT_FACTORY)
    if factory is None:
        return None, "no network client"
    body = {"event_id": event_id, "keys": [{"key": k, "places": n} for k, n in keys]}
    try:
        client = factory(enrolled["central_url"], enrolled["token"], enrolled.get("ca_bundle"))
    except (BoxOfficeError, ImportError) as exc:
        return None, getattr(exc, "code", "no network client")
    try:
        answer = client.customer_limits(body)
    except (BoxOfficeError, OSError) as exc:
        return None, getattr(exc, "code", "central_unreachable")
    finally:
        client.close()
    from boxoffice.wire.messages import problems  # only here: a sale offline loads no schema (startup imports)

    if problems(answer, ANSWER_SCHEMA) or answer["event_id"] != event_id:
        return None, "malformed answer"
    got = {k["key"]: int(k["bought"]) for k in answer["keys"]}
    if any(k not in got for k, _places in keys):
        return None, "malformed answer"
    return got, None
