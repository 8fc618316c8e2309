"""A door group's signatures verified on several cores at once, before its transaction (tickets/checked.py).

A group of scans (lanes that share a commit, lines read together) spends most of its time verifying Ed25519
signatures, one after the other on one core, while the machine's other cores wait. The verification lets go of the
interpreter's lock, so here the group's tokens are decoded and their keys looked up on the calling thread, then
the verifications are shared between it and a few helper threads. A group of fewer than FEWEST is verified by the
door as before: waking a helper for one signature costs about what it saves (measured: benchmarks/README.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from boxoffice.tickets.checked import Checked, confirm, prepare


def _cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# Threads that verify beside the caller: one fewer than the cores this process may use, at most three; none on one.
HELPERS = min(3, _cores() - 1)

FEWEST = 4  # scans in a group at least for the helpers to take a share

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def check_group(texts: list[str], public_key_for: Callable[[bytes], bytes | None]) -> list[Checked | None]:
    """Each text's signature checked, in order (None where it is not a token, its key is unknown or it does not
    verify: the door then checks it in full); nothing for fewer than FEWEST texts, on a single core, or when this
    fails in any way (no thread to be had as the program exits, say): it is only a way to go quicker, and the door
    then checks each scan itself, as a lone one."""
    if len(texts) < FEWEST or HELPERS < 1:
        return []
    try:
        return _shared(texts, public_key_for)
    except Exception:  # noqa: BLE001 - see the docstring: never a reason to refuse a scan
        return []


def _shared(texts: list[str], public_key_for: Callable[[bytes], bytes | None]) -> list[Checked | None]:
    """The group's verifications shared between this thread and the helpers."""
    count = len(texts)
    prepared = [prepare(text, public_key_for) for text in texts]  # on this thread: the look-up reads the database
    step = -(-count // (HELPERS + 1))  # shares as even as they go; this thread takes the first
    pool = _helpers()
    others = [pool.submit(confirm, prepared[at:at + step]) for at in range(step, count, step)]
    checked = confirm(prepared[:step])
    for share in others:
        checked += share.result()
    return checked


def _helpers() -> ThreadPoolExecutor:
    """The helper threads, made at the first group of several scans and kept for the process."""
    global _pool  # noqa: PLW0603 - one pool for the process
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(HELPERS, thread_name_prefix="door-check")
        return _pool


def _forget_after_fork() -> None:
    """A forked child has none of its parent's threads: it makes its own pool when it needs one."""
    global _pool, _pool_lock  # noqa: PLW0603
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
