"""`boxoffice sync --watch`: sync every few seconds; back off with jitter while the central service is away.

After a failure the wait is a random time up to min(cap, base * 2**failures) ("full jitter"), so a room of terminals
that lost the network together does not come back at the same instant and hammer the service. After a success it is
the interval again, give or take a tenth; or no wait at all when the round stopped at its page limit with changes
still to pull (``caught_up`` False: services/sync/rounds.py ROUND_PAGES), so a terminal that fell behind while
every counter sold flat out catches up as fast as it can once selling slows. Ctrl-C stops between two steps; every
step is its own transaction, so nothing is half-done whenever it lands.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from boxoffice.errors import BoxOfficeError


@dataclass
class Backoff:
    """How long to wait before the next attempt."""

    interval: float = 2.0
    base: float = 2.0
    cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def after_success(self) -> float:
        self.failures = 0
        return self.interval * self.rng.uniform(0.9, 1.1)

    def after_failure(self) -> float:
        self.failures += 1
        return self.rng.uniform(0, min(self.cap, self.base * 2 ** min(self.failures, 30)))


def watch(step: Callable[[], dict[str, Any]], report: Callable[[dict[str, Any] | None, BoxOfficeError | None,
                                                                 float], None],
          backoff: Backoff, *, sleep: Callable[[float], None] = time.sleep,
          rounds: int | None = None) -> int:
    """Run ``step`` until interrupted (or ``rounds`` times); ``report`` hears each outcome and the wait that follows.

    Returns how many rounds ran. Errors that a wait cannot mend (not enrolled, refused) still back off, so an admin
    can fix the central side without restarting every terminal.
    """
    done = 0
    try:
        while rounds is None or done < rounds:
            try:
                result, error = step(), None
                wait = backoff.after_success()
                if result.get("caught_up") is False:
                    wait = 0.0
            except BoxOfficeError as exc:
                result, error = None, exc
                held_back = exc.details.get("central_code") == "journal_quota" and "retry_after" not in exc.details
                # pushes held back past the journal share, the pull done: the usual pace, not an outage's
                wait = backoff.after_success() if held_back else backoff.after_failure()
                if isinstance(exc.details.get("retry_after"), int):  # a 429: never sooner than the service asked
                    wait = max(wait, float(exc.details["retry_after"]))
            done += 1
            report(result, error, wait)
            if rounds is not None and done >= rounds:
                break
            sleep(wait)
    except KeyboardInterrupt:
        pass
    return done
