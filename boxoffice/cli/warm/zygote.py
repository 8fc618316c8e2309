"""The warm process: the program imported once, a fresh process forked from it for each command.

`boxoffice warm start` runs :func:`serve`. It imports the code of the counter's short commands (only code: it
opens no database, reads no configuration or key, so it holds no customer data and no secret) and listens on a
Unix socket in a directory only this user can enter (place.py). Each request (client.py) is read without blocking,
checked (checks.py), then forked: the child takes the launcher's standard streams, working directory, umask,
environment and arguments and runs the command as `boxoffice` would (child.py), while this process goes back to
listening and, when the child ends, tells the launcher how.

Why a fork per command rather than running commands in this process: each one starts from the same clean state
(module globals, caches, the database connection, the language) exactly as a cold start would, a command that
crashes takes nothing else down, and two counters' commands run side by side.

A child runs nothing until it is released: only once the warm process has said ``P<pid>`` to the launcher, the
launcher has answered that it takes it (``g``), and the warm process has said ``R`` back. A launcher gives up on a
warm process that has not said ``P`` within two seconds (one stopped, say) and runs the command cold; it never
answers after giving up, and whatever fails before the release (no answer within READ_TIMEOUT) kills the child
unreleased: a command never runs twice. A launcher that goes away while its command runs takes it along (the
child gets SIGHUP, as a cold command whose terminal closed).
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

from boxoffice.cli.warm import checks, frames
from boxoffice.cli.warm.child import run_child
from boxoffice.cli.warm.place import Place, WarmError, take
from boxoffice.i18n import _

__all__ = ["serve"]

MAX_CHILDREN = 16  # commands running at once; more are run cold by their launchers
MAX_PENDING = 64  # connections still sending their request; more are closed
READ_TIMEOUT = 2.0  # seconds a launcher has to send its whole request (it sends it at once)
# The code the short commands run (client.WARM_COMMANDS), imported before the first fork: their command modules,
# and every module of the packages below them (no screen, HTTP or central service among them).
WARM_MODULES = ("boxoffice.cli.main", "boxoffice.cli.sales", "boxoffice.cli.pickup", "boxoffice.cli.orders",
                "boxoffice.cli.catalog", "boxoffice.cli.money", "boxoffice.cli.operators", "boxoffice.cli.tickets",
                "boxoffice.cli.printer", "boxoffice.cli.reports", "boxoffice.config")
WARM_PACKAGES = ("boxoffice.domain", "boxoffice.store", "boxoffice.services", "boxoffice.printing",
                 "boxoffice.tickets")


def warm_up() -> None:
    """Import the short commands' code, escpos the way the program loads it, and build the command line."""
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

    # The command line itself, built as a cold start builds it (in the same language: checks.IMPORT_ENV), with the
    # short commands' families whole: a cold start builds the one sub-command it runs, whose help reads the same.
    root = typer.main.get_command(app)
    for name in sorted(WARM_COMMANDS):
        root.get_command(None, name)  # type: ignore[attr-defined,arg-type]  # LazyGroup: builds and keeps it
    BUILT[:] = [root]


@dataclass
class _Pending:
    """A connection still sending its request."""

    conn: socket.socket
    peer: int
    deadline: float
    data: bytearray = field(default_factory=bytearray)
    fds: list[int] = field(default_factory=list)

    def close(self) -> None:
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = []
        self.conn.close()


@dataclass
class _Child:
    """A command running, and the launcher waiting for it."""

    pid: int
    pidfd: int
    conn: socket.socket


@dataclass
class _Watch:
    """A running command's connection, watched for its launcher going away."""

    child: _Child


@dataclass
class Warm:
    """The state of a running warm process (what `warm status` reports)."""

    started: float = field(default_factory=time.time)
    served: int = 0
    cold: int = 0
    stopping: bool = False
    stamp: dict[str, int] = field(default_factory=dict)
    env: dict[bytes, bytes | None] = field(default_factory=dict)
    confined: tuple[bytes, ...] | None = None
    children: dict[int, _Child] = field(default_factory=dict)  # by pid
    pending: list[_Pending] = field(default_factory=list)


