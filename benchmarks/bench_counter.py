"""The full-screen counter: a keystroke to the screen updated, and a whole seat-map sale, against the bare calls.

The app runs headless (Textual's test driver at 80x24) on a terminal with the demo catalogue, keys sent to the
driver as a keyboard sends them. A key's time runs from sending it until every message it caused has been handled
and the screen has been drawn after the last of them (the app's own display call, timed by wrapping it): what a
person at the desk waits for. Pilot's `press` is not used for timing: it sleeps at least 60 ms a key to decide the
app is idle. Subjects and floors run interleaved in the same loop.

- keystroke, seat map cursor: one arrow key on the seat picker (the Stalls, 484 seats).
- keystroke, + on the sale screen: one more place in the basket, which prices the basket again (a quote).
  Floor for both: the bare quote service call (``services.sales.quote``). Goal: under 50 ms a key, absolute.
- seat-map sale: from the sale screen, 2 places, the seat map, best available, Enter, pay by card, printed to a
  file printer, back to an empty basket. Floor: the bare service calls doing the same sale (``services.sales.sell``
  with the same seats, card) and printing its job to the same file printer. Goal: under 0.5 s, absolute; the ratio
  says what the screens add.

    python benchmarks/bench_counter.py [-n 20] [--warmup 3] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import RESULTS, Bench, Job, exit_status  # noqa: E402

KEY_GOAL_S = 0.050
PER_KEY: dict[str, list[float]] = {}
FRAMES: dict[str, list[int]] = {}  # frames drawn per key (each waits for the next tick at 60 a second): load-proof
SALE_GOAL_S = 0.5


class KeyClock:
    """Sends keys to a headless app as a keyboard does and times each from sent to the screen as it ends up.

    A key's time runs to the last frame that changed what the screen shows, once every message the key caused has
    been handled and every change drawn (Textual draws on a frame tick after a change, and a key often causes
    follow-up messages, so a key may draw several frames, some of them the same picture again). Each frame drawn is
    compared with the one before through a text screenshot; the time that comparison takes is subtracted, so the
    figure is the app's. ``profile`` enables cProfile around each key, its stats kept per key name (``profiles``).
    The frames a key drew are counted too (``FRAMES``, printed with ``--keys``): Textual draws on a 60-a-second tick,
    so each frame a key needs after the first adds up to 17 ms of waiting whatever the machine's load.
    """

    def __init__(self, app: Any, per_key: dict[str, list[float]] | None = None, profile: bool = False,
                 pause: float = 0.0) -> None:
        self.app = app
        self.per_key = PER_KEY if per_key is None else per_key
        self.pause = pause  # at least this long from the last frame drawn to the next key sent (0: about 3 ms)
        self.frames_per_key: dict[str, list[int]] = {}
        self.profiles: dict[str, Any] = {}
        self.profile = profile
        self.drawn = 0.0  # the last frame drawn (any)
        self.frames = 0  # frames drawn since the app started
        self.changed = 0.0  # the last frame that changed the picture, less the comparisons' time since the key
        self.overhead = 0.0
        self.picture = ""
        self.sent = 0.0  # when the last burst's first key was sent (perf_counter)
        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is None:
                return
            self.drawn = now = time.perf_counter()
            self.frames += 1
            picture = app.export_screenshot()
            if picture != self.picture:
                self.picture, self.changed = picture, now - self.overhead
            self.overhead += time.perf_counter() - now

        app._display = timed_display

    def busy(self) -> bool:
        """Messages waiting anywhere, or a change the screen has not drawn yet (it draws on its next frame tick)."""
        app = self.app
        if app._message_queue.qsize():
            return True
        screen = app.screen
        if (screen._layout_required or screen._repaint_required or screen._scroll_required or screen._dirty_widgets
                or screen._compositor._dirty_regions):
            return True
        return any(node._message_queue.qsize() for screen in app.screen_stack
                   for node in (screen, *screen.walk_children()))

    @staticmethod
    def event(name: str) -> Any:
        from textual import events
        from textual.keys import _character_to_key

        key = _character_to_key(name) if len(name) == 1 and not name.isalnum() else name
        return events.Key(key, name if len(name) == 1 else None)

    async def settle(self, sent: float) -> float:
        """Wait until nothing is left to handle or to draw; the time to the last frame that changed the screen."""
        quiet_since = None
        while True:
            await asyncio.sleep(0.0005)
            now = time.perf_counter()
            if self.busy() or self.drawn < sent:
                quiet_since = None
                continue
            quiet_since = quiet_since or now
            if now - quiet_since > 0.003:  # nothing left to handle or to draw, and drawn since the key
                return max(self.changed - sent, 0.0)

    async def keys(self, *names: str) -> float:
        """Send the keys one after another, each once the last is handled and drawn; the sum of each key's time
        from sent to drawn (the pauses between keys, where a person would be typing, are left out)."""
        total = 0.0
        for name in names:
            total += await self.burst(name, label=name)
        return total

    async def burst(self, *names: str, label: str) -> float:
        """Send the keys all at once, as a barcode scanner types a code and its Enter; the time from the first sent
        to the screen drawn after the last is handled, recorded under ``label``."""
        import cProfile

        assert self.app._driver is not None
        if self.pause:  # a person's pause after the last frame: Textual's frame clock is idle again by then
            await asyncio.sleep(max(0.0, self.drawn + self.pause - time.perf_counter()))
        profiler = cProfile.Profile() if self.profile else None
        self.overhead = 0.0
        frames = self.frames
        sent = self.sent = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        for name in names:
            self.app._driver.send_message(self.event(name))
        took = await self.settle(sent)
        if profiler is not None:
            profiler.disable()
            import pstats

            if label in self.profiles:
                self.profiles[label].add(profiler)
            else:
                self.profiles[label] = pstats.Stats(profiler)
        self.per_key.setdefault(label, []).append(took)
        self.frames_per_key.setdefault(label, []).append(self.frames - frames)
        if self.per_key is PER_KEY:
            FRAMES.setdefault(label, []).append(self.frames - frames)
        return took


def make_terminal(directory: Path) -> Any:
    """A terminal with the demo catalogue and a seller logged in, printing to a file; returns the open context."""
    from boxoffice.config import load
    from boxoffice.services.catalog import import_catalog
    from boxoffice.services.demo_catalog import demo_catalog
    from boxoffice.services.operators import add_operator, login
    from boxoffice.services.terminal import init_terminal

    directory.mkdir(parents=True, exist_ok=True)
    toml = directory / "boxoffice.toml"
    toml.write_text(f'db = "terminal.db"\nprinter = "file://{directory / "printer.bin"}"\n', encoding="utf-8")
    ctx = init_terminal(load(str(toml)), "Bench counter")
    add_operator(ctx, "ada", "admin", "123456")
    login(ctx, "ada", "123456")
    add_operator(ctx, "sam", "seller", "1111")
    import_catalog(ctx, demo_catalog(date.today() - timedelta(days=0)))
    login(ctx, "sam", "1111")
    return ctx


def _row(bench: str, job: Job, floor: Job, goal_s: float, n: int) -> dict:
    """A harness row whose goal is absolute (seconds), with the ratio to the floor beside it."""
    b = Bench(bench)
    b.floor(floor.name)
    assert b._floor is not None
    b._floor.times = floor.times
    row = b._row(job, n)
    row["goal"] = f"< {goal_s * 1000:g} ms"
    row["met"] = job.median < goal_s
    return row


FULL_COLLECTIONS: list[float] = []  # seconds each full (generation 2) garbage collection took while timing


def watch_full_collections() -> Callable[[], None]:
    """Time every full garbage collection from now on (gc.callbacks); returns what stops it."""
    import gc

    started: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            FULL_COLLECTIONS.append(time.perf_counter() - started.pop())

    gc.callbacks.append(callback)
    return lambda: gc.callbacks.remove(callback)


async def measure(ctx: Any, event_id: str, n: int, warmup: int, settle_heap: bool = True) -> list[dict]:
    from boxoffice.domain.tenders import Tender
    from boxoffice.services import sales
    from boxoffice.services.printing import run_jobs
    from boxoffice.tui.app import CounterApp
    from boxoffice.tui.desk import Desk
    from boxoffice.tui.screens.sale import SaleScreen

    quote_floor, sale_floor = Job("bare quote call"), Job("bare sell + print calls")
    cursor, plus, sale = Job("keystroke, seat map cursor"), Job("keystroke, + (basket priced again)"), \
        Job("seat-map sale: pick, pay by card, printed")
    app = CounterApp(Desk(ctx, event_id=event_id), settle_heap=settle_heap)  # as `boxoffice counter` makes it

    def timed(job: Job, fn: Callable[[], object], record: bool) -> None:
        start = time.perf_counter()
        fn()
        if record:
            job.times.append(time.perf_counter() - start)

    async def atimed(job: Job, keys: Callable[[], Awaitable[float]], record: bool) -> None:
        took = await keys()
        if record:
            job.times.append(took)

    def bare_sale() -> None:
        rows = sales._seat_rows(ctx, event_id, "stalls", False)
        from boxoffice.domain.seating import best_available

        seats = [s.label for s in best_available(rows, 2)]
        done = sales.sell(ctx, sales.SaleRequest(event_id=event_id, section_id="stalls", counts={"adult": 2},
                                                 seats=seats, tenders=[Tender("card", card_last4="4242")]))
        (printed,) = run_jobs(ctx, done["jobs"])
        if printed["status"] != "printed":
            raise RuntimeError(printed)

    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SaleScreen)
        clock = KeyClock(app)
        keys = clock.keys

        async def screen_sale() -> float:
            took = await keys("plus", "plus", "a", "b")
            took += await clock.burst("enter", label="enter (take the seats)")
            took += await keys("p", "f7", *"4242")
            took += await clock.burst("enter", label="enter (sell and print)")
            if "SOLD" not in str(app.screen.query_one("#sold").render()):
                raise RuntimeError("the screen sale did not go through")
            await pilot.press("enter")
            return took

        stop_watching = watch_full_collections()
        for i in range(warmup + n):
            record = i >= warmup
            timed(quote_floor, lambda: sales.quote(ctx, event_id, "standing", {"adult": 2}), record)
            await pilot.press("s")  # Standing: the + key prices a general-admission basket
            await atimed(plus, lambda: keys("plus"), record)
            await pilot.press("escape", "s")  # empty basket, back to the Stalls
            await pilot.press("plus", "plus", "a")  # the seat picker opens on the Stalls
            await atimed(cursor, lambda: keys("right"), record)
            await pilot.press("escape", "escape")
            timed(sale_floor, bare_sale, record)
            await atimed(sale, screen_sale, record)
        stop_watching()
    return [_row("counter", cursor, quote_floor, KEY_GOAL_S, n), _row("counter", plus, quote_floor, KEY_GOAL_S, n),
            _row("counter", sale, sale_floor, SALE_GOAL_S, n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--keys", action="store_true", help="also print each key's median time")
    parser.add_argument("--check", action="store_true", help="exit 1 if a goal is missed")
    parser.add_argument("--no-settle", action="store_true",
                        help="leave the heap unfrozen after the first screen (as before tui.app.settle)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = make_terminal(Path(tmp) / "t")
        from boxoffice.services.events import list_events

        event_id = min(list_events(ctx), key=lambda e: e["starts_at"])["id"]
        rows = asyncio.run(measure(ctx, event_id, args.n, args.warmup, settle_heap=not args.no_settle))
        ctx.close()
    print(Bench.table(rows))
    took = sorted(FULL_COLLECTIONS)
    print(f"  full garbage collections during the run: {len(took)}" + (
        f", median {took[len(took) // 2] * 1000:.1f} ms, longest {took[-1] * 1000:.1f} ms" if took else ""))
    if args.keys:
        for name, times in PER_KEY.items():
            drawn = sorted(FRAMES.get(name, [0]))
            print(f"  key {name!r}: median {sorted(times)[len(times) // 2] * 1000:.1f} ms over {len(times)}, "
                  f"{drawn[len(drawn) // 2]} frames drawn (median)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return exit_status(rows) if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
