"""Running the central service under uvicorn, after bringing its database up to this release's schema."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from boxoffice.central.api.limits import LIMITS_ENV, Limits, ServerLimits, limits_to_env
from boxoffice.central.services.admin import upgrade_for_serving
from boxoffice.i18n import _

if TYPE_CHECKING:
    from boxoffice.central.pretix.settings import PretixSettings


def serve(db_url: str, host: str = "127.0.0.1", port: int = 8765, workers: int = 1,
          log_level: str = "info", limits: Limits | None = None, server_limits: ServerLimits | None = None,
          certfile: str | None = None, keyfile: str | None = None, pretix: PretixSettings | None = None,
          pretix_token_file: str | None = None, pretix_every: float = 10.0) -> None:
    """Serve until stopped. With several workers each is its own process sharing only the database. With
    ``certfile`` (PEM chain) and ``keyfile``, https: terminals refuse plain http to any host but loopback. With
    ``pretix``, bridge mode: a round every ``pretix_every`` seconds in this process, and every worker raises a
    terminal's voucher in pretix before it grants places (central/pretix/)."""
    import uvicorn

    # --- limits (central/api/limits.py): rate and body caps in the app, connection and head limits in uvicorn ---
    limits = limits or Limits()
    os.environ[LIMITS_ENV] = limits_to_env(limits)  # each worker process builds its app from it
    bounds = (server_limits or ServerLimits()).uvicorn_options()
    # --- end of limits ---
    tls = {"ssl_certfile": certfile, "ssl_keyfile": keyfile} if certfile else {}

    moved = upgrade_for_serving(db_url)  # before binding the port: refused here, nothing listens
    if moved["from"] != moved["to"]:
        print(_("central database upgraded from schema {old} to {new}").format(old=moved["from"], new=moved["to"]),
              file=sys.stderr, flush=True)
    if pretix is not None:
        from boxoffice.central.pretix.service import settings_to_env, start_loop

        settings_to_env(pretix, pretix_token_file)  # before the app or its workers are made: they read it
        start_loop(db_url, pretix, pretix_every, token_file=pretix_token_file)
    if workers > 1:
        os.environ["BOXOFFICE_CENTRAL_DB"] = db_url  # the factory in each worker process reads it
        uvicorn.run("boxoffice.central.api.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, proxy_headers=False, **bounds, **tls)
        return
    from boxoffice.central.api.app import collector_for_serving, create_app

    app = create_app(db_url, limits=limits)
    collector_for_serving()
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False, **bounds, **tls)
