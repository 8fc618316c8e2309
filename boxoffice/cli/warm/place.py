"""Where the warm process listens, and who owns it: the socket, and a lock held for as long as it listens.

The lock (``warm-XXXX.lock``, ``flock``) is what says a warm process is alive: a second `warm start` cannot take it
while the first listens, and a socket whose lock is free is stale, whatever a connection to it does. A warm process
removes its socket only while it is still the file it bound (device and inode), so one that stops after another
has started never takes the newer one's socket away.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from dataclasses import dataclass

from boxoffice.cli.warm import frames
from boxoffice.i18n import _


class WarmError(Exception):
    """The warm process cannot start (said to the user as one line)."""


@dataclass
class Place:
    """A socket listened on, its identity on disk, and the lock that goes with it."""

    path: str
    listener: socket.socket
    lock_fd: int
    identity: tuple[int, int]

    def leave(self) -> None:
        """Stop being the warm process at ``path``: the socket file removed if it is still ours, the lock freed
        (another `warm start` may begin at once), the listening socket closed."""
        with contextlib.suppress(OSError):
            st = os.stat(self.path)
            if (st.st_dev, st.st_ino) == self.identity:
                os.unlink(self.path)
        if self.lock_fd >= 0:
            with contextlib.suppress(OSError):
                fcntl.flock(self.lock_fd, fcntl.LOCK_UN)
            os.close(self.lock_fd)
            self.lock_fd = -1
        self.listener.close()


def take(path: str) -> Place:
    """Listen at ``path``, its directory made private to this user (or refused), holding its lock; WarmError when
    another warm process holds it."""
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise WarmError(_("cannot make {directory}: {reason}").format(directory=directory, reason=exc.strerror)
                        ) from None
    if not frames.private_dir(directory):
        raise WarmError(_("{directory} is not a directory of this user's that only they can enter (mode 700)").format(
            directory=directory))
    lock_path = path[: -len(".sock")] + ".lock" if path.endswith(".sock") else path + ".lock"
    lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock_fd)
        raise WarmError(_("a warm process is already running (or still finishing its commands)")) from None
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # the lock was free: whatever is there is stale
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(path)
        st = os.stat(path)
    except OSError as exc:
        listener.close()
        os.close(lock_fd)
        raise WarmError(_("cannot listen at {path}: {reason}").format(path=path, reason=exc.strerror)) from None
    finally:
        os.umask(old)
    listener.listen(64)
    listener.setblocking(False)
    return Place(path, listener, lock_fd, (st.st_dev, st.st_ino))


def ping(path: str, op: bytes = b"ping", timeout: float = 2.0) -> str | None:
    """The answer of the warm process at ``path`` to ``ping`` (or ``stop``), or None when none answers."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        frames.send_request(sock, [op])
        line = frames.read_line(sock, bytearray())
    except OSError:
        return None
    finally:
        sock.close()
    if line is None or not line.startswith(b"K"):
        return None
    return line[1:].decode("utf-8", "replace")
