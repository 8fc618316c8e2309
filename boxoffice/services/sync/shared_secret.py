"""Taking the central service's venue secret at sync, for a terminal enrolled before enrollment carried it.

Until then the terminal matches customers under a secret of its own (services/venue_secret.py), which the central
service and the other terminals cannot match. A central service too old to have the path, or an answer that does
not match schemas/sync-venue-secret.schema.json, changes nothing and fails no sync: the next sync asks again. A
second, different central secret is refused loudly (``central_refused``), as it would silently unmatch every
customer stored.
"""

from __future__ import annotations

from typing import Any

from boxoffice.errors import BoxOfficeError
from boxoffice.services import venue_secret
from boxoffice.services.context import Ctx
from boxoffice.wire.messages import problems


def learn_venue_secret(ctx: Ctx, transport: Any) -> bool:
    """Ask for the venue secret when this terminal holds none from the central service; True if it was taken."""
    if venue_secret.source(ctx) == "central" or not hasattr(transport, "venue_secret"):
        return False
    try:
        answer = transport.venue_secret()
    except BoxOfficeError:
        return False
    if problems(answer, "sync-venue-secret.schema.json"):
        return False
    return venue_secret.adopt_central(ctx, answer["venue_secret"])
