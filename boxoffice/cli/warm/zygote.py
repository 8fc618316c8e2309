"""The warm process: the program imported once, a fresh process forked from it for each command.

`boxoffice warm start` runs :func:`serve`. It imports the code of the counter's short commands (only code: it
opens no database, reads no configuration or key, so it holds no customer data and no secret) and listens on a
Unix socket in a directory only this user can enter. Each request (client.py) is checked, then forked: the child
takes the launcher's standard streams, working directory, umask, environment and arguments and runs the command
as `boxoffice` would, while this process goes back to listening and, when the child ends, tells the launcher its
exit status.

Why a fork per command rather than running commands in this process: each one starts from the same clean state
(module globals, caches, the database connection, the language) exactly as a cold start would, a command that
crashes takes nothing else down, and two counters' commands run side by side.

It refuses (and the launcher runs the command cold) a connection from another user, a request from another copy
of the program, a request whose environment would have changed what the imports did (the language, Typer's and
Python's own settings: :data:`IMPORT_ENV`), and anything once its own code changed on disk (an upgrade): then it
also stops, so the next start is of the new code.
"""

from __future__ import annotations

import contextlib
import gc
import os
import selectors
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from boxoffice.cli.warm import frames
from boxoffice.cli.warm.child import run_child

MAX_CHILDREN = 16  # commands running at once; more are run cold by their launchers
READ_TIMEOUT = 2.0  # seconds a launcher has to send its request (it sends it at once)
# Read while the program is imported (language, Typer's and Python's settings): a request whose values differ
# would not get what a cold start would, so it runs cold. Every PYTHON* and LC_* variable counts too. Not LANGUAGE:
# the program sets it to the language in force as it starts (i18n._apply), and the child does the same.
IMPORT_ENV = ("LANG", "BOXOFFICE_LANG", "BOXOFFICE_I18N_MISSING", "TYPER_USE_RICH",
              "TYPER_STANDARD_TRACEBACK", "_TYPER_STANDARD_TRACEBACK", "_TYPER_FORCE_DISABLE_TERMINAL",
              "TERMINAL_WIDTH", "GITHUB_ACTIONS", "FORCE_COLOR", "PY_COLORS", "ESCPOS_CAPABILITIES_PICKLE_DIR")
# The code the short commands run (client.WARM_COMMANDS), imported before the first fork: their command modules,
# and every module of the packages below them (no screen, HTTP or central service among them).
WARM_MODULES = ("boxoffice.cli.main", "boxoffice.cli.sales", "boxoffice.cli.pickup", "boxoffice.cli.orders",
                "boxoffice.cli.catalog", "boxoffice.cli.money", "boxoffice.cli.operators", "boxoffice.cli.tickets",
                "boxoffice.cli.printer", "boxoffice.cli.reports", "boxoffice.config")
WARM_PACKAGES = ("boxoffice.domain", "boxoffice.store", "boxoffice.services", "boxoffice.printing",
                 "boxoffice.tickets")


class WarmError(Exception):
    """The warm process cannot start (said to the user as one line)."""


def import_environment(env: dict[bytes, bytes] | os._Environ[bytes]) -> dict[bytes, bytes | None]:
    """The part of an environment that the imports read."""
    names = {name.encode() for name in IMPORT_ENV}
    names.update(key for key in env if key.startswith((b"PYTHON", b"LC_")))
    return {name: env.get(name) for name in sorted(names)}


def warm_up() -> None:
    """Import the short commands' code, and escpos the way the program loads it."""
    import importlib
    import pkgutil

    for name in WARM_MODULES:
        importlib.import_module(name)
    for package in WARM_PACKAGES:
        for found in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
            importlib.import_module(found.name)
    from boxoffice.printing.escpos_render import load_escpos

    load_escpos()
    import typer

    from boxoffice.cli.main import app
    from boxoffice.cli.warm.child import BUILT
    from boxoffice.cli.warm.client import WARM_COMMANDS

    # The command line itself, built as a cold start builds it (in the same language: IMPORT_ENV), with the short
    # commands' families whole: a cold start builds the one sub-command it runs, whose help and usage read the same.
    root = typer.main.get_command(app)
    for name in sorted(WARM_COMMANDS):
        root.get_command(None, name)  # type: ignore[attr-defined,arg-type]  # LazyGroup: builds and keeps it
    BUILT[:] = [root]


