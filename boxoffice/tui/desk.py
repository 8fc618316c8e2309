"""What every screen of the counter shares: the open terminal, the event on the desk, and who is at it.

One :class:`Desk` lives as long as the app. It keeps the database, keys and caches open all evening (as the
line-mode counter does), so a keystroke never pays for opening the terminal again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from boxoffice.services.context import Ctx


@dataclass
class Desk:
    """The terminal open for the app's life; ``event_id`` is the event sales and the door work on."""

    ctx: Ctx
    event_id: str | None = None
    exit_mode: bool = False
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def operator(self) -> dict[str, Any] | None:
        """The operator whose session is open now (None when the desk is locked)."""
        return self.ctx.operator

    def close(self) -> None:
        """Close what the desk opened (the database); the app calls this once when it quits."""
        self.ctx.close()
