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

# Threads that verify beside the caller: one fewer than the cores, at least one, at most three.
HELPERS = max(1, min(3, (os.cpu_count() or 2) - 1))

FEWEST = 4  # scans in a group at least for the helpers to take a share

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def check_group(texts: list[str], public_key_for: Callable[[bytes], bytes | None]) -> list[Checked | None]:
    """Each text's signature checked, in order (None where it is not a token, its key is unknown or it does not
    verify: the door then checks it in full); nothing for fewer than FEWEST texts."""
    count = len(texts)
    if count < FEWEST:
        return []
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