def code_stamp() -> dict[str, int]:
    """The modification time of every file of the program loaded now: a change means an upgrade."""
    stamp = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and getattr(module, "__name__", "").startswith("boxoffice"):
            with contextlib.suppress(OSError):
                stamp[path] = os.stat(path).st_mtime_ns
    return stamp


def _changed(stamp: dict[str, int]) -> bool:
    for path, mtime in stamp.items():
        try:
            if os.stat(path).st_mtime_ns != mtime:
                return True
        except OSError:
            return True
    return False


@dataclass
class _Child:
    pid: int
    conn: socket.socket


@dataclass
class Warm:
    """The state of a running warm process (what `warm status` reports)."""

    path: str
    started: float = field(default_factory=time.time)
    served: int = 0
    cold: int = 0
    stopping: bool = False
    stamp: dict[str, int] = field(default_factory=dict)
    env: dict[bytes, bytes | None] = field(default_factory=dict)
    children: dict[int, _Child] = field(default_factory=dict)  # by pidfd


def prepare_socket(path: str) -> socket.socket:
    """Listen at ``path``: its directory made private to this user (or refused), a stale socket replaced, a live
    warm process refused (WarmError)."""
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise WarmError(f"cannot make {directory}: {exc.strerror}") from None
    if not frames.private_dir(directory):
        raise WarmError(f"{directory} is not a directory of this user's that only they can enter (mode 700)")
    if os.path.exists(path):
        if ping(path) is not None:
            raise WarmError("a warm process is already running")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(path)
    except OSError as exc:
        listener.close()
        raise WarmError(f"cannot listen at {path}: {exc.strerror}") from None
    finally:
        os.umask(old)
    listener.listen(64)
    return listener


def ping(path: str, op: bytes = b"ping", timeout: float = 2.0) -> str | None:
    """The answer of the warm process at ``path`` to ``ping`` (or ``stop``), or None when none answers."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        frames.send_request(sock, [op], [])
        line = frames.read_line(sock, bytearray())
    except OSError:
        return None
    finally:
        sock.close()
    if line is None or not line.startswith(b"K"):
        return None
    return line[1:].decode("utf-8", "replace")


def serve(path: str, ready: Callable[[], None] | None = None) -> None:
    """Warm up, listen at ``path`` and serve until SIGTERM, SIGINT or a ``stop`` request; then wait for the
    commands still running (their launchers wait for their statuses) and remove the socket."""
    env_before = import_environment(os.environb)
    warm_up()
    import threading

    if threading.active_count() > 1:  # a fork copies one thread: locks another one held would stay held
        raise WarmError("a thread started while the program was imported; it cannot be kept warm")
    state = Warm(path=path, stamp=code_stamp(), env=env_before)
    listener = prepare_socket(path)
    try:
        sel = selectors.DefaultSelector()
        sel.register(listener, selectors.EVENT_READ, None)

        def stop(_signum: int, _frame: object) -> None:
            state.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, stop)
        gc.collect()
        gc.freeze()  # what is alive now is shared with every child, untouched by their collections
        if ready is not None:
            ready()
        _loop(state, listener, sel)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        listener.close()


def _loop(state: Warm, listener: socket.socket, sel: selectors.BaseSelector) -> None:
    listening = True
    while listening or state.children:
        if listening and state.stopping:
            sel.unregister(listener)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(state.path)  # new launchers start cold from now on
            listening = False
        for key, _events in sel.select(timeout=0.5):
            if key.data is None:
                _accept(state, listener, sel)
            else:
                _reap(state, key.fd, sel)


def _accept(state: Warm, listener: socket.socket, sel: selectors.BaseSelector) -> None:
    try:
        conn, _addr = listener.accept()
    except OSError:
        return
    fds: list[int] = []
    try:
        conn.settimeout(READ_TIMEOUT)
        if _peer_uid(conn) != os.getuid():
            return  # only this user may run commands here (the directory already says so; this checks)
        fields, fds = _receive(conn)
        op = fields[0]
        if op == b"ping":
            conn.sendall(b"K%d %d %d %d\n" % (os.getpid(), int(state.started), state.served, state.cold))
        elif op == b"stop":
            state.stopping = True
            conn.sendall(b"K%d\n" % os.getpid())
        elif op == b"run" and _fork(state, conn, fields, fds, sel):
            conn = None  # type: ignore[assignment]  # kept open until the child's status is sent
    except (OSError, ValueError):
        pass  # a launcher that went away or sent nonsense: it runs cold, or is not one of ours
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        if conn is not None:
            conn.close()


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _receive(conn: socket.socket) -> tuple[list[bytes], list[int]]:
    """A request's fields and the descriptors that came with it (ValueError for a malformed one)."""
    fds: list[int] = []
    data, ancdata, _flags, _addr = conn.recvmsg(frames.HEADER, socket.CMSG_SPACE(3 * 4))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(payload) - len(payload) % 4
            fds += [int.from_bytes(payload[i:i + 4], sys.byteorder, signed=True) for i in range(0, usable, 4)]
    try:
        while len(data) < frames.HEADER:
            more = conn.recv(frames.HEADER - len(data))
            if not more:
                raise ValueError("short request")
            data += more
        length = frames.parse_header(data)
        chunks = bytearray()
        while len(chunks) < length:
            more = conn.recv(min(65536, length - len(chunks)))
            if not more:
                raise ValueError("short request")
            chunks += more
    except BaseException:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        raise
    return frames.unpack(bytes(chunks)), fds


