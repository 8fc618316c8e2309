"""The `boxoffice` command's entry point: run the command in the warm process when one is running, else here.

A cold start imports Typer, the command and its libraries before the command does anything: most of a
`boxoffice sell`. When `boxoffice warm start` is running, this launcher hands the command to it instead (the
arguments, the environment, the working directory, the umask and the terminal itself: the standard streams are
passed as file descriptors), waits for its exit status and exits with it. The command runs in a fresh process
forked from the warm one, so it behaves as it would cold: its own database connection, configuration, login,
prompts and output. Ctrl-C and other signals sent to the launcher are passed on to it.

Only the short commands of the counter go warm (:data:`WARM_COMMANDS`); the full-screen counter, the door's
scanning loop, sync and the central service always run here. Whenever the warm process is not running, is not
this copy of the program, cannot take the command or has not taken it within two seconds (stopped, say), the
command runs cold as before: nothing is lost by a warm process gone away. So does a launcher that is not in its
terminal's foreground (`boxoffice refund X &`): cold, reading the terminal stops it, as the shell expects, where a
command run warm has no controlling terminal and would take the operator's typing. ``BOXOFFICE_WARM=0`` never
uses the warm process.

This module imports nothing but the interpreter's own C modules until it falls back (frames.py says why).
"""

from __future__ import annotations

import _signal
import _socket
import os
import sys

from boxoffice.cli.warm import frames

# Commands that are short, read the terminal's database and end: the ones worth a warm start.
WARM_COMMANDS = frozenset({"sell", "pickup", "order", "event", "refund", "exchange", "whoami", "ticket", "print",
                           "alerts"})
_ROOT_VALUE_OPTIONS = frozenset({"--db", "--config"})
# Seconds the warm process has to take a command (connection, request, first answer); after that it runs here.
HANDSHAKE_TIMEOUT = 2.0
_FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


def command_of(args: list[str]) -> str | None:
    """The command word of ``boxoffice ARGS``, after the root options; None when there is none."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _ROOT_VALUE_OPTIONS:
            skip = True
        elif arg.startswith("-"):
            if arg.split("=", 1)[0] not in _ROOT_VALUE_OPTIONS:
                return None  # --help, --version, a mistyped option: cold, where the answer is made
        else:
            return arg
    return None


def in_foreground() -> bool:
    """Whether this launcher is in the foreground of the terminal its standard streams are (true when none is).

    A command run warm has no controlling terminal (child.py), so the kernel would not stop it for reading the
    terminal from the background: started with `&`, it would read what the operator types for the shell. Cold, it
    is stopped (SIGTTIN) until brought to the foreground, as every program is."""
    group = os.getpgrp()
    for fd in (0, 1, 2):
        if os.isatty(fd):
            try:
                if os.tcgetpgrp(fd) != group:
                    return False
            except OSError:  # a terminal that is not this session's: cold, where the kernel decides
                return False
    return True


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _request(args: list[str]) -> list[bytes]:
    streams = (sys.stdin, sys.stdout, sys.stderr)
    fields = [b"run", os.fsencode(frames.package_dir()), os.fsencode(sys.executable), os.fsencode(os.getcwd()),
              b"%o" % _umask()]
    for stream in streams:
        fields += [(getattr(stream, "encoding", None) or "utf-8").encode(),
                   (getattr(stream, "errors", None) or "strict").encode()]
    fields.append(b"%d" % (len(args) + 1))
    fields += [os.fsencode(sys.argv[0]), *(os.fsencode(arg) for arg in args)]
    fields += [key + b"=" + value for key, value in os.environb.items()]
    return fields


class _Abort(Exception):
    """A signal arrived before the command started: nothing runs (the warm process checks the launcher is there)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def try_warm(args: list[str]) -> int | None:
    """The exit status of the command run by the warm process, or None when it is to run here (cold)."""
    if os.environ.get(frames.ENV_OFF) == "0" or command_of(args) not in WARM_COMMANDS:
        return None
    path = frames.socket_path()
    if not frames.private_dir(os.path.dirname(path)):
        return None
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)  # a closed standard stream: cold, where Python deals with it as always
        if not in_foreground():
            return None
        fields = _request(args)
    except (OSError, ValueError):
        return None
    target = [0]  # the command's process, once the warm process has said which
    _handle_signals(target)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        status = _exchange(sock, path, fields, target)
    except _Abort as abort:
        sock.close()
        return _die_by(abort.signum)
    finally:
        sock.close()
    if status is None:  # cold after all: Python's own signal handling, as always
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        for name in (*_FORWARDED[1:], "SIGTSTP", "SIGWINCH"):
            _signal.signal(getattr(_signal, name), _signal.SIG_DFL)
    return status


