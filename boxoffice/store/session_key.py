"""The session key: a secret beside the database (``<db>.session-key``, 0600) that seals its login sessions.

Kept outside the database on purpose: a copy of the database, or a row written into it, then carries no login
(domain/sessions.py). The key is made at the first login and never changes; deleting it logs everybody out.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from boxoffice.i18n import _

SIZE = 32


def path_for(db_path: str | Path) -> Path:
    return Path(f"{db_path}.session-key")


def read(db_path: str | Path) -> bytes | None:
    """The key, or None when there is none (or it is not a key: nobody is logged in then)."""
    try:
        data = path_for(db_path).read_bytes()
    except OSError:
        return None
    return data if len(data) == SIZE else None


def read_or_make(db_path: str | Path) -> bytes:
    """The key, made (0600, written whole or not at all) if there is none yet. OSError if it cannot be made."""
    key = read(db_path)
    if key is not None:
        return key
    import secrets  # only to make the key, once a terminal: reading it needs none

    target = path_for(db_path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(SIZE))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, target)  # another process may have made one first: theirs stands, for both
    finally:
        os.unlink(tmp)
    key = read(db_path)
    if key is None:
        raise OSError(_("the session key {path} is not readable").format(path=target))
    return key
