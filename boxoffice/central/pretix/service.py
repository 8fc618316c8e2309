"""Running the bridge: one round on demand (`boxoffice central pretix sync`), rounds in the background of
`boxoffice central serve --pretix ...`, and what the last round did (`central pretix status`).

Worker processes of the API learn the bridge's settings through ``BOXOFFICE_PRETIX_BRIDGE`` (URL, organizer, events
and the token *file*, never the token), so each can raise vouchers before it grants places (stock_gate.py).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from boxoffice.central.pretix import checkins_up
from boxoffice.central.pretix import settings as settings_mod
from boxoffice.central.pretix.bridge import Bridge
from boxoffice.central.pretix.client import PretixClient
from boxoffice.central.pretix.runner import run_round
from boxoffice.central.pretix.settings import PretixSettings
from boxoffice.central.services.admin import open_db
from boxoffice.central.store import pretix_state
from boxoffice.central.store.db import CentralDB
from boxoffice.domain.clock import Clock, iso, system_clock
from boxoffice.errors import BoxOfficeError
from boxoffice.i18n import _

BRIDGE_ENV = "BOXOFFICE_PRETIX_BRIDGE"
BRIDGE_KEY = "bridge"  # pretix_state: the settings of the last round on this database
RETRY_AFTER_FAILURE = 15.0  # seconds before a failed background round is tried again


def settings_to_env(settings: PretixSettings, token_file: str | None) -> None:
    """Hand the settings to the API's worker processes (the token travels as its file, or in its own variable)."""
    os.environ[BRIDGE_ENV] = json.dumps({"url": settings.url, "organizer": settings.organizer,
                                         "events": list(settings.events), "token_file": token_file})
    if not token_file:
        os.environ[settings_mod.TOKEN_ENV] = settings.token


def settings_from_env() -> PretixSettings | None:
    """The bridge's settings if this process serves in bridge mode, else None."""
    raw = os.environ.get(BRIDGE_ENV)
    if not raw:
        return None
    try:
        doc = json.loads(raw)
        return settings_mod.load(doc["url"], doc["organizer"], doc["events"], token_file=doc.get("token_file"))
    except (ValueError, KeyError, TypeError):
        raise BoxOfficeError("bad_config", _("{env} is malformed").format(env=BRIDGE_ENV)) from None


def sync_once(db_url: str, settings: PretixSettings, clock: Clock | None = None,
              only: tuple[str, ...] = (), token_file: str | None = None) -> dict[str, Any]:
    """One bridge round on the central database at ``db_url``. The settings (with the token's file, never the
    token) are remembered there, so `boxoffice central allocate` on that database moves places in pretix too."""
    clock = clock or system_clock
    with open_db(db_url) as db, PretixClient(settings) as client:
        remember(db, settings, token_file)
        outcome = run_round(Bridge(db=db, client=client, settings=settings, now=lambda: iso(clock())), only)
        outcome["requests"] = client.requests
        return outcome


def _keep_failed_round(db_url: str, code: str, message: str) -> None:
    """Keep a round that ended before it could record itself as the last round (not ok), so the admin's
    `central pretix status` shows it; if the database itself is what failed, the stderr line is all there is."""
    outcome = {"at": iso(system_clock()), "steps": {}, "error": {"step": "round", "code": code, "message": message},
               "ok": False}
    try:
        with open_db(db_url) as db, db.transaction():
            pretix_state.put(db, "last_round", json.dumps(outcome, sort_keys=True))
    except Exception:  # noqa: BLE001 - the failure was already reported on stderr
        return


def remember(db: CentralDB, settings: PretixSettings, token_file: str | None) -> None:
    """Keep where pretix is for the admin commands run on this database later (no token: its file, if any)."""
    doc = json.dumps({"url": settings.url, "organizer": settings.organizer, "events": list(settings.events),
                      "token_file": str(Path(token_file).resolve()) if token_file else None}, sort_keys=True)
    if pretix_state.get(db, BRIDGE_KEY) != doc:
        with db.transaction():
            pretix_state.put(db, BRIDGE_KEY, doc)


def remembered_settings(db_url: str) -> PretixSettings | None:
    """The bridge settings last used on this database, if a round ever ran on it; the token is read again from its
    file (or BOXOFFICE_PRETIX_TOKEN)."""
    with open_db(db_url) as db:
        raw = pretix_state.get(db, BRIDGE_KEY)
    if raw is None:
        return None
    doc = json.loads(raw)
    return settings_mod.load(doc["url"], doc["organizer"], doc["events"], token_file=doc.get("token_file"))


def status(db_url: str) -> dict[str, Any]:
    """What the last round did, when the last good one ended, the stored cursors, and where the pickups and
    check-ins going up stand."""
    with open_db(db_url) as db:
        values = pretix_state.all_values(db)
        values.pop(BRIDGE_KEY, None)
        checkins = checkins_up.summary(db)
    last = values.pop("last_round", None)
    return {"last_round": json.loads(last) if last else None, "last_good_round": values.pop("last_good_round", None),
            "state": values, "checkins": checkins}


def start_loop(db_url: str, settings: PretixSettings, interval: float = 10.0,
               stop: threading.Event | None = None, token_file: str | None = None) -> threading.Thread:
    """Rounds every ``interval`` seconds in a daemon thread until ``stop`` is set. A failed round is reported on
    stderr in one line, kept as the last round for `central pretix status`, and tried again after at most
    ``RETRY_AFTER_FAILURE`` seconds: a venue bridging once an hour must not wait an hour after a blip."""
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.is_set():
            failed = True
            try:
                outcome = sync_once(db_url, settings, token_file=token_file)
                failed = bool(outcome["error"])
                if outcome["error"]:
                    err = outcome["error"]
                    print(_("pretix bridge: step {step} stopped: {message}").format(step=err["step"],
                                                                                      message=err["message"]),
                          file=sys.stderr, flush=True)
            except BoxOfficeError as exc:
                print(_("pretix bridge: {message}").format(message=exc.message), file=sys.stderr, flush=True)
                _keep_failed_round(db_url, exc.code, exc.message)
            except Exception as exc:  # a bug must not stop the service's own API; it is reported and retried
                print(_("pretix bridge: round failed: {kind}").format(kind=type(exc).__name__), file=sys.stderr,
                      flush=True)
                _keep_failed_round(db_url, "round_failed", type(exc).__name__)
            stop.wait(min(interval, RETRY_AFTER_FAILURE) if failed else interval)

    thread = threading.Thread(target=loop, name="pretix-bridge", daemon=True)
    thread.start()
    return thread
