"""The venue's security and money settings (config.SECURITY_KEYS) as a terminal applies them.

They come with the catalogue (its "policy", imported here or published by the central service and pulled at
sync), are kept in the terminal's database and recorded in the journal with the import; a local config file cannot
set them (config.load ignores them there). Whoever holds the terminal can choose its printer, not its lockout.
"""

from __future__ import annotations

from typing import Any

from boxoffice.config import DEFAULTS, SECURITY_KEYS, Config
from boxoffice.services.context import Ctx
from boxoffice.store import policy as store


def apply(config: Config, policy: dict[str, Any]) -> None:
    """Put the catalogue's settings in force, and the defaults for those it leaves out."""
    for key in SECURITY_KEYS:
        if key in policy:
            config.values[key], config.sources[key] = policy[key], "catalogue policy"
        else:
            config.values[key], config.sources[key] = DEFAULTS[key], "default"


def load_into(ctx: Ctx) -> None:
    """The settings this terminal's catalogue set, into the context's configuration (on opening)."""
    apply(ctx.config, store.read(ctx.conn))


def record(ctx: Ctx, policy: dict[str, Any]) -> None:
    """Keep a newly imported catalogue's policy (inside the import's transaction) and put it in force."""
    store.replace(ctx.conn, policy)
    apply(ctx.config, policy)
