"""Globally unique ids made on a terminal with no coordination: UUIDv7 (RFC 9562).

Time-ordered, so journal entries and orders sort by creation and index well; 74 random bits make a clash between
terminals negligible. Python 3.11 has no uuid7, and the format is small enough to keep here.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_POOL_BYTES = 4096  # 512 draws of 64 random bits: one getrandom call for about 80 sales' ids
_pool: list[int] = []  # random 64-bit numbers drawn ahead, used from the end; refilled when empty


def _forget_pool() -> None:
    """A forked child must not hand out the random bits its parent holds (both would make the same ids)."""
    _pool.clear()


os.register_at_fork(after_in_child=_forget_pool)


def uuid7(now_ms: int | None = None) -> str:
    """A new UUIDv7 as canonical text. Ids made in the same millisecond stay ordered by a 12-bit counter.

    The random bits come from os.urandom drawn 4 KiB at a time, not 8 bytes per id (a system call each: most of
    what an id cost); a forked child starts with none (``_forget_pool``)."""
    global _last_ms, _counter
    with _lock:
        if len(_pool) < 2:  # at most two draws below
            _pool.extend(_draw())
        ms = now_ms if now_ms is not None else time.time_ns() // 1_000_000
        if ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # counter overflow: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _counter = _pool.pop() & 0x3FF
        rand_b = _pool.pop() & ((1 << 62) - 1)
        rand_a = _counter
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    h = f"{value:032x}"  # the canonical text uuid.UUID would give, without building one
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _draw() -> tuple[int, ...]:
    """512 random 64-bit numbers from the operating system's generator, in one call."""
    return struct.unpack(f"<{_POOL_BYTES // 8}Q", os.urandom(_POOL_BYTES))


def is_uuid(text: str) -> bool:
    """True when ``text`` is a canonical UUID (any version)."""
    try:
        return str(uuid.UUID(text)) == text.lower()
    except (ValueError, AttributeError, TypeError):
        return False


def uuid_or_none(value: object) -> str | None:
    """``value`` when it is a canonical UUID, else None: an id from a pushed payload, before it is passed on."""
    return value if isinstance(value, str) and is_uuid(value) else None