def _exchange(sock: _socket.socket, path: str, fields: list[bytes], target: list[int]) -> int | None:
    """The command's exit status, or None when it is to run here: nothing of it ran in the warm process.

    Until ``P`` the warm process has HANDSHAKE_TIMEOUT; a launcher that gives up never answers it, and the child,
    not taken, is killed unreleased. The terminal goes only to a warm process that has answered ``F``. Once this
    launcher has answered ``g`` it waits without a bound: ``R`` says the command runs (it may wait for the operator
    all day), the end of the connection before it that it never will."""
    buffer = bytearray()
    try:
        sock.settimeout(HANDSHAKE_TIMEOUT)
        sock.connect(path)
        frames.send_request(sock, fields)
        if frames.read_line(sock, buffer) != b"F":
            return None  # "C": the warm process cannot take it; nothing has run
        frames.send_terminal(sock, [0, 1, 2])
        line = frames.read_line(sock, buffer)
        if line is None or not line.startswith(b"P"):
            return None
        target[0] = int(line[1:])
        sock.settimeout(None)
        sock.sendall(b"g")
        if frames.read_line(sock, buffer) != b"R":
            return None  # the warm process did not wait for the answer: the child was killed unreleased
    except OSError:
        return None
    try:
        line = frames.read_line(sock, buffer)
    except OSError:
        line = None
    if line is not None and line.startswith(b"X"):
        return int(line[1:])
    if line is not None and line.startswith(b"S"):
        sock.close()
        return _die_by(int(line[1:]))  # as the command did: a shell or a supervisor sees the same signal
    _wait_for(target[0])
    from boxoffice.i18n import _

    said = _("error: the warm process stopped before the command ended; check what it did (`boxoffice order "
             "show`, `boxoffice print jobs`) before running it again")
    os.write(2, (said + "\n").encode("utf-8", "replace"))
    return 1


def _wait_for(pid: int) -> None:
    """Wait until the command's process has ended (the warm process that would have said so is gone)."""
    import select

    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return  # ended already
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)


def _die_by(signum: int) -> int:
    """End this launcher by ``signum``, as the command ended (or would have, cold); its status if that fails."""
    _signal.signal(signum, _signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    return 128 + signum


def _kill(pid: int, signum: int) -> None:
    try:  # noqa: SIM105 - no contextlib here: the launcher imports as little as it can
        os.kill(pid, signum)
    except OSError:
        pass  # it has just ended


def _handle_signals(target: list[int]) -> None:
    """Signals sent to this launcher (Ctrl-C at the terminal reaches only it) go on to the command's process; one
    that comes before the command started ends the launcher, and the command never runs. Ctrl-Z stops both."""

    def forward(signum: int, _frame: object) -> None:
        if not target[0]:
            raise _Abort(signum)
        _kill(target[0], signum)

    def resize(signum: int, _frame: object) -> None:
        if target[0]:
            _kill(target[0], signum)

    def stop(signum: int, _frame: object) -> None:
        if target[0]:
            _kill(target[0], _signal.SIGSTOP)  # in a session of its own, a SIGTSTP would not stop it
        _signal.signal(signum, _signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # stopped here until the shell continues it
        _signal.signal(signum, stop)
        if target[0]:
            _kill(target[0], _signal.SIGCONT)

    for name in _FORWARDED:
        _signal.signal(getattr(_signal, name), forward)
    _signal.signal(_signal.SIGTSTP, stop)
    _signal.signal(_signal.SIGWINCH, resize)


def run() -> None:
    """Console-script entry point: warm when it can be, else the program as always (cli/main.run)."""
    status = try_warm(sys.argv[1:])
    if status is None:
        from boxoffice.cli.main import run as run_cold

        run_cold()
        return
    sys.stdout.flush()
    os._exit(status)  # nothing of the program is loaded here: no exit handler of ours to run
