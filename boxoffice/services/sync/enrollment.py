"""Enrolling this terminal with a central service, and the connection every later sync uses.

What enrolling pins, and why:
- an admin operator must be logged in here: enrolling decides where every sale of this terminal goes;
- the URL: https, or plain http to loopback only unless ``insecure`` says a trusted network was meant (then shown
  at enroll and in `sync status`). Later syncs go to this URL only: a config or environment ``central_url`` that
  differs is refused (``central_moved``) until an admin enrolls again, so nobody who can edit a file or an
  environment sends the token and the journal elsewhere;
- the CA bundle https is verified with (``ca_bundle``), used on every later sync;
- the central service's public key (the answer's ``central_key``), which signs what the terminal pulls.

The central service asks for proof that this machine holds the private key of the public key it registers: it
hands out a nonce bound to the code, and the terminal signs domain/enrollment.proof_message with its Ed25519 key
(central/services/enrollment.py says what that stops).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Protocol, TypedDict

from boxoffice.domain.enrollment import check_url, plain_http_elsewhere, proof_message
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import N_, _
from boxoffice.services.context import Ctx
from boxoffice.services.venue_secret import adopt_central
from boxoffice.store import sync_state as state
from boxoffice.store.db import write
from boxoffice.wire.messages import problems

TAG_DRAWS = 5
INSECURE_WARNING = N_("this terminal syncs over plain http to another machine (--insecure): its token and every "
                      "sale cross the network unencrypted")


class Enrolled(TypedDict):
    """A terminal enrolled (:func:`enroll`): its id and name there, the service, how it is reached, and the
    entries waiting to go."""

    terminal_id: str
    name: str
    central_url: str
    pending: int
    insecure: bool
    ca_bundle: str | None
    warning: str | None


class Connection(TypedDict):
    """How to reach the central service this terminal enrolled with (:func:`connection`)."""

    url: str
    token: str
    ca_bundle: str | None
    insecure: bool


class EnrollTransport(Protocol):
    """What enrolling needs of the network (boxoffice/sync/client.py is the HTTP one)."""

    def enroll_challenge(self, body: dict[str, Any]) -> Any: ...

    def enroll(self, body: dict[str, Any]) -> Any: ...


def refuse_malformed(doc: Any, schema_name: str, what: str) -> None:
    """``central_refused`` when an answer does not match its schema; nothing is changed here."""
    errors = problems(doc, schema_name)
    if errors:
        raise BoxOfficeError("central_refused", _("the central service sent a malformed {what}; nothing was changed "
                                                  "here. First problem: {problem}").format(what=_(what),
                                                                                           problem=errors[0]),
                             errors=errors)


def check_ca_bundle(path: str | None) -> str | None:
    """The CA bundle as an absolute path (it is used on every later sync, from any working directory), or None."""
    if path is None:
        return None
    found = Path(path).expanduser().resolve()
    if not found.is_file():
        raise BoxOfficeError("bad_input", _("no CA bundle at {path}: give the PEM file of the CA that signed the "
                                            "central service's certificate").format(path=path))
    return str(found)


def enroll(ctx: Ctx, url: str, code: str, transport: EnrollTransport, *, insecure: bool = False,
           ca_bundle: str | None = None) -> Enrolled:
    """Register this terminal with a one-time code made for its name: an admin must be logged in; the URL must be
    https or loopback (or ``insecure``); the terminal proves it holds its key. Stores the token it gets and pins
    the URL, the CA bundle and the central service's key."""
    ctx.require("enroll")
    url = check_url(url, insecure)
    ca_bundle = check_ca_bundle(ca_bundle)
    code = code.strip()
    if not code:
        raise BoxOfficeError("bad_input", _("give the enrollment code from the central admin"))
    t = ctx.terminal
    for _draw in range(TAG_DRAWS):
        try:
            answer = _attempt(ctx, code, transport)
            break
        except BoxOfficeError as exc:
            if exc.details.get("central_code") != "tag_taken" or not _draw_new_tag(ctx):
                raise
    else:
        raise BoxOfficeError("central_refused", _("the central service refused {count} order-code tags in a row "
                                                  "as taken: ask the central admin to check `boxoffice central "
                                                  "terminals`").format(count=TAG_DRAWS))
    refuse_malformed(answer, "sync-enroll-response.schema.json", N_("enrollment answer"))
    if answer["terminal_id"] != t["id"]:
        raise BoxOfficeError("central_refused", _("the central service enrolled another terminal id; nothing stored"))
    _check_central_key(answer["central_key"])
    plain = plain_http_elsewhere(url)
    with write(ctx.conn):
        state.enroll(ctx.conn, url, answer["token"], ctx.now_iso(), answer["central_key"], plain, ca_bundle)
        if answer.get("venue_secret"):
            adopt_central(ctx, answer["venue_secret"])
        ctx.journal("sync.enroll", {"central_url": url, "insecure": plain, "ca_bundle": ca_bundle})
    return {"terminal_id": t["id"], "name": t["name"], "central_url": url, "pending": state.pending_count(ctx.conn),
            "insecure": plain, "ca_bundle": ca_bundle, "warning": _(INSECURE_WARNING) if plain else None}


