"""Files that hold a secret or customer data are the owner's alone: made 0600, in folders made 0700.

The terminal database holds the sync token and the PIN hashes, and every customer's name; its backups, its config,
its marks file, receipts and reports hold the same, and the central service's SQLite file holds its private key.
Each is created with its mode from the first moment (``os.open`` with a mode, never a chmod after the fact, which
would leave a moment when anyone could open it). Files that exist already keep the mode their owner gave them; the
terminal database is checked on every open instead (``database_mode``).

A top-level module with no project imports, so the terminal's store, its printing and the central service can all
use it without depending on each other.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from boxoffice.i18n import _

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | Path) -> Path:
    """Make ``path`` and any missing parent folder 0700; folders that exist already are left as they are."""
    p = Path(path)
    missing: list[Path] = []
    for q in (p, *p.parents):
        if q.exists():
            break
        missing.append(q)
    for q in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            q.mkdir(mode=DIR_MODE)
    if not p.is_dir():
        raise NotADirectoryError(_("{path} is not a folder").format(path=p))
    return p


def create_private(path: str | Path) -> Path:
    """Create ``path`` empty with mode 0600 if it is not there yet (its folder 0700 if missing).

    SQLite makes its -wal, -shm and -journal files with the mode of the database file, so a database whose file was
    made here first keeps those private too.
    """
    p = Path(path)
    private_dir(p.parent)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    return p


def write_private(path: str | Path, data: bytes) -> Path:
    """Write ``data`` as the whole of ``path``, a file only its owner can read (new or rewritten: 0600)."""
    p = Path(path)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # a file that was there already, made readable to all by hand or by an old release
        with os.fdopen(fd, "wb", closefd=False) as fh:
            fh.write(data)
    finally:
        os.close(fd)
    return p


def database_mode(path: str | Path) -> str | None:
    """How others may use the file at ``path``: "writable" (group or others may write), "readable", or None."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "writable"
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return "readable"
    return None
