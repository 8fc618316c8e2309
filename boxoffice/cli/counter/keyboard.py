"""Reading the desk's keyboard or scanner: queued lines, and Ctrl-C held while an action runs."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def _hold_interrupts() -> Iterator[list[int]]:
    """Ctrl-C while an action runs waits until it is done: an action is never cut in half, and its answer is shown."""
    held: list[int] = []
    try:
        old = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    except ValueError:  # not the main thread: nothing to hold
        yield held
        return
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, old)


def _queued_lines(most: int = 500) -> list[str]:
    """Lines already typed or scanned and waiting on stdin, read without waiting for more.

    A keyboard-wedge scanner's buffer or a pasted list arrives faster than it is answered; taking the waiting
    lines together lets the door commit them at once (see services.counter.Counter.handle_lines).
    """
    import select

    out: list[str] = []
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return out
    while len(out) < most:
        try:
            ready, _, _ = select.select([fd], [], [], 0)
        except (OSError, ValueError):
            break
        if not ready:
            break
        line = sys.stdin.readline()
        if not line:
            break
        out.append(line.rstrip("\r\n"))
    return out
