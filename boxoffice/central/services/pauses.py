"""Emergency pauses set on the central service: each terminal refuses what they stop after its next sync.

A pause is a ``pause`` change on the feed (its body as schemas/sync-changes.schema.json describes) and lifting it
is another ``pause`` change with the same id and ``resumed_at``; terminals apply both with
services.pauses.apply_remote. The feed is the record: the pauses in force are those whose latest change has no
``resumed_at``, so there is no table of its own to keep in step with what terminals were sent.

Scopes mean what they mean on a terminal (domain.pauses.scope_of): everything, an event, a channel, or one
terminal, named here by id, tag or name and sent to that terminal alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from boxoffice.central.services import feed, free_text, terminals
from boxoffice.central.services.admin import open_db
from boxoffice.central.store import catalogs
from boxoffice.central.store import feed as feed_rows
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.clock import iso, system_clock
from boxoffice.domain.ids import uuid7
from boxoffice.domain.pauses import check_what, clean_reason, scope_of
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _

Clock = Callable[[], datetime]


def _latest(db: CentralDB) -> dict[str, dict[str, Any]]:
    """The latest body of every pause ever put on the feed, by id, with the terminal it was sent to."""
    out: dict[str, dict[str, Any]] = {}
    for r in feed_rows.of_kind(db, "pause"):
        body = json.loads(r["body"])
        out[body["id"]] = body | {"audience": r["audience"]}
    return out


def _in_force(db: CentralDB) -> list[dict[str, Any]]:
    return sorted((p for p in _latest(db).values() if not p.get("resumed_at")), key=lambda p: p["paused_at"])


def pause(url: str, reason: str, *, what: str = "sales", event: str | None = None, channel: str | None = None,
          terminal: str | None = None, by: str | None = None, clock: Clock = system_clock) -> dict[str, Any]:
    """Put a pause on the feed for every terminal (or the one named); returns its body."""
    check_what(what)
    reason = clean_reason(reason)  # a card number in it is refused there too (domain/card_numbers.py)
    free_text.refuse_in_text(by, N_("--by name"))
    scope, target = scope_of(event, channel, terminal)
    now = iso(clock())
    with open_db(url) as db:
        audience = None
        if scope == "event" and not catalogs.event_exists(db, target):
            raise BoxOfficeError("not_found", _("no event {event_id!r} in the published catalogue").format(
                event_id=target))
        if scope == "terminal":
            term = terminals.find(db, target or "")
            if term is None:
                raise BoxOfficeError("not_found", _("no terminal {which!r}: `boxoffice central terminals` lists "
                                                  "them").format(which=target))
            target = audience = term["id"]
        body = {"id": uuid7(), "scope": scope, "target": target, "what": what, "reason": reason, "paused_at": now,
                "paused_by": (by or "").strip()[:64] or None, "resumed_at": None, "resumed_by": None}
        with db.transaction():
            feed.append(db, [feed.Change("pause", body, audience=audience)], now)
    return body


def resume(url: str, pause_id: str | None = None, *, what: str = "sales", event: str | None = None,
           channel: str | None = None, terminal: str | None = None, by: str | None = None,
           clock: Clock = system_clock) -> list[dict[str, Any]]:
    """Lift one pause by id (or its last 4+ characters), or every pause in force set with the same scope."""
    now = iso(clock())
    with open_db(url) as db:
        active = _in_force(db)
        if pause_id:
            pid = pause_id.strip().lower()
            chosen = [p for p in active if p["id"] == pid] or \
                     [p for p in active if len(pid) >= 4 and p["id"].endswith(pid)]
            if len(chosen) > 1:
                raise BoxOfficeError("bad_input", _("{pause_id!r} names {count} pauses: give more of the id").format(
                    pause_id=pause_id, count=len(chosen)))
        else:
            check_what(what)
            scope, target = scope_of(event, channel, terminal)
            if scope == "terminal":
                term = terminals.find(db, target or "")
                target = term["id"] if term else target
            chosen = [p for p in active if (p["scope"], p["target"], p["what"]) == (scope, target, what)]
        if not chosen:
            raise BoxOfficeError("not_found", _("no such pause in force: `boxoffice central pause list` shows them"))
        lifted = [{k: v for k, v in p.items() if k != "audience"} | {"resumed_at": now,
                                                                     "resumed_by": (by or "").strip()[:64] or None}
                  for p in chosen]
        with db.transaction():
            feed.append(db, [feed.Change("pause", body, audience=p["audience"])
                             for body, p in zip(lifted, chosen, strict=True)], now)
    return lifted


def in_force(url: str) -> list[dict[str, Any]]:
    """The pauses in force, oldest first."""
    with open_db(url) as db:
        return [{k: v for k, v in p.items() if k != "audience"} for p in _in_force(db)]