def serve(path: str, ready: Callable[[], None] | None = None) -> None:
    """Warm up, listen at ``path`` and serve until SIGTERM, SIGINT, SIGHUP or a ``stop`` request; then stop
    listening at once (a new warm process may start) and wait for the commands still running."""
    env_before = checks.import_environment(os.environb)
    warm_up()
    import threading

    if threading.active_count() > 1:  # a fork copies one thread: locks another one held would stay held
        raise WarmError(_("a thread started while the program was imported; it cannot be kept warm"))
    state = Warm(stamp=checks.code_stamp(), env=env_before, confined=checks.confinement("self"))
    place = take(path)
    try:
        sel = selectors.DefaultSelector()
        sel.register(place.listener, selectors.EVENT_READ, place)

        def stop(_signum: int, _frame: object) -> None:
            state.stopping = True

        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            signal.signal(getattr(signal, name), stop)
        signal.signal(signal.SIGTSTP, signal.SIG_IGN)  # Ctrl-Z on `warm start --foreground`: launchers would wait
        gc.collect()
        gc.freeze()  # what is alive now is shared with every child, untouched by their collections
        if ready is not None:
            ready()
        _loop(state, place, sel)
    finally:
        place.leave()


def _loop(state: Warm, place: Place, sel: selectors.BaseSelector) -> None:
    listening = True
    while listening or state.children:
        if listening and state.stopping:
            sel.unregister(place.listener)
            place.leave()  # new launchers start cold from now on, and a new warm process may start
            for pending in state.pending:
                sel.unregister(pending.conn)
                pending.close()
            state.pending.clear()
            listening = False
        for key, _events in sel.select(timeout=0.5):
            if isinstance(key.data, Place):
                _accept(state, place, sel)
            elif isinstance(key.data, _Pending):
                _read(state, key.data, sel)
            elif isinstance(key.data, _Watch):
                _hung_up(key.data.child, sel)
            elif isinstance(key.data, _Child):
                _reap(state, key.data, sel)
        now = time.monotonic()
        for pending in [p for p in state.pending if p.deadline < now]:  # too slow: not a launcher of ours
            state.pending.remove(pending)
            sel.unregister(pending.conn)
            pending.close()


def _accept(state: Warm, place: Place, sel: selectors.BaseSelector) -> None:
    while True:
        try:
            conn, _addr = place.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        pid, uid = _peer(conn)
        if uid != os.getuid() or len(state.pending) >= MAX_PENDING:
            conn.close()  # only this user may run commands here (the directory already says so; this checks)
            continue
        conn.setblocking(False)
        pending = _Pending(conn, pid, time.monotonic() + READ_TIMEOUT)
        state.pending.append(pending)
        sel.register(conn, selectors.EVENT_READ, pending)


def _peer(conn: socket.socket) -> tuple[int, int]:
    """The pid and uid of the process at the other end (the kernel's word for it)."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", creds)
    return pid, uid


def _read(state: Warm, pending: _Pending, sel: selectors.BaseSelector) -> None:
    """Take what the connection has sent; once the whole request is here, answer it."""
    try:
        fields = _more(pending)
    except (OSError, ValueError):
        fields = None
        done = True
    else:
        done = fields is not None
    if not done:
        return
    state.pending.remove(pending)
    sel.unregister(pending.conn)
    kept = False
    try:
        if fields is not None:
            kept = _answer(state, pending, fields, sel)
    except OSError:
        pass  # a launcher that went away: it runs cold, or is not one of ours
    finally:
        if kept:
            pending.fds = []  # the child has them; this process closed its copies
        else:
            pending.close()


def _more(pending: _Pending) -> list[bytes] | None:
    """The request's fields once it is whole, None while more is to come; ValueError for a malformed one."""
    try:
        return _take(pending)
    except (BlockingIOError, InterruptedError):
        return None


def _take(pending: _Pending) -> list[bytes] | None:
    if len(pending.data) < frames.HEADER:
        data = pending.conn.recv(frames.HEADER - len(pending.data))  # descriptors sent with it: dropped unread
        if not data:
            raise ValueError("closed")
        pending.data += data
        if len(pending.data) < frames.HEADER:
            return None
        frames.parse_header(bytes(pending.data))  # the length is checked before anything more is read
    length = frames.parse_header(bytes(pending.data[:frames.HEADER]))
    missing = frames.HEADER + length - len(pending.data)
    if missing > 0:
        chunk = pending.conn.recv(min(65536, missing))
        if not chunk:
            raise ValueError("closed")
        pending.data += chunk
        if len(chunk) < missing:
            return None
    return frames.unpack(bytes(pending.data[frames.HEADER:]))


