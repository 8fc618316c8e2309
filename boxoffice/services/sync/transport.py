"""What sync needs of the network and how it reports progress: the types the round's modules share (push in
rounds.py, pull in pull.py), so that neither imports the other for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Progress = Callable[[str, int, int], None]  # (phase 'push' | 'pull' | 'fetch' | 'replay', done, total expected)


class Transport(Protocol):
    """What sync needs of the network. Methods raise BoxOfficeError (central_unreachable, central_refused)."""

    def push(self, entries: list[dict[str, Any]]) -> Any: ...

    def changes(self, after: int, limit: int) -> Any: ...