def _attempt(ctx: Ctx, code: str, transport: EnrollTransport) -> Any:
    """One challenge and one signed enrollment request (a fresh nonce each time: a nonce is good once)."""
    from boxoffice.services.signing import private_key

    t = ctx.terminal
    challenge = transport.enroll_challenge({"code": code, "terminal_id": t["id"]})
    refuse_malformed(challenge, "sync-enroll-challenge-response.schema.json", N_("enrollment challenge"))
    signature = private_key(ctx).sign(proof_message(challenge["nonce"], t["id"], t["key_id"]))
    return transport.enroll({"code": code, "terminal_id": t["id"], "name": t["name"], "tag": t["tag"],
                             "key_id": t["key_id"], "public_key": t["public_key"], "nonce": challenge["nonce"],
                             "signature": base64.b64encode(signature).decode("ascii")})


def _check_central_key(key: dict[str, str]) -> None:
    """The central key's id must be the id of its public half: a key that says otherwise is not pinned."""
    from boxoffice.tickets.keys import key_id_hex, public_from_b64

    try:
        good = key_id_hex(public_from_b64(key["public_key"])) == key["key_id"]
    except BoxOfficeError:
        good = False
    if not good:
        raise BoxOfficeError("central_refused", _("the central service sent a key whose id does not match it; "
                                                  "nothing stored"))


def _draw_new_tag(ctx: Ctx) -> bool:
    """Another terminal of the venue already has this terminal's order-code tag (three random characters: about
    one venue in forty with thirty terminals). A terminal that has not handed out a single order code yet takes a
    new tag, journaled, and asks again; one that has keeps its codes (printed on tickets) and is refused."""
    from boxoffice.domain.codes import new_terminal_tag
    from boxoffice.store import terminal as terminal_store

    old, new = ctx.terminal["tag"], new_terminal_tag()
    with write(ctx.conn):
        if not terminal_store.retag(ctx.conn, old, new):
            return False
        ctx.journal("terminal.tag", {"old": old, "new": new, "why": "tag_taken"})
    ctx.terminal["tag"] = new
    return True


def central_url(ctx: Ctx) -> str | None:
    """The URL this terminal enrolled with (None: not enrolled); ``central_moved`` when the config or the
    environment names another one."""
    row = state.get(ctx.conn)
    if row is None:
        return None
    configured = str(ctx.config.central_url or "").strip().rstrip("/")
    if configured and configured != row["central_url"]:
        raise BoxOfficeError("central_moved", _("central_url is set to {configured} (config or environment) "
                                                "but this terminal enrolled with {enrolled}: nothing is "
                                                "sent there. If the service moved, an admin enrolls again (`boxoffice "
                                                "sync enroll URL CODE`); else remove that setting").format(
            configured=configured[:120], enrolled=row["central_url"]))
    return str(row["central_url"])


def connection(ctx: Ctx) -> Connection:
    """The enrolled URL, token, CA bundle and whether plain http was allowed; ``not_enrolled`` or
    ``central_moved`` otherwise."""
    row = state.get(ctx.conn)
    if row is None:
        raise BoxOfficeError("not_enrolled", _("this terminal is not enrolled: ask the central admin for a code, "
                                               "then `boxoffice sync enroll URL CODE`"))
    url = central_url(ctx)
    assert url is not None
    return {"url": url, "token": row["token"], "ca_bundle": row["ca_bundle"], "insecure": bool(row["insecure"])}


def credentials(ctx: Ctx) -> tuple[str, str]:
    """(central URL, token) as enrolled, or ``not_enrolled`` / ``central_moved``."""
    conn = connection(ctx)
    return conn["url"], conn["token"]
