"""What the counter's screen tests share: run the app at 80x24 on a terminal, read a widget's text, count sales."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from textual.pilot import Pilot
from textual.widgets import Static

from boxoffice.services.context import Ctx
from boxoffice.services.events import list_events
from boxoffice.tui.app import CounterApp
from boxoffice.tui.desk import Desk


def text(app: CounterApp, selector: str) -> str:
    """What a Static of the screen in view shows now."""
    return str(app.screen.query_one(selector, Static).render())


def drive(ctx: Ctx, steps: Callable[[CounterApp, Pilot[None]], Awaitable[None]], event_id: str | None = None) -> None:
    """Open the counter on ``ctx`` (the sale screen, ``event_id`` on the desk) at 80x24 and run ``steps``."""
    async def run() -> None:
        app = CounterApp(Desk(ctx, event_id=event_id))
        async with app.run_test(size=(80, 24)) as pilot:
            await steps(app, pilot)

    asyncio.run(run())


def sold(ctx: Ctx) -> int:
    """Tickets sold across every event, as the event list counts them."""
    return sum(e["sold"] for e in list_events(ctx))