def _passed(ancdata: list[tuple[int, int, bytes]]) -> list[int]:
    """The descriptors received with a message (SCM_RIGHTS)."""
    fds = []
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(payload) - len(payload) % 4
            fds += [int.from_bytes(payload[i:i + 4], sys.byteorder, signed=True) for i in range(0, usable, 4)]
    return fds


def _answer(state: Warm, pending: _Pending, fields: list[bytes], sel: selectors.BaseSelector) -> bool:
    """Answer a whole request; True when a child took its connection and descriptors."""
    conn = pending.conn
    conn.setblocking(True)
    conn.settimeout(READ_TIMEOUT)
    op = fields[0]
    if op == b"ping":
        conn.sendall(b"K%d %d %d %d\n" % (os.getpid(), int(state.started), state.served, state.cold))
        return False
    if op == b"stop":
        state.stopping = True
        conn.sendall(b"K%d\n" % os.getpid())
        return False
    if op != b"run":
        return False
    busy = len(state.children) >= MAX_CHILDREN
    reason = "busy" if busy else checks.refusal(fields, pending.peer, env=state.env, stamp=state.stamp,
                                                 confined=state.confined)
    if reason is None:  # only now, within READ_TIMEOUT, does the launcher send its terminal (frames.py)
        conn.sendall(b"F\n")
        data, ancdata, _flags, _addr = conn.recvmsg(1, socket.CMSG_SPACE(3 * 4))
        pending.fds += _passed(ancdata)
        if data != b"F":
            raise OSError("the launcher went away")  # nothing forked: it runs cold, or is not one of ours
        if len(pending.fds) != 3:
            reason = "malformed"
    if reason is not None:
        state.cold += 1
        conn.sendall(b"C\n")
        if reason == "changed":
            state.stopping = True  # upgraded: stop, so that the next `warm start` runs the new code
        return False
    return _fork(state, conn, fields, pending.fds, sel)


def _fork(state: Warm, conn: socket.socket, fields: list[bytes], fds: list[int],
          sel: selectors.BaseSelector) -> bool:
    """Fork the child, tell the launcher, and once it takes the command, release the child; False (the child
    killed unreleased, nothing run) when anything before the release fails."""
    go_read, go_write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(go_write)
        run_child(fields, fds, go_read)
    os.close(go_read)
    pidfd = -1
    try:
        pidfd = os.pidfd_open(pid)
        conn.sendall(b"P%d\n" % pid)
        if conn.recv(1) != b"g":  # within READ_TIMEOUT (_answer), else socket.timeout, an OSError
            raise OSError("the launcher gave up")
        conn.sendall(b"R\n")  # before the release: a launcher told R never runs the command itself
        os.write(go_write, b"g")
    except OSError:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        if pidfd >= 0:
            os.close(pidfd)
        return False
    finally:
        os.close(go_write)
    for fd in fds:
        os.close(fd)
    child = _Child(pid, pidfd, conn)
    state.children[pid] = child
    sel.register(pidfd, selectors.EVENT_READ, child)
    sel.register(conn, selectors.EVENT_READ, _Watch(child))
    state.served += 1
    return True


def _hung_up(child: _Child, sel: selectors.BaseSelector) -> None:
    """The launcher's end became readable: it went away (killed, or its terminal closed). Its command goes too.
    (Anything it sends after its request is read and dropped.)"""
    timeout = child.conn.gettimeout()
    child.conn.setblocking(False)
    try:
        if child.conn.recv(4096) != b"":
            return
    except (BlockingIOError, InterruptedError):
        return
    except OSError:
        pass
    finally:
        child.conn.settimeout(timeout)
    sel.unregister(child.conn)
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGHUP)


def _reap(state: Warm, child: _Child, sel: selectors.BaseSelector) -> None:
    state.children.pop(child.pid, None)
    sel.unregister(child.pidfd)
    os.close(child.pidfd)
    with contextlib.suppress(KeyError, ValueError):
        sel.unregister(child.conn)
    try:
        _pid, status = os.waitpid(child.pid, 0)
    except ChildProcessError:
        status = 1 << 8
    answer = b"S%d\n" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else b"X%d\n" % os.waitstatus_to_exitcode(status)
    with contextlib.suppress(OSError):
        child.conn.sendall(answer)
    child.conn.close()
