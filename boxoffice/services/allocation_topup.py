"""Automatic top-up at sync: a section running low here asks the central service for more, once per request.

For each event the central service governs here and each of its sections, when the unsold places held here are
fewer than ``[allocation] top_up_below`` (config), the terminal asks for enough to hold ``top_up_to`` again. An
event's first allocation comes this way too: an enrolled terminal holds nothing of a central event until it asks.

Why the request id is stored before it is sent: a request whose answer is lost (the connection cut after the
central service granted) is sent again, at once by the client's retries or at the next sync, with the same id, and
the central service answers it with what it granted the first time and grants nothing more. The places arrive as
an ordinary grant through the pull (services/allocations.py), applied once by id.

Not asked: a section recalled or written off here (until the box office grants it again by hand), a section with
a request already answered with nothing in the last ``QUIET_MINUTES`` (sold out centrally: no request every sync).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from boxoffice.domain.clock import parse_iso
from boxoffice.domain.ids import uuid7
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _
from boxoffice.services.context import Ctx
from boxoffice.store import allocations as store
from boxoffice.store.db import write
from boxoffice.wire.messages import problems

ANSWER_SCHEMA = "sync-allocation-request-response.schema.json"
TOP_UP_BELOW = 10
TOP_UP_TO = 50
QUIET_MINUTES = 5.0
MAX_ASK = 10_000


class TopUpSource(Protocol):
    """What asking needs of the network (boxoffice/sync/client.py's CentralClient has it)."""

    def top_up(self, body: dict[str, Any]) -> Any: ...


def thresholds(ctx: Ctx) -> tuple[int, int]:
    """(top_up_below, top_up_to) from the config's ``[allocation]`` table; 0 below turns top-up off."""
    conf = ctx.config.values.get("allocation") or {}
    return int(conf.get("top_up_below", TOP_UP_BELOW)), int(conf.get("top_up_to", TOP_UP_TO))


def wanted(ctx: Ctx) -> list[dict[str, Any]]:
    """The requests to send now: any left unanswered first (same id, same count), then new ones for sections under
    the threshold. Each new request is stored before it is sent."""
    below, to = thresholds(ctx)
    now = ctx.now()
    out: list[dict[str, Any]] = []
    with write(ctx.conn):
        for event_id in store.governed_events(ctx.conn):
            for sec in store.unsold(ctx.conn, event_id):
                sid = sec["section_id"]
                pending = store.open_request(ctx.conn, event_id, sid)
                if pending is not None:
                    out.append({"id": pending["id"], "event_id": event_id, "section_id": sid,
                                "count": pending["count"]})
                    continue
                if below <= 0 or sec["unsold"] >= below or store.open_stop(ctx.conn, event_id, sid) is not None:
                    continue
                last = store.last_answer(ctx.conn, event_id, sid)
                if last is not None and not last["granted"] and \
                        now - parse_iso(last["answered_at"]) < timedelta(minutes=QUIET_MINUTES):
                    continue
                body = {"id": uuid7(), "event_id": event_id, "section_id": sid,
                        "count": min(to - sec["unsold"], MAX_ASK)}
                store.add_request(ctx.conn, body["id"], event_id, sid, body["count"], ctx.now_iso())
                out.append(body)
    return out


def top_up(ctx: Ctx, source: TopUpSource) -> dict[str, Any]:
    """Send the requests due now; record each answer. The places come with the next pull of grants.

    A section the central service refuses (an event it no longer publishes) is answered with nothing and its reason;
    the network failing stops here and leaves the request to be sent again, with its id, at the next sync.
    """
    asked = granted = 0
    sections: list[dict[str, Any]] = []
    for body in wanted(ctx):
        try:
            answer = source.top_up(body)
        except BoxOfficeError as exc:
            if exc.code != "central_refused":
                raise
            answer = {"granted": 0, "seats": [], "reason": exc.message}
        else:
            errors = problems(answer, ANSWER_SCHEMA)
            if errors or answer["id"] != body["id"]:
                raise BoxOfficeError("central_refused", _("the central service sent a malformed answer to a top-up "
                                                          "request: {problem}").format(
                    problem=(errors or [_("another id")])[0]), errors=errors)
        with write(ctx.conn):
            store.answer_request(ctx.conn, body["id"], int(answer["granted"]), answer.get("reason"), ctx.now_iso())
        asked += 1
        granted += int(answer["granted"])
        sections.append({"event_id": body["event_id"], "section_id": body["section_id"], "asked": body["count"],
                         "granted": int(answer["granted"]), "reason": answer.get("reason")})
    return {"top_up_requests": asked, "top_up_granted": granted, "top_ups": sections}
