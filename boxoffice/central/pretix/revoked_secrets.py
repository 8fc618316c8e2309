"""pretix's revoked ticket secrets down to the doors, as feed changes of kind ``revoked_secret``.

pretix keeps a list of secrets that must not be admitted any more (``events/E/revokedsecrets/``: the old secret of a
ticket whose secret was renewed, where the event's secret generator keeps such a list, as pretix_sig1 does). A door
that verifies signed pretix secrets offline admits any secret with a good signature, so it needs this list. Each
secret is one change {"event_id", "secret"}, signed by the central key like a ticket revocation (wire/feed_sig.py),
for every terminal. The pull keeps a cursor in pretix_state: the newest ``created`` seen and the ids seen at that
instant, so a secret is sent once even though pretix's ``created_since`` includes the instant itself.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from boxoffice.central.pretix import web_order_map as mapping
from boxoffice.central.pretix.bridge import Bridge
from boxoffice.central.pretix.client import PAGE_SIZE
from boxoffice.central.services import feed
from boxoffice.central.store import pretix_state

_SECRET = re.compile(r"^[!-~]{1,255}$")


def revoke_secrets(event_id: str, secrets: Iterable[str]) -> list[feed.Change]:
    """The feed changes that put these secrets of an event on every door's revoked list (for the caller to
    append in its transaction)."""
    return [feed.Change("revoked_secret", {"event_id": event_id, "secret": s})
            for s in dict.fromkeys(secrets) if isinstance(s, str) and _SECRET.match(s)]


def pull(bridge: Bridge, slug: str, event_id: str, counts: Counter[str]) -> None:
    """Every secret pretix revoked since the cursor, oldest first, one transaction a page (with the cursor)."""
    name = f"revoked_secrets:{slug}"
    state = json.loads(pretix_state.get(bridge.db, name) or "{}")
    since, seen = str(state.get("since") or ""), set(state.get("ids") or [])
    page_no = 1
    while True:
        params: dict[str, Any] = {"ordering": "created", "page_size": PAGE_SIZE, "page": page_no}
        if since:
            params["created_since"] = since
        results, more = bridge.client.page(f"events/{slug}/revokedsecrets/", params)
        rows = [r for r in results if isinstance(r, dict) and isinstance(r.get("created"), str)
                and isinstance(r.get("id"), int)]
        fresh = [r for r in rows if not (r["created"] == since and r["id"] in seen)]
        newest = mapping.newest([r["created"] for r in rows], since) or ""
        seen = (seen if newest == since else set()) | {r["id"] for r in rows if r["created"] == newest}
        with bridge.db.transaction():
            changes = revoke_secrets(event_id, [r.get("secret") for r in fresh])
            feed.append(bridge.db, changes, bridge.now())
            pretix_state.put(bridge.db, name, json.dumps({"since": newest, "ids": sorted(seen)}))
        counts["secrets_revoked"] += len(changes)
        if not more:
            return
        page_no = 1 if newest != since else page_no + 1
        since = newest