def _fork(state: Warm, conn: socket.socket, fields: list[bytes], fds: list[int],
          sel: selectors.BaseSelector) -> bool:
    """Fork the child that runs the request; False (and ``C`` said) when it is to run cold instead."""
    reason = _refusal(state, fields, fds)
    if reason is not None:
        state.cold += 1
        conn.sendall(b"C\n")
        if reason == "changed":
            state.stopping = True  # upgraded: stop, so that the next `warm start` runs the new code
        return False
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        # Nothing of the warm process stays open in the child: its socket, the other commands' connections.
        others = [child.conn.fileno() for child in state.children.values()]
        run_child(fields, fds, close=[key.fd for key in sel.get_map().values()] + others + [conn.fileno()])
    pidfd = os.pidfd_open(pid)
    state.children[pidfd] = _Child(pid, conn)
    sel.register(pidfd, selectors.EVENT_READ, pid)
    state.served += 1
    conn.sendall(b"P%d\n" % pid)
    return True


def _refusal(state: Warm, fields: list[bytes], fds: list[int]) -> str | None:
    """Why a ``run`` request is to run cold, or None."""
    if len(fields) < 12 or len(fds) != 3 or not _well_formed(fields):
        return "malformed"
    if fields[1] != os.fsencode(frames.package_dir()) or fields[2] != os.fsencode(sys.executable):
        return "another copy"
    if len(state.children) >= MAX_CHILDREN:
        return "busy"
    env = dict(entry.split(b"=", 1) for entry in fields[12 + int(fields[11]):] if b"=" in entry)
    names = set(state.env) | {key for key in env if key.startswith((b"PYTHON", b"LC_"))}
    if any(env.get(name) != state.env.get(name) for name in names):
        return "environment"
    if _changed(state.stamp):
        return "changed"
    return None


def _well_formed(fields: list[bytes]) -> bool:
    """Whether the child can take the request as it is (checked before the fork: a child never fails on it)."""
    import codecs

    try:
        int(fields[4], 8)
        argc = int(fields[11])
        for name in fields[5:11:2]:
            codecs.lookup(name.decode("ascii"))
        for name in fields[6:11:2]:
            codecs.lookup_error(name.decode("ascii"))
    except (ValueError, LookupError, UnicodeDecodeError):
        return False
    return 1 <= argc <= len(fields) - 12 and fields[3].startswith(b"/")


def _reap(state: Warm, pidfd: int, sel: selectors.BaseSelector) -> None:
    child = state.children.pop(pidfd)
    sel.unregister(pidfd)
    os.close(pidfd)
    try:
        _pid, status = os.waitpid(child.pid, 0)
        code = os.waitstatus_to_exitcode(status)
    except ChildProcessError:
        code = 1
    if code < 0:
        code = 128 - code  # killed by a signal: as a shell reports it
    with contextlib.suppress(OSError):
        child.conn.sendall(b"X%d\n" % code)
    child.conn.close()
